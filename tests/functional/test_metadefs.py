"""Image API v2 metadata definitions against real glance-registry and
glance-api processes: every endpoint, the shapes of upstream's samples,
schema validation, visibility, protection and policy."""

import os

from tests.functional import base

ADMIN = {'X-Project-Id': 'admin-project', 'X-Roles': 'admin'}
P1 = {'X-Project-Id': 'project-1', 'X-Roles': 'member'}
P2 = {'X-Project-Id': 'project-2', 'X-Roles': 'member'}
NS = '/v2/metadefs/namespaces'


class MetadefTestCase(base.ServerTestCase):

    def call(self, method, path, body=None, headers=ADMIN, **kw):
        return self.request_json(method, path, body, headers, **kw)

    def create_namespace(self, name, headers=ADMIN, **values):
        values['namespace'] = name
        status, _, body = self.call('POST', NS, values, headers)
        self.assertEqual(201, status, body)
        self.addCleanup(self.request, 'DELETE', '%s/%s' % (NS, name),
                        headers=ADMIN)
        return body


class NamespaceTests(MetadefTestCase):

    def test_create_with_content_answers_201_in_sample_shape(self):
        body = self.create_namespace(
            'OS::Compute::Hypervisor', display_name='Hypervisor Selection',
            description='Pick hosts by hypervisor.', visibility='public',
            protected=False,
            properties={'hypervisor_type': {
                'title': 'Hypervisor Type', 'type': 'string',
                'enum': ['qemu', 'kvm']}},
            objects=[{'name': 'Limits', 'required': [], 'properties': {
                'cpu': {'title': 'CPU', 'type': 'integer', 'minimum': 1}}}],
            tags=[{'name': 'fast'}],
            resource_type_associations=[{'name': 'OS::Glance::Image'}])
        self.assertEqual('OS::Compute::Hypervisor', body['namespace'])
        self.assertEqual('/v2/schemas/metadefs/namespace', body['schema'])
        self.assertEqual('/v2/metadefs/namespaces/OS::Compute::Hypervisor',
                         body['self'])
        self.assertEqual('admin-project', body['owner'])
        self.assertEqual({'title': 'Hypervisor Type', 'type': 'string',
                          'enum': ['qemu', 'kvm']},
                         body['properties']['hypervisor_type'])
        self.assertEqual(['OS::Glance::Image'], [
            a['name'] for a in body['resource_type_associations']])
        self.assertEqual([{'name': 'fast'}], body['tags'])
        self.assertTrue(body['created_at'].endswith('Z'))
        status, _, shown = self.call('GET',
                                     NS + '/OS::Compute::Hypervisor')
        self.assertEqual(200, status)
        self.assertEqual('Limits', shown['objects'][0]['name'])
        self.assertEqual({'cpu': {'title': 'CPU', 'type': 'integer',
                                  'minimum': 1}},
                         shown['objects'][0]['properties'])

    def test_show_with_resource_type_prefixes_property_names(self):
        self.create_namespace(
            'OS::Test::Prefix', visibility='public',
            properties={'cpu_policy': {'title': 'P', 'type': 'string'}},
            resource_type_associations=[
                {'name': 'OS::Nova::Flavor', 'prefix': 'hw:'},
                {'name': 'OS::Glance::Image', 'prefix': 'hw_'}])
        _, _, flavor = self.call(
            'GET', NS + '/OS::Test::Prefix?resource_type=OS::Nova::Flavor')
        self.assertEqual(['hw:cpu_policy'], list(flavor['properties']))
        _, _, image = self.call(
            'GET', NS + '/OS::Test::Prefix?resource_type=OS::Glance::Image')
        self.assertEqual(['hw_cpu_policy'], list(image['properties']))
        _, _, plain = self.call('GET', NS + '/OS::Test::Prefix')
        self.assertEqual(['cpu_policy'], list(plain['properties']))
        status, _, prop = self.call(
            'GET', NS + '/OS::Test::Prefix/properties/hw:cpu_policy'
            '?resource_type=OS::Nova::Flavor')
        self.assertEqual(200, status, prop)
        self.assertEqual('hw:cpu_policy', prop['name'])

    def test_list_pages_with_limit_marker_and_next_link(self):
        for i in range(3):
            self.create_namespace('page-%d' % i, visibility='public')
        status, _, page = self.call(
            'GET', NS + '?limit=2&sort_key=namespace&sort_dir=asc')
        self.assertEqual(200, status, page)
        self.assertEqual(['page-0', 'page-1'],
                         [n['namespace'] for n in page['namespaces']])
        self.assertEqual('/v2/schemas/metadefs/namespaces', page['schema'])
        self.assertIn('marker=page-1', page['next'])
        _, _, rest = self.call('GET', page['next'])
        self.assertEqual(['page-2'],
                         [n['namespace'] for n in rest['namespaces']])
        self.assertNotIn('next', rest)

    def test_list_filters_by_resource_types_and_visibility(self):
        self.create_namespace('filter-a', visibility='public',
                              resource_type_associations=[
                                  {'name': 'OS::Cinder::Volume'}])
        self.create_namespace('filter-b', visibility='private')
        _, _, found = self.call(
            'GET', NS + '?resource_types=OS::Cinder::Volume,OS::X')
        self.assertEqual(['filter-a'],
                         [n['namespace'] for n in found['namespaces']])
        self.assertEqual('OS::Cinder::Volume', found['namespaces'][0][
            'resource_type_associations'][0]['name'])
        _, _, private = self.call('GET', NS + '?visibility=private')
        names = [n['namespace'] for n in private['namespaces']]
        self.assertIn('filter-b', names)
        self.assertNotIn('filter-a', names)

    def test_list_with_bad_sort_key_or_visibility_is_400(self):
        self.assertEqual(400, self.call('GET', NS + '?sort_key=bogus')[0])
        self.assertEqual(400, self.call('GET', NS + '?visibility=shared')[0])
        self.assertEqual(400, self.call('GET', NS + '?marker=nope')[0])

    def test_update_renames_and_changes_visibility(self):
        self.create_namespace('old-name', visibility='private')
        status, _, body = self.call('PUT', NS + '/old-name', {
            'namespace': 'new-name', 'visibility': 'public',
            'description': 'renamed', 'schema': 'ignored',
            'self': 'ignored', 'created_at': 'ignored'})
        self.addCleanup(self.request, 'DELETE', NS + '/new-name',
                        headers=ADMIN)
        self.assertEqual(200, status, body)
        self.assertEqual('new-name', body['namespace'])
        self.assertEqual('public', body['visibility'])
        self.assertEqual('renamed', body['description'])
        self.assertEqual(404, self.call('GET', NS + '/old-name')[0])

    def test_duplicate_namespace_is_409(self):
        self.create_namespace('dup')
        self.assertEqual(409, self.call('POST', NS, {'namespace': 'dup'})[0])

    def test_protected_namespace_delete_is_403_until_unprotected(self):
        self.create_namespace('guarded', protected=True)
        self.assertEqual(403, self.call('DELETE', NS + '/guarded')[0])
        self.assertEqual(200, self.call('GET', NS + '/guarded')[0])
        self.assertEqual(200, self.call('PUT', NS + '/guarded', {
            'namespace': 'guarded', 'protected': False})[0])
        self.assertEqual(204, self.call('DELETE', NS + '/guarded')[0])
        self.assertEqual(404, self.call('GET', NS + '/guarded')[0])

    def test_content_of_protected_namespace_cannot_be_deleted(self):
        self.create_namespace(
            'guarded-content', protected=True,
            properties={'p': {'title': 'P', 'type': 'string'}},
            objects=[{'name': 'o'}], tags=[{'name': 't'}])
        path = NS + '/guarded-content'
        for suffix in ('/properties/p', '/objects/o', '/tags/t',
                       '/properties', '/objects', '/tags'):
            self.assertEqual(403, self.call('DELETE', path + suffix)[0],
                             suffix)
        _, _, shown = self.call('GET', path)
        self.assertEqual(['p'], list(shown['properties']))
        self.assertEqual([{'name': 't'}], shown['tags'])
        self.call('PUT', path, {'namespace': 'guarded-content',
                                'protected': False})

    def test_unknown_namespace_is_404(self):
        for method, suffix in (('GET', ''), ('PUT', ''), ('DELETE', ''),
                               ('GET', '/objects'), ('GET', '/properties'),
                               ('GET', '/tags'),
                               ('GET', '/resource_types')):
            body = {'namespace': 'x'} if method == 'PUT' else None
            status = self.call(method, NS + '/missing' + suffix, body)[0]
            self.assertEqual(404, status, (method, suffix))

    def test_unknown_method_is_405_with_allow(self):
        status, headers, _ = self.request('PATCH', NS + '/x', headers=ADMIN)
        self.assertEqual(405, status)
        self.assertEqual('DELETE, GET, PUT', headers['Allow'])

    def test_bulk_delete_of_objects_properties_and_tags(self):
        self.create_namespace(
            'bulk', properties={'p': {'title': 'P', 'type': 'string'}},
            objects=[{'name': 'o'}], tags=[{'name': 't'}])
        for kind in ('objects', 'properties', 'tags'):
            self.assertEqual(204, self.call('DELETE',
                                            NS + '/bulk/' + kind)[0])
        _, _, shown = self.call('GET', NS + '/bulk')
        for kind in ('objects', 'properties', 'tags'):
            self.assertNotIn(kind, shown)


