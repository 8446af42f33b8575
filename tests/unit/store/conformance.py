"""The store driver conformance suite.

Every driver runs the same cases. To add a driver, write a TestCase that
mixes in :class:`ReadContract` (read-only stores) or :class:`WriteContract`
(writable stores) and implements the hooks:

- ``make_store()`` -> a configured driver instance (required);
- ``seed(data)`` -> a location URI holding ``data`` (ReadContract; the
  WriteContract default stores it with ``add``);
- ``missing_uri()`` -> a well-formed location with no data behind it;
- ``stored_objects(store=None)`` -> names of everything in the backend of
  ``store`` (default self.store), temp and partial objects included
  (WriteContract: it proves that nothing is left behind);
- ``outside_uri()`` -> a location of the store's scheme outside the space
  it writes to (WriteContract; without it that one case is skipped);
- ``make_full_store()`` -> a driver whose backend has about 2 MiB free
  (only for stores that also mix in :class:`FullStoreContract`; a backend
  that cannot be filled honestly in a test leaves that mixin out).
"""

import hashlib
import io
import os
import uuid

from glance_store import exceptions

MiB = 1024 * 1024


class ShortReader:
    """A reader that returns at most ``step`` bytes per read, like a socket."""

    def __init__(self, data, step=7919):
        self.data = memoryview(data)
        self.step = step
        self.reads = 0

    def read(self, n):
        self.reads += 1
        chunk = bytes(self.data[:min(n, self.step)])
        self.data = self.data[len(chunk):]
        return chunk


class FailingReader:
    """Returns ``good`` bytes, then raises ``error`` (the very object)."""

    def __init__(self, good, error, on_read=None):
        self.data = io.BytesIO(good)
        self.error = error
        self.on_read = on_read

    def read(self, n):
        if self.on_read:
            self.on_read()
        chunk = self.data.read(n)
        if not chunk:
            raise self.error
        return chunk


class ClientGoneAway(BaseException):
    """Not an Exception: the store must still clean up and re-raise it."""


