"""The pure parts of import and tasks requests: the import body, the
service catalog lookup of glance-download, task list parameters and
views."""

import testtools
import webob

from glance_api import importing
from glance_api.v2 import image_import
from glance_api.v2 import tasks as v2_tasks
from glance_registry.common import exception


class ImportBodyTests(testtools.TestCase):

    def test_defaults(self):
        request, stores, all_stores = image_import.parse_import_body(
            {'method': {'name': 'web-download', 'uri': 'http://x/y'}})
        self.assertEqual('web-download', request.method)
        self.assertEqual('http://x/y', request.uri)
        self.assertTrue(request.all_stores_must_succeed)
        self.assertIsNone(stores)
        self.assertFalse(all_stores)

    def test_malformed_bodies_are_invalid(self):
        for body in (None, [], {}, {'method': 'glance-direct'},
                     {'method': {'name': 7}},
                     {'method': {'name': 'x'}, 'stores': [1]},
                     {'method': {'name': 'x'}, 'stores': ['']},
                     {'method': {'name': 'x'}, 'all_stores': 1},
                     {'method': {'name': 'x'},
                      'all_stores_must_succeed': 'false'}):
            self.assertRaises(exception.Invalid,
                              image_import.parse_import_body, body)


CATALOG = [
    {'type': 'compute', 'endpoints': [
        {'interface': 'public', 'region': 'R2', 'url': 'http://nova'}]},
    {'type': 'image', 'endpoints': [
        {'interface': 'internal', 'region': 'R2', 'url': 'http://in'},
        {'interface': 'public', 'region_id': 'R2', 'url': 'http://pub'},
        {'interface': 'public', 'region': 'R1', 'url': 'http://r1'}]}]


class CatalogTests(testtools.TestCase):

    def test_endpoint_by_type_region_and_interface(self):
        self.assertEqual('http://pub', importing.catalog_endpoint(
            CATALOG, 'image', 'R2', 'public'))
        self.assertEqual('http://in', importing.catalog_endpoint(
            CATALOG, 'image', 'R2', 'internal'))

    def test_absent_endpoint_or_catalog_is_none(self):
        self.assertIsNone(importing.catalog_endpoint(CATALOG, 'image', 'R3',
                                                     'public'))
        self.assertIsNone(importing.catalog_endpoint(None, 'image', 'R1',
                                                     'public'))
        self.assertIsNone(importing.catalog_endpoint(['junk'], 'image', 'R1',
                                                     'public'))


class TaskListParameterTests(testtools.TestCase):

    def parse(self, query):
        from oslo_config import cfg
        from glance_registry.common import paging
        conf = cfg.ConfigOpts()
        conf.register_opts(paging.list_opts())
        conf([])
        return v2_tasks.parse_list_params(
            webob.Request.blank('/v2/tasks?' + query).params, conf)

    def test_filters_and_sorting(self):
        self.assertEqual(
            {'filters': {'type': 'import', 'status': 'success'},
             'marker': 'm', 'limit': 5, 'sort_key': 'status',
             'sort_dir': 'asc'},
            self.parse('type=import&status=success&marker=m&limit=5'
                       '&sort_key=status&sort_dir=asc'))

    def test_unknown_filter_key_direction_and_status_are_invalid(self):
        for query in ('owner=x', 'sort_key=name', 'sort_dir=sideways',
                      'status=done'):
            self.assertRaises(exception.Invalid, self.parse, query)

    def test_list_view_leaves_out_input_result_and_message(self):
        task = {'id': 't', 'type': 'import', 'status': 'success',
                'owner': 'p', 'input': {}, 'result': {}, 'message': 'm',
                'created_at': '2026-01-01T00:00:00.000000',
                'updated_at': '2026-01-01T00:00:01.000000',
                'expires_at': None}
        view = v2_tasks.task_view(task, detail=False)
        self.assertNotIn('input', view)
        self.assertNotIn('expires_at', view)
        self.assertEqual('2026-01-01T00:00:00Z', view['created_at'])
        self.assertEqual('m', v2_tasks.task_view(task)['message'])
