"""The image cache against real daemons: downloads through the cache, the
cache API (v2.14), the glance-cache-* commands and two glance-api nodes
sharing one registry."""

import hashlib
import os
import re
import socket
import subprocess
import sys
import time

from tests.functional import base
from tests.functional import daemons

HITS = b'glance_cache_lookup_count_total{result="hit"}'
SERVED = b'glance_cache_served_bytes_total'
MiB = 1024 * 1024
OCTET = {'Content-Type': 'application/octet-stream'}
MEMBER = {'X-Project-Id': 'p1', 'X-User-Id': 'u1',
          'X-Roles': 'reader,member'}


def wait_for(predicate, what, timeout=30):
    """Poll until ``predicate()`` (never asserting how long it took)."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError('never happened: %s' % what)
        time.sleep(0.05)


class CacheTestCase(base.ServerTestCase):
    """A registry and a glance-api in the cachemanagement flavor."""

    flavor = 'cachemanagement'
    cache_overrides = {}

    @classmethod
    def api_config(cls):
        config = super().api_config()
        values = config.setdefault('DEFAULT', {})
        values.setdefault('image_cache_dir', cls.cache_dir_of('api'))
        values.setdefault('cache_prefetcher_interval', 0)
        values.update(cls.cache_overrides)
        config.setdefault('paste_deploy', {})['flavor'] = cls.flavor
        return config

    @classmethod
    def cache_dir_of(cls, name):
        return os.path.join(cls.root, 'var', 'lib', 'glance',
                            'image-cache-%s' % name)

    def setUp(self):
        super().setUp()
        self.cache_dir = self.cache_dir_of('api')
        for server in self.servers():
            self.assertEqual(204, self.request('DELETE', '/v2/cache',
                                               server=server)[0])

    def servers(self):
        return [self.api]

    def cached_download(self, image_id, server=None, cache_dir=None):
        """A whole download, once the cache has committed what it read
        (the commit follows the last byte sent)."""
        status, headers, body = self.download(image_id, server=server)
        self.assertEqual(200, status)
        # The file is renamed into place, then recorded in the registry.
        wait_for(lambda: os.path.exists(
            self.cache_file(image_id, cache_dir=cache_dir)) and
            image_id in self.cached_ids(server),
            'image %s committed to the cache' % image_id)
        return body

    def create_active_image(self, data, server=None, headers=None,
                            **values):
        body = {'name': 'cached', 'disk_format': 'raw',
                'container_format': 'bare', 'visibility': 'public'}
        body.update(values)
        status, _, image = self.request_json('POST', '/v2/images', body,
                                             headers=headers, server=server)
        self.assertEqual(201, status, image)
        status, _, text = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], data,
            dict(OCTET, **(headers or {})), server=server)
        self.assertEqual(204, status, text)
        return image['id']

    def download(self, image_id, headers=None, server=None):
        return self.request('GET', '/v2/images/%s/file' % image_id,
                            headers=headers, server=server)

    def store_file(self, image_id):
        return os.path.join(self.api.lib, 'images', image_id)

    def cache_file(self, image_id, folder='', cache_dir=None):
        return os.path.join(cache_dir or self.cache_dir, folder, image_id)

    def cache_list(self, server=None):
        status, _, body = self.request_json('GET', '/v2/cache',
                                            server=server)
        self.assertEqual(200, status, body)
        return body

    def cached_ids(self, server=None):
        return [entry['image_id']
                for entry in self.cache_list(server)['cached_images']]

    def run_cache_command(self, command, server=None, extra_conf=None,
                          expect=0):
        server = server or self.api
        argv = [sys.executable, '-m', 'glance_api.cache.cmd', command,
                '--config-file', server.conf_path]
        if extra_conf:
            path = os.path.join(self.root, 'extra-%s.conf' % command)
            with open(path, 'w') as f:
                f.write('[DEFAULT]\n' + ''.join(
                    '%s = %s\n' % item for item in extra_conf.items()))
            argv += ['--config-file', path]
        return self.run_cli(argv, expect=expect,
                            env={'PYTHONPATH': os.environ.get('PYTHONPATH',
                                                              '')})


class DownloadThroughCacheTests(CacheTestCase):

    def metric(self, name):
        """The value of one sample of glance-api's GET /metrics (0 when
        absent)."""
        status, _, body = self.request('GET', '/metrics')
        self.assertEqual(200, status)
        found = re.search(rb'^%s (\S+)$' % re.escape(name), body, re.M)
        return float(found.group(1)) if found else 0

    def test_miss_then_hit_is_served_from_the_cache_with_ranges(self):
        hits_before = self.metric(HITS)
        served_before = self.metric(SERVED)
        data = os.urandom(3 * MiB + 5)
        image_id = self.create_active_image(data)
        self.assertEqual(data, self.cached_download(image_id))
        [entry] = self.cache_list()['cached_images']
        self.assertEqual((image_id, len(data), 0),
                         (entry['image_id'], entry['size'], entry['hits']))
        # The store's copy is gone: only the cache can answer now.
        os.unlink(self.store_file(image_id))
        status, headers, body = self.download(image_id)
        self.assertEqual((200, data), (status, body))
        self.assertEqual(hashlib.md5(data).hexdigest(), {
            name.lower(): value for name, value in headers.items()
        }['content-md5'])
        status, headers, body = self.download(
            image_id, {'Range': 'bytes=%d-%d' % (MiB - 3, 2 * MiB + 7)})
        self.assertEqual(206, status)
        self.assertEqual(data[MiB - 3:2 * MiB + 8], body)
        self.assertEqual('bytes %d-%d/%d' % (MiB - 3, 2 * MiB + 7,
                                             len(data)),
                         headers['Content-Range'])
        status, _, body = self.request(
            'GET', '/v1/images/%s' % image_id)
        self.assertEqual((200, data), (status, body))
        [entry] = self.cache_list()['cached_images']
        self.assertEqual(3, entry['hits'])
        # In /metrics too (the dashboard's hit ratio, bytes served): this
        # test's 3 hits, the whole image twice and the range.
        # (Counted when the server closes each answer, just after the
        # client has read it.)
        expected = (3, 2 * len(data) + MiB + 11)
        wait_for(lambda: (self.metric(HITS) - hits_before,
                          self.metric(SERVED) - served_before) == expected,
                 'the cache metrics counted')
        self.assertGreater(entry['last_accessed'], 0)

    def test_a_ranged_miss_is_not_cached(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        status, _, body = self.download(image_id, {'Range': 'bytes=0-9'})
        self.assertEqual((206, data[:10]), (status, body))
        self.assertFalse(os.path.exists(self.cache_file(image_id)))
        self.assertNotIn(image_id, self.cached_ids())

    def test_an_interrupted_first_download_commits_nothing(self):
        data = os.urandom(48 * MiB)
        image_id = self.create_active_image(data)
        sock = socket.create_connection(('127.0.0.1', self.api.port))
        sock.sendall(('GET /v2/images/%s/file HTTP/1.1\r\nHost: x\r\n\r\n'
                      % image_id).encode())
        received = 0
        while received < MiB:
            received += len(sock.recv(65536))
        sock.close()
        wait_for(lambda: not os.path.exists(
            self.cache_file(image_id, 'incomplete')),
            'the incomplete file removed')
        self.assertFalse(os.path.exists(self.cache_file(image_id)))
        self.assertNotIn(image_id, self.cached_ids())
        # The next whole download fills the cache.
        self.assertEqual(data, self.cached_download(image_id))
        self.assertIn(image_id, self.cached_ids())

    def test_a_corrupt_cache_file_is_discarded_and_the_store_serves(self):
        data = os.urandom(2 * MiB)
        image_id = self.create_active_image(data)
        self.cached_download(image_id)
        with open(self.cache_file(image_id), 'r+b') as f:
            f.seek(MiB)
            f.write(b'\0' * 16)
        self.assertEqual(data, self.cached_download(image_id))
        self.assertIn('cache file discarded', self.api.log_text(10 ** 6))
        # That download cached a sound copy again.
        with open(self.cache_file(image_id), 'rb') as f:
            self.assertEqual(data, f.read())

    def test_data_that_fails_its_checksum_is_never_committed(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        with open(self.store_file(image_id), 'r+b') as f:
            f.write(b'\xff' * 8)
        self.download(image_id)
        wait_for(lambda: os.path.exists(self.cache_file(image_id,
                                                        'invalid')),
                 'the file moved to invalid/')
        self.assertFalse(os.path.exists(self.cache_file(image_id)))
        self.assertNotIn(image_id, self.cached_ids())
        self.run_cache_command('cleaner')
        self.assertFalse(os.path.exists(
            self.cache_file(image_id, 'invalid')))

    def test_a_deleted_image_is_not_served_and_the_cleaner_drops_it(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        self.cached_download(image_id)
        self.assertIn(image_id, self.cached_ids())
        status, _, _ = self.request('DELETE', '/v2/images/%s' % image_id)
        self.assertEqual(204, status)
        self.assertEqual(404, self.download(image_id)[0])
        self.assertNotIn(image_id, self.cached_ids())
        self.run_cache_command('cleaner')
        self.assertFalse(os.path.exists(self.cache_file(image_id)))

    def test_a_deactivated_image_is_never_served_from_the_cache(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        self.cached_download(image_id)
        status, _, _ = self.request(
            'POST', '/v2/images/%s/actions/deactivate' % image_id)
        self.assertEqual(204, status)
        self.assertEqual(403, self.download(image_id, MEMBER)[0])
        # An administrator reads the store: the cache counts no hit.
        self.assertEqual((200, data), self.download(image_id)[::2])
        self.assertEqual([0], [e['hits'] for e in
                               self.cache_list()['cached_images']])
        status, _, _ = self.request(
            'POST', '/v2/images/%s/actions/reactivate' % image_id)
        self.assertEqual(204, status)
        self.assertEqual((200, data), self.download(image_id)[::2])
        self.assertEqual([1], [e['hits'] for e in
                               self.cache_list()['cached_images']])

    def test_a_user_who_may_not_see_the_image_gets_nothing_cached(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data, visibility='private')
        self.download(image_id)
        self.assertEqual(404, self.download(image_id, MEMBER)[0])


class CacheAPITests(CacheTestCase):

    def test_versions_list_2_14(self):
        status, _, body = self.request_json('GET', '/versions')
        self.assertIn('v2.14', [v['id'] for v in body['versions']])

    def test_queue_prefetch_list_delete_and_clear(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        status, _, _ = self.request('PUT', '/v2/cache/%s' % image_id)
        self.assertEqual(202, status)
        self.assertEqual([image_id], self.cache_list()['queued_images'])
        result = self.run_cache_command('prefetcher')
        self.assertIn('Prefetched 1 images, 0 failed', result.stdout)
        body = self.cache_list()
        self.assertEqual([], body['queued_images'])
        self.assertEqual([image_id], [e['image_id']
                                      for e in body['cached_images']])
        with open(self.cache_file(image_id), 'rb') as f:
            self.assertEqual(data, f.read())
        status, _, _ = self.request('DELETE', '/v2/cache/%s' % image_id)
        self.assertEqual(204, status)
        self.assertEqual({'cached_images': [], 'queued_images': []},
                         self.cache_list())
        self.assertFalse(os.path.exists(self.cache_file(image_id)))
        status, _, _ = self.request('DELETE', '/v2/cache/%s' % image_id)
        self.assertEqual(404, status)

    def test_clear_targets(self):
        cached = self.create_active_image(os.urandom(1000))
        queued = self.create_active_image(os.urandom(1000))
        self.cached_download(cached)
        self.request('PUT', '/v2/cache/%s' % queued)
        status, _, _ = self.request(
            'DELETE', '/v2/cache', headers={
                'x-image-cache-clear-target': 'queue'})
        self.assertEqual(204, status)
        body = self.cache_list()
        self.assertEqual(([cached], []), (
            [e['image_id'] for e in body['cached_images']],
            body['queued_images']))
        self.request('PUT', '/v2/cache/%s' % queued)
        status, _, _ = self.request(
            'DELETE', '/v2/cache', headers={
                'x-image-cache-clear-target': 'cache'})
        self.assertEqual(204, status)
        self.assertEqual({'cached_images': [], 'queued_images': [queued]},
                         self.cache_list())
        self.assertFalse(os.path.exists(self.cache_file(cached)))
        status, _, body = self.request(
            'DELETE', '/v2/cache', headers={
                'x-image-cache-clear-target': 'everything'})
        self.assertEqual(400, status)
        self.assertIn(b'x-image-cache-clear-target', body)
        self.assertEqual(204, self.request('DELETE', '/v2/cache')[0])
        self.assertEqual({'cached_images': [], 'queued_images': []},
                         self.cache_list())

    def test_queue_refuses_an_image_that_is_not_active_or_unknown(self):
        status, _, image = self.request_json('POST', '/v2/images', {
            'name': 'queued', 'disk_format': 'raw',
            'container_format': 'bare'})
        status, _, _ = self.request('PUT', '/v2/cache/%s' % image['id'])
        self.assertEqual(400, status)
        status, _, _ = self.request(
            'PUT', '/v2/cache/00000000-0000-0000-0000-000000000000')
        self.assertEqual(404, status)
        self.assertEqual(404, self.request('DELETE', '/v2/cache/..')[0])

    def test_the_cache_api_is_for_administrators(self):
        image_id = self.create_active_image(os.urandom(10))
        for method, path in (('GET', '/v2/cache'),
                             ('PUT', '/v2/cache/%s' % image_id),
                             ('DELETE', '/v2/cache/%s' % image_id),
                             ('DELETE', '/v2/cache')):
            status, _, _ = self.request(method, path, headers=MEMBER)
            self.assertEqual(403, status, (method, path))

    def test_pruner_evicts_least_recently_used_down_to_the_max_size(self):
        first, second, third = [self.create_active_image(os.urandom(2 * MiB))
                                for _ in range(3)]
        for image_id in (first, second, third):
            self.cached_download(image_id)
        self.assertEqual(200, self.download(first)[0])
        result = self.run_cache_command(
            'pruner', extra_conf={'image_cache_max_size': 4 * MiB})
        self.assertIn('Pruned 1 images, %d bytes' % (2 * MiB),
                      result.stdout)
        self.assertEqual(sorted([first, third]), sorted(self.cached_ids()))
        self.assertFalse(os.path.exists(self.cache_file(second)))
        self.assertTrue(os.path.exists(self.cache_file(first)))

    def test_cleaner_removes_stalled_incomplete_files_only(self):
        self.cache_list()   # the first use lays the cache folder out
        stalled = self.cache_file('11111111-1111-1111-1111-111111111111',
                                  'incomplete')
        fresh = self.cache_file('22222222-2222-2222-2222-222222222222',
                                'incomplete')
        for path in (stalled, fresh):
            with open(path, 'wb') as f:
                f.write(b'partial')
        old = time.time() - 7200
        os.utime(stalled, (old, old))
        self.run_cache_command('cleaner',
                               extra_conf={'image_cache_stall_time': 3600})
        self.assertFalse(os.path.exists(stalled))
        self.assertTrue(os.path.exists(fresh))
        os.unlink(fresh)


class NoCacheFlavorTests(base.ServerTestCase):

    def test_the_cache_api_is_404_without_the_cache(self):
        status, _, body = self.request('GET', '/v2/cache')
        self.assertEqual(404, status)
        self.assertIn(b'Caching via API is not supported', body)


class TwoNodesTests(CacheTestCase):
    """Two glance-api processes, each with its own cache folder, one
    registry."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            # A folder of its own (config, log), the same file store.
            config = cls.api_config()
            config['DEFAULT']['image_cache_dir'] = cls.cache_dir_of('b')
            config['glance_store'] = {'filesystem_store_datadir':
                                      os.path.join(cls.api.lib, 'images')}
            cls.api_b = cls._start(daemons.Api(
                cls.registry, root=os.path.join(cls.root, 'node-b'),
                overrides=config))
        except Exception:
            cls.tearDownClass()
            raise

    def servers(self):
        return [self.api, self.api_b]

    def test_each_node_answers_for_its_own_cache_and_deletes_reach_all(
            self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        other_id = self.create_active_image(os.urandom(10))
        self.assertEqual(data, self.cached_download(image_id))
        self.assertEqual(data, self.cached_download(
            image_id, server=self.api_b, cache_dir=self.cache_dir_of('b')))
        self.cached_download(other_id, server=self.api_b,
                             cache_dir=self.cache_dir_of('b'))
        self.assertEqual([image_id], self.cached_ids())
        self.assertEqual(sorted([image_id, other_id]),
                         sorted(self.cached_ids(self.api_b)))
        # Deleted through node b: no node lists or serves it any more.
        status, _, _ = self.request('DELETE', '/v2/images/%s' % image_id,
                                    server=self.api_b)
        self.assertEqual(204, status)
        self.assertEqual([], self.cached_ids())
        self.assertEqual([other_id], self.cached_ids(self.api_b))
        self.assertEqual(404, self.download(image_id)[0])
        self.run_cache_command('cleaner')
        self.assertFalse(os.path.exists(self.cache_file(image_id)))
        self.assertTrue(os.path.exists(self.cache_file(
            image_id, cache_dir=self.cache_dir_of('b'))))
        self.run_cache_command('cleaner', server=self.api_b)
        self.assertFalse(os.path.exists(self.cache_file(
            image_id, cache_dir=self.cache_dir_of('b'))))
        self.assertTrue(os.path.exists(self.cache_file(
            other_id, cache_dir=self.cache_dir_of('b'))))


class PeriodicPrefetchTests(CacheTestCase):

    cache_overrides = {'cache_prefetcher_interval': 1}

    def test_glance_api_prefetches_queued_images_by_itself(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        self.assertEqual(202, self.request('PUT',
                                           '/v2/cache/%s' % image_id)[0])
        wait_for(lambda: image_id in self.cached_ids(),
                 'image %s prefetched' % image_id)
        self.assertEqual([], self.cache_list()['queued_images'])
        with open(self.cache_file(image_id), 'rb') as f:
            self.assertEqual(data, f.read())


class CacheCommandLineTests(CacheTestCase):
    """The glance CLI's cache-* commands and glance-cache-manage."""

    def glance(self, *args, expect=0):
        return self.run_cli(
            [os.path.join(daemons.BIN, 'glance'), '--os-image-api-version',
             '2'] + list(args), expect=expect,
            env={'OS_IMAGE_URL': self.api.url, 'OS_AUTH_TOKEN': 'noauth'})

    def manage(self, *args, expect=0):
        return self.run_cli(
            [sys.executable, '-m', 'glance_api.cache.manage', '--port',
             str(self.api.port)] + list(args), expect=expect,
            env={'PYTHONPATH': os.environ.get('PYTHONPATH', '')})

    def test_glance_cache_commands(self):
        cached = self.create_active_image(os.urandom(1000))
        queued = self.create_active_image(os.urandom(1000))
        self.cached_download(cached)
        self.glance('cache-queue', queued)
        out = self.glance('cache-list').stdout
        self.assertIn(cached, out)
        self.assertIn(queued, out)
        self.assertIn('cached', out)
        self.assertIn('queued', out)
        self.glance('cache-delete', cached)
        self.assertNotIn(cached, self.glance('cache-list').stdout)
        self.glance('cache-clear', '--target', 'queue')
        self.assertEqual({'cached_images': [], 'queued_images': []},
                         self.cache_list())

    def test_glance_cache_manage_commands(self):
        cached = self.create_active_image(os.urandom(1000))
        queued = self.create_active_image(os.urandom(1000))
        self.assertIn('No cached images.', self.manage('list-cached').stdout)
        self.cached_download(cached)
        out = self.manage('list-cached').stdout
        self.assertIn('Found 1 cached images...', out)
        self.assertIn(cached, out)
        self.manage('queue-image', queued)
        out = self.manage('list-queued').stdout
        self.assertIn('Found 1 queued images...', out)
        self.assertIn(queued, out)
        self.manage('-f', 'delete-queued-image', queued)
        self.assertIn('No queued images.', self.manage('list-queued').stdout)
        result = self.manage('delete-queued-image', queued, expect=1)
        self.assertIn('is not queued', result.stderr)
        self.manage('queue-image', queued)
        self.manage('-f', '-v', 'delete-all-queued-images')
        # Without -f a delete asks, and "no" keeps the image.
        answer = subprocess.run(
            [sys.executable, '-m', 'glance_api.cache.manage', '--port',
             str(self.api.port), 'delete-cached-image', cached],
            input='n\n', capture_output=True, text=True, timeout=120)
        self.assertEqual(0, answer.returncode, answer.stderr)
        self.assertIn('Delete cached image %s? [y/N]' % cached,
                      answer.stdout)
        self.assertEqual([cached], self.cached_ids())
        self.manage('-f', 'delete-cached-image', cached)
        self.assertEqual({'cached_images': [], 'queued_images': []},
                         self.cache_list())
        self.cached_download(cached)
        out = self.manage('-f', '-v', 'delete-all-cached-images').stdout
        self.assertIn('Deleted 1 cached images', out)
        self.assertEqual([], self.cached_ids())
        self.manage('queue-image', expect=2)
        result = self.manage('queue-image',
                             '00000000-0000-0000-0000-000000000000',
                             expect=1)
        self.assertIn('404', result.stderr)


class UnusableCacheFolderTests(CacheTestCase):

    cache_overrides = {'image_cache_dir': '/proc/no-image-cache-here'}

    def setUp(self):
        base.ServerTestCase.setUp(self)

    def test_downloads_go_to_the_store(self):
        data = os.urandom(1000)
        image_id = self.create_active_image(data)
        self.assertEqual((200, data), self.download(image_id)[::2])
        self.assertIn('Image cache unusable', self.api.log_text(10 ** 6))
        status, _, body = self.request('GET', '/v2/cache')
        self.assertEqual(503, status)
        self.assertNotIn(b'/proc', body)


class OverMessagingTests(base.RegistryOverMessagingMixin, CacheTestCase):
    """The cache records reached over RabbitMQ instead of HTTP."""

    def test_hit_after_the_store_lost_the_file(self):
        data = os.urandom(MiB)
        image_id = self.create_active_image(data)
        self.assertEqual(data, self.cached_download(image_id))
        os.unlink(self.store_file(image_id))
        self.assertEqual((200, data), self.download(image_id)[::2])
        self.assertEqual([1], [e['hits'] for e in
                               self.cache_list()['cached_images']])
