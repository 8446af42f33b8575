"""Probe: break glance-api, glance-registry or the client mid-download and
prove the image and its data are untouched."""

import socket
import time

from tests.probe import base

MiB = base.MiB
SIZE = 32 * MiB


class DownloadFaultsTest(base.ProbeTest):

    def setUp(self):
        super().setUp()
        self.image_id = self.create_image()
        self.data = bytes(range(256)) * (SIZE // 256)
        self.assertEqual(204, self.upload(self.image_id, self.data))

    def start_download(self):
        """Ask for the data and read only its first MiB; returns the
        socket."""
        sock = socket.create_connection(('127.0.0.1', self.api.port), 60)
        self.addCleanup(sock.close)
        # A small receive buffer so the server is still sending.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(('GET /v2/images/%s/file HTTP/1.1\r\n'
                      'Host: 127.0.0.1\r\n\r\n' % self.image_id).encode())
        received = 0
        while received < MiB:
            received += len(sock.recv(65536))
        return sock

    def assert_intact(self, since):
        row = self.row(self.image_id)
        self.assertEqual('active', row['status'])
        self.assertEqual(SIZE, row['size'])
        self.assertEqual(self.data, self.download(self.image_id))
        self.report_usable(since)
        self.assert_no_orphans()

    def test_client_gone_mid_download_leaves_the_image_intact(self):
        sock = self.start_download()
        sock.close()
        self.assert_intact(time.time())

    def test_killed_api_mid_download_leaves_the_image_intact(self):
        sock = self.start_download()
        self.api.kill()
        killed_at = time.time()
        sock.close()
        self.api.start()
        self.assert_intact(killed_at)


class V1UploadFaultsTest(base.ProbeTest):

    def test_stalled_v1_client_gets_408_and_image_is_killed(self):
        image_id = self.create_image('v1')
        sock = self.start_upload(image_id, 64 * MiB, MiB, 'v1')
        stalled_at = time.time()
        head = self.read_answer(sock)
        self.assertTrue(head.startswith('HTTP/1.1 408'), head)
        self.assertTrue(self.closed_by_server(sock))
        self.assertEqual('killed', self.row(image_id)['status'])
        self.assertEqual([], self.leases())
        self.report_usable(stalled_at)
        self.assert_no_orphans()
