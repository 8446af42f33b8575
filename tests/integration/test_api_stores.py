"""glance-api with each real store: Image API v2 uploads and downloads
through the file, swift, s3 (on Swift's s3api and on radosgw) and rbd
stores, first each as the only (default) store, then all of them at once
in one glance-api (enabled_backends) with X-Image-Meta-Store. What the API
says is checked against the backend itself.

The backends are the test process's shared fixtures (started once); each
class uses its own container, bucket or data directory and removes it.
"""

import io
import json
import shutil
import tempfile
import uuid

from botocore import exceptions as botocore_exceptions

from glance_store._drivers import rbd as rbd_driver
from tests.functional import base
from tests.functional import store_helpers
from tests.integration import ceph_fixture
from tests.integration import store_options
from tests.integration import swift_fixture
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB
# Over two RBD objects (1 MiB chunks) and two Swift segments (1 MB).
DATA = conformance.payload(2 * MiB + 123, seed=b'api-stores')
ADMIN = store_helpers.ADMIN


# -- the backends, each with a way to look at what it holds ---------------

class FileBackend:
    store_type = 'file'

    def __init__(self):
        self.datadir = tempfile.mkdtemp(prefix='glance-api-stores-')

    def options(self):
        return {'filesystem_store_datadir': self.datadir}

    def read(self, image_id):
        """The bytes the backend holds for ``image_id``, None if none."""
        try:
            with open('%s/%s' % (self.datadir, image_id), 'rb') as f:
                return f.read()
        except FileNotFoundError:
            return None

    def cleanup(self):
        shutil.rmtree(self.datadir, ignore_errors=True)


class SwiftBackend:
    store_type = 'swift'

    def __init__(self):
        self.cluster = swift_fixture.shared_cluster()
        self.connection = self.cluster.connection()
        self.container = 'glance-api-%s' % uuid.uuid4().hex[:8]

    def options(self):
        # 1 MB segments: DATA is a large object of three.
        return store_options.swift_options(
            self.cluster, swift_store_container=self.container,
            swift_store_large_object_size=1,
            swift_store_large_object_chunk_size=1)

    def read(self, image_id):
        from swiftclient import exceptions
        try:
            return self.connection.get_object(self.container, image_id)[1]
        except exceptions.ClientException as e:
            if e.http_status == 404:
                return None
            raise

    def segments(self, image_id):
        return [name for name in swift_fixture.object_names(
            self.connection, self.container + '_segments')
            if name.startswith(image_id)]

    def cleanup(self):
        swift_fixture.empty_containers(self.connection, self.container,
                                       self.container + '_segments')


class S3Backend:
    store_type = 's3'

    def __init__(self, server):
        self.server = server
        self.s3 = server.s3_client()
        self.bucket = 'glance-api-%s' % uuid.uuid4().hex[:8]

    def options(self):
        return store_options.s3_options(self.server, self.bucket)

    def read(self, image_id):
        try:
            return self.s3.get_object(Bucket=self.bucket,
                                      Key=image_id)['Body'].read()
        except botocore_exceptions.ClientError as e:
            if e.response['Error']['Code'] in ('NoSuchKey', 'NoSuchBucket'):
                return None
            raise

    def cleanup(self):
        try:
            for item in self.s3.list_objects_v2(
                    Bucket=self.bucket).get('Contents', []):
                self.s3.delete_object(Bucket=self.bucket, Key=item['Key'])
            self.s3.delete_bucket(Bucket=self.bucket)
        except botocore_exceptions.ClientError as e:
            if e.response['Error']['Code'] != 'NoSuchBucket':
                raise
        self.server.remove_parts(self.bucket)


class RbdBackend:
    store_type = 'rbd'

    def __init__(self):
        import rados
        self.ceph = ceph_fixture.cluster()
        self.client = rados.Rados(conffile=self.ceph.conf_path,
                                  rados_id='admin')
        self.client.connect(timeout=10)
        self.ioctx = self.client.open_ioctx(ceph_fixture.POOL)

    def options(self):
        return store_options.rbd_options(self.ceph, rbd_store_chunk_size=1)

    def read(self, image_id):
        import rbd
        try:
            with rbd.Image(self.ioctx, image_id, read_only=True) as image:
                return image.read(0, image.size())
        except rbd.ImageNotFound:
            return None

    def driver(self):
        """An rbd store of its own on the same pool, to put data there
        behind glance-api's back."""
        return rbd_driver.Store(helpers.make_conf(self.options()))

    def cleanup(self):
        self.ioctx.close()
        self.client.shutdown()


# -- each store as the one default store -----------------------------------

