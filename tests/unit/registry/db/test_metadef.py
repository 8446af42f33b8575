"""Metadata definitions: namespaces, objects, properties, tags, resource
types."""

from glance_registry.common import exception
from glance_registry.db import api
from glance_registry.db import metadef
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')
NS = 'OS::Compute::Test'


class NamespaceTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.namespace = api.metadef_namespace_create(P1, {
            'namespace': NS, 'display_name': 'Test', 'visibility': 'private'})

    def test_create_get_update(self):
        self.assertEqual('p1', self.namespace['owner'])
        self.assertIs(False, self.namespace['protected'])
        self.assertEqual(self.namespace, api.metadef_namespace_get(P1, NS))
        updated = api.metadef_namespace_update(P1, NS, {
            'description': 'about', 'visibility': 'public'})
        self.assertEqual('about', updated['description'])
        self.assertEqual('public', api.metadef_namespace_get(
            P2, NS)['visibility'])

    def test_private_namespace_of_another_project_is_not_found(self):
        error = self.assertRaises(exception.MetadefNotFound,
                                  api.metadef_namespace_get, P2, NS)
        self.assertEqual(404, error.http_status)
        self.assertRaises(exception.MetadefNotFound,
                          api.metadef_object_get_all, P2, NS)
        self.assertEqual([], api.metadef_namespace_get_all(P2))

    def test_public_namespace_of_another_project_is_read_only(self):
        api.metadef_namespace_update(P1, NS, {'visibility': 'public'})
        self.assertRaises(exception.Forbidden, api.metadef_namespace_update,
                          P2, NS, {'description': 'mine'})
        self.assertRaises(exception.Forbidden, api.metadef_object_create, P2,
                          NS, {'name': 'o'})

    def test_duplicate_namespace(self):
        self.assertRaises(exception.Duplicate, api.metadef_namespace_create,
                          P2, {'namespace': NS})

    def test_get_all_filters_and_pages(self):
        for i in range(3):
            api.metadef_namespace_create(P1, {
                'namespace': 'ns%d' % i, 'visibility': 'public'})
        api.metadef_resource_type_association_create(
            P1, 'ns1', {'name': 'OS::Glance::Image'})
        self.assertEqual(['ns0', 'ns1', 'ns2'], [n['namespace'] for n in
                                                 api.metadef_namespace_get_all(
                                                     P2, sort_key='namespace',
                                                     sort_dir='asc')])
        self.assertEqual(['ns1'], [n['namespace'] for n in
                                   api.metadef_namespace_get_all(
                                       P1, filters={'resource_types': [
                                           'OS::Glance::Image']})])
        page = api.metadef_namespace_get_all(P1, sort_key='namespace',
                                             sort_dir='asc', limit=2)
        rest = api.metadef_namespace_get_all(P1, sort_key='namespace',
                                             sort_dir='asc',
                                             marker=page[-1]['namespace'])
        self.assertEqual([NS, 'ns0', 'ns1', 'ns2'],
                         [n['namespace'] for n in page + rest])
        self.assertEqual(['ns0', 'ns1', 'ns2'], [
            n['namespace'] for n in api.metadef_namespace_get_all(
                P1, filters={'visibility': 'public'},
                sort_key='namespace', sort_dir='asc')])

    def test_delete_removes_content_but_not_when_protected(self):
        api.metadef_object_create(P1, NS, {'name': 'o'})
        api.metadef_tag_create(P1, NS, {'name': 't'})
        api.metadef_namespace_update(P1, NS, {'protected': True})
        self.assertRaises(exception.Forbidden, api.metadef_namespace_delete,
                          P1, NS)
        api.metadef_namespace_update(P1, NS, {'protected': False})
        api.metadef_namespace_delete(P1, NS)
        self.assertRaises(exception.MetadefNotFound,
                          api.metadef_namespace_get, P1, NS)
        self.assertEqual(0, self.count_rows('metadef_objects'))
        self.assertEqual(0, self.count_rows('metadef_tags'))


class NamespaceContentTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        api.metadef_namespace_create(P1, {'namespace': NS})

    def test_objects_crud_with_json_columns(self):
        created = api.metadef_object_create(P1, NS, {
            'name': 'CPU', 'description': 'cpu',
            'required': ['cores'],
            'json_schema': {'cores': {'type': 'integer'}}})
        self.assertEqual(NS, created['namespace'])
        self.assertEqual(created, api.metadef_object_get(P1, NS, 'CPU'))
        self.assertEqual(['cores'], created['required'])
        updated = api.metadef_object_update(P1, NS, 'CPU', {
            'name': 'Processor', 'json_schema': {}})
        self.assertEqual('Processor', updated['name'])
        self.assertEqual(['Processor'], [o['name'] for o in
                                         api.metadef_object_get_all(P1, NS)])
        self.assertRaises(exception.Duplicate, api.metadef_object_create, P1,
                          NS, {'name': 'Processor'})
        api.metadef_object_delete(P1, NS, 'Processor')
        self.assertRaises(exception.MetadefNotFound, api.metadef_object_get,
                          P1, NS, 'Processor')

    def test_properties_crud_and_delete_namespace_content(self):
        api.metadef_property_create(P1, NS, {
            'name': 'hw_rng', 'json_schema': {'type': 'boolean'}})
        api.metadef_property_create(P1, NS, {'name': 'hw_x'})
        self.assertEqual({'type': 'boolean'}, api.metadef_property_get(
            P1, NS, 'hw_rng')['json_schema'])
        api.metadef_property_update(P1, NS, 'hw_x', {'json_schema': {
            'type': 'string'}})
        self.assertEqual(['hw_rng', 'hw_x'], [
            p['name'] for p in api.metadef_property_get_all(P1, NS)])
        self.assertRaises(exception.Duplicate, api.metadef_property_update,
                          P1, NS, 'hw_x', {'name': 'hw_rng'})
        api.metadef_property_delete(P1, NS, 'hw_rng')
        self.assertEqual(1, api.metadef_property_delete_namespace_content(
            P1, NS))
        self.assertEqual([], api.metadef_property_get_all(P1, NS))
        api.metadef_object_create(P1, NS, {'name': 'o'})
        self.assertEqual(1, api.metadef_object_delete_namespace_content(
            P1, NS))

    def test_tags_crud_create_tags_and_paging(self):
        api.metadef_tag_create(P1, NS, {'name': 'old'})
        created = api.metadef_tag_create_tags(P1, NS, [
            {'name': 'a'}, {'name': 'b'}, {'name': 'c'}])
        self.assertEqual(['a', 'b', 'c'], [t['name'] for t in created])
        self.assertRaises(exception.MetadefNotFound, api.metadef_tag_get, P1,
                          NS, 'old')
        api.metadef_tag_create_tags(P1, NS, ['d'], can_append=True)
        page = api.metadef_tag_get_all(P1, NS, sort_key='name',
                                       sort_dir='asc', limit=3)
        rest = api.metadef_tag_get_all(P1, NS, sort_key='name',
                                       sort_dir='asc',
                                       marker=page[-1]['name'])
        self.assertEqual(['a', 'b', 'c', 'd'],
                         [t['name'] for t in page + rest])
        self.assertEqual('z', api.metadef_tag_update(P1, NS, 'a', {
            'name': 'z'})['name'])
        self.assertRaises(exception.Duplicate, api.metadef_tag_create, P1,
                          NS, {'name': 'z'})
        self.assertRaises(exception.Duplicate, api.metadef_tag_create_tags,
                          P1, NS, ['q', 'q'])
        api.metadef_tag_delete(P1, NS, 'z')
        self.assertEqual(3, api.metadef_tag_delete_namespace_content(P1, NS))
        self.assertEqual([], api.metadef_tag_get_all(P1, NS))

    def test_resource_types_and_associations(self):
        api.metadef_resource_type_create(P1, {'name': 'OS::Nova::Server',
                                              'protected': True})
        association = api.metadef_resource_type_association_create(
            P1, NS, {'name': 'OS::Nova::Server', 'prefix': 'hw_',
                     'properties_target': 'image'})
        self.assertEqual('hw_', association['prefix'])
        api.metadef_resource_type_association_create(
            P1, NS, {'name': 'OS::Glance::Image'})
        self.assertEqual(['OS::Glance::Image', 'OS::Nova::Server'], [
            a['name'] for a in
            api.metadef_resource_type_association_get_by_namespace(P1, NS)])
        self.assertEqual('image', api.metadef_resource_type_association_get(
            P1, NS, 'OS::Nova::Server')['properties_target'])
        self.assertRaises(exception.Duplicate,
                          api.metadef_resource_type_association_create,
                          P1, NS, {'name': 'OS::Nova::Server'})
        self.assertRaises(exception.Forbidden,
                          api.metadef_resource_type_delete, P1,
                          'OS::Nova::Server')
        self.assertRaises(exception.InUse, api.metadef_resource_type_delete,
                          P1, 'OS::Glance::Image')
        api.metadef_resource_type_association_delete(P1, NS,
                                                     'OS::Glance::Image')
        api.metadef_resource_type_delete(P1, 'OS::Glance::Image')
        self.assertEqual(['OS::Nova::Server'], [
            r['name'] for r in api.metadef_resource_type_get_all(P1)])
        self.assertRaises(exception.MetadefNotFound,
                          api.metadef_resource_type_get, P1,
                          'OS::Glance::Image')
        self.assertRaises(exception.Duplicate,
                          api.metadef_resource_type_create, P1,
                          {'name': 'OS::Nova::Server'})


class CatalogSupportTests(base.DBTestCase):

    def test_get_all_with_associations_lists_them_in_one_call(self):
        api.metadef_namespace_create(P1, {'namespace': 'a'})
        api.metadef_namespace_create(P1, {'namespace': 'b'})
        api.metadef_resource_type_association_create(
            P1, 'a', {'name': 'OS::Nova::Flavor', 'prefix': 'hw:'})
        api.metadef_resource_type_association_create(
            P1, 'a', {'name': 'OS::Glance::Image', 'prefix': 'hw_'})
        found = {n['namespace']: n for n in api.metadef_namespace_get_all(
            P1, with_associations=True)}
        self.assertEqual(
            [('OS::Glance::Image', 'hw_'), ('OS::Nova::Flavor', 'hw:')],
            [(a['name'], a['prefix'])
             for a in found['a']['resource_type_associations']])
        self.assertEqual([], found['b']['resource_type_associations'])
        self.assertNotIn('resource_type_associations',
                         api.metadef_namespace_get_all(P1)[0])

    def test_delete_all_removes_protected_namespaces_and_resource_types(self):
        api.metadef_namespace_create(P1, {'namespace': 'kept',
                                          'protected': True})
        api.metadef_property_create(P1, 'kept', {'name': 'p'})
        api.metadef_resource_type_association_create(
            P1, 'kept', {'name': 'OS::Glance::Image'})
        counts = metadef.metadef_delete_all()
        self.assertEqual(1, counts['metadef_namespaces'])
        self.assertEqual(1, counts['metadef_resource_types'])
        for table in ('metadef_namespaces', 'metadef_properties',
                      'metadef_resource_types',
                      'metadef_namespace_resource_types'):
            self.assertEqual(0, self.count_rows(table), table)
