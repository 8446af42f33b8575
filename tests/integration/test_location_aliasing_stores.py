"""Tenant isolation with locations, on every real store: project B cannot
point a location of its own image at project A's data in the file, swift,
s3 or rbd store (refused at the API, in every spelling the store reads),
and A's data is still there, byte for byte, after B's image is deleted.
"""

import urllib.parse

from tests.functional import base
from tests.functional import store_helpers
from tests.integration import ceph_fixture
from tests.integration import swift_fixture
from tests.integration import test_api_stores
from tests.unit.store import conformance

A = {'X-Project-Id': 'project-a', 'X-User-Id': 'alice',
     'X-Roles': 'reader,member'}
B = {'X-Project-Id': 'project-b', 'X-User-Id': 'bob',
     'X-Roles': 'reader,member'}
# add_image_location wants a member of the owning project, even an admin.
ADMIN = dict(store_helpers.ADMIN, **{'X-Roles': 'admin,reader,member'})
DATA = conformance.payload(300_000, seed=b'project a only')


class AliasingOnStoreTests(test_api_stores.DefaultStoreTests):
    """Mixed into a ServerTestCase with ``make_backend``."""

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['DEFAULT']['show_multiple_locations'] = True
        return config

    # DefaultStoreTests' own case runs in test_api_stores already.
    test_upload_download_and_delete_through_the_default_store = None

    def image_of_a(self):
        image = self.create_image(headers=A, visibility='private')
        self.upload(image['id'], DATA, headers=A)
        url = self.show(image['id'])['locations'][0]['url']
        return image, url

    def spellings(self, url):
        """Ways to write ``url`` that the store reads as the same data."""
        parts = urllib.parse.urlsplit(url)
        spellings = [url, url.replace(parts.path, parts.path.replace(
            '/', '//'), 1)]
        if parts.hostname in ('127.0.0.1', 'localhost'):
            other = 'localhost' if parts.hostname == '127.0.0.1' else \
                '127.0.0.1'
            spellings.append(url.replace('@%s' % parts.hostname,
                                         '@%s' % other, 1))
        return spellings

    def add_location(self, image_id, url, headers, expected):
        status, _, body = self.request_json(
            'POST', '/v2/images/%s/locations' % image_id, {'url': url},
            dict(headers))
        self.assertEqual(expected, status, body)
        return body

    def assertDataOfAIntact(self, image):
        self.assertEqual(DATA, self.backend.read(image['id']))
        self.assertEqual('active', self.show(image['id'], A)['status'])
        status, _, body = self.request('GET', '/v2/images/%s/file'
                                       % image['id'], headers=dict(A))
        self.assertEqual((200, DATA), (status, body))

    def test_project_b_cannot_alias_the_data_of_project_a(self):
        image, url = self.image_of_a()
        mine = self.create_image(headers=B)
        expected = 403 if url.startswith('file:') else 400
        for spelling in self.spellings(url) + self.extra_spellings(image,
                                                                   url):
            self.add_location(mine['id'], spelling, B, expected)
        self.assertEqual('queued', self.show(mine['id'], B)['status'])
        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % mine['id'], headers=dict(B))
        self.assertEqual(204, status, body)
        self.assertDataOfAIntact(image)

    def test_administrators_cannot_alias_it_either(self):
        image, url = self.image_of_a()
        mine = self.create_image(headers=ADMIN)
        # The very URL is readable: only the store-managed check refuses it.
        body = self.add_location(mine['id'], url, ADMIN, 400)
        self.assertIn('points into the data a store', body['message'])
        for spelling in self.spellings(url) + self.extra_spellings(image,
                                                                   url):
            self.add_location(mine['id'], spelling, ADMIN, 400)
        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % mine['id'], headers=ADMIN)
        self.assertEqual(204, status, body)
        self.assertDataOfAIntact(image)

    def test_deleting_an_image_of_b_leaves_the_data_of_a(self):
        image, _ = self.image_of_a()
        mine = self.create_image(headers=B)
        self.upload(mine['id'], DATA[::-1], headers=B)
        status, _, body = self.request('DELETE', '/v2/images/%s'
                                       % mine['id'], headers=dict(B))
        self.assertEqual(204, status, body)
        self.assertIsNone(self.backend.read(mine['id']))
        self.assertDataOfAIntact(image)

    def extra_spellings(self, image, url):
        return []


class FileAliasingTest(AliasingOnStoreTests, base.ServerTestCase):
    make_backend = test_api_stores.FileBackend

    def extra_spellings(self, image, url):
        datadir = self.backend.datadir
        return ['file://%s/../%s/%s' % (datadir, datadir.rsplit('/', 1)[1],
                                        image['id']),
                'file://localhost%s/%s' % (datadir, image['id'])]


class SwiftAliasingTest(AliasingOnStoreTests, base.ServerTestCase):
    make_backend = test_api_stores.SwiftBackend

    def extra_spellings(self, image, url):
        # The store's segments container holds A's data too.
        return [url.replace('/%s/' % self.backend.container,
                            '/%s_segments/' % self.backend.container)]


class S3OnSwiftAliasingTest(AliasingOnStoreTests, base.ServerTestCase):

    @classmethod
    def make_backend(cls):
        return test_api_stores.S3Backend(swift_fixture.shared_cluster())


class S3OnRadosgwAliasingTest(AliasingOnStoreTests, base.ServerTestCase):

    @classmethod
    def make_backend(cls):
        return test_api_stores.S3Backend(ceph_fixture.radosgw())


class RbdAliasingTest(AliasingOnStoreTests, base.ServerTestCase):
    make_backend = test_api_stores.RbdBackend

    def extra_spellings(self, image, url):
        fsid, pool, name, snapshot = url[len('rbd://'):].split('/')
        return ['rbd://%s' % name,
                'rbd://%s/%s/%s/%s' % ('0' * 8 + fsid[8:], pool, name,
                                       snapshot),
                'rbd://%s/%s/%s/%s' % (fsid, urllib.parse.quote(pool, ''),
                                       urllib.parse.quote(name, ''),
                                       snapshot)]
