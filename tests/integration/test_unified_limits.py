"""Keystone unified limits (oslo.limit) against a real Keystone holding the
image service's registered and project limits: GET /v2/info/usage reports
them, create and upload are refused with 413 past them."""

from tests.integration import keystone_base

OCTET = {'Content-Type': 'application/octet-stream'}
MiB = 1024 * 1024
RESOURCES = ('image_size_total', 'image_stage_total', 'image_count_total',
             'image_count_uploading')


class UnifiedLimitsTestCase(keystone_base.KeystoneServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Generous defaults for every project; each test gives alt_demo
        # the limits it is about.
        for resource in RESOURCES:
            cls.keystone.set_registered_limit(resource, 1000)

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config.setdefault('DEFAULT', {})['use_keystone_limits'] = True
        config['oslo_limit'] = cls.keystone.limit_conf
        return config

    def usage(self, user='alt_demo'):
        status, _, body = self.call(user, 'GET', '/v2/info/usage')
        self.assertEqual(200, status, body)
        return body['usage']

    def limit(self, resource, value):
        self.keystone.set_project_limit('alt_demo', resource, value)

    def upload(self, image, data, expected=204, user='alt_demo'):
        status, _, body = self.call(user, 'PUT', '/v2/images/%s/file'
                                    % image['id'], data, headers=OCTET)
        self.assertEqual(expected, status, body)
        return body

    def test_usage_reports_keystone_limits_and_counted_usage(self):
        self.limit('image_count_uploading', 3)
        before = self.usage()
        self.create_image('alt_demo')
        usage = self.usage()
        self.assertEqual(set(RESOURCES), set(usage))
        self.assertEqual(3, usage['image_count_uploading']['limit'])
        self.assertEqual(1000, usage['image_stage_total']['limit'])
        self.assertEqual(before['image_count_total']['usage'] + 1,
                         usage['image_count_total']['usage'])
        # Another project sees its own usage under the defaults.
        self.assertEqual(1000,
                         self.usage('demo')['image_count_uploading']['limit'])

    def test_create_past_image_count_total_is_413(self):
        count = self.usage()['image_count_total']['usage']
        self.limit('image_count_total', count + 1)
        self.create_image('alt_demo')
        status, _, body = self.call('alt_demo', 'POST', '/v2/images',
                                    {'name': 'one-too-many'})
        self.assertEqual(413, status, body)
        self.assertIn('image_count_total', body['message'])
        self.assertEqual(count + 1,
                         self.usage()['image_count_total']['usage'])
        self.limit('image_count_total', 1000)

    def test_upload_when_over_image_size_total_is_413_and_keeps_queued(self):
        used = self.usage()['image_size_total']['usage']
        self.limit('image_size_total', used + 1)
        # The limit is checked before data comes in: this upload may take
        # the project past it, the next one is refused.
        first = self.create_image('alt_demo')
        self.upload(first, b'x' * (2 * MiB))
        second = self.create_image('alt_demo')
        body = self.upload(second, b'y' * 1024, expected=413)
        self.assertIn('image_size_total', body['message'])
        status, _, shown = self.call('alt_demo', 'GET', '/v2/images/%s'
                                     % second['id'])
        self.assertEqual('queued', shown['status'])
        self.assertGreaterEqual(self.usage()['image_size_total']['usage'],
                                used + 2)
        self.limit('image_size_total', 1000)
        self.upload(second, b'y' * 1024)

    def test_zero_uploading_limit_refuses_every_upload(self):
        self.limit('image_count_uploading', 0)
        self.assertEqual(0, self.usage()['image_count_uploading']['limit'])
        image = self.create_image('alt_demo')
        self.upload(image, b'z' * 10, expected=413)
        self.limit('image_count_uploading', 1000)

    def stage(self, image, data, expected=204):
        status, _, body = self.call('alt_demo', 'PUT', '/v2/images/%s/stage'
                                    % image['id'], data, headers=OCTET)
        self.assertEqual(expected, status, body)
        return body

    def test_stage_and_import_count_against_their_limits(self):
        self.addCleanup(self.limit, 'image_stage_total', 1000)
        self.addCleanup(self.limit, 'image_size_total', 1000)
        # Limits are checked before data comes in: a project already past
        # one is refused.
        self.stage(self.create_image('alt_demo'), b's' * (2 * MiB))
        self.limit('image_stage_total', 1)
        body = self.stage(self.create_image('alt_demo'), b's' * 1024,
                          expected=413)
        self.assertIn('image_stage_total', body['message'])
        self.limit('image_stage_total', 1000)
        staged = self.create_image('alt_demo')
        self.stage(staged, b's' * 1024)
        # An import writes to the stores: image_size_total decides.
        self.upload(self.create_image('alt_demo'), b'u' * (2 * MiB))
        self.limit('image_size_total', 1)
        status, _, body = self.call(
            'alt_demo', 'POST', '/v2/images/%s/import' % staged['id'],
            {'method': {'name': 'glance-direct'}})
        self.assertEqual(413, status, body)
        self.assertIn('image_size_total', body['message'])
        status, _, shown = self.call('alt_demo', 'GET', '/v2/images/%s'
                                     % staged['id'])
        self.assertEqual('uploading', shown['status'])
        self.limit('image_size_total', 1000)
        status, _, body = self.call(
            'alt_demo', 'POST', '/v2/images/%s/import' % staged['id'],
            {'method': {'name': 'glance-direct'}})
        self.assertEqual(202, status, body)
