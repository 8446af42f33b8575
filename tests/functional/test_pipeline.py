"""The shipped paste pipelines against real daemons: CORS, proxy headers,
the body size limit, audit events in the log, and version discovery
without a token under the keystone flavor."""

import json
import re

from tests.functional import base

HORIZON = 'https://horizon.example.com'


class CorsProxySizeLimitTestCase(base.ServerTestCase):

    api_overrides = {
        'cors': {'allowed_origin': HORIZON, 'max_age': 600},
        'oslo_middleware': {'enable_proxy_headers_parsing': True,
                            'max_request_body_size': 4096},
    }
    registry_overrides = {
        'oslo_middleware': {'max_request_body_size': 4096},
    }

    def test_cors_preflight_from_the_allowed_origin(self):
        status, headers, _ = self.request('OPTIONS', '/v2/images', headers={
            'Origin': HORIZON,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'X-Auth-Token, Content-Type'})
        self.assertEqual(200, status)
        self.assertEqual(HORIZON, headers['Access-Control-Allow-Origin'])
        self.assertIn('POST', headers['Access-Control-Allow-Methods'])
        self.assertIn('X-Auth-Token', headers['Access-Control-Allow-Headers'])
        self.assertEqual('600', headers['Access-Control-Max-Age'])

    def test_cors_actual_request_from_the_allowed_origin(self):
        status, headers, _ = self.request('GET', '/v2/images',
                                          headers={'Origin': HORIZON})
        self.assertEqual(200, status)
        self.assertEqual(HORIZON, headers['Access-Control-Allow-Origin'])
        self.assertIn('X-OpenStack-Request-ID',
                      headers['Access-Control-Expose-Headers'])

    def test_cors_refuses_another_origin(self):
        evil = 'https://evil.example.com'
        status, headers, _ = self.request('OPTIONS', '/v2/images', headers={
            'Origin': evil, 'Access-Control-Request-Method': 'POST'})
        self.assertNotIn('Access-Control-Allow-Origin', headers)
        status, headers, _ = self.request('GET', '/v2/images',
                                          headers={'Origin': evil})
        self.assertEqual(200, status)
        self.assertNotIn('Access-Control-Allow-Origin', headers)

    def test_links_follow_the_proxy_scheme_and_host(self):
        status, _, body = self.request_json('GET', '/versions', headers={
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'image.example.com'})
        self.assertEqual(200, status)
        hrefs = [link['href'] for version in body['versions']
                 for link in version['links']]
        self.assertTrue(hrefs)
        for href in hrefs:
            self.assertTrue(href.startswith('https://image.example.com/'),
                            href)

    def test_json_body_over_the_limit_is_413(self):
        image = {'name': 'x' * 200, 'disk_format': 'raw',
                 'container_format': 'bare'}
        image.update(('p%d' % i, 'v' * 100) for i in range(50))
        status, _, body = self.request_json(
            'POST', '/v2/images', image,
            headers={'Accept': 'application/json'})
        self.assertEqual(413, status)
        self.assertIn('max_request_body_size (4096)', body['message'])
        status, _, _ = self.request_json('GET', '/v2/images')
        self.assertEqual(200, status)

    def post_chunked(self, name):
        import http.client
        conn = http.client.HTTPConnection('127.0.0.1', self.api.port,
                                          timeout=30)
        try:
            conn.request('POST', '/v2/images',
                         body=iter([b'{"name": "', name.encode(),
                                    b'", "disk_format": "raw", '
                                    b'"container_format": "bare"}']),
                         headers={'Content-Type': 'application/json',
                                  'Transfer-Encoding': 'chunked'},
                         encode_chunked=True)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def test_chunked_json_body_under_the_limit_is_read_whole(self):
        status, body = self.post_chunked('chunked')
        self.assertEqual(201, status, body)
        self.assertEqual('chunked', json.loads(body)['name'])

    def raw_exchange(self, request):
        """Send ``request`` bytes as they are; the bytes answered until the
        server closes the connection or 30 s pass."""
        import socket
        answer = b''
        with socket.create_connection(('127.0.0.1', self.api.port),
                                      timeout=30) as sock:
            sock.sendall(request)
            try:
                while True:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
            except socket.timeout:
                pass
        return answer

    def test_malformed_chunked_json_body_is_400_and_closes(self):
        answer = self.raw_exchange(
            b'POST /v2/images HTTP/1.1\r\nHost: x\r\n'
            b'Transfer-Encoding: chunked\r\n'
            b'Content-Type: application/json\r\n\r\n'
            b'5\r\n{"nam\r\nzz\r\nmore\r\n')
        head, _, body = answer.partition(b'\r\n\r\n')
        self.assertTrue(head.startswith(b'HTTP/1.1 400'), answer)
        self.assertIn(b'Connection: close', head)
        self.assertIn(b'chunked transfer encoding', body)

    def test_upload_to_a_path_no_image_has_is_answered_at_once(self):
        # As the fuzz tier sent it: %2f is not an image id, and the chunked
        # body announces more than it sends. The answer must not wait for
        # the rest of a body no route will read.
        answer = self.raw_exchange(
            b'PUT /v2/images/%2f/file HTTP/1.1\r\nHost: x\r\n'
            b'Transfer-Encoding: chunked\r\n'
            b'Content-Type: application/octet-stream\r\n\r\n'
            b'5\r\nabcde\r\n0x10\r\nshort\r\n')
        self.assertRegex(answer.split(b'\r\n', 1)[0],
                         rb'^HTTP/1\.1 4\d\d ')

    def test_chunked_json_body_over_the_limit_is_413(self):
        status, body = self.post_chunked('y' * 5000)
        self.assertEqual(413, status, body)

    def test_image_data_is_not_limited(self):
        status, _, image = self.request_json('POST', '/v2/images', {
            'name': 'big', 'disk_format': 'raw', 'container_format': 'bare'})
        self.assertEqual(201, status)
        data = b'd' * 100000
        status, _, _ = self.request(
            'PUT', '/v2/images/%s/file' % image['id'], data,
            {'Content-Type': 'application/octet-stream'})
        self.assertEqual(204, status)
        status, _, body = self.request('GET',
                                       '/v2/images/%s/file' % image['id'])
        self.assertEqual(data, body)

    def test_registry_limits_bodies_too(self):
        status, _, body = self.request(
            'POST', '/rpc', [{'command': 'image_get',
                              'kwargs': {'image_id': 'x' * 5000}}],
            server=self.registry)
        self.assertEqual(413, status)
        self.assertEqual('request_entity_too_large',
                         json.loads(body)['error']['code'])