class DefaultStoreTests(store_helpers.StoreCallsMixin):
    """Mixed into a ServerTestCase with ``make_backend``: glance-api with
    ``[glance_store] stores = <type>`` and ``default_store = <type>``."""

    @classmethod
    def make_backend(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.backend = cls.make_backend()
        try:
            super().setUpClass()
        except BaseException:
            cls.backend.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.backend.cleanup()

    @classmethod
    def api_config(cls):
        store_type = cls.backend.store_type
        options = dict(cls.backend.options(), stores=store_type,
                       default_store=store_type)
        return {'DEFAULT': {'show_image_direct_url': True},
                'glance_store': options}

    def test_upload_download_and_delete_through_the_default_store(self):
        image = self.create_with_data(DATA)
        self.assertEqual('active', image['status'])
        self.assertEqual(len(DATA), image['size'])
        self.assertEqual(self.backend.store_type, image['stores'])
        self.assertTrue(image['direct_url'].startswith(
            self.backend.store_type))
        self.assertEqual(DATA, self.download(image['id']))
        self.assertEqual(DATA, self.backend.read(image['id']))
        status, headers, body = self.request(
            'GET', '/v2/images/%s/file' % image['id'],
            headers=dict(ADMIN, Range='bytes=%d-%d' % (MiB - 5, MiB + 4)))
        self.assertEqual(206, status)
        self.assertEqual(DATA[MiB - 5:MiB + 5], body)

        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % image['id'], headers=ADMIN)
        self.assertEqual(204, status, body)
        self.assertIsNone(self.backend.read(image['id']))

    def test_healthcheck_probes_the_store(self):
        status, _, body = self.request('GET', '/healthcheck', headers=dict(
            ADMIN, Accept='application/json'))
        self.assertEqual(200, status, body)
        details = [r['details'] for r in json.loads(body)['reasons']]
        self.assertIn('stores %s serve' % self.backend.store_type, details)


class FileDefaultStoreTest(DefaultStoreTests, base.ServerTestCase):
    make_backend = FileBackend


class SwiftDefaultStoreTest(DefaultStoreTests, base.ServerTestCase):
    make_backend = SwiftBackend

    def test_large_image_is_segmented_and_segments_go_with_it(self):
        image = self.create_with_data(DATA)
        self.assertEqual(3, len(self.backend.segments(image['id'])))
        self.request('DELETE', '/v2/images/%s' % image['id'],
                     headers=ADMIN)
        self.assertEqual([], self.backend.segments(image['id']))


class S3OnSwiftDefaultStoreTest(DefaultStoreTests, base.ServerTestCase):

    @classmethod
    def make_backend(cls):
        return S3Backend(swift_fixture.shared_cluster())


class S3OnRadosgwDefaultStoreTest(DefaultStoreTests, base.ServerTestCase):

    @classmethod
    def make_backend(cls):
        return S3Backend(ceph_fixture.radosgw())


class RbdDefaultStoreTest(DefaultStoreTests, base.ServerTestCase):
    make_backend = RbdBackend

    def test_direct_url_snapshot_is_clonable_and_blocks_delete(self):
        import rbd
        image = self.create_with_data(DATA)
        fsid, pool, name, snapshot = image['direct_url'][
            len('rbd://'):].split('/')
        self.assertEqual((self.backend.ceph.fsid, ceph_fixture.POOL,
                          image['id'], 'snap'), (fsid, pool, name, snapshot))
        # What Nova and Cinder do with direct_url: a copy-on-write clone.
        clone = 'clone-' + image['id']
        rbd.RBD().clone(self.backend.ioctx, name, snapshot,
                        self.backend.ioctx, clone,
                        features=rbd.RBD_FEATURE_LAYERING)
        try:
            with rbd.Image(self.backend.ioctx, clone) as child:
                self.assertEqual(DATA[:4096], child.read(0, 4096))

            status, _, body = self.request('DELETE', '/v2/images/%s'
                                           % image['id'], headers=ADMIN)
            self.assertEqual(409, status, body)
            self.assertIn(b'in use', body)
            self.assertEqual('active', self.show(image['id'])['status'])
            self.assertEqual(DATA, self.download(image['id']))
        finally:
            rbd.RBD().remove(self.backend.ioctx, clone)

        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % image['id'], headers=ADMIN)
        self.assertEqual(204, status, body)
        self.assertIsNone(self.backend.read(image['id']))


# -- all stores in one glance-api -------------------------------------------

