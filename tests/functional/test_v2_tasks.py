"""The tasks API against real daemons: GET /v2/tasks (filters, sorting,
paging), GET /v2/tasks/{task_id}, the task schemas, an image's tasks, and
a task whose holder stopped renewing."""

import datetime

from tests.functional import base
from tests.functional import store_helpers

ADMIN = store_helpers.ADMIN
MEMBER = store_helpers.MEMBER
OTHER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
         'X-Roles': 'member'}


class TasksTestCase(store_helpers.StoreCallsMixin, base.ServerTestCase):

    def record_task(self, headers=ADMIN, **values):
        """A task written straight into the registry, as an import
        records it."""
        values.setdefault('type', 'api_image_import')
        status, _, body = self.request_json(
            'POST', '/rpc', [{'command': 'task_create',
                              'kwargs': {'values': values}}],
            headers, server=self.registry)
        self.assertEqual(200, status, body)
        return body[0]

    def test_tasks_api_is_for_administrators(self):
        task = self.record_task()
        for path in ('/v2/tasks', '/v2/tasks/%s' % task['id']):
            status, _, body = self.request_json('GET', path, headers=MEMBER)
            self.assertEqual(403, status, body)

    def test_show_has_input_result_and_message_list_does_not(self):
        task = self.record_task(input={'image_id': 'i'}, status='success',
                                result={'image_id': 'i'}, message='done')
        status, _, shown = self.request_json(
            'GET', '/v2/tasks/%s' % task['id'], headers=ADMIN)
        self.assertEqual(200, status, shown)
        self.assertEqual({'image_id': 'i'}, shown['input'])
        self.assertEqual({'image_id': 'i'}, shown['result'])
        self.assertEqual('done', shown['message'])
        self.assertEqual('/v2/tasks/%s' % task['id'], shown['self'])
        self.assertEqual('/v2/schemas/task', shown['schema'])
        self.assertTrue(shown['created_at'].endswith('Z'))
        status, _, listed = self.request_json(
            'GET', '/v2/tasks?status=success&limit=1000', headers=ADMIN)
        self.assertEqual(200, status, listed)
        entry = [t for t in listed['tasks'] if t['id'] == task['id']][0]
        self.assertNotIn('input', entry)
        self.assertEqual('/v2/schemas/tasks', listed['schema'])

    def test_list_filters_sorts_and_pages(self):
        ids = [self.record_task(type='import', status='pending',
                                created_at='2020-01-0%dT00:00:00' % day)['id']
               for day in (1, 2, 3)]
        status, _, page = self.request_json(
            'GET', '/v2/tasks?type=import&sort_dir=asc&limit=2',
            headers=ADMIN)
        self.assertEqual(200, status, page)
        self.assertEqual(ids[:2], [t['id'] for t in page['tasks']])
        self.assertIn('marker=%s' % ids[1], page['next'])
        status, _, rest = self.request_json('GET', page['next'],
                                            headers=ADMIN)
        self.assertEqual(ids[2:], [t['id'] for t in rest['tasks']
                                   if t['id'] in ids])

    def test_bad_list_parameters_are_400(self):
        for query in ('sort_key=name', 'sort_dir=up', 'status=done',
                      'name=x', 'limit=-1'):
            status, _, body = self.request_json(
                'GET', '/v2/tasks?' + query, headers=ADMIN)
            self.assertEqual(400, status, (query, body))

    def test_unknown_task_is_404(self):
        status, _, _ = self.request_json(
            'GET', '/v2/tasks/00000000-0000-0000-0000-000000000000',
            headers=ADMIN)
        self.assertEqual(404, status)

    def test_schemas(self):
        status, _, task = self.request_json('GET', '/v2/schemas/task')
        self.assertEqual(200, status)
        self.assertEqual('task', task['name'])
        self.assertEqual(['pending', 'processing', 'success', 'failure'],
                         task['properties']['status']['enum'])
        status, _, tasks = self.request_json('GET', '/v2/schemas/tasks')
        self.assertEqual('tasks', tasks['name'])
        self.assertNotIn('input', tasks['properties']['tasks']['items'][
            'properties'])

    def test_image_tasks_for_whoever_sees_the_image(self):
        image = self.create_image(headers=MEMBER)
        task = self.record_task(headers=MEMBER, image_id=image['id'],
                                user_id='member-user', request_id='req-1',
                                input={'image_id': image['id']})
        status, _, body = self.request_json(
            'GET', '/v2/images/%s/tasks' % image['id'], headers=MEMBER)
        self.assertEqual(200, status, body)
        [shown] = body['tasks']
        self.assertEqual(task['id'], shown['id'])
        self.assertEqual(image['id'], shown['image_id'])
        self.assertEqual('req-1', shown['request-id'])
        self.assertEqual('member-user', shown['user'])
        # Upstream's code answers its database keys too (Tempest reads
        # request_id).
        self.assertEqual(('req-1', 'member-user'),
                         (shown['request_id'], shown['user_id']))
        status, _, _ = self.request_json(
            'GET', '/v2/images/%s/tasks' % image['id'], headers=OTHER)
        self.assertEqual(404, status)

    def test_task_whose_holder_stopped_renewing_is_failed(self):
        past = (datetime.datetime.utcnow() -
                datetime.timedelta(minutes=10)).isoformat()
        task = self.record_task(status='processing', holder='gone#host:1',
                                lease_expires_at=past)
        status, _, shown = self.request_json(
            'GET', '/v2/tasks/%s' % task['id'], headers=ADMIN)
        self.assertEqual(200, status, shown)
        self.assertEqual('failure', shown['status'])
        self.assertIn('gone#host:1', shown['message'])
        self.assertIsNotNone(shown['expires_at'])


class TasksOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                 TasksTestCase):
    """The same with glance-api reaching the registry over RabbitMQ."""
