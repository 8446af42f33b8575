"""The upload service's steps against the real db layer and file store.

The registry contract is served in-process by glance_registry.db.api (the
functions the registry daemon dispatches to), so these tests can break an
upload at any point and then read the image row and the data directory.
"""

import hashlib
import io
import os

from oslo_config import cfg

import glance_store
from glance_api import leases
from glance_api import upload
from glance_registry.common import exception
from glance_registry import contract
from glance_registry.db import api as db_api
from glance_store import exceptions as store_exceptions
from tests.unit.registry.db import base as db_base
from tests.unit.store import helpers as store_helpers

MiB = 1024 * 1024


class LocalRegistry:
    """The registry contract called on the db layer of this process."""

    def __getattr__(self, name):
        if name not in contract.OPERATIONS:
            raise AttributeError(name)
        function = getattr(db_api, name)

        def operation(context, **kwargs):
            return function(context, **kwargs)
        return operation


class Body:
    """A request body; ``hook(read_so_far)`` runs before each read."""

    def __init__(self, data, hook=None):
        self.stream = io.BytesIO(data)
        self.hook = hook
        self.count = 0

    def read(self, size=-1):
        if self.hook:
            self.hook(self.count)
        chunk = self.stream.read(size)
        self.count += len(chunk)
        return chunk


class ClientGone(OSError):
    pass


