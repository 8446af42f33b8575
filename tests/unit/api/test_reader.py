"""The upload reader: one pass that caps, counts and hashes."""

import hashlib
import io
import os
import subprocess
import sys

import testtools

from glance_api import reader as reader_module
from glance_registry.common import exception


class TrickleSource:
    """A body that hands out at most ``step`` bytes per read, like a socket."""

    def __init__(self, data, step=100000):
        self.stream = io.BytesIO(data)
        self.step = step
        self.reads = 0

    def read(self, size=-1):
        self.reads += 1
        if size is None or size < 0:
            size = self.step
        return self.stream.read(min(size, self.step))


def drain(image_reader, size):
    chunks = []
    while True:
        chunk = image_reader.read(size)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


class TestImageReader(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.data = os.urandom(3 * 1024 * 1024 + 12345)

    def make_reader(self, data=None, **kwargs):
        data = self.data if data is None else data
        kwargs.setdefault('block_size', 256 * 1024)
        image_reader = reader_module.ImageReader(io.BytesIO(data), **kwargs)
        self.addCleanup(image_reader.close)
        return image_reader

    def test_hands_out_every_byte_once_in_order_for_any_read_size(self):
        for size in (1000, 65536, 256 * 1024, 10 ** 7, -1):
            image_reader = self.make_reader(expected_size=len(self.data))
            self.assertEqual(self.data, drain(image_reader, size))

    def test_finish_gives_size_md5_and_sha512_of_the_body(self):
        image_reader = self.make_reader()
        drain(image_reader, 65536)
        image_reader.finish()
        self.assertEqual(len(self.data), image_reader.size)
        self.assertEqual(hashlib.md5(self.data).hexdigest(),
                         image_reader.checksum)
        self.assertEqual('sha512', image_reader.os_hash_algo)
        self.assertEqual(hashlib.sha512(self.data).hexdigest(),
                         image_reader.os_hash_value)

    def test_multihash_follows_hashing_algorithm(self):
        image_reader = self.make_reader(hashing_algorithm='sha256')
        drain(image_reader, 65536)
        image_reader.finish()
        self.assertEqual('sha256', image_reader.os_hash_algo)
        self.assertEqual(hashlib.sha256(self.data).hexdigest(),
                         image_reader.os_hash_value)

    def test_empty_body_hashes_to_the_empty_digests(self):
        image_reader = self.make_reader(data=b'', expected_size=0)
        self.assertEqual(b'', image_reader.read(10))
        image_reader.finish()
        self.assertEqual(0, image_reader.size)
        self.assertEqual(hashlib.md5(b'').hexdigest(), image_reader.checksum)

    def test_short_reads_from_the_source_are_gathered_per_block(self):
        source = TrickleSource(self.data, step=7000)
        image_reader = reader_module.ImageReader(source, block_size=65536)
        self.addCleanup(image_reader.close)
        self.assertEqual(self.data, drain(image_reader, 65536))
        image_reader.finish()
        self.assertEqual(hashlib.sha512(self.data).hexdigest(),
                         image_reader.os_hash_value)

    def test_declared_size_over_limit_is_refused_before_reading(self):
        source = TrickleSource(self.data)
        self.assertRaises(
            exception.ImageSizeLimitExceeded, reader_module.ImageReader,
            source, expected_size=len(self.data), max_size=1024)
        self.assertEqual(0, source.reads)

    def test_body_over_limit_raises_before_the_store_sees_the_excess(self):
        limit = 1024 * 1024 + 1
        image_reader = self.make_reader(max_size=limit)
        handed_out = 0
        with testtools.ExpectedException(exception.ImageSizeLimitExceeded):
            while True:
                chunk = image_reader.read(65536)
                handed_out += len(chunk)
        self.assertLessEqual(handed_out, limit)

    def test_body_exactly_at_limit_is_accepted(self):
        image_reader = self.make_reader(max_size=len(self.data))
        self.assertEqual(self.data, drain(image_reader, 65536))
        image_reader.finish()
        self.assertEqual(len(self.data), image_reader.size)

    def test_limit_raises_the_error_given(self):
        image_reader = self.make_reader(
            max_size=10,
            too_large=lambda: exception.StorageQuotaFull(remaining=10))
        self.assertRaises(exception.StorageQuotaFull, drain,
                          image_reader, 65536)

    def test_body_shorter_than_content_length_is_an_error(self):
        image_reader = self.make_reader(expected_size=len(self.data) + 1)
        self.assertRaises(exception.InvalidRequest, drain, image_reader,
                          65536)

    def test_finish_refuses_when_the_store_stopped_early(self):
        image_reader = self.make_reader()
        image_reader.read(1000)
        self.assertRaises(exception.InvalidRequest, image_reader.finish)

    def test_unknown_hashing_algorithm_is_refused(self):
        self.assertRaises(ValueError, self.make_reader,
                          hashing_algorithm='nope')

    def test_close_ends_the_hashing_threads(self):
        image_reader = self.make_reader()
        image_reader.read(1000)
        image_reader.close()
        for worker in image_reader._workers:
            worker._thread.join(5)
            self.assertFalse(worker._thread.is_alive())


# Run in a child process: monkey patching would change this one for good.
COOPERATION_SCRIPT = r'''
import eventlet
eventlet.monkey_patch()
import io
from glance_api import reader

seen = []
# Another green thread (a lease renewal, another request) that wants the
# hub once; a body that never makes a read wait never hands it over.
eventlet.spawn(lambda: seen.append('other ran'))
source = io.BytesIO(b'x' * (16 * 1024 * 1024))
image_reader = reader.ImageReader(source, expected_size=16 * 1024 * 1024,
                                  block_size=1024 * 1024)
blocks = 0
while image_reader.read(1024 * 1024):
    blocks += 1
    if seen:
        break
print(blocks if seen else 'starved')
'''


class TestReaderCooperates(testtools.TestCase):

    def test_an_upload_that_never_waits_still_lets_other_green_threads_run(
            self):
        proc = subprocess.run([sys.executable, '-c', COOPERATION_SCRIPT],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr)
        # The other green thread ran after the first block, not at the end.
        self.assertEqual('1', proc.stdout.strip().splitlines()[-1])
