"""The swift store against a real Swift (tests/integration/swift_fixture.py).

The conformance suite runs on single objects with inline credentials, and
on Dynamic Large Objects (tiny segments) through a reference account; then
the Swift-specific behaviour: where segments go, that a failed upload
leaves no segment, what locations hold, and what a dead Swift looks like.
"""

import io
import os
import socket
import threading
import urllib.parse
import uuid

import fixtures
import testtools

from glance_store._drivers import swift
from glance_store import exceptions
from glance_store import location as location_mod
from tests.integration import store_options
from tests.integration import swift_fixture
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB
# Segment size of the large-object suite. Each Swift request costs tens of
# milliseconds here (without memcached the proxy asks the account and
# container servers every time), so segments are not tinier than this.
TINY_SEGMENT = 256 * 1024


def swift_store(cluster, **options):
    return swift.Store(helpers.make_conf(
        store_options.swift_options(cluster, **options)))


def write_references(directory, cluster, **extra):
    path = os.path.join(directory, 'glance-swift.conf')
    with open(path, 'w') as f:
        f.write('[ref1]\nuser = %s\nkey = %s\nauth_address = %s\n'
                'auth_version = 1\n' % (swift_fixture.USER, swift_fixture.KEY,
                                        cluster.auth_url))
        for name, value in extra.items():
            f.write('%s = %s\n' % (name, value))
    return path


object_names = swift_fixture.object_names
empty_containers = swift_fixture.empty_containers


def closed_port():
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SwiftHelpers:
    """Gives each test its own container in the shared cluster."""

    def setUp(self):
        self.cluster = swift_fixture.shared_cluster()
        self.swift = self.cluster.connection()
        self.container = 'glance-%s' % uuid.uuid4().hex[:12]
        super().setUp()

    def new_store(self, **options):
        options.setdefault('swift_store_container', self.container)
        store = swift_store(self.cluster, **options)
        self.addCleanup(empty_containers, self.swift, store.container,
                        store.container + '_segments')
        return store

    def raw_listing(self, store=None):
        """Every object in the store's container and its _segments."""
        store = store or self.store
        return (object_names(self.swift, store.container) +
                object_names(self.swift, store.container + '_segments'))

    def stored_objects(self, store=None):
        """The images, plus any segment no manifest claims (an orphan)."""
        store = store or self.store
        names, claimed = [], []
        for name in object_names(self.swift, store.container):
            names.append(name)
            manifest = self.swift.head_object(store.container, name).get(
                'x-object-manifest')
            if manifest:
                claimed.append(manifest.split('/', 1)[1])
        segments = store.container + '_segments'
        names += [segments + '/' + name
                  for name in object_names(self.swift, segments)
                  if not any(name.startswith(p) for p in claimed)]
        return sorted(names)

    def make_full_store(self):
        """A store whose containers have a byte quota of about 2 MiB.

        Uploads stream with chunked transfer, so container_quotas can only
        refuse a PUT once the container is already over its quota; with
        512 KiB segments and a quota one byte under 2 MiB the segment that
        would take the container past 2 MiB is the one refused."""
        store = self.new_store(
            swift_store_container='full-%s' % uuid.uuid4().hex[:8])
        store.large_object_size = store.large_object_chunk_size = 512 * 1024
        for container in (store.container, store.container + '_segments'):
            self.swift.put_container(container, headers={
                'X-Container-Meta-Quota-Bytes': str(2 * MiB - 1)})
        return store


class SwiftTestCase(SwiftHelpers, testtools.TestCase):
    pass


class SwiftStoreContractTest(SwiftHelpers, conformance.FullStoreContract,
                             conformance.WriteContract, testtools.TestCase):
    """Single objects, credentials inline in the location."""

    def make_store(self):
        return self.new_store()

    def outside_uri(self):
        return self.seed(b'x').replace('/%s/' % self.store.container,
                                       '/not-%s/' % self.store.container)


