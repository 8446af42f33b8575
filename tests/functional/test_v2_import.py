"""Interoperable image import against real daemons: stage, glance-direct,
web-download (through the URL filter), copy-image, several stores with
all_stores and all_stores_must_succeed, the import task, and the reserved
os_glance_* properties."""

import gzip
import hashlib
import http.server
import io
import json
import os
import re
import subprocess
import threading
import time
import zipfile

from tests.functional import base
from tests.functional import daemons
from tests.functional import store_helpers
from tests.functional import test_url_filter

ADMIN = store_helpers.ADMIN
MEMBER = store_helpers.MEMBER
OCTET = store_helpers.OCTET
DATA = b'import me ' * 5000


class ImportCallsMixin(store_helpers.StoreCallsMixin):

    def stage(self, image_id, data=DATA, headers=MEMBER, expected=204,
              server=None):
        status, _, body = self.request(
            'PUT', '/v2/images/%s/stage' % image_id, data,
            dict(OCTET, **headers), server=server)
        self.assertEqual(expected, status, body)

    def start_import(self, image_id, method, headers=MEMBER, expected=202,
                     server=None, **body):
        body['method'] = dict(method) if isinstance(method, dict) else {
            'name': method}
        status, _, answer = self.request_json(
            'POST', '/v2/images/%s/import' % image_id, body, dict(headers),
            server=server)
        self.assertEqual(expected, status, answer)
        return answer

    def wait_for(self, image_id, statuses, headers=ADMIN, timeout=60,
                 unless=None):
        """The image once its status is in ``statuses`` (and, when given,
        ``unless(image)`` is false)."""
        deadline = time.time() + timeout
        while True:
            image = self.show(image_id, headers=headers)
            if image['status'] in statuses and (
                    unless is None or not unless(image)):
                return image
            if time.time() > deadline:
                self.fail('image %s stayed %s' % (image_id, image))
            time.sleep(0.1)

    def wait_for_task(self, image_id, headers=ADMIN, timeout=60):
        deadline = time.time() + timeout
        while True:
            status, _, body = self.request_json(
                'GET', '/v2/images/%s/tasks' % image_id, headers=headers)
            self.assertEqual(200, status, body)
            if body['tasks'] and body['tasks'][0]['status'] in (
                    'success', 'failure'):
                return body['tasks'][0]
            if time.time() > deadline:
                self.fail('task of image %s never finished: %s'
                          % (image_id, body))
            time.sleep(0.1)

    def staged_files(self, api=None):
        folder = os.path.join((api or self.api).lib, 'staging')
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


