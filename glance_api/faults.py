"""The one place the Image API (v1 and v2) turns exceptions into HTTP error
responses.

A client that asks for JSON (``Accept: application/json``, as openstacksdk
does) gets upstream's form, the one webob gives a JSON client:
``{"code": "404 Not Found", "title": "Not Found", "message": "..."}``.
Any other client (python-glanceclient sends ``Accept: */*``, curl too) gets
the same text as text/plain, as upstream does with its HTML page:
glanceclient reads a JSON error body as a dict of dicts and fails on the
flat form.
Controllers raise :mod:`glance_registry.common.exception` classes or
glance_store errors (both carry ``http_status``); anything else is logged
once with the request id and answered with a bare 500.
"""

import json

from oslo_log import log as logging
import webob
import webob.exc

from glance_registry.common import context as glance_context
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)


def _title(status):
    cls = webob.exc.status_map.get(status)
    if cls is not None:
        return cls.title
    return webob.Response(status=status).status.split(' ', 1)[1]


def _wants_json(req):
    # No Accept header at all: JSON, the API's own form.
    if req is None or not req.accept:
        return True
    offers = req.accept.acceptable_offers(['text/plain', 'application/json'])
    if not offers:
        return True
    # Prefer JSON only when the client ranks it strictly higher: "*/*"
    # ranks both equally.
    best = max(quality for _, quality in offers)
    ranked = [offer for offer, quality in offers if quality == best]
    return ranked == ['application/json']


def error_response(status, message, headers=None, req=None):
    """An error response in upstream's shape, negotiated on ``Accept``;
    the message is shortened so it never echoes long input whole."""
    message = exception.shorten(message)
    title = _title(status)
    code = '%d %s' % (status, title)
    if _wants_json(req):
        resp = webob.Response(status=status,
                              content_type='application/json', charset=None)
        resp.body = json.dumps({'code': code, 'title': title,
                                'message': message}).encode()
    else:
        resp = webob.Response(status=status, content_type='text/plain',
                              charset='UTF-8')
        resp.text = '%s\n\n%s\n' % (code, message)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def translate(error, req=None):
    """The response for ``error`` raised while serving ``req``."""
    if isinstance(error, (exception.GlanceException,
                          store_exceptions.StoreError)):
        status = error.http_status
        if status >= 500:
            LOG.warning('%s %s failed (request %s): %s',
                        getattr(req, 'method', '-'),
                        getattr(req, 'path', '-'), _request_id(req), error)
        # An error may name response headers the client needs (Allow on
        # 405, Accept-Patch on a PATCH answered 415).
        headers = getattr(error, 'kwargs', {}).get('headers')
        message = str(error)
        if isinstance(error, store_exceptions.StorageFull):
            # Classic glance's words, which operators and clients know.
            message = 'Image storage media is full: %s' % message
        return error_response(status, message, headers, req)
    LOG.error('Unexpected error serving %s %s (request %s)',
              getattr(req, 'method', '-'), getattr(req, 'path', '-'),
              _request_id(req), exc_info=error)
    return error_response(500, 'The server has either erred or is '
                               'incapable of performing the requested '
                               'operation.', req=req)


def _request_id(req):
    if req is None:
        return '-'
    context = req.environ.get(glance_context.ENV_CONTEXT)
    return getattr(context, 'request_id', None) or req.environ.get(
        'openstack.request_id', '-')
