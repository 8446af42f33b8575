"""Start real glance-registry / glance-api processes for functional tests.

Each daemon gets its own folder laid out like an RDO controller (etc/glance,
var/lib/glance/images, var/log/glance), its config written from the sample
files in etc/ plus per-test overrides, and a free loopback port.
"""

import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import fixtures

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ETC = os.path.join(REPO, 'etc')
BIN = os.path.dirname(sys.executable)
# How long a daemon may take to listen. Generous: with Swift and Ceph
# running beside the tests on 2 busy cores, a start has taken over 30 s.
START_TIMEOUT = 90


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_conf(path, sample, overrides):
    """Write ``sample`` (a file under etc/, or None) with ``overrides``.

    ``overrides`` maps section -> {option: value}.
    """
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    if sample:
        parser.read(os.path.join(ETC, sample))
    for section, values in overrides.items():
        if section != 'DEFAULT' and not parser.has_section(section):
            parser.add_section(section)
        for key, value in values.items():
            parser.set(section, key, str(value))
    with open(path, 'w') as f:
        parser.write(f)
    return path


class Daemon(fixtures.Fixture):
    """One daemon process on a free port, stopped at cleanup."""

    prog = None          # console script name
    default_conf = None  # sample config under etc/
    paste_ini = None     # sample paste ini under etc/
    etc_files = ()       # other files under etc/ copied beside the config

    def __init__(self, root=None, overrides=None, port=None):
        super().__init__()
        self.root = root
        self.overrides = overrides or {}
        self.port = port or free_port()
        self.process = None

    def _setUp(self):
        if self.root is None:
            self.root = self.useFixture(fixtures.TempDir()).path
        self.etc = os.path.join(self.root, 'etc', 'glance')
        self.lib = os.path.join(self.root, 'var', 'lib', 'glance')
        self.log_dir = os.path.join(self.root, 'var', 'log', 'glance')
        for d in (self.etc, self.lib, self.log_dir):
            os.makedirs(d, exist_ok=True)
        if self.paste_ini:
            shutil.copy(os.path.join(ETC, self.paste_ini),
                        os.path.join(self.etc, self.paste_ini))
        for name in self.etc_files:
            shutil.copy(os.path.join(ETC, name), os.path.join(self.etc, name))
        self.conf_path = os.path.join(self.etc, self.default_conf)
        write_conf(self.conf_path, self.default_conf, self.config())
        self.start()
        self.addCleanup(self.stop)

    def config(self):
        """Overrides for this daemon, merged with the test's."""
        values = {'DEFAULT': {'bind_host': '127.0.0.1',
                              'bind_port': self.port,
                              'workers': 0,
                              'log_file': self.log_file}}
        for section, opts in self.overrides.items():
            values.setdefault(section, {}).update(opts)
        return values

    @property
    def log_file(self):
        return os.path.join(self.root, 'var', 'log', 'glance',
                            '%s.log' % self.prog)

    @property
    def url(self):
        tls = self.overrides.get('DEFAULT', {}).get('cert_file')
        return '%s://127.0.0.1:%d' % ('https' if tls else 'http', self.port)

    def start(self, timeout=START_TIMEOUT):
        cmd = [os.path.join(BIN, self.prog), '--config-file', self.conf_path]
        self.stdout = open(os.path.join(self.log_dir, '%s.out' % self.prog),
                           'ab')
        self.process = subprocess.Popen(cmd, stdout=self.stdout,
                                        stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited with %s; see %s' % (
                    self.prog, self.process.returncode, self.log_text()))
            try:
                with socket.create_connection(('127.0.0.1', self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError('%s did not listen on %d in %ds; log: %s' % (
            self.prog, self.port, timeout, self.log_text()))

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if getattr(self, 'stdout', None):
            self.stdout.close()
            self.stdout = None

    def kill(self):
        self.stop(signal.SIGKILL)

    def kill_parent_only(self):
        """SIGKILL the daemon's main process alone (not its workers)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def log_text(self, tail=4000):
        text = ''
        for name in (self.log_file,
                     os.path.join(self.log_dir, '%s.out' % self.prog)):
            if os.path.exists(name):
                with open(name, errors='replace') as f:
                    text += f.read()[-tail:]
        return text


class Registry(Daemon):
    prog = 'glance-registry'
    default_conf = 'glance-registry.conf'
    paste_ini = 'glance-registry-paste.ini'

    def __init__(self, connection=None, **kwargs):
        super().__init__(**kwargs)
        self.connection = connection

    def config(self):
        values = super().config()
        connection = self.connection or 'sqlite:///%s' % os.path.join(
            self.lib, 'glance.sqlite')
        values.setdefault('database', {}).setdefault('connection', connection)
        return values

    def start(self, timeout=START_TIMEOUT):
        if not getattr(self, '_synced', False):
            subprocess.run([os.path.join(BIN, 'glance-manage'),
                            '--config-file', self.conf_path, 'db_sync'],
                           check=True, capture_output=True)
            self._synced = True
        super().start(timeout)


class Api(Daemon):
    prog = 'glance-api'
    default_conf = 'glance-api.conf'
    paste_ini = 'glance-api-paste.ini'
    etc_files = ('schema-image.json', 'api_audit_map.conf')

    def __init__(self, registry, **kwargs):
        super().__init__(**kwargs)
        self.registry = registry

    def config(self):
        values = super().config()
        values['DEFAULT'].setdefault('registry_host', '127.0.0.1')
        values['DEFAULT'].setdefault('registry_port', self.registry.port)
        store = values.setdefault('glance_store', {})
        store.setdefault('filesystem_store_datadir',
                         os.path.join(self.lib, 'images'))
        values.setdefault('os_glance_staging_store', {}).setdefault(
            'filesystem_store_datadir', os.path.join(self.lib, 'staging'))
        return values


def http(method, url, body=None, headers=None, timeout=30, context=None):
    """Plain HTTP(S) call; returns (status, headers, body bytes).
    ``context`` is the ssl.SSLContext of an https:// URL."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=context) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def temp_root():
    return tempfile.mkdtemp(prefix='glance-test-')
