"""Image API v2 images (create, list, show, update, delete) and schemas
against real glance-registry and glance-api processes.

The same tests run a second time with glance-api reaching the registry over
RabbitMQ (:class:`ImagesOverMessagingTestCase`).
"""

import datetime
import json
import os
import re
import time
import uuid

from tests.functional import base
from tests.functional import test_v2_locations

PATCH_V21 = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
PATCH_V20 = {'Content-Type': 'application/openstack-images-v2.0-json-patch'}
OCTET = {'Content-Type': 'application/octet-stream'}
# A member of another project, not an administrator.
OTHER_USER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
              'X-Roles': 'member'}
# A non-admin user of the noauth default project ("admin").
OWNER_USER = {'X-Project-Id': 'admin', 'X-User-Id': 'plain-user',
              'X-Roles': 'member'}
TIME_FORMAT = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

BASE_KEYS = {'id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
             'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
             'virtual_size', 'container_format', 'disk_format', 'min_ram',
             'min_disk', 'created_at', 'updated_at', 'tags', 'self', 'file',
             'schema'}


class ImagesTestCase(base.ServerTestCase):

    def setUp(self):
        super().setUp()
        # A tag of this test only, so list assertions ignore other tests.
        self.tag = 'test-%s' % uuid.uuid4().hex

    # -- helpers ---------------------------------------------------------

    def create(self, expected=201, headers=None, **values):
        body = {'name': 'image', 'disk_format': 'raw',
                'container_format': 'bare', 'tags': [self.tag]}
        body.update(values)
        status, resp_headers, image = self.request_json(
            'POST', '/v2/images', body, headers)
        self.assertEqual(expected, status, image)
        return image

    def show(self, image_id, expected=200, headers=None):
        status, _, image = self.request_json(
            'GET', '/v2/images/%s' % image_id, headers=headers)
        self.assertEqual(expected, status, image)
        return image

    def patch(self, image_id, changes, expected=200, headers=PATCH_V21,
              extra_headers=None):
        headers = dict(headers)
        headers.update(extra_headers or {})
        status, _, body = self.request(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(changes).encode(), headers)
        body = json.loads(body) if body else None
        self.assertEqual(expected, status, body)
        return body

    def upload(self, image_id, data=b'some image data'):
        status, _, body = self.request('PUT', '/v2/images/%s/file'
                                       % image_id, data, OCTET)
        self.assertEqual(204, status, body)

    def list_images(self, query='', expected=200, headers=None):
        sep = '&' if query else ''
        status, _, body = self.request_json(
            'GET', '/v2/images?tag=%s%s%s' % (self.tag, sep, query),
            headers=headers)
        self.assertEqual(expected, status, body)
        return body

    def names(self, body):
        return [image['name'] for image in body['images']]

    def assertError(self, status, body, expected_status):
        """An error in upstream's JSON form."""
        self.assertEqual(expected_status, status, body)
        self.assertTrue(body['code'].startswith(str(expected_status)), body)
        self.assertIn('title', body)
        self.assertTrue(body['message'])

    # -- create ----------------------------------------------------------

    def test_create_returns_201_location_and_queued_image_shaped_as_sample(
            self):
        status, headers, image = self.request_json(
            'POST', '/v2/images', {'name': 'Ubuntu', 'disk_format': 'raw',
                                   'container_format': 'bare',
                                   'visibility': 'private'})
        self.assertEqual(201, status, image)
        self.assertEqual('%s/v2/images/%s' % (self.api.url, image['id']),
                         headers['Location'])
        self.assertEqual(BASE_KEYS, set(image))
        self.assertEqual('queued', image['status'])
        self.assertEqual('Ubuntu', image['name'])
        self.assertEqual('private', image['visibility'])
        for name in ('size', 'virtual_size', 'checksum', 'os_hash_algo',
                     'os_hash_value'):
            self.assertIsNone(image[name], name)
        self.assertEqual([], image['tags'])
        self.assertIs(False, image['protected'])
        self.assertIs(False, image['os_hidden'])
        self.assertEqual(0, image['min_ram'])
        self.assertEqual(0, image['min_disk'])
        self.assertEqual('admin', image['owner'])
        self.assertEqual('/v2/images/%s' % image['id'], image['self'])
        self.assertEqual('/v2/images/%s/file' % image['id'], image['file'])
        self.assertEqual('/v2/schemas/image', image['schema'])
        self.assertRegex(image['created_at'], TIME_FORMAT)
        self.assertRegex(image['updated_at'], TIME_FORMAT)
        self.assertNotIn('locations', image)
        self.assertNotIn('direct_url', image)

    def test_create_defaults_to_shared_visibility(self):
        self.assertEqual('shared', self.create()['visibility'])

    def test_create_flattens_custom_properties_to_top_level(self):
        image = self.create(os_distro='fedora', my_property='value')
        self.assertEqual('fedora', image['os_distro'])
        self.assertEqual('value', image['my_property'])
        self.assertEqual(image, self.show(image['id']))

    def test_create_with_given_id_and_then_duplicate_is_409(self):
        image_id = str(uuid.uuid4())
        self.assertEqual(image_id, self.create(id=image_id)['id'])
        status, _, body = self.request_json('POST', '/v2/images',
                                            {'id': image_id})
        self.assertError(status, body, 409)

    def test_create_with_only_an_empty_body_gives_null_formats(self):
        status, _, image = self.request_json('POST', '/v2/images', {})
        self.assertEqual(201, status, image)
        self.assertIsNone(image['name'])
        self.assertIsNone(image['disk_format'])
        self.assertIsNone(image['container_format'])

    def test_create_with_read_only_attribute_is_403(self):
        for name, value in (('status', 'active'), ('size', 5),
                            ('checksum', 'x'), ('self', '/x'),
                            ('created_at', '2020-01-01T00:00:00Z'),
                            ('os_hash_value', 'x')):
            status, _, body = self.request_json('POST', '/v2/images',
                                                {name: value})
            self.assertError(status, body, 403)
            self.assertIn(name, body['message'])

    def test_create_with_reserved_attribute_is_403(self):
        for name in ('deleted', 'deleted_at', 'location',
                     'os_glance_import_task'):
            status, _, body = self.request_json('POST', '/v2/images',
                                                {name: 'x'})
            self.assertError(status, body, 403)
            self.assertIn(name, body['message'])

    def test_create_with_unknown_disk_format_is_400_naming_the_field(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'disk_format': 'floppy'})
        self.assertError(status, body, 400)
        self.assertIn('disk_format', body['message'])
        status, _, body = self.request_json(
            'POST', '/v2/images', {'container_format': 'tarball'})
        self.assertError(status, body, 400)
        self.assertIn('container_format', body['message'])

    def test_create_accepts_every_default_format(self):
        for disk_format in ('ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw',
                            'qcow2', 'vdi', 'iso', 'ploop', 'gpt'):
            self.create(disk_format=disk_format)
        for container_format in ('ami', 'ari', 'aki', 'bare', 'ovf', 'ova',
                                 'docker', 'compressed'):
            self.create(container_format=container_format)

    def test_create_with_invalid_values_is_400(self):
        for body in ({'name': 'x' * 256}, {'min_ram': -1},
                     {'min_disk': 'big'}, {'protected': 'yes'},
                     {'visibility': 'everyone'}, {'id': 'not-a-uuid'},
                     {'tags': 'one'}, {'my_property': 5},
                     {'kernel_id': 'not-a-uuid'}):
            status, _, resp = self.request_json('POST', '/v2/images', body)
            self.assertError(status, resp, 400)

    def test_create_with_malformed_json_is_400(self):
        status, _, body = self.request(
            'POST', '/v2/images', b'{"name": ',
            {'Content-Type': 'application/json'})
        self.assertError(status, json.loads(body), 400)

    def test_create_public_image_needs_admin(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'visibility': 'public'}, OTHER_USER)
        self.assertError(status, body, 403)
        self.assertEqual('public', self.create(visibility='public')[
            'visibility'])

    def test_create_owned_by_another_project_needs_admin(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'owner': 'someone-else'}, OTHER_USER)
        self.assertError(status, body, 403)
        image = self.create(owner='someone-else')
        self.assertEqual('someone-else', image['owner'])

    def test_create_by_project_from_headers_is_owned_by_it(self):
        image = self.create(headers=OTHER_USER)
        self.assertEqual('other-project', image['owner'])

    def test_create_over_property_quota_is_413(self):
        properties = {'p%d' % i: 'v' for i in range(129)}
        status, _, body = self.request_json('POST', '/v2/images',
                                            properties)
        self.assertError(status, body, 413)

    # -- show ------------------------------------------------------------

    def test_show_unknown_image_is_404(self):
        status, _, body = self.request_json(
            'GET', '/v2/images/%s' % uuid.uuid4())
        self.assertError(status, body, 404)

    def test_show_malformed_id_is_404_not_500(self):
        for image_id in ('abc', '1234', 'x' * 300):
            status, _, body = self.request_json('GET', '/v2/images/%s'
                                                % image_id)
            self.assertError(status, body, 404)

    def test_show_private_image_of_another_project_is_404(self):
        image = self.create(visibility='private')
        status, _, body = self.request_json(
            'GET', '/v2/images/%s' % image['id'], headers=OTHER_USER)
        self.assertError(status, body, 404)

    def test_show_public_image_of_another_project(self):
        image = self.create(visibility='public')
        self.assertEqual(image['id'],
                         self.show(image['id'], headers=OTHER_USER)['id'])

    def test_show_active_image_has_size_and_checksums(self):
        image = self.create()
        self.upload(image['id'], b'0123456789')
        shown = self.show(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual(10, shown['size'])
        self.assertEqual('781e5e245d69b566979b86e28d23f2c7',
                         shown['checksum'])
        self.assertEqual('sha512', shown['os_hash_algo'])
        self.assertEqual(128, len(shown['os_hash_value']))
        self.assertNotIn('locations', shown)

    # -- list ------------------------------------------------------------

    def test_list_has_images_first_and_schema_links(self):
        image = self.create()
        status, _, body = self.request_json('GET', '/v2/images')
        self.assertEqual(200, status, body)
        self.assertEqual('/v2/images', body['first'])
        self.assertIn(image['id'], [i['id'] for i in body['images']])
        body = self.list_images()
        self.assertEqual('/v2/images?tag=%s' % self.tag, body['first'])
        self.assertEqual('/v2/schemas/images', body['schema'])
        self.assertNotIn('next', body)
        self.assertIn(image['id'], [i['id'] for i in body['images']])
        listed = [i for i in body['images'] if i['id'] == image['id']][0]
        self.assertEqual(image, listed)

    def test_list_sorts_by_created_at_desc_by_default(self):
        for name in ('first', 'second', 'third'):
            self.create(name=name)
            time.sleep(1.05)  # created_at has second resolution
        self.assertEqual(['third', 'second', 'first'],
                         self.names(self.list_images()))

    def test_list_filters_by_attributes(self):
        self.create(name='a', disk_format='qcow2', visibility='private')
        self.create(name='b', disk_format='raw', container_format='ovf',
                    visibility='public')
        self.create(name='c', disk_format='iso', protected=True)
        self.create(name='d', headers=OTHER_USER, visibility='community')
        cases = [('name=a', ['a']), ('disk_format=qcow2', ['a']),
                 ('container_format=ovf', ['b']),
                 ('visibility=public', ['b']),
                 ('visibility=private', ['a']),
                 ('visibility=community', ['d']),
                 ('protected=true', ['c']), ('owner=other-project', ['d']),
                 ('status=queued&name=c', ['c']), ('status=active', []),
                 ('name=in:a,c', ['a', 'c']),
                 ('disk_format=in:raw,iso', ['b', 'c', 'd'])]
        for query, expected in cases:
            self.assertEqual(
                sorted(expected),
                sorted(self.names(self.list_images(query))), query)

    def test_list_filters_by_name_with_comma_in_quotes(self):
        self.create(name='glass, darkly')
        self.create(name='share me')
        self.create(name='glass')
        body = self.list_images('name=in:"glass,%20darkly",share%20me')
        self.assertEqual(['glass, darkly', 'share me'],
                         sorted(self.names(body)))

    def test_list_filters_by_every_tag_given(self):
        self.create(name='one', tags=[self.tag, 'red'])
        self.create(name='two', tags=[self.tag, 'red', 'blue'])
        self.assertEqual(['one', 'two'],
                         sorted(self.names(self.list_images('tag=red'))))
        self.assertEqual(['two'], self.names(
            self.list_images('tag=red&tag=blue')))

    def test_list_filters_by_custom_property(self):
        self.create(name='fedora', os_distro='fedora')
        self.create(name='ubuntu', os_distro='ubuntu')
        self.assertEqual(['fedora'], self.names(
            self.list_images('os_distro=fedora')))

    def test_list_filters_by_size(self):
        small, large = self.create(name='small'), self.create(name='large')
        self.upload(small['id'], b'x' * 10)
        self.upload(large['id'], b'x' * 1000)
        self.assertEqual(['large'], self.names(
            self.list_images('size_min=100')))
        self.assertEqual(['small'], self.names(
            self.list_images('size_max=100')))
        self.assertEqual([], self.names(
            self.list_images('size_min=11&size_max=999')))

    def test_list_filters_by_time_comparison(self):
        old = self.create(name='old')
        time.sleep(1.1)
        new = self.create(name='new')
        # A time between the two, whatever the stored sub-second part.
        between = old['created_at'][:-1]
        between = datetime.datetime.fromisoformat(between) + \
            datetime.timedelta(seconds=1)
        between = between.strftime('%Y-%m-%dT%H:%M:%SZ')
        self.assertLessEqual(between, new['created_at'])
        self.assertEqual(['new'], self.names(
            self.list_images('created_at=gt:%s' % between)))
        self.assertEqual(['new'], self.names(
            self.list_images('created_at=gte:%s' % between)))
        self.assertEqual(['old'], self.names(
            self.list_images('created_at=lt:%s' % between)))
        self.assertEqual(['old'], self.names(
            self.list_images('updated_at=lte:%s' % between)))
        self.assertEqual([], self.names(
            self.list_images('created_at=eq:%s' % between)))
        self.assertEqual(['new', 'old'], sorted(self.names(
            self.list_images('created_at=neq:%s' % between))))

    def test_list_with_invalid_filter_values_is_400(self):
        for query in ('size_min=big', 'size_max=-1', 'protected=maybe',
                      'created_at=gt:yesterday', 'visibility=everyone',
                      'member_status=maybe', 'limit=-1', 'limit=ten',
                      'os_hidden=perhaps'):
            status, _, body = self.request_json('GET', '/v2/images?'
                                                + query)
            self.assertError(status, body, 400)

    def test_list_with_time_beyond_year_9999_in_utc_is_400(self):
        # Valid ISO 8601, but 23 hours west of 9999-12-31 is year 10000
        # in UTC.
        for query in ('created_at=gt:9999-12-31T23:59:59-23:00',
                      'updated_at=9999-12-31T23:59:59-23:00'):
            status, _, body = self.request_json('GET', '/v2/images?'
                                                + query)
            self.assertError(status, body, 400)
            self.assertIn('ISO 8601', body['message'])

    def test_list_sorts_by_sort_key_and_sort_dir(self):
        for name in ('b', 'c', 'a'):
            self.create(name=name)
        self.assertEqual(['a', 'b', 'c'], self.names(
            self.list_images('sort_key=name&sort_dir=asc')))
        self.assertEqual(['c', 'b', 'a'], self.names(
            self.list_images('sort_key=name&sort_dir=desc')))
        self.assertEqual(['c', 'b', 'a'], self.names(
            self.list_images('sort_key=name')))

    def test_list_sorts_by_several_keys_with_sort(self):
        self.create(name='x', disk_format='raw')
        self.create(name='y', disk_format='raw')
        self.create(name='z', disk_format='iso')
        self.assertEqual(['x', 'y', 'z'], self.names(
            self.list_images('sort=disk_format:desc,name:asc')))
        # A key without a direction sorts descending.
        self.assertEqual(['y', 'x', 'z'], self.names(
            self.list_images('sort=disk_format,name')))
        self.assertEqual(['y', 'x', 'z'], self.names(self.list_images(
            'sort_key=disk_format&sort_dir=desc&sort_key=name'
            '&sort_dir=desc')))

    def test_list_with_sort_and_sort_key_together_is_400(self):
        for query in ('sort=name:asc&sort_key=name',
                      'sort=name&sort_dir=asc', 'sort_key=nonsense',
                      'sort_dir=up', 'sort=name:up', 'sort=bogus:asc',
                      'sort_key=name&sort_key=id&sort_dir=asc'
                      '&sort_dir=asc&sort_dir=asc'):
            status, _, body = self.request_json('GET', '/v2/images?'
                                                + query)
            self.assertError(status, body, 400)

    def test_list_pages_with_limit_marker_and_next_link(self):
        for index in range(5):
            self.create(name='image-%d' % index)
        query = 'tag=%s&sort_key=name&sort_dir=asc&limit=2' % self.tag
        status, _, page = self.request_json('GET', '/v2/images?' + query)
        self.assertEqual(200, status, page)
        self.assertEqual(['image-0', 'image-1'], self.names(page))
        self.assertEqual('/v2/images?' + query, page['first'])
        seen = self.names(page)
        while 'next' in page:
            self.assertIn('marker=', page['next'])
            self.assertIn('limit=2', page['next'])
            status, _, page = self.request_json('GET', page['next'])
            self.assertEqual(200, status, page)
            self.assertEqual('/v2/images?' + query, page['first'])
            seen += self.names(page)
        self.assertEqual(['image-%d' % i for i in range(5)], seen)

    def test_list_last_full_page_has_no_next_link(self):
        for index in range(2):
            self.create(name='image-%d' % index)
        self.assertNotIn('next', self.list_images('limit=2'))
        self.assertIn('next', self.list_images('limit=1'))

    def test_list_answers_limit_param_default_images(self):
        for index in range(26):
            self.create(name='many-%02d' % index)
        body = self.list_images()
        self.assertEqual(25, len(body['images']))
        self.assertIn('next', body)

    def test_list_with_unknown_marker_is_400(self):
        status, _, body = self.request_json(
            'GET', '/v2/images?marker=%s' % uuid.uuid4())
        self.assertError(status, body, 400)

    def test_list_shows_only_visible_images_to_other_projects(self):
        self.create(name='private', visibility='private')
        self.create(name='public', visibility='public')
        self.create(name='community', visibility='community')
        self.assertEqual(['public'], self.names(
            self.list_images(headers=OTHER_USER)))
        self.assertEqual(['community'], self.names(
            self.list_images('visibility=community', headers=OTHER_USER)))

    # -- update ----------------------------------------------------------

    def test_patch_replaces_name_and_tags_as_in_sample(self):
        image = self.create()
        updated = self.patch(image['id'], [
            {'op': 'replace', 'path': '/name', 'value': 'Fedora 17'},
            {'op': 'replace', 'path': '/tags',
             'value': ['fedora', 'beefy']}])
        self.assertEqual('Fedora 17', updated['name'])
        self.assertEqual(['beefy', 'fedora'], updated['tags'])
        self.assertEqual(updated, self.show(image['id']))

    def test_patch_adds_replaces_and_removes_custom_properties(self):
        image = self.create(color='red')
        updated = self.patch(image['id'], [
            {'op': 'add', 'path': '/size_class', 'value': 'big'},
            {'op': 'replace', 'path': '/color', 'value': 'blue'}])
        self.assertEqual('big', updated['size_class'])
        self.assertEqual('blue', updated['color'])
        updated = self.patch(image['id'], [
            {'op': 'remove', 'path': '/color'}])
        self.assertNotIn('color', updated)
        self.assertNotIn('color', self.show(image['id']))
        self.assertEqual('big', self.show(image['id'])['size_class'])

    def test_patch_add_of_existing_property_replaces_it_in_v21(self):
        image = self.create(color='red')
        updated = self.patch(image['id'], [
            {'op': 'add', 'path': '/color', 'value': 'green'},
            {'op': 'add', 'path': '/min_ram', 'value': 512}])
        self.assertEqual('green', updated['color'])
        self.assertEqual(512, updated['min_ram'])

    def test_patch_v20_media_type(self):
        image = self.create(color='red')
        updated = self.patch(image['id'], [
            {'replace': '/name', 'value': 'renamed'},
            {'add': '/shape', 'value': 'round'},
            {'remove': '/color'}], headers=PATCH_V20)
        self.assertEqual('renamed', updated['name'])
        self.assertEqual('round', updated['shape'])
        self.assertNotIn('color', updated)
        body = self.patch(image['id'], [{'add': '/shape', 'value': 'x'}],
                          expected=409, headers=PATCH_V20)
        self.assertIn('shape', body['message'])

    def test_patch_replace_or_remove_of_missing_property_is_409(self):
        image = self.create()
        self.patch(image['id'], [{'op': 'replace', 'path': '/missing',
                                  'value': 'x'}], expected=409)
        self.patch(image['id'], [{'op': 'remove', 'path': '/missing'}],
                   expected=409)

    def test_patch_remove_of_base_attribute_is_403(self):
        image = self.create()
        self.patch(image['id'], [{'op': 'remove', 'path': '/name'}],
                   expected=403)

    def test_patch_of_read_only_or_reserved_attribute_is_403(self):
        image = self.create()
        for path in ('/status', '/size', '/checksum', '/id', '/created_at',
                     '/os_hash_algo', '/self', '/file', '/schema',
                     '/deleted', '/os_glance_stuff'):
            body = self.patch(image['id'], [{'op': 'replace', 'path': path,
                                             'value': 'x'}], expected=403)
            self.assertIn(path[1:], body['message'])
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_patch_with_other_content_type_is_415(self):
        image = self.create()
        status, headers, body = self.request(
            'PATCH', '/v2/images/%s' % image['id'],
            json.dumps([{'op': 'replace', 'path': '/name',
                         'value': 'x'}]).encode(),
            {'Content-Type': 'application/json'})
        self.assertError(status, json.loads(body), 415)
        self.assertIn('application/openstack-images-v2.1-json-patch',
                      headers['Accept-Patch'])

    def test_patch_with_invalid_value_is_400_naming_the_field(self):
        image = self.create()
        for path, value in (('/min_ram', -5), ('/min_disk', 'lots'),
                            ('/disk_format', 'floppy'),
                            ('/visibility', 'world'), ('/protected', 'no'),
                            ('/custom', 12), ('/name', 'n' * 256),
                            ('/tags', ['t' * 256])):
            body = self.patch(image['id'], [{'op': 'replace', 'path': path,
                                             'value': value}], expected=400)
            self.assertIn(path[1:], body['message'])

    def test_patch_with_malformed_changes_is_400(self):
        image = self.create()
        for changes in ({'op': 'replace'}, [{'op': 'move', 'path': '/name'}],
                        [{'op': 'replace', 'path': 'name', 'value': 'x'}],
                        [{'op': 'replace', 'path': '/name'}],
                        [{'op': 'replace', 'path': '/a/b', 'value': 'x'}],
                        ['replace']):
            self.patch(image['id'], changes, expected=400)

    def test_patch_changes_formats_only_while_queued(self):
        image = self.create()
        updated = self.patch(image['id'], [
            {'op': 'replace', 'path': '/disk_format', 'value': 'ami'}])
        self.assertEqual('ami', updated['disk_format'])
        self.upload(image['id'])
        self.patch(image['id'], [
            {'op': 'replace', 'path': '/disk_format', 'value': 'raw'}],
            expected=403)
        self.patch(image['id'], [
            {'op': 'replace', 'path': '/container_format', 'value': 'ovf'}],
            expected=403)
        self.assertEqual('ami', self.show(image['id'])['disk_format'])

    def test_patch_to_public_needs_admin(self):
        image = self.create(headers=OWNER_USER)
        self.patch(image['id'], [{'op': 'replace', 'path': '/visibility',
                                  'value': 'public'}], expected=403,
                   extra_headers=OWNER_USER)
        updated = self.patch(image['id'], [
            {'op': 'replace', 'path': '/visibility', 'value': 'community'}],
            extra_headers=OWNER_USER)
        self.assertEqual('community', updated['visibility'])

    def test_patch_by_another_project_is_403_on_visible_image(self):
        image = self.create(visibility='public')
        self.patch(image['id'], [{'op': 'replace', 'path': '/name',
                                  'value': 'x'}], expected=403,
                   extra_headers=OTHER_USER)
        image = self.create(visibility='private')
        self.patch(image['id'], [{'op': 'replace', 'path': '/name',
                                  'value': 'x'}], expected=404,
                   extra_headers=OTHER_USER)

    def test_patch_of_locations_is_403_while_locations_are_hidden(self):
        image = self.create()
        self.patch(image['id'], [{'op': 'add', 'path': '/locations/-',
                                  'value': {'url': 'file:///x',
                                            'metadata': {}}}],
                   expected=403)

    def test_patch_unknown_image_is_404(self):
        self.patch(str(uuid.uuid4()), [{'op': 'replace', 'path': '/name',
                                        'value': 'x'}], expected=404)
        self.patch('bad-id', [{'op': 'replace', 'path': '/name',
                               'value': 'x'}], expected=404)

    def test_patch_over_tag_quota_is_413(self):
        image = self.create()
        self.patch(image['id'], [{'op': 'replace', 'path': '/tags',
                                  'value': ['t%d' % i for i in range(129)]}],
                   expected=413)

    # -- delete ----------------------------------------------------------

    def test_delete_returns_204_and_removes_data_from_store(self):
        image = self.create()
        self.upload(image['id'], b'bytes to delete')
        datadir = os.path.join(self.root, 'var', 'lib', 'glance', 'images')
        self.assertIn(image['id'], os.listdir(datadir))
        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % image['id'])
        self.assertEqual(204, status, body)
        self.assertEqual(b'', body)
        self.assertNotIn(image['id'], os.listdir(datadir))
        self.show(image['id'], expected=404)
        self.assertEqual([], self.list_images()['images'])

    def test_delete_of_queued_image(self):
        image = self.create()
        status, _, _ = self.request('DELETE', '/v2/images/%s' % image['id'])
        self.assertEqual(204, status)
        status, _, body = self.request_json('DELETE', '/v2/images/%s'
                                            % image['id'])
        self.assertError(status, body, 404)

    def test_delete_of_protected_image_is_403(self):
        image = self.create(protected=True)
        status, _, body = self.request_json('DELETE', '/v2/images/%s'
                                            % image['id'])
        self.assertError(status, body, 403)
        self.show(image['id'])
        self.patch(image['id'], [{'op': 'replace', 'path': '/protected',
                                  'value': False}])
        status, _, _ = self.request('DELETE', '/v2/images/%s' % image['id'])
        self.assertEqual(204, status)

    def test_delete_by_another_project_is_403(self):
        image = self.create(visibility='public')
        status, _, body = self.request_json(
            'DELETE', '/v2/images/%s' % image['id'], headers=OTHER_USER)
        self.assertError(status, body, 403)
        self.show(image['id'])

    def test_delete_unknown_image_is_404(self):
        for image_id in (str(uuid.uuid4()), 'not-a-uuid'):
            status, _, body = self.request_json('DELETE', '/v2/images/%s'
                                                % image_id)
            self.assertError(status, body, 404)

    # -- schemas and routing ----------------------------------------------

    def test_image_schema_has_base_and_custom_properties(self):
        status, _, schema = self.request_json('GET', '/v2/schemas/image')
        self.assertEqual(200, status, schema)
        self.assertEqual('image', schema['name'])
        self.assertEqual({'type': 'string'}, schema['additionalProperties'])
        self.assertEqual([{'rel': 'self', 'href': '{self}'},
                          {'rel': 'enclosure', 'href': '{file}'},
                          {'rel': 'describedby', 'href': '{schema}'}],
                         schema['links'])
        properties = schema['properties']
        self.assertTrue(BASE_KEYS <= set(properties))
        self.assertEqual([None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk',
                          'raw', 'qcow2', 'vdi', 'iso', 'ploop', 'gpt'],
                         properties['disk_format']['enum'])
        self.assertIn('compressed', properties['container_format']['enum'])
        self.assertTrue(properties['status']['readOnly'])
        for name in ('kernel_id', 'ramdisk_id', 'instance_uuid',
                     'architecture', 'os_distro', 'os_version',
                     'description'):
            self.assertIs(False, properties[name]['is_base'], name)
        self.assertNotIn('is_base', properties['name'])

    def test_images_schema_wraps_the_image_schema(self):
        _, _, image_schema = self.request_json('GET', '/v2/schemas/image')
        status, _, schema = self.request_json('GET', '/v2/schemas/images')
        self.assertEqual(200, status, schema)
        self.assertEqual('images', schema['name'])
        self.assertEqual(image_schema,
                         schema['properties']['images']['items'])
        self.assertEqual({'type': 'string'}, schema['properties']['next'])
        self.assertEqual(['first', 'next', 'describedby'],
                         [link['rel'] for link in schema['links']])

    def test_unknown_method_on_known_path_is_405_with_allow(self):
        status, headers, body = self.request_json('PUT', '/v2/images')
        self.assertError(status, body, 405)
        self.assertEqual('GET, POST', headers['Allow'])
        status, headers, body = self.request_json(
            'POST', '/v2/images/%s' % uuid.uuid4())
        self.assertError(status, body, 405)
        self.assertEqual('DELETE, GET, PATCH', headers['Allow'])

    def test_unknown_v2_path_is_404(self):
        status, _, body = self.request_json('GET', '/v2/nothing-here')
        self.assertError(status, body, 404)

    def test_trailing_slash_is_no_route(self):
        image = self.create()
        # As upstream: a trailing slash names no resource, so an empty
        # image id is 404, not the list or a 405.
        for method, path in (('GET', '/v2/images/'),
                             ('DELETE', '/v2/images/'),
                             ('POST', '/v2/images/'),
                             ('GET', '/v2/images/%s/' % image['id']),
                             ('GET', '/v2/schemas/image/')):
            status, _, body = self.request_json(method, path)
            self.assertError(status, body, 404)
        status, _, body = self.request_json('GET', '/images/', server=(
            self.registry))
        self.assertEqual(404, status, body)

    def test_minor_version_prefix_serves_v2(self):
        image = self.create()
        status, _, body = self.request_json('GET', '/v2.1/images/%s'
                                            % image['id'])
        self.assertEqual(200, status, body)
        self.assertEqual(image['id'], body['id'])

    def test_responses_carry_a_request_id(self):
        _, headers, _ = self.request('GET', '/v2/images')
        headers = {k.lower(): v for k, v in headers.items()}
        self.assertTrue(headers.get('x-openstack-request-id', '')
                        .startswith('req-'), headers)