def payload(size, seed=b'glance'):
    """``size`` reproducible, non-repeating-looking bytes."""
    block = hashlib.sha512(seed).digest() * 64      # 4 KiB
    return (block * (size // len(block) + 1))[:size]


class ReadContract:
    """Cases every store that reads image data must pass."""

    def make_store(self):
        raise NotImplementedError

    def seed(self, data):
        raise NotImplementedError

    def missing_uri(self):
        raise NotImplementedError

    def setUp(self):
        super().setUp()
        self.store = self.make_store()

    def read_all(self, uri, **kwargs):
        iterator, size = self.store.get(uri, **kwargs)
        chunks = list(iterator)
        return b''.join(chunks), size, chunks

    def test_get_returns_all_bytes_and_their_count(self):
        data = payload(10_000)
        body, size, _ = self.read_all(self.seed(data))
        self.assertEqual(data, body)
        self.assertEqual(len(data), size)

    def test_get_of_zero_byte_object_yields_no_bytes(self):
        body, size, _ = self.read_all(self.seed(b''))
        self.assertEqual(b'', body)
        self.assertEqual(0, size)

    def test_get_streams_in_requested_chunk_size(self):
        data = payload(5 * 1000 + 1)
        body, size, chunks = self.read_all(self.seed(data), chunk_size=1000)
        self.assertEqual(data, body)
        self.assertTrue(all(len(c) <= 1000 for c in chunks),
                        [len(c) for c in chunks])
        self.assertGreaterEqual(len(chunks), 6)

    def test_get_streams_in_1_mib_chunks_by_default(self):
        data = payload(3 * MiB + 5)
        body, size, chunks = self.read_all(self.seed(data))
        self.assertEqual(data, body)
        self.assertEqual(MiB, len(chunks[0]))
        self.assertEqual(4, len(chunks))

    def test_get_range_with_offset_and_length(self):
        data = payload(100_000)
        body, size, _ = self.read_all(self.seed(data), offset=12_345,
                                      length=54_321)
        self.assertEqual(data[12_345:12_345 + 54_321], body)
        self.assertEqual(54_321, size)

    def test_get_range_with_offset_only_reads_to_the_end(self):
        data = payload(100_000)
        body, size, _ = self.read_all(self.seed(data), offset=99_000)
        self.assertEqual(data[99_000:], body)
        self.assertEqual(1000, size)

    def test_get_range_with_length_only_reads_the_start(self):
        data = payload(100_000)
        body, size, _ = self.read_all(self.seed(data), length=10)
        self.assertEqual(data[:10], body)
        self.assertEqual(10, size)

    def test_get_range_of_zero_length_yields_nothing(self):
        iterator, size = self.store.get(self.seed(payload(1000)), offset=10,
                                        length=0)
        self.assertEqual((b'', 0), (b''.join(iterator), size))
        iterator.close()

    def test_get_range_past_the_end_is_cut_at_the_end(self):
        data = payload(1000)
        body, size, _ = self.read_all(self.seed(data), offset=900,
                                      length=500)
        self.assertEqual(data[900:], body)
        self.assertEqual(100, size)

    def test_get_range_starting_past_the_end_is_not_satisfiable(self):
        uri = self.seed(payload(1000))
        self.assertRaises(exceptions.RangeNotSatisfiable,
                          self.store.get, uri, offset=5000, length=10)

    def test_get_size_returns_the_object_size(self):
        self.assertEqual(4321, self.store.get_size(self.seed(payload(4321))))

    def test_get_of_missing_object_raises_not_found(self):
        error = self.assertRaises(exceptions.NotFound, self.store.get,
                                  self.missing_uri())
        self.assertEqual(404, error.http_status)

    def test_get_size_of_missing_object_raises_not_found(self):
        self.assertRaises(exceptions.NotFound, self.store.get_size,
                          self.missing_uri())

    def test_closing_the_iterator_early_stops_the_stream(self):
        uri = self.seed(payload(3 * MiB))
        iterator, size = self.store.get(uri)
        self.assertEqual(MiB, len(next(iterator)))
        iterator.close()
        self.assertEqual([], list(iterator))

    def test_get_of_foreign_scheme_raises_unknown_scheme(self):
        self.assertRaises(exceptions.UnknownScheme, self.store.get,
                          'gopher://example.invalid/image')

    def test_location_of_a_foreign_scheme_is_not_managed(self):
        self.assertFalse(self.store.manages('gopher://example.invalid/x'))


class WriteContract(ReadContract):
    """Cases every writable store must pass (on top of ReadContract)."""

    def stored_objects(self, store=None):
        """Names of everything in ``store``'s backend (default self.store)."""
        raise NotImplementedError

    def seed(self, data):
        return self.store.add(str(uuid.uuid4()), io.BytesIO(data),
                              len(data)).location

    def missing_uri(self):
        uri = self.seed(b'x')
        self.store.delete(uri)
        return uri

    def outside_uri(self):
        self.skipTest('no location outside the store is known')

    def test_location_it_wrote_is_managed(self):
        self.assertTrue(self.store.manages(self.seed(b'data')))

    def test_location_in_its_space_without_data_is_managed(self):
        self.assertTrue(self.store.manages(self.missing_uri()))

    def test_location_outside_its_space_is_not_managed(self):
        self.assertFalse(self.store.manages(self.outside_uri()))

    def test_add_returns_location_size_and_store_name(self):
        data = payload(1234)
        result = self.store.add(str(uuid.uuid4()), io.BytesIO(data),
                                len(data))
        self.assertEqual(1234, result.size)
        self.assertEqual(self.store.name, result.metadata['store'])
        self.assertIn(result.location.split(':', 1)[0], self.store.schemes)
        self.assertEqual(data, self.read_all(result.location)[0])

    def test_add_zero_bytes_stores_an_empty_object(self):
        result = self.store.add(str(uuid.uuid4()), io.BytesIO(b''), 0)
        self.assertEqual(0, result.size)
        self.assertEqual(0, self.store.get_size(result.location))
        self.assertEqual(b'', self.read_all(result.location)[0])

    def test_add_multi_chunk_object_from_short_reads(self):
        data = payload(3 * MiB + 17)
        reader = ShortReader(data, step=100_003)
        result = self.store.add(str(uuid.uuid4()), reader, len(data))
        self.assertEqual(len(data), result.size)
        self.assertGreater(reader.reads, 30)
        body = self.read_all(result.location)[0]
        self.assertEqual(hashlib.md5(data).hexdigest(),
                         hashlib.md5(body).hexdigest())

    def test_add_with_unknown_size_reads_to_the_end(self):
        for unknown in (None, 0):
            data = payload(200_000, seed=repr(unknown).encode())
            result = self.store.add(str(uuid.uuid4()), io.BytesIO(data),
                                    unknown)
            self.assertEqual(len(data), result.size)
            self.assertEqual(data, self.read_all(result.location)[0])

    def test_add_same_image_twice_is_duplicate_and_keeps_the_first(self):
        image_id = str(uuid.uuid4())
        first = self.store.add(image_id, io.BytesIO(b'first'), 5)
        error = self.assertRaises(exceptions.Duplicate, self.store.add,
                                  image_id, io.BytesIO(b'second!'), 7)
        self.assertEqual(409, error.http_status)
        self.assertEqual(b'first', self.read_all(first.location)[0])

    def test_delete_removes_the_data(self):
        uri = self.seed(payload(100))
        before = self.stored_objects()
        self.store.delete(uri)
        self.assertRaises(exceptions.NotFound, self.store.get, uri)
        self.assertEqual(len(before) - 1, len(self.stored_objects()))

    def test_delete_of_missing_object_raises_not_found(self):
        self.assertRaises(exceptions.NotFound, self.store.delete,
                          self.missing_uri())

    def test_reader_error_mid_upload_leaves_nothing_and_is_reraised(self):
        before = self.stored_objects()
        error = ValueError('checksum cap exceeded')
        reader = FailingReader(payload(MiB + 3), error)
        raised = self.assertRaises(ValueError, self.store.add,
                                   str(uuid.uuid4()), reader, 5 * MiB)
        self.assertIs(error, raised)
        self.assertEqual(before, self.stored_objects())

    def test_reader_base_exception_mid_upload_leaves_nothing(self):
        before = self.stored_objects()
        error = ClientGoneAway()
        reader = FailingReader(payload(300_000), error)
        raised = self.assertRaises(ClientGoneAway, self.store.add,
                                   str(uuid.uuid4()), reader, None)
        self.assertIs(error, raised)
        self.assertEqual(before, self.stored_objects())

    def test_reader_os_error_is_not_mistaken_for_a_full_store(self):
        error = OSError(28, 'No space left on device (on the client side)')
        raised = self.assertRaises(OSError, self.store.add,
                                   str(uuid.uuid4()),
                                   FailingReader(b'abc', error), None)
        self.assertIs(error, raised)

    def test_roundtrip_keeps_every_byte(self):
        data = os.urandom(2 * MiB + 333)
        result = self.store.add(str(uuid.uuid4()), io.BytesIO(data),
                                len(data))
        self.assertEqual(data, self.read_all(result.location)[0])


class FullStoreContract:
    """Cases for stores whose backend can be filled (mix in beside
    WriteContract and implement ``make_full_store``)."""

    def make_full_store(self):
        raise NotImplementedError

    def test_upload_bigger_than_free_space_raises_storage_full(self):
        store = self.make_full_store()
        before = self.stored_objects(store)
        error = self.assertRaises(
            exceptions.StorageFull, store.add, str(uuid.uuid4()),
            io.BytesIO(payload(4 * MiB)), None)
        self.assertEqual(413, error.http_status)
        self.assertEqual(before, self.stored_objects(store))

    def test_upload_of_known_size_over_free_space_is_refused_before_reading(
            self):
        store = self.make_full_store()
        reader = ShortReader(payload(4 * MiB))
        self.assertRaises(exceptions.StorageFull, store.add,
                          str(uuid.uuid4()), reader, 4 * MiB)
        self.assertEqual(0, reader.reads)
        self.assertEqual([], self.stored_objects(store))

    def test_full_store_accepts_data_again_after_a_delete(self):
        store = self.make_full_store()
        first = store.add(str(uuid.uuid4()), io.BytesIO(payload(MiB)), None)
        self.assertRaises(exceptions.StorageFull, store.add,
                          str(uuid.uuid4()), io.BytesIO(payload(MiB + 1)),
                          None)
        self.assertEqual([os.path.basename(first.location)],
                         self.stored_objects(store))
        store.delete(first.location)
        second = store.add(str(uuid.uuid4()), io.BytesIO(payload(MiB + 1)),
                           None)
        self.assertEqual(MiB + 1, store.get_size(second.location))
