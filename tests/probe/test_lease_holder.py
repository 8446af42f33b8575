"""Probe: the status change that ends an upload names its lease holder.
glance-api A is stopped (SIGSTOP) mid-upload past its lease; the registry
heals the image and a second upload, through glance-api B, takes it. When
A runs again, its upload can neither activate the image with its stale
data nor, failing late, flip the image that B's upload now holds: A gets
409 (or 408: its read deadline passed while it was stopped), its data
is removed, and B's data is what downloads."""

import os
import signal
import socket
import threading
import time

import fixtures

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB
SIZE = 4 * MiB


class Trickle:
    """An upload's body sent on ``sock``: its first MiB at once, then a
    few KiB every tenth of a second (so its glance-api's read deadline
    never passes while the test waits for the other upload) until
    :meth:`finish` sends the rest."""

    def __init__(self, data, sock):
        self.data = data
        self.sock = sock
        self.sent = MiB
        self.done = threading.Event()
        sock.sendall(data[:MiB])
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self):
        try:
            while not self.done.wait(0.1) and \
                    self.sent < len(self.data) // 2:
                self.sock.sendall(self.data[self.sent:self.sent + 4096])
                self.sent += 4096
        except OSError:
            pass  # the server answered and closed: the test says why

    def stop(self):
        self.done.set()
        self.thread.join(60)

    def finish(self):
        """Send the rest; returns the socket."""
        self.stop()
        self.sock.sendall(self.data[self.sent:])
        return self.sock


class LeaseHolderTest(base.ProbeTest):

    def second_api(self):
        """glance-api B: same registry and store, a port of its own (so
        a holder of its own)."""
        root = self.useFixture(fixtures.TempDir()).path
        return self.useFixture(daemons.Api(
            self.registry, root=root, overrides={
                'DEFAULT': {'upload_lease_timeout': self.lease,
                            'registry_client_timeout': 5},
                'glance_store': {'filesystem_store_datadir':
                                 self.data_dir}}))

    def holder_port(self):
        """The port of the glance-api that holds the only lease."""
        leases = self.leases()
        self.assertEqual(1, len(leases), leases)
        return int(leases[0][1].split('/', 1)[0].rsplit(':', 1)[1])

    def take_over(self, image_id, sent_by_a):
        """Upload through A (``sent_by_a`` bytes sent), stop A past its
        lease until the registry heals the image, then start a second
        upload through B; returns A's socket, B's upload (its first MiB
        sent, then a trickle) and B, with B holding the image."""
        sock_a = self.start_upload(image_id, SIZE, 0)
        sock_a.sendall(b'a' * sent_by_a)
        self.wait_for_row_status(image_id, 'saving')
        self.assertEqual(self.api.port, self.holder_port())
        self.signal_daemon(self.api, signal.SIGSTOP)
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        api_b = self.second_api()
        upload_b = Trickle(os.urandom(SIZE),
                           self.start_upload(image_id, SIZE, 0,
                                             port=api_b.port))
        self.addCleanup(upload_b.stop)
        self.wait_for_row_status(image_id, 'saving')
        self.assertEqual(api_b.port, self.holder_port())
        return sock_a, upload_b, api_b

    def finish_b(self, image_id, upload_b, api_b, since):
        """B's upload is still the image's; it completes, and B's data is
        what downloads."""
        self.assertEqual('saving', self.row(image_id)['status'])
        self.assertEqual(api_b.port, self.holder_port())
        sock_b = upload_b.finish()
        self.assertEqual('HTTP/1.1 204 No Content',
                         self.read_answer(sock_b).split('\r\n', 1)[0])
        self.assertEqual('active', self.row(image_id)['status'])
        self.assertEqual(upload_b.data, self.download(image_id))
        self.report_usable(since)
        self.assert_no_orphans()

    def test_healed_upload_cannot_activate_with_stale_data(self):
        image_id = self.create_image()
        # All of A's body but its last byte: A is stopped before it reads
        # the rest, which the kernel keeps for it.
        sock_a, upload_b, api_b = self.take_over(image_id, SIZE - 1)
        sock_a.sendall(b'a')
        self.signal_daemon(self.api, signal.SIGCONT)
        continued = time.time()
        # Whichever A notices first: the activation the registry refuses
        # (409), the lease its renewal found lost (409), or its read
        # deadline, which passed while it was stopped (408).
        status = self.read_answer(sock_a).split('\r\n', 1)[0]
        self.assertIn(status[:12], ('HTTP/1.1 409', 'HTTP/1.1 408'), status)
        # A's data is gone: B's has not been written yet.
        self.assertEqual([], self.data_dir_entries())
        self.finish_b(image_id, upload_b, api_b, continued)

    def test_late_failure_does_not_flip_the_new_uploads_image(self):
        image_id = self.create_image()
        sock_a, upload_b, api_b = self.take_over(image_id, MiB)
        self.signal_daemon(self.api, signal.SIGCONT)
        continued = time.time()
        # A's upload learns its lease is lost, or its body stalls: it fails
        # and answers once its failure path (the image put back to queued
        # if still its own) has run.
        status = self.read_answer(sock_a).split('\r\n', 1)[0]
        self.assertIn(status[:12], ('HTTP/1.1 409', 'HTTP/1.1 408'), status)
        sock_a.shutdown(socket.SHUT_RDWR)
        self.assertEqual([], self.data_dir_entries())
        self.finish_b(image_id, upload_b, api_b, continued)
