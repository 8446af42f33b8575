"""The production pipelines in the keystone flavor on a real Keystone:
CADF audit events naming the token's user and the catalog's image
service, version discovery and health without a token, health details
for an admin token only."""

import json

from tests.integration import keystone_base


class KeystoneProductionTestCase(keystone_base.KeystoneServerTestCase):

    api_overrides = {
        'audit': {'enabled': True},
        'audit_middleware_notifications': {'driver': 'log'},
    }

    def events(self):
        """Payloads of the audit.http.response events in api.log."""
        found = []
        for line in self.api.log_text(tail=10 ** 7).splitlines():
            if 'audit.http.response' in line:
                payload = json.loads(line[line.index('{'):])
                found.append(payload.get('payload', payload))
        return found

    def test_audit_names_user_project_action_and_target(self):
        image = self.create_image('demo')
        path = '/v2/images/%s' % image['id']
        status, _, _ = self.call('demo', 'PUT', path + '/file', b'bytes',
                                 {'Content-Type': 'application/octet-stream'})
        self.assertEqual(204, status)
        status, _, _ = self.call('alt_demo', 'DELETE', path)
        self.assertEqual(404, status)
        demo = self.keystone.users['demo']
        by_action = {}
        for event in self.events():
            if event['requestPath'].startswith(path):
                by_action.setdefault(event['action'], []).append(event)
        upload, = by_action['update/upload']
        self.assertEqual('success', upload['outcome'])
        self.assertEqual(demo.user_id, upload['initiator']['id'])
        self.assertEqual(demo.project_id, upload['initiator']['project_id'])
        self.assertEqual('service/storage/image/images/image/file',
                         upload['target']['typeURI'])
        refused, = by_action['delete']
        self.assertEqual('failure', refused['outcome'])
        self.assertEqual('404', refused['reason']['reasonCode'])

    def test_versions_and_health_need_no_token(self):
        for server, path, expected in ((self.api, '/', 300),
                                       (self.api, '/versions', 200),
                                       (self.registry, '/versions', 200),
                                       (self.api, '/healthcheck', 200),
                                       (self.registry, '/healthcheck', 200)):
            status, _, body = self.call(None, 'GET', path, server=server)
            self.assertEqual(expected, status, (path, body))
        status, _, _ = self.call(None, 'GET', '/v2/images')
        self.assertEqual(401, status)

    def test_health_details_for_an_admin_token_only(self):
        accept = {'Accept': 'application/json'}
        _, _, body = self.call('demo', 'GET', '/healthcheck', headers=accept)
        self.assertFalse(body['detailed'])
        _, _, body = self.call('admin', 'GET', '/healthcheck', headers=accept)
        self.assertTrue(body['detailed'])
        self.assertIn('registry answers',
                      [r['details'] for r in body['reasons']])
