"""Quotas and limits of Image API v2 against real daemons: members,
properties, tags, locations (413 naming the limit), user_storage_quota and
image_size_cap; locations changes; discovery (/v2/info/*)."""

import json
import os

from tests.functional import base
from tests.functional import test_v2_lifecycle as lifecycle
from tests.functional import test_v2_locations

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
OWNER = lifecycle.OWNER
ADMIN = lifecycle.ADMIN


class QuotaMixin(lifecycle.LifecycleMixin):

    def create(self, headers=OWNER, expected=201, **values):
        body = {'name': 'quota', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        return self.call('POST', '/v2/images', body, headers, expected)[1]

    def patch(self, image_id, changes, headers=OWNER, expected=200):
        status, _, data = self.request(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(changes).encode(), dict(PATCH, **headers))
        data = json.loads(data) if data else None
        self.assertEqual(expected, status, data)
        return data

    def assertLimit(self, body, name):
        self.assertTrue(body['code'].startswith('413'), body)
        self.assertIn(name, body['message'])


class QuotasTestCase(test_v2_locations.DataServerMixin, QuotaMixin,
                     base.ServerTestCase):

    api_overrides = {'DEFAULT': {'image_member_quota': 2,
                                 'image_property_quota': 2,
                                 'image_tag_quota': 2,
                                 'image_location_quota': 2,
                                 'user_storage_quota': '3000',
                                 'image_size_cap': 2500,
                                 'show_multiple_locations': True}}

    def test_member_quota_is_413_naming_the_limit(self):
        image = self.create(visibility='shared')
        path = '/v2/images/%s/members' % image['id']
        self.call('POST', path, {'member': 'p1'}, expected=200)
        self.call('POST', path, {'member': 'p2'}, expected=200)
        status, body = self.call('POST', path, {'member': 'p3'})
        self.assertEqual(413, status, body)
        self.assertIn('image_member_quota', body['message'])

    def test_property_quota_on_create_and_patch(self):
        status, body = self.call('POST', '/v2/images',
                                 {'a': '1', 'b': '2', 'c': '3'})
        self.assertEqual(413, status, body)
        self.assertIn('propert', body['message'])
        image = self.create(a='1', b='2')
        body = self.patch(image['id'], [{'op': 'add', 'path': '/c',
                                         'value': '3'}], expected=413)
        self.assertIn('propert', body['message'])
        # Replacing within the limit is fine.
        self.patch(image['id'], [{'op': 'replace', 'path': '/a',
                                  'value': 'x'}])

    def test_tag_quota_on_create_patch_and_put(self):
        status, body = self.call('POST', '/v2/images',
                                 {'tags': ['a', 'b', 'c']})
        self.assertEqual(413, status, body)
        image = self.create(tags=['a', 'b'])
        self.patch(image['id'], [{'op': 'replace', 'path': '/tags',
                                  'value': ['a', 'b', 'c']}], expected=413)
        status, _, body = self.request('PUT', '/v2/images/%s/tags/c'
                                       % image['id'], headers=dict(OWNER))
        self.assertEqual(413, status, body)
        # An existing tag again is no change.
        status, _, _ = self.request('PUT', '/v2/images/%s/tags/a'
                                    % image['id'], headers=dict(OWNER))
        self.assertEqual(204, status)

    def test_image_size_cap_413_keeps_image_queued(self):
        image = self.create()
        status, _, body = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], b'x' * 2600,
            dict(lifecycle.OCTET, **OWNER))
        self.assertEqual(413, status, body)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('queued', shown['status'])

    def test_user_storage_quota_counts_all_images_of_the_owner(self):
        headers = {'X-Project-Id': 'storage-project', 'X-Roles': 'member'}
        self.create_active(headers=headers, data=b'x' * 2000)
        image = self.create(headers=headers)
        status, _, body = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], b'y' * 1500,
            dict(lifecycle.OCTET, **headers))
        self.assertEqual(413, status, body)

    def test_usage_reports_config_quotas_without_unified_limits(self):
        headers = {'X-Project-Id': 'usage-project', 'X-Roles': 'member'}
        self.create_active(headers=headers, data=b'x' * 2000)
        self.create(headers=headers)
        status, _, body = self.request_json('GET', '/v2/info/usage',
                                            headers=headers)
        self.assertEqual(200, status, body)
        # user_storage_quota (3000 bytes) in MiB, rounded up; sizes used in
        # MiB, rounded down; no other limit.
        self.assertEqual({'image_size_total': {'limit': 1, 'usage': 0},
                          'image_stage_total': {'limit': -1, 'usage': 0},
                          'image_count_total': {'limit': -1, 'usage': 2},
                          'image_count_uploading': {'limit': -1,
                                                    'usage': 0}},
                         body['usage'])

    def test_location_quota_and_location_rules(self):
        urls = [self.served_url(data)
                for data in (b'first', b'second', b'third')]
        image = self.create()
        # An unknown store and an unreadable location are refused.
        self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                  'value': {'url': 'bogus://x',
                                            'metadata': {}}}],
                   expected=400)
        self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                  'value': {'url': urls[0] + '-missing',
                                            'metadata': {}}}],
                   expected=400)
        got = self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                        'value': {'url': urls[0],
                                                  'metadata': {}}}])
        self.assertEqual('active', got['status'])
        self.assertEqual([urls[0]], [loc['url'] for loc in got['locations']])
        self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                  'value': {'url': urls[1],
                                            'metadata': {}}}])
        body = self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                         'value': {'url': urls[2],
                                                   'metadata': {}}}],
                          expected=413)
        self.assertIn('location', body['message'])
        # Removing a location is for administrators (upstream's
        # delete_image_location default).
        self.patch(image['id'], [{'op': 'remove', 'path': '/locations/0'}],
                   expected=403)
        got = self.patch(image['id'], [{'op': 'remove',
                                        'path': '/locations/0'}],
                         headers=ADMIN)
        self.assertEqual([urls[1]], [loc['url'] for loc in got['locations']])
        # The last location of an active image stays.
        self.patch(image['id'], [{'op': 'remove', 'path': '/locations/0'}],
                   headers=ADMIN, expected=403)


class DiscoveryTestCase(base.ServerTestCase):

    def test_import_info_lists_the_enabled_methods(self):
        status, _, body = self.request_json('GET', '/v2/info/import')
        self.assertEqual(200, status)
        self.assertEqual({'description': 'Import methods available.',
                          'type': 'array',
                          'value': ['glance-direct', 'web-download',
                                    'copy-image']},
                         body['import-methods'])

    def test_stores_info_names_the_default_store(self):
        status, _, body = self.request_json('GET', '/v2/info/stores')
        self.assertEqual(200, status, body)
        defaults = [s for s in body['stores'] if s.get('default')]
        self.assertEqual(1, len(defaults), body)
        self.assertTrue(all('id' in s for s in body['stores']))


class ShowDirectUrlTestCase(QuotaMixin, base.ServerTestCase):

    api_overrides = {'DEFAULT': {'show_image_direct_url': True}}

    def test_direct_url_shown_and_locations_not_changeable(self):
        image = self.create_active()
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertTrue(shown['direct_url'].startswith('file://'))
        self.assertNotIn('locations', shown)
        self.assertTrue(os.path.exists(shown['direct_url'][len('file://'):]))
        self.patch(image['id'], [{'op': 'remove', 'path': '/locations/0'}],
                   expected=403)


class QuotasOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                  QuotasTestCase):
    """Every quota test of QuotasTestCase, with the registry reached over
    RabbitMQ."""
