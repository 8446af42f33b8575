"""glance-replicator between independent Glance pairs (each its own
glance-registry, SQLite database and file store): livecopy, compare, dump,
load, size and --metaonly, checked on the targets' API and on their disks."""

import hashlib
import json
import os
import random
import re
import sys

from tests.functional import base
from tests.functional import daemons
from tests.functional import store_helpers

MiB = 1024 * 1024
PATCH = store_helpers.PATCH
OCTET = store_helpers.OCTET
# Fields a copy must carry over exactly.
COPIED_FIELDS = ('id', 'name', 'disk_format', 'container_format',
                 'visibility', 'protected', 'os_hidden', 'min_ram',
                 'min_disk', 'owner', 'size', 'checksum', 'os_hash_algo',
                 'os_hash_value', 'status')


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


class ReplicatorMixin:
    """Mixed into a ServerTestCase, whose pair is the source: ``target`` and
    ``third`` are two more pairs with the same configuration, started in
    folders of their own. ``headers()`` authenticates the test's own
    calls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.target = cls.start_pair('target')
            cls.third = cls.start_pair('third')
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_pair(cls, name):
        root = os.path.join(cls.root, name)
        registry = cls._start(daemons.Registry(
            root=root, overrides=cls.registry_config()))
        return cls._start(daemons.Api(registry, root=root,
                                      overrides=cls.api_config()))

    def headers(self, extra=None):
        return dict(extra or {})

    def replicator(self, *args, expect=0, env=None):
        """Run glance-replicator as ``python -m`` from this tree."""
        return self.run_cli(
            [sys.executable, '-m', 'glance_api.replicator'] + list(args),
            expect=expect, env=dict(env or {}, PYTHONPATH=daemons.REPO))

    @staticmethod
    def server(api):
        return '127.0.0.1:%d' % api.port

    def api_call(self, api, method, path, body=None, headers=None,
                 expected=200):
        status, _, data = self.request_json(method, path, body,
                                            self.headers(headers),
                                            server=api)
        self.assertEqual(expected, status, data)
        return data

    def show(self, api, image_id):
        return self.api_call(api, 'GET', '/v2/images/%s' % image_id)

    def create_active(self, data, **values):
        """An active image on the source holding ``data``."""
        body = {'name': 'replicated', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        image = self.api_call(self.api, 'POST', '/v2/images', body,
                              expected=201)
        status, _, text = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], data,
            self.headers(OCTET))
        self.assertEqual(204, status, text)
        return self.show(self.api, image['id'])

    def patch(self, api, image_id, changes):
        return self.api_call(api, 'PATCH', '/v2/images/%s' % image_id,
                             json.dumps(changes).encode(), PATCH)

    def assertCopied(self, api, source_image, data, fields=COPIED_FIELDS):
        """``api`` holds ``source_image``: the same metadata and the same
        bytes, through the API and in its store's folder."""
        copy = self.show(api, source_image['id'])
        for name in fields:
            self.assertEqual(source_image[name], copy[name], name)
        self.assertEqual(sorted(source_image['tags']), sorted(copy['tags']))
        self.assertEqual(self.properties(source_image),
                         self.properties(copy))
        status, _, downloaded = self.request(
            'GET', '/v2/images/%s/file' % copy['id'], headers=self.headers(),
            server=api)
        self.assertEqual(200, status)
        self.assertEqual(hashlib.md5(data).hexdigest(),
                         hashlib.md5(downloaded).hexdigest())
        self.assertEqual(hashlib.sha512(data).hexdigest(),
                         hashlib.sha512(downloaded).hexdigest())
        self.assertEqual(hashlib.sha512(data).hexdigest(),
                         copy['os_hash_value'])
        with open(self.data_file(api, copy['id']), 'rb') as f:
            self.assertEqual(data, f.read())
        return copy

    @staticmethod
    def data_file(api, image_id):
        return os.path.join(api.lib, 'images', image_id)

    @staticmethod
    def properties(image):
        base_fields = set(COPIED_FIELDS) | {
            'tags', 'created_at', 'updated_at', 'virtual_size', 'self',
            'file', 'schema', 'locations', 'direct_url', 'stores'}
        return {k: v for k, v in image.items() if k not in base_fields}

    def summary(self, result):
        return result.stdout.strip().splitlines()[-1]