class AuditTestCase(base.ServerTestCase):

    api_overrides = {
        'audit': {'enabled': True},
        'audit_middleware_notifications': {'driver': 'log'},
    }

    def catalog(self):
        """The catalog authtoken would pass on: this glance-api as the
        image service, so events name it as their target."""
        return json.dumps([{
            'type': 'image', 'name': 'glance',
            'endpoints': [{'id': 'image-endpoint', 'region': 'RegionOne',
                           'publicURL': self.api.url,
                           'internalURL': self.api.url,
                           'adminURL': self.api.url}]}])

    def audited(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        headers['X-Service-Catalog'] = self.catalog()
        return self.request(method, path, body, headers)

    def events(self):
        """(action, target typeURI, outcome, requestPath) of each
        audit.http.response event in glance-api's log."""
        found = []
        for line in self.api.log_text(tail=10 ** 7).splitlines():
            if 'audit.http.response' not in line:
                continue
            payload = json.loads(line[line.index('{'):])
            payload = payload.get('payload', payload)
            found.append((payload['action'], payload['target']['typeURI'],
                          payload['outcome'], payload['requestPath']))
        return found

    def test_audit_events_for_image_member_tag_and_data_actions(self):
        status, _, body = self.audited('POST', '/v2/images', {
            'name': 'audited', 'disk_format': 'raw',
            'container_format': 'bare'})
        self.assertEqual(201, status)
        image_id = json.loads(body)['id']
        path = '/v2/images/' + image_id
        calls = [
            ('PUT', path + '/file', b'data',
             {'Content-Type': 'application/octet-stream'}, 204),
            ('GET', path + '/file', None, None, 200),
            ('PATCH', path, b'[{"op": "add", "path": "/k", "value": "v"}]',
             {'Content-Type':
              'application/openstack-images-v2.1-json-patch'}, 200),
            ('PUT', path + '/tags/blue', None, None, 204),
            ('PATCH', path, b'[{"op": "replace", "path": "/visibility", '
                            b'"value": "shared"}]',
             {'Content-Type':
              'application/openstack-images-v2.1-json-patch'}, 200),
            ('POST', path + '/members', b'{"member": "other"}',
             {'Content-Type': 'application/json'}, 200),
            ('POST', path + '/actions/deactivate', None, None, 204),
            ('DELETE', path, None, None, 204),
        ]
        for method, url, body, headers, expected in calls:
            status, _, answer = self.audited(method, url, body, headers)
            self.assertEqual(expected, status, (method, url, answer))
        events = self.events()
        image_uri = 'service/storage/image/images/image'
        expected = [
            ('create', 'service/storage/image/images', '/v2/images'),
            ('update/upload', image_uri + '/file', path + '/file'),
            ('read/download', image_uri + '/file', path + '/file'),
            ('update', image_uri, path),
            ('update', image_uri + '/tags/tag', path + '/tags/blue'),
            ('create', image_uri + '/members', path + '/members'),
            ('update/deactivate', image_uri + '/actions/deactivate',
             path + '/actions/deactivate'),
            ('delete', image_uri, path),
        ]
        seen = {(action, uri, request_path)
                for action, uri, outcome, request_path in events
                if outcome == 'success'}
        for event in expected:
            self.assertIn(event, seen)

    def test_a_refused_request_is_audited_as_failure(self):
        status, _, _ = self.audited('DELETE', '/v2/images/'
                                    '00000000-0000-0000-0000-000000000000')
        self.assertEqual(404, status)
        self.assertIn('failure', [outcome for _, _, outcome, p in
                                  self.events()
                                  if p.endswith('0000-000000000000')])


class AuditOffTestCase(base.ServerTestCase):

    def test_no_audit_events_until_enabled(self):
        self.request('GET', '/v2/images')
        self.assertNotIn('audit.http', self.api.log_text(tail=10 ** 7))


class KeystoneVersionDiscoveryTestCase(base.ServerTestCase):
    """The keystone flavor with a Keystone nobody answers at: version
    discovery needs no token, anything else is 401."""

    # No service user: glance-api's healthcheck then calls the registry
    # without a token, and its 401 proves the registry answers.
    keystone = {'www_authenticate_uri': 'http://127.0.0.1:9/identity',
                'auth_url': 'http://127.0.0.1:9/identity'}
    api_overrides = {'paste_deploy': {'flavor': 'keystone'},
                     'keystone_authtoken': keystone}
    registry_overrides = api_overrides

    def test_api_versions_without_a_token(self):
        status, _, body = self.request_json('GET', '/')
        self.assertEqual(300, status)
        self.assertIn('versions', body)
        status, _, body = self.request_json('GET', '/versions')
        self.assertEqual(200, status)
        ids = [v['id'] for v in body['versions']]
        self.assertTrue(any(re.match(r'v2\.\d+$', i) for i in ids), ids)

    def test_api_images_need_a_token(self):
        status, headers, _ = self.request('GET', '/v2/images')
        self.assertEqual(401, status)
        headers = {k.lower(): v for k, v in headers.items()}
        self.assertIn('Keystone uri=', headers['www-authenticate'])

    def test_registry_versions_without_a_token(self):
        status, _, body = self.request_json('GET', '/versions',
                                            server=self.registry)
        self.assertEqual(200, status)
        self.assertEqual('v1.0', body['versions'][0]['id'])
        status, _, _ = self.request('GET', '/images', server=self.registry)
        self.assertEqual(401, status)

    def test_healthcheck_without_a_token_on_both_daemons(self):
        for server in (self.api, self.registry):
            status, _, body = self.request('GET', '/healthcheck',
                                           server=server)
            self.assertEqual(200, status, body)
            self.assertEqual({b'OK'}, set(body.split()))
