"""Probe-style fault tests: kill a daemon in the middle of an upload, then
read the database row and the data directory to prove that nothing was
lost or left half-written."""

import json
import os
import socket
import sqlite3
import time

import fixtures
import testtools

from tests.functional import daemons

MiB = 1024 * 1024


class KillMidUploadTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        root = self.useFixture(fixtures.TempDir()).path
        self.registry = self.useFixture(daemons.Registry(root=root))
        self.api = self.useFixture(daemons.Api(self.registry, root=root))
        self.db_path = os.path.join(self.registry.lib, 'glance.sqlite')
        self.data_dir = os.path.join(self.api.lib, 'images')

    def create_image(self):
        body = json.dumps({'name': 'probe', 'disk_format': 'raw',
                           'container_format': 'bare'}).encode()
        status, _, data = daemons.http(
            'POST', self.api.url + '/v2/images', body,
            {'Content-Type': 'application/json'})
        self.assertEqual(201, status, data)
        return json.loads(data)['id']

    def start_upload(self, image_id, size, sent):
        """Send the head of a PUT of ``size`` bytes and ``sent`` of them."""
        sock = socket.create_connection(('127.0.0.1', self.api.port), 30)
        self.addCleanup(sock.close)
        sock.sendall(('PUT /v2/images/%s/file HTTP/1.1\r\n'
                      'Host: 127.0.0.1\r\n'
                      'Content-Type: application/octet-stream\r\n'
                      'Content-Length: %d\r\n\r\n'
                      % (image_id, size)).encode())
        sock.sendall(b'x' * sent)
        return sock

    def row(self, image_id):
        with sqlite3.connect(self.db_path) as db:
            status, size, checksum, deleted = db.execute(
                'SELECT status, size, checksum, deleted FROM images '
                'WHERE id = ?', (image_id,)).fetchone()
            locations = db.execute(
                'SELECT count(*) FROM image_locations WHERE image_id = ? '
                'AND deleted = 0', (image_id,)).fetchone()[0]
        return {'status': status, 'size': size, 'checksum': checksum,
                'deleted': bool(deleted), 'locations': locations}

    def wait_for_row_status(self, image_id, status, timeout=30):
        deadline = time.time() + timeout
        while self.row(image_id)['status'] != status:
            if time.time() > deadline:
                self.fail('image %s never reached %s: %s' % (
                    image_id, status, self.row(image_id)))
            time.sleep(0.05)

    def data_dir_entries(self):
        # Hidden temp files count too: nothing may be left half-written.
        return sorted(os.listdir(self.data_dir))

    def test_killed_api_leaves_no_data_and_row_without_location(self):
        image_id = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 16 * MiB)
        self.wait_for_row_status(image_id, 'saving')

        self.api.kill()
        sock.close()

        self.assertEqual([], self.data_dir_entries())
        self.assertEqual({'status': 'saving', 'size': None,
                          'checksum': None, 'deleted': False,
                          'locations': 0}, self.row(image_id))

        # A restarted api lets the owner clean up the stuck image.
        self.api.start()
        status, _, body = daemons.http(
            'DELETE', self.api.url + '/v2/images/%s' % image_id)
        self.assertEqual(204, status, body)
        self.assertTrue(self.row(image_id)['deleted'])
        self.assertEqual([], self.data_dir_entries())

    def test_killed_registry_answers_503_and_keeps_no_orphan_data(self):
        image_id = self.create_image()
        size = 32 * MiB
        sock = self.start_upload(image_id, size, 8 * MiB)
        self.wait_for_row_status(image_id, 'saving')

        self.registry.kill()
        sock.sendall(b'x' * (size - 8 * MiB))
        sock.settimeout(60)
        answer = sock.recv(65536).decode('latin-1')

        self.assertTrue(answer.startswith('HTTP/1.1 503'), answer)
        # The bytes reached the store, but with no registry to record
        # them they must not stay behind as an orphan.
        self.assertEqual([], self.data_dir_entries())

        self.registry.start()
        row = self.row(image_id)
        self.assertEqual(0, row['locations'])
        self.assertIsNone(row['checksum'])
        self.assertIn(row['status'], ('saving', 'queued'))