class ValidationTests(MetadefTestCase):

    def assertRejected(self, path, body, field, method='POST'):
        status, _, error = self.call(method, path, body)
        self.assertEqual(400, status, error)
        self.assertIn(field, error['message'])

    def test_namespace_body_errors_name_the_field(self):
        self.assertRejected(NS, {'namespace': 'v', 'visibility': 'shared'},
                            'visibility')
        self.assertRejected(NS, {'namespace': 'x' * 81}, 'namespace')
        self.assertRejected(NS, {'namespace': 'p', 'protected': 'yes'},
                            'protected')
        self.assertRejected(NS, {'display_name': 'no name'}, 'namespace')
        self.assertRejected(NS, {'namespace': 'u', 'colour': 'red'},
                            'colour')
        self.assertRejected(NS, {'namespace': 'q', 'properties': {
            'p': {'title': 'P', 'type': 'text'}}}, 'type')
        self.assertRejected(NS, b'not json', 'JSON')

    def test_property_body_errors_name_the_field(self):
        self.create_namespace('valid')
        path = NS + '/valid/properties'
        self.assertRejected(path, {'name': 'p', 'type': 'string'}, 'title')
        self.assertRejected(path, {'name': 'p', 'title': 'P',
                                   'type': 'string', 'minLength': -1},
                            'minLength')
        self.assertRejected(path, {'name': 'p', 'title': 'P',
                                   'type': 'string', 'pattern': '(['},
                            'pattern')
        self.assertRejected(path, {'name': 'p', 'title': 'P',
                                   'type': 'integer', 'minimum': 5,
                                   'maximum': 1}, 'minimum')
        self.assertRejected(path, {'name': 'p', 'title': 'P',
                                   'type': 'string', 'bogus': 1}, 'bogus')

    def test_property_accepts_upstream_json_schema_subset(self):
        self.create_namespace('subset')
        definition = {
            'name': 'hw_list', 'title': 'List', 'type': 'array',
            'description': 'A list.', 'readonly': False,
            'items': {'type': 'string', 'enum': ['a', 'b']},
            'minItems': 1, 'maxItems': 2, 'uniqueItems': True,
            'operators': ['<all-in>'], 'default': ['a'],
            'additionalItems': False}
        status, _, body = self.call('POST', NS + '/subset/properties',
                                    definition)
        self.assertEqual(201, status, body)
        self.assertEqual(definition, body)
        number = {'name': 'n', 'title': 'N', 'type': 'number',
                  'minimum': 0.5, 'maximum': 10, 'default': 1}
        self.assertEqual(201, self.call('POST', NS + '/subset/properties',
                                        number)[0])
        text = {'name': 's', 'title': 'S', 'type': 'string',
                'pattern': '^[a-z]+$', 'minLength': 1, 'maxLength': 8,
                'enum': ['ab', 'cd']}
        self.assertEqual(201, self.call('POST', NS + '/subset/properties',
                                        text)[0])

    def test_object_and_tag_and_association_errors_name_the_field(self):
        self.create_namespace('valid2')
        self.assertRejected(NS + '/valid2/objects', {'description': 'x'},
                            'name')
        self.assertRejected(NS + '/valid2/objects',
                            {'name': 'o', 'required': 'a'}, 'required')
        self.assertRejected(NS + '/valid2/tags', {'tags': [{'nam': 'x'}]},
                            'nam')
        self.assertRejected(NS + '/valid2/resource_types',
                            {'prefix': 'hw_'}, 'name')

    def test_schemas_are_served(self):
        for name in ('namespace', 'namespaces', 'object', 'objects',
                     'property', 'properties', 'tag', 'tags',
                     'resource_type', 'resource_types'):
            status, _, schema = self.call('GET',
                                          '/v2/schemas/metadefs/' + name)
            self.assertEqual(200, status, name)
            self.assertIn('properties', schema)
        _, _, namespace = self.call('GET', '/v2/schemas/metadefs/namespace')
        self.assertEqual(['namespace'], namespace['required'])
        self.assertEqual(['public', 'private'],
                         namespace['properties']['visibility']['enum'])
        _, _, prop = self.call('GET', '/v2/schemas/metadefs/property')
        self.assertEqual(['type', 'title', 'name'], prop['required'])


