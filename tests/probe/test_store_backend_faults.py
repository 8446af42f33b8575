"""Probe: the store's backend breaks mid-upload. The Swift proxy is killed
(SIGKILL) while glance-api writes a large object's segments; the Ceph OSD
is stopped (SIGSTOP) while glance-api writes an RBD image. Each test runs
its own Swift cluster or Ceph cluster (the fixtures' classes, one instance
per test), so no other test sees the fault.

Either way the upload fails by itself within a bounded time (the client
gets an answer, the image returns to ``queued``) although the failed
upload's clean-up could not reach the backend either; once the backend is
back the same image uploads and reads back byte-identical, and the store
holds nothing else: the new upload replaces what the cut-off one left (its
Swift segments, its RBD image without snapshot), which the audit in
between reports as the one orphan.
"""

import hashlib
import os
import signal
import socket
import threading
import time

from tests.integration import ceph_fixture
from tests.integration import store_options
from tests.integration import swift_fixture
from tests.integration import test_store_audit_backends
from tests.probe import base

MiB = base.MiB
# rbd_store_op_timeout of the Ceph test: how long one OSD request waits.
OP_TIMEOUT = 3


class BackendFaultTest(base.ProbeTest):
    """glance-api on the test's own backend (``store_type``)."""

    store_type = None

    def setUp(self):
        options = self.start_backend()
        self.api_overrides = {'glance_store': dict(
            options, stores=self.store_type,
            default_store=self.store_type)}
        super().setUp()

    def start_backend(self):
        """Start the backend; return the store's options."""
        raise NotImplementedError

    def upload_until_stored(self, image_id, stored, sent=4 * MiB):
        """Start an upload of 64 MiB, send ``sent`` bytes, and wait until
        ``stored()`` says the backend holds part of it; returns the
        socket."""
        sock = self.start_upload(image_id, 64 * MiB, sent)
        self.wait_for_row_status(image_id, 'saving')
        self.wait_until(stored, what='data of the upload in the backend')
        return sock

    def keep_sending(self, sock, count=16 * MiB):
        """Send more of the upload in the background, so glance-api has
        data to write to the broken backend; stops when the server hangs
        up."""
        def send():
            try:
                sock.sendall(b'y' * count)
            except OSError:
                pass
        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 30)

    def answer_or_hangup(self, sock, timeout):
        """The status line glance-api answers the cut-off upload with, or
        '' when it hung up without one; fails when neither comes within
        ``timeout`` seconds."""
        sock.settimeout(timeout)
        data = b''
        try:
            while b'\r\n' not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            self.fail('glance-api neither answered nor hung up within %s s '
                      'after the backend broke' % timeout)
        except ConnectionResetError:
            pass
        return data.split(b'\r\n', 1)[0].decode('latin-1')

    def assert_failed_upload_released(self, image_id, sock, broken_at):
        status_line = self.answer_or_hangup(sock, base.HEAL_TIMEOUT)
        if status_line:
            self.assertRegex(status_line, r'^HTTP/1\.[01] 5\d\d ')
        self.wait_for_row_status(image_id, 'queued')
        print('%s: upload failed and image queued %.1f s after the backend '
              'broke' % (self.id(), time.time() - broken_at))
        self.assertEqual({'status': 'queued', 'size': None, 'checksum': None,
                          'deleted': False, 'locations': []},
                         self.row(image_id))
        self.wait_until(lambda: not self.leases(), what='lease released')

    def assert_usable_on_backend(self, image_id, data, since, retry_for=0):
        """The same image uploads again and reads back the same; the
        audit then finds nothing astray. For ``retry_for`` seconds an
        upload answered 503 (the backend not ready for it yet) is tried
        again."""
        deadline = time.time() + retry_for
        while True:
            status = self.upload(image_id, data)
            if status != 503 or time.time() > deadline:
                break
            self.wait_for_row_status(image_id, 'queued')
            time.sleep(0.5)
        self.assertEqual(204, status)
        checksum = hashlib.md5(data).hexdigest()
        # Checksums, not the bytes: a mismatch of megabytes is unreadable.
        self.assertEqual(checksum,
                         hashlib.md5(self.download(image_id)).hexdigest())
        self.report_usable(since)
        row = self.row(image_id)
        self.assertEqual(('active', len(data), checksum),
                         (row['status'], row['size'], row['checksum']))
        self.assertEqual(checksum,
                         hashlib.md5(self.backend_read(image_id)).hexdigest())
        status, report = self.audit()
        self.assertEqual((0, [], []), (status, report['orphans'],
                                       report['missing']))


