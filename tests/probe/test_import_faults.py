"""Probe: kill -9 glance-api during a slow web-download import and prove
the registry fails the task and returns the image to queued (or, once
glance-api is back, that it releases its previous run's tasks at once);
a new upload then works and no data is left behind. A live task that runs
longer than its lease (the hashing of a slow location) is renewed, never
failed by the healer."""

import hashlib
import http.server
import json
import os
import signal
import threading
import time

from tests.functional import daemons
from tests.functional import test_v2_import
from tests.functional.test_v2_import import SlowHandler
from tests.probe import base

TASK_LEASE = 5   # task_lease_timeout (its minimum)


class ImportProbeTest(base.ProbeTest):
    task_lease = TASK_LEASE

    def setUp(self):
        self.source = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      SlowHandler)
        self.source.daemon_threads = True
        # Held until cleanup: the source sends nothing, the import waits.
        self.source.go_on = threading.Event()
        threading.Thread(target=self.source.serve_forever,
                         daemon=True).start()
        self.addCleanup(self.source.server_close)
        self.addCleanup(self.source.shutdown)
        self.addCleanup(self.source.go_on.set)
        self.api_overrides = {
            'DEFAULT': {'task_lease_timeout': self.task_lease},
            'import_filtering_opts': {
                'allowed_hosts': '[127.0.0.1]',
                'allowed_ports': '[%d]' % self.source.server_port}}
        super().setUp()

    def start_web_download(self, image_id):
        body = json.dumps({'method': {
            'name': 'web-download',
            'uri': 'http://127.0.0.1:%d/disk' % self.source.server_port}})
        status, _, data = daemons.http(
            'POST', self.api.url + '/v2/images/%s/import' % image_id,
            body.encode(), {'Content-Type': 'application/json'})
        self.assertEqual(202, status, data)

    def task(self, image_id):
        [(task_id, status, holder, lease)] = self.query(
            'SELECT id, status, holder, lease_expires_at FROM tasks '
            'WHERE image_id = ?', image_id)
        [(message,)] = self.query(
            'SELECT message FROM task_info WHERE task_id = ?', task_id)
        return {'id': task_id, 'status': status, 'holder': holder,
                'lease_expires_at': lease, 'message': message}

    def properties(self, image_id):
        return dict(self.query(
            'SELECT name, value FROM image_properties WHERE image_id = ? '
            'AND deleted = 0', image_id))

    def kill_api_mid_import(self):
        image_id = self.create_image()
        self.start_web_download(image_id)
        self.wait_until(lambda: self.task(image_id)['status'] ==
                        'processing', what='the task processing')
        self.assertEqual('importing', self.row(image_id)['status'])
        self.assertEqual(self.task(image_id)['id'], self.properties(
            image_id)['os_glance_import_task'])
        self.api.kill()
        return image_id, time.time()

    def assert_released(self, image_id):
        task = self.task(image_id)
        self.assertEqual('failure', task['status'])
        self.assertIsNone(task['lease_expires_at'])
        self.assertIn('stopped before it finished', task['message'])
        self.assertEqual({'status': 'queued', 'size': None,
                          'checksum': None, 'deleted': False,
                          'locations': []}, self.row(image_id))
        properties = self.properties(image_id)
        self.assertNotIn('os_glance_import_task', properties)
        self.assertEqual('', properties['os_glance_importing_to_stores'])
        self.assertNotEqual('', properties['os_glance_failed_import'])
        # The staging store writes anonymously too: no partial file.
        self.assertEqual([], os.listdir(os.path.join(self.api.lib,
                                                     'staging')))


class ApiDiesMidImportTest(ImportProbeTest):

    def test_killed_api_task_fails_and_image_heals_to_queued(self):
        image_id, killed_at = self.kill_api_mid_import()
        # glance-api stays down: only the registry's healer can do it.
        self.wait_for_row_status(image_id, 'queued',
                                 timeout=self.task_lease + 30)
        self.assert_released(image_id)
        self.api.start()
        self.assert_usable(image_id, b'uploaded after the import died',
                           since=killed_at)


class ApiRestartReleasesTasksTest(ImportProbeTest):
    # A task lease far longer than the test waits: only the restarted
    # glance-api's release can heal the image in time.
    task_lease = 600

    def test_restarted_api_fails_its_previous_tasks_at_once(self):
        image_id, killed_at = self.kill_api_mid_import()
        self.api.start()
        self.wait_for_row_status(image_id, 'queued', timeout=60)
        self.assert_released(image_id)
        self.assert_usable(image_id, since=killed_at)


class ApiHungPastTaskLeaseTest(ImportProbeTest):

    def test_resumed_api_leaves_the_released_image_queued(self):
        image_id = self.create_image()
        self.start_web_download(image_id)
        self.wait_until(lambda: self.task(image_id)['status'] ==
                        'processing', what='the task processing')
        self.signal_daemon(self.api, signal.SIGSTOP)
        stopped_at = time.time()
        self.wait_for_row_status(image_id, 'queued',
                                 timeout=self.task_lease + 30)
        self.assert_released(image_id)
        # The import wakes up and its source sends everything: the job
        # learns its task was failed and activates nothing.
        self.signal_daemon(self.api, signal.SIGCONT)
        self.source.go_on.set()
        self.wait_until(lambda: 'stopped before it finished' not in
                        self.task(image_id)['message'],
                        what='the resumed import to end')
        self.assertEqual('failure', self.task(image_id)['status'])
        self.assertEqual('queued', self.row(image_id)['status'])
        self.assertEqual([], self.row(image_id)['locations'])
        self.assertEqual([], os.listdir(os.path.join(self.api.lib,
                                                     'staging')))
        self.assert_usable(image_id, b'uploaded after the hung import',
                           since=stopped_at)


class SlowLocationHashTest(ImportProbeTest):

    def test_a_hash_longer_than_its_lease_renews_it_and_completes(self):
        image_id = self.create_image()
        url = 'http://127.0.0.1:%d/disk' % self.source.server_port
        status, _, data = daemons.http(
            'POST', self.api.url + '/v2/images/%s/locations' % image_id,
            json.dumps({'url': url}).encode(),
            {'Content-Type': 'application/json',
             'X-Roles': 'admin,member,reader,service'})
        self.assertEqual(202, status, data)
        self.wait_until(lambda: self.task(image_id)['status'] ==
                        'processing', what='the hash task processing')
        first_lease = self.task(image_id)['lease_expires_at']
        # The source holds the data back for twice the lease and more
        # than one healer check: the task stays processing, renewed.
        held_until = time.time() + 2 * self.task_lease + base.CHECK_INTERVAL
        while time.time() < held_until:
            self.assertEqual('processing', self.task(image_id)['status'])
            time.sleep(0.2)
        self.assertGreater(self.task(image_id)['lease_expires_at'],
                           first_lease)
        self.source.go_on.set()
        self.wait_until(lambda: self.task(image_id)['status'] != 'processing',
                        what='the hash task to end')
        self.assertEqual('success', self.task(image_id)['status'])
        row = self.row(image_id)
        self.assertEqual(('active', hashlib.md5(test_v2_import.DATA)
                          .hexdigest(), [url]),
                         (row['status'], row['checksum'], row['locations']))
