"""Interoperable import into real swift and rbd stores: glance-direct to
every store at once (all_stores), copy-image from the file store into swift
and rbd, and a qcow2 converted to raw on its way into rbd; what the API
says is checked against each backend."""

import os
import subprocess
import tempfile

from tests.functional import base
from tests.functional import test_v2_import
from tests.integration import test_api_stores
from tests.unit.store import conformance

ADMIN = test_v2_import.ADMIN
MEMBER = test_v2_import.MEMBER
DATA = test_api_stores.DATA


class ImportToStoresTest(test_api_stores.BackendsMixin,
                         test_v2_import.ImportCallsMixin,
                         base.ServerTestCase):
    """local (file, the default), objects (swift) and ceph (rbd), with
    qcow2 converted to raw on import."""

    @classmethod
    def make_backends(cls):
        cls.backends['local'] = test_api_stores.FileBackend()
        cls.backends['objects'] = test_api_stores.SwiftBackend()
        cls.backends['ceph'] = test_api_stores.RbdBackend()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['image_import_opts'] = {
            'image_import_plugins': 'image_conversion'}
        config['image_conversion'] = {'output_format': 'raw'}
        return config

    def test_glance_direct_to_all_stores(self):
        image = self.create_image(headers=MEMBER)
        self.stage(image['id'], data=DATA)
        self.start_import(image['id'], 'glance-direct', all_stores=True)
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual(set(self.backends),
                         set(active['stores'].split(',')))
        for name, backend in self.backends.items():
            self.assertEqual(DATA, backend.read(image['id']), name)

    def test_copy_image_into_swift_and_rbd(self):
        image = self.create_image(headers=MEMBER)
        self.upload(image['id'], DATA, store='local', headers=MEMBER)
        self.start_import(image['id'], 'copy-image',
                          stores=['objects', 'ceph'], headers=ADMIN)
        copied = self.wait_for(
            image['id'], ('active',),
            unless=lambda i: 'os_glance_import_task' in i)
        self.assertEqual(set(self.backends),
                         set(copied['stores'].split(',')))
        self.assertEqual(DATA, self.backends['objects'].read(image['id']))
        self.assertEqual(DATA, self.backends['ceph'].read(image['id']))

    def test_qcow2_becomes_raw_in_rbd(self):
        folder = tempfile.mkdtemp(prefix='glance-import-stores-')
        raw = os.path.join(folder, 'disk.raw')
        with open(raw, 'wb') as f:
            f.write(conformance.payload(2 * 1024 * 1024, seed=b'qcow2'))
        qcow2 = os.path.join(folder, 'disk.qcow2')
        subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2',
                        raw, qcow2], check=True)
        with open(qcow2, 'rb') as f:
            data = f.read()
        image = self.create_image(headers=MEMBER, disk_format='qcow2')
        self.stage(image['id'], data=data)
        self.start_import(image['id'], 'glance-direct', stores=['ceph'])
        active = self.wait_for(image['id'], ('active',))
        self.assertEqual('raw', active['disk_format'])
        with open(raw, 'rb') as f:
            self.assertEqual(f.read(), self.backends['ceph'].read(
                image['id']))