class BackendsMixin:
    """Real backends for one glance-api (enabled_backends): ``backends``
    (store id -> backend) from :meth:`make_backends`, the first the
    default, each removed after the class."""

    @classmethod
    def setUpClass(cls):
        cls.backends = {}
        try:
            cls.make_backends()
            super().setUpClass()
        except BaseException:
            cls.cleanup_backends()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.cleanup_backends()

    @classmethod
    def cleanup_backends(cls):
        for backend in cls.backends.values():
            backend.cleanup()

    @classmethod
    def api_config(cls):
        config = {'DEFAULT': {
            'enabled_backends': ', '.join(
                '%s:%s' % (name, backend.store_type)
                for name, backend in cls.backends.items()),
            'show_multiple_locations': True},
            'glance_store': {'default_backend': next(iter(cls.backends))}}
        for name, backend in cls.backends.items():
            config[name] = dict(backend.options(),
                                store_description='The %s store' % name)
        return config


class AllStoresTest(BackendsMixin, store_helpers.StoreCallsMixin,
                    base.ServerTestCase):
    """enabled_backends with one backend of each kind; file the default."""

    @classmethod
    def make_backends(cls):
        cls.backends['local'] = FileBackend()
        cls.backends['objects'] = SwiftBackend()
        cls.backends['s3-swift'] = S3Backend(swift_fixture.shared_cluster())
        cls.backends['s3-rgw'] = S3Backend(ceph_fixture.radosgw())
        cls.backends['ceph'] = RbdBackend()

    def test_one_image_per_store_reads_back_identical(self):
        images = {}
        for name, backend in self.backends.items():
            data = conformance.payload(MiB + len(name), seed=name.encode())
            image = self.create_with_data(data, store=name)
            images[name] = image['id']
            self.assertEqual(name, image['stores'])
            self.assertEqual([{'store': name}],
                             [loc['metadata'] for loc in image['locations']])
            self.assertEqual(data, self.download(image['id']), name)
            self.assertEqual(data, backend.read(image['id']), name)
        for name, image_id in images.items():
            status, _, body = self.request('DELETE', '/v2/images/%s'
                                           % image_id, headers=ADMIN)
            self.assertEqual(204, status, body)
            self.assertIsNone(self.backends[name].read(image_id), name)

    def test_stores_info_and_detail_list_every_store_without_secrets(self):
        status, _, body = self.request_json('GET', '/v2/info/stores')
        self.assertEqual(200, status, body)
        self.assertEqual(list(self.backends),
                         [store['id'] for store in body['stores']])
        self.assertEqual(['local'], [store['id'] for store in body['stores']
                                     if store.get('default')])
        status, _, raw = self.request('GET', '/v2/info/stores/detail',
                                      headers=ADMIN)
        self.assertEqual(200, status, raw)
        for secret in (swift_fixture.KEY, ceph_fixture.RGW_SECRET_KEY,
                       ceph_fixture.RGW_ACCESS_KEY):
            self.assertNotIn(secret.encode(), raw)
        detail = {s['id']: s for s in json.loads(raw)['stores']}
        self.assertEqual({name: backend.store_type
                          for name, backend in self.backends.items()},
                         {name: s['type'] for name, s in detail.items()})
        self.assertEqual(self.backends['s3-rgw'].bucket,
                         detail['s3-rgw']['properties']['bucket'])
        self.assertEqual(ceph_fixture.POOL,
                         detail['ceph']['properties']['pool'])

    def test_delete_from_store_removes_the_data_on_that_backend(self):
        swift, ceph = self.backends['objects'], self.backends['ceph']
        image = self.create_with_data(DATA, store='objects')
        # A second copy in Ceph, written behind glance-api's back (as an
        # operator copying data would) and added as a location.
        driver = ceph.driver()
        self.addCleanup(driver.close)
        copy = driver.add(image['id'], io.BytesIO(DATA), len(DATA))
        image = self.add_location(image['id'], copy.location)
        self.assertEqual('objects,ceph', image['stores'])
        self.assertEqual({'store': 'ceph'},
                         image['locations'][1]['metadata'])

        status, body = self.delete_from_store('objects', image['id'])
        self.assertEqual(204, status, body)
        self.assertIsNone(swift.read(image['id']))
        self.assertEqual([], swift.segments(image['id']))
        shown = self.show(image['id'])
        self.assertEqual(('active', 'ceph'),
                         (shown['status'], shown['stores']))
        self.assertEqual(DATA, self.download(image['id']))

        status, body = self.delete_from_store('ceph', image['id'])
        self.assertEqual(409, status, body)
        self.assertEqual(DATA, ceph.read(image['id']))
        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % image['id'], headers=ADMIN)
        self.assertEqual(204, status, body)
        self.assertIsNone(ceph.read(image['id']))
