"""The locations API for services against real daemons:
POST /v2/images/{id}/locations (owner, queued images only) and
GET /v2/images/{id}/locations (service role), with validation_data and
the background hashing of do_secure_hash."""

import hashlib
import time
import uuid

from tests.functional import base
from tests.functional import daemons
from tests.functional import test_v1_images
from tests.functional import test_v2_lifecycle as lifecycle

OWNER = lifecycle.OWNER
OTHER = lifecycle.OTHER
ADMIN = lifecycle.ADMIN
# A service (Nova, Cinder) acting for the owner: the project's token
# with the service role.
SERVICE = {'X-Project-Id': OWNER['X-Project-Id'], 'X-User-Id': 'nova',
           'X-Roles': 'member,service'}
DATA = b'data behind a location' * 500


class DataServerMixin:
    """A local http server (``cls.data_server``) started before the
    daemons, for locations that name data outside the stores; glance-api
    is told it may fetch from it."""

    @classmethod
    def setUpClass(cls):
        cls.data_server = test_v1_images.DataServer()
        try:
            super().setUpClass()
        except Exception:
            cls.data_server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.data_server.stop()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config.setdefault('import_filtering_opts', {}).update({
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%d]' % cls.data_server.server.server_port})
        return config

    def served_url(self, data):
        """An http location of its own holding ``data``."""
        return self.data_server.add(uuid.uuid4().hex, data)


class LocationsMixin(DataServerMixin, lifecycle.LifecycleMixin):

    def queued(self, headers=OWNER):
        return self.call('POST', '/v2/images',
                         {'name': 'by-reference', 'disk_format': 'raw',
                          'container_format': 'bare'}, headers, 201)[1]

    def locations(self, image_id, headers=SERVICE, expected=200):
        return self.call('GET', '/v2/images/%s/locations' % image_id,
                         headers=headers, expected=expected)[1]

    def add(self, image_id, body, headers=OWNER, expected=202):
        status, _, data = self.request_json(
            'POST', '/v2/images/%s/locations' % image_id, body,
            dict(headers))
        self.assertEqual(expected, status, data)
        return data

    def show(self, image_id, headers=OWNER):
        return self.call('GET', '/v2/images/%s' % image_id,
                         headers=headers, expected=200)[1]

    def source_url(self, data=DATA):
        """A new http location holding ``data``."""
        return self.served_url(data)

    def wait_for_task(self, image_id, timeout=30):
        """The image's one task, once it ended."""
        deadline = time.time() + timeout
        while True:
            tasks = self.call('GET', '/v2/images/%s/tasks' % image_id,
                              headers=OWNER, expected=200)[1]['tasks']
            self.assertEqual(1, len(tasks), tasks)
            if tasks[0]['status'] in ('success', 'failure') or \
                    time.time() > deadline:
                return tasks[0]
            time.sleep(0.1)

    def wait_for(self, image_id, predicate, timeout=30):
        deadline = time.time() + timeout
        while True:
            image = self.show(image_id)
            if predicate(image) or time.time() > deadline:
                return image
            time.sleep(0.1)


class LocationsTestCase(LocationsMixin, base.ServerTestCase):

    def test_owner_adds_a_location_and_hashes_follow(self):
        url = self.source_url()
        image = self.queued()
        self.assertIsNone(self.add(image['id'], {'url': url}))
        shown = self.show(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual(len(DATA), shown['size'])
        done = self.wait_for(image['id'],
                             lambda i: i['os_hash_value'] is not None)
        self.assertEqual(hashlib.md5(DATA).hexdigest(), done['checksum'])
        self.assertEqual('sha512', done['os_hash_algo'])
        self.assertEqual(hashlib.sha512(DATA).hexdigest(),
                         done['os_hash_value'])
        self.assertEqual([{'url': url, 'metadata': {'store': 'http'}}],
                         self.locations(image['id']))
        status, _, body = self.download(image['id'])
        self.assertEqual(200, status)
        self.assertEqual(DATA, body)

    def test_matching_validation_data_is_recorded_at_once(self):
        url = self.source_url()
        image = self.queued()
        self.add(image['id'], {'url': url, 'validation_data': {
            'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(DATA).hexdigest(),
            'checksum': hashlib.md5(DATA).hexdigest()}})
        shown = self.show(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertEqual(hashlib.sha512(DATA).hexdigest(),
                         shown['os_hash_value'])
        self.assertEqual(hashlib.md5(DATA).hexdigest(), shown['checksum'])

    def test_validation_data_that_does_not_match_requeues_the_image(self):
        url = self.source_url()
        image = self.queued()
        self.add(image['id'], {'url': url, 'validation_data': {
            'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(b'other bytes').hexdigest()}})
        task = self.wait_for_task(image['id'])
        self.assertEqual(('location_import', 'failure'),
                         (task['type'], task['status']))
        requeued = self.show(image['id'])
        self.assertEqual(('queued', None, None, None),
                         (requeued['status'], requeued['checksum'],
                          requeued['os_hash_algo'],
                          requeued['os_hash_value']))
        # The data behind the location is untouched.
        _, _, body = daemons.http('GET', url)
        self.assertEqual(DATA, body)

    def test_validation_data_of_another_algorithm_is_verified(self):
        # Any algorithm hashlib guarantees, as upstream: sha256 here,
        # while the service hashes uploads with sha512.
        url = self.source_url()
        image = self.queued()
        self.add(image['id'], {'url': url, 'validation_data': {
            'os_hash_algo': 'sha256',
            'os_hash_value': hashlib.sha256(DATA).hexdigest()}})
        task = self.wait_for_task(image['id'])
        self.assertEqual('success', task['status'], task)
        shown = self.show(image['id'])
        self.assertEqual(('active', 'sha256', hashlib.sha256(DATA).hexdigest(),
                          hashlib.md5(DATA).hexdigest()),
                         (shown['status'], shown['os_hash_algo'],
                          shown['os_hash_value'], shown['checksum']))

    def test_each_add_is_a_task_of_the_image(self):
        url = self.source_url()
        image = self.queued()
        # Empty validation_data is none (as Tempest's client sends it).
        self.add(image['id'], {'url': url, 'validation_data': {}})
        # The algorithm shows at once, the values when the read ends.
        self.assertEqual('sha512', self.show(image['id'])['os_hash_algo'])
        task = self.wait_for_task(image['id'])
        self.assertEqual('success', task['status'], task)
        self.assertEqual({'image_id': image['id'], 'loc_url': url,
                          'validation_data': {}}, task['input'])
        self.assertEqual(hashlib.sha512(DATA).hexdigest(),
                         self.show(image['id'])['os_hash_value'])

    def test_fetch_is_for_the_service_role(self):
        image = self.create_active()
        self.locations(image['id'], headers=OWNER, expected=403)
        self.locations(image['id'], headers=ADMIN, expected=403)
        self.assertEqual(1, len(self.locations(image['id'])))
        self.assertEqual([], self.locations(self.queued()['id']))
        self.locations('7b9e1a39-0e0c-4b7e-9d7e-5f7f4f1b2c3d',
                       expected=404)

    def test_refusals_leave_the_image_queued(self):
        url = self.source_url()
        image = self.queued()
        active = self.create_active()
        cases = [
            (active['id'], {'url': url}, OWNER, 409),
            (image['id'], {'url': url}, OTHER, 404),
            (image['id'], {'url': 'bogus://nowhere'}, OWNER, 400),
            (image['id'], {'url': url + '-missing'}, OWNER, 400),
            (image['id'], {}, OWNER, 400),
            (image['id'], ['not', 'an', 'object'], OWNER, 400),
            (image['id'], {'url': url, 'store': 'file'}, OWNER, 400),
            (image['id'], {'url': url, 'validation_data': {
                'os_hash_algo': 'md5', 'os_hash_value': 'ab'}}, OWNER, 400),
            (image['id'], {'url': url, 'validation_data': {
                'os_hash_algo': 'sha512', 'os_hash_value': 'xyz'}},
             OWNER, 400),
            (image['id'], {'url': url, 'validation_data': {
                'os_hash_algo': 'sha123', 'os_hash_value': 'ab' * 64}},
             OWNER, 400),
            (image['id'], {'url': url, 'validation_data': {
                'os_hash_value': 'ab' * 64}}, OWNER, 400),
        ]
        for image_id, body, headers, expected in cases:
            answer = self.add(image_id, body, headers, expected)
            self.assertIn('message', answer, (body, answer))
        shown = self.show(image['id'])
        self.assertEqual('queued', shown['status'])
        self.assertEqual([], self.locations(image['id']))

    def test_other_project_sees_404_on_a_private_image(self):
        image = self.queued()
        self.locations(image['id'], headers=dict(SERVICE, **{
            'X-Project-Id': 'someone-else'}), expected=404)


class LocationsWithoutHashingTestCase(LocationsMixin, base.ServerTestCase):

    api_overrides = {'DEFAULT': {'do_secure_hash': False}}

    def test_no_hashes_without_validation_data(self):
        url = self.source_url()
        image = self.queued()
        self.add(image['id'], {'url': url})
        self.assertEqual('success', self.wait_for_task(image['id'])[
            'status'])
        # Another request round-trip gives a background hash time to land
        # if one (wrongly) ran.
        self.create_active()
        shown = self.show(image['id'])
        self.assertEqual('active', shown['status'])
        self.assertIsNone(shown['checksum'])
        self.assertIsNone(shown['os_hash_value'])


class LocationsOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                     LocationsTestCase):
    """Every locations test of LocationsTestCase, with the registry reached
    over RabbitMQ."""
