"""The classic registry REST API of a real glance-registry process."""

import threading
import uuid

from tests.functional import base

ADMIN = {}  # no identity headers: the noauth pipeline makes an admin
OWNER = {'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'project-a',
         'X-User-Id': 'user-a', 'X-Roles': 'member'}
OTHER = {'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'project-b',
         'X-User-Id': 'user-b', 'X-Roles': 'member'}


class RegistryRestTestCase(base.ServerTestCase):

    start_api = False

    def call(self, method, path, body=None, headers=None):
        return self.request_json(method, path, body, headers,
                                 server=self.registry)

    def create(self, headers=OWNER, **fields):
        image = {'name': 'cirros', 'disk_format': 'qcow2',
                 'container_format': 'bare', 'size': 100,
                 'is_public': False}
        image.update(fields)
        status, _, body = self.call('POST', '/images', {'image': image},
                                    headers)
        self.assertEqual(200, status, body)
        return body['image']

    def assertError(self, status, code, result, mentions=None):
        got_status, headers, body = result
        self.assertEqual(status, got_status, body)
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertEqual(code, body['error']['code'], body)
        if mentions:
            self.assertIn(mentions, body['error']['message'])

    # images

    def test_create_returns_v1_image_with_is_public_and_properties(self):
        image = self.create(is_public=True, name='create-shape',
                            properties={'distro': 'cirros'})
        self.assertEqual(36, len(image['id']))
        self.assertEqual('create-shape', image['name'])
        self.assertIs(True, image['is_public'])
        self.assertEqual({'distro': 'cirros'}, image['properties'])
        self.assertEqual('active', image['status'])
        self.assertEqual('project-a', image['owner'])
        self.assertIs(False, image['protected'])
        self.assertIs(False, image['deleted'])
        self.assertNotIn('visibility', image)
        for field in ('created_at', 'updated_at', 'checksum', 'min_ram',
                      'min_disk', 'virtual_size', 'location_data'):
            self.assertIn(field, image)

    def test_create_with_location_data_keeps_locations(self):
        image = self.create(location_data=[
            {'url': 'file:///var/lib/glance/images/x', 'metadata': {}}])
        self.assertEqual(['file:///var/lib/glance/images/x'],
                         [loc['url'] for loc in image['location_data']])

    def test_show_returns_the_image(self):
        image = self.create()
        status, _, body = self.call('GET', '/images/%s' % image['id'],
                                    headers=OWNER)
        self.assertEqual(200, status)
        self.assertEqual(image['id'], body['image']['id'])

    def test_head_returns_200_without_body(self):
        image = self.create()
        status, headers, body = self.call('HEAD', '/images/%s' % image['id'],
                                          headers=OWNER)
        self.assertEqual(200, status)
        self.assertIsNone(body)

    def test_unknown_image_is_404_json(self):
        missing = str(uuid.uuid4())
        self.assertError(404, 'image_not_found',
                         self.call('GET', '/images/%s' % missing),
                         mentions=missing)

    def test_private_image_of_another_project_is_404(self):
        image = self.create(is_public=False)
        self.assertError(404, 'image_not_found',
                         self.call('GET', '/images/%s' % image['id'],
                                   headers=OTHER))

    def test_index_lists_public_images_with_summary_fields_only(self):
        public = self.create(is_public=True, name='index-public')
        private = self.create(is_public=False, name='index-private')
        status, _, body = self.call('GET', '/images?limit=1000',
                                    headers=OTHER)
        self.assertEqual(200, status)
        ids = [i['id'] for i in body['images']]
        self.assertIn(public['id'], ids)
        self.assertNotIn(private['id'], ids)
        listed = [i for i in body['images'] if i['id'] == public['id']][0]
        self.assertEqual({'id', 'name', 'size', 'disk_format',
                          'container_format', 'checksum'}, set(listed))

    def test_admin_lists_only_public_unless_is_public_none(self):
        private = self.create(is_public=False, name='admin-private')
        _, _, body = self.call('GET', '/images/detail?limit=1000')
        self.assertNotIn(private['id'], [i['id'] for i in body['images']])
        _, _, body = self.call('GET', '/images/detail?is_public=none'
                                      '&limit=1000')
        self.assertIn(private['id'], [i['id'] for i in body['images']])

    def test_owner_detail_includes_own_private_images(self):
        private = self.create(is_public=False, name='own-private')
        _, _, body = self.call('GET', '/images/detail?limit=1000',
                               headers=OWNER)
        self.assertIn(private['id'], [i['id'] for i in body['images']])

    def test_detail_filters_by_property_and_name(self):
        tag = uuid.uuid4().hex
        wanted = self.create(name='prop-%s' % tag, properties={'os': tag})
        self.create(name='prop-%s' % tag, properties={'os': 'other'})
        status, _, body = self.call(
            'GET', '/images/detail?property-os=%s&name=prop-%s' % (tag, tag),
            headers=OWNER)
        self.assertEqual(200, status, body)
        self.assertEqual([wanted['id']], [i['id'] for i in body['images']])
        self.assertEqual({'os': tag}, body['images'][0]['properties'])

    def test_detail_size_filters_and_sorting(self):
        tag = uuid.uuid4().hex
        sizes = [10, 20, 30, 40]
        for size in sizes:
            self.create(name=tag, size=size)
        status, _, body = self.call(
            'GET', '/images/detail?name=%s&size_min=20&size_max=30'
                   '&sort_key=size&sort_dir=asc' % tag, headers=OWNER)
        self.assertEqual(200, status, body)
        self.assertEqual([20, 30], [i['size'] for i in body['images']])
        _, _, body = self.call(
            'GET', '/images/detail?name=%s&sort_key=size&sort_dir=desc'
            % tag, headers=OWNER)
        self.assertEqual([40, 30, 20, 10], [i['size'] for i in
                                            body['images']])

    def test_detail_pages_with_marker_and_limit(self):
        tag = uuid.uuid4().hex
        for size in range(5):
            self.create(name=tag, size=size)
        path = '/images/detail?name=%s&sort_key=size&sort_dir=asc' % tag
        _, _, first = self.call('GET', path + '&limit=2', headers=OWNER)
        self.assertEqual([0, 1], [i['size'] for i in first['images']])
        marker = first['images'][-1]['id']
        _, _, second = self.call('GET', path + '&limit=2&marker=%s' % marker,
                                 headers=OWNER)
        self.assertEqual([2, 3], [i['size'] for i in second['images']])

    def test_detail_changes_since_includes_deleted_images(self):
        image = self.create(name='changes-since')
        self.call('DELETE', '/images/%s' % image['id'], headers=OWNER)
        status, _, body = self.call(
            'GET', '/images/detail?changes-since=2000-01-01T00:00:00'
                   '&name=changes-since', headers=OWNER)
        self.assertEqual(200, status, body)
        self.assertIn(image['id'], [i['id'] for i in body['images']])

    def test_invalid_sort_key_is_400_naming_it(self):
        self.assertError(400, 'invalid_sort_key',
                         self.call('GET', '/images/detail?sort_key=bogus'),
                         mentions='bogus')

    def test_invalid_sort_dir_is_400_naming_it(self):
        self.assertError(400, 'invalid_sort_dir',
                         self.call('GET', '/images/detail?sort_dir=up'),
                         mentions='up')

    def test_unknown_filter_is_400_naming_it(self):
        self.assertError(400, 'invalid_filter',
                         self.call('GET', '/images/detail?colour=red'),
                         mentions='colour')

    def test_non_integer_limit_is_400_naming_it(self):
        self.assertError(400, 'invalid_parameter_value',
                         self.call('GET', '/images?limit=ten'),
                         mentions='limit')

    def test_non_integer_size_min_is_400_naming_it(self):
        self.assertError(400, 'invalid_parameter_value',
                         self.call('GET', '/images/detail?size_min=big'),
                         mentions='size_min')

    def test_bad_changes_since_is_400_naming_it(self):
        self.assertError(400, 'invalid_parameter_value',
                         self.call('GET', '/images/detail?changes-since=x'),
                         mentions='changes-since')

    def test_marker_that_is_not_a_uuid_is_400(self):
        self.assertError(400, 'invalid_marker',
                         self.call('GET', '/images/detail?marker=nope'),
                         mentions='nope')

    def test_marker_of_unknown_image_is_400(self):
        missing = str(uuid.uuid4())
        self.assertError(400, 'invalid_marker',
                         self.call('GET', '/images/detail?marker=%s'
                                   % missing))

    def test_update_changes_fields_and_keeps_other_properties(self):
        image = self.create(properties={'a': '1', 'b': '2'})
        status, _, body = self.call(
            'PUT', '/images/%s' % image['id'],
            {'image': {'name': 'renamed', 'properties': {'a': '9'}}}, OWNER)
        self.assertEqual(200, status, body)
        self.assertEqual('renamed', body['image']['name'])
        self.assertEqual({'a': '9', 'b': '2'}, body['image']['properties'])

    def test_update_with_purge_props_header_drops_other_properties(self):
        image = self.create(properties={'a': '1', 'b': '2'})
        status, _, body = self.request_json(
            'PUT', '/images/%s' % image['id'],
            {'image': {'properties': {'a': '1'}}},
            dict(OWNER, **{'X-Glance-Registry-Purge-Props': 'true'}),
            server=self.registry)
        self.assertEqual(200, status, body)
        self.assertEqual({'a': '1'}, body['image']['properties'])

    def test_update_with_wrong_from_state_is_409_and_changes_nothing(self):
        image = self.create(status='queued')
        self.assertError(409, 'invalid_status_transition', self.call(
            'PUT', '/images/%s' % image['id'],
            {'image': {'status': 'active'}, 'from_state': 'saving'}, OWNER))
        _, _, body = self.call('GET', '/images/%s' % image['id'],
                               headers=OWNER)
        self.assertEqual('queued', body['image']['status'])

    def test_update_by_non_owner_cannot_change_owner(self):
        image = self.create()
        _, _, body = self.call('PUT', '/images/%s' % image['id'],
                               {'image': {'owner': 'thief'}}, OWNER)
        self.assertEqual('project-a', body['image']['owner'])

    def test_update_unknown_image_is_404(self):
        self.assertError(404, 'image_not_found', self.call(
            'PUT', '/images/%s' % uuid.uuid4(), {'image': {'name': 'x'}}))

    def test_delete_soft_deletes_then_get_is_404(self):
        image = self.create()
        status, _, body = self.call('DELETE', '/images/%s' % image['id'],
                                    headers=OWNER)
        self.assertEqual(200, status, body)
        self.assertIs(True, body['image']['deleted'])
        self.assertError(404, 'image_not_found',
                         self.call('GET', '/images/%s' % image['id'],
                                   headers=OWNER))

    def test_delete_unknown_image_is_404(self):
        self.assertError(404, 'image_not_found',
                         self.call('DELETE', '/images/%s' % uuid.uuid4()))

    def test_create_with_existing_id_is_409(self):
        image = self.create()
        self.assertError(409, 'duplicate', self.call(
            'POST', '/images', {'image': {'id': image['id'],
                                          'name': 'again'}}, OWNER))

    def test_create_with_malformed_json_is_400(self):
        result = self.request_json(
            'POST', '/images', b'{"image": ',
            {'Content-Type': 'application/json'},
            server=self.registry)
        self.assertError(400, 'invalid_request', result, mentions='JSON')

    def test_create_with_wrong_type_is_400_naming_the_field(self):
        self.assertError(400, 'invalid_parameter_value', self.call(
            'POST', '/images', {'image': {'name': 'x', 'size': 'big'}}),
            mentions='size')

    def test_create_with_unknown_field_is_400_naming_it(self):
        self.assertError(400, 'invalid_parameter_value', self.call(
            'POST', '/images', {'image': {'name': 'x', 'colour': 'red'}}),
            mentions='colour')

    def test_create_with_bad_id_is_400(self):
        self.assertError(400, 'invalid_parameter_value', self.call(
            'POST', '/images', {'image': {'id': 'not-a-uuid'}}),
            mentions='id')

    def test_create_without_image_object_is_400(self):
        self.assertError(400, 'invalid_request',
                         self.call('POST', '/images', {'name': 'x'}))

    # routing

    def test_unknown_path_is_404_json(self):
        self.assertError(404, 'not_found', self.call('GET', '/nothing'))

    def test_unknown_method_on_known_path_is_405_with_allow(self):
        result = self.call('PATCH', '/images/%s' % uuid.uuid4())
        self.assertError(405, 'method_not_allowed', result)
        self.assertEqual('DELETE, GET, HEAD, PUT', result[1]['Allow'])
        result = self.call('DELETE', '/images')
        self.assertEqual('GET, POST', result[1]['Allow'])

    # members

    def test_member_lifecycle(self):
        image = self.create()
        path = '/images/%s/members' % image['id']
        status, _, _ = self.call('PUT', path, {'memberships': [
            {'member_id': 'project-b', 'can_share': False},
            {'member_id': 'project-c', 'can_share': True}]}, OWNER)
        self.assertEqual(204, status)
        _, _, body = self.call('GET', path, headers=OWNER)
        self.assertEqual(
            [{'member_id': 'project-b', 'can_share': False},
             {'member_id': 'project-c', 'can_share': True}],
            sorted(body['members'], key=lambda m: m['member_id']))
        # The member now sees the image.
        status, _, _ = self.call('GET', '/images/%s' % image['id'],
                                 headers=OTHER)
        self.assertEqual(200, status)
        status, _, _ = self.call('PUT', path + '/project-d',
                                 {'member': {'can_share': True}}, OWNER)
        self.assertEqual(204, status)
        status, _, _ = self.call('DELETE', path + '/project-c',
                                 headers=OWNER)
        self.assertEqual(204, status)
        _, _, body = self.call('GET', path, headers=OWNER)
        self.assertEqual(['project-b', 'project-d'],
                         sorted(m['member_id'] for m in body['members']))
        _, _, body = self.call('GET', '/shared-images/project-d')
        self.assertIn({'image_id': image['id'], 'can_share': True},
                      body['shared_images'])
        # Replacing the list drops members not given.
        self.call('PUT', path, {'memberships': [
            {'member_id': 'project-d', 'can_share': False}]}, OWNER)
        _, _, body = self.call('GET', path, headers=OWNER)
        self.assertEqual([{'member_id': 'project-d', 'can_share': False}],
                         body['members'])

    def test_deleting_a_non_member_is_404(self):
        image = self.create()
        self.assertError(404, 'member_not_found', self.call(
            'DELETE', '/images/%s/members/nobody' % image['id'],
            headers=OWNER))

    def test_only_the_owner_changes_members(self):
        image = self.create(is_public=True)
        self.assertError(403, 'forbidden', self.call(
            'PUT', '/images/%s/members/project-b' % image['id'],
            headers=OTHER))

    def test_members_of_unknown_image_is_404(self):
        self.assertError(404, 'image_not_found', self.call(
            'GET', '/images/%s/members' % uuid.uuid4()))

    def test_malformed_memberships_is_400(self):
        image = self.create()
        self.assertError(400, 'invalid_parameter_value', self.call(
            'PUT', '/images/%s/members' % image['id'],
            {'memberships': [{'can_share': 'yes'}]}, OWNER),
            mentions='memberships[0]')