class SwiftLargeObjectContractTest(SwiftHelpers,
                                   conformance.FullStoreContract,
                                   conformance.WriteContract,
                                   testtools.TestCase):
    """Everything from 256 KiB up as segments + a DLO manifest, through a
    reference account (swift+config:// locations)."""

    def make_store(self):
        directory = self.useFixture(fixtures.TempDir()).path
        store = self.new_store(swift_store_config_file=write_references(
            directory, self.cluster))
        store.large_object_size = TINY_SEGMENT
        store.large_object_chunk_size = TINY_SEGMENT
        return store

    def outside_uri(self):
        # Every swift+config location is the store's own: outside is an
        # inline-credentials location in a container the store never uses.
        return ('swift+http://test%%3Atester:testing@%s/auth/v1.0/'
                'not-%s/image-1' % (urllib.parse.urlsplit(
                    self.cluster.auth_url).netloc, self.container))

    def test_images_over_the_threshold_are_segments_and_a_manifest(self):
        data = conformance.payload(2 * TINY_SEGMENT + 100)
        result = self.store.add('image-1', io.BytesIO(data), len(data))
        headers = self.swift.head_object(self.container, 'image-1')
        self.assertEqual('%s_segments/image-1-' % self.container,
                         headers['x-object-manifest'])
        self.assertEqual(['image-1-00001', 'image-1-00002', 'image-1-00003'],
                         object_names(self.swift,
                                      self.container + '_segments'))
        self.assertEqual(len(data), self.store.get_size(result.location))
        body = b''.join(self.store.get(
            result.location, offset=TINY_SEGMENT - 5, length=10)[0])
        self.assertEqual(data[TINY_SEGMENT - 5:TINY_SEGMENT + 5], body)


