"""Keystone authentication of glance-api and glance-registry, with real
tokens from a real Keystone and both daemons as processes.

Each class runs both daemons in the keystone flavor; they differ in how
glance-api proves identity to the registry: the user's own token
(``use_user_token = true``), glance-api's service token plus the caller's
identity in ``X-Caller-*`` headers (``false``), or the context in the
RabbitMQ message.
"""

import http.server
import os
import threading

import fixtures
from oslo_config import cfg
import requests

from glance_registry import client
from glance_registry.common import context as glance_context
from tests.functional import base
from tests.functional import daemons
from tests.integration import keystone_base
from tests.unit.registry import test_client


class IsolationChecks:
    """What every way of reaching the registry must keep true."""

    def test_image_owner_is_the_token_project(self):
        image = self.create_image('demo')
        self.assertEqual(self.project_ids['demo'], image['owner'])
        status, _, shown = self.call('demo', 'GET',
                                     '/v2/images/%s' % image['id'])
        self.assertEqual(200, status, shown)

    def test_other_project_gets_404_for_a_private_image(self):
        image = self.create_image('demo', visibility='private',
                                  name='secret-of-demo')
        status, _, body = self.call('alt_demo', 'GET',
                                    '/v2/images/%s' % image['id'])
        self.assertEqual(404, status)
        self.assertNotIn(b'secret-of-demo', body)
        status, _, listed = self.call('alt_demo', 'GET', '/v2/images')
        self.assertEqual(200, status)
        self.assertNotIn(image['id'], [i['id'] for i in listed['images']])

    def test_same_project_reader_and_admin_see_a_private_image(self):
        image = self.create_image('demo', visibility='private')
        for user in ('demo_reader', 'admin'):
            status, _, shown = self.call(user, 'GET',
                                         '/v2/images/%s' % image['id'])
            self.assertEqual(200, status, user)
            self.assertEqual(image['id'], shown['id'])

    def test_admin_token_is_admin_by_policy(self):
        # Only an administrator may publicize (publicize_image is
        # rule:context_is_admin); the admin token's project is not the
        # image's.
        image = self.create_image('demo')
        patch = [{'op': 'replace', 'path': '/visibility', 'value': 'public'}]
        headers = {'Content-Type': 'application/openstack-images-v2.1-json-'
                                   'patch'}
        status, _, _ = self.call('demo', 'PATCH',
                                 '/v2/images/%s' % image['id'], patch,
                                 headers=headers)
        self.assertEqual(403, status)
        status, _, body = self.call('admin', 'PATCH',
                                    '/v2/images/%s' % image['id'], patch,
                                    headers=headers)
        self.assertEqual(200, status, body)
        self.assertEqual('public', body['visibility'])


