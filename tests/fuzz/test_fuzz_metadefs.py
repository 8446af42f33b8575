"""Fuzz every metadata definitions endpoint (namespaces, objects,
properties, tags, resource types, their schemas).

Changes need the admin role, so writes go as an administrator of a third
project, and only ever to namespaces the fuzzer made (or names that do not
exist); project B reads and tries to write everything, project A's
private namespace included, which must stay as it was.
"""

import json
import urllib.parse
import uuid

from hypothesis import strategies as st

from tests.fuzz import base
from tests.fuzz import hostile

NS = '/v2/metadefs/namespaces'
PROPERTY = {'type': 'string', 'title': 'p', 'enum': ['a', 'b'],
            'default': 'a'}
OBJECT = {'name': 'obj', 'description': 'd', 'required': ['x'],
          'properties': {'x': {'type': 'integer', 'title': 'x',
                               'minimum': 0, 'maximum': 9}}}
ASSOCIATION = {'name': 'OS::Glance::Image', 'prefix': 'p_',
               'properties_target': 'image'}
NAMESPACE = {'namespace': 'fuzz-ns', 'display_name': 'd', 'description': 'd',
             'visibility': 'public', 'protected': False,
             'resource_type_associations': [ASSOCIATION],
             'properties': {'prop': PROPERTY}, 'objects': [OBJECT],
             'tags': [{'name': 'tag'}]}
SCHEMAS = ['namespace', 'namespaces', 'object', 'objects', 'property',
           'properties', 'tag', 'tags', 'resource_type', 'resource_types',
           'unknown', '%ff', '..']
# Requests below a namespace: (method, suffix, example body or None).
CONTENT_REQUESTS = [
    ('GET', '/objects', None), ('POST', '/objects', OBJECT),
    ('DELETE', '/objects', None), ('GET', '/objects/{name}', None),
    ('PUT', '/objects/{name}', OBJECT), ('DELETE', '/objects/{name}', None),
    ('GET', '/properties', None),
    ('POST', '/properties', dict(PROPERTY, name='prop2')),
    ('DELETE', '/properties', None), ('GET', '/properties/{name}', None),
    ('PUT', '/properties/{name}', dict(PROPERTY, name='prop')),
    ('DELETE', '/properties/{name}', None), ('GET', '/tags', None),
    ('POST', '/tags', {'tags': [{'name': 'a'}, {'name': 'b'}]}),
    ('DELETE', '/tags', None), ('GET', '/tags/{name}', None),
    ('POST', '/tags/{name}', None), ('PUT', '/tags/{name}', {'name': 'n'}),
    ('DELETE', '/tags/{name}', None), ('GET', '/resource_types', None),
    ('POST', '/resource_types', ASSOCIATION),
    ('DELETE', '/resource_types/{name}', None),
    ('GET', '', None), ('PUT', '', NAMESPACE), ('DELETE', '', None),
]
NAMESPACE_LIST_PARAMETERS = ['limit', 'marker', 'sort_key', 'sort_dir',
                             'visibility', 'resource_types',
                             'resource_type']


def bodies_like(example):
    if example is None:
        return st.one_of(st.none(), st.sampled_from(hostile.RAW_BODIES[:6]))
    if 'tags' in example and len(example) == 1:
        # Tag lists whose names are anything but strings.
        tag = st.one_of(st.fixed_dictionaries({'name': hostile.values()}),
                        hostile.values())
        return st.one_of(hostile.mutated(example), st.lists(
            tag, min_size=1, max_size=3).map(
                lambda tags: hostile.encode({'tags': tags})))
    return hostile.mutated(example)


