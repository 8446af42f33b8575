"""Metadef schemas, request checks and views (pure logic)."""

import importlib

import testtools

from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import routes
from glance_api.v2.metadefs import schemas
from glance_api import router
from glance_api.v2 import routes as v2_routes
from glance_registry.common import exception
from glance_registry import metadefs_catalog


class SchemaTests(testtools.TestCase):

    def test_namespace_schema_accepts_upstream_create_sample_shape(self):
        schemas.validate(schemas.namespace_schema(), {
            'namespace': 'OS::Compute::Hypervisor',
            'display_name': 'Hypervisor Selection',
            'description': 'Choose hosts.', 'visibility': 'public',
            'protected': True,
            'properties': {'hypervisor_type': {
                'title': 'Hypervisor Type', 'type': 'string',
                'enum': ['xen', 'qemu'], 'description': 'The type.'}},
            'resource_type_associations': [{'name': 'OS::Glance::Image'}],
            'objects': [{'name': 'o', 'required': [], 'properties': {}}],
            'tags': [{'name': 't'}]})

    def test_validation_error_names_the_field(self):
        error = self.assertRaises(
            exception.SchemaValidationError, schemas.validate,
            schemas.namespace_schema(),
            {'namespace': 'n', 'properties': {'p': {'type': 'string'}}})
        self.assertIn('title', str(error))
        self.assertEqual(400, error.http_status)
        error = self.assertRaises(
            exception.SchemaValidationError, schemas.validate,
            schemas.property_schema(),
            {'name': 'p', 'title': 'P', 'type': 'integer',
             'maximum': 'ten'})
        self.assertIn('maximum', str(error))

    def test_property_schema_requires_name_title_type(self):
        self.assertEqual(['type', 'title', 'name'],
                         schemas.property_schema()['required'])
        self.assertIn(None, schemas.property_schema()['properties'][
            'type']['enum'])

    def test_collection_schemas_hold_their_items(self):
        self.assertEqual('namespace', schemas.namespaces_schema()[
            'properties']['namespaces']['items']['name'])
        self.assertIn('property', schemas.namespaces_schema()['definitions'])
        self.assertEqual(['type', 'title'], schemas.properties_schema()[
            'properties']['properties']['additionalProperties'][
            'required'])

    def test_bad_pattern_and_reversed_limits_are_refused(self):
        self.assertRaises(exception.SchemaValidationError,
                          common.check_property_definition, 'p',
                          {'pattern': '(['})
        error = self.assertRaises(exception.SchemaValidationError,
                                  common.check_property_definition, 'p',
                                  {'minLength': 3, 'maxLength': 1})
        self.assertIn('minLength', str(error))
        common.check_property_definition('p', {'minimum': 1, 'maximum': 1,
                                               'pattern': '^a+$'})


class ViewTests(testtools.TestCase):

    def test_namespace_view_omits_unset_and_shows_links(self):
        view = common.namespace_view(
            {'namespace': 'n', 'visibility': 'public', 'protected': False,
             'owner': 'p', 'display_name': None,
             'created_at': '2026-01-02T03:04:05.000000'},
            [{'name': 'OS::Glance::Image', 'prefix': None,
              'properties_target': None,
              'created_at': '2026-01-02T03:04:05.000000'}])
        self.assertNotIn('display_name', view)
        self.assertEqual('2026-01-02T03:04:05Z', view['created_at'])
        self.assertEqual('/v2/metadefs/namespaces/n', view['self'])
        self.assertEqual([{'name': 'OS::Glance::Image',
                           'created_at': '2026-01-02T03:04:05Z'}],
                         view['resource_type_associations'])

    def test_object_view_prefixes_property_names(self):
        view = common.object_view(
            {'name': 'o', 'namespace': 'n', 'required': None,
             'json_schema': {'cpu_policy': {'type': 'string'}}}, 'hw:')
        self.assertEqual(['hw:cpu_policy'], list(view['properties']))
        self.assertEqual([], view['required'])
        self.assertEqual('/v2/metadefs/namespaces/n/objects/o', view['self'])


class RouteTests(testtools.TestCase):

    def test_every_metadef_route_names_an_existing_action(self):
        for pattern, methods in routes.ROUTES:
            for action in methods.values():
                module_name, class_name, method_name = action.split('.')
                module = importlib.import_module('glance_api.v2.' +
                                                 module_name)
                cls = getattr(module, class_name)
                self.assertTrue(callable(getattr(cls, method_name)), action)

    def test_v2_table_holds_the_metadef_rows_and_matches_them(self):
        v2 = router.Router(v2_routes, None, None, None)
        methods, path_vars = v2.match(
            '/v2/metadefs/namespaces/OS::Compute::Libvirt/properties/hw_x')
        self.assertEqual('metadefs.PropertiesController.show',
                         methods['GET'])
        self.assertEqual({'namespace': 'OS::Compute::Libvirt',
                          'property_name': 'hw_x'}, path_vars)


class CatalogFileNameTests(testtools.TestCase):

    def test_file_names_follow_the_namespace_words(self):
        for namespace, name in (
                ('OS::Compute::CPUPinning', 'compute-cpu-pinning.json'),
                ('OS::Compute::LibvirtImage', 'compute-libvirt-image.json'),
                ('OS::Software::DBMS', 'software-dbms.json'),
                ('OS::OperatingSystem', 'operating-system.json'),
                ('my ns', 'my-ns.json')):
            self.assertEqual(name, metadefs_catalog.file_name(namespace))

    def test_default_path_is_beside_the_config_file(self):
        self.assertEqual('/srv/lab/etc/glance/metadefs',
                         metadefs_catalog.default_path(
                             ['/srv/lab/etc/glance/glance-registry.conf']))
        self.assertEqual('/etc/glance/metadefs',
                         metadefs_catalog.default_path([]))
