"""Metadef tags: /v2/metadefs/namespaces/{namespace}/tags[/{tag_name}]."""

import webob

from glance_api import http_helpers
from glance_api.v2.metadefs import common
from glance_api.v2.metadefs import namespaces
from glance_api.v2.metadefs import schemas
from glance_registry.common import exception
from glance_registry.common import paging

APPEND_HEADER = 'X-Openstack-Append'


def _tags_body_schema():
    # Each item must be an object: the served tag schema leaves the type
    # open, and a bare 5 would pass its "required".
    item = dict(schemas.tag_schema(), type='object')
    return {'name': 'tags', 'type': 'object', 'required': ['tags'],
            'additionalProperties': False,
            'properties': {'tags': {'type': 'array', 'items': item}}}


def _append(req):
    value = req.headers.get(APPEND_HEADER, 'false').strip().lower()
    if value not in ('true', 'false'):
        raise exception.InvalidRequest(
            reason='%s must be true or false, not %s'
                   % (APPEND_HEADER, req.headers[APPEND_HEADER]))
    return value == 'true'


class TagsController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.schema = schemas.tag_schema()

    def _namespace(self, req, namespace, action):
        return namespaces.get_namespace(self.registry, self.conf, req,
                                        namespace, action)

    def index(self, req, namespace):
        current = self._namespace(req, namespace, 'get_metadef_tags')
        params = req.params
        limit = None
        if params.get('limit') is not None:
            limit = paging.parse_limit(params['limit'], self.conf)
        rows = self.registry.metadef_tag_get_all(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            marker=params.get('marker'), limit=limit,
            sort_key=params.get('sort_key', 'created_at'),
            sort_dir=params.get('sort_dir', 'desc'))
        return http_helpers.json_response({
            'tags': [common.tag_view(r) for r in rows],
            'schema': '/v2/schemas/metadefs/tags'})

    def create_tags(self, req, namespace):
        current = self._namespace(req, namespace, 'add_metadef_tags')
        body = common.read_body(req, _tags_body_schema())
        rows = self.registry.metadef_tag_create_tags(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            tags=[{'name': t['name']} for t in body['tags']],
            can_append=_append(req))
        return http_helpers.json_response(
            {'tags': [{'name': r['name']} for r in rows]}, status=201)

    def create(self, req, namespace, tag_name):
        current = self._namespace(req, namespace, 'add_metadef_tag')
        row = self.registry.metadef_tag_create(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            values={'name': tag_name})
        return http_helpers.json_response(common.tag_view(row), status=201)

    def show(self, req, namespace, tag_name):
        current = self._namespace(req, namespace, 'get_metadef_tag')
        row = self.registry.metadef_tag_get(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            name=tag_name)
        return http_helpers.json_response(common.tag_view(row))

    def update(self, req, namespace, tag_name):
        current = self._namespace(req, namespace, 'modify_metadef_tag')
        body = common.read_body(req, self.schema)
        row = self.registry.metadef_tag_update(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            name=tag_name, values={'name': body['name']})
        return http_helpers.json_response(common.tag_view(row))

    def delete(self, req, namespace, tag_name):
        current = self._namespace(req, namespace, 'delete_metadef_tag')
        self.registry.metadef_tag_delete(
            http_helpers.request_context(req),
            namespace_name=current['namespace'],
            name=tag_name)
        return webob.Response(status=204)
