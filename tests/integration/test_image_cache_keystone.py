"""The image cache behind Keystone: glance-api in the
keystone+cachemanagement flavor, glance-registry in the keystone flavor."""

import os
import time

from tests.integration import keystone_base

MiB = 1024 * 1024


class TestImageCacheWithKeystone(keystone_base.KeystoneServerTestCase):

    flavor = 'keystone+cachemanagement'

    @classmethod
    def registry_config(cls):
        config = super().registry_config()
        config['paste_deploy']['flavor'] = 'keystone'
        return config

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['DEFAULT'].update(
            image_cache_dir=os.path.join(cls.root, 'image-cache'),
            cache_prefetcher_interval=1)
        return config

    def cached_ids(self):
        status, _, body = self.call('admin', 'GET', '/v2/cache')
        self.assertEqual(200, status, body)
        return {e['image_id']: e['hits'] for e in body['cached_images']}

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.time() + timeout
        while not predicate():
            if time.time() > deadline:
                self.fail('never happened: %s' % what)
            time.sleep(0.1)

    def test_a_member_download_fills_the_cache_and_hits_it(self):
        data = os.urandom(MiB)
        image = self.create_image('demo')
        status, _, body = self.call(
            'demo', 'PUT', '/v2/images/%s/file' % image['id'], data,
            headers={'Content-Type': 'application/octet-stream'})
        self.assertEqual(204, status, body)
        self.assertEqual((200, data), self.call(
            'demo', 'GET', '/v2/images/%s/file' % image['id'])[::2])
        self.wait_for(lambda: image['id'] in self.cached_ids(),
                      'the download committed to the cache')
        self.assertEqual((200, data), self.call(
            'demo', 'GET', '/v2/images/%s/file' % image['id'])[::2])
        self.assertEqual(1, self.cached_ids()[image['id']])
        # Policy comes before the cache: a reader may not download (as
        # upstream's download_image), cached or not.
        self.assertEqual(403, self.call(
            'demo_reader', 'GET', '/v2/images/%s/file' % image['id'])[0])
        self.assertEqual(1, self.cached_ids()[image['id']])
        # Another project still cannot see the private image.
        self.assertEqual(404, self.call(
            'alt_demo', 'GET', '/v2/images/%s/file' % image['id'])[0])
        self.assertEqual(403, self.call('demo', 'GET', '/v2/cache')[0])
        self.assertEqual(204, self.call(
            'demo', 'DELETE', '/v2/images/%s' % image['id'])[0])
        self.assertNotIn(image['id'], self.cached_ids())

    def test_glance_api_prefetches_with_its_service_user(self):
        data = os.urandom(MiB)
        image = self.create_image('demo')
        self.call('demo', 'PUT', '/v2/images/%s/file' % image['id'], data,
                  headers={'Content-Type': 'application/octet-stream'})
        self.assertEqual(202, self.call(
            'admin', 'PUT', '/v2/cache/%s' % image['id'])[0])
        self.wait_for(lambda: image['id'] in self.cached_ids(),
                      'the queued image prefetched')

    def test_versions_list_the_cache_api(self):
        status, _, body = self.call('demo', 'GET', '/versions')
        self.assertIn('v2.14', [v['id'] for v in body['versions']])
