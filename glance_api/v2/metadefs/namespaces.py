"""Metadef namespaces: /v2/metadefs/namespaces[/{namespace}], and the bulk
deletes of a namespace's objects, properties and tags."""

import urllib.parse

from oslo_log import log as logging
import webob

from glance_api import http_helpers
from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import schemas
from glance_registry.common import exception
from glance_registry.common import paging

LOG = logging.getLogger(__name__)

NAMESPACE_ATTRIBUTES = ('namespace', 'display_name', 'description',
                        'visibility', 'protected', 'owner')
LIST_PARAMS = ('limit', 'marker', 'sort_key', 'sort_dir', 'visibility',
               'resource_types')


def _content_of(body):
    """(namespace attributes, associations, properties, objects, tags)."""
    return ({k: body[k] for k in NAMESPACE_ATTRIBUTES if k in body},
            body.get('resource_type_associations') or [],
            body.get('properties') or {},
            body.get('objects') or [],
            body.get('tags') or [])


def check_definitions(properties, objects):
    for name, definition in properties.items():
        common.check_property_definition(name, definition)
    for obj in objects:
        for name, definition in (obj.get('properties') or {}).items():
            common.check_property_definition(
                '%s/%s' % (obj.get('name'), name), definition)


def create_content(registry, context, namespace_name, associations,
                   properties, objects, tags):
    """Create what a namespace document holds besides the namespace itself;
    returns the created rows in the order given."""
    created = {'associations': [], 'properties': [], 'objects': [],
               'tags': []}
    for association in associations:
        created['associations'].append(
            registry.metadef_resource_type_association_create(
                context, namespace_name=namespace_name,
                values=common.drop_none(dict(association))))
    for name, definition in properties.items():
        definition = dict(definition)
        definition.pop('name', None)
        created['properties'].append(registry.metadef_property_create(
            context, namespace_name=namespace_name,
            values={'name': name, 'json_schema': definition}))
    for obj in objects:
        created['objects'].append(registry.metadef_object_create(
            context, namespace_name=namespace_name,
            values=object_values(obj)))
    if tags:
        created['tags'] = registry.metadef_tag_create_tags(
            context, namespace_name=namespace_name,
            # A nameless item is refused by the registry, with a 400.
            tags=[{'name': t.get('name')} for t in tags], can_append=True)
    return created


def object_values(body):
    """Registry values of an object document."""
    values = {'name': body.get('name'),
              'json_schema': common.properties_dict(body.get('properties'))}
    if 'description' in body:
        values['description'] = body['description']
    values['required'] = list(body.get('required') or [])
    return values


def content_view(view, properties=(), objects=(), tags=(), prefix=None):
    """Add a namespace's content to its view, as upstream shows it (only
    what the namespace has)."""
    if properties:
        view['properties'] = {
            (prefix or '') + p['name']: p.get('json_schema') or {}
            for p in properties}
    if objects:
        view['objects'] = []
        for obj in objects:
            shown = common.object_view(obj, prefix)
            for key in ('schema', 'self', 'created_at', 'updated_at'):
                shown.pop(key, None)
            view['objects'].append(shown)
    if tags:
        view['tags'] = [{'name': t['name']} for t in tags]
    return view


def get_namespace(registry, conf, req, namespace_name, action):
    """The namespace, visible to the caller (else 404) and allowed by the
    policy rule ``action`` (else 403)."""
    namespace = registry.metadef_namespace_get(
        http_helpers.request_context(req), namespace_name=namespace_name)
    common.enforce(conf, req, action, namespace)
    return namespace


