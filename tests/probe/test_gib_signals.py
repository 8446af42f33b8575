"""Probe: SIGTERM and SIGHUP to glance-api during a 1 GiB upload. The
upload completes and its data is byte-identical; SIGTERM then exits 0
without traceback, and after SIGHUP the new workers serve downloads (the
workers each make an eventlet hub of their own after the fork: with the
parent's, inherited, downloads hung after a reload).

The data comes from a generator (a 1 MiB random block, numbered) hashed as
it is sent and read back a MiB at a time, so no test holds 1 GiB."""

import hashlib
import http.client
import os
import signal
import struct
import time

from tests.functional import daemons
from tests.probe import base
from tests.probe import test_daemon_signals

MiB = base.MiB
GiB = 1024 * MiB


class Payload:
    """``size`` bytes in 1 MiB blocks: one random block, each copy
    starting with its own index, so that a block lost, repeated or moved
    changes the digest."""

    def __init__(self, size):
        self.size = size
        self.block = os.urandom(MiB)
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5()

    def blocks(self, start=0, stop=None):
        """Blocks ``start`` to ``stop`` (indexes), hashed as they go."""
        stop = self.size // MiB if stop is None else stop
        for index in range(start, stop):
            block = struct.pack('>Q', index) + self.block[8:]
            self.sha256.update(block)
            self.md5.update(block)
            yield block


class GibSignalMixin(test_daemon_signals.SignalTestMixin):
    # A 1 GiB upload on two busy cores may take longer than the default
    # 60 s of grace: the test proves the upload completes, not how fast.
    api_overrides = {'DEFAULT': {'graceful_shutdown_timeout': 600}}

    def upload_gib_across(self, action, head=64):
        """PUT 1 GiB: send ``head`` MiB, wait for ``saving``, run
        ``action()``, send the rest; returns the image id, the answer's
        status line and the payload (with its digests)."""
        payload = Payload(GiB)
        image_id = self.create_image()
        sock = self.start_upload(image_id, payload.size, 0)
        for block in payload.blocks(0, head):
            sock.sendall(block)
        self.wait_for_row_status(image_id, 'saving')
        action()
        for block in payload.blocks(head):
            sock.sendall(block)
        status = self.read_answer(sock, timeout=300).split('\r\n', 1)[0]
        return image_id, status, payload

    def assert_stored(self, image_id, payload):
        """The image is active and its file holds exactly the payload."""
        row = self.row(image_id)
        self.assertEqual('active', row['status'])
        self.assertEqual(GiB, row['size'])
        self.assertEqual(payload.md5.hexdigest(), row['checksum'])
        path = row['locations'][0][len('file://'):]
        self.assertEqual(payload.sha256.hexdigest(), self.file_digest(path))

    def download_digest(self, image_id):
        """The sha256 of a download of the image, read a MiB at a time."""
        conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                          timeout=60)
        self.addCleanup(conn.close)
        conn.request('GET', '/v2/images/%s/file' % image_id)
        resp = conn.getresponse()
        self.assertEqual(200, resp.status)
        digest = hashlib.sha256()
        for block in iter(lambda: resp.read(MiB), b''):
            digest.update(block)
        return digest.hexdigest()

    def sigterm_during_a_gib_upload(self):
        signalled = []

        def terminate():
            os.kill(self.api.process.pid, signal.SIGTERM)
            signalled.append(time.time())

        image_id, status, payload = self.upload_gib_across(terminate)
        self.assertEqual('HTTP/1.1 204 No Content', status)
        self.assertEqual(0, self.api.process.wait(90))
        self.assert_stored(image_id, payload)
        self.assertEqual([], self.leases())
        self.assert_clean_log(self.api)
        self.assert_no_orphans()
        self.report_usable(signalled[0])


class ApiWorkersGibSignalTest(GibSignalMixin, base.ProbeTest):
    api_workers = 2

    def test_sigterm_during_a_gib_upload_lets_it_complete(self):
        self.sigterm_during_a_gib_upload()

    def test_sighup_during_a_gib_upload_then_downloads_work(self):
        before = set(self.workers(self.api, 2))
        reloaded = []

        def reload():
            os.kill(self.api.process.pid, signal.SIGHUP)
            reloaded.append(time.time())
            self.wait_until(
                lambda: len(set(self.children(self.api.process.pid)) -
                            before) == 2,
                what='new workers')

        image_id, status, payload = self.upload_gib_across(reload)
        self.assertEqual('HTTP/1.1 204 No Content', status)
        self.assert_stored(image_id, payload)
        self.wait_until(lambda: not any(map(self.alive, before)),
                        what='old workers gone')
        # The new workers serve: the whole image, byte-identical.
        self.assertEqual(payload.sha256.hexdigest(),
                         self.download_digest(image_id))
        self.report_usable(reloaded[0])
        self.assertIsNone(self.api.process.poll())
        self.assert_clean_log(self.api)
        self.assert_no_orphans()


class ApiSingleProcessGibSignalTest(GibSignalMixin, base.ProbeTest):

    def test_sigterm_during_a_gib_upload_lets_it_complete(self):
        self.sigterm_during_a_gib_upload()


class ApiWorkersReloadTest(GibSignalMixin, base.ProbeTest):
    api_workers = 2

    def test_retiring_workers_leave_the_new_ones_accepting(self):
        """The old workers stop accepting only once the new ones wait in
        accept() (the old ones are stopped across the reload): with one
        epoll shared by all, the old ones' farewell removed the listening
        socket from the new ones' hub and every request then hung."""
        image_id = self.create_image()
        self.assertEqual(204, self.upload(image_id, b'z' * MiB))
        before = set(self.workers(self.api, 2))
        for pid in before:
            os.kill(pid, signal.SIGSTOP)
            self.addCleanup(self._continue, pid)
        os.kill(self.api.process.pid, signal.SIGHUP)
        self.wait_until(
            lambda: len(set(self.children(self.api.process.pid)) -
                        before) == 2,
            what='new workers')
        # Only the new workers can answer now; a few requests so that both
        # wait in accept() again.
        for _ in range(4):
            self.assertEqual(200, daemons.http(
                'GET', self.api.url + '/v2/images/%s' % image_id,
                timeout=60)[0])
        for pid in before:
            os.kill(pid, signal.SIGCONT)
        continued = time.time()
        self.wait_until(lambda: not any(map(self.alive, before)),
                        what='old workers gone')
        for _ in range(4):
            self.assertEqual(b'z' * MiB, self.download(image_id))
        self.report_usable(continued)
        self.assert_clean_log(self.api)
