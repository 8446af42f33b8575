"""/healthcheck of both daemons asks what they depend on: 200 while the
registry, the stores and the database serve; 503 with the registry
stopped, with the store's directory unwritable, and under disable_by_file
(draining); details only for administrators."""

import json
import os
import subprocess

from tests.functional import base

MEMBER = {'X-Roles': 'member', 'X-Project-Id': 'p1', 'X-User-Id': 'u1'}
JSON = {'Accept': 'application/json'}


class HealthcheckTestCase(base.ServerTestCase):

    def health(self, server=None, headers=None):
        status, _, body = self.request('GET', '/healthcheck',
                                       headers=headers, server=server)
        return status, body.decode()

    def assertHealthy(self, server=None):
        status, body = self.health(server)
        self.assertEqual(200, status, body)
        # One line per backend.
        self.assertEqual({'OK'}, set(body.split()))

    def data_dir(self):
        return os.path.join(self.root, 'var', 'lib', 'glance', 'images')

    def test_api_healthy_when_registry_and_store_serve(self):
        self.assertHealthy()
        self.assertHealthy(self.registry)

    def test_details_only_for_administrators(self):
        status, body = self.health(headers=dict(JSON, **MEMBER))
        self.assertEqual(200, status)
        self.assertFalse(json.loads(body)['detailed'])
        status, body = self.health(headers=dict(JSON, **{
            'X-Roles': 'admin', 'X-Project-Id': 'p1', 'X-User-Id': 'u1'}))
        answer = json.loads(body)
        self.assertTrue(answer['detailed'])
        details = ' '.join(r['details'] for r in answer['reasons'])
        self.assertIn('registry answers', details)
        self.assertIn('stores file', details)

    def test_unwritable_store_directory_is_503(self):
        datadir = self.data_dir()
        aside = datadir + '.aside'
        locked = False
        if os.geteuid() == 0:
            # root writes through any mode bits; an immutable directory
            # refuses it where the filesystem supports the attribute.
            locked = subprocess.run(['chattr', '+i', datadir],
                                    capture_output=True).returncode == 0
        else:
            os.chmod(datadir, 0o555)
            locked = True
        if not locked:
            # No attribute support: a file where the directory was.
            os.rename(datadir, aside)
            open(datadir, 'w').close()
        try:
            status, body = self.health(headers=MEMBER)
            self.assertEqual(503, status, body)
            self.assertIn('STORE UNAVAILABLE', body)
            self.assertNotIn(datadir, body)
            status, body = self.health(headers=JSON)
            self.assertIn(datadir, body)
        finally:
            if locked and os.geteuid() == 0:
                subprocess.run(['chattr', '-i', datadir], check=True)
            elif locked:
                os.chmod(datadir, 0o755)
            else:
                os.unlink(datadir)
                os.rename(aside, datadir)
        self.assertHealthy()

    def test_disable_by_file_drains_both_daemons(self):
        marker = os.path.join(self.root, 'etc', 'glance',
                              'healthcheck_disable')
        open(marker, 'w').close()
        try:
            status, body = self.health()
            self.assertEqual(503, status)
            self.assertIn('DISABLED BY FILE', body)
            status, body = self.health(self.registry)
            self.assertEqual(503, status)
        finally:
            os.unlink(marker)
        self.assertHealthy()
        # Draining leaves the API serving.
        status, _, _ = self.request('GET', '/v2/images')
        self.assertEqual(200, status)

    def test_registry_details_name_the_database(self):
        status, body = self.health(self.registry, headers=JSON)
        self.assertEqual(200, status)
        answer = json.loads(body)
        self.assertTrue(answer['detailed'])
        self.assertIn('database answers',
                      [r['details'] for r in answer['reasons']])


class RegistryStoppedTestCase(base.ServerTestCase):

    def test_api_503_when_the_registry_is_stopped(self):
        status, _, _ = self.request('GET', '/healthcheck')
        self.assertEqual(200, status)
        self.registry.stop()
        status, _, body = self.request('GET', '/healthcheck')
        self.assertEqual(503, status)
        self.assertIn(b'REGISTRY UNAVAILABLE', body)
        self.registry.start()
        status, _, _ = self.request('GET', '/healthcheck')
        self.assertEqual(200, status)