class GlanceDirectTestCase(ImportCallsMixin, base.ServerTestCase):

    def test_stage_then_import_makes_the_image_active(self):
        image = self.create_image(headers=MEMBER, disk_format='raw')
        self.stage(image['id'])
        staged = self.show(image['id'], headers=MEMBER)
        self.assertEqual('uploading', staged['status'])
        self.assertEqual(len(DATA), staged['size'])
        self.assertIn(image['id'], self.staged_files())
        self.start_import(image['id'], 'glance-direct')
        active = self.wait_for(image['id'], ('active',), headers=MEMBER)
        self.assertEqual(hashlib.md5(DATA).hexdigest(), active['checksum'])
        self.assertEqual(hashlib.sha512(DATA).hexdigest(),
                         active['os_hash_value'])
        self.assertEqual(DATA, self.download(image['id']))
        self.assertNotIn('os_glance_import_task', active)
        self.assertNotIn('os_glance_stage_host', active)
        self.assertEqual('', active['os_glance_importing_to_stores'])
        self.assertEqual('', active['os_glance_failed_import'])
        self.assertNotIn(image['id'], self.staged_files())
        task = self.wait_for_task(image['id'], headers=MEMBER)
        self.assertEqual('success', task['status'])
        self.assertEqual('api_image_import', task['type'])
        self.assertEqual({'image_id': image['id']}, task['result'])
        self.assertEqual('member-user', task['user'])
        # Counted in /metrics (just after the task is recorded; other
        # tests of the class may add more).
        counted = re.compile(r'glance_task_completed_count_total\{result='
                             r'"success",type="api_image_import"\} [1-9]')
        deadline = time.monotonic() + 10
        while True:
            status, _, body = self.request('GET', '/metrics')
            self.assertEqual(200, status)
            if counted.search(body.decode()) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertRegex(body.decode(), counted)

    def test_import_without_staging_is_409_and_keeps_the_image_queued(self):
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], 'glance-direct', expected=409)
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_stage_twice_is_409(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        self.stage(image['id'], expected=409)

    def test_stage_needs_octet_stream(self):
        image = self.create_image(headers=MEMBER)
        status, _, _ = self.request(
            'PUT', '/v2/images/%s/stage' % image['id'], DATA,
            dict(MEMBER, **{'Content-Type': 'application/json'}))
        self.assertEqual(415, status)

    def test_stage_of_data_the_inspector_refuses_keeps_the_image_queued(
            self):
        image = self.create_image(headers=MEMBER, disk_format='qcow2')
        self.stage(image['id'], data=b'QFI\xfb' + b'\x00' * 4096,
                   expected=400)
        self.assertEqual('queued', self.show(image['id'])['status'])
        self.assertNotIn(image['id'], self.staged_files())

    def test_bad_import_bodies_are_400(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        path = '/v2/images/%s/import' % image['id']
        for body in ({}, {'method': 'glance-direct'},
                     {'method': {'name': 'carrier-pigeon'}},
                     {'method': {'name': 'glance-direct'}, 'stores': 'x'},
                     {'method': {'name': 'glance-direct'},
                      'all_stores': 'yes'},
                     {'method': {'name': 'glance-direct'},
                      'stores': ['file'], 'all_stores': True}):
            status, _, answer = self.request_json('POST', path, body,
                                                  MEMBER)
            self.assertEqual(400, status, (body, answer))
        self.assertEqual('uploading', self.show(image['id'])['status'])

    def test_unknown_store_is_409(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        self.start_import(image['id'], 'glance-direct', stores=['nowhere'],
                          expected=409)

    def test_users_may_not_set_os_glance_properties(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'name': 'x', 'os_glance_import_task': 'x'},
            MEMBER)
        self.assertEqual(403, status, body)

    def test_users_may_not_change_or_remove_os_glance_properties(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        self.start_import(image['id'], 'glance-direct')
        self.wait_for(image['id'], ('active',))
        path = '/v2/images/%s' % image['id']
        for op in ({'op': 'replace', 'path': '/os_glance_failed_import',
                    'value': 'fast'},
                   {'op': 'remove', 'path': '/os_glance_importing_to_stores'},
                   {'op': 'add', 'path': '/os_glance_stage_host',
                    'value': 'http://elsewhere'}):
            status, _, body = self.request_json(
                'PATCH', path, [op], dict(MEMBER, **store_helpers.PATCH))
            self.assertEqual(403, status, (op, body))

    def test_delete_of_a_staged_image_removes_the_staged_data(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        status, _, _ = self.request('DELETE', '/v2/images/%s' % image['id'],
                                    headers=MEMBER)
        self.assertEqual(204, status)
        self.assertNotIn(image['id'], self.staged_files())


class AbandonedImportTestCase(ImportCallsMixin, base.ServerTestCase):
    """An image left importing by a glance-api process that died: its
    task's lease ran out, so the next request meeting it fails the task
    and puts the image back to queued."""

    def rpc(self, command, **kwargs):
        status, _, body = self.request_json(
            'POST', '/rpc', [{'command': command, 'kwargs': kwargs}], ADMIN,
            server=self.registry)
        self.assertEqual(200, status, body)
        return body[0]

    def abandoned_import(self):
        image = self.create_image(headers=MEMBER)
        task = self.rpc('task_create', values={
            'type': 'api_image_import', 'status': 'processing',
            'owner': 'admin-project', 'image_id': image['id'],
            'holder': 'http://dead:9292#dead:1',
            'lease_expires_at': '2020-01-01T00:00:00'})
        self.rpc('image_update', image_id=image['id'], values={
            'status': 'importing', 'properties': {
                'os_glance_import_task': task['id'],
                'os_glance_importing_to_stores': 'file'}})
        return image, task

    def test_image_tasks_release_the_image(self):
        image, task = self.abandoned_import()
        status, _, body = self.request_json(
            'GET', '/v2/images/%s/tasks' % image['id'], headers=MEMBER)
        self.assertEqual(200, status, body)
        self.assertEqual('failure', body['tasks'][0]['status'])
        released = self.show(image['id'])
        self.assertEqual('queued', released['status'])
        self.assertNotIn('os_glance_import_task', released)
        self.assertEqual('file', released['os_glance_failed_import'])

    def test_a_new_import_takes_over(self):
        image, _ = self.abandoned_import()
        self.start_import(image['id'], 'glance-direct', expected=409)
        self.assertEqual('queued', self.show(image['id'])['status'])
        self.stage(image['id'])
        self.start_import(image['id'], 'glance-direct')
        self.assertEqual('active', self.wait_for(image['id'],
                                                 ('active',))['status'])


class GlanceDirectOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                        GlanceDirectTestCase):
    """The same with glance-api reaching the registry over RabbitMQ."""


class MultiStoreImportTestCase(ImportCallsMixin, base.ServerTestCase):
    """fast and cheap: file stores; broken: a file store whose folder is a
    file, so every write to it fails."""

    @classmethod
    def api_config(cls):
        cls.fast_dir = os.path.join(cls.root, 'fast')
        cls.cheap_dir = os.path.join(cls.root, 'cheap')
        broken = os.path.join(cls.root, 'broken')
        os.makedirs(broken)
        return {
            'DEFAULT': {'enabled_backends':
                        'fast:file, cheap:file, broken:file',
                        'show_multiple_locations': True},
            'glance_store': {'default_backend': 'fast'},
            'fast': {'filesystem_store_datadir': cls.fast_dir},
            'cheap': {'filesystem_store_datadir': cls.cheap_dir},
            'broken': {'filesystem_store_datadir': broken},
        }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A folder at start-up, then a file: each write fails.
        broken = os.path.join(cls.root, 'broken')
        os.rmdir(broken)
        with open(broken, 'w'):
            pass

    def staged_image(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'])
        return image

    def test_stores_lists_where_the_data_goes(self):
        image = self.staged_image()
        self.start_import(image['id'], 'glance-direct',
                          stores=['fast', 'cheap'])
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual({'fast', 'cheap'}, set(active['stores'].split(',')))
        self.assertIn(image['id'], os.listdir(self.cheap_dir))

    def test_store_header_picks_the_store(self):
        image = self.staged_image()
        self.start_import(image['id'], 'glance-direct',
                          headers=dict(MEMBER,
                                       **{'X-Image-Meta-Store': 'cheap'}))
        self.assertEqual('cheap', self.wait_for(image['id'],
                                                ('active',))['stores'])

    def test_a_failing_store_fails_all_when_all_must_succeed(self):
        image = self.staged_image()
        self.start_import(image['id'], 'glance-direct',
                          stores=['fast', 'broken'])
        task = self.wait_for_task(image['id'])
        self.assertEqual('failure', task['status'])
        queued = self.wait_for(image['id'], ('queued',))
        self.assertEqual('broken', queued['os_glance_failed_import'])
        self.assertNotIn(image['id'], os.listdir(self.fast_dir))
        self.assertNotIn(image['id'], self.staged_files())

    def test_a_failing_store_is_skipped_when_not_all_must_succeed(self):
        image = self.staged_image()
        self.start_import(image['id'], 'glance-direct',
                          stores=['fast', 'broken'],
                          all_stores_must_succeed=False)
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual('fast', active['stores'])
        self.assertEqual('broken', active['os_glance_failed_import'])

    def test_all_stores_with_a_broken_one_both_ways(self):
        image = self.staged_image()
        self.start_import(image['id'], 'glance-direct', all_stores=True,
                          all_stores_must_succeed=False)
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual({'fast', 'cheap'}, set(active['stores'].split(',')))
        other = self.staged_image()
        self.start_import(other['id'], 'glance-direct', all_stores=True)
        queued = self.wait_for(other['id'], ('queued',))
        self.assertEqual('broken', queued['os_glance_failed_import'])

    def test_copy_image_adds_stores_to_an_active_image(self):
        image = self.create_image(headers=MEMBER)
        self.upload(image['id'], DATA, store='fast', headers=MEMBER)
        self.start_import(image['id'], 'copy-image', stores=['cheap'],
                          expected=403)
        self.start_import(image['id'], 'copy-image', stores=['cheap'],
                          headers=ADMIN)
        copied = self.wait_for(
            image['id'], ('active',),
            unless=lambda i: 'os_glance_import_task' in i)
        self.assertEqual({'fast', 'cheap'}, set(copied['stores'].split(',')))
        with open(os.path.join(self.cheap_dir, image['id']), 'rb') as f:
            self.assertEqual(DATA, f.read())
        self.assertEqual('success', self.wait_for_task(image['id'])[
            'status'])
        self.start_import(image['id'], 'copy-image', stores=['cheap'],
                          headers=ADMIN, expected=409)

    def test_copy_image_to_a_failing_store_keeps_the_image_as_it_was(self):
        image = self.create_image(headers=MEMBER)
        self.upload(image['id'], DATA, store='fast', headers=MEMBER)
        self.start_import(image['id'], 'copy-image',
                          stores=['cheap', 'broken'], headers=ADMIN)
        self.assertEqual('failure', self.wait_for_task(image['id'])[
            'status'])
        image = self.wait_for(image['id'], ('active',),
                              unless=lambda i: 'os_glance_import_task' in i)
        self.assertEqual('fast', image['stores'])
        self.assertNotIn(image['id'], os.listdir(self.cheap_dir))

    def test_of_two_concurrent_copy_images_exactly_one_is_accepted(self):
        # The lock is a compare-and-swap in the registry: whatever the
        # interleaving, one request takes it and the other is 409.
        for _ in range(3):
            image = self.create_image(headers=MEMBER)
            self.upload(image['id'], DATA, store='fast', headers=MEMBER)
            statuses = []
            start = threading.Barrier(2)

            def copy(store):
                start.wait(30)
                status, _, _ = self.request_json(
                    'POST', '/v2/images/%s/import' % image['id'],
                    {'method': {'name': 'copy-image'}, 'stores': [store]},
                    ADMIN)
                statuses.append(status)

            threads = [threading.Thread(target=copy, args=(store,))
                       for store in ('cheap', 'broken')]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual([202, 409], sorted(statuses))
            self.wait_for(image['id'], ('active',),
                          unless=lambda i: 'os_glance_import_task' in i)

    def test_copy_image_of_a_queued_image_is_409(self):
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], 'copy-image', stores=['cheap'],
                          headers=ADMIN, expected=409)


class WebServerMixin:
    """A real web server (``cls.web``) for the class's web-download
    sources; its host and port pass the URL filter."""

    @classmethod
    def setUpClass(cls):
        cls.web = test_url_filter.RecordingServer()
        try:
            super().setUpClass()
        except Exception:
            cls.web.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.web.stop()

    @classmethod
    def web_filter(cls):
        return {'allowed_hosts': '[127.0.0.1]',
                'allowed_ports': '[%d]' % cls.web.port}


class WebDownloadTestCase(WebServerMixin, ImportCallsMixin,
                          base.ServerTestCase):

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config.setdefault('DEFAULT', {})['image_size_cap'] = 100000
        config['import_filtering_opts'] = cls.web_filter()
        return config

    def test_web_download_fetches_through_the_filter(self):
        url = self.web.put('good.raw', DATA)
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], {'name': 'web-download', 'uri': url})
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual(DATA, self.download(image['id']))
        self.assertEqual(hashlib.md5(DATA).hexdigest(), active['checksum'])
        self.assertNotIn(image['id'], self.staged_files())

    def test_a_url_the_filter_refuses_is_400(self):
        image = self.create_image(headers=MEMBER)
        for url in ('http://127.0.0.2:%d/x' % self.web.port,
                    'http://127.0.0.1:1/x', 'ftp://127.0.0.1/x'):
            self.start_import(image['id'], {'name': 'web-download',
                                            'uri': url}, expected=400)
        self.start_import(image['id'], 'web-download', expected=400)
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_a_source_too_large_fails_and_leaves_the_image_queued(self):
        url = self.web.put('big.raw', b'x' * 200000)
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], {'name': 'web-download', 'uri': url})
        task = self.wait_for_task(image['id'])
        self.assertEqual('failure', task['status'])
        self.assertEqual('queued', self.wait_for(image['id'],
                                                 ('queued',))['status'])
        self.assertNotIn(image['id'], self.staged_files())

    def test_a_source_that_lies_about_its_format_fails(self):
        url = self.web.put('fake.qcow2', b'not a qcow2 at all' * 100)
        image = self.create_image(headers=MEMBER, disk_format='qcow2')
        self.start_import(image['id'], {'name': 'web-download', 'uri': url})
        task = self.wait_for_task(image['id'])
        self.assertEqual('failure', task['status'])
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_legacy_import_task_creates_an_image_from_a_url(self):
        url = self.web.put('task.raw', DATA)
        body = {'type': 'import', 'input': {
            'import_from': url, 'import_from_format': 'raw',
            'image_properties': {'name': 'from-task', 'disk_format': 'raw',
                                 'container_format': 'bare'}}}
        status, _, task = self.request_json('POST', '/v2/tasks', body,
                                            MEMBER)
        self.assertEqual(403, status, task)
        status, headers, task = self.request_json('POST', '/v2/tasks', body,
                                                  ADMIN)
        self.assertEqual(201, status, task)
        self.assertEqual('import', task['type'])
        self.assertEqual(url, task['input']['import_from'])
        deadline = time.time() + 60
        while task['status'] not in ('success', 'failure'):
            self.assertLess(time.time(), deadline, task)
            time.sleep(0.1)
            task = self.request_json('GET', '/v2/tasks/%s' % task['id'],
                                     headers=ADMIN)[2]
        self.assertEqual('success', task['status'], task)
        image_id = task['result']['image_id']
        self.assertEqual('from-task', self.show(image_id)['name'])
        self.assertEqual(DATA, self.download(image_id))

    def test_bad_legacy_tasks_are_400(self):
        good = {'import_from': self.web.put('t.raw', DATA),
                'image_properties': {'disk_format': 'raw',
                                     'container_format': 'bare'}}
        for body in ({'type': 'export', 'input': good},
                     {'type': 'import', 'input': 'x'},
                     {'type': 'import', 'input': dict(
                         good, image_properties={'name': 'no formats'})},
                     {'type': 'import', 'input': dict(
                         good, import_from='http://127.0.0.2/x')}):
            status, _, answer = self.request_json('POST', '/v2/tasks', body,
                                                  ADMIN)
            self.assertEqual(400, status, (body, answer))

    def test_a_missing_source_fails_the_task(self):
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], {'name': 'web-download',
                                        'uri': self.web.url('/status/404')})
        self.assertEqual('failure', self.wait_for_task(image['id'])[
            'status'])
        self.assertEqual('queued', self.show(image['id'])['status'])


