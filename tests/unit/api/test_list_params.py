"""Parsing GET /v2/images query parameters into registry arguments."""

import testtools
import webob.multidict

from glance_api.v2 import images
from glance_registry.common import exception


def params(query):
    return webob.Request.blank('/v2/images?' + query).GET


class Conf:
    limit_param_default = 25
    api_limit_max = 1000


class ParseListParamsTestCase(testtools.TestCase):

    def parse(self, query):
        return images.parse_list_params(params(query), Conf())

    def test_defaults(self):
        self.assertEqual({'filters': {}, 'marker': None, 'limit': 25,
                          'sort_key': ['created_at'], 'sort_dir': ['desc'],
                          'member_status': 'accepted'}, self.parse(''))

    def test_limit_is_capped_at_api_limit_max(self):
        self.assertEqual(1000, self.parse('limit=5000')['limit'])
        self.assertEqual(0, self.parse('limit=0')['limit'])
        for query in ('limit=-1', 'limit=x'):
            self.assertRaises(exception.Invalid, self.parse, query)

    def test_attribute_filters(self):
        filters = self.parse(
            'name=n&status=active&visibility=public&owner=o&'
            'disk_format=raw&container_format=bare&size_min=1&size_max=9&'
            'protected=true&os_hidden=false&tag=a&tag=b')['filters']
        self.assertEqual({'name': 'n', 'status': 'active',
                          'visibility': 'public', 'owner': 'o',
                          'disk_format': 'raw', 'container_format': 'bare',
                          'size_min': 1, 'size_max': 9, 'protected': True,
                          'os_hidden': False, 'tags': ['a', 'b']}, filters)

    def test_other_parameters_filter_custom_properties(self):
        self.assertEqual({'properties': {'os_distro': 'fedora'}},
                         self.parse('os_distro=fedora')['filters'])

    def test_visibility_all_means_no_visibility_filter(self):
        self.assertEqual({}, self.parse('visibility=all')['filters'])

    def test_in_operator(self):
        self.assertEqual({'status': 'in:queued,saving'},
                         self.parse('status=in:queued,saving')['filters'])
        self.assertEqual({'name': ['glass, darkly', 'share me']},
                         self.parse('name=in:"glass,%20darkly",share%20me')
                         ['filters'])
        self.assertRaises(exception.InvalidFilter, self.parse,
                          'checksum=in:a,b')

    def test_time_filters(self):
        filters = self.parse('created_at=gt:2016-04-18T21:38:54Z&'
                             'updated_at=2016-04-18T21:38:54')['filters']
        self.assertEqual({'created_at': 'gt:2016-04-18T21:38:54Z',
                          'updated_at': 'eq:2016-04-18T21:38:54'}, filters)
        self.assertRaises(exception.Invalid, self.parse,
                          'created_at=gt:tomorrow')

    def test_invalid_values(self):
        for query in ('size_min=x', 'size_max=-2', 'protected=maybe',
                      'visibility=world', 'member_status=maybe'):
            self.assertRaises(exception.Invalid, self.parse, query)

    def test_sort_key_and_sort_dir(self):
        parsed = self.parse('sort_key=name&sort_key=size&sort_dir=asc')
        self.assertEqual(['name', 'size'], parsed['sort_key'])
        self.assertEqual(['asc', 'asc'], parsed['sort_dir'])
        parsed = self.parse('sort_key=name&sort_dir=asc&sort_key=size&'
                            'sort_dir=desc')
        self.assertEqual(['asc', 'desc'], parsed['sort_dir'])

    def test_sort_parameter(self):
        parsed = self.parse('sort=name:asc,status')
        self.assertEqual(['name', 'status'], parsed['sort_key'])
        self.assertEqual(['asc', 'desc'], parsed['sort_dir'])

    def test_sort_errors(self):
        self.assertRaises(exception.InvalidRequest, self.parse,
                          'sort=name&sort_key=name')
        self.assertRaises(exception.InvalidSortKey, self.parse,
                          'sort_key=bogus')
        self.assertRaises(exception.InvalidSortDir, self.parse,
                          'sort=name:sideways')
        self.assertRaises(exception.InvalidRequest, self.parse,
                          'sort_key=a&sort_key=name&sort_dir=asc&'
                          'sort_dir=asc&sort_dir=asc')


class ParseInValuesTestCase(testtools.TestCase):

    def test_quotes_protect_commas(self):
        self.assertEqual(['a', 'b,c', 'd'],
                         images.parse_in_values('a,"b,c",d'))

    def test_unbalanced_quotes(self):
        self.assertRaises(exception.InvalidRequest, images.parse_in_values,
                          'a,"b')
