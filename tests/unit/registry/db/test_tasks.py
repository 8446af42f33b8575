"""Tasks and their task_info."""

from glance_registry.common import exception
from glance_registry.db import api
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')

TASK_KEYS = {'id', 'type', 'status', 'owner', 'expires_at', 'input',
             'result', 'message', 'created_at', 'updated_at', 'deleted_at',
             'deleted', 'image_id', 'request_id', 'user_id', 'holder',
             'lease_expires_at'}


class TaskTests(base.DBTestCase):

    def create(self, context=P1, **values):
        values.setdefault('type', 'import')
        return api.task_create(context, values)

    def test_create_and_get_with_json_input(self):
        task = self.create(input={'import_from': 'http://x/img',
                                  'image_properties': {'name': 'n'}})
        self.assertEqual(TASK_KEYS, set(task))
        self.assertEqual('pending', task['status'])
        self.assertEqual('p1', task['owner'])
        got = api.task_get(P1, task['id'])
        self.assertEqual({'import_from': 'http://x/img',
                          'image_properties': {'name': 'n'}}, got['input'])
        self.assertEqual(task, got)

    def test_other_projects_task_is_not_found(self):
        task = self.create()
        self.assertRaises(exception.TaskNotFound, api.task_get, P2,
                          task['id'])
        self.assertEqual(task['id'], api.task_get(base.ADMIN,
                                                  task['id'])['id'])

    def test_update_status_result_and_message(self):
        task = self.create()
        updated = api.task_update(P1, task['id'], {
            'status': 'success', 'result': {'image_id': 'i'},
            'message': 'done', 'expires_at': '2030-01-01T00:00:00'})
        self.assertEqual('success', updated['status'])
        self.assertEqual({'image_id': 'i'}, updated['result'])
        self.assertEqual('done', updated['message'])
        self.assertEqual(2030, updated['expires_at'].year)
        self.assertEqual(updated, api.task_get(P1, task['id']))

    def test_delete_is_soft(self):
        task = self.create()
        api.task_delete(P1, task['id'])
        self.assertRaises(exception.TaskNotFound, api.task_get, P1,
                          task['id'])
        self.assertTrue(api.task_get(P1, task['id'],
                                     force_show_deleted=True)['deleted'])

    def test_get_all_filters_sorts_and_pages(self):
        ids = [self.create(status=status, created_at=base.at(i))['id']
               for i, status in enumerate(('pending', 'success', 'failure'))]
        self.create(P2)
        self.assertEqual(ids[::-1], [t['id'] for t in api.task_get_all(P1)])
        self.assertEqual([ids[1]], [t['id'] for t in api.task_get_all(
            P1, filters={'status': 'success'})])
        page = api.task_get_all(P1, limit=2, sort_dir='asc')
        rest = api.task_get_all(P1, marker=page[-1]['id'], sort_dir='asc')
        self.assertEqual(ids, [t['id'] for t in page + rest])
        self.assertEqual(4, len(api.task_get_all(base.ADMIN)))

    def test_get_all_errors(self):
        self.assertRaises(exception.InvalidFilter, api.task_get_all, P1,
                          filters={'colour': 'red'})
        self.assertRaises(exception.InvalidSortKey, api.task_get_all, P1,
                          sort_key='colour')
        self.assertRaises(exception.InvalidMarker, api.task_get_all, P1,
                          marker='nope')

    def test_duplicate_id(self):
        task = self.create()
        self.assertRaises(exception.Duplicate, self.create, id=task['id'])


class ImageTaskTests(base.DBTestCase):

    def test_tasks_of_one_image_by_image_id_filter(self):
        first = api.task_create(P1, {'type': 'api_image_import',
                                     'image_id': 'image-a',
                                     'holder': 'http://api-1:9292'})
        api.task_create(P1, {'type': 'api_image_import',
                             'image_id': 'image-b'})
        found = api.task_get_all(P1, filters={'image_id': 'image-a'})
        self.assertEqual([first['id']], [t['id'] for t in found])
        self.assertEqual('http://api-1:9292', found[0]['holder'])