class KeystoneFlavorTestCase(base.ServerTestCase):
    """The keystone pipeline puts keystonemiddleware's authtoken first."""

    start_api = False
    registry_overrides = {
        'paste_deploy': {'flavor': 'keystone'},
        'keystone_authtoken': {
            'www_authenticate_uri': 'http://127.0.0.1:5000/v3',
            'delay_auth_decision': 'false'}}

    def test_request_without_token_is_401(self):
        status, _, _ = self.request('GET', '/images', server=self.registry)
        self.assertEqual(401, status)
        status, _, _ = self.request('POST', '/rpc', [], server=self.registry)
        self.assertEqual(401, status)


class SqliteConcurrencyTestCase(base.ServerTestCase):
    """The default SQLite database under two registry processes and many
    concurrent writers: every write waits its turn, none fails with
    "database is locked" (503), and every row ends as written."""

    start_api = False
    registry_overrides = {'DEFAULT': {'workers': 2}}

    def call(self, method, path, body=None, headers=None):
        return self.request_json(method, path, body, headers,
                                 server=self.registry)

    def test_concurrent_creates_updates_and_deletes_all_succeed(self):
        failures = []
        kept = []

        def writer(n):
            for i in range(12):
                status, _, body = self.call(
                    'POST', '/images', {'image': {
                        'name': 'race-%d-%d' % (n, i), 'disk_format': 'raw',
                        'container_format': 'bare', 'is_public': False,
                        'properties': {'writer': str(n)}}}, OWNER)
                if status != 200:
                    failures.append(('create', status, body))
                    continue
                image_id = body['image']['id']
                status, _, body = self.call(
                    'PUT', '/images/%s' % image_id,
                    {'image': {'min_ram': i, 'properties': {'step': 'put'}}},
                    OWNER)
                if status != 200:
                    failures.append(('update', status, body))
                if i % 2:
                    status, _, body = self.call(
                        'DELETE', '/images/%s' % image_id, None, OWNER)
                    if status != 200:
                        failures.append(('delete', status, body))
                else:
                    kept.append((image_id, i))

        threads = [threading.Thread(target=writer, args=(n,))
                   for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], failures)
        self.assertEqual(72, len(kept))
        for image_id, i in kept:
            status, _, body = self.call('GET', '/images/%s' % image_id,
                                        None, OWNER)
            self.assertEqual(200, status, body)
            self.assertEqual(i, body['image']['min_ram'])
            self.assertEqual('put', body['image']['properties']['step'])
