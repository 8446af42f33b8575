"""Probe: the file store's disk fills up mid-upload. The store is a 20 MiB
tmpfs; an upload larger than that, over v2 and v1, with a Content-Length
and chunked, is answered 413 "Image storage media is full", the image goes
back to queued (v2) or killed (v1), nothing of it is left on the disk, the
space is free again, and a smaller upload afterwards works and reads back
byte-identical."""

import hashlib
import os
import socket
import subprocess
import threading
import time

import fixtures

from tests.probe import base

MiB = base.MiB
STORE_SIZE = 20 * MiB
TOO_BIG = 30 * MiB


class DiskFullTest(base.ProbeTest):

    def setUp(self):
        self.mount = self.useFixture(fixtures.TempDir()).path
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=20m', 'tmpfs',
                        self.mount], check=True)
        self.addCleanup(subprocess.run, ['umount', self.mount], check=True)
        self.api_overrides = {'glance_store': {
            'filesystem_store_datadir': self.mount}}
        super().setUp()
        self.data_dir = self.mount
        self.free_at_start = self.free_space()

    def free_space(self):
        st = os.statvfs(self.mount)
        return st.f_bavail * st.f_frsize

    def put(self, image_id, size, version, chunked):
        """PUT ``size`` bytes (``x``), sent by a thread while this one reads
        the answer (the server may answer before the body is all sent);
        returns the status code and the answer's body."""
        path = ('/v1/images/%s' % image_id if version == 'v1'
                else '/v2/images/%s/file' % image_id)
        sock = socket.create_connection(('127.0.0.1', self.api.port), 60)
        self.addCleanup(sock.close)
        framing = ('Transfer-Encoding: chunked' if chunked
                   else 'Content-Length: %d' % size)
        sock.sendall(('PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                      'Content-Type: application/octet-stream\r\n'
                      '%s\r\n\r\n' % (path, framing)).encode())

        def send():
            block = b'x' * MiB
            try:
                for _ in range(size // MiB):
                    sock.sendall(b'%x\r\n%s\r\n' % (MiB, block) if chunked
                                 else block)
                if chunked:
                    sock.sendall(b'0\r\n\r\n')
            except OSError:
                pass  # the server answered and closed: that is the point

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = self.read_whole_answer(sock)
        sender.join(60)
        status = int(answer.split(b' ', 2)[1])
        return status, answer.split(b'\r\n\r\n', 1)[1]

    @staticmethod
    def read_whole_answer(sock):
        """Head and body (by its Content-Length) of the answer on
        ``sock``."""
        sock.settimeout(60)
        data = b''
        while True:
            if b'\r\n\r\n' in data:
                head, body = data.split(b'\r\n\r\n', 1)
                length = 0
                for line in head.split(b'\r\n')[1:]:
                    name, _, value = line.partition(b':')
                    if name.strip().lower() == b'content-length':
                        length = int(value)
                if len(body) >= length:
                    return data
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b''
            if not chunk:
                return data
            data += chunk

    def assert_full_answer(self, status, body):
        self.assertEqual(413, status, body)
        self.assertIn(b'Image storage media is full', body)

    def assert_space_back(self):
        self.assertEqual([], self.data_dir_entries())
        self.assertEqual(self.free_at_start, self.free_space())

    def smaller_upload_works(self, version, since):
        data = os.urandom(8 * MiB)
        image_id = self.create_image(version)
        if version == 'v1':
            self.assertEqual(200, self.upload(image_id, data, 'v1'))
        else:
            self.assertEqual(204, self.upload(image_id, data))
        self.assertEqual(hashlib.sha256(data).hexdigest(),
                         hashlib.sha256(self.download(image_id)).hexdigest())
        self.report_usable(since)
        self.assert_no_orphans()
        return image_id

    def v2_disk_full(self, chunked):
        image_id = self.create_image()
        status, body = self.put(image_id, TOO_BIG, 'v2', chunked)
        answered = time.time()
        self.assert_full_answer(status, body)
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.row(image_id)['locations'])
        self.assert_space_back()
        # The same image takes a smaller upload.
        data = os.urandom(8 * MiB)
        self.assertEqual(204, self.upload(image_id, data))
        self.assertEqual(hashlib.sha256(data).hexdigest(),
                         hashlib.sha256(self.download(image_id)).hexdigest())
        self.report_usable(answered)
        self.assert_no_orphans()

    def v1_disk_full(self, chunked):
        image_id = self.create_image('v1')
        status, body = self.put(image_id, TOO_BIG, 'v1', chunked)
        answered = time.time()
        self.assert_full_answer(status, body)
        self.wait_for_row_status(image_id, 'killed')
        self.assertEqual([], self.row(image_id)['locations'])
        self.assert_space_back()
        self.smaller_upload_works('v1', answered)

    def test_v2_upload_with_content_length(self):
        self.v2_disk_full(chunked=False)

    def test_v2_chunked_upload(self):
        self.v2_disk_full(chunked=True)

    def test_v1_upload_with_content_length(self):
        self.v1_disk_full(chunked=False)

    def test_v1_chunked_upload(self):
        self.v1_disk_full(chunked=True)