class ContentTests(MetadefTestCase):

    def setUp(self):
        super().setUp()
        self.create_namespace('content', visibility='public')
        self.path = NS + '/content'

    def test_object_crud_and_rename(self):
        obj = {'name': 'CPU Limits', 'description': 'Limits.',
               'required': ['quota:cpu_period'],
               'properties': {'quota:cpu_period': {
                   'title': 'Period', 'type': 'integer',
                   'minimum': 1000, 'maximum': 1000000}}}
        status, _, created = self.call('POST', self.path + '/objects', obj)
        self.assertEqual(201, status, created)
        self.assertEqual('/v2/schemas/metadefs/object', created['schema'])
        self.assertEqual(self.path + '/objects/CPU Limits', created['self'])
        for key in ('name', 'description', 'required', 'properties'):
            self.assertEqual(obj[key], created[key])
        self.assertEqual(409, self.call('POST', self.path + '/objects',
                                        obj)[0])
        status, _, listed = self.call('GET', self.path + '/objects')
        self.assertEqual(['CPU Limits'],
                         [o['name'] for o in listed['objects']])
        self.assertEqual('/v2/schemas/metadefs/objects', listed['schema'])
        status, _, shown = self.call('GET',
                                     self.path + '/objects/CPU%20Limits')
        self.assertEqual(200, status)
        obj['name'] = 'CPU'
        status, _, updated = self.call(
            'PUT', self.path + '/objects/CPU%20Limits', obj)
        self.assertEqual(200, status, updated)
        self.assertEqual('CPU', updated['name'])
        self.assertEqual(404, self.call(
            'GET', self.path + '/objects/CPU%20Limits')[0])
        self.assertEqual(204, self.call('DELETE',
                                        self.path + '/objects/CPU')[0])
        self.assertEqual(404, self.call('DELETE',
                                        self.path + '/objects/CPU')[0])

    def test_property_crud_and_rename(self):
        prop = {'name': 'hw_disk_bus', 'title': 'Disk Bus',
                'type': 'string', 'enum': ['scsi', 'virtio']}
        status, _, created = self.call('POST', self.path + '/properties',
                                       prop)
        self.assertEqual(201, status, created)
        self.assertEqual(prop, created)
        self.assertEqual(409, self.call('POST', self.path + '/properties',
                                        prop)[0])
        _, _, listed = self.call('GET', self.path + '/properties')
        self.assertEqual({'hw_disk_bus': {'title': 'Disk Bus',
                                          'type': 'string',
                                          'enum': ['scsi', 'virtio']}},
                         listed['properties'])
        prop.update(name='hw_bus', title='Bus')
        status, _, updated = self.call(
            'PUT', self.path + '/properties/hw_disk_bus', prop)
        self.assertEqual(200, status, updated)
        self.assertEqual(prop, self.call(
            'GET', self.path + '/properties/hw_bus')[2])
        self.assertEqual(404, self.call(
            'GET', self.path + '/properties/hw_disk_bus')[0])
        self.assertEqual(204, self.call(
            'DELETE', self.path + '/properties/hw_bus')[0])

    def test_tags_replace_append_rename_delete(self):
        status, _, body = self.call('POST', self.path + '/tags', {
            'tags': [{'name': 'a'}, {'name': 'b'}]})
        self.assertEqual(201, status, body)
        self.assertEqual({'tags': [{'name': 'a'}, {'name': 'b'}]}, body)
        status, _, body = self.request_json(
            'POST', self.path + '/tags', {'tags': [{'name': 'c'}]},
            dict(ADMIN, **{'X-Openstack-Append': 'true'}))
        self.assertEqual(201, status, body)
        names = lambda: sorted(t['name'] for t in self.call(  # noqa
            'GET', self.path + '/tags')[2]['tags'])
        self.assertEqual(['a', 'b', 'c'], names())
        self.assertEqual(201, self.call('POST', self.path + '/tags', {
            'tags': [{'name': 'z'}]})[0])
        self.assertEqual(['z'], names())
        self.assertEqual(409, self.request_json(
            'POST', self.path + '/tags', {'tags': [{'name': 'z'}]},
            dict(ADMIN, **{'X-Openstack-Append': 'true'}))[0])
        self.assertEqual(409, self.call('POST', self.path + '/tags', {
            'tags': [{'name': 'd'}, {'name': 'd'}]})[0])
        status, _, tag = self.call('POST', self.path + '/tags/single')
        self.assertEqual(201, status, tag)
        self.assertEqual('single', tag['name'])
        self.assertIn('created_at', tag)
        self.assertEqual(409, self.call('POST', self.path + '/tags/single')[0])
        status, _, tag = self.call('PUT', self.path + '/tags/single',
                                   {'name': 'renamed'})
        self.assertEqual(200, status, tag)
        self.assertEqual('renamed', self.call(
            'GET', self.path + '/tags/renamed')[2]['name'])
        self.assertEqual(404, self.call('GET', self.path + '/tags/single')[0])
        self.assertEqual(204, self.call('DELETE',
                                        self.path + '/tags/renamed')[0])
        self.assertEqual(['z'], names())

    def test_names_with_spaces_and_percent_signs_round_trip(self):
        for name, quoted in (('50% off', '50%25%20off'),
                             ('a b', 'a%20b')):
            status, _, tag = self.call('POST',
                                       self.path + '/tags/' + quoted)
            self.assertEqual(201, status, tag)
            self.assertEqual(name, tag['name'])
            self.assertEqual(name, self.call(
                'GET', self.path + '/tags/' + quoted)[2]['name'])
            self.assertEqual(204, self.call(
                'DELETE', self.path + '/tags/' + quoted)[0])

    def test_resource_type_associations(self):
        status, _, assoc = self.call(
            'POST', self.path + '/resource_types',
            {'name': 'OS::Cinder::Volume', 'prefix': 'hw_',
             'properties_target': 'image'})
        self.assertEqual(201, status, assoc)
        self.assertEqual('OS::Cinder::Volume', assoc['name'])
        self.assertEqual('hw_', assoc['prefix'])
        self.assertEqual('image', assoc['properties_target'])
        self.assertEqual(409, self.call(
            'POST', self.path + '/resource_types',
            {'name': 'OS::Cinder::Volume'})[0])
        _, _, listed = self.call('GET', self.path + '/resource_types')
        self.assertEqual(['OS::Cinder::Volume'], [
            a['name'] for a in listed['resource_type_associations']])
        _, _, types = self.call('GET', '/v2/metadefs/resource_types')
        self.assertIn('OS::Cinder::Volume',
                      [t['name'] for t in types['resource_types']])
        self.assertEqual(204, self.call(
            'DELETE', self.path + '/resource_types/OS::Cinder::Volume')[0])
        self.assertEqual(404, self.call(
            'DELETE', self.path + '/resource_types/OS::Cinder::Volume')[0])
        _, _, listed = self.call('GET', self.path + '/resource_types')
        self.assertEqual([], listed['resource_type_associations'])


