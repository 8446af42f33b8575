"""Several stores in one glance-api (enabled_backends) against real
daemons: store discovery, upload to a chosen store, the ``stores``
attribute, removing an image from one store; and the single-store
configuration through the same code path."""

import os
import re

from tests.functional import base
from tests.functional import store_helpers
from tests.functional import test_metadef_cli

ADMIN = store_helpers.ADMIN
MEMBER = store_helpers.MEMBER
DATA = b'multi-store image data ' * 300


class MultiStoreConfigMixin:
    """fast and cheap: two file stores; web: the read-only http store."""

    @classmethod
    def api_config(cls):
        cls.fast_dir = os.path.join(cls.root, 'fast')
        cls.cheap_dir = os.path.join(cls.root, 'cheap')
        return {
            'DEFAULT': {'enabled_backends': 'fast:file, cheap:file, web:http',
                        'show_multiple_locations': True},
            'glance_store': {'default_backend': 'fast'},
            'fast': {'filesystem_store_datadir': cls.fast_dir,
                     'store_description': 'Fast local disk'},
            'cheap': {'filesystem_store_datadir': cls.cheap_dir,
                      'store_description': 'Slow but roomy'},
            'web': {'store_description': 'Images on web servers'},
        }


class MultiStoreTestCase(MultiStoreConfigMixin,
                         store_helpers.StoreCallsMixin, base.ServerTestCase):

    # -- discovery -------------------------------------------------------

    def test_stores_info_lists_ids_descriptions_default_and_read_only(self):
        status, _, body = self.request_json('GET', '/v2/info/stores',
                                            headers=MEMBER)
        self.assertEqual(200, status, body)
        self.assertEqual({'stores': [
            {'id': 'fast', 'description': 'Fast local disk',
             'default': 'true'},
            {'id': 'cheap', 'description': 'Slow but roomy'},
            {'id': 'web', 'description': 'Images on web servers',
             'read-only': 'true'}]}, body)

    def test_stores_detail_adds_type_and_properties_for_admins(self):
        status, _, body = self.request_json('GET', '/v2/info/stores/detail',
                                            headers=ADMIN)
        self.assertEqual(200, status, body)
        stores = {s['id']: s for s in body['stores']}
        self.assertEqual(['fast', 'cheap', 'web'],
                         [s['id'] for s in body['stores']])
        self.assertEqual({'id': 'fast', 'description': 'Fast local disk',
                          'default': 'true', 'type': 'file', 'weight': 0,
                          'properties': {'data_dirs': [self.fast_dir],
                                         'chunk_size': 65536}},
                         stores['fast'])
        self.assertEqual('http', stores['web']['type'])
        self.assertEqual({}, stores['web']['properties'])

    def test_stores_detail_is_forbidden_to_members(self):
        status, _, body = self.request('GET', '/v2/info/stores/detail',
                                       headers=MEMBER)
        self.assertEqual(403, status, body)

    # -- upload to a chosen store ----------------------------------------

    def test_upload_goes_to_the_named_store_and_image_shows_it(self):
        image = self.create_with_data(DATA, store='cheap')
        self.assertEqual('active', image['status'])
        self.assertEqual('cheap', image['stores'])
        self.assertEqual(['file://%s/%s' % (self.cheap_dir, image['id'])],
                         [loc['url'] for loc in image['locations']])
        self.assertEqual({'store': 'cheap'},
                         image['locations'][0]['metadata'])
        self.assertFalse(os.path.exists(os.path.join(self.fast_dir,
                                                     image['id'])))
        self.assertEqual(DATA, self.download(image['id']))

    def test_upload_without_the_header_goes_to_the_default_store(self):
        image = self.create_with_data(DATA)
        self.assertEqual('fast', image['stores'])
        self.assertTrue(os.path.exists(os.path.join(self.fast_dir,
                                                    image['id'])))

    def test_upload_to_an_unknown_store_is_400_naming_it(self):
        image = self.create_image()
        body = self.upload(image['id'], DATA, store='floppy', expected=400)
        self.assertIn(b'floppy', body)
        shown = self.show(image['id'])
        self.assertEqual('queued', shown['status'])
        self.assertNotIn('stores', shown)

    def test_upload_to_the_read_only_store_is_410_and_keeps_queued(self):
        image = self.create_image()
        self.upload(image['id'], DATA, store='web', expected=410)
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_stores_is_read_only(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'name': 'x', 'stores': 'fast'},
            headers=ADMIN)
        self.assertEqual(403, status, body)

    # -- DELETE /v2/stores/{store_id}/{image_id} -------------------------

    def image_in_two_stores(self):
        """Uploaded to fast, then copied into cheap by hand and added as
        a second location."""
        image = self.create_with_data(DATA, store='fast')
        copy = os.path.join(self.cheap_dir, image['id'])
        with open(copy, 'wb') as f:
            f.write(DATA)
        image = self.add_location(image['id'], 'file://' + copy)
        self.assertEqual('fast,cheap', image['stores'])
        self.assertEqual({'store': 'cheap'},
                         image['locations'][1]['metadata'])
        return image

    def test_delete_from_store_removes_that_copy_only(self):
        image = self.image_in_two_stores()
        status, body = self.delete_from_store('fast', image['id'])
        self.assertEqual(204, status, body)
        self.assertFalse(os.path.exists(os.path.join(self.fast_dir,
                                                     image['id'])))
        self.assertTrue(os.path.exists(os.path.join(self.cheap_dir,
                                                    image['id'])))
        shown = self.show(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual('cheap', shown['stores'])
        self.assertEqual(1, len(shown['locations']))
        self.assertEqual(DATA, self.download(image['id']))

    def test_delete_from_the_only_store_is_409_and_keeps_everything(self):
        image = self.create_with_data(DATA, store='cheap')
        status, body = self.delete_from_store('cheap', image['id'])
        self.assertEqual(409, status, body)
        self.assertIn('only copy', body)
        self.assertTrue(os.path.exists(os.path.join(self.cheap_dir,
                                                    image['id'])))
        self.assertEqual('cheap', self.show(image['id'])['stores'])

    def test_delete_from_unknown_store_or_of_unknown_image_is_404(self):
        image = self.image_in_two_stores()
        status, body = self.delete_from_store('floppy', image['id'])
        self.assertEqual(404, status, body)
        self.assertIn('floppy', body)
        status, body = self.delete_from_store(
            'fast', '11111111-2222-3333-4444-555555555555')
        self.assertEqual(404, status, body)
        status, body = self.delete_from_store('web', image['id'])
        self.assertEqual(404, status, body)
        self.assertEqual('fast,cheap', self.show(image['id'])['stores'])

    def test_delete_from_store_is_admin_only_by_policy(self):
        image = self.image_in_two_stores()
        status, body = self.delete_from_store('fast', image['id'],
                                              headers=MEMBER)
        self.assertEqual(403, status, body)
        self.assertEqual('fast,cheap', self.show(image['id'])['stores'])

    def test_delete_from_store_of_a_queued_image_is_409(self):
        image = self.create_image()
        status, body = self.delete_from_store('fast', image['id'])
        self.assertEqual(409, status, body)


class WeightedStoresTestCase(MultiStoreConfigMixin,
                             store_helpers.StoreCallsMixin,
                             base.ServerTestCase):
    """cheap weighs more than fast: an image in both lists (and reads)
    cheap first, as upstream orders locations by store weight."""

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['cheap']['weight'] = 100
        config['fast']['weight'] = 10
        return config

    def test_stores_and_locations_are_listed_by_weight(self):
        # The copy in cheap is added after fast's: the weights, not the
        # order the locations were recorded in, put it first.
        image = self.create_with_data(DATA, store='fast')
        copy = os.path.join(self.cheap_dir, image['id'])
        os.makedirs(self.cheap_dir, exist_ok=True)
        with open(copy, 'wb') as f:
            f.write(DATA)
        image = self.add_location(image['id'], 'file://' + copy)
        self.assertEqual('cheap,fast', image['stores'])
        self.assertEqual(['cheap', 'fast'],
                         [loc['metadata']['store']
                          for loc in self.show(image['id'])['locations']])
        status, _, body = self.request_json(
            'GET', '/v2/info/stores/detail', headers=ADMIN)
        self.assertEqual(200, status, body)
        self.assertEqual({'fast': 10, 'cheap': 100, 'web': 0},
                         {s['id']: s['weight'] for s in body['stores']})


class SingleStoreTestCase(store_helpers.StoreCallsMixin,
                          base.ServerTestCase):
    """[glance_store] stores / default_store: one backend per type, named
    after its type, on the same code path."""

    api_overrides = {'glance_store': {'stores': 'file,http',
                                      'default_store': 'file'}}

    def test_stores_info_names_each_type_with_file_as_default(self):
        status, _, body = self.request_json('GET', '/v2/info/stores')
        self.assertEqual(200, status, body)
        self.assertEqual({'stores': [{'id': 'file', 'default': 'true'},
                                     {'id': 'http', 'read-only': 'true'}]},
                         body)

    def test_upload_records_the_file_store_and_accepts_its_id(self):
        for store in (None, 'file'):
            image = self.create_with_data(DATA, store=store)
            self.assertEqual('file', image['stores'])
            self.assertEqual(DATA, self.download(image['id']))


def flat(output):
    """CLI table output without borders and whitespace."""
    lines = [line for line in output.splitlines()
             if not line.startswith('+')]
    return re.sub(r'[\s|]', '', ''.join(lines))


class GlanceClientStoresTestCase(MultiStoreConfigMixin,
                                 store_helpers.StoreCallsMixin,
                                 test_metadef_cli.CLITestCase):
    """python-glanceclient's store commands (glance stores-info,
    image-create --store, stores-delete) against the multi-store api."""

    def image_id(self, output):
        found = re.search(r'\|\s*id\s*\|\s*([0-9a-f-]{36})\s*\|', output)
        self.assertIsNotNone(found, output)
        return found.group(1)

    def test_stores_info_and_detail(self):
        # glanceclient prints the answer as JSON in a wrapped table.
        output = flat(self.glance('stores-info'))
        self.assertIn('{"id":"fast","description":"Fastlocaldisk",'
                      '"default":"true"}', output)
        self.assertIn('{"id":"web","description":"Imagesonwebservers",'
                      '"read-only":"true"}', output)
        self.assertNotIn('properties', output)
        detail = flat(self.glance('stores-info', '--detail'))
        self.assertIn('"type":"file","properties":{"data_dirs":["%s"]'
                      % self.cheap_dir, detail)
        self.assertIn('"type":"http","properties":{}', detail)

    def test_image_create_with_store_uploads_there(self):
        path = os.path.join(self.root, 'cli-image.raw')
        with open(path, 'wb') as f:
            f.write(DATA)
        output = self.glance('image-create', '--name', 'cli-store',
                             '--disk-format', 'raw', '--container-format',
                             'bare', '--store', 'cheap', '--file', path)
        image_id = self.image_id(output)
        self.assertRegex(output, r'\|\s*stores\s*\|\s*cheap\s*\|')
        self.assertTrue(os.path.exists(os.path.join(self.cheap_dir,
                                                    image_id)))
        copy = os.path.join(self.root, 'cli-image.copy')
        self.glance('image-download', '--file', copy, image_id)
        with open(copy, 'rb') as f:
            self.assertEqual(DATA, f.read())

    def test_image_create_with_an_unknown_store_fails_before_upload(self):
        path = os.path.join(self.root, 'cli-unknown.raw')
        with open(path, 'wb') as f:
            f.write(DATA)
        result = self.run_cli(
            [os.path.join(test_metadef_cli.BIN, 'glance'), '--os-image-url',
             self.api.url, '--os-auth-token', 'x', 'image-create', '--name',
             'cli-unknown', '--disk-format', 'raw', '--container-format',
             'bare', '--store', 'floppy', '--file', path], expect=1)
        self.assertIn('floppy', result.stdout + result.stderr)
        # Nothing became active and no store holds data for the name.
        images = self.api_json('/v2/images?name=cli-unknown')['images']
        self.assertEqual([], [i['id'] for i in images
                              if i['status'] != 'queued'])
        for image in images:
            for data_dir in (self.fast_dir, self.cheap_dir):
                self.assertFalse(os.path.exists(
                    os.path.join(data_dir, image['id'])))

    def test_stores_delete_removes_one_copy(self):
        image = self.create_with_data(DATA, store='fast')
        copy = os.path.join(self.cheap_dir, image['id'])
        with open(copy, 'wb') as f:
            f.write(DATA)
        self.add_location(image['id'], 'file://' + copy)
        self.glance('stores-delete', '--store', 'fast', image['id'])
        self.assertEqual('cheap', self.show(image['id'])['stores'])
        self.assertFalse(os.path.exists(os.path.join(self.fast_dir,
                                                     image['id'])))
