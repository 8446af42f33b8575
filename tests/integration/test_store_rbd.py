"""The rbd store against a real Ceph cluster (one mon, one memstore OSD).

The cluster comes from tests.integration.ceph_fixture, started once per
test process. Every test removes the RBD images it created, so the memstore
OSD (which keeps everything in RAM) stays small.
"""

import io
import os
import subprocess
import sys
import time
import uuid

import fixtures
import testtools

import glance_store
from glance_store._drivers import rbd as rbd_driver
from glance_store import exceptions
from tests.integration import ceph_fixture
from tests.integration import store_options
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB
POOL = ceph_fixture.POOL


def rbd_options(cluster, **overrides):
    # 1 MiB objects and writes: the conformance payloads of 2-3 MiB span
    # several chunks.
    overrides.setdefault('rbd_store_chunk_size', 1)
    return store_options.rbd_options(cluster, **overrides)


class RbdTestBase(testtools.TestCase):
    """Gives each test the cluster, a rados client for looking behind the
    store, and a cleanup of every image the test left in the pool."""

    def setUp(self):
        super().setUp()
        self.cluster = ceph_fixture.cluster()
        import rados
        import rbd
        self.rbd = rbd
        self.rados_client = rados.Rados(conffile=self.cluster.conf_path,
                                        rados_id='admin')
        self.rados_client.connect(timeout=10)
        self.addCleanup(self.rados_client.shutdown)
        self.ioctx = self.rados_client.open_ioctx(POOL)
        self.addCleanup(self.ioctx.close)
        self.images_before = set(self.pool_images())
        self.addCleanup(self.remove_new_images)

    def make_rbd_store(self, **overrides):
        conf = helpers.make_conf(rbd_options(self.cluster, **overrides))
        store = rbd_driver.Store(conf)
        self.addCleanup(store.close)
        return store

    def pool_images(self):
        return sorted(self.rbd.RBD().list(self.ioctx))

    def remove_new_images(self):
        """Remove what this test created: clones first, then parents."""
        leftover = set(self.pool_images()) - self.images_before
        for _ in range(3):
            for name in sorted(leftover):
                try:
                    with self.rbd.Image(self.ioctx, name) as image:
                        for snap in list(image.list_snaps()):
                            if image.is_protected_snap(snap['name']):
                                image.unprotect_snap(snap['name'])
                            image.remove_snap(snap['name'])
                    self.rbd.RBD().remove(self.ioctx, name)
                    leftover.discard(name)
                except (self.rbd.ImageBusy, self.rbd.ImageHasSnapshots):
                    continue        # a clone still points at it; next round
                except self.rbd.ImageNotFound:
                    leftover.discard(name)
        if leftover:
            raise AssertionError('could not remove test images %s'
                                 % sorted(leftover))


class RbdStoreContractTest(conformance.WriteContract, RbdTestBase):
    """The conformance suite on a real cluster, 1 MiB chunks."""

    def make_store(self):
        return self.make_rbd_store()

    def stored_objects(self, store=None):
        return self.pool_images()

    def outside_uri(self):
        return self.seed(b'x').replace('/%s/' % self.store.pool,
                                       '/not-%s/' % self.store.pool)

    # No FullStoreContract: pool quotas are enforced from the PG statistics
    # that ceph-mgr reports; the fixture runs no mgr, and a memstore OSD near
    # its failsafe ratio blocks writes instead of failing them.


class RbdStoreThinContractTest(RbdStoreContractTest):
    """The same suite with rbd_thin_provisioning on."""

    def make_store(self):
        return self.make_rbd_store(rbd_thin_provisioning=True)


