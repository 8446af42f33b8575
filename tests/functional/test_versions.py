"""Version negotiation, /healthcheck and the noauth identity of glance-api,
against real daemons."""

import json

from tests.functional import base

# With import (on by default) and without the cache (its versions are
# listed only with a caching pipeline).
EXPECTED_IDS = ['v2.17', 'v2.15', 'v2.13', 'v2.12', 'v2.11', 'v2.10', 'v2.9',
                'v2.8', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1',
                'v2.0']


class VersionsTestCase(base.ServerTestCase):

    # The v2-only list; with v1 on (the default) see test_v1_images.
    api_overrides = {'DEFAULT': {'enable_v1_api': False}}

    def assertVersionList(self, body):
        versions = body['versions']
        self.assertEqual(EXPECTED_IDS, [v['id'] for v in versions])
        self.assertEqual(['CURRENT'] + ['SUPPORTED'] * (len(EXPECTED_IDS) - 1),
                         [v['status'] for v in versions])
        for version in versions:
            self.assertEqual([{'rel': 'self',
                               'href': self.api.url + '/v2/'}],
                             version['links'])

    def test_root_answers_300_with_the_version_list(self):
        status, headers, body = self.request_json('GET', '/')
        self.assertEqual(300, status)
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertVersionList(body)

    def test_versions_answers_200_with_the_version_list(self):
        # Upstream: an explicit GET /versions is 200, the root is 300.
        status, _, body = self.request_json('GET', '/versions')
        self.assertEqual(200, status)
        self.assertVersionList(body)

    def test_unknown_version_answers_300_not_500(self):
        for path in ('/v3/images', '/v1/images', '/v2.99/images', '/images',
                     '/nonsense'):
            status, _, body = self.request_json('GET', path)
            self.assertEqual(300, status, path)
            self.assertVersionList(body)

    def test_version_links_use_the_request_host(self):
        status, _, body = self.request_json(
            'GET', '/', headers={'Host': 'glance.example.org:9292'})
        self.assertEqual(300, status)
        self.assertEqual('http://glance.example.org:9292/v2/',
                         body['versions'][0]['links'][0]['href'])

    def test_minor_versions_route_to_v2(self):
        for prefix in ('/v2', '/v2.0', '/v2.1', '/v2.7', '/v2.17'):
            status, _, body = self.request_json('GET', prefix + '/images')
            self.assertEqual(200, status, prefix)
            self.assertIn('images', body)

    def test_healthcheck_answers_ok(self):
        status, _, body = self.request('GET', '/healthcheck')
        self.assertEqual(200, status)
        # One line per backend (disable_by_file, registry, stores).
        self.assertEqual({b'OK'}, set(body.split()))


class NoAuthIdentityTestCase(base.ServerTestCase):
    """The noauth flavor: admin of noauth_project_id, or the identity the
    request names in headers."""

    api_overrides = {'DEFAULT': {'noauth_project_id': 'lab-project'},
                     'paste_deploy': {'flavor': 'noauth'}}

    def create(self, headers=None):
        status, _, image = self.request_json('POST', '/v2/images', {},
                                             headers)
        self.assertEqual(201, status, image)
        return image

    def test_request_without_identity_acts_for_noauth_project(self):
        self.assertEqual('lab-project', self.create()['owner'])

    def test_request_without_identity_is_admin(self):
        status, _, image = self.request_json('POST', '/v2/images',
                                             {'visibility': 'public'})
        self.assertEqual(201, status, image)

    def test_project_header_names_the_owner(self):
        self.assertEqual('p1', self.create({'X-Project-Id': 'p1',
                                            'X-Roles': 'member'})['owner'])
        self.assertEqual('p2', self.create({'X-Tenant-Id': 'p2',
                                            'X-Roles': 'member'})['owner'])

    def test_identity_without_roles_may_not_create(self):
        status, _, body = self.request_json('POST', '/v2/images', {},
                                            {'X-Project-Id': 'p1'})
        self.assertEqual(403, status, body)

    def test_admin_role_from_header_makes_an_admin(self):
        status, _, body = self.request_json(
            'POST', '/v2/images', {'visibility': 'public'},
            {'X-Project-Id': 'p1', 'X-Roles': 'member'})
        self.assertEqual(403, status, body)
        status, _, body = self.request_json(
            'POST', '/v2/images', {'visibility': 'public'},
            {'X-Project-Id': 'p1', 'X-Roles': 'member,admin'})
        self.assertEqual(201, status, body)
        self.assertEqual('p1', body['owner'])

    def test_other_project_does_not_see_private_images(self):
        image = self.create()
        status, _, body = self.request_json(
            'GET', '/v2/images/%s' % image['id'],
            headers={'X-Project-Id': 'p9', 'X-Roles': 'member'})
        self.assertEqual(404, status, body)


class KeystoneFlavorTestCase(base.ServerTestCase):
    """The keystone pipeline loads; without a token nothing is served."""

    api_overrides = {'paste_deploy': {'flavor': 'keystone'},
                     'keystone_authtoken': {
                         'www_authenticate_uri': 'http://127.0.0.1:1/',
                         'auth_url': 'http://127.0.0.1:1/',
                         'delay_auth_decision': 'true'}}

    def test_request_without_token_is_401(self):
        status, _, body = self.request('GET', '/v2/images')
        self.assertEqual(401, status, body)
        json.loads(body)

    def test_healthcheck_needs_no_token(self):
        status, _, body = self.request('GET', '/healthcheck')
        self.assertEqual(200, status)