class VisibilityAndPolicyTests(MetadefTestCase):

    def test_private_namespace_of_another_project_is_404(self):
        self.create_namespace('p1-private', visibility='private',
                              owner='project-1',
                              properties={'p': {'title': 'P',
                                                'type': 'string'}})
        self.assertEqual(200, self.call('GET', NS + '/p1-private',
                                        headers=P1)[0])
        for path in ('', '/properties', '/properties/p', '/objects',
                     '/tags', '/resource_types'):
            self.assertEqual(404, self.call(
                'GET', NS + '/p1-private' + path, headers=P2)[0], path)
        _, _, listed = self.call('GET', NS, headers=P2)
        self.assertNotIn('p1-private',
                         [n['namespace'] for n in listed['namespaces']])
        _, _, listed = self.call('GET', NS, headers=P1)
        self.assertIn('p1-private',
                      [n['namespace'] for n in listed['namespaces']])

    def test_public_namespace_is_readable_by_every_project(self):
        self.create_namespace('shared-ns', visibility='public',
                              tags=[{'name': 't'}])
        for headers in (P1, P2):
            self.assertEqual(200, self.call('GET', NS + '/shared-ns',
                                            headers=headers)[0])
            self.assertEqual(200, self.call('GET', NS + '/shared-ns/tags/t',
                                            headers=headers)[0])

    def test_writes_are_admin_only_by_default(self):
        self.create_namespace('admin-only', visibility='public',
                              owner='project-1')
        self.assertEqual(403, self.call('POST', NS, {'namespace': 'mine'},
                                        headers=P1)[0])
        for method, path, body in (
                ('PUT', '', {'namespace': 'admin-only'}),
                ('DELETE', '', None),
                ('POST', '/objects', {'name': 'o'}),
                ('POST', '/properties', {'name': 'p', 'title': 'P',
                                         'type': 'string'}),
                ('POST', '/tags', {'tags': [{'name': 't'}]}),
                ('POST', '/tags/t', None),
                ('POST', '/resource_types', {'name': 'OS::Nova::Flavor'}),
                ('DELETE', '/tags', None)):
            status = self.call(method, NS + '/admin-only' + path, body,
                               headers=P1)[0]
            self.assertEqual(403, status, (method, path))
        self.assertEqual(200, self.call('GET', NS + '/admin-only')[0])