class CrossWorkerImportTestCase(ImportCallsMixin, base.ServerTestCase):
    """Two glance-api processes sharing one registry and one file store,
    each with its own staging folder and worker_self_reference_url: data
    staged on the first is imported whichever receives the import call."""

    start_api = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.first = cls.api = cls.start_worker('first')
            cls.second = cls.start_worker('second')
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start_worker(cls, name):
        port = daemons.free_port()
        overrides = cls.api_config()
        overrides.setdefault('DEFAULT', {})[
            'worker_self_reference_url'] = 'http://127.0.0.1:%d' % port
        overrides.setdefault('glance_store', {})[
            'filesystem_store_datadir'] = os.path.join(cls.root, 'images')
        return cls._start(daemons.Api(
            cls.registry, root=os.path.join(cls.root, name), port=port,
            overrides=overrides))

    def test_import_sent_to_the_second_worker_runs_on_the_first(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'], server=self.first)
        staged = self.show(image['id'])
        self.assertEqual('http://127.0.0.1:%d' % self.first.port,
                         staged['os_glance_stage_host'])
        self.start_import(image['id'], 'glance-direct', server=self.second)
        self.wait_for(image['id'], ('active',))
        self.assertEqual(DATA, self.download(image['id']))
        self.assertNotIn(image['id'], self.staged_files(self.first))

    def test_delete_sent_to_the_second_worker_removes_data_on_the_first(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'], server=self.first)
        self.assertIn(image['id'], self.staged_files(self.first))
        status, _, body = self.request(
            'DELETE', '/v2/images/%s' % image['id'], headers=MEMBER,
            server=self.second)
        self.assertEqual(204, status, body)
        self.assertNotIn(image['id'], self.staged_files(self.first))
        status, _, _ = self.request('GET', '/v2/images/%s' % image['id'],
                                    headers=MEMBER)
        self.assertEqual(404, status)


class ImportPluginsTestCase(ImportCallsMixin, base.ServerTestCase):
    """image_conversion to raw (as for Ceph) and inject_image_metadata."""

    api_overrides = {
        'image_import_opts': {'image_import_plugins':
                              'image_conversion, inject_image_metadata'},
        'image_conversion': {'output_format': 'raw'},
        'inject_metadata_properties': {'inject': 'injected_by:glance',
                                       'ignore_user_roles': 'admin'}}

    def qcow2_of_random_data(self):
        raw = os.path.join(self.root, 'source.raw')
        with open(raw, 'wb') as f:
            f.write(os.urandom(3 * 1024 * 1024))
            f.seek(8 * 1024 * 1024 - 1)
            f.write(b'\x01')
        qcow2 = os.path.join(self.root, 'source.qcow2')
        subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                        raw, qcow2], check=True)
        return qcow2

    def test_qcow2_is_converted_to_raw_with_the_same_disk_content(self):
        source = self.qcow2_of_random_data()
        with open(source, 'rb') as f:
            data = f.read()
        image = self.create_image(headers=MEMBER, disk_format='qcow2')
        self.stage(image['id'], data=data)
        self.start_import(image['id'], 'glance-direct')
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual('raw', active['disk_format'])
        self.assertEqual(8 * 1024 * 1024, active['size'])
        self.assertEqual(8 * 1024 * 1024, active['virtual_size'])
        converted = os.path.join(self.root, 'converted.raw')
        downloaded = self.download(image['id'])
        with open(converted, 'wb') as f:
            f.write(downloaded)
        self.assertEqual(hashlib.md5(downloaded).hexdigest(),
                         active['checksum'])
        compare = subprocess.run(['qemu-img', 'compare', '-f', 'qcow2',
                                  '-F', 'raw', source, converted],
                                 capture_output=True, text=True)
        self.assertEqual(0, compare.returncode, compare.stdout)
        self.assertEqual('glance', active['injected_by'])

    def test_administrators_imports_get_no_injected_properties(self):
        image = self.create_image(headers=ADMIN)
        self.stage(image['id'], headers=ADMIN)
        self.start_import(image['id'], 'glance-direct', headers=ADMIN)
        active = self.wait_for(image['id'], ('active',))
        self.assertNotIn('injected_by', active)
        self.assertEqual('raw', active['disk_format'])
        self.assertEqual(DATA, self.download(image['id']))