class SwiftStoreWriteTest(SwiftTestCase):

    def setUp(self):
        super().setUp()
        self.store = self.new_store()

    def test_inline_location_holds_the_auth_address_and_credentials(self):
        result = self.store.add('img', io.BytesIO(b'data'), 4)
        port = self.cluster.ports['proxy']
        self.assertEqual(
            'swift+http://test%%3Atester:testing@127.0.0.1:%d/auth/v1.0/'
            '%s/img' % (port, self.container), result.location)
        self.assertEqual(
            'swift+http://***@127.0.0.1:%d/auth/v1.0/%s/img'
            % (port, self.container),
            location_mod.parse(result.location).safe_uri)
        self.assertEqual([b'data'], list(self.swift.get_object(
            self.container, 'img', resp_chunk_size=100)[1]))

    def test_reference_account_location_holds_no_credentials(self):
        directory = self.useFixture(fixtures.TempDir()).path
        store = self.new_store(
            swift_store_config_file=write_references(directory, self.cluster),
            swift_store_user=None, swift_store_key=None,
            swift_store_auth_address=None)
        result = store.add('img', io.BytesIO(b'data'), 4)
        self.assertEqual('swift+config://ref1/%s/img' % self.container,
                         result.location)
        for secret in ('tester', 'testing', 'auth'):
            self.assertNotIn(secret, result.location)
        self.assertEqual(b'data', b''.join(store.get(result.location)[0]))

    def test_unknown_reference_in_a_location_is_a_bad_uri(self):
        directory = self.useFixture(fixtures.TempDir()).path
        store = self.new_store(
            swift_store_config_file=write_references(directory, self.cluster))
        self.assertRaises(exceptions.BadStoreUri, store.get,
                          'swift+config://ref9/glance/img')

    def test_default_reference_missing_from_the_file_is_a_config_error(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.assertRaises(
            exceptions.BadStoreConfiguration, swift_store, self.cluster,
            swift_store_config_file=write_references(directory, self.cluster),
            default_swift_reference='nope')

    def test_reader_error_in_third_segment_deletes_every_segment(self):
        self.store.large_object_size = 100 * 1024
        self.store.large_object_chunk_size = 100 * 1024
        error = RuntimeError('client went away')
        reader = conformance.FailingReader(conformance.payload(250_000),
                                           error)
        raised = self.assertRaises(RuntimeError, self.store.add, 'img',
                                   reader, 400_000)
        self.assertIs(error, raised)
        self.assertEqual([], object_names(self.swift, self.container))
        self.assertEqual([], object_names(self.swift,
                                          self.container + '_segments'))

    def test_reader_error_in_a_single_object_upload_leaves_no_object(self):
        error = KeyboardInterrupt()
        reader = conformance.FailingReader(conformance.payload(300_000),
                                           error)
        raised = self.assertRaises(KeyboardInterrupt, self.store.add, 'img',
                                   reader, 400_000)
        self.assertIs(error, raised)
        self.assertEqual([], self.raw_listing())

    def test_delete_of_a_large_object_deletes_its_segments(self):
        self.store.large_object_size = self.store.large_object_chunk_size = (
            64 * 1024)
        result = self.store.add('img', io.BytesIO(b'x' * 200_000), None)
        self.assertEqual(5, len(self.raw_listing()))
        self.store.delete(result.location)
        self.assertEqual([], self.raw_listing())
        self.assertRaises(exceptions.NotFound, self.store.delete,
                          result.location)

    def test_image_over_swift_max_file_size_is_stored_as_segments(self):
        store = self.new_store(swift_store_large_object_size=1,
                               swift_store_large_object_chunk_size=1)
        data = conformance.payload(swift_fixture.MAX_FILE_SIZE + MiB + 7)
        result = store.add('big', io.BytesIO(data), len(data))
        self.assertEqual(len(data), result.size)
        self.assertEqual(6, len(object_names(self.swift,
                                             self.container + '_segments')))
        self.assertEqual(data, b''.join(store.get(result.location)[0]))

    def test_single_object_over_swift_max_file_size_is_storage_full(self):
        data = conformance.payload(swift_fixture.MAX_FILE_SIZE + 1)
        error = self.assertRaises(exceptions.StorageFull, self.store.add,
                                  'big', io.BytesIO(data), len(data))
        self.assertEqual(413, error.http_status)
        self.assertEqual([], self.raw_listing())

    def test_empty_image_of_unknown_size_is_a_plain_empty_object(self):
        result = self.store.add('empty', io.BytesIO(b''), None)
        headers = self.swift.head_object(self.container, 'empty')
        self.assertNotIn('x-object-manifest', headers)
        self.assertEqual('0', headers['content-length'])
        self.assertEqual(0, self.store.get_size(result.location))

    def test_multiple_containers_seed_spreads_images_by_id_prefix(self):
        store = self.new_store(swift_store_multiple_containers_seed=3)
        image_id = 'abcdef12-0000-4000-8000-000000000000'
        self.addCleanup(empty_containers, self.swift, self.container + '_abc',
                        self.container + '_abc_segments')
        result = store.add(image_id, io.BytesIO(b'data'), 4)
        self.assertIn('/%s_abc/%s' % (self.container, image_id),
                      result.location)
        self.assertEqual([image_id], object_names(
            self.swift, self.container + '_abc'))
        self.assertEqual(4, store.get_size(result.location))

    def test_missing_container_without_create_on_put_is_refused(self):
        store = self.new_store(swift_store_create_container_on_put=False)
        reader = conformance.ShortReader(b'data')
        self.assertRaises(exceptions.BadStoreConfiguration, store.add, 'img',
                          reader, 4)
        self.assertEqual(0, reader.reads)

    def test_location_without_container_and_object_is_a_bad_uri(self):
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          'swift+http://u:k@127.0.0.1:1/img')

    def test_location_without_credentials_is_a_bad_uri(self):
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          'swift+http://127.0.0.1:1/auth/v1.0/glance/img')

    def test_image_written_before_is_read_with_its_own_credentials(self):
        result = self.store.add('img', io.BytesIO(b'data'), 4)
        other = swift_store(self.cluster, swift_store_user='nobody:x',
                            swift_store_key='wrong')
        self.assertEqual(b'data', b''.join(other.get(result.location)[0]))