class ReplicatorTestCase(ReplicatorMixin, base.ServerTestCase):
    """Without authentication (the noauth flavor): every call is an
    administrator's."""

    # -- tests -----------------------------------------------------------

    def test_livecopy_copies_images_byte_identical_then_nothing_more(self):
        big = random_bytes(3 * MiB + 4321, 'big')
        small = random_bytes(777, 'small')
        public = self.create_active(
            big, name='cirros', visibility='public', min_ram=128,
            min_disk=1, protected=True, owner='tenant-a',
            tags=['gold', 'linux'], os_distro='cirros', hw_disk_bus='virtio')
        hidden = self.create_active(small, name='hidden', os_hidden=True,
                                    visibility='community')
        empty = self.create_active(b'', name='empty')
        queued = self.api_call(self.api, 'POST', '/v2/images',
                               {'name': 'no-data'}, expected=201)

        result = self.replicator('livecopy', self.server(self.api),
                                 self.server(self.target))

        for image in (public, hidden, empty):
            self.assertIn('copied %s' % image['id'], result.stdout)
        self.assertCopied(self.target, public, big)
        self.assertCopied(self.target, hidden, small)
        self.assertCopied(self.target, empty, b'')
        # Not active on the source: skipped, as Kilo did.
        self.api_call(self.target, 'GET', '/v2/images/%s' % queued['id'],
                      expected=404)
        self.assertNotIn(queued['id'], result.stdout)
        updated_at = self.show(self.target, public['id'])['updated_at']

        again = self.replicator('livecopy', self.server(self.api),
                                self.server(self.target))
        self.assertRegex(self.summary(again),
                         r'^livecopy: 0 copied, 0 updated, \d+ unchanged, '
                         r'\d+ skipped, 0 failed$')
        self.assertEqual(updated_at,
                         self.show(self.target, public['id'])['updated_at'])
        compare = self.replicator('compare', self.server(self.api),
                                  self.server(self.target))
        self.assertEqual('', compare.stdout)

    def test_deactivated_image_is_skipped(self):
        image = self.create_active(b'deactivated data')
        status, _, body = self.request(
            'POST', '/v2/images/%s/actions/deactivate' % image['id'])
        self.assertEqual(204, status, body)

        result = self.replicator('livecopy', self.server(self.api),
                                 self.server(self.target))

        self.assertNotIn(image['id'], result.stdout)
        self.api_call(self.target, 'GET', '/v2/images/%s' % image['id'],
                      expected=404)

    def test_compare_reports_changes_and_livecopy_brings_them_over(self):
        data = random_bytes(5000, 'changed')
        image = self.create_active(data, name='before', tags=['old'],
                                   hw_machine_type='q35', os_version='1')
        self.replicator('livecopy', self.server(self.api),
                        self.server(self.target))
        self.patch(self.api, image['id'], [
            {'op': 'replace', 'path': '/name', 'value': 'after'},
            {'op': 'replace', 'path': '/tags', 'value': ['new']},
            {'op': 'replace', 'path': '/os_version', 'value': '2'},
            {'op': 'remove', 'path': '/hw_machine_type'},
            {'op': 'add', 'path': '/os_type', 'value': 'linux'}])
        missing = self.create_active(b'new image', name='missing')

        compare = self.replicator('compare', self.server(self.api),
                                  self.server(self.target))

        lines = compare.stdout.splitlines()
        self.assertIn('%s: missing from the target' % missing['id'], lines)
        for field in ('name', 'tags', 'os_version', 'hw_machine_type',
                      'os_type'):
            self.assertTrue(any(line.startswith('%s: field %s differs'
                                                % (image['id'], field))
                                for line in lines), (field, lines))
        self.assertIn('%s: field name differs (source: "after", target: '
                      '"before")' % image['id'], lines)

        result = self.replicator('livecopy', self.server(self.api),
                                 self.server(self.target))

        self.assertIn('updated %s' % image['id'], result.stdout)
        self.assertIn('copied %s' % missing['id'], result.stdout)
        self.assertCopied(self.target, self.show(self.api, image['id']),
                          data)
        self.assertNotIn('hw_machine_type',
                         self.show(self.target, image['id']))
        self.assertEqual('', self.replicator(
            'compare', self.server(self.api),
            self.server(self.target)).stdout)

    def test_dump_then_load_into_a_third_pair_gives_the_same(self):
        data = random_bytes(2 * MiB + 1, 'dumped')
        image = self.create_active(data, name='dumped', tags=['dump'],
                                   os_distro='fedora')
        queued = self.api_call(self.api, 'POST', '/v2/images',
                               {'name': 'queued-in-dump'}, expected=201)
        path = os.path.join(self.root, 'dump-%s' % image['id'])

        dump = self.replicator('dump', self.server(self.api), path)

        self.assertIn('dumped %s' % image['id'], dump.stdout)
        with open(os.path.join(path, image['id'] + '.img'), 'rb') as f:
            self.assertEqual(data, f.read())
        with open(os.path.join(path, image['id'])) as f:
            self.assertEqual(image['checksum'], json.load(f)['checksum'])
        self.assertTrue(os.path.exists(os.path.join(path, queued['id'])))
        self.assertFalse(os.path.exists(os.path.join(path,
                                                     queued['id'] + '.img')))
        self.assertNotIn('dumped', self.replicator(
            'dump', self.server(self.api), path).stdout)

        load = self.replicator('load', self.server(self.third), path)

        self.assertIn('copied %s' % image['id'], load.stdout)
        self.assertCopied(self.third, image, data)
        self.api_call(self.third, 'GET', '/v2/images/%s' % queued['id'],
                      expected=404)
        self.assertEqual('', self.replicator(
            'compare', self.server(self.api), self.server(self.third)).stdout)
        again = self.replicator('load', path, self.server(self.third))
        self.assertRegex(self.summary(again),
                         r'^load: 0 copied, 0 updated, \d+ unchanged, '
                         r'\d+ skipped, 0 failed$')

    def test_size_reports_the_total_of_active_images(self):
        self.create_active(random_bytes(12345, 'size'), os_hidden=True)
        expected_total = expected_count = 0
        for hidden in ('false', 'true'):
            listed = self.api_call(self.api, 'GET',
                                   '/v2/images?limit=1000&os_hidden=' + hidden)
            for image in listed['images']:
                if image['status'] == 'active':
                    expected_total += image['size']
                    expected_count += 1

        result = self.replicator('size', self.server(self.api))

        match = re.match(r'^Total size is (\d+) bytes \(.*\) across (\d+) '
                         r'images$', result.stdout.strip())
        self.assertIsNotNone(match, result.stdout)
        self.assertEqual((expected_total, expected_count),
                         (int(match.group(1)), int(match.group(2))))

    def test_metaonly_copies_metadata_and_no_data(self):
        data = random_bytes(100000, 'metaonly')
        image = self.create_active(data, name='meta', protected=True,
                                   tags=['m'], os_distro='debian')

        result = self.replicator('livecopy', '--metaonly',
                                 self.server(self.api),
                                 self.server(self.target))

        self.assertIn('copied %s' % image['id'], result.stdout)
        copy = self.show(self.target, image['id'])
        self.assertEqual('queued', copy['status'])
        self.assertIsNone(copy['size'])
        self.assertTrue(copy['protected'])
        self.assertEqual(['m'], copy['tags'])
        self.assertEqual('debian', copy['os_distro'])
        self.assertFalse(os.path.exists(self.data_file(self.target,
                                                       image['id'])))
        compare = self.replicator('compare', self.server(self.api),
                                  self.server(self.target))
        self.assertIn('%s: field status differs (source: "active", '
                      'target: "queued")' % image['id'],
                      compare.stdout.splitlines())

        # A run without --metaonly puts the data into the queued copy.
        self.replicator('livecopy', self.server(self.api),
                        self.server(self.target))
        self.assertCopied(self.target, image, data)

    def test_other_data_under_the_same_id_is_reported_and_kept(self):
        image = self.create_active(b'source bytes')
        self.addCleanup(self.delete_from_source, image['id'])
        target_data = b'target bytes, different'
        self.api_call(self.target, 'POST', '/v2/images',
                      {'id': image['id'], 'name': 'other',
                       'disk_format': 'raw', 'container_format': 'bare'},
                      expected=201)
        status, _, body = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], target_data,
            self.headers(OCTET), server=self.target)
        self.assertEqual(204, status, body)

        result = self.replicator('livecopy', self.server(self.api),
                                 self.server(self.target), expect=1)

        self.assertIn('failed %s' % image['id'], result.stdout)
        self.assertIn('checksum', result.stderr)
        with open(self.data_file(self.target, image['id']), 'rb') as f:
            self.assertEqual(target_data, f.read())
        self.assertEqual('other', self.show(self.target, image['id'])['name'])

    def test_a_copy_with_other_checksums_is_deleted_and_reported(self):
        data = random_bytes(70000, 'tampered')
        image = self.create_active(data, name='tampered')
        self.addCleanup(self.delete_from_source, image['id'])
        path = os.path.join(self.root, 'dump-%s' % image['id'])
        self.replicator('dump', self.server(self.api), path)
        with open(os.path.join(path, image['id'] + '.img'), 'r+b') as f:
            f.write(b'X')

        result = self.replicator('load', self.server(self.third), path,
                                 expect=1)

        self.assertIn('failed %s' % image['id'], result.stdout)
        self.assertIn('the copy differs (', result.stderr)
        self.api_call(self.third, 'GET', '/v2/images/%s' % image['id'],
                      expected=404)
        self.assertFalse(os.path.exists(self.data_file(self.third,
                                                       image['id'])))

    def delete_from_source(self, image_id):
        """Leave no conflict behind for the other tests' livecopies."""
        self.request('DELETE', '/v2/images/%s' % image_id)

    def test_unknown_command_and_bad_server_are_usage_errors(self):
        self.replicator('frobnicate', expect=2)
        result = self.replicator('size', 'no-port-here', expect=2)
        self.assertIn('server:port', result.stderr)
        self.assertIn('livecopy <fromserver:port> <toserver:port>',
                      self.replicator('help', 'livecopy').stdout)
