"""The s3 store against two real S3 servers: Swift's s3api middleware in
the shared Swift cluster (tests/integration/swift_fixture.py) and Ceph's
radosgw (tests/integration/ceph_fixture.py). Each class runs once per
server: the ``...Test`` class on Swift, its ``Radosgw...`` twin on radosgw.

The conformance suite runs with single PUTs and with multipart uploads of
tiny parts (both fixtures lower the minimum part size from S3's 5 MiB to
128 KiB), then the S3-specific behaviour: that failed multipart uploads are
aborted (no upload listed, no part left on the server), what locations
hold, and what a dead endpoint looks like.
"""

import io
import socket
import types
import urllib.parse
import uuid

from botocore import exceptions as botocore_exceptions
import testtools

from glance_store._drivers import s3
from glance_store import exceptions
from glance_store import location as location_mod
from tests.integration import ceph_fixture
from tests.integration import store_options
from tests.integration import swift_fixture
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB
PART = swift_fixture.S3_MIN_PART_SIZE
assert PART == ceph_fixture.RGW_MIN_PART_SIZE


def s3_store(server, bucket, **options):
    return s3.Store(helpers.make_conf(
        store_options.s3_options(server, bucket, **options)))


class S3Helpers:
    """Gives each test its own bucket on the class's S3 server (Swift's
    s3api unless a class says otherwise)."""

    #: Returns the running server: endpoint, access_key, secret_key,
    #: region, s3_client(), set_bucket_quota(), part_objects(),
    #: remove_parts().
    start_server = staticmethod(swift_fixture.shared_cluster)

    def setUp(self):
        self.server = self.start_server()
        self.s3 = self.server.s3_client()
        self.bucket = 'glance-%s' % uuid.uuid4().hex[:12]
        super().setUp()

    def new_store(self, **options):
        store = s3_store(self.server, self.bucket, **options)
        self.addCleanup(self.remove_bucket, store.bucket)
        return store

    def remove_bucket(self, bucket):
        try:
            for upload in self.s3.list_multipart_uploads(
                    Bucket=bucket).get('Uploads', []):
                self.s3.abort_multipart_upload(Bucket=bucket,
                                               Key=upload['Key'],
                                               UploadId=upload['UploadId'])
            for name in self.keys(bucket):
                self.s3.delete_object(Bucket=bucket, Key=name)
            self.s3.delete_bucket(Bucket=bucket)
        except botocore_exceptions.ClientError as e:
            if e.response['Error']['Code'] != 'NoSuchBucket':
                raise
        self.server.remove_parts(bucket)

    def keys(self, bucket):
        response = self.s3.list_objects_v2(Bucket=bucket)
        return [o['Key'] for o in response.get('Contents', [])]

    def uploads(self, bucket):
        return ['upload:%s' % u['Key'] for u in self.s3.list_multipart_uploads(
            Bucket=bucket).get('Uploads', [])]

    def stored_objects(self, store=None):
        """Objects, plus multipart uploads still in progress."""
        bucket = (store or self.store).bucket
        try:
            return sorted(self.keys(bucket) + self.uploads(bucket))
        except botocore_exceptions.ClientError as e:
            if e.response['Error']['Code'] == 'NoSuchBucket':
                return []
            raise

    def part_objects(self, bucket):
        """What the server keeps of multipart uploads."""
        return self.server.part_objects(bucket)


class S3StoreContractTest(S3Helpers, conformance.WriteContract,
                          testtools.TestCase):
    """Images under the multipart threshold: one PUT each."""

    def make_store(self):
        return self.new_store()

    def outside_uri(self):
        return self.seed(b'x').replace('/%s/' % self.store.bucket,
                                       '/not-%s/' % self.store.bucket)


class S3MultipartContractTest(S3StoreContractTest):
    """Images of a part (128 KiB) or more: multipart uploads."""

    def make_store(self):
        store = self.new_store(s3_store_thread_pools=4)
        store.large_object_size = store.large_object_chunk_size = PART
        return store

    def test_large_images_are_multipart_uploads(self):
        data = conformance.payload(3 * PART + 10)
        result = self.store.add('img', io.BytesIO(data), len(data))
        head = self.s3.head_object(Bucket=self.bucket, Key='img')
        # A multipart ETag is "<md5 of the part md5s>-<part count>".
        self.assertTrue(head['ETag'].strip('"').endswith('-4'), head['ETag'])
        self.assertEqual(4, len(self.part_objects(self.bucket)))
        self.assertEqual(data, b''.join(self.store.get(result.location)[0]))
        body = b''.join(self.store.get(result.location, offset=PART - 3,
                                       length=6)[0])
        self.assertEqual(data[PART - 3:PART + 3], body)


