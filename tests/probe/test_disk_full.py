"""Probe: the file store's disk fills up mid-upload. The store is a 20 MiB
tmpfs; an upload larger than that, over v2 and v1, with a Content-Length
and chunked, is answered 413 "Image storage media is full", the image goes
back to queued (v2) or killed (v1), nothing of it is left on the disk, the
space is free again, and a smaller upload afterwards works and reads back
byte-identical."""

import hashlib
import os
import socket
import threading
import time

from tests.probe import base
from tests.unit.store import helpers as store_helpers

MiB = base.MiB
TOO_BIG = 30 * MiB


class DiskFullTest(base.ProbeTest):

    def setUp(self):
        self.mount = self.useFixture(
            store_helpers.Tmpfs(self, size='20m')).path
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

    def disk_full(self, version, chunked):
        image_id = self.create_image(version)
        status, body = self.put(image_id, TOO_BIG, version, chunked)
        answered = time.time()
        self.assert_full_answer(status, body)
        self.wait_for_row_status(image_id,
                                 'killed' if version == 'v1' else 'queued')
        self.assertEqual([], self.row(image_id)['locations'])
        self.assert_space_back()
        # A smaller upload works: into the same image over v2, a new one
        # over v1 (killed is final).
        if version == 'v1':
            image_id = self.create_image(version)
        data = os.urandom(8 * MiB)
        self.assertEqual(200 if version == 'v1' else 204,
                         self.upload(image_id, data, version))
        self.assertEqual(hashlib.sha256(data).hexdigest(),
                         hashlib.sha256(self.download(image_id)).hexdigest())
        self.report_usable(answered)
        self.assert_no_orphans()

    def test_v2_upload_with_content_length(self):
        self.disk_full('v2', chunked=False)

    def test_v2_chunked_upload(self):
        self.disk_full('v2', chunked=True)

    def test_v1_upload_with_content_length(self):
        self.disk_full('v1', chunked=False)

    def test_v1_chunked_upload(self):
        self.disk_full('v1', chunked=True)
