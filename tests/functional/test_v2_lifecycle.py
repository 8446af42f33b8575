"""Image API v2 lifecycle against real daemons: deactivate/reactivate and
delete with and without delayed_delete."""

import os

from tests.functional import base

OCTET = {'Content-Type': 'application/octet-stream'}
OWNER = {'X-Project-Id': 'owner-project', 'X-User-Id': 'owner-user',
         'X-Roles': 'member'}
OTHER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
         'X-Roles': 'member'}
ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
         'X-Roles': 'admin'}
DATA = b'lifecycle image data' * 100


class LifecycleMixin:

    def call(self, method, path, body=None, headers=OWNER, expected=None):
        status, _, data = self.request_json(method, path, body,
                                            dict(headers))
        if expected is not None:
            self.assertEqual(expected, status, data)
        return status, data

    def create_active(self, headers=OWNER, data=DATA, **values):
        body = {'name': 'life', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        _, image = self.call('POST', '/v2/images', body, headers, 201)
        status, _, resp = self.request('PUT', '/v2/images/%s/file'
                                       % image['id'], data,
                                       dict(OCTET, **headers))
        self.assertEqual(204, status, resp)
        return image

    def data_path(self, image_id):
        return os.path.join(self.root, 'var', 'lib', 'glance', 'images',
                            image_id)

    def download(self, image_id, headers=OWNER):
        return self.request('GET', '/v2/images/%s/file' % image_id,
                            headers=dict(headers))


class DeactivateTestCase(LifecycleMixin, base.ServerTestCase):

    def action(self, image_id, name, headers=ADMIN, expected=204):
        status, _, body = self.request(
            'POST', '/v2/images/%s/actions/%s' % (image_id, name),
            headers=dict(headers))
        self.assertEqual(expected, status, body)

    def test_admin_deactivates_and_reactivates_an_active_image(self):
        image = self.create_active()
        self.action(image['id'], 'deactivate')
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('deactivated', shown['status'])
        # Deactivating twice is a no-op.
        self.action(image['id'], 'deactivate')
        self.action(image['id'], 'reactivate')
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('active', shown['status'])
        self.action(image['id'], 'reactivate')

    def test_download_of_deactivated_image_is_403_for_non_admin(self):
        image = self.create_active()
        self.action(image['id'], 'deactivate')
        status, _, _ = self.download(image['id'])
        self.assertEqual(403, status)
        status, _, body = self.download(image['id'], ADMIN)
        self.assertEqual(200, status)
        self.assertEqual(DATA, body)
        self.action(image['id'], 'reactivate')
        status, _, body = self.download(image['id'])
        self.assertEqual((200, DATA), (status, body))

    def test_owner_member_deactivates_and_reactivates(self):
        image = self.create_active()
        self.action(image['id'], 'deactivate', OWNER)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('deactivated', shown['status'])
        self.action(image['id'], 'reactivate', OWNER)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('active', shown['status'])

    def test_other_project_and_reader_cannot_deactivate(self):
        image = self.create_active(visibility='community')
        self.action(image['id'], 'deactivate', OTHER, 403)
        reader = dict(OWNER, **{'X-Roles': 'reader'})
        self.action(image['id'], 'deactivate', reader, 403)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('active', shown['status'])

    def test_deactivate_of_queued_image_is_403(self):
        _, image = self.call('POST', '/v2/images', {'name': 'q'},
                             expected=201)
        self.action(image['id'], 'deactivate', expected=403)
        self.action(image['id'], 'reactivate', expected=403)

    def test_deactivate_unknown_image_is_404_and_get_is_405(self):
        self.action('0b3b8e1c-2f6a-4b1e-9d55-000000000000', 'deactivate',
                    expected=404)
        status, headers, _ = self.request(
            'GET', '/v2/images/0b3b8e1c-2f6a-4b1e-9d55-000000000000'
                   '/actions/deactivate')
        self.assertEqual(405, status)
        self.assertEqual('POST', headers['Allow'])

    def test_other_project_cannot_deactivate_a_private_image(self):
        image = self.create_active(visibility='private')
        self.action(image['id'], 'deactivate', OTHER, 404)

    def test_delete_without_delayed_delete_removes_data_now(self):
        image = self.create_active()
        self.assertTrue(os.path.exists(self.data_path(image['id'])))
        self.call('DELETE', '/v2/images/%s' % image['id'], expected=204)
        self.assertFalse(os.path.exists(self.data_path(image['id'])))
        self.call('GET', '/v2/images/%s' % image['id'], expected=404)
        self.call('DELETE', '/v2/images/%s' % image['id'], expected=404)


class DelayedDeleteTestCase(LifecycleMixin, base.ServerTestCase):

    api_overrides = {'DEFAULT': {'delayed_delete': True}}

    def test_delete_with_delayed_delete_keeps_data_and_hides_image(self):
        image = self.create_active()
        self.call('DELETE', '/v2/images/%s' % image['id'], expected=204)
        self.call('GET', '/v2/images/%s' % image['id'], expected=404)
        _, body = self.call('GET', '/v2/images', expected=200)
        self.assertNotIn(image['id'], [i['id'] for i in body['images']])
        with open(self.data_path(image['id']), 'rb') as f:
            self.assertEqual(DATA, f.read())
        status, body = self.call(
            'GET', '/v2/images?status=pending_delete', headers=ADMIN)
        self.assertEqual(200, status)


class DeactivateOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                      DeactivateTestCase):
    """Every deactivate/reactivate test of DeactivateTestCase, with the
    registry reached over RabbitMQ."""


class DelayedDeleteOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                         DelayedDeleteTestCase):
    """Every delayed-delete test of DelayedDeleteTestCase, with the
    registry reached over RabbitMQ."""
