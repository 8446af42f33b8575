"""Shaping registry images and schemas as Image API v2 shows them."""

import testtools

from glance_api import http_helpers
from glance_api.v2 import images
from glance_api.v2 import schemas
from glance_registry.common import exception

IMAGE_ID = '5a1a3a4e-0b1f-4c55-9d3f-6a1b8c2d3e4f'


class Conf:
    show_multiple_locations = False
    show_image_direct_url = False

    class image_format:
        disk_formats = ['raw', 'qcow2']
        container_formats = ['bare']


def registry_image(**values):
    image = {'id': IMAGE_ID, 'name': 'n', 'status': 'active',
             'visibility': 'public', 'protected': False, 'os_hidden': False,
             'size': 5, 'virtual_size': None, 'disk_format': 'raw',
             'container_format': 'bare', 'checksum': 'c',
             'os_hash_algo': 'sha512', 'os_hash_value': 'h', 'min_disk': 0,
             'min_ram': 0, 'owner': 'p', 'deleted': False,
             'created_at': '2026-11-23T13:53:53.000000',
             'updated_at': '2026-11-23T13:53:54.123456', 'deleted_at': None,
             'properties': {'os_distro': 'fedora'}, 'tags': ['a'],
             'locations': [{'id': 1, 'url': 'file:///x', 'metadata': {},
                            'status': 'active'}]}
    image.update(values)
    return image


class ImageViewTestCase(testtools.TestCase):

    def test_view_flattens_properties_and_adds_links(self):
        view = images.image_view(registry_image(), Conf())
        self.assertEqual('fedora', view['os_distro'])
        self.assertEqual('/v2/images/%s' % IMAGE_ID, view['self'])
        self.assertEqual('/v2/images/%s/file' % IMAGE_ID, view['file'])
        self.assertEqual('/v2/schemas/image', view['schema'])
        self.assertEqual('2026-11-23T13:53:53Z', view['created_at'])
        self.assertEqual('2026-11-23T13:53:54Z', view['updated_at'])
        for hidden in ('properties', 'deleted', 'deleted_at', 'locations',
                       'direct_url'):
            self.assertNotIn(hidden, view)

    def test_unset_base_attributes_are_null(self):
        view = images.image_view({'id': IMAGE_ID}, Conf())
        for name in ('name', 'size', 'checksum', 'os_hash_algo',
                     'disk_format', 'virtual_size'):
            self.assertIn(name, view)
            self.assertIsNone(view[name])
        self.assertEqual([], view['tags'])

    def test_locations_and_direct_url_when_configured(self):
        conf = Conf()
        conf.show_multiple_locations = True
        conf.show_image_direct_url = True
        view = images.image_view(registry_image(), conf)
        self.assertEqual([{'url': 'file:///x', 'metadata': {}}],
                         view['locations'])
        self.assertEqual('file:///x', view['direct_url'])

    def test_isotime(self):
        self.assertEqual('2026-11-23T13:53:53Z',
                         http_helpers.isotime('2026-11-23T13:53:53.000000'))
        self.assertEqual('2026-11-23T13:53:53Z',
                         http_helpers.isotime('2026-11-23T13:53:53'))
        self.assertIsNone(http_helpers.isotime(None))


class CreateBodyTestCase(testtools.TestCase):

    def test_read_only_and_reserved_are_forbidden(self):
        for name in ('status', 'size', 'checksum', 'self', 'locations',
                     'deleted', 'os_glance_x'):
            self.assertRaises(exception.Forbidden, images.check_create_body,
                              {name: 'x'})
        images.check_create_body({'id': IMAGE_ID, 'name': 'n', 'k': 'v'})

    def test_split_into_attributes_properties_and_tags(self):
        attributes, properties, tags = images.split_create_body(
            {'id': IMAGE_ID, 'name': 'n', 'min_ram': 1, 'k': 'v',
             'tags': ['t']})
        self.assertEqual({'id': IMAGE_ID, 'name': 'n', 'min_ram': 1},
                         attributes)
        self.assertEqual({'k': 'v'}, properties)
        self.assertEqual(['t'], tags)


class SchemaTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.schema = schemas.image_schema(
            Conf(), custom_properties={'os_distro': {'type': 'string',
                                                     'is_base': False}})

    def test_formats_come_from_configuration(self):
        properties = self.schema['properties']
        self.assertEqual([None, 'raw', 'qcow2'],
                         properties['disk_format']['enum'])
        self.assertEqual([None, 'bare'],
                         properties['container_format']['enum'])

    def test_validation_error_names_the_field(self):
        error = self.assertRaises(exception.SchemaValidationError,
                                  schemas.validate, self.schema,
                                  {'disk_format': 'vhd'})
        self.assertIn('disk_format', str(error))
        error = self.assertRaises(exception.SchemaValidationError,
                                  schemas.validate, self.schema,
                                  {'os_distro': 5})
        self.assertIn('os_distro', str(error))
        error = self.assertRaises(exception.SchemaValidationError,
                                  schemas.validate, self.schema,
                                  {'anything': ['not', 'a', 'string']})
        self.assertIn('anything', str(error))

    def test_valid_image(self):
        schemas.validate(self.schema, {'name': None, 'disk_format': 'raw',
                                       'min_ram': 0, 'tags': ['a'],
                                       'custom': 'value'})

    def test_images_schema_wraps_image_schema(self):
        wrapper = schemas.images_schema(self.schema)
        self.assertIs(self.schema, wrapper['properties']['images']['items'])
