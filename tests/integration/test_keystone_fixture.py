"""The real Keystone fixture: users, tokens, catalog, and keystonemiddleware.

The middleware tests load [keystone_authtoken] from a config file the way
glance-api and glance-registry do (oslo.config, auth_type=password), so they
prove the settings :attr:`KeystoneFixture.authtoken_conf` gives are the ones
our config files need.
"""

import json
import os

import fixtures
import requests
import testtools
import webob
from keystoneauth1 import loading
from keystoneauth1 import session
from keystonemiddleware import auth_token
from oslo_config import cfg

from tests.integration import keystone_fixture

# Roles a token carries: the assigned one plus those it implies
# (bootstrap: admin -> manager -> member -> reader).
EXPECTED_ROLES = {
    'admin': {'admin', 'manager', 'member', 'reader'},
    'glance': {'admin', 'manager', 'member', 'reader'},
    'demo': {'member', 'reader'},
    'alt_demo': {'member', 'reader'},
    'demo_reader': {'reader'},
}


def identity_echo_app(environ, start_response):
    """Answer 200 with the identity headers auth_token put on the request."""
    names = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_USER_ID', 'HTTP_X_USER_NAME',
             'HTTP_X_PROJECT_ID', 'HTTP_X_PROJECT_NAME', 'HTTP_X_ROLES',
             'HTTP_X_SERVICE_CATALOG')
    body = json.dumps({n: environ.get(n) for n in names}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]


class KeystoneTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.keystone = keystone_fixture.shared_keystone()

    def validate(self, token, service_token=None):
        """GET /v3/auth/tokens for ``token`` with glance's token."""
        if service_token is None:
            service_token = self.keystone.token_for('glance', cached=True)
        return requests.get(
            self.keystone.auth_url + '/auth/tokens', timeout=30,
            headers={'X-Auth-Token': service_token, 'X-Subject-Token': token})


class TestKeystoneTokens(KeystoneTestCase):

    def test_keystone_answers_version_document_at_auth_url(self):
        resp = requests.get(self.keystone.auth_url, timeout=30)
        self.assertEqual(200, resp.status_code)
        self.assertEqual('stable', resp.json()['version']['status'])
        self.assertTrue(self.keystone.auth_url.startswith('http://127.0.0.1:'))

    def test_every_user_gets_a_token_scoped_to_its_project(self):
        self.assertEqual(set(EXPECTED_ROLES), set(self.keystone.users))
        service_token = self.keystone.token_for('glance', cached=True)
        for name, user in self.keystone.users.items():
            token = self.keystone.token_for(name)
            self.assertTrue(token)
            resp = self.validate(token, service_token)
            self.assertEqual(200, resp.status_code, name)
            body = resp.json()['token']
            self.assertEqual(user.user_id, body['user']['id'])
            self.assertEqual(name, body['user']['name'])
            self.assertEqual(user.project_id, body['project']['id'])
            self.assertEqual(user.project_name, body['project']['name'])
            self.assertEqual(EXPECTED_ROLES[name],
                             {r['name'] for r in body['roles']}, name)

    def test_projects_match_an_rdo_controller(self):
        users = self.keystone.users
        self.assertEqual('service', users['glance'].project_name)
        self.assertEqual(users['demo'].project_id,
                         users['demo_reader'].project_id)
        self.assertNotEqual(users['demo'].project_id,
                            users['alt_demo'].project_id)
        self.assertEqual(
            {'admin', 'service', 'demo', 'alt_demo'},
            {u.project_name for u in users.values()})
        self.assertEqual(
            {'admin', 'service', 'demo', 'alt_demo'},
            set(self.keystone.project_ids))

    def test_unknown_token_is_not_found_and_missing_auth_is_401(self):
        resp = self.validate('not-a-real-token')
        self.assertIn(resp.status_code, (401, 404))
        resp = requests.get(
            self.keystone.auth_url + '/auth/tokens', timeout=30,
            headers={'X-Subject-Token': self.keystone.token_for('demo')})
        self.assertEqual(401, resp.status_code)

    def test_wrong_password_is_refused_with_401(self):
        body = keystone_fixture._password_auth('demo', 'wrong', 'demo')
        resp = requests.post(self.keystone.auth_url + '/auth/tokens',
                             json=body, timeout=30)
        self.assertEqual(401, resp.status_code)
        self.assertNotIn('X-Subject-Token', resp.headers)

    def test_cached_token_is_reused_and_fresh_one_is_new(self):
        first = self.keystone.token_for('demo_reader', cached=True)
        self.assertEqual(first,
                         self.keystone.token_for('demo_reader', cached=True))
        self.assertNotEqual(first, self.keystone.token_for('demo_reader'))
        self.assertEqual(200, self.validate(first).status_code)

    def test_revoked_token_no_longer_validates(self):
        token = self.keystone.token_for('alt_demo')
        self.assertEqual(200, self.validate(token).status_code)
        resp = requests.delete(
            self.keystone.auth_url + '/auth/tokens', timeout=30,
            headers={'X-Auth-Token': token, 'X-Subject-Token': token})
        self.assertEqual(204, resp.status_code)
        self.assertEqual(404, self.validate(token).status_code)