class GlanceDownloadTestCase(ImportCallsMixin, base.ServerTestCase):
    """glance-download from another region: a second registry and
    glance-api pair, found through the service catalog the request
    carries (the noauth flavor reads X-Service-Catalog as authtoken
    would set it)."""

    start_api = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            other = os.path.join(cls.root, 'region-two')
            cls.other_registry = cls._start(daemons.Registry(root=other))
            cls.other_api = cls._start(daemons.Api(cls.other_registry,
                                                   root=other))
            overrides = cls.api_config()
            overrides.setdefault('DEFAULT', {})['enabled_import_methods'] = \
                'glance-direct, glance-download'
            overrides['import_filtering_opts'] = {
                'allowed_hosts': '[127.0.0.1]',
                'allowed_ports': '[%d]' % cls.other_api.port}
            cls.api = cls._start(daemons.Api(cls.registry, root=cls.root,
                                             overrides=overrides))
        except Exception:
            cls.tearDownClass()
            raise

    def catalog_headers(self, region='RegionTwo', keystonemiddleware=False):
        """Headers carrying a catalog with the other region's Image API:
        in Keystone v3's shape, or (``keystonemiddleware``) in the shape
        keystonemiddleware's X-Service-Catalog has, one entry per region
        with publicURL, internalURL and adminURL."""
        if keystonemiddleware:
            endpoints = [{'region': region,
                          'publicURL': self.other_api.url,
                          'internalURL': self.other_api.url,
                          'adminURL': self.other_api.url}]
        else:
            endpoints = [{'interface': 'public', 'region': region,
                          'region_id': region, 'url': self.other_api.url}]
        catalog = [{'type': 'image', 'name': 'glance',
                    'endpoints': endpoints}]
        return dict(MEMBER, **{'X-Service-Catalog': json.dumps(catalog),
                               'X-Auth-Token': 'noauth'})

    def source_image(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {
                'name': 'source', 'disk_format': 'qcow2',
                'container_format': 'bare', 'min_ram': 512,
                'os_distro': 'cirros', 'hw_disk_bus': 'scsi',
                'not_copied': 'x'}, server=self.other_api)
        self.assertEqual(201, status, image)
        qcow2 = subprocess.run(
            ['qemu-img', 'create', '-f', 'qcow2',
             os.path.join(self.root, 'source.qcow2'), '1M'],
            check=True, capture_output=True)
        self.assertEqual(0, qcow2.returncode)
        with open(os.path.join(self.root, 'source.qcow2'), 'rb') as f:
            data = f.read()
        status, _, body = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], data, OCTET,
            server=self.other_api)
        self.assertEqual(204, status, body)
        return image, data

    def test_image_and_its_metadata_come_from_the_other_region(self):
        source, data = self.source_image()
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'copy'}, MEMBER)
        self.assertEqual(201, status, image)
        self.start_import(image['id'], {
            'name': 'glance-download', 'glance_image_id': source['id'],
            'glance_region': 'RegionTwo'}, headers=self.catalog_headers())
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual(data, self.download(image['id']))
        self.assertEqual(('qcow2', 'bare', 512, 'cirros', 'scsi'),
                         (active['disk_format'], active['container_format'],
                          active['min_ram'], active['os_distro'],
                          active['hw_disk_bus']))
        self.assertNotIn('not_copied', active)
        self.assertEqual(1024 * 1024, active['virtual_size'])

    def test_the_catalog_keystonemiddleware_sends_finds_the_source(self):
        source, data = self.source_image()
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'copy'}, MEMBER)
        self.assertEqual(201, status, image)
        self.start_import(image['id'], {
            'name': 'glance-download', 'glance_image_id': source['id'],
            'glance_region': 'RegionTwo', 'glance_service_interface':
            'internal'}, headers=self.catalog_headers(
                keystonemiddleware=True))
        self.wait_for(image['id'], ('active',))
        self.assertEqual(data, self.download(image['id']))

    def test_a_region_missing_from_the_catalog_fails_the_task(self):
        # As upstream: accepted, then the task fails and the image is
        # queued again with the properties it had.
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'copy', 'os_distro': 'windows'},
            MEMBER)
        self.assertEqual(201, status, image)
        self.start_import(image['id'], {
            'name': 'glance-download',
            'glance_image_id': '00000000-0000-0000-0000-000000000000',
            'glance_region': 'RegionNine'}, headers=self.catalog_headers())
        task = self.wait_for_task(image['id'])
        self.assertEqual('failure', task['status'])
        self.assertIn('RegionNine', task['message'])
        after = self.show(image['id'])
        self.assertEqual(('queued', 'windows'),
                         (after['status'], after['os_distro']))

    def test_a_source_id_that_is_no_uuid_is_400(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'copy'}, MEMBER)
        answer = self.start_import(image['id'], {
            'name': 'glance-download', 'glance_image_id': 'foo',
            'glance_region': 'RegionTwo'}, headers=self.catalog_headers(),
            expected=400)
        self.assertIn('image id does not look like a UUID', str(answer))
        self.assertEqual('queued', self.show(image['id'])['status'])

    def test_a_missing_source_image_fails_the_task(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'copy'}, MEMBER)
        self.start_import(image['id'], {
            'name': 'glance-download',
            'glance_image_id': '00000000-0000-0000-0000-000000000000',
            'glance_region': 'RegionTwo'}, headers=self.catalog_headers())
        self.assertEqual('failure', self.wait_for_task(image['id'])[
            'status'])
        self.assertEqual('queued', self.show(image['id'])['status'])


