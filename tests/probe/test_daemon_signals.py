"""Probe: daemons that live and die cleanly. SIGTERM lets requests in
flight finish and exits 0; SIGHUP reloads the configuration and restarts
the workers without cutting an upload; kill -9 of a parent takes its
workers along, so a restart never finds an old generation serving."""

import os
import signal
import time

from tests.probe import base

MiB = base.MiB


class SignalTestMixin:

    def signal_and_wait(self, daemon, sig, timeout=90):
        os.kill(daemon.process.pid, sig)
        return daemon.process.wait(timeout)

    def assert_clean_log(self, daemon):
        log = daemon.log_text(tail=10 ** 6)
        self.assertNotIn('Traceback', log)
        self.assertNotIn('do not call blocking functions', log)

    def upload_across(self, action, size=8 * MiB):
        """Start an upload, run ``action()`` mid-way, send the rest; returns
        the image id and the answer's status line."""
        image_id = self.create_image()
        sock = self.start_upload(image_id, size, MiB)
        self.wait_for_row_status(image_id, 'saving')
        action()
        sock.sendall(b'x' * (size - MiB))
        head = self.read_answer(sock)
        return image_id, head.split('\r\n', 1)[0]

    def sigterm_during_an_upload(self):
        """SIGTERM glance-api mid-upload: the upload completes, the
        process exits 0; returns the image id."""
        image_id, status = self.upload_across(
            lambda: os.kill(self.api.process.pid, signal.SIGTERM))
        self.assertEqual('HTTP/1.1 204 No Content', status)
        self.assertEqual(0, self.api.process.wait(90))
        self.assertEqual('active', self.row(image_id)['status'])
        self.assertEqual([], self.leases())
        self.assert_clean_log(self.api)
        self.assert_no_orphans()
        return image_id


class ApiWorkersSignalTest(SignalTestMixin, base.ProbeTest):
    api_workers = 2

    def test_sigterm_exits_0_without_traceback(self):
        workers = self.workers(self.api, 2)
        self.assertEqual(0, self.signal_and_wait(self.api, signal.SIGTERM))
        self.wait_until(lambda: not any(map(self.alive, workers)),
                        what='workers gone')
        self.assert_clean_log(self.api)

    def test_sigterm_during_an_upload_lets_it_complete(self):
        image_id = self.sigterm_during_an_upload()
        self.api.start()
        self.assertEqual(b'x' * 8 * MiB, self.download(image_id))
        self.assert_no_orphans()

    def test_sighup_during_an_upload_lets_it_complete(self):
        before = set(self.workers(self.api, 2))

        def reload():
            os.kill(self.api.process.pid, signal.SIGHUP)
            self.wait_until(
                lambda: len(set(self.children(self.api.process.pid)) -
                            before) == 2,
                what='new workers')

        image_id, status = self.upload_across(reload)
        self.assertEqual('HTTP/1.1 204 No Content', status)
        self.assertEqual('active', self.row(image_id)['status'])
        # The old workers finished and left; the new ones serve.
        self.wait_until(lambda: not any(map(self.alive, before)),
                        what='old workers gone')
        self.assertEqual(len(self.download(image_id)), 8 * MiB)
        self.assertIsNone(self.api.process.poll())
        self.assert_clean_log(self.api)
        self.assert_no_orphans()

    def test_sighup_applies_a_changed_option(self):
        image_id = self.create_image()
        with open(self.api.conf_path) as f:
            text = f.read()
        with open(self.api.conf_path, 'w') as f:
            f.write(text.replace('[DEFAULT]\n',
                                 '[DEFAULT]\nimage_size_cap = 100\n', 1))
        before = set(self.workers(self.api, 2))
        os.kill(self.api.process.pid, signal.SIGHUP)
        self.wait_until(lambda: not any(map(self.alive, before)),
                        what='old workers gone')
        self.assertEqual(413, self.upload(image_id, b'y' * 1000))
        self.assertEqual('queued', self.row(image_id)['status'])
        self.assertEqual(204, self.upload(image_id, b'y' * 100))

    def test_killed_parent_takes_its_workers_along(self):
        workers = self.workers(self.api, 2)
        self.api.kill_parent_only()
        self.wait_until(lambda: not any(map(self.alive, workers)),
                        what='workers gone with their parent')
        self.api.start()
        self.assertFalse(any(map(self.alive, workers)))
        image_id = self.create_image()
        self.assert_usable(image_id)


class ApiSingleProcessSignalTest(SignalTestMixin, base.ProbeTest):

    def test_sigterm_during_an_upload_lets_it_complete(self):
        self.sigterm_during_an_upload()

    def test_sighup_does_not_stop_a_single_process(self):
        os.kill(self.api.process.pid, signal.SIGHUP)
        image_id = self.create_image()
        self.assert_usable(image_id)
        self.assertIsNone(self.api.process.poll())


class RegistryWorkersSignalTest(SignalTestMixin, base.ProbeTest):
    registry_workers = 2

    def test_registry_sigterm_exits_0_without_traceback(self):
        self.assertEqual(0, self.signal_and_wait(self.registry,
                                                 signal.SIGTERM))
        self.assert_clean_log(self.registry)

    def test_killed_registry_parent_mid_upload_heals(self):
        workers = self.workers(self.registry, 2)

        def kill_parent():
            self.registry.kill_parent_only()
            self.wait_until(lambda: not any(map(self.alive, workers)),
                            what='registry workers gone')

        image_id, status = self.upload_across(kill_parent)
        killed_at = time.time()
        self.assertTrue(status.startswith('HTTP/1.1 503'), status)
        self.assertEqual([], self.data_dir_entries())
        self.registry.start()
        self.wait_for_row_status(image_id, 'queued')
        self.assert_usable(image_id, since=killed_at)