class NamespacesController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.schema = schemas.namespace_schema()

    def _get(self, req, namespace_name, action):
        return get_namespace(self.registry, self.conf, req, namespace_name,
                             action)

    def index(self, req):
        common.enforce(self.conf, req, 'get_metadef_namespaces')
        params = req.params
        unknown = set(params) - set(LIST_PARAMS)
        if unknown:
            raise exception.InvalidRequest(
                reason='unknown query parameter(s): %s'
                       % ', '.join(sorted(unknown)))
        limit = paging.parse_limit(params.get('limit'), self.conf)
        filters = {}
        if params.get('visibility'):
            if params['visibility'] not in ('public', 'private'):
                raise exception.InvalidRequest(
                    reason='visibility must be public or private, not %s'
                           % params['visibility'])
            filters['visibility'] = params['visibility']
        if params.get('resource_types'):
            filters['resource_types'] = [
                r.strip() for r in params['resource_types'].split(',')
                if r.strip()]
        namespaces = self.registry.metadef_namespace_get_all(
            http_helpers.request_context(req),
            marker=params.get('marker'), limit=limit,
            sort_key=params.get('sort_key', 'created_at'),
            sort_dir=params.get('sort_dir', 'desc'), filters=filters,
            with_associations=True)
        query = [(k, v) for k, v in params.items() if k != 'marker']
        body = {
            'namespaces': [common.namespace_view(
                n, n.get('resource_type_associations')) for n in namespaces],
            'first': common.NAMESPACES_PATH + (
                '?' + urllib.parse.urlencode(query) if query else ''),
            'schema': '/v2/schemas/metadefs/namespaces'}
        if namespaces and len(namespaces) == limit:
            body['next'] = '%s?%s' % (common.NAMESPACES_PATH,
                                      urllib.parse.urlencode(query + [
                                          ('marker',
                                           namespaces[-1]['namespace'])]))
        return http_helpers.json_response(body)

    def create(self, req):
        common.enforce(self.conf, req, 'add_metadef_namespace')
        body = common.read_body(req, self.schema)
        values, associations, properties, objects, tags = _content_of(body)
        check_definitions(properties, objects)
        context = http_helpers.request_context(req)
        namespace = self.registry.metadef_namespace_create(context,
                                                           values=values)
        try:
            created = create_content(self.registry, context,
                                     namespace['namespace'], associations,
                                     properties, objects, tags)
        except Exception:
            # All or nothing: a document that fails halfway (a duplicate
            # tag, an unknown attribute) leaves no namespace behind.
            self._discard(context, namespace)
            raise
        view = common.namespace_view(namespace, created['associations'])
        content_view(view, created['properties'], created['objects'],
                     created['tags'])
        return http_helpers.json_response(view, status=201)

    def _discard(self, context, namespace):
        name = namespace['namespace']
        try:
            if namespace.get('protected'):
                self.registry.metadef_namespace_update(
                    context, namespace_name=name,
                    values={'protected': False})
            self.registry.metadef_namespace_delete(context,
                                                   namespace_name=name)
        except exception.GlanceException as e:
            LOG.warning('Could not remove half-created namespace %s: %s',
                        name, e)

    def show(self, req, namespace):
        namespace = self._get(req, namespace, 'get_metadef_namespace')
        context = http_helpers.request_context(req)
        name = namespace['namespace']
        associations = (
            self.registry.metadef_resource_type_association_get_by_namespace(
                context, namespace_name=name))
        prefix = None
        resource_type = req.params.get('resource_type')
        if resource_type:
            for association in associations:
                if association['name'] == resource_type:
                    prefix = association.get('prefix')
        view = common.namespace_view(namespace, associations)
        content_view(
            view,
            self.registry.metadef_property_get_all(context,
                                                   namespace_name=name),
            self.registry.metadef_object_get_all(context,
                                                 namespace_name=name),
            self.registry.metadef_tag_get_all(context, namespace_name=name,
                                              sort_key='name',
                                              sort_dir='asc'),
            prefix)
        return http_helpers.json_response(view)

    def update(self, req, namespace):
        current = self._get(req, namespace, 'modify_metadef_namespace')
        body = common.read_body(req, self.schema)
        values = _content_of(body)[0]
        updated = self.registry.metadef_namespace_update(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            values=values)
        associations = (
            self.registry.metadef_resource_type_association_get_by_namespace(
                http_helpers.request_context(req),
                namespace_name=updated['namespace']))
        return http_helpers.json_response(
            common.namespace_view(updated, associations))

    def delete(self, req, namespace):
        current = self._get(req, namespace, 'delete_metadef_namespace')
        self.registry.metadef_namespace_delete(
            http_helpers.request_context(req),
            namespace_name=current['namespace'])
        return webob.Response(status=204)

    def _delete_content(self, req, namespace, operation, action):
        current = self._get(req, namespace, action)
        getattr(self.registry, operation)(
            http_helpers.request_context(req),
            namespace_name=current['namespace'])
        return webob.Response(status=204)

    def delete_objects(self, req, namespace):
        return self._delete_content(
            req, namespace, 'metadef_object_delete_namespace_content',
            'delete_metadef_namespace')

    def delete_properties(self, req, namespace):
        return self._delete_content(
            req, namespace, 'metadef_property_delete_namespace_content',
            'delete_metadef_namespace')

    def delete_tags(self, req, namespace):
        return self._delete_content(
            req, namespace, 'metadef_tag_delete_namespace_content',
            'delete_metadef_tags')
