"""Probe: break glance-api, glance-registry or the client mid-upload and
prove the image heals (back to queued for v2, killed for v1) with no data
left behind, and that a second upload then works."""

import os
import signal
import threading
import time

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB


class ApiDiesMidUploadTest(base.ProbeTest):

    def test_killed_api_v2_image_heals_to_queued_then_uploads(self):
        image_id, killed_at = self.kill_api_mid_upload('v2')
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.api.start()
        self.assert_usable(image_id, b'v2 data', since=killed_at)

    def test_killed_api_v1_image_heals_to_killed(self):
        image_id, killed_at = self.kill_api_mid_upload('v1')
        self.wait_for_row_status(image_id, 'killed')
        self.report_usable(killed_at)
        self.assertEqual([], self.leases())
        self.assertEqual({'status': 'killed', 'size': None,
                          'checksum': None, 'deleted': False,
                          'locations': []}, self.row(image_id))
        self.assert_no_orphans()

    def test_image_saving_while_api_is_down_can_be_deleted(self):
        image_id, _ = self.kill_api_mid_upload('v2')
        self.api.start()
        status, _, body = daemons.http(
            'DELETE', self.api.url + '/v2/images/%s' % image_id)
        self.assertEqual(204, status, body)
        self.assertTrue(self.row(image_id)['deleted'])
        self.assertEqual([], self.leases())
        self.assert_no_orphans()


class ApiRestartReleasesLeasesTest(base.ProbeTest):
    # A lease far longer than the test waits: only the restarted
    # glance-api's release can heal the image in time.
    lease = 600

    def test_restarted_api_releases_its_previous_leases_at_once(self):
        image_id = self.create_image()
        other = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 1 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        self.api.kill()
        killed_at = time.time()
        sock.close()
        self.api.start()
        self.wait_for_row_status(image_id, 'queued', timeout=60)
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=killed_at)
        self.assertEqual('queued', self.row(other)['status'])


class ApiWorkerDiesMidUploadTest(base.ProbeTest):
    api_workers = 1

    def test_killed_worker_is_replaced_and_image_heals(self):
        image_id = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 2 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        [worker] = self.children(self.api.process.pid)
        self.kill_pid(worker)
        killed_at = time.time()
        sock.close()
        self.wait_for_row_status(image_id, 'queued')
        self.wait_until(lambda: len(self.children(self.api.process.pid)) == 1,
                        what='a new worker')
        self.assert_usable(image_id, since=killed_at)


