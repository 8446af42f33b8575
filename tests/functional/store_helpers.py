"""Calls the store tests make against glance-api: create, upload to a
chosen store (X-Image-Meta-Store), download, add a location, remove an
image from one store. Mixed into a base.ServerTestCase."""

import json

OCTET = {'Content-Type': 'application/octet-stream'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
         'X-Roles': 'admin'}
MEMBER = {'X-Project-Id': 'admin-project', 'X-User-Id': 'member-user',
          'X-Roles': 'member'}


class StoreCallsMixin:

    def create_image(self, headers=ADMIN, **values):
        body = {'name': 'store-test', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        status, _, image = self.request_json('POST', '/v2/images', body,
                                             dict(headers))
        self.assertEqual(201, status, image)
        return image

    def upload(self, image_id, data, store=None, headers=ADMIN,
               expected=204):
        headers = dict(OCTET, **headers)
        if store is not None:
            headers['X-Image-Meta-Store'] = store
        status, _, body = self.request('PUT', '/v2/images/%s/file'
                                       % image_id, data, headers)
        self.assertEqual(expected, status, body)
        return body

    def create_with_data(self, data, store=None):
        image = self.create_image()
        self.upload(image['id'], data, store)
        return self.show(image['id'])

    def show(self, image_id, headers=ADMIN):
        status, _, image = self.request_json('GET', '/v2/images/%s'
                                             % image_id, headers=headers)
        self.assertEqual(200, status, image)
        return image

    def download(self, image_id):
        status, _, data = self.request('GET', '/v2/images/%s/file'
                                       % image_id, headers=ADMIN)
        self.assertEqual(200, status, data[:200])
        return data

    def add_location(self, image_id, url):
        """PATCH add /locations/- (needs show_multiple_locations)."""
        body = json.dumps([{'op': 'add', 'path': '/locations/-',
                            'value': {'url': url, 'metadata': {}}}])
        status, _, image = self.request_json(
            'PATCH', '/v2/images/%s' % image_id, body.encode(),
            dict(PATCH, **ADMIN))
        self.assertEqual(200, status, image)
        return image

    def delete_from_store(self, store, image_id, headers=ADMIN):
        status, _, body = self.request('DELETE', '/v2/stores/%s/%s'
                                       % (store, image_id),
                                       headers=dict(headers))
        return status, body.decode(errors='replace')
