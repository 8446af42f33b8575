"""The real ``openstack`` CLI (python-openstackclient) against glance-api's
noauth flavor: ``openstack --os-auth-type none --os-endpoint URL image ...``.
"""

import json
import os
import sys

from tests.functional import base

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
GLANCE = os.path.join(os.path.dirname(sys.executable), 'glance')


class OpenStackCLITestCase(base.ServerTestCase):

    def openstack(self, *args, expect_json=False):
        cmd = [OPENSTACK, '--os-auth-type', 'none',
               '--os-endpoint', self.api.url] + list(args)
        if expect_json:
            cmd += ['-f', 'json']
        result = self.run_cli(cmd)
        return json.loads(result.stdout) if expect_json else result.stdout

    def test_image_create_list_show_set_save_delete(self):
        data = os.urandom(3 * 1024 * 1024 + 17)
        source = os.path.join(self.root, 'source.qcow2')
        with open(source, 'wb') as f:
            f.write(data)

        created = self.openstack(
            'image', 'create', '--file', source, '--disk-format', 'raw',
            '--container-format', 'bare', 'cli-image', expect_json=True)
        image_id = created['id']
        self.assertEqual('active', created['status'])
        self.assertEqual(len(data), created['size'])

        listed = self.openstack('image', 'list', expect_json=True)
        self.assertIn((image_id, 'cli-image', 'active'),
                      [(i['ID'], i['Name'], i['Status']) for i in listed])

        shown = self.openstack('image', 'show', image_id, expect_json=True)
        self.assertEqual('raw', shown['disk_format'])
        self.assertEqual('bare', shown['container_format'])

        self.openstack('image', 'set', '--property', 'color=blue', image_id)
        shown = self.openstack('image', 'show', image_id, expect_json=True)
        self.assertEqual('blue', shown['properties']['color'])

        target = os.path.join(self.root, 'saved.qcow2')
        self.openstack('image', 'save', '--file', target, image_id)
        with open(target, 'rb') as f:
            self.assertEqual(data, f.read())

        self.openstack('image', 'delete', image_id)
        listed = self.openstack('image', 'list', expect_json=True)
        self.assertNotIn(image_id, [i['ID'] for i in listed])
        status, _, _ = self.request('GET', '/v2/images/%s' % image_id)
        self.assertEqual(404, status)


class GlanceCLITestCase(base.ServerTestCase):
    """The current ``glance`` CLI with the README's no-auth environment:
    OS_IMAGE_URL and any OS_AUTH_TOKEN, OS_AUTH_TYPE unset."""

    def glance(self, *args):
        return self.run_cli(
            [GLANCE] + list(args),
            env={'OS_IMAGE_URL': self.api.url,
                 'OS_AUTH_TOKEN': 'noauth'}).stdout

    @staticmethod
    def fields(table):
        """{Property: Value} of glanceclient's two-column table."""
        rows = {}
        for line in table.splitlines():
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if line.startswith('|') and len(cells) == 2:
                rows[cells[0]] = cells[1]
        return rows

    def test_create_list_download_delete(self):
        data = os.urandom(2 * 1024 * 1024 + 5)
        source = os.path.join(self.root, 'glance-source.img')
        with open(source, 'wb') as f:
            f.write(data)
        created = self.fields(self.glance(
            'image-create', '--name', 'glance-cli', '--disk-format', 'raw',
            '--container-format', 'bare', '--file', source))
        image_id = created['id']
        self.assertEqual('active', created['status'])
        self.assertIn(image_id, self.glance('image-list'))
        target = os.path.join(self.root, 'glance-copy.img')
        self.glance('image-download', '--file', target, image_id)
        with open(target, 'rb') as f:
            self.assertEqual(data, f.read())
        self.glance('image-delete', image_id)
        self.assertNotIn(image_id, self.glance('image-list'))
