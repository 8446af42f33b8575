"""The registry app's routing and error answers, in process."""

import json

import fixtures
import testtools
import webob

from glance_registry.common import exception
from glance_registry import middleware
from glance_registry import server


def _boom(req):
    raise RuntimeError('secret detail')


def _missing(req, image_id):
    raise exception.ImageNotFound(image_id=image_id)


def _whoami(req):
    return webob.Response(json={'is_admin': req.context.is_admin})


class AppTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger())
        self.bare_app = server.RegistryApp(routes=[
            ('/boom', {'GET': _boom}),
            ('/things/{image_id}', {'GET': _missing, 'DELETE': _missing}),
            ('/whoami', {'GET': _whoami}),
        ])
        # The noauth flavor's filter, as glance-registry-paste.ini has it.
        self.app = middleware.UnauthenticatedContextMiddleware(
            self.bare_app)

    def get(self, path, method='GET', app=None):
        req = webob.Request.blank(path, method=method)
        req.environ['openstack.request_id'] = 'req-test-1'
        return req.get_response(app or self.app)

    def test_app_without_a_context_filter_is_401_never_admin(self):
        resp = self.get('/whoami', app=self.bare_app)
        self.assertEqual(401, resp.status_int)
        self.assertEqual('not_authenticated', resp.json['error']['code'])
        self.assertEqual({'is_admin': True}, self.get('/whoami').json)

    def test_invalid_utf8_in_path_or_query_is_400_json(self):
        for path in ('/things/%ff', '/things/%ed%a0%80', '/things/a?x=%ff'):
            resp = self.get(path)
            self.assertEqual(400, resp.status_int, path)
            self.assertEqual('invalid_request', resp.json['error']['code'])

    def test_error_message_quotes_at_most_200_characters_of_input(self):
        resp = self.get('/things/' + 'x' * 100000)
        self.assertEqual(404, resp.status_int)
        message = resp.json['error']['message']
        self.assertIn('x' * 200 + '...', message)
        self.assertNotIn('x' * 201, message)
        self.assertLess(len(resp.body), 400)

    def test_unknown_path_is_404_json(self):
        resp = self.get('/nothing')
        self.assertEqual(404, resp.status_int)
        self.assertEqual('not_found', resp.json['error']['code'])

    def test_unknown_method_is_405_with_allow_from_the_table(self):
        resp = self.get('/things/x', method='POST')
        self.assertEqual(405, resp.status_int)
        self.assertEqual('DELETE, GET', resp.headers['Allow'])
        self.assertEqual('method_not_allowed', resp.json['error']['code'])

    def test_glance_exception_becomes_its_status_and_code(self):
        resp = self.get('/things/abc')
        self.assertEqual(404, resp.status_int)
        self.assertEqual({'code': 'image_not_found',
                          'message': 'No image found with ID abc'},
                         resp.json['error'])

    def test_unexpected_error_is_bare_500_logged_once_with_request_id(self):
        resp = self.get('/boom')
        self.assertEqual(500, resp.status_int)
        self.assertEqual('application/json', resp.content_type)
        body = json.dumps(resp.json)
        self.assertNotIn('secret detail', body)
        self.assertNotIn('Traceback', body)
        self.assertEqual('internal_error', resp.json['error']['code'])
        self.assertEqual(1, self.log.output.count('Unexpected error'))
        self.assertIn('req-test-1', self.log.output)
        self.assertIn('secret detail', self.log.output)

    def test_trailing_slash_is_no_route(self):
        resp = self.get('/things/abc/')
        self.assertEqual(404, resp.status_int)
        self.assertIn('Unknown path', resp.json['error']['message'])