class S3StoreWriteTest(S3Helpers, testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.store = self.new_store()

    def test_location_holds_host_bucket_key_and_quoted_credentials(self):
        result = self.store.add('img', io.BytesIO(b'data'), 4)
        host = urllib.parse.urlsplit(self.server.endpoint).netloc
        self.assertEqual('s3://%s:%s@%s/%s/img' % (
            urllib.parse.quote(self.server.access_key, safe=''),
            urllib.parse.quote(self.server.secret_key, safe=''), host,
            self.bucket), result.location)
        self.assertEqual('s3://***@%s/%s/img' % (host, self.bucket),
                         location_mod.parse(result.location).safe_uri)
        self.assertEqual(b'data', self.s3.get_object(
            Bucket=self.bucket, Key='img')['Body'].read())

    def test_https_host_gives_s3_https_locations(self):
        location = s3.S3Location('https://s3.example.com', 'a', 'b/c',
                                 'bucket', 'img')
        self.assertEqual('s3+https://a:b%2Fc@s3.example.com/bucket/img',
                         location.uri)
        parsed = self.store._location(location.uri)
        self.assertEqual(('https://s3.example.com', 'a', 'b/c', 'bucket',
                          'img'),
                         (parsed.endpoint, parsed.access_key,
                          parsed.secret_key, parsed.bucket, parsed.key))

    def test_reader_error_mid_multipart_upload_aborts_it(self):
        store = self.new_store(s3_store_thread_pools=2)
        store.large_object_size = store.large_object_chunk_size = PART
        error = RuntimeError('client went away')
        reader = conformance.FailingReader(conformance.payload(5 * PART + 7),
                                           error)
        raised = self.assertRaises(RuntimeError, store.add, 'img', reader,
                                   None)
        self.assertIs(error, raised)
        self.assertEqual([], self.uploads(self.bucket))
        self.assertEqual([], self.keys(self.bucket))
        self.assertEqual([], self.part_objects(self.bucket))

    def test_parts_under_the_servers_minimum_fail_and_are_aborted(self):
        store = self.new_store()
        store.large_object_size = store.large_object_chunk_size = PART // 2
        data = conformance.payload(3 * PART)
        error = self.assertRaises(exceptions.StoreError, store.add, 'img',
                                  io.BytesIO(data), len(data))
        self.assertIn('EntityTooSmall', str(error))
        self.assertEqual([], self.uploads(self.bucket))
        self.assertEqual([], self.keys(self.bucket))
        self.assertEqual([], self.part_objects(self.bucket))

    def test_put_refused_by_a_bucket_quota_is_storage_full(self):
        self.s3.create_bucket(Bucket=self.bucket)
        self.server.set_bucket_quota(self.bucket, MiB)
        data = conformance.payload(MiB + 1)
        error = self.assertRaises(exceptions.StorageFull, self.store.add,
                                  'img', io.BytesIO(data), len(data))
        self.assertEqual(413, error.http_status)
        self.assertEqual([], self.stored_objects())

    def test_missing_bucket_without_create_on_put_is_refused(self):
        store = self.new_store(s3_store_create_bucket_on_put=False)
        reader = conformance.ShortReader(b'data')
        self.assertRaises(exceptions.BadStoreConfiguration, store.add, 'img',
                          reader, 4)
        self.assertEqual(0, reader.reads)

    def test_image_written_before_is_read_with_its_own_credentials(self):
        result = self.store.add('img', io.BytesIO(b'data'), 4)
        other = s3_store(self.server, 'other-bucket',
                         s3_store_access_key='nobody',
                         s3_store_secret_key='wrong')
        self.assertEqual(b'data', b''.join(other.get(result.location)[0]))

    def test_wrong_credentials_are_forbidden(self):
        self.store.add('img', io.BytesIO(b'data'), 4)
        uri = 's3://%s:wrong@%s/%s/img' % (
            urllib.parse.quote(self.server.access_key, safe=''),
            urllib.parse.urlsplit(self.server.endpoint).netloc, self.bucket)
        self.assertRaises(exceptions.Forbidden, self.store.get, uri)

    def test_store_owns_locations_on_its_endpoint_only(self):
        location = self.store.add('img', io.BytesIO(b'x'), 1).location
        self.assertTrue(self.store.owns(self.store.parse(location)))
        host = urllib.parse.urlsplit(self.server.endpoint).netloc
        elsewhere = location.replace('@' + host, '@192.0.2.1:9')
        self.assertFalse(self.store.owns(self.store.parse(elsewhere)))

    def test_location_without_credentials_is_a_bad_uri(self):
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          's3://127.0.0.1:1/bucket/img')


class OnRadosgw:
    """Mix in first: run the class against radosgw instead of Swift."""

    start_server = staticmethod(ceph_fixture.radosgw)


class RadosgwS3StoreContractTest(OnRadosgw, S3StoreContractTest):
    pass


class RadosgwS3MultipartContractTest(OnRadosgw, S3MultipartContractTest):
    pass


class RadosgwS3StoreWriteTest(OnRadosgw, S3StoreWriteTest):
    pass


class S3StoreBackendDownTest(testtools.TestCase):
    """An endpoint nobody listens on: 503-class errors, nothing read."""

    def setUp(self):
        super().setUp()
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        nobody = types.SimpleNamespace(
            endpoint='http://127.0.0.1:%d' % self.port, access_key='a',
            secret_key='b', region='us-east-1')
        self.store = s3_store(nobody, 'glance')

    def test_add_raises_backend_unavailable_before_reading(self):
        reader = conformance.ShortReader(b'data')
        error = self.assertRaises(exceptions.BackendUnavailable,
                                  self.store.add, 'img', reader, 4)
        self.assertEqual(503, error.http_status)
        self.assertEqual(0, reader.reads)

    def test_get_delete_and_get_size_raise_backend_unavailable(self):
        uri = 's3://a:b@127.0.0.1:%d/glance/img' % self.port
        for call in (self.store.get, self.store.get_size, self.store.delete):
            self.assertRaises(exceptions.BackendUnavailable, call, uri)