class DecompressionTestCase(ImportCallsMixin, base.ServerTestCase):

    api_overrides = {
        'DEFAULT': {'image_size_cap': 150000},
        'image_import_opts': {'image_import_plugins': 'image_decompression'}}

    def import_data(self, data):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'], data=data)
        self.start_import(image['id'], 'glance-direct')
        return image['id'], self.wait_for_task(image['id'])

    def test_gzip_and_zip_are_unpacked(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as z:
            z.writestr('disk.raw', DATA)
        for packed in (gzip.compress(DATA), archive.getvalue()):
            image_id, task = self.import_data(packed)
            self.assertEqual('success', task['status'], task)
            self.assertEqual(DATA, self.download(image_id))
            self.assertEqual(len(DATA), self.show(image_id)['size'])

    def test_an_archive_expanding_past_the_size_cap_is_refused(self):
        image_id, task = self.import_data(gzip.compress(b'\0' * 200000))
        self.assertEqual('failure', task['status'])
        self.assertEqual('queued', self.show(image_id)['status'])
        self.assertNotIn(image_id, self.staged_files())

    def test_uncompressed_data_is_imported_as_it_is(self):
        image_id, task = self.import_data(DATA)
        self.assertEqual('success', task['status'], task)
        self.assertEqual(DATA, self.download(image_id))


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Sends DATA in ten pieces, each after the test releases it."""

    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.close_connection = True
        self.send_response(200)
        self.send_header('Content-Length', str(len(DATA)))
        self.end_headers()
        piece = len(DATA) // 10 + 1
        for start in range(0, len(DATA), piece):
            self.server.go_on.wait(30)
            self.wfile.write(DATA[start:start + piece])
            self.wfile.flush()


class SlowSourceTestCase(ImportCallsMixin, base.ServerTestCase):
    """A web-download source that sends slowly: glance-api answers other
    requests meanwhile and the import ends when the data does."""

    @classmethod
    def setUpClass(cls):
        cls.slow = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                   SlowHandler)
        cls.slow.daemon_threads = True
        cls.slow.go_on = threading.Event()
        threading.Thread(target=cls.slow.serve_forever, daemon=True).start()
        try:
            super().setUpClass()
        except Exception:
            cls.slow.shutdown()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.slow.go_on.set()
        cls.slow.shutdown()
        cls.slow.server_close()

    @classmethod
    def api_config(cls):
        return {'import_filtering_opts': {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%d]' % cls.slow.server_port}}

    def test_other_requests_are_served_while_the_source_trickles(self):
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], {
            'name': 'web-download',
            'uri': 'http://127.0.0.1:%d/disk' % self.slow.server_port})
        importing = self.show(image['id'])
        self.assertEqual('importing', importing['status'])
        status, _, body = self.request_json('GET', '/v2/images',
                                            headers=MEMBER)
        self.assertEqual(200, status, body)
        self.slow.go_on.set()
        self.wait_for(image['id'], ('active',))
        self.assertEqual(DATA, self.download(image['id']))

    def test_a_patch_made_while_the_import_holds_the_image_survives_it(self):
        self.slow.go_on.clear()
        image = self.create_image(headers=MEMBER)
        self.start_import(image['id'], {
            'name': 'web-download',
            'uri': 'http://127.0.0.1:%d/disk' % self.slow.server_port})
        held = self.show(image['id'])
        self.assertEqual('importing', held['status'])
        self.assertIn('os_glance_import_task', held)
        status, _, body = self.request_json(
            'PATCH', '/v2/images/%s' % image['id'],
            [{'op': 'add', 'path': '/patched', 'value': 'yes'}],
            dict(MEMBER, **store_helpers.PATCH))
        self.assertEqual(200, status, body)
        self.slow.go_on.set()
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual('yes', active['patched'])
        self.assertNotIn('os_glance_import_task', active)
        self.assertEqual(DATA, self.download(image['id']))


# The same import tests with glance-api reaching the registry over
# RabbitMQ (registry_transport = messaging). The slow-source, abandoned
# import and decompression classes add nothing the transport changes.

class MultiStoreImportOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                            MultiStoreImportTestCase):
    """copy-image and several stores, the lock's compare-and-swap
    included."""


class WebDownloadOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                       WebDownloadTestCase):
    """web-download and the legacy import task."""


class CrossWorkerImportOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                             CrossWorkerImportTestCase):
    """Both glance-api workers on the registry's topic."""


class ImportPluginsOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                         ImportPluginsTestCase):
    """Conversion to raw and injected properties."""


class GlanceDownloadOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                          GlanceDownloadTestCase):
    """The importing region over RabbitMQ, the source region over HTTP."""
