"""Eventlet WSGI server with optional forked workers, shared by both daemons.

Eventlet stays confined here and in process start-up, so it can be swapped.
"""

import contextlib
import ctypes
import errno
import io
import logging as logging_module
import os
import signal
import socket
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import systemd

from glance_registry.common import chunked

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

# oslo.service's option, as oslo.service declares it.
shutdown_opts = [
    cfg.IntOpt('graceful_shutdown_timeout',
               default=60,
               help='Specify a timeout after which a gracefully shutdown '
                    'server will exit. Zero value means endless wait.'),
]

PR_SET_PDEATHSIG = 1

CONF = cfg.CONF
CONF.register_opts(shutdown_opts)
CONF.register_opts(bind_opts)
CONF.register_opts(socket_opts)
CONF.register_opts(eventlet_opts)
CONF.register_opts(ssl_opts)


def list_opts():
    return (bind_opts + socket_opts + eventlet_opts + ssl_opts +
            shutdown_opts)


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


class _Prefixed(io.RawIOBase):
    """A raw stream giving ``prefix`` and then what ``rfile`` gives: the
    connection's reader again after a chunked body's decoder received
    bytes of the next (pipelined) request."""

    def __init__(self, prefix, rfile):
        self.prefix = memoryview(prefix)
        self.rfile = rfile

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.prefix:
            count = min(len(buffer), len(self.prefix))
            buffer[:count] = self.prefix[:count]
            self.prefix = self.prefix[count:]
            return count
        return self.rfile.readinto1(buffer)

    def close(self):
        super().close()
        self.rfile.close()


def _bind_socket(host, port, backlog, retry_for=30):
    """Listen on (host, port), waiting up to retry_for seconds for a
    previous generation to let go of the port. SO_REUSEPORT stays off
    (eventlet turns it on by default): with it, a second daemon on a port
    in use would silently share its connections instead of failing."""
    import eventlet
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    deadline = time.time() + retry_for
    while True:
        try:
            sock = eventlet.listen((host, port), family=family,
                                   backlog=backlog, reuse_port=False)
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


