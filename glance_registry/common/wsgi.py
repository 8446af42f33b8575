"""Eventlet WSGI server with optional forked workers, shared by both daemons.

Eventlet stays confined here and in process start-up, so it can be swapped.
"""

import contextlib
import errno
import os
import signal
import socket
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import systemd

LOG = logging.getLogger(__name__)

bind_opts = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address to bind the server to.'),
    cfg.PortOpt('bind_port', help='Port to bind the server to.'),
]

socket_opts = [
    cfg.IntOpt('backlog', default=4096,
               help='Number of backlog requests to configure the socket '
                    'with.'),
    cfg.IntOpt('tcp_keepidle', default=600,
               help='TCP_KEEPIDLE value in seconds for server sockets.'),
]

eventlet_opts = [
    cfg.IntOpt('workers', min=0,
               help='Number of worker processes. 0 serves from the main '
                    'process; unset means one per CPU.'),
    cfg.IntOpt('max_header_line', default=16384,
               help='Maximum line size of message headers.'),
    cfg.BoolOpt('http_keepalive', default=True,
                help='Keep client connections open between requests.'),
    cfg.IntOpt('client_socket_timeout', default=900,
               help='Timeout in seconds for client connections; 0 waits '
                    'forever.'),
    cfg.IntOpt('wsgi_pool_size', default=1024,
               help='Green threads serving requests, per process.'),
]

CONF = cfg.CONF
CONF.register_opts(bind_opts)
CONF.register_opts(socket_opts)
CONF.register_opts(eventlet_opts)


def list_opts():
    return bind_opts + socket_opts + eventlet_opts


# Set in the WSGI environ when the answer says "Connection: close": the
# server then closes the connection without reading the rest of the request
# body (eventlet would otherwise read it to the end, however long the
# client takes to send it).
CLOSE_CONNECTION = 'glance.close_connection'


@contextlib.contextmanager
def read_timeout(body, seconds):
    """While the block runs, a read of ``body`` (the ``wsgi.input`` of a
    request this server serves) that waits more than ``seconds`` for data
    raises ``socket.timeout``; other bodies are left as they are. Answer
    with "Connection: close" after such a timeout: the connection's read
    buffer is in an unknown state."""
    sock = getattr(body, _SOCKET_ATTRIBUTE, None)
    if sock is None:
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        sock.settimeout(previous)


# The attribute of a request's wsgi.input that holds its client socket.
_SOCKET_ATTRIBUTE = 'glance_client_socket'


def _closing_app(app):
    """``app``, noting in the environ an answer that closes the
    connection."""
    def closing_app(environ, start_response):
        def noting_start_response(status, headers, exc_info=None):
            if any(name.lower() == 'connection' and
                   value.lower() == 'close' for name, value in headers):
                environ[CLOSE_CONNECTION] = True
            return start_response(status, headers, exc_info)
        return app(environ, noting_start_response)
    return closing_app


def _bind_socket(host, port, backlog):
    import eventlet
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    deadline = time.time() + 30
    while True:
        try:
            sock = eventlet.listen((host, port), family=family,
                                   backlog=backlog)
            break
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.time() > deadline:
                raise
            time.sleep(0.1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, 'TCP_KEEPIDLE'):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE,
                        CONF.tcp_keepidle)
    return sock


class Server:
    """Serve one WSGI app on bind_host:bind_port with CONF.workers."""

    def __init__(self, app, default_port, name, on_start=None):
        """``on_start`` runs in each process that serves requests (the main
        one with workers = 0, else every forked worker) before it serves."""
        self.app = app
        self.name = name
        self.on_start = on_start
        self.port = CONF.bind_port or default_port
        self.host = CONF.bind_host
        self.children = set()
        self.running = True

    def start(self):
        self.sock = _bind_socket(self.host, self.port, CONF.backlog)
        LOG.info('%s listening on %s:%s', self.name, self.host, self.port)
        workers = CONF.workers
        if workers is None:
            workers = os.cpu_count() or 1
        if workers == 0:
            signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
            # Type=notify units: ready once the socket listens.
            systemd.notify_once()
            self._serve()
            return
        signal.signal(signal.SIGTERM, self._stop_children)
        signal.signal(signal.SIGINT, self._stop_children)
        for _ in range(workers):
            self._spawn_child()
        systemd.notify_once()
        while self.running and self.children:
            try:
                pid, status = os.wait()
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                if e.errno == errno.ECHILD:
                    break
                raise
            if pid in self.children:
                self.children.discard(pid)
                if self.running:
                    LOG.error('Worker %d died (status %d); restarting',
                              pid, status)
                    self._spawn_child()

    def _spawn_child(self):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self._serve()
            finally:
                os._exit(0)
        self.children.add(pid)

    def _stop_children(self, *args):
        self.running = False
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        self.children.clear()
        sys.exit(0)

    def _serve(self):
        import eventlet
        import eventlet.wsgi

        class Protocol(eventlet.wsgi.HttpProtocol):
            def setup(self):
                # Without TCP_NODELAY a keep-alive client waits ~40 ms for
                # the delayed ACK on every small response.
                self.request.setsockopt(socket.IPPROTO_TCP,
                                        socket.TCP_NODELAY, 1)
                super().setup()

            def get_environ(self):
                environ = super().get_environ()
                body = environ['eventlet.input']
                setattr(body, _SOCKET_ATTRIBUTE, self.connection)
                read_rest = body.discard

                def discard(*args, **kwargs):
                    if not environ.get(CLOSE_CONNECTION):
                        read_rest(*args, **kwargs)
                body.discard = discard
                return environ

            def handle_one_response(self):
                super().handle_one_response()
                if self.environ.get(CLOSE_CONNECTION):
                    self.close_connection = 1

        if self.on_start is not None:
            self.on_start()
        eventlet.wsgi.MAX_HEADER_LINE = CONF.max_header_line
        pool = eventlet.GreenPool(CONF.wsgi_pool_size)
        timeout = CONF.client_socket_timeout or None
        eventlet.wsgi.server(self.sock, _closing_app(self.app),
                             custom_pool=pool,
                             protocol=Protocol,
                             log=logging.getLogger('%s.wsgi' % self.name),
                             log_output=True,
                             keepalive=CONF.http_keepalive,
                             socket_timeout=timeout, debug=False)
