"""Paste filters both daemons run before authentication: version discovery
without a token, and the size limit of request bodies.

glance-api subclasses them (:mod:`glance_api.pipeline`) for its own version
document, its error form and the image data it must not limit.
"""

import json

from oslo_config import cfg
from oslo_middleware import sizelimit
import webob

from glance_registry.common import exception
from glance_registry.common import context

CONF = cfg.CONF
# oslo.middleware's option, so [oslo_middleware] max_request_body_size
# means here what it means in other services.
CONF.register_opts(sizelimit.OPTS, group='oslo_middleware')


def is_version_discovery(environ):
    """A GET or HEAD of ``/`` or ``/versions``."""
    path = environ.get('PATH_INFO', '').rstrip('/')
    return (environ.get('REQUEST_METHOD') in ('GET', 'HEAD') and
            path in ('', '/versions'))


class VersionDiscovery(context.Middleware):
    """Answer ``GET /`` and ``GET /versions`` before authtoken: clients and
    Tempest discover versions without a token."""

    def __call__(self, environ, start_response):
        if not is_version_discovery(environ):
            return self.app(environ, start_response)
        return self.versions(webob.Request(environ))(environ, start_response)

    def versions(self, req):
        """The registry's document: its one REST API version (``/images``,
        ``/rpc``)."""
        resp = webob.Response(status=200, content_type='application/json',
                              charset=None)
        resp.body = json.dumps({'versions': [{
            'id': 'v1.0', 'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': req.host_url + '/'}]}]}).encode()
        return resp


def _read_up_to(stream, size):
    """Up to ``size`` bytes of ``stream``: a chunked body's read() may
    answer less than asked before its end."""
    parts = []
    while size > 0:
        data = stream.read(size)
        if not data:
            break
        parts.append(data)
        size -= len(data)
    return b''.join(parts)


class BodySizeLimit(context.Middleware):
    """413 for a request body over ``[oslo_middleware]
    max_request_body_size``, before anything reads it.

    A chunked body is read here up to the limit, so the app never meets a
    half-read body, and then passed on with its length.
    """

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        if self.unlimited(req):
            return self.app(environ, start_response)
        limit = CONF.oslo_middleware.max_request_body_size
        length = req.content_length
        chunked = 'chunked' in environ.get('HTTP_TRANSFER_ENCODING',
                                           '').lower()
        if length is None and chunked:
            try:
                body = _read_up_to(environ['wsgi.input'], limit + 1)
            except ValueError:
                # eventlet's ChunkReadError: the sender's fault. The rest
                # of the stream cannot be framed: close the connection.
                error = exception.InvalidRequest(
                    reason='the request body is not valid chunked transfer '
                           'encoding')
                resp = self.too_large(req, error)
                resp.headers['Connection'] = 'close'
                return resp(environ, start_response)
            length = len(body)
            if length <= limit:
                # From here on a plain body of known length.
                req.environ.pop('HTTP_TRANSFER_ENCODING', None)
                req.body = body
        if length is not None and length > limit:
            error = exception.RequestEntityTooLarge(
                'Request body of %d bytes or more is over '
                'max_request_body_size (%d)' % (length, limit))
            return self.too_large(req, error)(environ, start_response)
        return self.app(environ, start_response)

    def unlimited(self, req):
        """Whether ``req`` carries image data, which has its own limits."""
        return False

    def too_large(self, req, error):
        """The answer (a webob Response) refusing ``req`` with ``error``
        (413, or 400 for a body that cannot be read)."""
        from glance_registry import server
        return server.error_response(error)


def cors_filter_factory(global_conf, **local_conf):
    """oslo.middleware's CORS reading [cors] from the daemon's own
    configuration (its factory wants the options in the paste file or a
    project to load a second configuration from)."""
    from oslo_middleware import cors
    return lambda app: cors.CORS(app, CONF)