class SwiftProxyKilledMidUploadTest(BackendFaultTest):
    store_type = 'swift'

    def start_backend(self):
        self.cluster = swift_fixture.SwiftCluster().start()
        self.addCleanup(self.cluster.stop)
        self.container = 'glance'
        self.segments = self.container + '_segments'
        # 1 MB segments: the upload is a large object.
        return store_options.swift_options(
            self.cluster, swift_store_container=self.container,
            swift_store_large_object_size=1,
            swift_store_large_object_chunk_size=1)

    def segment_names(self, image_id):
        return [name for name in swift_fixture.object_names(
            self.cluster.connection(), self.segments)
            if name.startswith(image_id + '-')]

    def backend_read(self, image_id):
        return self.cluster.connection().get_object(self.container,
                                                    image_id)[1]

    def test_proxy_killed_mid_upload_leaves_no_segments_once_back(self):
        image_id = self.create_image()
        sock = self.upload_until_stored(
            image_id, lambda: len(self.segment_names(image_id)) >= 2)
        self.cluster.processes['proxy'].kill()
        killed_at = time.time()
        self.keep_sending(sock)
        self.assert_failed_upload_released(image_id, sock, killed_at)

        self.cluster._launch('proxy')
        self.cluster._wait_until_ready(60)
        # The failed upload's clean-up could not reach Swift: its
        # segments are still there, without a manifest, and the audit
        # calls them one orphan.
        left = self.segment_names(image_id)
        self.assertGreaterEqual(len(left), 2)
        status, report = self.audit()
        self.assertEqual([(image_id, 'kept: younger than the grace period')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])

        # Fewer segments than were left: a manifest reading stale ones
        # after its own would return more data than was uploaded.
        data = os.urandom(MiB + MiB // 2)
        self.assert_usable_on_backend(image_id, data, since=killed_at)
        self.assertEqual(['%s-%05d' % (image_id, n) for n in (1, 2)],
                         sorted(self.segment_names(image_id)))


class CephOsdStoppedMidUploadTest(BackendFaultTest):
    store_type = 'rbd'

    def start_backend(self):
        self.ceph = ceph_fixture.CephCluster(memstore_bytes=256 * MiB)
        try:
            self.ceph.start()
        except BaseException:
            self.ceph.stop()
            raise
        self.addCleanup(self.ceph.stop)
        import rados
        self.client = rados.Rados(conffile=self.ceph.conf_path,
                                  rados_id='admin')
        self.client.connect(timeout=10)
        self.addCleanup(self.client.shutdown)
        self.ioctx = self.client.open_ioctx(ceph_fixture.POOL)
        self.addCleanup(self.ioctx.close)
        return store_options.rbd_options(
            self.ceph, rbd_store_chunk_size=1,
            rbd_store_op_timeout=OP_TIMEOUT)

    def rbd_images(self):
        import rbd
        return rbd.RBD().list(self.ioctx)

    def backend_read(self, image_id):
        import rbd
        with rbd.Image(self.ioctx, image_id, snapshot='snap',
                       read_only=True) as image:
            return image.read(0, image.size())

    def test_osd_stopped_mid_upload_fails_in_bounded_time(self):
        image_id = self.create_image()
        sock = self.upload_until_stored(
            image_id, lambda: image_id in self.rbd_images())
        osd = self.ceph.osd.pid
        os.kill(osd, signal.SIGSTOP)
        stopped_at = time.time()
        self.addCleanup(os.kill, osd, signal.SIGCONT)
        self.keep_sending(sock)
        # Without rbd_store_op_timeout the write waits for the OSD
        # forever, and the client with it.
        self.assert_failed_upload_released(image_id, sock, stopped_at)

        os.kill(osd, signal.SIGCONT)
        # The partial image's removal timed out too: it is still there,
        # without its snapshot, and the audit calls it one orphan.
        self.assertIn(image_id, self.rbd_images())
        status, report = self.audit()
        self.assertEqual([(image_id, 'kept: younger than the grace period')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])

        data = os.urandom(2 * MiB + 17)
        self.assert_usable_on_backend(image_id, data, since=stopped_at)
        self.assertEqual([image_id], self.rbd_images())

    def test_upload_replaces_the_image_a_cut_off_upload_left(self):
        """What the clean-up leaves when it cannot reach the cluster, made
        directly: an RBD image without its snapshot."""
        import rbd
        image_id = self.create_image()
        rbd.RBD().create(self.ioctx, image_id, 4 * MiB, old_format=False,
                         features=rbd.RBD_FEATURE_LAYERING)
        data = b'after the leftover' * 1000
        self.assert_usable_on_backend(image_id, data, since=time.time())
        self.assertEqual([image_id], self.rbd_images())

        # An image with its snapshot is data a location may name: never
        # replaced by an upload.
        other = self.create_image()
        rbd.RBD().create(self.ioctx, other, 4, old_format=False,
                         features=rbd.RBD_FEATURE_LAYERING)
        with rbd.Image(self.ioctx, other) as image:
            image.write(b'keep', 0)
            image.create_snap('snap')
        self.assertNotEqual(204, self.upload(other, b'new data'))
        self.assertEqual(b'keep', self.backend_read(other))


class ApiKilledMidUploadTests:
    """glance-api killed mid-upload on a store that writes in pieces (the
    shared backends, a container, bucket or pool of the test's own): the
    pieces it wrote stay, since nothing is left to remove them; the audit
    reports them as the image's one orphan, and once glance-api is back
    the image uploads again and nothing else stays in the store."""

    #: Whether the next upload of the image replaces what was left (swift
    #: segments, an RBD image without snapshot); otherwise (an unfinished
    #: S3 multipart upload) the audit removes it.
    upload_replaces_leftover = True
    sent = 4 * MiB
    #: How long the backend may refuse the next upload (503).
    release_timeout = 0

    def start_backend(self):
        self.backend = self.make_backend()
        self.addCleanup(self.backend.cleanup)
        return self.backend.options()

    def backend_read(self, image_id):
        return self.backend.read(image_id)

    def test_killed_api_leaves_one_orphan_that_goes_once_back(self):
        image_id = self.create_image()
        sock = self.upload_until_stored(
            image_id, lambda: self.partial(image_id), sent=self.sent)
        self.api.kill()
        killed_at = time.time()
        sock.close()
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.row(image_id)['locations'])
        status, report = self.audit()
        self.assertEqual([(image_id, 'kept: younger than the grace period')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])
        self.api.start()
        if not self.upload_replaces_leftover:
            status, report = self.audit('--delete-orphans', '--grace-period',
                                        '0')
            self.assertEqual([(image_id, 'deleted')],
                             [(o['image_id'], o['action'])
                              for o in report['orphans']])
        self.assertTrue(self.upload_replaces_leftover or
                        not self.partial(image_id))
        self.assert_usable_on_backend(image_id, os.urandom(MiB + 17),
                                      since=killed_at,
                                      retry_for=self.release_timeout)