class TestKeystoneCatalog(KeystoneTestCase):

    def catalog_urls(self, service_type):
        resp = requests.get(
            self.keystone.auth_url + '/auth/catalog', timeout=30,
            headers={'X-Auth-Token': self.keystone.token_for('demo')})
        self.assertEqual(200, resp.status_code)
        return {(e['interface'], e['region_id'], e['url'])
                for s in resp.json()['catalog'] if s['type'] == service_type
                for e in s['endpoints']}

    def test_keystoneauth_session_finds_project_and_image_endpoint(self):
        auth = loading.get_plugin_loader('password').load_from_options(
            **self.keystone.credentials('demo'))
        sess = session.Session(auth=auth)
        self.assertEqual(self.keystone.users['demo'].project_id,
                         sess.get_project_id())
        for interface in ('public', 'internal', 'admin'):
            self.assertEqual(
                self.keystone.image_url,
                sess.get_endpoint(service_type='image', interface=interface,
                                  region_name='RegionOne'))

    def test_identity_endpoints_are_keystones_own_url(self):
        url = self.keystone.base_url
        self.assertEqual(
            {('public', 'RegionOne', url), ('internal', 'RegionOne', url),
             ('admin', 'RegionOne', url)},
            self.catalog_urls('identity'))

    def test_image_endpoints_follow_set_image_url(self):
        previous = self.keystone.image_url
        self.addCleanup(self.keystone.set_image_url, previous)
        self.keystone.set_image_url('http://127.0.0.1:19292')
        self.assertEqual(
            {(i, 'RegionOne', 'http://127.0.0.1:19292')
             for i in ('public', 'internal', 'admin')},
            self.catalog_urls('image'))


class TestAuthTokenMiddleware(KeystoneTestCase):
    """keystonemiddleware.auth_token with our [keystone_authtoken]."""

    def setUp(self):
        super().setUp()
        conf_path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'glance-api.conf')
        with open(conf_path, 'w') as f:
            f.write('[keystone_authtoken]\n')
            for key, value in self.keystone.authtoken_conf.items():
                f.write('%s = %s\n' % (key, value))
        conf = cfg.ConfigOpts()
        conf(['--config-file', conf_path], project='glance')
        self.addCleanup(conf.reset)
        self.app = auth_token.AuthProtocol(identity_echo_app,
                                           {'oslo_config_config': conf})

    def call(self, token=None):
        req = webob.Request.blank('/v2/images')
        if token is not None:
            req.headers['X-Auth-Token'] = token
        return req.get_response(self.app)

    def test_authtoken_conf_has_the_settings_glance_needs(self):
        conf = self.keystone.authtoken_conf
        self.assertEqual({
            'www_authenticate_uri': self.keystone.base_url,
            'auth_url': self.keystone.base_url,
            'auth_type': 'password',
            'username': 'glance',
            'password': self.keystone.users['glance'].password,
            'project_name': 'service',
            'user_domain_name': 'Default',
            'project_domain_name': 'Default',
        }, conf)
        self.assertNotIn('memcached_servers', conf)

    def test_valid_token_reaches_app_with_project_and_roles(self):
        for name in ('demo', 'alt_demo', 'demo_reader'):
            user = self.keystone.users[name]
            resp = self.call(self.keystone.token_for(name))
            self.assertEqual(200, resp.status_int, resp.text)
            seen = resp.json
            self.assertEqual('Confirmed', seen['HTTP_X_IDENTITY_STATUS'])
            self.assertEqual(user.user_id, seen['HTTP_X_USER_ID'])
            self.assertEqual(user.project_id, seen['HTTP_X_PROJECT_ID'])
            self.assertEqual(user.project_name, seen['HTTP_X_PROJECT_NAME'])
            self.assertEqual(EXPECTED_ROLES[name],
                             set(seen['HTTP_X_ROLES'].split(',')))

    def test_admin_token_carries_admin_role(self):
        resp = self.call(self.keystone.token_for('admin'))
        self.assertEqual(200, resp.status_int, resp.text)
        self.assertIn('admin', resp.json['HTTP_X_ROLES'].split(','))
        self.assertEqual(self.keystone.users['admin'].project_id,
                         resp.json['HTTP_X_PROJECT_ID'])

    def test_bad_token_is_401_with_www_authenticate(self):
        resp = self.call('this-is-not-a-token')
        self.assertEqual(401, resp.status_int)
        self.assertEqual('Keystone uri="%s"' % self.keystone.base_url,
                         resp.headers['WWW-Authenticate'])
        self.assertNotIn('HTTP_X_IDENTITY_STATUS', resp.text)

    def test_missing_token_is_401_with_www_authenticate(self):
        resp = self.call()
        self.assertEqual(401, resp.status_int)
        self.assertEqual('Keystone uri="%s"' % self.keystone.base_url,
                         resp.headers['WWW-Authenticate'])

    def test_paste_style_local_conf_works_too(self):
        # What a paste [filter:authtoken] section with the options inline
        # gives auth_token.filter_factory.
        app = auth_token.filter_factory(
            {}, **self.keystone.authtoken_conf)(identity_echo_app)
        req = webob.Request.blank('/v1/images')
        req.headers['X-Auth-Token'] = self.keystone.token_for('demo')
        resp = req.get_response(app)
        self.assertEqual(200, resp.status_int, resp.text)
        self.assertEqual(self.keystone.users['demo'].project_id,
                         resp.json['HTTP_X_PROJECT_ID'])
