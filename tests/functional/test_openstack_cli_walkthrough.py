"""A walk through the image commands of the real ``openstack`` CLI against
real glance-registry and glance-api processes.

With noauth the CLI acts as the administrator. ``image add project`` /
``image remove project`` first look the project up in Keystone (the CLI
then asks glance-api for /v2/tenants/<id> and stops at its 404), so the
sharing steps go over raw HTTP with identity headers, as does the other
project's side; ``image member list`` is the CLI's.
"""

import hashlib
import json
import os
import sys

from tests.functional import base

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
OTHER = {'X-Project-Id': 'other-project', 'X-User-Id': 'other-user',
         'X-Roles': 'member'}


class OpenStackCLIWalkthroughTestCase(base.ServerTestCase):

    def openstack(self, *args, expect_json=False, expected=0):
        cmd = [OPENSTACK, '--os-auth-type', 'none',
               '--os-endpoint', self.api.url] + list(args)
        if expect_json:
            cmd += ['-f', 'json']
        result = self.run_cli(cmd, expected)
        return json.loads(result.stdout) if expect_json else result.stdout

    def show(self, image_id):
        return self.openstack('image', 'show', image_id, expect_json=True)

    def ids(self, *args):
        return [i['ID'] for i in self.openstack('image', 'list', *args,
                                                expect_json=True)]

    def test_walkthrough(self):
        data = os.urandom(2 * 1024 * 1024 + 5)
        source = os.path.join(self.root, 'cirros.qcow2')
        with open(source, 'wb') as f:
            f.write(data)

        # create
        created = self.openstack(
            'image', 'create', '--file', source, '--disk-format', 'raw',
            '--container-format', 'bare', '--public',
            '--property', 'os_distro=cirros',
            '--property', 'architecture=x86_64', 'walk-cirros',
            expect_json=True)
        image_id = created['id']
        self.assertEqual('active', created['status'])
        self.assertEqual('public', created['visibility'])
        self.assertEqual(hashlib.md5(data).hexdigest(), created['checksum'])

        # list, list --name, show
        self.assertIn(image_id, self.ids())
        self.assertEqual([image_id], self.ids('--name', 'walk-cirros'))
        shown = self.show(image_id)
        self.assertEqual('cirros', shown['properties']['os_distro'])
        self.assertEqual('x86_64', shown['properties']['architecture'])
        self.assertEqual(len(data), shown['size'])

        # set / unset
        self.openstack('image', 'set', '--min-disk', '5', '--min-ram',
                       '512', '--property', 'hw_disk_bus=scsi', image_id)
        shown = self.show(image_id)
        self.assertEqual((5, 512, 'scsi'),
                         (shown['min_disk'], shown['min_ram'],
                          shown['properties']['hw_disk_bus']))
        self.openstack('image', 'unset', '--property', 'hw_disk_bus',
                       image_id)
        self.assertNotIn('hw_disk_bus', self.show(image_id)['properties'])
        self.assertEqual('cirros', self.show(image_id)['properties'][
            'os_distro'])

        # tags
        self.openstack('image', 'set', '--tag', 'walk-tag', image_id)
        self.assertIn('walk-tag', self.show(image_id)['tags'])
        self.assertEqual([image_id], self.ids('--tag', 'walk-tag'))
        self.assertIn(image_id, self.ids('--property', 'os_distro=cirros'))
        self.assertNotIn(image_id, self.ids('--property', 'os_distro=other'))
        self.openstack('image', 'unset', '--tag', 'walk-tag', image_id)
        self.assertEqual([], self.show(image_id)['tags'])
        self.assertEqual([], self.ids('--tag', 'walk-tag'))

        # deactivate / reactivate
        self.openstack('image', 'set', '--deactivate', image_id)
        self.assertEqual('deactivated', self.show(image_id)['status'])
        status, _, _ = self.request('GET', '/v2/images/%s/file' % image_id,
                                    headers=dict(OTHER))
        self.assertEqual(403, status)
        self.openstack('image', 'set', '--activate', image_id)
        self.assertEqual('active', self.show(image_id)['status'])

        # sharing: add project, the other project accepts, remove project
        shared = self.openstack('image', 'create', '--shared',
                                '--disk-format', 'raw',
                                '--container-format', 'bare', 'walk-shared',
                                expect_json=True)
        status, _, body = self.request_json(
            'POST', '/v2/images/%s/members' % shared['id'],
            {'member': 'other-project'})
        self.assertEqual(200, status, body)
        members = self.openstack('image', 'member', 'list', shared['id'],
                                 expect_json=True)
        self.assertEqual([('other-project', 'pending')],
                         [(m['Member ID'], m['Status']) for m in members])
        status, _, body = self.request_json(
            'PUT', '/v2/images/%s/members/other-project' % shared['id'],
            {'status': 'accepted'}, dict(OTHER))
        self.assertEqual(200, status, body)
        members = self.openstack('image', 'member', 'list', shared['id'],
                                 expect_json=True)
        self.assertEqual([('other-project', 'accepted')],
                         [(m['Member ID'], m['Status']) for m in members])
        _, _, listed = self.request_json('GET', '/v2/images',
                                         headers=dict(OTHER))
        self.assertIn(shared['id'], [i['id'] for i in listed['images']])
        status, _, _ = self.request(
            'DELETE', '/v2/images/%s/members/other-project' % shared['id'])
        self.assertEqual(204, status)
        self.assertEqual([], self.openstack('image', 'member', 'list',
                                            shared['id'], expect_json=True))
        status, _, _ = self.request('GET', '/v2/images/%s' % shared['id'],
                                    headers=dict(OTHER))
        self.assertEqual(404, status)

        # save and compare
        target = os.path.join(self.root, 'saved.qcow2')
        self.openstack('image', 'save', '--file', target, image_id)
        with open(target, 'rb') as f:
            saved = f.read()
        self.assertEqual(hashlib.md5(data).hexdigest(),
                         hashlib.md5(saved).hexdigest())

        # delete
        self.openstack('image', 'delete', image_id, shared['id'])
        self.assertNotIn(image_id, self.ids())
        status, _, _ = self.request('GET', '/v2/images/%s' % image_id)
        self.assertEqual(404, status)
