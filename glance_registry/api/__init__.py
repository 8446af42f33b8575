"""The registry's HTTP controllers: the classic REST API and ``POST /rpc``.

Controllers take a webob request (with ``req.context``) and the path
parameters, and return a webob response; errors are raised as classes of
``glance_registry.common.exception`` and turned into JSON by the app in
``glance_registry.server``.
"""

import json

import webob

from glance_registry.common import exception
from glance_registry.common import inputs


def json_response(body, status=200):
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None)
    resp.body = json.dumps(body).encode()
    return resp


def empty_response(status=204):
    resp = webob.Response(status=status)
    resp.content_type = None
    return resp


def read_json_body(req, required=True):
    """The request body decoded from JSON; Invalid when it is not JSON or
    holds junk (see :func:`inputs.decode_json`)."""
    if not req.body:
        if required:
            raise exception.InvalidRequest(reason='request body is empty')
        return None
    # glance-api's calls nest a few levels deeper than the API bodies they
    # carry.
    return inputs.decode_json(req.body, max_depth=2 * inputs.MAX_JSON_DEPTH)
