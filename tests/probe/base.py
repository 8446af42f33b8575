"""Probe tests: break one part of the pair mid-operation, then read the
registry's database row and the store's data directory directly to prove
a legal final state, byte-identical data for every active image and no
orphan data. Leases and timeouts are set short so that healing is quick;
tests poll for the healed state, never sleep for it.

Each scenario prints how long the image took to be usable again.
"""

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import fixtures
import testtools

from tests.functional import daemons
from tests.probe import backends

MiB = 1024 * 1024
LEASE = 3            # upload_lease_timeout (its minimum)
CHECK_INTERVAL = 1   # lease_check_interval
# How long healing may take at most: the lease, one check, and slack for
# two busy cores.
HEAL_TIMEOUT = LEASE + CHECK_INTERVAL + 30


class ProbeTest(testtools.TestCase):
    """One registry and one api (``api_workers`` processes) per test, in a
    folder of the test's own, on SQLite and the file store."""

    api_workers = 0
    registry_workers = 0
    lease = LEASE
    api_overrides = {}
    registry_overrides = {}
    # A private MariaDB for the registry instead of SQLite.
    mariadb = False
    # Its socket timeouts in the registry's connection URL.
    database_timeout = 5
    # 'messaging': glance-api calls the registry through a private RabbitMQ.
    registry_transport = 'http'
    registry_client_timeout = 5

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        registry_overrides = {'DEFAULT': {
            'lease_check_interval': CHECK_INTERVAL,
            'workers': self.registry_workers}}
        api_overrides = {'DEFAULT': {
            'upload_lease_timeout': self.lease,
            'registry_client_timeout': self.registry_client_timeout,
            'workers': self.api_workers}}
        connection = self.start_backends(registry_overrides, api_overrides)
        for section, values in self.registry_overrides.items():
            registry_overrides.setdefault(section, {}).update(values)
        self.registry = self.useFixture(daemons.Registry(
            connection=connection, root=self.root,
            overrides=registry_overrides))
        if self.registry_transport == 'messaging':
            self.wait_for_rpc_server()
        for section, values in self.api_overrides.items():
            api_overrides.setdefault(section, {}).update(values)
        self.api = self.useFixture(daemons.Api(
            self.registry, root=self.root, overrides=api_overrides))
        self.db_path = os.path.join(self.registry.lib, 'glance.sqlite')
        self.data_dir = os.path.join(self.api.lib, 'images')
        self.started = time.time()

    def start_backends(self, registry_overrides, api_overrides):
        """Start the private MariaDB and RabbitMQ the class asks for and
        point the daemons' configurations at them; returns the registry's
        database connection (None: SQLite)."""
        connection = None
        self.database = None
        if self.mariadb:
            self.database = self.useFixture(backends.MariaDB(self.root))
            connection = self.database.connection_url(
                self.database_timeout)
        self.broker = None
        if self.registry_transport == 'messaging':
            self.broker = self.useFixture(backends.RabbitMQ(self.root))
            registry_overrides['DEFAULT']['transport_url'] = self.broker.url
            api_overrides['DEFAULT'].update({
                'transport_url': self.broker.url,
                'registry_transport': 'messaging'})
        return connection

    def wait_for_rpc_server(self, since=0):
        """Wait until the registry consumes its topic (a call sent before
        would be lost); ``since``: servings logged before."""
        self.wait_until(lambda: self.rpc_servings() > since,
                        timeout=60, what='the registry serving its topic')

    def rpc_servings(self):
        if not os.path.exists(self.registry.log_file):
            return 0
        with open(self.registry.log_file, errors='replace') as f:
            return sum(1 for line in f
                       if 'Serving the registry contract' in line)

    # -- the API -----------------------------------------------------------

    def create_image(self, version='v2'):
        if version == 'v1':
            status, headers, data = daemons.http(
                'POST', self.api.url + '/v1/images', b'', {
                    'x-image-meta-name': 'probe',
                    'x-image-meta-disk_format': 'raw',
                    'x-image-meta-container_format': 'bare'})
            self.assertEqual(201, status, data)
            return json.loads(data)['image']['id']
        body = json.dumps({'name': 'probe', 'disk_format': 'raw',
                           'container_format': 'bare'}).encode()
        status, _, data = daemons.http(
            'POST', self.api.url + '/v2/images', body,
            {'Content-Type': 'application/json'})
        self.assertEqual(201, status, data)
        return json.loads(data)['id']

    def upload(self, image_id, data, version='v2'):
        """A whole upload; returns the HTTP status."""
        if version == 'v1':
            status, _, body = daemons.http(
                'PUT', self.api.url + '/v1/images/%s' % image_id, data,
                {'Content-Type': 'application/octet-stream'}, timeout=60)
        else:
            status, _, body = daemons.http(
                'PUT', self.api.url + '/v2/images/%s/file' % image_id, data,
                {'Content-Type': 'application/octet-stream'}, timeout=60)
        return status

    def download(self, image_id):
        status, _, body = daemons.http(
            'GET', self.api.url + '/v2/images/%s/file' % image_id,
            timeout=60)
        self.assertEqual(200, status, body[:200])
        return body

    def start_upload(self, image_id, size, sent, version='v2', port=None):
        """Send the head of a PUT of ``size`` bytes and ``sent`` of them;
        returns the socket."""
        sock = socket.create_connection(
            ('127.0.0.1', port or self.api.port), 60)
        self.addCleanup(sock.close)
        path = ('/v1/images/%s' % image_id if version == 'v1'
                else '/v2/images/%s/file' % image_id)
        sock.sendall(('PUT %s HTTP/1.1\r\n'
                      'Host: 127.0.0.1\r\n'
                      'Content-Type: application/octet-stream\r\n'
                      'Content-Length: %d\r\n\r\n'
                      % (path, size)).encode())
        if sent:
            sock.sendall(b'x' * sent)
        return sock

    def kill_api_mid_upload(self, version='v2'):
        """SIGKILL glance-api mid-upload; returns the image id and when."""
        image_id = self.create_image(version)
        sock = self.start_upload(image_id, 64 * MiB, 4 * MiB, version)
        self.wait_for_row_status(image_id, 'saving')
        self.assertEqual(1, len(self.leases()))
        self.api.kill()
        killed_at = time.time()
        sock.close()
        # Nothing half-written, no location, whatever the status.
        self.assertEqual([], self.data_dir_entries())
        self.assertEqual([], self.row(image_id)['locations'])
        return image_id, killed_at

    @classmethod
    def read_answer(cls, sock, timeout=60):
        """Status line and headers of the answer on ``sock``."""
        return cls.read_response(sock, timeout, body=False)[0]

    @staticmethod
    def read_response(sock, timeout=60, body=True):
        """(status line and headers, body) of the answer on ``sock``; the
        body as long as its Content-Length says."""
        sock.settimeout(timeout)
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b'\r\n\r\n')
        head = head.decode('latin-1')
        if not body:
            return head, b''
        length = 0
        for line in head.split('\r\n')[1:]:
            name, _, value = line.partition(':')
            if name.strip().lower() == 'content-length':
                length = int(value)
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head, rest

    @staticmethod
    def closed_by_server(sock, timeout=30):
        """Whether the server closes ``sock`` (reading what it still
        sends) within ``timeout`` seconds."""
        sock.settimeout(timeout)
        try:
            while sock.recv(65536):
                pass
        except socket.timeout:
            return False
        except ConnectionResetError:
            pass
        return True

    def audit(self, *args):
        """Run glance-store-audit on the api's configuration with
        ``args``; print its counts; return (exit status, JSON report)."""
        result = subprocess.run(
            [sys.executable, '-m', 'glance_api.store_audit',
             '--config-file', self.api.conf_path, '--json'] + list(args),
            capture_output=True, text=True, timeout=120)
        try:
            report = json.loads(result.stdout)
        except ValueError:
            self.fail('store audit printed no report (%d): %s'
                      % (result.returncode, result.stderr[-2000:]))
        print('%s: store audit %s: %d orphan(s), %d deleted, %d missing' % (
            self.id(), ' '.join(args) or '(report)', len(report['orphans']),
            sum(1 for o in report['orphans'] if o['action'] == 'deleted'),
            len(report['missing'])))
        return result.returncode, report

    # -- what is on disk ---------------------------------------------------

    def query(self, sql, *args):
        """Rows read straight from the registry's database (``?``
        placeholders)."""
        if self.database is not None:
            with self.database.connect() as db:
                cursor = db.cursor()
                cursor.execute(sql.replace('?', '%s'), args)
                return [tuple(row) for row in cursor.fetchall()]
        with sqlite3.connect(self.db_path, timeout=30) as db:
            return db.execute(sql, args).fetchall()

    def row(self, image_id):
        status, size, checksum, deleted = self.query(
            'SELECT status, size, checksum, deleted FROM images '
            'WHERE id = ?', image_id)[0]
        locations = self.query(
            'SELECT value FROM image_locations WHERE image_id = ? '
            'AND deleted = 0', image_id)
        return {'status': status, 'size': size, 'checksum': checksum,
                'deleted': bool(deleted),
                'locations': [url for (url,) in locations]}

    def leases(self):
        return self.query('SELECT image_id, holder, api_version, status '
                          'FROM image_leases')

    def wait_for_row_status(self, image_id, status, timeout=HEAL_TIMEOUT):
        deadline = time.time() + timeout
        while self.row(image_id)['status'] != status:
            if time.time() > deadline:
                self.fail('image %s never reached %s: %s' % (
                    image_id, status, self.row(image_id)))
            time.sleep(0.05)

    def data_dir_entries(self):
        # Hidden temp files count too: nothing may be left half-written.
        if not os.path.isdir(self.data_dir):
            return []
        return sorted(os.listdir(self.data_dir))

    def assert_no_orphans(self):
        """Every file in the store is the data of an active image that
        records it, byte-identical (by checksum), and nothing else."""
        referenced = {}
        for image_id, url, checksum in self.query(
                'SELECT i.id, l.value, i.checksum FROM images i JOIN '
                'image_locations l ON l.image_id = i.id WHERE '
                'l.deleted = 0 AND i.deleted = 0'):
            self.assertTrue(url.startswith('file://'), url)
            referenced[os.path.basename(url)] = (image_id, checksum)
        self.assertEqual(sorted(referenced), self.data_dir_entries())
        for name, (image_id, checksum) in referenced.items():
            self.assertEqual(
                checksum,
                self.file_digest(os.path.join(self.data_dir, name), 'md5'),
                'data of image %s' % image_id)
        self.assertEqual([], [lease for lease in self.leases()
                              if lease[0] not in self.saving_images()])

    @staticmethod
    def file_digest(path, algorithm='sha256'):
        """The hex digest of a file, read a MiB at a time (probe images
        may be larger than the memory a test should hold)."""
        digest = hashlib.new(algorithm)
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(MiB), b''):
                digest.update(block)
        return digest.hexdigest()

    def saving_images(self):
        return {image_id for (image_id,) in self.query(
            "SELECT id FROM images WHERE status IN ('saving', 'importing')")}

    def assert_usable(self, image_id, data=b'probe data', since=None):
        """A new upload of ``image_id`` works and reads back the same; print
        how long after ``since`` the image was usable again."""
        status = self.upload(image_id, data)
        self.assertEqual(204, status)
        self.assertEqual(data, self.download(image_id))
        self.report_usable(since)
        self.assert_no_orphans()

    def report_usable(self, since=None):
        elapsed = time.time() - (since or self.started)
        print('%s: usable again after %.1f s' % (self.id(), elapsed))

    # -- processes ---------------------------------------------------------

    @staticmethod
    def children(pid):
        """Pids of the processes whose parent is ``pid``."""
        result = subprocess.run(['pgrep', '-P', str(pid)],
                                capture_output=True, text=True)
        return [int(p) for p in result.stdout.split()]

    def workers(self, daemon, count):
        """The pids of ``daemon``'s workers, once there are ``count``."""
        self.wait_until(
            lambda: len(self.children(daemon.process.pid)) == count,
            what='%d workers of %s' % (count, daemon.prog))
        return self.children(daemon.process.pid)

    @staticmethod
    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie is dead too (its parent may never reap it), once its
        # other threads are gone: the thread group's files, its listening
        # socket among them, are closed when the last thread exits, which
        # may come after the main thread shows as a zombie.
        try:
            with open('/proc/%d/stat' % pid) as f:
                if f.read().split(') ', 1)[1][0] != 'Z':
                    return True
            return os.listdir('/proc/%d/task' % pid) != [str(pid)]
        except OSError:
            return False

    def wait_until(self, predicate, timeout=HEAL_TIMEOUT, what='condition'):
        deadline = time.time() + timeout
        while not predicate():
            if time.time() > deadline:
                self.fail('%s not met in %s s' % (what, timeout))
            time.sleep(0.05)

    def kill_parent(self, daemon, workers):
        """SIGKILL ``daemon``'s parent alone and wait until its ``workers``
        died with it; returns when the parent was killed."""
        daemon.kill_parent_only()
        killed_at = time.time()
        self.wait_until(lambda: not any(map(self.alive, workers)),
                        what='workers of %s gone with their parent'
                        % daemon.prog)
        return killed_at

    @staticmethod
    def kill_pid(pid):
        os.kill(pid, signal.SIGKILL)

    def signal_daemon(self, daemon, sig):
        os.kill(daemon.process.pid, sig)
        if sig == signal.SIGSTOP:
            self.addCleanup(self._continue, daemon.process.pid)

    @staticmethod
    def _continue(pid):
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