class TestUserTokenToRegistry(IsolationChecks,
                              keystone_base.KeystoneServerTestCase):
    """use_user_token = true: the user's token reaches the registry."""

    use_user_token = True

    def assertKeystoneChallenge(self, status, headers):
        self.assertEqual(401, status)
        self.assertEqual('Keystone uri="%s"' % self.keystone.base_url,
                         headers.get('WWW-Authenticate'))

    def test_missing_token_is_401_with_www_authenticate(self):
        for method, path, body in (('GET', '/v2/images', None),
                                   ('POST', '/v2/images', {'name': 'x'}),
                                   ('GET', '/v2/schemas/image', None)):
            status, headers, _ = self.call(None, method, path, body)
            self.assertKeystoneChallenge(status, headers)

    def test_invalid_token_is_401_with_www_authenticate(self):
        status, headers, _ = self.call(
            None, 'GET', '/v2/images',
            headers={'X-Auth-Token': 'gAAAAABnot-a-real-token'})
        self.assertKeystoneChallenge(status, headers)

    def assertRefusedByApiAndRegistry(self, token):
        status, headers, _ = self.call(None, 'GET', '/v2/images',
                                       headers={'X-Auth-Token': token})
        self.assertKeystoneChallenge(status, headers)
        status, headers, _ = self.rpc({'X-Auth-Token': token},
                                      'image_get_all')
        self.assertKeystoneChallenge(status, headers)

    def test_expired_token_is_refused_by_api_and_registry(self):
        self.assertRefusedByApiAndRegistry(
            self.keystone.expired_token_for('demo'))

    def test_revoked_token_is_refused_by_api_and_registry(self):
        # A token revoked before glance ever saw it (a token glance has
        # validated stays in authtoken's cache for token_cache_time).
        token = self.keystone.token_for('demo')
        resp = requests.delete(
            self.keystone.auth_url + '/auth/tokens', timeout=30,
            headers={'X-Auth-Token': token, 'X-Subject-Token': token})
        self.assertEqual(204, resp.status_code, resp.text)
        self.assertRefusedByApiAndRegistry(token)

    def test_registry_without_token_is_401_whatever_headers_claim(self):
        spoofed = {'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin',
                   'X-User-Id': 'someone', 'X-Project-Id': 'admin',
                   'X-Caller-Project-Id': self.project_ids['demo'],
                   'X-Caller-Roles': 'admin'}
        status, headers, _ = self.rpc(spoofed, 'image_get_all')
        self.assertKeystoneChallenge(status, headers)
        status, headers, _ = self.call(None, 'GET', '/images/detail',
                                       headers=spoofed,
                                       server=self.registry)
        self.assertKeystoneChallenge(status, headers)

    def test_registry_identity_headers_beside_a_token_are_ignored(self):
        image = self.create_image('demo', visibility='private')
        # alt_demo's token with headers naming demo's project and the
        # admin role: authtoken replaces them with the token's own.
        status, _, body = self.rpc(
            {'X-Auth-Token': self.tokens['alt_demo'],
             'X-Project-Id': self.project_ids['demo'], 'X-Roles': 'admin',
             'X-Identity-Status': 'Confirmed'},
            'image_get', image_id=image['id'])
        self.assertEqual(404, status, body)

    def test_registry_ignores_caller_headers_from_an_ordinary_user(self):
        image = self.create_image('demo', visibility='private')
        status, _, body = self.rpc(
            {'X-Auth-Token': self.tokens['alt_demo'],
             'X-Caller-Project-Id': self.project_ids['demo'],
             'X-Caller-Roles': 'admin'},
            'image_get', image_id=image['id'])
        self.assertEqual(404, status, body)

    def test_registry_applies_caller_headers_from_the_service_user(self):
        image = self.create_image('demo', visibility='private')
        glance = self.keystone.token_for('glance', cached=True)
        as_alt = {'X-Auth-Token': glance,
                  'X-Caller-Project-Id': self.project_ids['alt_demo'],
                  'X-Caller-User-Id': self.keystone.users['alt_demo'].user_id,
                  'X-Caller-Roles': 'member,reader'}
        status, _, body = self.rpc(as_alt, 'image_get', image_id=image['id'])
        self.assertEqual(404, status, body)
        as_demo = dict(as_alt, **{
            'X-Caller-Project-Id': self.project_ids['demo']})
        status, _, body = self.rpc(as_demo, 'image_get',
                                   image_id=image['id'])
        self.assertEqual(200, status, body)
        self.assertEqual(image['id'], body[0]['id'])

    def test_healthcheck_needs_no_token(self):
        status, _, _ = self.call(None, 'GET', '/healthcheck')
        self.assertEqual(200, status)


class TestServiceTokenToRegistry(IsolationChecks,
                                 keystone_base.KeystoneServerTestCase):
    """use_user_token = false: glance-api's own token reaches the registry,
    the caller's identity in X-Caller-* headers."""

    use_user_token = False

    def test_list_holds_only_own_and_public_images(self):
        own = self.create_image('alt_demo', visibility='private')
        other = self.create_image('demo', visibility='private')
        status, _, listed = self.call('alt_demo', 'GET', '/v2/images')
        self.assertEqual(200, status)
        ids = [i['id'] for i in listed['images']]
        self.assertIn(own['id'], ids)
        self.assertNotIn(other['id'], ids)
        for image in listed['images']:
            self.assertTrue(
                image['owner'] == self.project_ids['alt_demo'] or
                image['visibility'] == 'public', image)


