"""glance-registry: the WSGI app, its paste ``app_factory`` and ``main()``.

A request goes ``__call__`` -> :meth:`RegistryApp.handle_request` -> the
route table below picks ``module.function`` by path and method -> that
function (in ``glance_registry.api``) runs and returns a response. Errors are
exceptions of ``glance_registry.common.exception`` and become JSON here, in
one place.
"""

import importlib
import json
import re
import sys

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import config
from glance_registry.common import exception
from glance_registry.common import inputs
from glance_registry.common import wsgi
from glance_registry import metrics

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

DEFAULT_PORT = 9191

# path pattern -> {HTTP method: handler in glance_registry.api}. Order
# matters: /images/detail before /images/{image_id}.
ROUTES = [
    ('/images', {'GET': 'images.index', 'POST': 'images.create'}),
    ('/images/detail', {'GET': 'images.detail'}),
    ('/images/{image_id}', {'GET': 'images.show', 'HEAD': 'images.show',
                            'PUT': 'images.update',
                            'DELETE': 'images.delete'}),
    ('/images/{image_id}/members', {'GET': 'members.index',
                                    'PUT': 'members.replace_all'}),
    ('/images/{image_id}/members/{member}', {'PUT': 'members.add',
                                             'DELETE': 'members.delete'}),
    ('/shared-images/{member}', {'GET': 'members.shared_images'}),
    ('/rpc', {'POST': 'rpc.call'}),
]


def _compile(pattern):
    regex = re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', pattern)
    return re.compile('^%s$' % regex)


def error_response(error, headers=None):
    """The JSON answer for a GlanceException, its message shortened so it
    never echoes long input whole."""
    import webob
    resp = webob.Response(status=error.http_status,
                          content_type='application/json', charset=None)
    wire = error.to_wire()
    wire['message'] = exception.shorten(wire['message'])
    resp.body = json.dumps({'error': wire}).encode()
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


class RegistryApp:
    """The registry's WSGI application."""

    def __init__(self, routes=ROUTES):
        self.routes = []
        for pattern, methods in routes:
            handlers = {method: self._resolve(name)
                        for method, name in methods.items()}
            self.routes.append((_compile(pattern), handlers))

    @staticmethod
    def _resolve(name):
        if callable(name):
            return name
        module_name, function_name = name.rsplit('.', 1)
        module = importlib.import_module('glance_registry.api.' +
                                         module_name)
        return getattr(module, function_name)

    def __call__(self, environ, start_response):
        import webob
        req = webob.Request(environ)
        resp = self.handle_request(req)
        return resp(environ, start_response)

    def match(self, path):
        for regex, handlers in self.routes:
            found = regex.match(path)
            if found:
                return handlers, found.groupdict()
        return None, None

    def handle_request(self, req):
        from glance_registry import middleware
        req.context = req.environ.get(middleware.ENV_CONTEXT)
        if req.context is None:
            # A pipeline without a context filter serves no one: never
            # fall back to an administrator.
            return error_response(exception.NotAuthenticated())
        try:
            inputs.check_url(req)
        except exception.Invalid as e:
            return error_response(e)
        handlers, params = self.match(req.path_info)
        if handlers is None:
            return error_response(exception.NotFound(
                'Unknown path %s' % req.path_info))
        handler = handlers.get(req.method)
        if handler is None:
            return error_response(
                exception.MethodNotAllowed(method=req.method),
                {'Allow': ', '.join(sorted(handlers))})
        try:
            return handler(req, **params)
        except exception.GlanceException as e:
            if e.http_status >= 500:
                LOG.warning('%s %s failed (request %s): %s', req.method,
                            req.path_info, req.context.request_id, e)
            return error_response(e)
        except Exception:
            LOG.exception('Unexpected error serving %s %s (request %s)',
                          req.method, req.path_info, req.context.request_id)
            return error_response(exception.GlanceException())


def app_factory(global_conf, **local_conf):
    """paste.deploy entry point of the registry app."""
    return RegistryApp()


def _start_serving():
    """Serve the contract on the messaging topic too, when configured, and
    start the lease healer.

    Called in every process that serves requests: the only process with
    workers = 0, else each forked worker (connections to RabbitMQ do not
    survive a fork, and each worker then shares the topic's calls).
    """
    from glance_registry import lease_healer
    from glance_registry import messaging
    lease_healer.LeaseHealer().start()
    return messaging.start_server()


def main():
    """Serve; the console script has patched the process for eventlet."""
    try:
        config.parse_args(sys.argv[1:], prog='glance-registry')
        config.setup_logging('glance-registry')
        # Imported after configuration so the database options exist.
        from glance_registry import dispatch  # noqa: F401
        # Before any worker forks and before the first metric exists.
        metrics_dir = metrics.prepare_processes(CONF.workers,
                                                'glance-registry')
        app = config.load_paste_app('glance-registry', 'glance-registry')
        server = wsgi.Server(app, default_port=DEFAULT_PORT,
                             name='glance-registry',
                             on_start=_start_serving,
                             load_app=lambda: config.load_paste_app(
                                 'glance-registry', 'glance-registry'))
        try:
            server.start()
        finally:
            metrics.cleanup(metrics_dir)
    except RuntimeError as e:
        sys.exit('ERROR: %s' % e)
