"""glance-store-audit against the real swift, s3 and rbd backends: a
glance-api and glance-registry pair on each store (the test process's
shared Swift cluster and Ceph cluster, in a container, bucket or pool of
the test's own; s3 both on Swift's s3api and on radosgw), an active image,
an image whose data is removed behind glance-api's back, and orphan data
put in the store directly as a cut-off upload leaves it. The audit
reports exactly that orphan and that missing data; ``--delete-orphans``
keeps the orphan while it is younger than the grace period and removes it
past it; the active image reads back the same.
"""

import uuid

from tests.integration import ceph_fixture
from tests.integration import swift_fixture
from tests.integration import test_api_stores
from tests.probe import base
from tests.unit.store import conformance

MiB = conformance.MiB
# Three Swift segments of 1 MB, three RBD objects of 1 MiB.
DATA = conformance.payload(2 * MiB + 321, seed=b'store-audit')


class SwiftBackend(test_api_stores.SwiftBackend):

    def put_orphan(self, image_id, data):
        """Two segments and no manifest: an upload cut off mid-way whose
        clean-up could not reach Swift."""
        segments = self.container + '_segments'
        self.connection.put_container(segments)
        half = len(data) // 2
        self.connection.put_object(segments, image_id + '-00001',
                                   data[:half])
        self.connection.put_object(segments, image_id + '-00002',
                                   data[half:])

    def holds(self, image_id):
        return bool(self.read(image_id) is not None or
                    self.segments(image_id))

    def remove(self, image_id):
        self.connection.delete_object(self.container, image_id)


class S3Backend(test_api_stores.S3Backend):

    def __init__(self, server=None):
        # Swift's s3api in the shared cluster unless told otherwise.
        super().__init__(server or swift_fixture.shared_cluster())

    def put_orphan(self, image_id, data):
        self.s3.put_object(Bucket=self.bucket, Key=image_id, Body=data)

    def holds(self, image_id):
        return self.read(image_id) is not None

    def remove(self, image_id):
        self.s3.delete_object(Bucket=self.bucket, Key=image_id)


class RbdBackend(test_api_stores.RbdBackend):
    """In a pool of the test's own: the shared pool holds other tests'
    images, which this audit would rightly call orphans."""

    def __init__(self):
        super().__init__()
        self.pool = 'audit-%s' % uuid.uuid4().hex[:8]
        self.client.create_pool(self.pool)
        self.ioctx.close()
        self.ioctx = self.client.open_ioctx(self.pool)
        self.ioctx.application_enable('rbd')

    def options(self):
        return dict(super().options(), rbd_store_pool=self.pool)

    def put_orphan(self, image_id, data):
        """An RBD image without its snapshot: an upload cut off before
        the snapshot whose clean-up could not reach the cluster."""
        import rbd
        rbd.RBD().create(self.ioctx, image_id, len(data), old_format=False,
                         features=rbd.RBD_FEATURE_LAYERING)
        with rbd.Image(self.ioctx, image_id) as image:
            image.write(data, 0)

    def holds(self, image_id):
        return self.read(image_id) is not None

    def remove(self, image_id):
        import rbd
        with rbd.Image(self.ioctx, image_id) as image:
            image.unprotect_snap('snap')
            image.remove_snap('snap')
        rbd.RBD().remove(self.ioctx, image_id)

    def cleanup(self):
        self.ioctx.close()
        self.client.delete_pool(self.pool)
        self.client.shutdown()


class AuditBackendTests:
    """Mixed into a ProbeTest with ``make_backend``."""

    make_backend = None

    def setUp(self):
        self.backend = self.make_backend()
        self.addCleanup(self.backend.cleanup)
        store_type = self.backend.store_type
        self.api_overrides = {'glance_store': dict(
            self.backend.options(), stores=store_type,
            default_store=store_type)}
        super().setUp()

    def test_audit_reports_and_deletes_the_orphan_and_the_missing_data(self):
        live = self.create_image()
        self.assertEqual(204, self.upload(live, DATA))
        gone = self.create_image()
        self.assertEqual(204, self.upload(gone, b'data soon gone'))
        status, report = self.audit()
        self.assertEqual((0, [], []), (status, report['orphans'],
                                       report['missing']))
        self.assertEqual([(self.backend.store_type, True, 2)],
                         [(s['store'], s['listed'], s['objects'])
                          for s in report['stores']])

        orphan = str(uuid.uuid4())
        self.backend.put_orphan(orphan, b'o' * 1000)
        self.backend.remove(gone)
        status, report = self.audit()
        self.assertEqual(1, status)
        # Younger than the default grace period (an hour) by the store's
        # own modification time: reported, and kept by --delete-orphans.
        self.assertEqual([(orphan, 'kept: younger than the grace period',
                           1000)],
                         [(o['image_id'], o['action'], o['size'])
                          for o in report['orphans']])
        self.assertLess(report['orphans'][0]['age'], 600)
        self.assertEqual([gone], [m['image_id'] for m in report['missing']])
        status, report = self.audit('--delete-orphans')
        self.assertEqual([(orphan, 'kept: younger than the grace period')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])
        self.assertTrue(self.backend.holds(orphan))

        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '0')
        self.assertEqual([(orphan, 'deleted')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])
        self.assertFalse(self.backend.holds(orphan))
        self.assertEqual(DATA, self.download(live))
        self.assertEqual(DATA, self.backend.read(live))

        status, report = self.audit()
        self.assertEqual((1, [], [gone]), (
            status, report['orphans'],
            [m['image_id'] for m in report['missing']]))


class MultipartAuditTests(AuditBackendTests):
    """S3 only: a multipart upload never completed nor aborted (its
    glance-api was killed) holds parts no key lists."""

    def test_unfinished_multipart_upload_is_an_orphan_and_is_aborted(self):
        live = self.create_image()
        self.assertEqual(204, self.upload(live, DATA))
        image_id = self.create_image()
        s3 = self.backend.s3
        upload_id = s3.create_multipart_upload(
            Bucket=self.backend.bucket, Key=image_id)['UploadId']
        s3.upload_part(Bucket=self.backend.bucket, Key=image_id,
                       UploadId=upload_id, PartNumber=1, Body=b'p' * 2000)
        status, report = self.audit()
        self.assertEqual(1, status)
        self.assertEqual(
            [(image_id, 2000, 'kept: younger than the grace period')],
            [(o['image_id'], o['size'], o['action'])
             for o in report['orphans']])
        self.assertIn('uploadId=' + upload_id, report['orphans'][0]['uri'])
        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '0')
        self.assertEqual((0, [(image_id, 'deleted')]), (
            status, [(o['image_id'], o['action'])
                     for o in report['orphans']]))
        self.assertEqual([], s3.list_multipart_uploads(
            Bucket=self.backend.bucket).get('Uploads', []))
        self.assertEqual([], self.backend.server.part_objects(
            self.backend.bucket))
        self.assertEqual(DATA, self.download(live))
        status, report = self.audit()
        self.assertEqual((0, []), (status, report['orphans']))


class SwiftStoreAuditTest(AuditBackendTests, base.ProbeTest):
    make_backend = SwiftBackend


class S3StoreAuditTest(MultipartAuditTests, base.ProbeTest):
    make_backend = S3Backend


class RadosgwS3StoreAuditTest(MultipartAuditTests, base.ProbeTest):
    make_backend = staticmethod(
        lambda: S3Backend(ceph_fixture.radosgw()))


class RbdStoreAuditTest(AuditBackendTests, base.ProbeTest):
    make_backend = RbdBackend
