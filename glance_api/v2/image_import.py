"""Image API v2 interoperable import: PUT /v2/images/{image_id}/stage and
POST /v2/images/{image_id}/import.

An import of an image staged on another glance-api worker (its
``os_glance_stage_host``) is sent on to that worker as it came.
"""

import urllib.error
import urllib.request

import webob

from glance_api import http_helpers
from glance_api import importing
from glance_registry.common import exception
from glance_registry.common import inputs

STORE_HEADER = 'X-Image-Meta-Store'
# What a forwarded request keeps of the original: who is asking (a token,
# or the identity headers keystonemiddleware or a noauth lab sets), the
# request id, the body's type and the store header.
FORWARDED_HEADERS = ('X-Auth-Token', 'X-Project-Id', 'X-Tenant-Id',
                     'X-User-Id', 'X-Roles', 'X-Openstack-Request-Id',
                     'Content-Type', STORE_HEADER)
FORWARD_TIMEOUT = 60


def _bool(body, name, default):
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise exception.InvalidParameterValue(
            value=value, param=name, extra='expected true or false')
    return value


def parse_import_body(body):
    """(ImportRequest, stores or None, all_stores) from the JSON body;
    400 for anything malformed."""
    if not isinstance(body, dict):
        raise exception.InvalidRequest(reason='the body must be an object')
    method = body.get('method')
    if not isinstance(method, dict) or \
            not isinstance(method.get('name'), str):
        raise exception.InvalidRequest(
            reason='method must be an object with a name')
    stores = body.get('stores')
    if stores is not None and (
            not isinstance(stores, list) or
            not all(isinstance(s, str) and s for s in stores)):
        raise exception.InvalidParameterValue(
            value=stores, param='stores', extra='expected a list of store '
                                                'ids')
    all_stores = _bool(body, 'all_stores', False)
    must_succeed = _bool(body, 'all_stores_must_succeed', True)
    request = importing.ImportRequest(
        method['name'], None, all_stores_must_succeed=must_succeed,
        uri=method.get('uri'), body=body)
    return request, stores, all_stores


def forward(req, host):
    """Send ``req`` to the worker at ``host`` and answer what it answers."""
    headers = {name: req.headers[name] for name in FORWARDED_HEADERS
               if name in req.headers}
    outgoing = urllib.request.Request(
        host + req.path_qs, data=req.body or None, method=req.method,
        headers=headers)
    try:
        with urllib.request.urlopen(outgoing,
                                    timeout=FORWARD_TIMEOUT) as answer:
            status, body = answer.status, answer.read()
            content_type = answer.headers.get('Content-Type')
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
        content_type = e.headers.get('Content-Type')
    except OSError as e:
        raise exception.ServiceUnavailable(
            'The glance-api worker holding the staged data (%s) cannot be '
            'reached: %s' % (host, e))
    response = webob.Response(status=status, body=body)
    if content_type:
        response.content_type = content_type
    return response


class ImageImportController:

    def __init__(self, registry, stores, conf):
        self.stager = importing.Stager(registry, conf)
        self.service = importing.ImportService(
            registry, stores, conf, staging=self.stager.staging,
            notifier=self.stager.notifier)

    def stage(self, req, image_id):
        """Put the request body into the staging area; 204."""
        if req.content_type != 'application/octet-stream':
            raise exception.UnsupportedMediaType(
                content_type=req.content_type or '(none)')
        self.stager.stage(http_helpers.request_context(req), image_id,
                          req.body_file_raw, req.content_length)
        return webob.Response(status=204)

    def import_image(self, req, image_id):
        """Start the import; 202."""
        context = http_helpers.request_context(req)
        request, stores, all_stores = parse_import_body(
            inputs.decode_json(req.body or b'null'))
        if request.method == 'glance-direct':
            image = self.service.get_image(context, image_id)
            host = self.service.staging.stage_host(image)
            if host is not None:
                return forward(req, host)
        self.service.start(context, image_id, request, stores=stores,
                           all_stores=all_stores,
                           store_header=req.headers.get(STORE_HEADER))
        return webob.Response(status=202)
