"""Disk-format inspection on every upload path of real daemons: v2 PUT
/file, v1 POST and PUT with a body, v1 x-glance-api-copy-from. Hostile
images are built with qemu-img (or by hand) in each run."""

import http.client
import json
import socket
import threading
import uuid

import testscenarios

from tests import disk_images
from tests.functional.test_v1_images import DataServer
from tests.functional.test_v2_image_data import ImageDataTestCase

load_tests = testscenarios.load_tests_apply_scenarios

MiB = 1024 * 1024
OCTET = {'Content-Type': 'application/octet-stream'}


def hostile(name, builder, disk_format, check):
    """A scenario: the Images method building the data, the disk_format it
    is declared as, the check that refuses it."""
    return (name, {'builder': builder, 'disk_format': disk_format,
                   'check': check})


HOSTILE = [
    hostile('qcow2_with_backing_file', 'qcow2_with_backing_file', 'qcow2',
            'backing_file'),
    hostile('qcow2_with_data_file', 'qcow2_with_data_file', 'qcow2',
            'data_file'),
    hostile('vmdk_flat_descriptor_of_etc_shadow', 'vmdk_flat_descriptor',
            'vmdk', 'descriptor'),
    hostile('qcow2_declared_raw', 'qcow2', 'raw', 'disk_format'),
    hostile('random_bytes_declared_qcow2', 'random', 'qcow2', 'disk_format'),
    hostile('gpt_iso_polyglot', 'gpt_iso_polyglot', 'raw',
            'multiple_formats'),
    hostile('qcow2_of_one_pib', 'qcow2_of_one_pib', 'qcow2',
            'virtual_size_cap'),
]


class InspectionTestCase(ImageDataTestCase):
    """Daemons whose URL filter lets copy-from reach the local data
    server (127.0.0.1 and its port only)."""

    @classmethod
    def setUpClass(cls):
        cls.images = disk_images.Images()
        cls.data_server = DataServer()
        try:
            super().setUpClass()
        except Exception:
            cls.data_server.stop()
            cls.images.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.data_server.stop()
        cls.images.cleanup()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['import_filtering_opts'] = {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%d]' % cls.data_server.server.server_port}
        return config

    def build(self, method):
        return getattr(self.images, method)()

    def unique_name(self):
        return 'inspect-%s' % uuid.uuid4().hex[:12]

    def v1_headers(self, disk_format, name):
        return {'x-image-meta-name': name,
                'x-image-meta-disk_format': disk_format,
                'x-image-meta-container_format': 'bare'}

    def v1_image_named(self, name):
        status, _, body = self.request_json(
            'GET', '/v1/images/detail?name=%s' % name)
        self.assertEqual(200, status, body)
        self.assertEqual(1, len(body['images']), body)
        return body['images'][0]

    def send_body(self, method, path, data, headers):
        """``method path`` with ``data``, reading the answer while the body
        is still being sent, as curl does: glance-api answers a refused
        upload after its first block and closes the connection without
        reading the rest. Returns (status, body)."""
        sock = socket.create_connection(('127.0.0.1', self.api.port), 60)
        self.addCleanup(sock.close)
        head = ['%s %s HTTP/1.1' % (method, path), 'Host: t',
                'Content-Length: %d' % len(data)]
        head += ['%s: %s' % item for item in headers.items()]
        sock.sendall(('\r\n'.join(head) + '\r\n\r\n').encode())

        def send():
            try:
                sock.sendall(data)
            except OSError:
                pass

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        sender.join(60)
        return response.status, body

    def v1_head(self, image_id):
        status, headers, _ = self.request('HEAD', '/v1/images/' + image_id)
        self.assertEqual(200, status)
        return {k.lower(): v for k, v in headers.items()}


class TestHostileImagesAreRefused(InspectionTestCase):
    """Each hostile image on each upload path: 400 naming the check, the
    image queued (v2) or killed (v1), nothing left in the store."""

    scenarios = HOSTILE

    def assert_refused(self, status, body):
        self.assertEqual(400, status, body)
        message = json.loads(body)['message']
        self.assertIn('Image format check failed: %s' % self.check, message)

    def assert_store_empty(self):
        # No other test of this class stores data: the store folder holds
        # neither the image nor any partial or temporary file.
        self.assertEqual([], self.data_dir_entries())

    def hostile(self):
        return self.build(self.builder), self.disk_format

    def test_v2_put_is_400_and_leaves_the_image_queued_without_data(self):
        data, disk_format = self.hostile()
        image = self.create_image(disk_format=disk_format)
        status, body = self.send_body(
            'PUT', '/v2/images/%s/file' % image['id'], data, OCTET)
        self.assert_refused(status, body)
        shown = self.show_image(image['id'])
        self.assertEqual(('queued', None, None),
                         (shown['status'], shown['size'],
                          shown['virtual_size']))
        self.assert_store_empty()

    def test_v1_post_with_body_is_400_and_kills_the_image(self):
        data, disk_format = self.hostile()
        name = self.unique_name()
        status, body = self.send_body(
            'POST', '/v1/images', data,
            dict(OCTET, **self.v1_headers(disk_format, name)))
        self.assert_refused(status, body)
        self.assertEqual('killed', self.v1_image_named(name)['status'])
        self.assert_store_empty()

    def test_v1_put_with_body_is_400_and_kills_the_image(self):
        data, disk_format = self.hostile()
        name = self.unique_name()
        status, _, body = self.request_json(
            'POST', '/v1/images', None, self.v1_headers(disk_format, name))
        self.assertEqual(201, status, body)
        image_id = body['image']['id']
        status, body = self.send_body('PUT', '/v1/images/' + image_id,
                                      data, OCTET)
        self.assert_refused(status, body)
        self.assertEqual('killed',
                         self.v1_head(image_id)['x-image-meta-status'])
        self.assert_store_empty()

    def test_v1_copy_from_is_400_and_kills_the_image(self):
        data, disk_format = self.hostile()
        name = self.unique_name()
        url = self.data_server.add(name, data)
        headers = self.v1_headers(disk_format, name)
        headers['x-glance-api-copy-from'] = url
        status, _, body = self.request('POST', '/v1/images', None, headers)
        self.assert_refused(status, body)
        self.assertEqual('killed', self.v1_image_named(name)['status'])
        self.assert_store_empty()


