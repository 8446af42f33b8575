"""Metadef properties:
/v2/metadefs/namespaces/{namespace}/properties[/{property_name}]."""

import webob

from glance_api import http_helpers
from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import namespaces
from glance_api.v2.metadefs import schemas


def _values(body):
    definition = dict(body)
    name = definition.pop('name')
    common.check_property_definition(name, definition)
    return {'name': name, 'json_schema': definition}


def _prefix_of(registry, req, namespace_name):
    """The prefix of the ``resource_type`` query parameter's association,
    which the client gives to name a property as that resource sees it."""
    resource_type = req.params.get('resource_type')
    if not resource_type:
        return None
    for association in (
            registry.metadef_resource_type_association_get_by_namespace(
                http_helpers.request_context(req),
                namespace_name=namespace_name)):
        if association['name'] == resource_type:
            return association.get('prefix')
    return None


class PropertiesController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.schema = schemas.property_schema()

    def _namespace(self, req, namespace, action):
        return namespaces.get_namespace(self.registry, self.conf, req,
                                        namespace, action)

    def index(self, req, namespace):
        current = self._namespace(req, namespace, 'get_metadef_properties')
        rows = self.registry.metadef_property_get_all(
            http_helpers.request_context(req),
            namespace_name=current['namespace'])
        return http_helpers.json_response({
            'properties': {r['name']: r.get('json_schema') or {}
                           for r in rows},
            'schema': '/v2/schemas/metadefs/properties'})

    def create(self, req, namespace):
        current = self._namespace(req, namespace, 'add_metadef_property')
        body = common.read_body(req, self.schema)
        row = self.registry.metadef_property_create(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            values=_values(body))
        return http_helpers.json_response(common.property_view(row),
                                          status=201)

    def show(self, req, namespace, property_name):
        current = self._namespace(req, namespace, 'get_metadef_property')
        name = property_name
        # Asked with ``resource_type``, the name is the prefixed one.
        prefix = _prefix_of(self.registry, req, current['namespace'])
        if prefix and name.startswith(prefix):
            name = name[len(prefix):]
        row = self.registry.metadef_property_get(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            property_name=name)
        return http_helpers.json_response(common.property_view(row, prefix))

    def update(self, req, namespace, property_name):
        current = self._namespace(req, namespace, 'modify_metadef_property')
        body = common.read_body(req, self.schema)
        row = self.registry.metadef_property_update(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            property_name=property_name,
            values=_values(body))
        return http_helpers.json_response(common.property_view(row))

    def delete(self, req, namespace, property_name):
        current = self._namespace(req, namespace, 'remove_metadef_property')
        self.registry.metadef_property_delete(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            property_name=property_name)
        return webob.Response(status=204)