def _die_with_parent(parent_pid):
    """Have the kernel kill this worker when its parent dies (even by
    SIGKILL), so no worker outlives its generation."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        LOG.warning('prctl(PR_SET_PDEATHSIG) failed: errno %d',
                    ctypes.get_errno())
    if os.getppid() != parent_pid:
        # The parent died before prctl took effect.
        _exit(0)


def _fresh_hub():
    """In a worker just forked: an eventlet hub of its own. The parent's
    hub (made by its sleeps and waits) came along with the fork, and with
    it the parent's epoll file descriptor, one kernel object for both:
    each process would see the other's events and the parent's hub drops
    the registrations of file descriptors it does not know, so a worker's
    socket could stop waking it (downloads hung after a SIGHUP restarted
    the workers). The inherited descriptor is closed (the parent keeps its
    own) and the next eventlet call makes a new hub."""
    import eventlet.hubs
    inherited = eventlet.hubs.get_hub()
    eventlet.hubs.use_hub()
    poll = getattr(inherited, 'poll', None)
    if poll is not None and hasattr(poll, 'close'):
        poll.close()


def _stop_deadline():
    timeout = CONF.graceful_shutdown_timeout
    return time.monotonic() + timeout if timeout else float('inf')


def _exit(status):
    """Leave the process at once (threads of libraries included), logs
    flushed."""
    logging_module.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


class Server:
    """Serve one WSGI app on bind_host:bind_port with CONF.workers.

    With workers, the parent only watches them: a worker that dies is
    replaced; workers die with the parent (PR_SET_PDEATHSIG), so a restart
    never finds an old generation still serving. SIGTERM (or SIGINT):
    stop accepting, let in-flight requests finish for up to
    ``graceful_shutdown_timeout`` seconds, exit 0. SIGHUP (with workers):
    reload the configuration files, start new workers (which build the app
    again), and let the old ones finish their requests and exit.

    Signal handlers only note the signal and forward it: under eventlet
    they may run in the hub, where nothing may block.
    """

    def __init__(self, app, default_port, name, on_start=None,
                 load_app=None):
        """``on_start`` runs in each process that serves requests (the main
        one with workers = 0, else every forked worker) before it serves;
        ``load_app`` builds the app again after SIGHUP reloaded the
        configuration (in each new worker)."""
        self.app = app
        self.name = name
        self.on_start = on_start
        self.load_app = load_app
        self.port = CONF.bind_port or default_port
        self.host = CONF.bind_host
        self.children = set()
        # Workers of an earlier configuration, finishing their requests.
        self.retiring = set()
        self.running = True
        self.reload_wanted = False
        self.app_stale = False
        self.stop_deadline = None

    def start(self):
        workers = CONF.workers
        if workers is None:
            workers = os.cpu_count() or 1
        # Handlers first: a signal that comes once the port listens must
        # find them.
        if workers == 0:
            signal.signal(signal.SIGTERM, self._stop_serving)
            signal.signal(signal.SIGINT, self._stop_serving)
            # One process: nothing to restart; SIGHUP must not kill it.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, self._stop_children)
            signal.signal(signal.SIGINT, self._stop_children)
            signal.signal(signal.SIGHUP, self._note_reload)
        self.sock = wrap_tls(_bind_socket(self.host, self.port,
                                          CONF.backlog))
        LOG.info('%s listening on %s://%s:%s', self.name,
                 'https' if CONF.cert_file else 'http', self.host, self.port)
        if workers == 0:
            # Type=notify units: ready once the socket listens.
            systemd.notify_once()
            self._serve()
            _exit(0)
        self.parent_pid = os.getpid()
        for _ in range(workers):
            self._spawn_child()
        systemd.notify_once()
        self._watch_children(workers)
        LOG.info('%s stopped', self.name)
        _exit(0)

    def _watch_children(self, workers):
        """Replace dead workers, reload on SIGHUP, until stopped and every
        worker has exited."""
        while self.running or self.children or self.retiring:
            if not self.running and self.stop_deadline is None:
                self.stop_deadline = _stop_deadline()
                # Again, for workers forked after the signal came.
                self._signal_children(signal.SIGTERM,
                                      self.children | self.retiring)
                LOG.info('%s stopping: waiting for %d worker(s) to finish '
                         'their requests', self.name,
                         len(self.children | self.retiring))
            if self.reload_wanted and self.running:
                self.reload_wanted = False
                self._reload(workers)
            if (self.stop_deadline is not None and
                    time.monotonic() > self.stop_deadline):
                LOG.warning('%s workers still busy after '
                            'graceful_shutdown_timeout: killing them',
                            self.name)
                self._signal_children(signal.SIGKILL,
                                      self.children | self.retiring)
                self.stop_deadline = float('inf')
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                self.retiring.clear()
                continue
            if pid == 0:
                time.sleep(0.1)
                continue
            if pid in self.retiring:
                self.retiring.discard(pid)
            elif pid in self.children:
                self.children.discard(pid)
                if self.running:
                    LOG.error('Worker %d died (status %d); restarting',
                              pid, status)
                    self._spawn_child()

    def _reload(self, workers):
        """SIGHUP: the configuration files and the app again, new workers,
        the old ones told to finish."""
        LOG.info('%s reloading its configuration (SIGHUP)', self.name)
        try:
            reloaded = CONF.reload_config_files()
        except Exception:
            LOG.exception('Reloading the configuration failed')
            reloaded = False
        if not reloaded:
            LOG.error('The configuration files could not be read again; '
                      'the workers keep serving as they were')
            return
        # Each new worker builds the app after the fork: the parent holds
        # no client, pool or lock of an app a worker could inherit.
        self.app_stale = self.load_app is not None
        old = set(self.children)
        self.children.clear()
        self.retiring |= old
        for _ in range(workers):
            self._spawn_child()
        self._signal_children(signal.SIGTERM, old)

    def _spawn_child(self):
        pid = os.fork()
        if pid == 0:
            try:
                _fresh_hub()
                _die_with_parent(self.parent_pid)
                signal.signal(signal.SIGTERM, self._stop_serving)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGHUP, signal.SIG_IGN)
                self._serve()
            finally:
                _exit(0)
        self.children.add(pid)

    @staticmethod
    def _signal_children(sig, pids):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def _stop_children(self, *args):
        """SIGTERM/SIGINT in the parent: forward SIGTERM; the watch loop
        waits for the workers."""
        self.running = False
        self._signal_children(signal.SIGTERM, self.children | self.retiring)

    def _note_reload(self, *args):
        self.reload_wanted = True

    def _stop_serving(self, *args):
        """SIGTERM in a serving process: :meth:`_stop_when_asked` stops
        accepting (this handler may run in the hub, where nothing may
        block or switch)."""
        self.running = False

    def _stop_when_asked(self):
        # A green thread of the serving process. Polling keeps the hub
        # waking up: a signal alone does not end its wait for I/O.
        import eventlet
        import eventlet.hubs
        while self.running:
            eventlet.sleep(0.2)
        # SystemExit in the green thread blocked in accept(): (closing
        # the socket would not wake it) eventlet.wsgi.server then stops
        # accepting, closes idle keep-alive connections and waits for the
        # requests in flight.
        eventlet.hubs.get_hub().schedule_call_global(
            0, self.serving.throw, SystemExit())
        timeout = CONF.graceful_shutdown_timeout
        if timeout:
            eventlet.sleep(timeout)
            LOG.warning('Requests still in flight after '
                        'graceful_shutdown_timeout (%d s): exiting', timeout)
            _exit(0)

    def _serve(self):
        import eventlet
        import eventlet.wsgi

        class Input(eventlet.wsgi.Input):
            """wsgi.input of a chunked request: decoded by
            :class:`chunked.ChunkedDecoder` in large blocks."""

            def __init__(self, body):
                super().__init__(body.rfile, body.content_length, body._sock,
                                 wfile=body.wfile, wfile_line=body.wfile_line,
                                 chunked_input=True)
                self.decoder = chunked.ChunkedDecoder(body.rfile)

            def _chunked_read(self, rfile, length=None, use_readline=False):
                if self.should_send_hundred_continue:
                    self.send_hundred_continue_response()
                    self.is_hundred_continue_response_sent = True
                try:
                    return self.decoder.read(length, newline=use_readline)
                except chunked.ChunkedEncodingError as e:
                    # eventlet's own error (a ValueError too), which its
                    # discard of an unread body expects.
                    raise eventlet.wsgi.ChunkReadError(e) from None

            def set_max_length(self, limit):
                self.decoder.set_max_length(limit)

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
                if body.chunked_input:
                    body = Input(body)
                    environ['wsgi.input'] = environ['eventlet.input'] = body
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
                body = self.environ['eventlet.input']
                unread = body.decoder.unread() if isinstance(
                    body, Input) else b''
                if unread and not self.close_connection:
                    # The decoder read into the next request: it is read
                    # from there first.
                    self.rfile = io.BufferedReader(_Prefixed(unread,
                                                             self.rfile))

        if self.app_stale:
            try:
                self.app = self.load_app()
            except Exception:
                LOG.exception('Could not build the app from the reloaded '
                              'configuration; serving the previous one')
        if self.on_start is not None:
            self.on_start()
        import greenlet
        self.serving = greenlet.getcurrent()
        eventlet.spawn_n(self._stop_when_asked)
        eventlet.wsgi.MAX_HEADER_LINE = CONF.max_header_line
        pool = eventlet.GreenPool(CONF.wsgi_pool_size)
        timeout = CONF.client_socket_timeout or None
        try:
            eventlet.wsgi.server(self.sock, _closing_app(self.app),
                                 custom_pool=pool,
                                 protocol=Protocol,
                                 log=logging.getLogger('%s.wsgi' % self.name),
                                 log_output=True,
                                 keepalive=CONF.http_keepalive,
                                 socket_timeout=timeout, debug=False)
        finally:
            self.sock.close()
