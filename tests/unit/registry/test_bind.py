"""Binding the listening socket: a port in use is an error, never shared."""

import errno
import socket

import testtools

from glance_registry.common import wsgi


class BindSocketTest(testtools.TestCase):

    def _holder(self, reuse_port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(sock.close)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        return sock.getsockname()[1]

    def test_port_held_by_a_reuseport_listener_is_not_shared(self):
        # An old generation (or another daemon) listening with
        # SO_REUSEPORT: binding beside it must fail, not split traffic.
        port = self._holder(reuse_port=True)
        e = self.assertRaises(OSError, wsgi._bind_socket,
                              '127.0.0.1', port, 8, retry_for=0.3)
        self.assertEqual(errno.EADDRINUSE, e.errno)

    def test_free_port_binds_without_reuseport(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        free = sock.getsockname()[1]
        sock.close()
        listener = wsgi._bind_socket('127.0.0.1', free, 8, retry_for=0)
        self.addCleanup(listener.close)
        self.assertEqual(0, listener.getsockopt(socket.SOL_SOCKET,
                                                socket.SO_REUSEPORT))