class UploadTestCase(db_base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.context = db_base.make_context('p1')
        self.datadir = self.useFixture(
            store_helpers.fixtures.TempDir()).path
        self.registry = LocalRegistry()

    def make_uploader(self, datadir=None, **options):
        conf = store_helpers.make_conf(
            {'filesystem_store_datadir': datadir or self.datadir})
        for name, value in options.items():
            conf.register_opts(upload.upload_opts)
            conf.set_override(name, value)
        return upload.Uploader(self.registry, glance_store.Stores(conf),
                               conf)

    def create_image(self, **values):
        values.setdefault('disk_format', 'raw')
        values.setdefault('container_format', 'bare')
        values.setdefault('owner', 'p1')
        return db_api.image_create(self.context, values=values)['id']

    def image(self, image_id):
        return db_api.image_get(self.context, image_id=image_id)

    def files(self, directory=None):
        return sorted(os.listdir(directory or self.datadir))


class TestUploader(UploadTestCase):

    def test_upload_makes_image_active_with_hashes_and_location(self):
        data = os.urandom(5 * MiB + 3)
        image_id = self.create_image()
        self.make_uploader().upload(self.context, image_id, Body(data),
                                    len(data))
        image = self.image(image_id)
        self.assertEqual('active', image['status'])
        self.assertEqual(len(data), image['size'])
        self.assertEqual(hashlib.md5(data).hexdigest(), image['checksum'])
        self.assertEqual('sha512', image['os_hash_algo'])
        self.assertEqual(hashlib.sha512(data).hexdigest(),
                         image['os_hash_value'])
        [location] = image['locations']
        self.assertEqual('active', location['status'])
        self.assertEqual('file://%s/%s' % (self.datadir, image_id),
                         location['url'])
        self.assertEqual([image_id], self.files())

    def test_hashing_algorithm_option_picks_the_multihash(self):
        image_id = self.create_image()
        self.make_uploader(hashing_algorithm='sha256').upload(
            self.context, image_id, Body(b'abc'), 3)
        image = self.image(image_id)
        self.assertEqual(('sha256', hashlib.sha256(b'abc').hexdigest()),
                         (image['os_hash_algo'], image['os_hash_value']))

    def test_unknown_hashing_algorithm_fails_at_start(self):
        self.assertRaises(ValueError, self.make_uploader,
                          hashing_algorithm='no-such-hash')

    def test_client_gone_mid_upload_restores_queued_and_keeps_no_data(self):
        image_id = self.create_image()

        def disconnect(count):
            if count >= 2 * MiB:
                raise ClientGone('connection reset by peer')

        self.assertRaises(ClientGone, self.make_uploader().upload,
                          self.context, image_id,
                          Body(os.urandom(4 * MiB), disconnect), 4 * MiB)
        image = self.image(image_id)
        self.assertEqual(('queued', None, []),
                         (image['status'], image['checksum'],
                          image['locations']))
        self.assertEqual([], self.files())

    def test_store_full_restores_queued_and_keeps_no_data(self):
        tmpfs = self.useFixture(store_helpers.Tmpfs(self, size='2m'))
        image_id = self.create_image()
        self.assertRaises(store_exceptions.StorageFull,
                          self.make_uploader(tmpfs.path).upload,
                          self.context, image_id, Body(os.urandom(3 * MiB)))
        self.assertEqual('queued', self.image(image_id)['status'])
        self.assertEqual([], self.files(tmpfs.path))

    def test_size_cap_past_mid_stream_restores_queued(self):
        image_id = self.create_image()
        self.assertRaises(exception.ImageSizeLimitExceeded,
                          self.make_uploader(image_size_cap=MiB).upload,
                          self.context, image_id, Body(os.urandom(3 * MiB)))
        self.assertEqual('queued', self.image(image_id)['status'])
        self.assertEqual([], self.files())

    def test_declared_size_over_cap_is_refused_without_leaving_queued(self):
        image_id = self.create_image()
        body = Body(b'x' * 10)
        self.assertRaises(exception.ImageSizeLimitExceeded,
                          self.make_uploader(image_size_cap=5).upload,
                          self.context, image_id, body, 10)
        self.assertEqual(0, body.count)
        self.assertEqual('queued', self.image(image_id)['status'])

    def test_quota_counts_the_owners_other_images(self):
        uploader = self.make_uploader(user_storage_quota='1KB')
        first = self.create_image()
        uploader.upload(self.context, first, Body(b'a' * 700), 700)
        second = self.create_image()
        e = self.assertRaises(exception.StorageQuotaFull, uploader.upload,
                              self.context, second, Body(b'b' * 400))
        self.assertIn('324 bytes remaining', str(e))
        self.assertEqual('queued', self.image(second)['status'])
        uploader.upload(self.context, second, Body(b'b' * 324))
        self.assertEqual('active', self.image(second)['status'])
        third = self.create_image()
        self.assertRaises(exception.StorageQuotaFull, uploader.upload,
                          self.context, third, Body(b''), 0)

    def test_upload_to_saving_image_is_conflict_and_touches_nothing(self):
        image_id = self.create_image(status='saving')
        self.assertRaises(exception.InvalidStatusTransition,
                          self.make_uploader().upload, self.context,
                          image_id, Body(b'data'), 4)
        self.assertEqual('saving', self.image(image_id)['status'])
        self.assertEqual([], self.files())

    def test_missing_container_format_is_invalid_before_saving(self):
        image_id = self.create_image(container_format=None)
        self.assertRaises(exception.Invalid, self.make_uploader().upload,
                          self.context, image_id, Body(b'data'), 4)
        self.assertEqual('queued', self.image(image_id)['status'])

    def test_image_deleted_during_upload_removes_the_data(self):
        image_id = self.create_image()
        data = os.urandom(2 * MiB)

        def delete_at_end(count):
            if count == len(data):
                db_api.image_update(self.context, image_id=image_id,
                                    values={'status': 'deleted'})
                db_api.image_destroy(self.context, image_id=image_id)

        self.assertRaises(exception.ImageDeletedDuringUpload,
                          self.make_uploader().upload, self.context,
                          image_id, Body(data, delete_at_end), len(data))
        self.assertEqual([], self.files())

    def test_late_failure_leaves_the_image_another_upload_took(self):
        image_id = self.create_image()
        admin = db_base.ADMIN

        def taken_then_gone(count):
            if count >= MiB:
                # Healed (its holder taken for dead), taken by a second
                # upload; then this upload's client goes away.
                db_api.image_lease_expire(
                    admin, holder_prefix=leases.holder_prefix())
                db_api.image_lease_acquire(
                    self.context, image_id=image_id, holder='other:1/g/1',
                    api_version='v2', duration=60)
                raise ClientGone('connection reset by peer')

        self.assertRaises(ClientGone, self.make_uploader().upload,
                          self.context, image_id,
                          Body(os.urandom(2 * MiB), taken_then_gone), 2 * MiB)
        self.assertEqual('saving', self.image(image_id)['status'])
        [lease] = db_api.image_lease_get_all(admin)
        self.assertEqual('other:1/g/1', lease['holder'])
        self.assertEqual([], self.files())

    def test_parse_storage_quota_is_used_at_start(self):
        self.assertRaises(ValueError, self.make_uploader,
                          user_storage_quota='lots')


class TestUploadOptions(UploadTestCase):

    def test_defaults_match_upstream(self):
        conf = cfg.ConfigOpts()
        conf.register_opts(upload.upload_opts)
        conf([], default_config_files=[])
        self.assertEqual(1099511627776, conf.image_size_cap)
        self.assertEqual('0', conf.user_storage_quota)
        self.assertEqual('sha512', conf.hashing_algorithm)
