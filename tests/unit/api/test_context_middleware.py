"""glance-api's keystone-flavor context: headers authtoken sets -> context,
administrator by the policy rule context_is_admin."""

import json

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools
import webob

from glance_api import middleware
from glance_api import policy
from tests.unit.api import test_policy

CATALOG = [{'type': 'image', 'name': 'glance', 'endpoints': [
    {'interface': 'public', 'url': 'http://127.0.0.1:9292'}]}]


def confirmed_headers(**extra):
    headers = {'X-Identity-Status': 'Confirmed', 'X-Auth-Token': 'tok',
               'X-User-Id': 'u1', 'X-Project-Id': 'p1',
               'X-Domain-Id': 'default', 'X-User-Domain-Id': 'default',
               'X-Project-Domain-Id': 'default', 'X-Roles': 'member,reader',
               'X-Service-Roles': 'service',
               'X-Service-Catalog': json.dumps(CATALOG)}
    headers.update(extra)
    return headers


class ContextMiddlewareTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf.conf([], project='glance')
        policy.Enforcer(self.conf.conf)  # registers [oslo_policy]
        self.seen = []

    def app(self, environ, start_response):
        self.seen.append(environ[middleware.ENV_CONTEXT])
        start_response('200 OK', [('Content-Length', '0')])
        return [b'']

    def call(self, headers):
        filtered = middleware.ContextMiddleware(
            self.app, enforcer=policy.Enforcer(self.conf.conf))
        req = webob.Request.blank('/v2/images', headers=headers)
        return req.get_response(filtered)

    def test_context_holds_what_authtoken_set(self):
        resp = self.call(confirmed_headers())
        self.assertEqual(200, resp.status_int)
        context = self.seen[0]
        self.assertEqual('tok', context.auth_token)
        self.assertEqual('u1', context.user_id)
        self.assertEqual('p1', context.project_id)
        self.assertEqual('p1', context.owner)
        self.assertEqual('default', context.domain_id)
        self.assertEqual('default', context.user_domain_id)
        self.assertEqual('default', context.project_domain_id)
        self.assertEqual(['member', 'reader'], context.roles)
        self.assertEqual(['service'], context.service_roles)
        self.assertEqual(CATALOG, context.service_catalog)
        self.assertFalse(context.is_admin)
        self.assertTrue(context.request_id.startswith('req-'))

    def test_admin_role_is_admin_by_default_policy(self):
        self.call(confirmed_headers(**{'X-Roles': 'admin,member'}))
        self.assertTrue(self.seen[0].is_admin)

    def test_admin_is_what_context_is_admin_says(self):
        test_policy.write_policy(
            self, self.conf, '"context_is_admin": "role:cloud_admin"\n')
        self.call(confirmed_headers(**{'X-Roles': 'admin'}))
        self.call(confirmed_headers(**{'X-Roles': 'cloud_admin'}))
        self.assertEqual([False, True], [c.is_admin for c in self.seen])

    def test_unconfirmed_identity_is_401_and_app_not_called(self):
        for status in (None, 'Invalid'):
            headers = confirmed_headers(**{'X-Identity-Status': status})
            if status is None:
                del headers['X-Identity-Status']
            resp = self.call(headers)
            self.assertEqual(401, resp.status_int)
        self.assertEqual([], self.seen)

    def test_caller_headers_mean_nothing_to_glance_api(self):
        self.call(confirmed_headers(**{'X-Caller-Project-Id': 'p2',
                                       'X-Caller-Roles': 'admin'}))
        self.assertEqual('p1', self.seen[0].project_id)
        self.assertFalse(self.seen[0].is_admin)
