"""The real legacy glance CLI (python-glanceclient 2.x, the last release
line speaking the Image API v1) against real glance-registry and glance-api.

The client lives in its own virtualenv, made by
tools/install-legacy-glanceclient so its old pins never touch .venv.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile

from tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INSTALLER = os.path.join(ROOT, 'tools', 'install-legacy-glanceclient')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}')


def table(output):
    """``{first column: second column}`` of a prettytable."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) >= 2 and not line.startswith('+'):
            rows[cells[0]] = cells[1]
    return rows


class TestLegacyGlanceClientV1(base.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        installed = subprocess.run([INSTALLER], capture_output=True,
                                   text=True, timeout=600)
        # tools/install-env installs it; this call is a no-op then. A
        # missing client is a failure, never a skip.
        if installed.returncode != 0:
            raise RuntimeError(
                'python-glanceclient<3.0 could not be installed: %s'
                % installed.stderr[-500:])
        cls.glance_cli = installed.stdout.strip().splitlines()[-1]
        super().setUpClass()

    def glance(self, *args, expect_ok=True):
        env = dict(os.environ, OS_AUTH_TOKEN='x', OS_IMAGE_URL=self.api.url)
        for name in ('OS_AUTH_URL', 'OS_USERNAME', 'OS_PASSWORD',
                     'OS_PROJECT_NAME', 'OS_CLOUD'):
            env.pop(name, None)
        # The CLI reads image data from a stdin that is not a terminal, as
        # when a person pipes a file into it: give it a terminal.
        terminal, stdin = os.openpty()
        try:
            done = subprocess.run(
                [self.glance_cli, '--os-image-api-version', '1'] + list(args),
                stdin=stdin, capture_output=True, text=True, env=env,
                timeout=120)
        finally:
            os.close(stdin)
            os.close(terminal)
        if expect_ok:
            self.assertEqual(0, done.returncode,
                             'glance %s: %s%s' % (' '.join(args),
                                                  done.stdout, done.stderr))
        return done.stdout

    def test_create_list_show_download_share_and_delete(self):
        folder = tempfile.mkdtemp(prefix='glance-legacy-cli-')
        self.addCleanup(shutil.rmtree, folder, True)
        source = os.path.join(folder, 'image.raw')
        data = os.urandom(256 * 1024)
        with open(source, 'wb') as f:
            f.write(data)

        created = table(self.glance(
            'image-create', '--name', 'legacy-cli', '--disk-format', 'raw',
            '--container-format', 'bare', '--property', 'distro=cirros',
            '--file', source))
        image_id = created['id']
        self.assertEqual('active', created['status'])
        self.assertEqual(str(len(data)), created['size'])
        self.assertEqual(hashlib.md5(data).hexdigest(), created['checksum'])
        self.assertEqual('cirros', created["Property 'distro'"])

        listed = self.glance('image-list')
        self.assertIn(image_id, UUID.findall(listed))
        self.assertIn('legacy-cli', listed)

        shown = table(self.glance('image-show', image_id))
        self.assertEqual('legacy-cli', shown['name'])
        self.assertEqual('active', shown['status'])
        self.assertEqual('cirros', shown["Property 'distro'"])

        target = os.path.join(folder, 'downloaded.raw')
        self.glance('image-download', '--file', target, image_id)
        with open(target, 'rb') as f:
            self.assertEqual(data, f.read())

        self.glance('member-create', '--can-share', image_id, 'tenant-cli')
        members = self.glance('member-list', '--image-id', image_id)
        self.assertIn('tenant-cli', members)
        status, _, body = self.request_json(
            'GET', '/v1/images/%s/members' % image_id)
        self.assertEqual([{'member_id': 'tenant-cli', 'can_share': True}],
                         body['members'])

        updated = table(self.glance('image-update', '--name', 'renamed',
                                    '--property', 'os_distro=debian',
                                    image_id))
        self.assertEqual('renamed', updated['name'])
        self.assertEqual('debian', updated["Property 'os_distro'"])
        # The same image through v2.
        status, _, v2 = self.request_json('GET', '/v2/images/' + image_id)
        self.assertEqual(('renamed', 'debian', 'cirros'),
                         (v2['name'], v2['os_distro'], v2['distro']))

        self.glance('image-delete', image_id)
        self.assertNotIn(image_id, self.glance('image-list'))
        status, _, _ = self.request('HEAD', '/v1/images/' + image_id)
        self.assertEqual(404, status)

    def test_reserve_then_upload_with_image_update(self):
        folder = tempfile.mkdtemp(prefix='glance-legacy-cli-')
        self.addCleanup(shutil.rmtree, folder, True)
        source = os.path.join(folder, 'later.raw')
        with open(source, 'wb') as f:
            f.write(b'uploaded later' * 100)
        created = table(self.glance('image-create', '--name', 'reserved',
                                    '--disk-format', 'raw',
                                    '--container-format', 'bare'))
        self.assertEqual('queued', created['status'])
        updated = table(self.glance('image-update', '--file', source,
                                    created['id']))
        self.assertEqual('active', updated['status'])
        self.assertEqual('1400', updated['size'])