class TestServiceCredentialsOnTheWire(keystone_base.KeystoneServerTestCase):
    """What the registry client sends with use_user_token = false, seen by
    a recording HTTP server; the token is checked with Keystone."""

    start_api = False

    def setUp(self):
        super().setUp()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      test_client._Handler)
        self.server.daemon_threads = True
        self.server.requests = []
        self.server.script = []
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)

    def make_client(self, **options):
        """A client configured from a glance-api.conf with ``options`` in
        [DEFAULT] and the fixture's [keystone_authtoken]."""
        options.update(registry_host='127.0.0.1',
                       registry_port=self.server.server_address[1])
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'glance-api.conf')
        daemons.write_conf(path, None, {
            'DEFAULT': options,
            'keystone_authtoken': self.keystone.authtoken_conf})
        conf = cfg.ConfigOpts()
        conf(['--config-file', path], project='glance')
        registry = client.RegistryClient(conf)
        self.addCleanup(registry.close)
        return registry

    def token_user(self, token):
        resp = requests.get(
            self.keystone.auth_url + '/auth/tokens', timeout=30,
            headers={'X-Auth-Token': token, 'X-Subject-Token': token})
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['token']['user']['name']

    def user_context(self):
        demo = self.keystone.users['demo']
        return glance_context.RequestContext(
            auth_token=self.tokens['demo'], user_id=demo.user_id,
            project_id=demo.project_id, roles=['member', 'reader'])

    def test_service_token_and_caller_headers_are_sent(self):
        registry = self.make_client(use_user_token=False)
        registry.image_get(self.user_context(), image_id='abc')
        headers = self.server.requests[0]['headers']
        self.assertNotEqual(self.tokens['demo'], headers['X-Auth-Token'])
        self.assertEqual('glance', self.token_user(headers['X-Auth-Token']))
        self.assertEqual(self.project_ids['demo'],
                         headers['X-Caller-Project-Id'])
        self.assertEqual(self.keystone.users['demo'].user_id,
                         headers['X-Caller-User-Id'])
        self.assertEqual('member,reader', headers['X-Caller-Roles'])
        self.assertNotIn('X-Project-Id', headers)

    def test_admin_user_options_authenticate_the_same_service_user(self):
        glance = self.keystone.users['glance']
        registry = self.make_client(
            use_user_token=False, admin_user=glance.name,
            admin_password=glance.password,
            admin_tenant_name=glance.project_name,
            auth_url=self.keystone.base_url)
        registry.image_get(self.user_context(), image_id='abc')
        headers = self.server.requests[0]['headers']
        self.assertEqual('glance', self.token_user(headers['X-Auth-Token']))

    def test_user_token_is_sent_by_default(self):
        registry = self.make_client()
        registry.image_get(self.user_context(), image_id='abc')
        headers = self.server.requests[0]['headers']
        self.assertEqual(self.tokens['demo'], headers['X-Auth-Token'])
        self.assertNotIn('X-Caller-Project-Id', headers)

    def test_context_without_token_uses_the_service_user(self):
        # glance-scrubber's admin context carries no token.
        registry = self.make_client()
        registry.image_get_all(glance_context.get_admin_context())
        headers = self.server.requests[0]['headers']
        self.assertEqual('glance', self.token_user(headers['X-Auth-Token']))
        self.assertEqual('admin', headers['X-Caller-Roles'])


class TestContextOverMessaging(IsolationChecks,
                               base.RegistryOverMessagingMixin,
                               keystone_base.KeystoneServerTestCase):
    """registry_transport = messaging: the context travels in the
    RabbitMQ message."""

    use_user_token = True