class PolicyFileTests(MetadefTestCase):
    """An operator's policy.yaml overrides the metadef defaults."""

    @classmethod
    def policy_config(cls, config):
        """One policy.yaml for both daemons: the registry lets the catalog
        role write through its contract too."""
        policy_path = os.path.join(cls.root, 'metadef-policy.yaml')
        with open(policy_path, 'w') as f:
            f.write('"metadef_admin": "role:admin or role:catalog"\n'
                    '"get_metadef_namespaces": "role:admin"\n'
                    '"delete_metadef_namespace": '
                    '"role:admin or project_id:%(project_id)s"\n'
                    '"registry_write": "role:admin or role:member or '
                    'role:catalog"\n')
        config.setdefault('oslo_policy', {})['policy_file'] = policy_path
        return config

    @classmethod
    def registry_config(cls):
        return cls.policy_config(super().registry_config())

    @classmethod
    def api_config(cls):
        return cls.policy_config(super().api_config())

    def test_overridden_rules_decide(self):
        catalog = {'X-Project-Id': 'project-1', 'X-Roles': 'catalog'}
        status, _, body = self.call('POST', NS, {
            'namespace': 'by-catalog', 'visibility': 'public'},
            headers=catalog)
        self.assertEqual(201, status, body)
        self.assertEqual('project-1', body['owner'])
        self.assertEqual(403, self.call('GET', NS, headers=catalog)[0])
        self.assertEqual(200, self.call('GET', NS + '/by-catalog',
                                        headers=P2)[0])
        self.assertEqual(403, self.call('DELETE', NS + '/by-catalog',
                                        headers=P2)[0])
        self.assertEqual(204, self.call('DELETE', NS + '/by-catalog',
                                        headers=P1)[0])

    def test_ownership_still_applies_when_policy_allows_writes(self):
        catalog2 = {'X-Project-Id': 'project-2', 'X-Roles': 'catalog'}
        self.create_namespace('owned-public', visibility='public',
                              owner='project-1')
        self.create_namespace('owned-private', visibility='private',
                              owner='project-1')
        self.assertEqual(403, self.call(
            'POST', NS + '/owned-public/tags/t', headers=catalog2)[0])
        self.assertEqual(403, self.call(
            'PUT', NS + '/owned-public',
            {'namespace': 'owned-public', 'description': 'mine'},
            headers=catalog2)[0])
        self.assertEqual(404, self.call(
            'POST', NS + '/owned-private/tags/t', headers=catalog2)[0])


