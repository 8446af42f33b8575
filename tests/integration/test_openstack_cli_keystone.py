"""The seed walkthrough with the real ``openstack`` CLI, password auth
against the real Keystone, as non-admin users: glance-api is found through
the catalog's ``image`` endpoint, and projects stay apart."""

import hashlib
import json
import os
import sys

from tests.integration import keystone_base

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class OpenStackCLIPasswordAuthTestCase(keystone_base.KeystoneServerTestCase):

    def openstack(self, user, *args, expect_json=False, expected=0):
        cmd = [OPENSTACK] + list(args)
        if expect_json:
            cmd += ['-f', 'json']
        result = self.run_cli(cmd, expected,
                              env=self.keystone.os_environ(user))
        if expect_json:
            return json.loads(result.stdout)
        return result.stdout + result.stderr

    def ids(self, user):
        return {i['ID'] for i in self.openstack(user, 'image', 'list',
                                                expect_json=True)}

    def test_walkthrough_as_non_admin_users(self):
        data = os.urandom(1024 * 1024 + 7)
        source = os.path.join(self.root, 'cirros.qcow2')
        with open(source, 'wb') as f:
            f.write(data)
        demo_project = self.project_ids['demo']

        # create --private as demo: owned by demo's project
        created = self.openstack(
            'demo', 'image', 'create', '--private', '--file', source,
            '--disk-format', 'raw', '--container-format', 'bare',
            'demo-cirros', expect_json=True)
        image_id = created['id']
        self.assertEqual(('active', 'private', demo_project),
                         (created['status'], created['visibility'],
                          created['owner']))
        self.assertEqual(hashlib.md5(data).hexdigest(), created['checksum'])

        # an image of another project, and a public one from the admin
        other_id = self.openstack(
            'alt_demo', 'image', 'create', '--private', 'alt-private',
            expect_json=True)['id']
        public_id = self.openstack(
            'admin', 'image', 'create', '--public', 'admin-public',
            expect_json=True)['id']

        # list shows only own and public images
        listed = self.ids('demo')
        self.assertIn(image_id, listed)
        self.assertIn(public_id, listed)
        self.assertNotIn(other_id, listed)
        for image_ref in listed:
            shown = self.openstack('demo', 'image', 'show', image_ref,
                                   expect_json=True)
            self.assertTrue(shown['owner'] == demo_project or
                            shown['visibility'] == 'public', shown)

        # another project cannot see it, by id or by name
        self.assertNotIn(image_id, self.ids('alt_demo'))
        out = self.openstack('alt_demo', 'image', 'show', image_id,
                             expected=1)
        self.assertIn('No Image found', out)
        self.assertNotIn('demo-cirros', out)
        self.openstack('alt_demo', 'image', 'show', 'demo-cirros',
                       expected=1)
        self.openstack('alt_demo', 'image', 'delete', image_id, expected=1)

        # a non-admin cannot publicize; the owner can change and save it
        out = self.openstack('demo', 'image', 'set', '--public', image_id,
                             expected=1)
        self.assertIn('403', out)
        self.openstack('demo', 'image', 'set', '--property',
                       'os_distro=cirros', image_id)
        shown = self.openstack('demo', 'image', 'show', 'demo-cirros',
                               expect_json=True)
        self.assertEqual('cirros', shown['properties']['os_distro'])
        self.assertEqual('private', shown['visibility'])
        copy = os.path.join(self.root, 'cirros-copy.qcow2')
        self.openstack('demo', 'image', 'save', '--file', copy, image_id)
        with open(copy, 'rb') as f:
            self.assertEqual(data, f.read())

        # the reader of demo's project sees it too; delete
        self.assertIn(image_id, self.ids('demo_reader'))
        self.openstack('demo', 'image', 'delete', image_id)
        self.assertNotIn(image_id, self.ids('demo'))
        for user, ref in (('alt_demo', other_id), ('admin', public_id)):
            self.openstack(user, 'image', 'delete', ref)
