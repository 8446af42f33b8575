"""Metadef resource types: GET /v2/metadefs/resource_types and the
associations /v2/metadefs/namespaces/{namespace}/resource_types[/{name}]."""

import webob

from glance_api import http_helpers
from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import namespaces
from glance_api.v2.metadefs import schemas


class ResourceTypesController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.schema = schemas.resource_type_association_schema()

    def _namespace(self, req, namespace, action):
        return namespaces.get_namespace(self.registry, self.conf, req,
                                        namespace, action)

    def index(self, req):
        common.enforce(self.conf, req, 'list_metadef_resource_types')
        rows = self.registry.metadef_resource_type_get_all(
            http_helpers.request_context(req))
        return http_helpers.json_response({
            'resource_types': [common.resource_type_view(r) for r in rows]})

    def associations(self, req, namespace):
        current = self._namespace(req, namespace, 'get_metadef_resource_type')
        rows = (
            self.registry.metadef_resource_type_association_get_by_namespace(
                http_helpers.request_context(req),
                namespace_name=current['namespace']))
        return http_helpers.json_response({
            'resource_type_associations': [common.association_view(r)
                                           for r in rows]})

    def associate(self, req, namespace):
        current = self._namespace(req, namespace,
                                  'add_metadef_resource_type_association')
        body = common.read_body(req, self.schema)
        row = self.registry.metadef_resource_type_association_create(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            values=common.drop_none(body))
        return http_helpers.json_response(common.association_view(row),
                                          status=201)

    def deassociate(self, req, namespace, resource_type):
        current = self._namespace(req, namespace,
                                  'remove_metadef_resource_type_association')
        self.registry.metadef_resource_type_association_delete(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            resource_type_name=resource_type)
        return webob.Response(status=204)