class AllOrNothingTests(MetadefTestCase):

    def test_failed_create_leaves_no_namespace(self):
        status, _, body = self.call('POST', NS, {
            'namespace': 'half', 'protected': True,
            'properties': {'p': {'title': 'P', 'type': 'string'}},
            'tags': [{'name': 'same'}, {'name': 'same'}]})
        self.assertEqual(409, status, body)
        self.assertEqual(404, self.call('GET', NS + '/half')[0])


class MetadefsOverMessagingTests(base.RegistryOverMessagingMixin,
                                 MetadefTestCase):
    """The same operations with glance-api reaching the registry over
    RabbitMQ (oslo.messaging)."""

    def test_create_list_show_over_messaging(self):
        self.create_namespace(
            'over-rabbit', visibility='public',
            properties={'p': {'title': 'P', 'type': 'string'}},
            resource_type_associations=[{'name': 'OS::Glance::Image',
                                         'prefix': 'x_'}])
        _, _, listed = self.call('GET', NS + '?resource_types='
                                 'OS::Glance::Image')
        self.assertEqual(['over-rabbit'],
                         [n['namespace'] for n in listed['namespaces']])
        _, _, shown = self.call(
            'GET', NS + '/over-rabbit?resource_type=OS::Glance::Image')
        self.assertEqual(['x_p'], list(shown['properties']))
        self.assertEqual(409, self.call('POST', NS,
                                        {'namespace': 'over-rabbit'})[0])