class MetadefsFuzzTest(base.FuzzTestCase):

    def seed_project_a(self):
        super().seed_project_a()
        self.a_namespace = 'fuzz-a-%s' % uuid.uuid4().hex[:8]
        self.must(201, 'POST', NS, dict(
            NAMESPACE, namespace=self.a_namespace, visibility='private',
            owner='fuzz-project-a'), base.ADMIN)

    def project_a_state(self):
        state = super().project_a_state()
        state['namespace'] = self.must(200, 'GET', '%s/%s' % (
            NS, self.a_namespace))
        return state

    def fresh_namespace(self):
        """A namespace with content, made by the administrator."""
        name = 'fuzz-b-%s' % uuid.uuid4().hex[:8]
        self.call('POST ' + NS, 'POST', NS, base.JSON,
                  hostile.encode(dict(NAMESPACE, namespace=name)),
                  identity=base.ADMIN)
        return name

    def namespace_name(self, target):
        kind, value = target
        if kind == 'raw':
            return value
        if value == 'a':
            return self.a_namespace
        if value == 'fresh':
            return self.fresh_namespace()
        return 'OS::Compute::Hypervisor'

    def targets(self):
        return st.one_of(
            st.sampled_from(['a', 'fresh', 'fresh', 'catalog']).map(
                lambda t: ('name', t)),
            hostile.segments().map(lambda s: ('raw', s)),
            st.sampled_from(['a/b', 'a%2Fb', 'a b', 'x' * 300]).map(
                lambda s: ('raw', s)))

    def identity_for(self, target, as_admin):
        # The administrator never writes to project A's namespace.
        if as_admin and target != ('name', 'a'):
            return base.ADMIN
        return base.PROJECT_B

    def test_namespaces_list_create_update_delete(self):
        requests = st.one_of(
            hostile.query(NAMESPACE_LIST_PARAMETERS).map(
                lambda q: ('GET', q, None)),
            bodies_like(NAMESPACE).map(lambda b: ('POST', '', b)))

        def exercise(case):
            (method, query, body), as_admin, content_type = case
            headers = [] if content_type is None else [
                ('Content-Type', content_type)]
            response = self.call('%s %s' % (method, NS), method, NS + query,
                                 headers, body, identity=base.ADMIN
                                 if as_admin else base.PROJECT_B)
            if response is not None and response.status == 201:
                self.check_addressable(json.loads(response.body))
        self.fuzz(st.tuples(requests, st.booleans(), st.sampled_from(
            ['application/json'] * 4 + hostile.CONTENT_TYPES)),
            exercise, 200, examples=[
                (('POST', '', hostile.encode({'namespace': 'a/b'})), True,
                 'application/json'),
                (('POST', '', hostile.encode({'namespace': 'a\x00b'})),
                 True, 'application/json')])

    def check_addressable(self, created):
        """A namespace that was created can be shown and deleted by its
        name."""
        path = '%s/%s' % (NS, urllib.parse.quote(created['namespace'],
                                                 safe=''))
        for method, expected in (('GET', 200), ('DELETE', 204)):
            response = self.call('%s %s/{namespace} (created)' % (method, NS),
                                 method, path, identity=base.ADMIN)
            if response is not None and response.status != expected:
                self.record('%s %s/{namespace} (created)' % (method, NS),
                            method, 'created namespace not addressable',
                            response.status, path, [], None,
                            response.body[:200])

    def test_namespace_content_with_hostile_names_and_bodies(self):
        request = st.sampled_from(CONTENT_REQUESTS).flatmap(
            lambda r: st.tuples(st.just(r[0]), st.just(r[1]),
                                bodies_like(r[2])))
        names = st.one_of(
            st.sampled_from(['obj', 'prop', 'tag', 'a', 'OS::Glance::Image',
                             'a/b']),
            hostile.segments())

        def exercise(case):
            target, (method, suffix, body), name, as_admin, query = case
            namespace = self.namespace_name(target)
            path = '%s/%s%s' % (NS, namespace, suffix.replace('{name}',
                                                              name))
            self.call('%s %s/{namespace}%s' % (method, NS, suffix), method,
                      path + query, base.JSON if body is not None else [],
                      body, identity=self.identity_for(target, as_admin))
        self.fuzz(st.tuples(self.targets(), request, names,
                            st.sampled_from([True, True, False]),
                            st.one_of(st.just(''), hostile.query(
                                NAMESPACE_LIST_PARAMETERS))),
                  exercise, 350, examples=[
                      (('name', 'fresh'), ('POST', '/tags',
                                           hostile.encode({'tags': [1]})),
                       'a', True, ''),
                      (('name', 'fresh'), ('POST', '/objects',
                                           hostile.encode({'name': 'o/b'})),
                       'a', True, '')])

    def test_schemas_and_resource_types(self):
        def exercise(case):
            path, method, as_admin = case
            self.call('%s any metadef route' % method, method, path,
                      identity=base.ADMIN if as_admin else base.PROJECT_B)
        paths = st.one_of(
            st.sampled_from(SCHEMAS).map(
                lambda s: '/v2/schemas/metadefs/' + s),
            hostile.query(['limit', 'marker']).map(
                lambda q: '/v2/metadefs/resource_types' + q),
            hostile.segments().map(lambda s: '/v2/metadefs/' + s))
        self.fuzz(st.tuples(paths, st.sampled_from(['GET', 'GET', 'POST',
                                                    'DELETE', 'PUT']),
                            st.booleans()),
                  exercise, 60)
