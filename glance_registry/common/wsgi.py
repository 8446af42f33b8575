"""Eventlet WSGI server with optional forked workers, shared by both daemons.

Eventlet stays confined here and in process start-up, so it can be swapped.
"""

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

ssl_opts = [
    cfg.StrOpt('cert_file',
               help='Certificate (PEM, with its chain) the server presents: '
                    'set it and key_file to serve HTTPS instead of HTTP.'),
    cfg.StrOpt('key_file',
               help='Private key (PEM) of cert_file.'),
    cfg.StrOpt('ca_file',
               help='CA bundle (PEM) that signs client certificates: when '
                    'set, every client must present a certificate it '
                    'signed.'),
]

CONF = cfg.CONF
CONF.register_opts(bind_opts)
CONF.register_opts(socket_opts)
CONF.register_opts(eventlet_opts)
CONF.register_opts(ssl_opts)


def list_opts():
    return bind_opts + socket_opts + eventlet_opts + ssl_opts


def wrap_tls(sock):
    """``sock`` wrapped for HTTPS when cert_file is set, else ``sock``.

    Raises RuntimeError for an incomplete or unreadable TLS setup, so the
    daemon exits with the reason instead of serving plain HTTP.
    """
    if not (CONF.cert_file or CONF.key_file or CONF.ca_file):
        return sock
    if not (CONF.cert_file and CONF.key_file):
        raise RuntimeError('HTTPS needs both cert_file and key_file '
                           '(cert_file=%s, key_file=%s)'
                           % (CONF.cert_file, CONF.key_file))
    from eventlet.green import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(CONF.cert_file, CONF.key_file)
        if CONF.ca_file:
            context.load_verify_locations(cafile=CONF.ca_file)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as e:
        raise RuntimeError('Cannot use cert_file %s, key_file %s, ca_file '
                           '%s: %s' % (CONF.cert_file, CONF.key_file,
                                       CONF.ca_file, e))
    # The handshake happens in the green thread serving the connection,
    # not in the accept loop.
    return context.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False)


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
        self.sock = wrap_tls(_bind_socket(self.host, self.port,
                                          CONF.backlog))
        LOG.info('%s listening on %s://%s:%s', self.name,
                 'https' if CONF.cert_file else 'http', self.host, self.port)
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

        if self.on_start is not None:
            self.on_start()
        eventlet.wsgi.MAX_HEADER_LINE = CONF.max_header_line
        pool = eventlet.GreenPool(CONF.wsgi_pool_size)
        timeout = CONF.client_socket_timeout or None
        eventlet.wsgi.server(self.sock, self.app, custom_pool=pool,
                             protocol=Protocol,
                             log=logging.getLogger('%s.wsgi' % self.name),
                             log_output=True,
                             keepalive=CONF.http_keepalive,
                             socket_timeout=timeout, debug=False)
