"""Secure RBAC personas against real daemons (noauth flavor, identities
named by headers): project reader, project member, project admin and a
system-scoped admin, under the new defaults and the legacy ones; and the
registry's classic REST API applying the same rules."""

from tests.functional import base

OCTET = {'Content-Type': 'application/octet-stream'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
MEMBER = {'X-Project-Id': 'persona-project', 'X-User-Id': 'member-user',
          'X-Roles': 'member'}
READER = {'X-Project-Id': 'persona-project', 'X-User-Id': 'reader-user',
          'X-Roles': 'reader'}
OTHER_MEMBER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
                'X-Roles': 'member'}
PROJECT_ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
                 'X-Roles': 'admin'}
SYSTEM_ADMIN = {'X-User-Id': 'system-admin', 'X-Roles': 'admin',
                'OpenStack-System-Scope': 'all'}
DATA = b'persona data' * 64


class PersonaMixin:

    def call(self, method, path, headers, expected, body=None, server=None):
        extra = {}
        if isinstance(body, list):
            extra = PATCH
        status, _, data = self.request_json(method, path, body,
                                            dict(headers, **extra),
                                            server=server)
        self.assertEqual(expected, status, data)
        return data

    def create(self, headers=MEMBER, **values):
        body = {'name': 'persona', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        return self.call('POST', '/v2/images', headers, 201, body)

    def upload(self, image_id, headers=MEMBER, expected=204):
        status, _, body = self.request('PUT', '/v2/images/%s/file'
                                       % image_id, DATA,
                                       dict(OCTET, **headers))
        self.assertEqual(expected, status, body)

    def create_active(self, headers=MEMBER, **values):
        image = self.create(headers, **values)
        self.upload(image['id'], headers)
        return image

    def rename(self, image_id, headers, expected):
        return self.call('PATCH', '/v2/images/%s' % image_id, headers,
                         expected, [{'op': 'replace', 'path': '/name',
                                     'value': 'renamed'}])


class NewDefaultsTestCase(PersonaMixin, base.ServerTestCase):
    """enforce_new_defaults and enforce_scope on (the defaults)."""

    def test_reader_lists_and_shows_its_project_images_only(self):
        image = self.create_active(visibility='shared')
        other = self.create_active(OTHER_MEMBER)
        listed = [i['id'] for i in self.call('GET', '/v2/images', READER,
                                             200)['images']]
        self.assertIn(image['id'], listed)
        self.assertNotIn(other['id'], listed)
        shown = self.call('GET', '/v2/images/%s' % image['id'], READER, 200)
        self.assertEqual('active', shown['status'])
        self.call('GET', '/v2/images/%s' % other['id'], READER, 404)
        members = self.call('GET', '/v2/images/%s/members' % image['id'],
                            READER, 200)
        self.assertEqual([], members['members'])

    def test_reader_cannot_write_or_download(self):
        image = self.create_active(visibility='shared')
        path = '/v2/images/%s' % image['id']
        self.call('POST', '/v2/images', READER, 403,
                  {'name': 'r', 'disk_format': 'raw',
                   'container_format': 'bare'})
        self.rename(image['id'], READER, 403)
        self.call('PUT', path + '/tags/t', READER, 403)
        self.call('POST', path + '/members', READER, 403,
                  {'member': 'other-project'})
        self.call('POST', path + '/actions/deactivate', READER, 403)
        self.call('DELETE', path, READER, 403)
        status, _, _ = self.request('GET', path + '/file',
                                    headers=dict(READER))
        self.assertEqual(403, status)
        queued = self.create()
        self.upload(queued['id'], READER, expected=403)
        # Nothing changed.
        shown = self.call('GET', path, MEMBER, 200)
        self.assertEqual(('persona', [], 'active'),
                         (shown['name'], shown['tags'], shown['status']))
        self.assertEqual('queued', self.call(
            'GET', '/v2/images/%s' % queued['id'], MEMBER, 200)['status'])

    def test_member_writes_its_project_images_and_deactivates_them(self):
        image = self.create_active()
        path = '/v2/images/%s' % image['id']
        self.rename(image['id'], MEMBER, 200)
        self.call('POST', path + '/actions/deactivate', MEMBER, 204)
        self.call('POST', path + '/actions/reactivate', MEMBER, 204)
        status, _, data = self.request('GET', path + '/file',
                                       headers=dict(MEMBER))
        self.assertEqual((200, DATA), (status, data))
        self.call('DELETE', path, MEMBER, 204)

    def test_member_cannot_touch_another_projects_image(self):
        private = self.create_active(OTHER_MEMBER)
        path = '/v2/images/%s' % private['id']
        # Not even told it exists.
        for method, suffix in (('GET', ''), ('DELETE', ''),
                               ('POST', '/actions/deactivate')):
            self.call(method, path + suffix, MEMBER, 404)
        self.rename(private['id'], MEMBER, 404)
        community = self.create_active(OTHER_MEMBER, visibility='community')
        path = '/v2/images/%s' % community['id']
        self.call('GET', path, MEMBER, 200)
        self.rename(community['id'], MEMBER, 403)
        self.call('POST', path + '/actions/deactivate', MEMBER, 403)
        self.call('DELETE', path, MEMBER, 403)

    def test_member_cannot_create_for_another_project(self):
        self.call('POST', '/v2/images', MEMBER, 403,
                  {'name': 'x', 'owner': 'other-project'})

    def test_member_cannot_publicize(self):
        image = self.create()
        self.call('PATCH', '/v2/images/%s' % image['id'], MEMBER, 403,
                  [{'op': 'replace', 'path': '/visibility',
                    'value': 'public'}])

    def test_project_admin_acts_on_every_project(self):
        image = self.create_active(OTHER_MEMBER)
        path = '/v2/images/%s' % image['id']
        self.call('GET', path, PROJECT_ADMIN, 200)
        self.rename(image['id'], PROJECT_ADMIN, 200)
        self.call('PATCH', path, PROJECT_ADMIN, 200,
                  [{'op': 'replace', 'path': '/visibility',
                    'value': 'public'}])
        self.call('POST', path + '/actions/deactivate', PROJECT_ADMIN, 204)
        self.call('DELETE', path, PROJECT_ADMIN, 204)

    def test_system_scoped_admin_gets_no_project_resources(self):
        image = self.create_active()
        path = '/v2/images/%s' % image['id']
        self.call('GET', '/v2/images', SYSTEM_ADMIN, 403)
        self.call('POST', '/v2/images', SYSTEM_ADMIN, 403,
                  {'name': 'sys', 'disk_format': 'raw',
                   'container_format': 'bare'})
        self.call('GET', path, SYSTEM_ADMIN, 404)
        self.rename(image['id'], SYSTEM_ADMIN, 404)
        self.call('POST', path + '/actions/deactivate', SYSTEM_ADMIN, 404)
        queued = self.create()
        self.upload(queued['id'], SYSTEM_ADMIN, expected=404)
        self.assertEqual('queued', self.call(
            'GET', '/v2/images/%s' % queued['id'], MEMBER, 200)['status'])

    def test_no_roles_sees_nothing(self):
        image = self.create_active()
        nobody = {'X-Project-Id': 'persona-project', 'X-User-Id': 'n'}
        self.call('GET', '/v2/images', nobody, 403)
        self.call('GET', '/v2/images/%s' % image['id'], nobody, 404)

    def test_registry_rest_api_applies_the_same_rules(self):
        image = self.create_active()
        path = '/images/%s' % image['id']
        self.call('GET', '/images/detail', READER, 200,
                  server=self.registry)
        self.call('GET', path, READER, 200, server=self.registry)
        self.call('POST', '/images', READER, 403,
                  {'image': {'name': 'r'}}, server=self.registry)
        self.call('PUT', path, READER, 403, {'image': {'name': 'r'}},
                  server=self.registry)
        self.call('DELETE', path, READER, 403, server=self.registry)
        self.call('PUT', path + '/members/other-project', READER, 403,
                  server=self.registry)
        self.call('DELETE', path, OTHER_MEMBER, 404, server=self.registry)
        self.call('GET', '/images', SYSTEM_ADMIN, 403, server=self.registry)
        self.call('PUT', path, MEMBER, 200, {'image': {'name': 'm'}},
                  server=self.registry)
        self.assertEqual('m', self.call('GET', '/v2/images/%s' % image['id'],
                                        READER, 200)['name'])

    def test_registry_contract_refuses_writes_of_a_reader(self):
        image = self.create_active()
        rename = [{'command': 'image_update',
                   'kwargs': {'image_id': image['id'],
                              'values': {'name': 'by-reader'}}}]
        self.call('POST', '/rpc', READER, 403, rename, server=self.registry)
        shown = self.call('POST', '/rpc', READER, 200,
                          [{'command': 'image_get',
                            'kwargs': {'image_id': image['id']}}],
                          server=self.registry)[0]
        self.assertEqual('persona', shown['name'])
        self.call('POST', '/rpc', MEMBER, 200, rename, server=self.registry)


class LegacyDefaultsTestCase(PersonaMixin, base.ServerTestCase):
    """enforce_new_defaults = false and enforce_scope = false: the classic
    rules, where any role of the owning project writes."""

    registry_overrides = api_overrides = {
        'oslo_policy': {'enforce_new_defaults': False,
                        'enforce_scope': False}}

    def test_reader_writes_and_downloads_as_in_kilo(self):
        image = self.create(READER)
        self.upload(image['id'], READER)
        self.rename(image['id'], READER, 200)
        status, _, data = self.request('GET', '/v2/images/%s/file'
                                       % image['id'], headers=dict(READER))
        self.assertEqual((200, DATA), (status, data))
        self.call('PUT', '/images/%s' % image['id'], READER, 200,
                  {'image': {'name': 'r'}}, server=self.registry)
        self.call('POST', '/rpc', READER, 200,
                  [{'command': 'image_tag_create',
                    'kwargs': {'image_id': image['id'], 'value': 't'}}],
                  server=self.registry)
        self.call('DELETE', '/v2/images/%s' % image['id'], READER, 204)

    def test_publicize_still_needs_an_admin(self):
        image = self.create(READER)
        self.call('PATCH', '/v2/images/%s' % image['id'], MEMBER, 403,
                  [{'op': 'replace', 'path': '/visibility',
                    'value': 'public'}])

    def test_other_project_still_cannot_write(self):
        image = self.create_active(visibility='community')
        self.rename(image['id'], OTHER_MEMBER, 403)

    def test_system_scoped_admin_is_an_admin_without_scope_checks(self):
        image = self.create_active()
        self.call('GET', '/v2/images/%s' % image['id'], SYSTEM_ADMIN, 200)