class SwiftApiKilledMidUploadTest(ApiKilledMidUploadTests, BackendFaultTest):
    store_type = 'swift'
    make_backend = test_store_audit_backends.SwiftBackend

    def partial(self, image_id):
        return len(self.backend.segments(image_id)) >= 2


class S3ApiKilledMidUploadTest(ApiKilledMidUploadTests, BackendFaultTest):
    store_type = 's3'
    make_backend = test_store_audit_backends.S3Backend
    upload_replaces_leftover = False
    # Two parts of 5 MB (the option's minimum part size).
    sent = 12 * MiB

    def start_backend(self):
        return dict(super().start_backend(), s3_store_large_object_size=1,
                    s3_store_large_object_chunk_size=5)

    def partial(self, image_id):
        return any(upload['Key'] == image_id for upload in
                   self.backend.s3.list_multipart_uploads(
                       Bucket=self.backend.bucket).get('Uploads', []))


class RbdApiKilledMidUploadTest(ApiKilledMidUploadTests, BackendFaultTest):
    store_type = 'rbd'
    make_backend = test_store_audit_backends.RbdBackend
    # The killed glance-api's watch on the partial image holds it until
    # the OSD drops it (osd_client_watch_timeout, 30 s): until then the
    # image cannot be removed and an upload answers 503.
    release_timeout = 90

    def partial(self, image_id):
        import rbd
        return image_id in rbd.RBD().list(self.backend.ioctx)
