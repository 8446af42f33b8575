"""Import with the real CLIs against glance-api's noauth flavor: glance
image-create-via-import (glance-direct, web-download), image-stage and
image-import, copy-image with --all-stores, task-list/task-show, and
openstack image create --import."""

import os
import subprocess

from tests.functional import base
from tests.functional import test_openstack_cli
from tests.functional import test_v2_import

DATA = b'imported by a CLI ' * 4000


class ImportCLITestCase(test_v2_import.WebServerMixin,
                        test_v2_import.ImportCallsMixin,
                        base.ServerTestCase):

    @classmethod
    def api_config(cls):
        cls.fast_dir = os.path.join(cls.root, 'fast')
        cls.cheap_dir = os.path.join(cls.root, 'cheap')
        return {
            'DEFAULT': {'enabled_backends': 'fast:file, cheap:file'},
            'glance_store': {'default_backend': 'fast'},
            'fast': {'filesystem_store_datadir': cls.fast_dir},
            'cheap': {'filesystem_store_datadir': cls.cheap_dir},
            'import_filtering_opts': cls.web_filter()}

    def glance(self, *args):
        """glanceclient reads image data from any open stdin that is not
        a terminal: run it with stdin closed, as from cron."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update(OS_IMAGE_URL=self.api.url, OS_AUTH_TOKEN='noauth')
        cmd = [test_openstack_cli.GLANCE] + list(args)
        result = subprocess.run(cmd, capture_output=True, text=True,
                                env=env, timeout=120, cwd=self.root,
                                stdin=subprocess.DEVNULL,
                                preexec_fn=lambda: os.close(0))
        self.assertEqual(0, result.returncode, '%s\nstdout: %s\nstderr: %s'
                         % (' '.join(cmd), result.stdout, result.stderr))
        return result.stdout

    def openstack(self, *args):
        return self.run_cli([test_openstack_cli.OPENSTACK, '--os-auth-type',
                             'none', '--os-endpoint', self.api.url] +
                            list(args)).stdout

    def source_file(self):
        path = os.path.join(self.root, 'source.raw')
        with open(path, 'wb') as f:
            f.write(DATA)
        return path

    fields = staticmethod(test_openstack_cli.GlanceCLITestCase.fields)

    def test_glance_image_create_via_import_glance_direct(self):
        out = self.glance('image-create-via-import', '--name', 'direct',
                          '--disk-format', 'raw', '--container-format',
                          'bare', '--import-method', 'glance-direct',
                          '--file', self.source_file())
        image_id = self.fields(out)['id']
        self.wait_for(image_id, ('active',))
        self.assertEqual(DATA, self.download(image_id))

    def test_glance_image_create_via_import_web_download(self):
        url = self.web.put('cli.raw', DATA)
        out = self.glance('image-create-via-import', '--name', 'web',
                          '--disk-format', 'raw', '--container-format',
                          'bare', '--import-method', 'web-download',
                          '--uri', url)
        image_id = self.fields(out)['id']
        self.wait_for(image_id, ('active',))
        self.assertEqual(DATA, self.download(image_id))

    def test_glance_stage_import_copy_and_tasks(self):
        out = self.glance('image-create', '--name', 'staged',
                          '--disk-format', 'raw', '--container-format',
                          'bare')
        image_id = self.fields(out)['id']
        self.glance('image-stage', '--file', self.source_file(), image_id)
        self.assertEqual('uploading', self.show(image_id)['status'])
        self.glance('image-import', '--import-method', 'glance-direct',
                    '--stores', 'fast', image_id)
        self.wait_for(image_id, ('active',))
        self.glance('image-import', '--import-method', 'copy-image',
                    '--all-stores', 'true', image_id)
        copied = self.wait_for(
            image_id, ('active',),
            unless=lambda i: 'os_glance_import_task' in i)
        self.assertEqual({'fast', 'cheap'}, set(copied['stores'].split(',')))
        # (glance image-tasks needs the version document to list 2.12.)
        self.assertEqual('success', self.wait_for_task(image_id)['status'])
        listed = self.glance('task-list')
        task_id = [line.split('|')[1].strip() for line in listed.splitlines()
                   if 'success' in line][0]
        shown = self.fields(self.glance('task-show', task_id))
        self.assertEqual('success', shown['status'])

    def test_openstack_image_create_import(self):
        self.openstack('image', 'create', '--import', '--file',
                       self.source_file(), '--disk-format', 'raw',
                       '--container-format', 'bare', 'osc-import')
        images = self.request_json('GET', '/v2/images?name=osc-import')[2]
        [image] = images['images']
        self.wait_for(image['id'], ('active',))
        self.assertEqual(DATA, self.download(image['id']))
