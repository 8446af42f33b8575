"""Probe: kill glance-api (parent or worker) or glance-registry mid-DELETE.

To stop a delete at its worst moment, the test holds SQLite's write lock
(BEGIN IMMEDIATE; readers go on under WAL): the delete reads the image,
removes the data (data goes first, see ``ImageService.delete``) and then
waits on the lock to record the deletion; the test kills the daemon as
soon as the data is gone, then lets go of the lock. Legal final states:
the image deleted with its data gone (the registry recorded the request it
had received), or the image still active with its location while its data
is gone (nothing recorded), which the store audit reports as missing data
and a second DELETE completes. Never an image listed as ``deleted`` but
not deleted, never data no location records.
"""

import contextlib
import socket
import sqlite3
import time

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB


class DeleteFaultsMixin:

    def upload_image(self):
        image_id = self.create_image()
        self.assertEqual(204, self.upload(image_id, b'd' * MiB))
        self.assertEqual(1, len(self.data_dir_entries()))
        return image_id

    @contextlib.contextmanager
    def writes_held(self):
        """The registry's database takes no write while in the block."""
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.execute('BEGIN IMMEDIATE')
            yield
        finally:
            db.execute('ROLLBACK')
            db.close()

    def send_delete(self, image_id, port=None):
        sock = socket.create_connection(
            ('127.0.0.1', port or self.api.port), 60)
        self.addCleanup(sock.close)
        sock.sendall(('DELETE /v2/images/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                      'Content-Length: 0\r\n\r\n' % image_id).encode())
        return sock

    def kill_mid_delete(self, image_id, kill):
        """DELETE the image, ``kill()`` once its data is gone and before
        the registry may record the deletion; returns the socket and when
        the kill happened."""
        with self.writes_held():
            sock = self.send_delete(image_id)
            self.wait_until(lambda: self.data_dir_entries() == [],
                            what='the data deleted')
            kill()
            killed_at = time.time()
        return sock, killed_at

    def assert_delete_completes(self, image_id, since):
        """Whatever the kill left, the image ends deleted with no data: a
        second DELETE finishes a delete nothing recorded."""
        row = self.row(image_id)
        print('%s: after the kill the image is %s (deleted=%s)'
              % (self.id(), row['status'], row['deleted']))
        if row['deleted']:
            self.assertEqual('deleted', row['status'])
        else:
            # Nothing recorded: still active, its location kept, the data
            # gone; never "deleted" while listed.
            self.assertEqual('active', row['status'])
            self.assertEqual(1, len(row['locations']))
            status, _, body = daemons.http(
                'DELETE', self.api.url + '/v2/images/%s' % image_id)
            self.assertEqual(204, status, body)
        row = self.row(image_id)
        self.assertEqual(('deleted', True, []),
                         (row['status'], row['deleted'], row['locations']))
        status, _, _ = daemons.http(
            'GET', self.api.url + '/v2/images/%s' % image_id)
        self.assertEqual(404, status)
        print('%s: delete complete after %.1f s'
              % (self.id(), time.time() - since))
        self.assert_no_orphans()
        # The service works on: a new image uploads and reads back.
        self.assert_usable(self.create_image(), since=since)


class ApiDiesMidDeleteTest(DeleteFaultsMixin, base.ProbeTest):

    def test_killed_api_mid_delete_then_delete_completes(self):
        image_id = self.upload_image()
        sock, killed_at = self.kill_mid_delete(image_id, self.api.kill)
        sock.close()
        self.api.start()
        self.assert_delete_completes(image_id, killed_at)


class ApiWorkerDiesMidDeleteTest(DeleteFaultsMixin, base.ProbeTest):
    api_workers = 1

    def test_killed_worker_mid_delete_then_delete_completes(self):
        image_id = self.upload_image()
        [worker] = self.workers(self.api, 1)

        def kill_worker():
            self.kill_pid(worker)

        sock, killed_at = self.kill_mid_delete(image_id, kill_worker)
        # The client sees the connection go, not an answer.
        self.assertTrue(self.closed_by_server(sock))
        self.wait_until(
            lambda: set(self.children(self.api.process.pid)) - {worker},
            what='a new worker')
        self.assert_delete_completes(image_id, killed_at)


class RegistryDiesMidDeleteTest(DeleteFaultsMixin, base.ProbeTest):

    def test_killed_registry_mid_delete_answers_503_then_completes(self):
        image_id = self.upload_image()
        sock, killed_at = self.kill_mid_delete(image_id, self.registry.kill)
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 503'), head)
        self.registry.start()
        self.assert_delete_completes(image_id, killed_at)
