"""Metadef objects: /v2/metadefs/namespaces/{namespace}/objects[/{name}]."""

import webob

from glance_api import http_helpers
from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import namespaces
from glance_api.v2.metadefs import schemas


def _check(body):
    for name, definition in (body.get('properties') or {}).items():
        common.check_property_definition(name, definition)


class ObjectsController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.schema = schemas.object_schema()

    def _namespace(self, req, namespace, action):
        return namespaces.get_namespace(self.registry, self.conf, req,
                                        namespace, action)

    def index(self, req, namespace):
        current = self._namespace(req, namespace, 'get_metadef_objects')
        rows = self.registry.metadef_object_get_all(
            http_helpers.request_context(req),
            namespace_name=current['namespace'])
        return http_helpers.json_response({
            'objects': [common.object_view(r) for r in rows],
            'schema': '/v2/schemas/metadefs/objects'})

    def create(self, req, namespace):
        current = self._namespace(req, namespace, 'add_metadef_object')
        body = common.read_body(req, self.schema)
        _check(body)
        row = self.registry.metadef_object_create(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            values=namespaces.object_values(body))
        return http_helpers.json_response(common.object_view(row), status=201)

    def show(self, req, namespace, object_name):
        current = self._namespace(req, namespace, 'get_metadef_object')
        row = self.registry.metadef_object_get(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            object_name=object_name)
        return http_helpers.json_response(common.object_view(row))

    def update(self, req, namespace, object_name):
        current = self._namespace(req, namespace, 'modify_metadef_object')
        body = common.read_body(req, self.schema)
        _check(body)
        row = self.registry.metadef_object_update(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            object_name=object_name,
            values=namespaces.object_values(body))
        return http_helpers.json_response(common.object_view(row))

    def delete(self, req, namespace, object_name):
        current = self._namespace(req, namespace, 'delete_metadef_object')
        self.registry.metadef_object_delete(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            object_name=object_name)
        return webob.Response(status=204)
