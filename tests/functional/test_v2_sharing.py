"""Image API v2 sharing and visibility, members, tags, protected and
os_hidden, against real glance-registry and glance-api processes, with two
projects (owner, other), a third project and an administrator."""

import json
import uuid

from tests.functional import base

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
OWNER = {'X-Project-Id': 'owner-project', 'X-User-Id': 'owner-user',
         'X-Roles': 'member'}
OTHER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
         'X-Roles': 'member'}
THIRD = {'X-Project-Id': 'third-project', 'X-User-Id': 'third-user',
         'X-Roles': 'member'}
ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
         'X-Roles': 'admin'}


class SharingTestCase(base.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.tag = 'share-%s' % uuid.uuid4().hex

    def call(self, method, path, body=None, headers=OWNER, expected=None):
        status, _, data = self.request_json(method, path, body,
                                            dict(headers))
        if expected is not None:
            self.assertEqual(expected, status, data)
        return status, data

    def create(self, headers=OWNER, **values):
        body = {'name': 'img', 'disk_format': 'raw',
                'container_format': 'bare', 'tags': [self.tag]}
        body.update(values)
        return self.call('POST', '/v2/images', body, headers, 201)[1]

    def listed(self, headers, query=''):
        _, body = self.call('GET', '/v2/images?tag=%s%s' % (self.tag, query),
                            headers=headers, expected=200)
        return {image['id'] for image in body['images']}

    def patch(self, image_id, changes, headers=OWNER, expected=200):
        status, _, data = self.request(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(changes).encode(), dict(PATCH, **headers))
        self.assertEqual(expected, status, data)
        return json.loads(data) if data else None

    def members_path(self, image_id, member=None):
        path = '/v2/images/%s/members' % image_id
        return path + '/' + member if member else path

    # -- visibility ------------------------------------------------------

    def test_private_image_is_invisible_to_another_project(self):
        image = self.create(visibility='private')
        self.call('GET', '/v2/images/%s' % image['id'], headers=OTHER,
                  expected=404)
        self.assertNotIn(image['id'], self.listed(OTHER))
        self.assertIn(image['id'], self.listed(OWNER))
        self.assertIn(image['id'], self.listed(ADMIN))
        self.call('GET', '/v2/images/%s' % image['id'], headers=ADMIN,
                  expected=200)

    def test_only_admin_may_publicize_on_create_and_patch(self):
        status, body = self.call('POST', '/v2/images',
                                 {'name': 'p', 'visibility': 'public'},
                                 OWNER)
        self.assertEqual(403, status, body)
        image = self.create()
        self.patch(image['id'], [{'op': 'replace', 'path': '/visibility',
                                  'value': 'public'}], expected=403)
        public = self.create(headers=ADMIN, visibility='public')
        self.assertEqual('public', public['visibility'])
        self.assertIn(public['id'], self.listed(OTHER))
        self.call('GET', '/v2/images/%s' % public['id'], headers=OTHER,
                  expected=200)

    def test_community_image_shown_to_all_but_listed_only_on_request(self):
        image = self.create(visibility='community')
        self.call('GET', '/v2/images/%s' % image['id'], headers=OTHER,
                  expected=200)
        self.assertNotIn(image['id'], self.listed(OTHER))
        self.assertIn(image['id'],
                      self.listed(OTHER, '&visibility=community'))
        self.assertIn(image['id'], self.listed(OWNER))

    def test_another_project_cannot_upload_data_to_an_image_it_sees(self):
        community = self.create(visibility='community')
        public = self.create(visibility='public', headers=ADMIN)
        for image in (community, public):
            status, _, body = self.request(
                'PUT', '/v2/images/%s/file' % image['id'], b'not yours',
                dict(OTHER, **{'Content-Type': 'application/octet-stream'}))
            self.assertEqual(403, status, body)
            _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                                 headers=OWNER, expected=200)
            self.assertEqual(('queued', None),
                             (shown['status'], shown['size']))

    def test_community_visibility_set_by_owner_not_by_another_project(self):
        image = self.create(visibility='public', headers=ADMIN)
        self.patch(image['id'], [{'op': 'replace', 'path': '/visibility',
                                  'value': 'community'}], headers=OTHER,
                   expected=403)
        mine = self.create(visibility='private')
        got = self.patch(mine['id'], [{'op': 'replace', 'path':
                                       '/visibility',
                                       'value': 'community'}])
        self.assertEqual('community', got['visibility'])

    def test_visibility_filter_lists_only_that_visibility(self):
        private = self.create(visibility='private')
        shared = self.create(visibility='shared')
        self.assertEqual({private['id']},
                         self.listed(OWNER, '&visibility=private'))
        self.assertEqual({shared['id']},
                         self.listed(OWNER, '&visibility=shared'))
        status, _ = self.call('GET', '/v2/images?visibility=bogus')
        self.assertEqual(400, status)

    # -- members ---------------------------------------------------------

    def test_member_lifecycle_pending_accepted_rejected_and_lists(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        _, member = self.call('POST', path, {'member': 'other-project'},
                              expected=200)
        self.assertEqual({'created_at', 'updated_at', 'image_id',
                          'member_id', 'status', 'schema'}, set(member))
        self.assertEqual('pending', member['status'])
        self.assertEqual('other-project', member['member_id'])
        self.assertEqual(image['id'], member['image_id'])
        self.assertEqual('/v2/schemas/member', member['schema'])
        # Pending: visible by id, not in the default list.
        self.call('GET', '/v2/images/%s' % image['id'], headers=OTHER,
                  expected=200)
        self.assertNotIn(image['id'], self.listed(OTHER))
        self.assertIn(image['id'],
                      self.listed(OTHER, '&member_status=pending'))
        self.assertIn(image['id'], self.listed(OTHER, '&member_status=all'))
        # The member accepts: listed by default.
        _, member = self.call('PUT', path + '/other-project',
                              {'status': 'accepted'}, OTHER, 200)
        self.assertEqual('accepted', member['status'])
        self.assertIn(image['id'], self.listed(OTHER))
        self.assertNotIn(image['id'],
                         self.listed(OTHER, '&member_status=pending'))
        # Rejected: gone from the list again, still showable.
        self.call('PUT', path + '/other-project', {'status': 'rejected'},
                  OTHER, 200)
        self.assertNotIn(image['id'], self.listed(OTHER))
        self.assertIn(image['id'],
                      self.listed(OTHER, '&member_status=rejected'))
        # Back to pending.
        _, member = self.call('PUT', path + '/other-project',
                              {'status': 'pending'}, OTHER, 200)
        self.assertEqual('pending', member['status'])
        status, _ = self.call('GET', '/v2/images?member_status=bogus',
                              headers=OTHER)
        self.assertEqual(400, status)

    def test_owner_sees_all_members_member_sees_itself(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('POST', path, {'member': 'third-project'}, expected=200)
        _, body = self.call('GET', path, expected=200)
        self.assertEqual('/v2/schemas/members', body['schema'])
        self.assertEqual({'other-project', 'third-project'},
                         {m['member_id'] for m in body['members']})
        _, body = self.call('GET', path, headers=OTHER, expected=200)
        self.assertEqual(['other-project'],
                         [m['member_id'] for m in body['members']])
        _, one = self.call('GET', path + '/other-project', headers=OTHER,
                           expected=200)
        self.assertEqual('pending', one['status'])
        self.call('GET', path + '/third-project', headers=OTHER,
                  expected=404)
        # A project that is no member does not see the image at all.
        self.call('GET', path, headers={'X-Project-Id': 'fourth',
                                        'X-Roles': 'member'}, expected=404)

    def test_owner_cannot_change_member_status(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('PUT', path + '/other-project', {'status': 'accepted'},
                  OWNER, 403)

    def test_member_cannot_accept_membership_of_a_third_project(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('POST', path, {'member': 'third-project'}, expected=200)
        status, _ = self.call('PUT', path + '/third-project',
                              {'status': 'accepted'}, OTHER)
        self.assertIn(status, (403, 404))
        _, member = self.call('GET', path + '/third-project', expected=200)
        self.assertEqual('pending', member['status'])

    def test_invalid_member_status_is_400(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('PUT', path + '/other-project', {'status': 'maybe'},
                  OTHER, 400)

    def test_members_only_for_shared_images(self):
        image = self.create(visibility='private')
        self.call('POST', self.members_path(image['id']),
                  {'member': 'other-project'}, expected=403)

    def test_duplicate_member_is_409(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('POST', path, {'member': 'other-project'}, expected=409)

    def test_only_owner_adds_and_removes_members(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.call('POST', path, {'member': 'third-project'}, OTHER, 403)
        self.call('DELETE', path + '/other-project', headers=OTHER,
                  expected=403)
        self.call('DELETE', path + '/other-project', expected=204)
        self.call('GET', '/v2/images/%s' % image['id'], headers=OTHER,
                  expected=404)
        self.call('DELETE', path + '/other-project', expected=404)

    def test_member_schemas(self):
        _, member = self.call('GET', '/v2/schemas/member', expected=200)
        self.assertEqual('member', member['name'])
        self.assertEqual(['pending', 'accepted', 'rejected'],
                         member['properties']['status']['enum'])
        _, members = self.call('GET', '/v2/schemas/members', expected=200)
        self.assertEqual('members', members['name'])
        self.assertEqual('member',
                         members['properties']['members']['items']['name'])

    def test_member_cannot_modify_or_delete_shared_image(self):
        image = self.create(visibility='shared')
        path = self.members_path(image['id'])
        self.call('POST', path, {'member': 'other-project'}, expected=200)
        self.patch(image['id'], [{'op': 'replace', 'path': '/name',
                                  'value': 'x'}], headers=OTHER,
                   expected=403)
        self.call('DELETE', '/v2/images/%s' % image['id'], headers=OTHER,
                  expected=403)

    # -- tags ------------------------------------------------------------

    def test_tags_put_delete_and_filter_all_must_match(self):
        image = self.create(tags=[self.tag, 'a'])
        other = self.create(tags=[self.tag, 'a', 'b'])
        self.call('PUT', '/v2/images/%s/tags/b' % image['id'],
                  expected=204)
        self.call('PUT', '/v2/images/%s/tags/b' % image['id'],
                  expected=204)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual(sorted([self.tag, 'a', 'b']), sorted(shown['tags']))
        self.call('PUT', '/v2/images/%s/tags/c' % other['id'],
                  expected=204)
        self.assertEqual({other['id']}, self.listed(OWNER, '&tag=c&tag=a'))
        self.assertEqual({image['id'], other['id']},
                         self.listed(OWNER, '&tag=a&tag=b'))
        self.call('DELETE', '/v2/images/%s/tags/b' % image['id'],
                  expected=204)
        self.assertEqual({other['id']}, self.listed(OWNER, '&tag=b'))
        self.call('DELETE', '/v2/images/%s/tags/b' % image['id'],
                  expected=404)

    def test_tags_in_patch_and_other_project_cannot_tag(self):
        image = self.create(visibility='shared')
        got = self.patch(image['id'], [{'op': 'replace', 'path': '/tags',
                                        'value': [self.tag, 'x', 'y']}])
        self.assertEqual(sorted([self.tag, 'x', 'y']), sorted(got['tags']))
        self.call('POST', self.members_path(image['id']),
                  {'member': 'other-project'}, expected=200)
        self.call('PUT', '/v2/images/%s/tags/z' % image['id'],
                  headers=OTHER, expected=403)

    # -- protected and os_hidden -----------------------------------------

    def test_protected_image_cannot_be_deleted_until_unprotected(self):
        image = self.create(protected=True)
        status, body = self.call('DELETE', '/v2/images/%s' % image['id'])
        self.assertEqual(403, status, body)
        self.call('DELETE', '/v2/images/%s' % image['id'], headers=ADMIN,
                  expected=403)
        self.call('GET', '/v2/images/%s' % image['id'], expected=200)
        self.patch(image['id'], [{'op': 'replace', 'path': '/protected',
                                  'value': False}])
        self.call('DELETE', '/v2/images/%s' % image['id'], expected=204)

    def test_hidden_image_listed_only_with_os_hidden_true(self):
        hidden = self.create(os_hidden=True)
        shown = self.create()
        self.assertEqual({shown['id']}, self.listed(OWNER))
        self.assertEqual({hidden['id']},
                         self.listed(OWNER, '&os_hidden=true'))
        self.call('GET', '/v2/images/%s' % hidden['id'], expected=200)

    def test_patch_of_name_keeps_properties_and_tags(self):
        image = self.create(color='blue', size_hint='10')
        got = self.patch(image['id'], [{'op': 'replace', 'path': '/name',
                                        'value': 'renamed'}])
        self.assertEqual(('renamed', 'blue', '10', [self.tag]),
                         (got['name'], got['color'], got['size_hint'],
                          got['tags']))
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('blue', shown['color'])


class SharingOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                   SharingTestCase):
    """The same, glance-api reaching the registry over RabbitMQ."""
