"""Probe: break glance-api, glance-registry or the client mid-download and
prove the image and its data are untouched."""

import socket
import time

from tests.probe import base

MiB = base.MiB
SIZE = 32 * MiB


class DownloadMixin:
    """An active image of SIZE bytes, a download stopped after its first
    MiB, and the checks that the image came through intact."""

    def setUp(self):
        super().setUp()
        self.image_id = self.create_image()
        self.data = bytes(range(256)) * (SIZE // 256)
        self.assertEqual(204, self.upload(self.image_id, self.data))

    def start_download(self, receive_buffer=65536):
        """Ask for the data and read only its first MiB; returns the
        socket."""
        sock = socket.create_connection(('127.0.0.1', self.api.port), 60)
        self.addCleanup(sock.close)
        # A receive buffer small enough that the server is still sending
        # (the body is 32 MiB), large enough that the rest comes quickly
        # (4 KiB took half a minute for the first MiB on a busy machine).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                        receive_buffer)
        sock.sendall(('GET /v2/images/%s/file HTTP/1.1\r\n'
                      'Host: 127.0.0.1\r\n\r\n' % self.image_id).encode())
        data = b''
        while len(data) < MiB:
            data += sock.recv(65536)
        # What is left of the body once the head and what came are read.
        head = data.split(b'\r\n\r\n', 1)[0]
        self.body_left = SIZE - (len(data) - len(head) - 4)
        return sock

    def assert_intact(self, since):
        row = self.row(self.image_id)
        self.assertEqual('active', row['status'])
        self.assertEqual(SIZE, row['size'])
        self.assertEqual(self.data, self.download(self.image_id))
        self.report_usable(since)
        self.assert_no_orphans()

    def read_to_end(self, sock, timeout=60):
        """Read until the server closes the connection or has sent the
        whole body; fail if it stops sending for ``timeout`` seconds (a
        hung download). Returns the number of body bytes read."""
        sock.settimeout(timeout)
        received = SIZE - self.body_left
        while received < SIZE:
            try:
                chunk = sock.recv(1024 * 1024)
            except socket.timeout:
                self.fail('the download hung after %d bytes' % received)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += len(chunk)
        return received


class DownloadFaultsTest(DownloadMixin, base.ProbeTest):

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

    def test_killed_registry_mid_download_ends_never_hangs(self):
        """The registry is not needed once the bytes flow: the download
        completes (or ends with an error), within the socket timeouts."""
        sock = self.start_download()
        self.registry.kill()
        killed_at = time.time()
        received = self.read_to_end(sock)
        print('%s: download ended %.1f s after the kill with %d bytes'
              % (self.id(), time.time() - killed_at, received))
        self.assertLessEqual(received, SIZE)
        self.registry.start()
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