class RbdStoreTest(RbdTestBase):

    def setUp(self):
        super().setUp()
        self.store = self.make_rbd_store()

    def add(self, data, image_id=None, size=None, store=None):
        image_id = image_id or str(uuid.uuid4())
        store = store or self.store
        return store.add(image_id, io.BytesIO(data),
                         len(data) if size is None else size)

    def read(self, location):
        iterator, size = self.store.get(location)
        return b''.join(iterator)

    def test_location_names_fsid_pool_image_and_protected_snapshot(self):
        image_id = str(uuid.uuid4())
        result = self.add(conformance.payload(3 * MiB + 1), image_id)
        self.assertEqual('rbd://%s/%s/%s/snap'
                         % (self.cluster.fsid, POOL, image_id),
                         result.location)
        self.assertEqual({'store': 'rbd'}, result.metadata)
        with self.rbd.Image(self.ioctx, image_id) as image:
            self.assertEqual(3 * MiB + 1, image.size())
            self.assertEqual(['snap'],
                             [s['name'] for s in image.list_snaps()])
            self.assertTrue(image.is_protected_snap('snap'))
            self.assertTrue(image.features() & self.rbd.RBD_FEATURE_LAYERING)
            # 1 MiB chunks -> objects of 2**20 bytes.
            self.assertEqual(20, image.stat()['order'])

    def test_default_chunk_size_is_8_mib_objects(self):
        store = self.make_rbd_store(rbd_store_chunk_size=8)
        image_id = str(uuid.uuid4())
        self.add(b'abc', image_id, store=store)
        with self.rbd.Image(self.ioctx, image_id) as image:
            self.assertEqual(23, image.stat()['order'])

    def test_unknown_size_image_ends_at_the_bytes_read(self):
        data = conformance.payload(2 * MiB + 12345)
        image_id = str(uuid.uuid4())
        result = self.add(data, image_id, size=0)
        self.assertEqual(len(data), result.size)
        with self.rbd.Image(self.ioctx, image_id) as image:
            self.assertEqual(len(data), image.size())
        self.assertEqual(data, self.read(result.location))

    def test_reader_shorter_than_the_announced_size_shrinks_the_image(self):
        data = conformance.payload(MiB + 7)
        result = self.add(data, size=4 * MiB)
        self.assertEqual(len(data), result.size)
        self.assertEqual(len(data), self.store.get_size(result.location))

    def test_snapshot_is_clonable_and_blocks_delete_while_a_clone_exists(
            self):
        data = conformance.payload(2 * MiB + 99)
        image_id = str(uuid.uuid4())
        location = self.add(data, image_id).location
        clone = 'clone-' + image_id
        # What Nova/Cinder do with the location: a copy-on-write clone.
        self.rbd.RBD().clone(self.ioctx, image_id, 'snap', self.ioctx, clone,
                             features=self.rbd.RBD_FEATURE_LAYERING)
        with self.rbd.Image(self.ioctx, clone) as child:
            self.assertEqual(data[:4096], child.read(0, 4096))
            self.assertEqual((POOL, image_id, 'snap'), child.parent_info())

        error = self.assertRaises(exceptions.InUse, self.store.delete,
                                  location)
        self.assertEqual(409, error.http_status)
        self.assertIn(image_id, str(error))
        # The parent is whole: readable, snapshot still protected.
        self.assertEqual(data, self.read(location))
        with self.rbd.Image(self.ioctx, image_id) as image:
            self.assertTrue(image.is_protected_snap('snap'))

        self.rbd.RBD().remove(self.ioctx, clone)
        self.store.delete(location)
        self.assertNotIn(image_id, self.pool_images())
        self.assertRaises(exceptions.NotFound, self.store.get, location)

    def test_delete_refuses_an_image_with_other_snapshots(self):
        image_id = str(uuid.uuid4())
        location = self.add(b'data', image_id).location
        with self.rbd.Image(self.ioctx, image_id) as image:
            image.create_snap('backup')
        self.assertRaises(exceptions.InUse, self.store.delete, location)
        self.assertIn(image_id, self.pool_images())

    def test_failing_reader_leaves_no_image_in_the_pool(self):
        for size in (5 * MiB, None):
            error = IOError('client hung up')
            reader = conformance.FailingReader(
                conformance.payload(2 * MiB + 5), error)
            raised = self.assertRaises(IOError, self.store.add,
                                       str(uuid.uuid4()), reader, size)
            self.assertIs(error, raised)
            self.assertEqual(sorted(self.images_before), self.pool_images())

    def test_duplicate_image_id_keeps_the_first_snapshot(self):
        image_id = str(uuid.uuid4())
        first = self.add(b'first', image_id)
        self.assertRaises(exceptions.Duplicate, self.add, b'second',
                          image_id)
        self.assertEqual(b'first', self.read(first.location))

    def test_thin_provisioning_skips_zero_chunks(self):
        store = self.make_rbd_store(rbd_thin_provisioning=True)
        data = bytes(3 * MiB) + conformance.payload(MiB) + bytes(MiB)
        image_id = str(uuid.uuid4())
        result = self.add(data, image_id, store=store)
        self.assertEqual(data, self.read(result.location))
        with self.rbd.Image(self.ioctx, image_id) as image:
            extents = []
            image.diff_iterate(0, image.size(), None,
                               lambda offset, length, exists:
                               extents.append((offset, length, exists)))
        self.assertEqual([(3 * MiB, MiB, True)], extents)

    def test_location_in_a_missing_pool_is_not_found(self):
        uri = 'rbd://%s/no-such-pool/%s/snap' % (self.cluster.fsid,
                                                 uuid.uuid4())
        self.assertRaises(exceptions.NotFound, self.store.get, uri)
        self.assertRaises(exceptions.NotFound, self.store.delete, uri)

    def test_malformed_rbd_location_is_a_bad_store_uri(self):
        for uri in ('rbd://fsid/pool/image', 'rbd://fsid//image/snap',
                    'rbd://a/b/c/d/e'):
            self.assertRaises(exceptions.BadStoreUri, self.store.get, uri)

    def test_short_location_names_an_image_in_the_store_pool(self):
        image_id = str(uuid.uuid4())
        self.add(b'old style', image_id)
        self.assertEqual(9, self.store.get_size('rbd://' + image_id))

    def test_store_owns_locations_of_its_cluster_and_pool_only(self):
        location = self.add(b'x').location
        self.assertTrue(self.store.owns(self.store.parse(location)))
        other_cluster = location.replace(self.cluster.fsid, str(uuid.uuid4()))
        self.assertFalse(self.store.owns(self.store.parse(other_cluster)))
        other_pool = location.replace('/%s/' % POOL, '/volumes/')
        self.assertFalse(self.store.owns(self.store.parse(other_pool)))

    def test_stores_facade_writes_to_rbd_when_it_is_the_default(self):
        options = rbd_options(self.cluster, stores=['file', 'rbd'],
                              default_store='rbd',
                              filesystem_store_datadir=self.useFixture(
                                  fixtures.TempDir()).path)
        stores = glance_store.Stores(helpers.make_conf(options))
        self.addCleanup(stores.get_store('rbd').close)
        result = stores.add(str(uuid.uuid4()), io.BytesIO(b'facade'), 6)
        self.assertTrue(result.location.startswith('rbd://'))
        iterator, size = stores.get(result.location)
        self.assertEqual(b'facade', b''.join(iterator))
        stores.delete(result.location)
        self.assertRaises(exceptions.NotFound, stores.get_size,
                          result.location)

    def test_one_connection_serves_many_operations(self):
        locations = [self.add(b'%d' % i).location for i in range(5)]
        cluster = self.store._cluster
        for location in locations:
            self.store.delete(location)
        self.assertIs(cluster, self.store._cluster)


class RbdClusterDownTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def store_for_conf(self, text, timeout=1):
        path = os.path.join(self.dir, 'ceph.conf')
        with open(path, 'w') as f:
            f.write(text)
        return rbd_driver.Store(helpers.make_conf({
            'rbd_store_ceph_conf': path, 'rados_connect_timeout': timeout}))

    def test_closed_mon_port_is_backend_unavailable_within_the_timeout(self):
        port = ceph_fixture._free_ports(1)[0]   # nobody listens there
        store = self.store_for_conf(
            '[global]\nmon host = v1:127.0.0.1:%d\n'
            'auth cluster required = none\nauth service required = none\n'
            'auth client required = none\n' % port)
        start = time.monotonic()
        error = self.assertRaises(
            exceptions.BackendUnavailable, store.add, str(uuid.uuid4()),
            io.BytesIO(b'data'), 4)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(503, error.http_status)
        start = time.monotonic()
        self.assertRaises(exceptions.BackendUnavailable, store.get,
                          'rbd://%s/images/x/snap' % uuid.uuid4())
        self.assertLess(time.monotonic() - start, 5)

    def test_missing_ceph_conf_is_backend_unavailable(self):
        store = rbd_driver.Store(helpers.make_conf({
            'rbd_store_ceph_conf': os.path.join(self.dir, 'missing.conf'),
            'rados_connect_timeout': 2}))
        error = self.assertRaises(exceptions.BackendUnavailable,
                                  store.get_size,
                                  'rbd://%s/images/x/snap' % uuid.uuid4())
        self.assertIn('missing.conf', str(error))


EVENTLET_SCRIPT = """
import eventlet
eventlet.monkey_patch()
import io, sys, time, uuid
from glance_store._drivers import rbd as rbd_driver
from tests.unit.store import helpers
store = rbd_driver.Store(helpers.make_conf({
    'rbd_store_ceph_conf': sys.argv[1], 'rbd_store_pool': 'images',
    'rbd_store_chunk_size': 1, 'rados_connect_timeout': 10}))
ticks = []
def ticker():
    while True:
        ticks.append(time.monotonic())
        eventlet.sleep(0.005)
eventlet.spawn(ticker)
eventlet.sleep(0)
data = b'x' * (8 * 1024 * 1024)
result = store.add(str(uuid.uuid4()), io.BytesIO(data), len(data))
iterator, size = store.get(result.location)
assert b''.join(iterator) == data
store.delete(result.location)
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print(len(ticks), max(gaps, default=99.0))
"""


class RbdUnderEventletTest(RbdTestBase):

    def test_librados_calls_do_not_block_the_eventlet_hub(self):
        repo = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        result = subprocess.run(
            [sys.executable, '-W', 'ignore', '-c', EVENTLET_SCRIPT,
             self.cluster.conf_path],
            capture_output=True, text=True, timeout=120, cwd=repo)
        self.assertEqual(0, result.returncode, result.stderr)
        ticks, max_gap = result.stdout.split()
        # The hub kept running a 5 ms ticker all through connect, 8 writes,
        # snapshot, reads and delete.
        self.assertGreater(int(ticks), 10)
        self.assertLess(float(max_gap), 0.5)