class ClientFaultsTest(base.ProbeTest):

    def test_stalled_client_gets_408_closes_and_image_is_queued(self):
        image_id = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 1 * MiB)
        stalled_at = time.time()
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 408'), head)
        self.assertIn('connection: close', head.lower())
        # The server closed the connection rather than wait for the rest.
        self.assertTrue(self.closed_by_server(sock))
        self.assertEqual('queued', self.row(image_id)['status'])
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=stalled_at)

    def test_client_gone_mid_upload_leaves_image_queued(self):
        image_id = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 4 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        sock.close()
        gone_at = time.time()
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=gone_at)

    def test_slow_upload_longer_than_its_lease_completes(self):
        image_id = self.create_image()
        pieces = 8
        sock = self.start_upload(image_id, pieces * 1024, 0)
        # Each piece comes well within the per-read deadline, the whole
        # upload takes more than twice the lease: renewals keep it.
        for _ in range(pieces):
            time.sleep(self.lease / 3.0)
            sock.sendall(b's' * 1024)
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 204'), head)
        self.assertEqual(b's' * pieces * 1024, self.download(image_id))
        self.assertEqual([], self.leases())
        self.assert_no_orphans()

    def test_two_concurrent_uploads_one_wins(self):
        image_id = self.create_image()
        results = []
        data = {0: b'a' * MiB, 1: b'b' * MiB}

        def upload(n):
            results.append((n, self.upload(image_id, data[n])))

        threads = [threading.Thread(target=upload, args=(n,))
                   for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(status for _, status in results)
        self.assertEqual([204, 409], statuses)
        [winner] = [n for n, status in results if status == 204]
        self.assertEqual(data[winner], self.download(image_id))
        self.assertEqual([], self.leases())
        self.assert_no_orphans()

    def test_upload_racing_delete_leaves_no_data(self):
        image_id = self.create_image()
        size = 8 * MiB
        sock = self.start_upload(image_id, size, MiB)
        self.wait_for_row_status(image_id, 'saving')
        status, _, body = daemons.http(
            'DELETE', self.api.url + '/v2/images/%s' % image_id)
        self.assertEqual(204, status, body)
        self.assertEqual([], self.leases())
        sock.sendall(b'x' * (size - MiB))
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 410'), head)
        self.assertTrue(self.row(image_id)['deleted'])
        self.assert_no_orphans()


class RegistryDiesMidUploadTest(base.ProbeTest):

    def test_killed_registry_answers_503_and_image_heals(self):
        image_id = self.create_image()
        size = 16 * MiB
        sock = self.start_upload(image_id, size, 4 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        self.registry.kill()
        killed_at = time.time()
        sock.sendall(b'x' * (size - 4 * MiB))
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 503'), head)
        # The bytes reached the store, but with no registry to record
        # them they must not stay behind as an orphan.
        self.assertEqual([], self.data_dir_entries())
        self.registry.start()
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=killed_at)

    def test_stopped_registry_answers_503_within_the_client_timeout(self):
        image_id = self.create_image()
        self.signal_daemon(self.registry, signal.SIGSTOP)
        stopped_at = time.time()
        status, _, body = daemons.http(
            'GET', self.api.url + '/v2/images/%s' % image_id, timeout=60)
        self.assertEqual(503, status, body)
        self.assertIn(b'registry is unavailable', body.lower())
        self.assertNotIn(str(self.registry.port).encode(), body)
        self.signal_daemon(self.registry, signal.SIGCONT)
        self.assert_usable(image_id, since=stopped_at)


class RegistryRestartMidUploadTest(base.ProbeTest):
    # Longer than a registry restart takes: the lease survives it.
    lease = 60

    def test_upload_completes_across_a_registry_restart(self):
        image_id = self.create_image()
        size = 16 * MiB
        sock = self.start_upload(image_id, size, 4 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        self.registry.kill()
        self.registry.start()
        sock.sendall(b'y' * (size - 4 * MiB))
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 204'), head)
        self.assertEqual(b'y' * (size - 4 * MiB),
                         self.download(image_id)[4 * MiB:])
        self.assertEqual([], self.leases())
        self.assert_no_orphans()


class RegistryWorkersTest(base.ProbeTest):
    registry_workers = 2

    def test_several_registry_workers_heal_a_lease_once(self):
        image_id, killed_at = self.kill_api_mid_upload('v2')
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.api.start()
        self.assert_usable(image_id, since=killed_at)

    def test_killed_registry_worker_is_replaced_and_upload_state_legal(self):
        image_id = self.create_image()
        size = 8 * MiB
        sock = self.start_upload(image_id, size, MiB)
        self.wait_for_row_status(image_id, 'saving')
        for worker in self.children(self.registry.process.pid):
            os.kill(worker, signal.SIGKILL)
        killed_at = time.time()
        self.wait_until(
            lambda: len(self.children(self.registry.process.pid)) == 2,
            what='new registry workers')
        sock.sendall(b'z' * (size - MiB))
        head = self.read_answer(sock)
        # The pooled connection to a dead worker may fail the activation
        # (503): then the image heals; else the upload completed.
        self.assertTrue(head.startswith(('HTTP/1.1 204', 'HTTP/1.1 503')),
                        head)
        if head.startswith('HTTP/1.1 503'):
            self.wait_for_row_status(image_id, 'queued')
            self.assert_usable(image_id, since=killed_at)
        else:
            self.assertEqual('active', self.row(image_id)['status'])
            self.report_usable(killed_at)
        self.assert_no_orphans()
