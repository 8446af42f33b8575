"""The version list and the v2 error form."""

import json

import testtools

from glance_api import versions
from glance_api import faults
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions


class Conf:
    enable_v2_api = True
    enable_v1_api = False
    public_endpoint = None


class VersionsTestCase(testtools.TestCase):

    def test_newest_is_current_others_supported(self):
        listed = versions.version_list('http://h:9292', Conf())
        self.assertEqual('v2.17', listed[0]['id'])
        self.assertEqual('CURRENT', listed[0]['status'])
        self.assertEqual('v2.0', listed[-1]['id'])
        self.assertEqual({'SUPPORTED'}, {v['status'] for v in listed[1:]})
        self.assertEqual([{'rel': 'self', 'href': 'http://h:9292/v2/'}],
                         listed[0]['links'])

    def test_public_endpoint_replaces_host_url(self):
        conf = Conf()
        conf.public_endpoint = 'https://images.example.org/'
        listed = versions.version_list('http://h:9292', conf)
        self.assertEqual('https://images.example.org/v2/',
                         listed[0]['links'][0]['href'])

    def test_versions_of_features_not_served_are_not_listed(self):
        ids = [v['id'] for v in versions.version_list('http://h', Conf())]
        for absent in ('v2.16', 'v2.14', 'v2.12', 'v2.10', 'v2.9', 'v2.6'):
            self.assertNotIn(absent, ids)
        self.assertIn('v2.15', ids)
        self.assertFalse(versions.has_version('2.14', Conf()))

    def test_import_and_cache_bring_their_versions(self):
        conf = Conf()
        conf.enabled_import_methods = ['glance-direct', 'web-download']
        listed = versions.v2_versions(conf)
        for version in ('2.6', '2.9', '2.10', '2.12'):
            self.assertIn(version, listed)
        self.assertNotIn('2.14', listed)
        # The cache's versions: to requests through a caching pipeline.
        listed = versions.v2_versions(conf, cache=True)
        self.assertEqual([str(v) for v in (17, 16, 15, 14, 13, 12, 11, 10,
                                           9, 8, 7, 6, 5, 4, 3, 2, 1, 0)],
                         [v.split('.')[1] for v in listed])
        self.assertTrue(versions.has_version('2.16', conf, cache=True))
        self.assertFalse(versions.has_version('2.16', conf))

    def test_a_pinned_minor_version_routes_even_when_not_listed(self):
        self.assertEqual('v2', versions.served_versions(Conf())['v2.14'])

    def test_served_prefixes(self):
        served = versions.served_versions(Conf())
        self.assertEqual('v2', served['v2'])
        self.assertEqual('v2', served['v2.3'])
        self.assertNotIn('v1', served)
        self.assertNotIn('v3', served)


class FaultsTestCase(testtools.TestCase):

    def body(self, resp):
        return json.loads(resp.body)

    def test_glance_exception_keeps_status_and_message(self):
        resp = faults.translate(exception.ImageNotFound(image_id='abc'))
        self.assertEqual(404, resp.status_int)
        self.assertEqual({'code': '404 Not Found', 'title': 'Not Found',
                          'message': 'No image found with ID abc'},
                         self.body(resp))

    def test_store_exception(self):
        resp = faults.translate(store_exceptions.StorageFull(store='file'))
        self.assertEqual(413, resp.status_int)
        self.assertEqual('413 Request Entity Too Large',
                         self.body(resp)['code'])
        self.assertEqual('Image storage media is full: There is not enough '
                         'free space in store file',
                         self.body(resp)['message'])

    def test_method_not_allowed_has_allow_header(self):
        resp = faults.translate(exception.MethodNotAllowed(
            method='PUT', headers={'Allow': 'GET, POST'}))
        self.assertEqual(405, resp.status_int)
        self.assertEqual('GET, POST', resp.headers['Allow'])

    def test_unexpected_error_is_a_bare_500(self):
        resp = faults.translate(ValueError('secret internals'))
        self.assertEqual(500, resp.status_int)
        self.assertNotIn('secret', resp.text)
