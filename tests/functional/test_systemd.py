"""The systemd units in etc/systemd: systemd's own checker accepts them,
and the daemons they start as Type=notify really tell systemd they are
ready (READY=1 on $NOTIFY_SOCKET once the socket listens), with and
without forked workers."""

import configparser
import glob
import os
import shutil
import socket
import subprocess
import tempfile

import fixtures
import testtools

from tests.functional import daemons

UNITS = sorted(glob.glob(os.path.join(daemons.ETC, 'systemd', '*.service')))


def read_unit(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


class UnitFileTests(testtools.TestCase):

    def test_one_unit_per_daemon_as_rdo_names_them(self):
        self.assertEqual(
            ['openstack-glance-api.service',
             'openstack-glance-registry.service',
             'openstack-glance-scrubber.service'],
            [os.path.basename(p) for p in UNITS])

    def test_systemd_analyze_verify_accepts_every_unit(self):
        # The units name /usr/bin; here the console scripts are in the
        # venv, so the copies checked point there.
        tmp = self.useFixture(fixtures.TempDir()).path
        for path in UNITS:
            with open(path) as f:
                text = f.read().replace('/usr/bin/', daemons.BIN + '/')
            with open(os.path.join(tmp, os.path.basename(path)), 'w') as f:
                f.write(text)
        proc = subprocess.run(
            ['systemd-analyze', 'verify'] + sorted(os.listdir(tmp)),
            cwd=tmp, capture_output=True, text=True, timeout=60)
        self.assertEqual((0, ''), (proc.returncode, proc.stderr.strip()),
                         proc.stdout)

    def test_exec_start_is_a_console_script_of_ours(self):
        setup = configparser.ConfigParser()
        setup.read(os.path.join(daemons.REPO, 'setup.cfg'))
        scripts = {line.split('=')[0].strip() for line in
                   setup['entry_points']['console_scripts'].splitlines()
                   if line.strip()}
        for path in UNITS:
            service = read_unit(path)['Service']
            argv = service['ExecStart'].split()
            self.assertIn(os.path.basename(argv[0]), scripts, path)
            self.assertEqual('glance', service['User'], path)
            if 'scrubber' in path:
                self.assertEqual(['--daemon'], argv[1:])
                self.assertEqual('simple', service['Type'])
            else:
                self.assertEqual('notify', service['Type'], path)
                # The main process forwards SIGTERM and waits up to
                # graceful_shutdown_timeout (60 s) for its workers.
                self.assertEqual('mixed', service['KillMode'], path)
                self.assertGreater(int(service['TimeoutStopSec']), 60)


class NotifyTests(testtools.TestCase):
    """Each daemon started with NOTIFY_SOCKET, as systemd starts it."""

    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp(prefix='glance-notify-')
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)

    def listen(self, name):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        path = os.path.join(self.root, name)
        sock.bind(path)
        sock.settimeout(daemons.START_TIMEOUT)
        self.useFixture(fixtures.EnvironmentVariable('NOTIFY_SOCKET', path))
        return sock

    def start(self, daemon):
        self.useFixture(daemon)
        return daemon

    def test_registry_and_api_say_ready_once_listening(self):
        for workers in (0, 2):
            root = os.path.join(self.root, 'w%d' % workers)
            sock = self.listen('registry-%d' % workers)
            registry = self.start(daemons.Registry(
                root=root, overrides={'DEFAULT': {'workers': workers}}))
            self.assertEqual(b'READY=1', sock.recv(4096))
            sock = self.listen('api-%d' % workers)
            api = self.start(daemons.Api(
                registry, root=root,
                overrides={'DEFAULT': {'workers': workers}}))
            self.assertEqual(b'READY=1', sock.recv(4096))
            # Once only: no worker repeats it.
            sock.settimeout(1)
            self.assertRaises(socket.timeout, sock.recv, 4096)
            status, _, body = daemons.http('GET', api.url + '/versions')
            self.assertEqual(200, status, body)
