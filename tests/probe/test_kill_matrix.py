"""Probe: the cells of the kill matrix the other modules leave out. A
parent killed with SIGKILL takes its workers along (PR_SET_PDEATHSIG), so
killing glance-api's parent kills every upload, download and delete its
workers were serving; killing glance-registry's parent leaves glance-api
without its registry. Each scenario restarts what died and proves the
image ends in a legal state, with byte-identical data and no orphans.

Covered elsewhere: glance-api (single process, one worker) and
glance-registry (single process, parent, one worker) killed mid-upload in
test_upload_faults and test_daemon_signals; glance-api (single process,
one worker) and glance-registry killed mid-delete in test_delete_faults;
glance-api and glance-registry (single process) killed mid-download in
test_download_faults.
"""

import time

from tests.probe import base
from tests.probe import test_delete_faults
from tests.probe import test_download_faults

MiB = base.MiB


class ApiParentDiesMidUploadTest(base.ProbeTest):
    api_workers = 2

    def test_killed_parent_mid_upload_heals_to_queued(self):
        workers = self.workers(self.api, 2)
        image_id = self.create_image()
        sock = self.start_upload(image_id, 64 * MiB, 4 * MiB)
        self.wait_for_row_status(image_id, 'saving')
        killed_at = self.kill_parent(self.api, workers)
        sock.close()
        self.assertEqual([], self.row(image_id)['locations'])
        self.assertEqual([], self.data_dir_entries())
        self.api.start()
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=killed_at)


class ApiParentDiesMidDownloadTest(test_download_faults.DownloadMixin,
                                   base.ProbeTest):
    api_workers = 2

    def test_killed_parent_mid_download_leaves_the_image_intact(self):
        workers = self.workers(self.api, 2)
        sock = self.start_download()
        killed_at = self.kill_parent(self.api, workers)
        # The client sees its download cut short, never a hang.
        self.assertLess(self.read_to_end(sock), test_download_faults.SIZE)
        self.api.start()
        self.assert_intact(killed_at)


class ApiWorkerDiesMidDownloadTest(test_download_faults.DownloadMixin,
                                   base.ProbeTest):
    api_workers = 1

    def test_killed_worker_mid_download_is_replaced_image_intact(self):
        [worker] = self.workers(self.api, 1)
        sock = self.start_download()
        self.kill_pid(worker)
        killed_at = time.time()
        self.assertLess(self.read_to_end(sock), test_download_faults.SIZE)
        self.wait_until(
            lambda: set(self.children(self.api.process.pid)) - {worker},
            what='a new worker')
        self.assert_intact(killed_at)


class RegistryParentDiesMidDownloadTest(test_download_faults.DownloadMixin,
                                        base.ProbeTest):
    registry_workers = 2

    def test_killed_registry_parent_mid_download_never_hangs(self):
        """The bytes flow without the registry: the download completes or
        ends, within the socket timeouts; the restarted registry serves."""
        workers = self.workers(self.registry, 2)
        sock = self.start_download()
        killed_at = self.kill_parent(self.registry, workers)
        received = self.read_to_end(sock)
        print('%s: download ended %.1f s after the kill with %d bytes'
              % (self.id(), time.time() - killed_at, received))
        self.registry.start()
        self.assert_intact(killed_at)


class ApiParentDiesMidDeleteTest(test_delete_faults.DeleteFaultsMixin,
                                 base.ProbeTest):
    api_workers = 1

    def test_killed_parent_mid_delete_then_delete_completes(self):
        image_id = self.upload_image()
        workers = self.workers(self.api, 1)
        sock, killed_at = self.kill_mid_delete(
            image_id, lambda: self.kill_parent(self.api, workers))
        self.assertTrue(self.closed_by_server(sock))
        self.api.start()
        self.assert_delete_completes(image_id, killed_at)


class RegistryParentDiesMidDeleteTest(test_delete_faults.DeleteFaultsMixin,
                                      base.ProbeTest):
    registry_workers = 2

    def test_killed_registry_parent_mid_delete_answers_503(self):
        image_id = self.upload_image()
        workers = self.workers(self.registry, 2)

        sock, killed_at = self.kill_mid_delete(
            image_id, lambda: self.kill_parent(self.registry, workers))
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 503'), head)
        self.registry.start()
        self.assert_delete_completes(image_id, killed_at)