class DroppingProxy:
    """A TCP relay to the Swift proxy that cuts the first ``drops``
    connections whose response carries more than ``after`` bytes."""

    def __init__(self, target_port, after, drops=1):
        self.target_port = target_port
        self.after = after
        self.drops = drops
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.listener.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(('127.0.0.1',
                                                 self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, None),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client,
                                                      self.after),
                             daemon=True).start()

    def _pipe(self, source, sink, limit):
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sent += len(data)
                if limit is not None and sent > limit:
                    with self.lock:
                        cut = self.drops > 0
                        self.drops -= cut
                    if cut:
                        sink.sendall(data[:len(data) - (sent - limit)])
                        break
                    limit = None
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class SwiftStoreReadRetryTest(SwiftTestCase):

    def stored_image(self, data):
        store = self.new_store()
        return store.add('img', io.BytesIO(data), len(data))

    def store_through(self, proxy, **options):
        return self.new_store(
            swift_store_endpoint='http://127.0.0.1:%d/v1/%s'
            % (proxy.port, swift_fixture.ACCOUNT), **options)

    def test_dropped_download_resumes_with_a_range_request(self):
        data = conformance.payload(3 * MiB)
        location = self.stored_image(data).location
        proxy = DroppingProxy(self.cluster.ports['proxy'], after=MiB + 100)
        self.addCleanup(proxy.close)
        store = self.store_through(proxy, swift_store_retry_get_count=2)
        iterator, size = store.get(location)
        self.assertEqual(3 * MiB, size)
        self.assertEqual(data, b''.join(iterator))
        self.assertEqual(0, proxy.drops)

    def test_dropped_download_without_retries_is_backend_unavailable(self):
        data = conformance.payload(3 * MiB)
        location = self.stored_image(data).location
        proxy = DroppingProxy(self.cluster.ports['proxy'], after=MiB + 100)
        self.addCleanup(proxy.close)
        store = self.store_through(proxy)
        iterator, size = store.get(location)
        error = self.assertRaises(exceptions.BackendUnavailable, b''.join,
                                  iterator)
        self.assertEqual(503, error.http_status)


class SwiftStoreBackendDownTest(testtools.TestCase):
    """A Swift that does not answer: 503-class errors, nothing written."""

    def setUp(self):
        super().setUp()
        self.auth = 'http://127.0.0.1:%d/auth/v1.0' % closed_port()
        self.store = swift.Store(helpers.make_conf({
            'swift_store_auth_address': self.auth,
            'swift_store_user': swift_fixture.USER,
            'swift_store_key': swift_fixture.KEY,
            'swift_store_auth_version': '1',
            'swift_store_create_container_on_put': True,
        }))

    def test_add_raises_backend_unavailable_before_reading(self):
        reader = conformance.ShortReader(b'data')
        error = self.assertRaises(exceptions.BackendUnavailable,
                                  self.store.add, 'img', reader, 4)
        self.assertEqual(503, error.http_status)
        self.assertEqual(0, reader.reads)

    def test_get_delete_and_get_size_raise_backend_unavailable(self):
        uri = 'swift+http://a:b@%s/glance/img' % self.auth.split('//')[1]
        for call in (self.store.get, self.store.get_size, self.store.delete):
            self.assertRaises(exceptions.BackendUnavailable, call, uri)

    def test_health_check_names_the_unreachable_swift(self):
        reason = self.store.check_health()
        self.assertIn('cannot reach Swift', reason)


class SwiftHealthTest(SwiftTestCase):

    def test_health_check_passes_and_fails_on_a_wrong_key(self):
        self.assertIsNone(self.new_store().check_health())
        reason = self.new_store(swift_store_key='wrong').check_health()
        self.assertIn('refused the credentials', reason)
