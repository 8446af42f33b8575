"""The registry's HTTP controllers: the classic REST API and ``POST /rpc``.

Controllers take a webob request (with ``req.context``) and the path
parameters, and return a webob response; errors are raised as classes of
``glance_registry.common.exception`` and turned into JSON by the app in
``glance_registry.server``.
"""

import json

import webob

from glance_registry.common import exception


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
    """The request body decoded from JSON; Invalid when it is not JSON."""
    if not req.body:
        if required:
            raise exception.InvalidRequest(reason='request body is empty')
        return None
    try:
        return json.loads(req.body)
    except ValueError as e:
        raise exception.InvalidRequest(reason='body is not valid JSON (%s)'
                                       % e)
