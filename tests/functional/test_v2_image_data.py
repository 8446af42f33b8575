"""Image API v2 image data against real glance-registry and glance-api:
PUT/GET /v2/images/{image_id}/file, with the bytes on disk checked."""

import hashlib
import http.client
import json
import os
import random
import socket
import threading
import time

from tests.functional import base
from tests.functional import daemons

MiB = 1024 * 1024
OCTET = {'Content-Type': 'application/octet-stream'}


def data_chunks(size, seed, chunk_size=MiB):
    """Deterministic pseudo-random bytes, generated a chunk at a time."""
    rng = random.Random(seed)
    left = size
    while left:
        count = min(chunk_size, left)
        left -= count
        yield rng.randbytes(count)


def digests(size, seed):
    md5, sha512 = hashlib.md5(), hashlib.sha512()
    for chunk in data_chunks(size, seed):
        md5.update(chunk)
        sha512.update(chunk)
    return md5.hexdigest(), sha512.hexdigest()


class ImageDataTestCase(base.ServerTestCase):

    def connect(self, timeout=120):
        conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                          timeout=timeout)
        self.addCleanup(conn.close)
        return conn

    def create_image(self, **values):
        body = {'name': 'image-data-test', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        status, _, image = self.request_json('POST', '/v2/images', body)
        self.assertEqual(201, status, image)
        return image

    def show_image(self, image_id):
        status, _, image = self.request_json('GET',
                                             '/v2/images/%s' % image_id)
        self.assertEqual(200, status, image)
        return image

    def upload(self, image_id, data, headers=OCTET):
        return self.request('PUT', '/v2/images/%s/file' % image_id, data,
                            headers)

    def stream_upload(self, image_id, chunks, size=None, headers=OCTET):
        """PUT an iterable of chunks, with Content-Length when ``size`` is
        given, chunked transfer otherwise; returns (status, body)."""
        conn = self.connect()
        headers = dict(headers)
        if size is not None:
            headers['Content-Length'] = str(size)
        conn.request('PUT', '/v2/images/%s/file' % image_id, body=chunks,
                     headers=headers, encode_chunked=size is None)
        response = conn.getresponse()
        return response.status, response.read()

    def raw_request(self, head, body=b''):
        """Send ``head`` (and ``body``) on a raw socket, then read the
        response head; for clients that stop sending half-way."""
        sock = socket.create_connection(('127.0.0.1', self.api.port), 30)
        self.addCleanup(sock.close)
        sock.sendall(head.encode() + body)
        return sock

    def wait_for_status(self, image_id, wanted, timeout=15):
        deadline = time.time() + timeout
        while True:
            status = self.show_image(image_id)['status']
            if status == wanted or time.time() > deadline:
                return status
            time.sleep(0.05)

    def data_dir_entries(self):
        path = os.path.join(self.api.lib, 'images')
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def assert_no_data_for(self, image_id):
        self.assertEqual([], [name for name in self.data_dir_entries()
                              if image_id in name or name.startswith('.')])


class TestImageData(ImageDataTestCase):

    def test_upload_and_download_100_mib_keep_md5_and_sha512(self):
        size, seed = 100 * MiB, 'hundred'
        md5, sha512 = digests(size, seed)
        image = self.create_image()

        status, body = self.stream_upload(image['id'],
                                          data_chunks(size, seed), size)
        self.assertEqual(204, status, body)

        shown = self.show_image(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual(size, shown['size'])
        self.assertEqual(md5, shown['checksum'])
        self.assertEqual('sha512', shown['os_hash_algo'])
        self.assertEqual(sha512, shown['os_hash_value'])
        stored = os.path.join(self.api.lib, 'images', image['id'])
        self.assertEqual(size, os.path.getsize(stored))

        conn = self.connect()
        conn.request('GET', '/v2/images/%s/file' % image['id'])
        response = conn.getresponse()
        self.assertEqual(200, response.status)
        self.assertEqual('application/octet-stream',
                         response.getheader('Content-Type'))
        self.assertEqual(str(size), response.getheader('Content-Length'))
        self.assertEqual(md5, response.getheader('Content-MD5'))
        got_md5, got_sha512, received = hashlib.md5(), hashlib.sha512(), 0
        while True:
            chunk = response.read(MiB)
            if not chunk:
                break
            received += len(chunk)
            got_md5.update(chunk)
            got_sha512.update(chunk)
        self.assertEqual(size, received)
        self.assertEqual(md5, got_md5.hexdigest())
        self.assertEqual(sha512, got_sha512.hexdigest())

    def test_chunked_upload_stores_the_decoded_bytes(self):
        size, seed = 3 * MiB + 17, 'chunked'
        md5, sha512 = digests(size, seed)
        image = self.create_image()
        status, body = self.stream_upload(
            image['id'], data_chunks(size, seed, chunk_size=100000))
        self.assertEqual(204, status, body)
        shown = self.show_image(image['id'])
        self.assertEqual(('active', size, md5, sha512),
                         (shown['status'], shown['size'], shown['checksum'],
                          shown['os_hash_value']))

    def test_empty_upload_makes_an_active_image_of_size_zero(self):
        image = self.create_image()
        status, _, body = self.upload(image['id'], b'')
        self.assertEqual(204, status, body)
        shown = self.show_image(image['id'])
        self.assertEqual(('active', 0, hashlib.md5(b'').hexdigest()),
                         (shown['status'], shown['size'], shown['checksum']))
        status, headers, body = self.request(
            'GET', '/v2/images/%s/file' % image['id'])
        self.assertEqual((200, b''), (status, body))

    def test_download_of_image_without_data_is_204(self):
        image = self.create_image()
        status, _, body = self.request('GET',
                                       '/v2/images/%s/file' % image['id'])
        self.assertEqual(204, status)
        self.assertEqual(b'', body)

    def test_download_of_unknown_image_is_404(self):
        status, _, _ = self.request(
            'GET', '/v2/images/00000000-0000-0000-0000-000000000000/file')
        self.assertEqual(404, status)

    def test_upload_to_unknown_image_is_404(self):
        status, _, _ = self.upload('00000000-0000-0000-0000-000000000000',
                                   b'data')
        self.assertEqual(404, status)

    def test_upload_with_other_content_type_is_415_and_keeps_queued(self):
        image = self.create_image()
        status, _, body = self.upload(image['id'], b'data',
                                      {'Content-Type': 'application/json'})
        self.assertEqual(415, status, body)
        self.assertIn('message', json.loads(body))
        self.assertEqual('queued', self.show_image(image['id'])['status'])

    def test_upload_without_formats_is_400_and_keeps_queued(self):
        status, _, image = self.request_json('POST', '/v2/images',
                                             {'name': 'no formats'})
        self.assertEqual(201, status, image)
        status, _, body = self.upload(image['id'], b'data')
        self.assertEqual(400, status, body)
        self.assertIn('disk_format', json.loads(body)['message'])
        self.assertEqual('queued', self.show_image(image['id'])['status'])

    def test_second_upload_to_active_image_is_409_and_keeps_first_data(self):
        image = self.create_image()
        self.assertEqual(204, self.upload(image['id'], b'first')[0])
        status, _, body = self.upload(image['id'], b'second upload')
        self.assertEqual(409, status, body)
        shown = self.show_image(image['id'])
        self.assertEqual(('active', 5, hashlib.md5(b'first').hexdigest()),
                         (shown['status'], shown['size'], shown['checksum']))
        status, _, data = self.request('GET',
                                       '/v2/images/%s/file' % image['id'])
        self.assertEqual((200, b'first'), (status, data))

    def test_upload_while_another_is_saving_is_409(self):
        image = self.create_image()
        first = b'x' * (2 * MiB)
        sock = self.raw_request(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: t\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: %d\r\n\r\n' % (image['id'], len(first)),
            first[:MiB])
        self.assertEqual('saving', self.wait_for_status(image['id'],
                                                        'saving'))

        status, _, body = self.upload(image['id'], b'second')
        self.assertEqual(409, status, body)

        sock.sendall(first[MiB:])
        self.assertIn(b' 204 ', sock.recv(4096).split(b'\r\n')[0] + b' ')
        shown = self.show_image(image['id'])
        self.assertEqual(('active', hashlib.md5(first).hexdigest()),
                         (shown['status'], shown['checksum']))

    def test_two_simultaneous_uploads_exactly_one_wins(self):
        image = self.create_image()
        bodies = [b'a' * (8 * MiB), b'b' * (8 * MiB)]
        results = [None, None]
        barrier = threading.Barrier(2)

        def put(index):
            # A keep-alive client: the loser's body is read and dropped so
            # it sees the 409 (urllib's "Connection: close" would see the
            # socket closed while still sending).
            conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                              timeout=120)
            try:
                barrier.wait()
                conn.request('PUT', '/v2/images/%s/file' % image['id'],
                             body=bodies[index], headers=OCTET)
                results[index] = conn.getresponse().status
            finally:
                conn.close()

        threads = [threading.Thread(target=put, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual([204, 409], sorted(results))
        winner = bodies[results.index(204)]
        shown = self.show_image(image['id'])
        self.assertEqual(('active', len(winner),
                          hashlib.md5(winner).hexdigest()),
                         (shown['status'], shown['size'], shown['checksum']))
        self.assertEqual([image['id']],
                         [name for name in self.data_dir_entries()
                          if image['id'] in name or name.startswith('.')])

    def test_interrupted_upload_goes_back_to_queued_and_leaves_no_file(self):
        image = self.create_image()
        size = 8 * MiB
        sock = self.raw_request(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: t\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: %d\r\n\r\n' % (image['id'], size),
            b'z' * (size // 2))
        self.wait_for_status(image['id'], 'saving')
        sock.close()

        self.assertEqual('queued', self.wait_for_status(image['id'],
                                                        'queued'))
        self.assert_no_data_for(image['id'])
        shown = self.show_image(image['id'])
        self.assertIsNone(shown['checksum'])
        # The image takes a complete upload afterwards.
        self.assertEqual(204, self.upload(image['id'], b'again')[0])
        self.assertEqual('active', self.show_image(image['id'])['status'])

    def test_image_deleted_during_upload_is_410_and_data_removed(self):
        image = self.create_image()
        size = 4 * MiB
        sock = self.raw_request(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: t\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: %d\r\n\r\n' % (image['id'], size),
            b'd' * (size // 2))
        self.wait_for_status(image['id'], 'saving')
        status, _, body = self.request('DELETE', '/v2/images/%s' % image['id'])
        self.assertEqual(204, status, body)

        sock.sendall(b'd' * (size // 2))
        self.assertIn(b' 410 ', sock.recv(4096).split(b'\r\n')[0] + b' ')
        self.assert_no_data_for(image['id'])

    def test_deactivated_image_data_is_403_for_users_200_for_admins(self):
        owner = {'X-Project-Id': 'deactivated-owner', 'X-User-Id': 'u1',
                 'X-Roles': 'member'}
        image = self.create_image()
        self.assertEqual(204, self.upload(image['id'], b'secret')[0])
        # Deactivation itself belongs to the images API; set it through
        # the registry contract so this test covers the data path only.
        self.request('POST', '/rpc', [{
            'command': 'image_update',
            'kwargs': {'image_id': image['id'],
                       'values': {'status': 'deactivated',
                                  'visibility': 'public'},
                       'from_state': 'active'}}],
                     headers={'X-Roles': 'admin', 'X-Project-Id': 'admin',
                              'X-Identity-Status': 'Confirmed'},
                     server=self.registry)
        self.assertEqual('deactivated',
                         self.show_image(image['id'])['status'])
        status, _, body = self.request(
            'GET', '/v2/images/%s/file' % image['id'], headers=owner)
        self.assertEqual(403, status, body)
        status, _, body = self.request('GET',
                                       '/v2/images/%s/file' % image['id'])
        self.assertEqual((200, b'secret'), (status, body))


class TestImageDataRanges(ImageDataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.upload_range_image()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def upload_range_image(cls):
        cls.data = bytes(range(256)) * 4  # 1024 bytes
        status, _, body = daemons.http(
            'POST', cls.api.url + '/v2/images',
            json.dumps({'name': 'ranges', 'disk_format': 'raw',
                        'container_format': 'bare'}).encode(),
            {'Content-Type': 'application/json'})
        assert status == 201, body
        cls.image_id = json.loads(body)['id']
        status, _, body = daemons.http(
            'PUT', cls.api.url + '/v2/images/%s/file' % cls.image_id,
            cls.data, OCTET)
        assert status == 204, body

    def get_range(self, header, name='Range'):
        return self.request('GET', '/v2/images/%s/file' % self.image_id,
                            headers={name: header})

    def assert_partial(self, header, start, stop):
        status, headers, body = self.get_range(header)
        self.assertEqual(206, status, body)
        self.assertEqual(self.data[start:stop], body)
        self.assertEqual('bytes %d-%d/1024' % (start, stop - 1),
                         headers['Content-Range'])
        self.assertEqual(str(stop - start), headers['Content-Length'])

    def test_closed_range_is_206_with_those_bytes(self):
        self.assert_partial('bytes=10-19', 10, 20)

    def test_open_range_is_206_to_the_end(self):
        self.assert_partial('bytes=1000-', 1000, 1024)

    def test_suffix_range_is_206_with_the_last_bytes(self):
        self.assert_partial('bytes=-24', 1000, 1024)

    def test_range_past_the_end_is_cut_at_the_end(self):
        self.assert_partial('bytes=1020-5000', 1020, 1024)

    def test_whole_range_is_still_partial(self):
        self.assert_partial('bytes=0-', 0, 1024)

    def test_legacy_content_range_request_header(self):
        status, headers, body = self.get_range('bytes 4-7/*',
                                               name='Content-Range')
        self.assertEqual((206, self.data[4:8]), (status, body))

    def test_unsatisfiable_range_is_416_with_the_size(self):
        # bytes=9-3 is invalid, not unsatisfiable: ignored (see
        # test_junk_input.TestRangeHeader).
        for header in ('bytes=1024-', 'bytes=5000-6000', 'bytes=-0'):
            status, headers, body = self.get_range(header)
            self.assertEqual(416, status, header)
            self.assertEqual('bytes */1024', headers['Content-Range'])
            self.assertIn('message', json.loads(body))

    def test_no_range_is_200_with_content_md5(self):
        status, headers, body = self.request(
            'GET', '/v2/images/%s/file' % self.image_id)
        self.assertEqual((200, self.data), (status, body))
        headers = {name.lower(): value for name, value in headers.items()}
        self.assertEqual(hashlib.md5(self.data).hexdigest(),
                         headers['content-md5'])
        self.assertNotIn('content-range', headers)


class TestImageSizeCap(ImageDataTestCase):

    api_overrides = {'DEFAULT': {'image_size_cap': MiB}}

    def read_status_line(self, sock):
        return sock.recv(4096).split(b'\r\n')[0]

    def test_content_length_over_cap_is_413_before_any_body_is_sent(self):
        image = self.create_image()
        sock = self.raw_request(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: t\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: %d\r\n\r\n' % (image['id'], MiB + 1))
        self.assertIn(b' 413 ', self.read_status_line(sock) + b' ')
        sock.close()
        self.assertEqual('queued', self.show_image(image['id'])['status'])
        self.assert_no_data_for(image['id'])

    def test_chunked_upload_over_cap_is_413_and_keeps_nothing(self):
        image = self.create_image()
        status, body = self.stream_upload(
            image['id'], data_chunks(3 * MiB, 'over', chunk_size=65536))
        self.assertEqual(413, status, body)
        self.assertIn('image_size_cap', json.loads(body)['message'])
        self.assertEqual('queued', self.wait_for_status(image['id'],
                                                        'queued'))
        self.assert_no_data_for(image['id'])

    def test_upload_exactly_at_cap_is_accepted(self):
        image = self.create_image()
        status, body = self.stream_upload(
            image['id'], data_chunks(MiB, 'at cap', chunk_size=65536))
        self.assertEqual(204, status, body)
        self.assertEqual(MiB, self.show_image(image['id'])['size'])


class TestUserStorageQuota(ImageDataTestCase):

    api_overrides = {'DEFAULT': {'user_storage_quota': '1MB'}}
    owner = {'X-Project-Id': 'quota-project', 'X-User-Id': 'quota-user',
             'X-Roles': 'member'}

    def test_upload_over_remaining_quota_is_413_and_keeps_queued(self):
        headers = dict(OCTET, **self.owner)
        first = self.create_image_as_owner()
        status, _, body = self.upload(first, b'q' * (600 * 1024), headers)
        self.assertEqual(204, status, body)

        second = self.create_image_as_owner()
        status, body = self.stream_upload(
            second, data_chunks(600 * 1024, 'quota', chunk_size=65536),
            headers=headers)
        self.assertEqual(413, status, body)
        self.assertIn('user_storage_quota', json.loads(body)['message'])
        self.assertEqual('queued', self.wait_for_status(second, 'queued'))
        self.assert_no_data_for(second)

        # With Content-Length the request is refused before reading.
        status, body = self.stream_upload(second, [b'q' * (600 * 1024)],
                                          600 * 1024, headers)
        self.assertEqual(413, status, body)
        # What still fits is accepted.
        status, _, body = self.upload(second, b'q' * (400 * 1024), headers)
        self.assertEqual(204, status, body)

    def create_image_as_owner(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'quota', 'disk_format': 'raw',
                                   'container_format': 'bare'},
            headers=self.owner)
        self.assertEqual(201, status, image)
        return image['id']


class ImageDataOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                     TestImageData):
    """Every upload, download and interrupted-upload test of TestImageData,
    with the registry reached over RabbitMQ."""


class UserStorageQuotaOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                            TestUserStorageQuota):
    """Every user_storage_quota test of TestUserStorageQuota, with the
    registry reached over RabbitMQ."""
