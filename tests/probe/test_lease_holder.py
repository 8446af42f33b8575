"""Probe: the status change that ends an upload names its lease holder.
glance-api A is stopped (SIGSTOP) mid-upload past its lease; the registry
heals the image and a second upload, through glance-api B, takes it. When
A runs again, its upload can neither activate the image with its stale
data nor, failing late, flip the image that B's upload now holds: A gets
409 (or 408), its data is removed, and B's data is what downloads."""

import os
import signal
import socket
import time

import fixtures

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB
SIZE = 4 * MiB


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
        upload through B; returns A's socket, B's socket and B's data,
        with B holding the image (its first MiB sent)."""
        sock_a = self.start_upload(image_id, SIZE, 0)
        sock_a.sendall(b'a' * sent_by_a)
        self.wait_for_row_status(image_id, 'saving')
        self.assertEqual(self.api.port, self.holder_port())
        self.signal_daemon(self.api, signal.SIGSTOP)
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        api_b = self.second_api()
        data_b = os.urandom(SIZE)
        sock_b = self.start_upload(image_id, SIZE, 0, port=api_b.port)
        sock_b.sendall(data_b[:MiB])
        self.wait_for_row_status(image_id, 'saving')
        self.assertEqual(api_b.port, self.holder_port())
        return sock_a, sock_b, data_b, api_b

    def finish_b(self, image_id, sock_b, data_b, api_b, since):
        """B's upload is still the image's; it completes, and B's data is
        what downloads."""
        self.assertEqual('saving', self.row(image_id)['status'])
        self.assertEqual(api_b.port, self.holder_port())
        sock_b.sendall(data_b[MiB:])
        self.assertEqual('HTTP/1.1 204 No Content',
                         self.read_answer(sock_b).split('\r\n', 1)[0])
        self.assertEqual('active', self.row(image_id)['status'])
        self.assertEqual(data_b, self.download(image_id))
        self.report_usable(since)
        self.assert_no_orphans()

    def test_healed_upload_cannot_activate_with_stale_data(self):
        image_id = self.create_image()
        # All of A's body but its last byte: A is stopped before it reads
        # the rest, which the kernel keeps for it.
        sock_a, sock_b, data_b, api_b = self.take_over(image_id, SIZE - 1)
        sock_a.sendall(b'a')
        self.signal_daemon(self.api, signal.SIGCONT)
        continued = time.time()
        status = self.read_answer(sock_a).split('\r\n', 1)[0]
        self.assertTrue(status.startswith('HTTP/1.1 409') or
                        status.startswith('HTTP/1.1 5'), status)
        # A's data is gone: B's has not been written yet.
        self.assertEqual([], self.data_dir_entries())
        self.finish_b(image_id, sock_b, data_b, api_b, continued)

    def test_late_failure_does_not_flip_the_new_uploads_image(self):
        image_id = self.create_image()
        sock_a, sock_b, data_b, api_b = self.take_over(image_id, MiB)
        self.signal_daemon(self.api, signal.SIGCONT)
        continued = time.time()
        # A's upload learns its lease is lost, or its body stalls: it fails
        # and answers once its failure path (the image put back to queued
        # if still its own) has run.
        status = self.read_answer(sock_a).split('\r\n', 1)[0]
        self.assertTrue(status.startswith('HTTP/1.1 409') or
                        status.startswith('HTTP/1.1 408'), status)
        sock_a.shutdown(socket.SHUT_RDWR)
        self.assertEqual([], self.data_dir_entries())
        self.finish_b(image_id, sock_b, data_b, api_b, continued)