class ImagesWithLocationsTestCase(test_v2_locations.DataServerMixin,
                                  base.ServerTestCase):
    """show_multiple_locations and show_image_direct_url on."""

    api_overrides = {'DEFAULT': {'show_multiple_locations': True,
                                 'show_image_direct_url': True}}

    def test_image_shows_locations_and_direct_url(self):
        status, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        self.assertEqual(201, status, image)
        self.assertEqual([], image['locations'])
        self.assertNotIn('direct_url', image)
        status, _, body = self.request('PUT', '/v2/images/%s/file'
                                       % image['id'], b'data', OCTET)
        self.assertEqual(204, status, body)
        _, _, image = self.request_json('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(1, len(image['locations']))
        url = image['locations'][0]['url']
        self.assertTrue(url.startswith('file://'), url)
        self.assertEqual(url, image['direct_url'])

    def test_patch_adds_location_to_queued_image_making_it_active(self):
        url = self.served_url(b'0123456789')
        _, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        status, _, body = self.request(
            'PATCH', '/v2/images/%s' % image['id'], json.dumps([
                {'op': 'add', 'path': '/locations/-',
                 'value': {'url': url, 'metadata': {}}}]).encode(),
            PATCH_V21)
        body = json.loads(body)
        self.assertEqual(200, status, body)
        self.assertEqual('active', body['status'])
        self.assertEqual(10, body['size'])
        # The store holding the location is recorded, as upstream does.
        self.assertEqual([{'url': url, 'metadata': {'store': 'http'}}],
                         body['locations'])
        self.assertEqual('http', body['stores'])

    def test_patch_adding_another_images_data_as_location_is_400(self):
        _, _, source = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        self.request('PUT', '/v2/images/%s/file' % source['id'],
                     b'0123456789', OCTET)
        _, _, source = self.request_json('GET', '/v2/images/%s'
                                         % source['id'])
        url = source['locations'][0]['url']
        _, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        status, _, body = self.request(
            'PATCH', '/v2/images/%s' % image['id'], json.dumps([
                {'op': 'add', 'path': '/locations/-',
                 'value': {'url': url, 'metadata': {}}}]).encode(),
            PATCH_V21)
        self.assertEqual(400, status, body)
        _, _, image = self.request_json('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(('queued', []), (image['status'], image['locations']))

    def patch_locations(self, image_id, changes, expected):
        status, _, body = self.request(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(changes).encode(), PATCH_V21)
        self.assertEqual(expected, status, body)
        return json.loads(body) if expected == 200 else body

    def test_patch_validation_data_sets_the_hashes_a_mismatch_is_409(self):
        url = self.served_url(b'0123456789')
        _, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        hashes = {'checksum': '1' * 32, 'os_hash_algo': 'sha512',
                  'os_hash_value': 'deadbeef' * 16}
        body = self.patch_locations(image['id'], [
            {'op': 'add', 'path': '/locations/-',
             'value': {'url': url, 'metadata': {},
                       'validation_data': hashes}}], 200)
        self.assertEqual('active', body['status'])
        self.assertEqual(hashes, {k: body[k] for k in hashes})
        self.assertNotIn('validation_data', body['locations'][0])
        # The same values with a second location: accepted.
        body = self.patch_locations(image['id'], [
            {'op': 'add', 'path': '/locations/-',
             'value': {'url': url + '#second', 'metadata': {},
                       'validation_data': hashes}}], 200)
        self.assertEqual(2, len(body['locations']))
        # Any value that differs from the image's: 409, nothing changes.
        for key, value in (('checksum', '2' * 32),
                           ('os_hash_value', 'beefdead' * 16),
                           ('os_hash_algo', 'sha256')):
            self.patch_locations(image['id'], [
                {'op': 'add', 'path': '/locations/-',
                 'value': {'url': url + '#third', 'metadata': {},
                           'validation_data': dict(hashes, **{
                               key: value})}}], 409)
        _, _, image = self.request_json('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(2, len(image['locations']))
        self.assertEqual(hashes, {k: image[k] for k in hashes})

    def test_patch_validation_data_of_another_algorithm_is_409(self):
        url = self.served_url(b'0123456789')
        _, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        self.patch_locations(image['id'], [
            {'op': 'add', 'path': '/locations/-',
             'value': {'url': url, 'metadata': {}, 'validation_data': {
                 'os_hash_algo': 'sha256', 'os_hash_value': 'ab' * 32}}}],
            409)
        _, _, image = self.request_json('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(('queued', None), (image['status'],
                                            image['os_hash_value']))

    def test_replacing_locations_by_fewer_is_400(self):
        url = self.served_url(b'0123456789')
        _, _, image = self.request_json('POST', '/v2/images', {
            'disk_format': 'raw', 'container_format': 'bare'})
        two = [{'url': url, 'metadata': {}},
               {'url': url + '#second', 'metadata': {}}]
        for location in two:
            self.patch_locations(image['id'], [
                {'op': 'add', 'path': '/locations/-', 'value': location}],
                200)
        self.patch_locations(image['id'], [
            {'op': 'replace', 'path': '/locations', 'value': two[:1]}], 400)
        _, _, image = self.request_json('GET', '/v2/images/%s' % image['id'])
        self.assertEqual(2, len(image['locations']))


class ImagesOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                  ImagesTestCase):
    """Every test of ImagesTestCase with the registry reached over
    RabbitMQ."""