class TestRefusedEarly(InspectionTestCase):

    def test_v2_put_is_refused_after_the_header_not_after_the_body(self):
        image = self.create_image(disk_format='qcow2')
        declared = 1024 * MiB
        sock = self.raw_request(
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: t\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Content-Length: %d\r\n\r\n' % (image['id'], declared))
        header = self.images.qcow2_with_backing_file()
        # A few reader blocks of the 1 GiB declared, then wait: the answer
        # must come without the rest.
        sock.sendall(header + bytes(12 * MiB - len(header)))
        sock.settimeout(60)
        status_line = sock.recv(4096).split(b'\r\n')[0]
        self.assertIn(b' 400 ', status_line + b' ')
        sock.close()
        self.assertEqual('queued', self.show_image(image['id'])['status'])
        self.assertEqual([], self.data_dir_entries())


class TestAcceptedImages(InspectionTestCase):
    """Valid images of each inspected format become active with the
    virtual size the format declares."""

    def assert_active_with_virtual_size(self, method, disk_format,
                                        virtual_size):
        data = self.build(method)
        image = self.create_image(disk_format=disk_format)
        status, _, body = self.upload(image['id'], data)
        self.assertEqual(204, status, body)
        shown = self.show_image(image['id'])
        self.assertEqual(('active', len(data), virtual_size),
                         (shown['status'], shown['size'],
                          shown['virtual_size']))
        self.assertIn(image['id'], self.data_dir_entries())
        return shown

    def test_qcow2_is_active_with_its_virtual_size(self):
        self.assert_active_with_virtual_size('qcow2', 'qcow2', 10 * MiB)

    def test_vmdk_stream_optimized_and_monolithic_sparse_are_active(self):
        for subformat in ('streamOptimized', 'monolithicSparse'):
            data = self.images.vmdk(subformat)
            image = self.create_image(disk_format='vmdk')
            status, _, body = self.upload(image['id'], data)
            self.assertEqual(204, status, body)
            shown = self.show_image(image['id'])
            self.assertEqual(('active', 20 * MiB),
                             (shown['status'], shown['virtual_size']),
                             subformat)

    def test_vhd_vhdx_and_vdi_are_active_with_their_virtual_size(self):
        vhd = self.assert_active_with_virtual_size(
            'vhd', 'vhd', self.images_vhd_virtual_size())
        self.assertGreaterEqual(vhd['virtual_size'], 20 * MiB)
        self.assert_active_with_virtual_size('vhdx', 'vhdx', 20 * MiB)
        self.assert_active_with_virtual_size('vdi', 'vdi', 20 * MiB)

    def images_vhd_virtual_size(self):
        # qemu rounds a VHD to whole cylinders/heads/sectors; the footer
        # (bytes 40-47, big-endian) holds the size it chose.
        return int.from_bytes(self.images.vhd()[40:48], 'big')

    def test_iso_and_bootable_iso_are_active_with_the_volume_size(self):
        self.assert_active_with_virtual_size('iso', 'iso', 256 * 2048)
        self.assert_active_with_virtual_size('gpt_iso_polyglot', 'iso',
                                             256 * 2048)

    def test_raw_and_gpt_are_active_with_the_data_size(self):
        data = self.images.random()
        image = self.create_image(disk_format='raw')
        status, _, body = self.upload(image['id'], data)
        self.assertEqual(204, status, body)
        self.assertEqual(len(data), self.show_image(image['id'])[
            'virtual_size'])
        self.assert_active_with_virtual_size('gpt', 'gpt', MiB)
        self.assert_active_with_virtual_size('gpt', 'raw', MiB)

    def test_v1_upload_shows_virtual_size_in_its_headers(self):
        name = self.unique_name()
        status, _, body = self.request(
            'POST', '/v1/images', self.images.qcow2(),
            dict(OCTET, **self.v1_headers('qcow2', name)))
        self.assertEqual(201, status, body)
        image = json.loads(body)['image']
        self.assertEqual(('active', 10 * MiB),
                         (image['status'], image['virtual_size']))
        self.assertEqual(str(10 * MiB), self.v1_head(image['id'])[
            'x-image-meta-virtual_size'])

    def test_v1_copy_from_vhdx_is_active_with_its_virtual_size(self):
        name = self.unique_name()
        headers = self.v1_headers('vhdx', name)
        headers['x-glance-api-copy-from'] = self.data_server.add(
            name, self.images.vhdx())
        status, _, body = self.request('POST', '/v1/images', None, headers)
        self.assertEqual(201, status, body)
        image = json.loads(body)['image']
        self.assertEqual(('active', 20 * MiB),
                         (image['status'], image['virtual_size']))

    def test_gpt_is_a_disk_format_in_both_api_versions(self):
        status, _, schema = self.request_json('GET', '/v2/schemas/image')
        self.assertIn('gpt', schema['properties']['disk_format']['enum'])
        name = self.unique_name()
        status, _, body = self.request_json(
            'POST', '/v1/images', None, self.v1_headers('gpt', name))
        self.assertEqual(201, status, body)
        self.assertEqual('gpt', body['image']['disk_format'])
