"""Image API v1 metadata headers: parsing, errors naming the header, and
the v1 image shape."""

from oslo_config import cfg
import testtools

from glance_api.v1 import headers
from glance_api.v2 import schemas  # noqa: F401  (registers image_format)
from glance_registry.common import exception

CONF = cfg.CONF


def parse(creating=True, **values):
    return headers.parse_image_meta(
        [('X-Image-Meta-' + k, v) for k, v in values.items()], CONF,
        creating)


class TestParseImageMeta(testtools.TestCase):

    def test_fields_are_typed(self):
        meta = parse(name='n', size='12', min_ram='64', min_disk='0',
                     is_public='True', protected='false', disk_format='raw',
                     container_format='bare', checksum='A' * 32)
        self.assertEqual({'name': 'n', 'size': 12, 'min_ram': 64,
                          'min_disk': 0, 'is_public': True,
                          'protected': False, 'disk_format': 'raw',
                          'container_format': 'bare', 'checksum': 'a' * 32,
                          'properties': {}}, meta)

    def test_properties_keep_underscores_and_are_lowercased(self):
        meta = headers.parse_image_meta(
            [('X-Image-Meta-Property-HW_Disk_Bus', 'scsi'),
             ('x-image-meta-property-os_distro', 'fedora')], CONF, True)
        self.assertEqual({'hw_disk_bus': 'scsi', 'os_distro': 'fedora'},
                         meta['properties'])

    def test_dashed_names_from_servers_without_raw_headers(self):
        meta = headers.parse_image_meta(
            [('X-Image-Meta-Disk-Format', 'qcow2')], CONF, True)
        self.assertEqual('qcow2', meta['disk_format'])

    def test_bad_values_name_the_header(self):
        for field, value in (('disk_format', 'floppy'),
                             ('container_format', 'crate'),
                             ('is_public', 'maybe'), ('protected', 'yes!'),
                             ('size', '-1'), ('min_ram', 'many'),
                             ('min_disk', '2.5'), ('id', 'not-a-uuid'),
                             ('checksum', 'xyz')):
            e = self.assertRaises(exception.Invalid, parse,
                                  **{field: value})
            self.assertIn('x-image-meta-' + field, str(e))
            self.assertEqual(400, e.http_status)

    def test_none_from_legacy_client_means_not_given(self):
        self.assertNotIn('is_public', parse(is_public='None'))

    def test_status_cannot_be_set(self):
        e = self.assertRaises(exception.Forbidden, parse, status='active')
        self.assertEqual(403, e.http_status)

    def test_server_set_fields_are_ignored_and_id_only_on_create(self):
        meta = parse(creating=False, created_at='2020-01-01',
                     deleted='false',
                     id='8b2a3c43-4c3a-4a2c-9b0e-0d5a1f2e3d4c')
        self.assertEqual({'properties': {}}, meta)

    def test_unknown_header_is_400(self):
        e = self.assertRaises(exception.Invalid, parse, colour='blue')
        self.assertIn('x-image-meta-colour', str(e).lower())


class TestImageShape(testtools.TestCase):

    image = {'id': 'i', 'name': 'n', 'status': 'active', 'size': 3,
             'visibility': 'public', 'protected': False, 'deleted': False,
             'deleted_at': None, 'checksum': 'c', 'min_ram': 0,
             'properties': {'os_distro': 'debian'}, 'tags': ['t'],
             'locations': [{'url': 'file:///x'}], 'os_hidden': False}

    def test_view_has_is_public_and_properties_and_no_v2_fields(self):
        view = headers.image_view(self.image)
        self.assertTrue(view['is_public'])
        self.assertEqual({'os_distro': 'debian'}, view['properties'])
        for v2_only in ('visibility', 'tags', 'locations', 'os_hidden'):
            self.assertNotIn(v2_only, view)

    def test_headers_skip_unset_fields_and_spell_booleans(self):
        found = dict(headers.image_headers(self.image))
        self.assertEqual('true', found['x-image-meta-is_public'])
        self.assertEqual('false', found['x-image-meta-deleted'])
        self.assertEqual('3', found['x-image-meta-size'])
        self.assertEqual('debian', found['x-image-meta-property-os_distro'])
        self.assertNotIn('x-image-meta-deleted_at', found)

    def test_contract_values_map_is_public_to_visibility(self):
        self.assertEqual({'visibility': 'shared', 'name': 'n'},
                         headers.contract_values({'is_public': False,
                                                  'name': 'n',
                                                  'size': 3}))
