"""The registry's context middleware: whose identity a call runs with."""

import testtools
import webob

from glance_registry import middleware

SERVICE = {'X-Identity-Status': 'Confirmed', 'X-Auth-Token': 'svc',
           'X-User-Id': 'glance', 'X-Project-Id': 'service',
           'X-Roles': 'admin,member'}
CALLER = {'X-Caller-User-Id': 'u1', 'X-Caller-Project-Id': 'p1',
          'X-Caller-Roles': 'member,reader',
          'X-Caller-User-Domain-Id': 'default'}


class RegistryContextTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.seen = []

    def app(self, environ, start_response):
        self.seen.append(environ[middleware.ENV_CONTEXT])
        start_response('200 OK', [('Content-Length', '0')])
        return [b'']

    def call(self, cls, headers):
        req = webob.Request.blank('/rpc', method='POST', headers=headers)
        return req.get_response(cls(self.app))

    def test_service_token_with_caller_headers_acts_as_the_caller(self):
        resp = self.call(middleware.ContextMiddleware, dict(SERVICE,
                                                            **CALLER))
        self.assertEqual(200, resp.status_int)
        context = self.seen[0]
        self.assertEqual(('u1', 'p1', ['member', 'reader'], False),
                         (context.user_id, context.project_id,
                          context.roles, context.is_admin))
        self.assertEqual('default', context.user_domain_id)
        self.assertEqual('glance', context.service_user_id)
        self.assertEqual(['admin', 'member'], context.service_roles)

    def test_caller_with_admin_role_is_admin(self):
        self.call(middleware.ContextMiddleware,
                  dict(SERVICE, **dict(CALLER, **{'X-Caller-Roles':
                                                  'admin'})))
        self.assertTrue(self.seen[0].is_admin)

    def test_caller_headers_from_untrusted_token_are_ignored(self):
        user = dict(SERVICE, **{'X-User-Id': 'u2', 'X-Project-Id': 'p2',
                                'X-Roles': 'member,reader'})
        self.call(middleware.ContextMiddleware, dict(user, **CALLER))
        self.assertEqual(('u2', 'p2'), (self.seen[0].user_id,
                                        self.seen[0].project_id))

    def test_service_role_is_trusted_too(self):
        service_only = dict(SERVICE, **{'X-Roles': 'service'})
        self.call(middleware.ContextMiddleware, dict(service_only, **CALLER))
        self.assertEqual('p1', self.seen[0].project_id)

    def test_unconfirmed_caller_headers_are_401(self):
        resp = self.call(middleware.ContextMiddleware,
                         dict(CALLER, **{'X-Identity-Status': 'Invalid'}))
        self.assertEqual(401, resp.status_int)
        self.assertEqual([], self.seen)

    def test_noauth_registry_honors_caller_headers(self):
        self.call(middleware.UnauthenticatedContextMiddleware, CALLER)
        self.assertEqual(('p1', False), (self.seen[0].project_id,
                                         self.seen[0].is_admin))

    def test_noauth_registry_without_headers_is_admin(self):
        self.call(middleware.UnauthenticatedContextMiddleware, {})
        self.assertTrue(self.seen[0].is_admin)
