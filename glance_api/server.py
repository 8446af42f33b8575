"""glance-api: the WSGI app, its paste ``app_factory`` and ``main()``.

A request goes ``__call__`` -> :meth:`API.handle_request` -> the first path
segment picks the API version (``/v2``, ``/v2.1``, ...) -> that version's
route table (:mod:`glance_api.v2.router`) -> a controller action. ``/``,
``/versions`` and unknown versions answer the version list.

The app holds one registry client and one glance_store ``Stores``, built
from the configuration, shared by every controller.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging
import webob

import glance_store
from glance_api import leases
from glance_api import middleware
from glance_api import url_filter
from glance_api.v2 import faults
from glance_api import versions
from glance_registry import client as registry_client
from glance_registry.common import config
from glance_registry.common import exception
from glance_registry.common import inputs
from glance_registry.common import wsgi

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

DEFAULT_PORT = 9292


class API:
    """The glance-api WSGI application."""

    def __init__(self, conf=CONF, registry=None, stores=None):
        from glance_api.v2 import router as v2_router
        self.conf = conf
        if registry is None:
            registry = registry_client.RegistryClient(conf)
        if stores is None:
            glance_store.register_opts(conf)
            stores = glance_store.Stores(
                conf, url_filter=url_filter.URLFilter(conf))
        self.registry = registry
        self.stores = stores
        self.routers = {}
        if conf.enable_v2_api:
            self.routers['v2'] = v2_router.Router(registry, stores, conf)
        if conf.enable_v1_api:
            from glance_api.v1 import router as v1_router
            self.routers['v1'] = v1_router.Router(registry, stores, conf)

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        resp = self.handle_request(req)
        return resp(environ, start_response)

    def handle_request(self, req):
        if middleware.ENV_CONTEXT not in req.environ:
            # A pipeline without a context filter serves no one: never
            # fall back to an administrator.
            return faults.translate(exception.NotAuthenticated(), req)
        try:
            inputs.check_url(req)
        except exception.Invalid as e:
            return faults.translate(e, req)
        first, _, rest = req.path_info.lstrip('/').partition('/')
        if not first:
            return versions.versions_response(req, 300, self.conf)
        if first == 'versions' and not rest:
            return versions.versions_response(req, 200, self.conf)
        major = versions.served_versions(self.conf).get(first)
        if major not in self.routers:
            return versions.versions_response(req, 300, self.conf)
        # /v2.1/images is served as /v2/images.
        req.path_info = '/%s/%s' % (major, rest) if rest else '/' + major
        return self.routers[major](req)


def app_factory(global_conf, **local_conf):
    """paste.deploy entry point of the glance-api app."""
    return API(CONF)


def _release_previous_leases():
    """In each serving process, in the background: release the uploads a
    previous run of this glance-api left in saving."""
    import threading
    threading.Thread(target=leases.release_previous,
                     args=(lambda: registry_client.RegistryClient(CONF),),
                     daemon=True, name='lease-release').start()


def main():
    """Serve; the console script has patched the process for eventlet."""
    try:
        glance_store.register_opts(CONF)
        config.parse_args(sys.argv[1:], prog='glance-api')
        config.setup_logging('glance-api')
        app = config.load_paste_app('glance-api', 'glance-api')
        leases.start_generation()
        server = wsgi.Server(app, default_port=DEFAULT_PORT,
                             name='glance-api',
                             on_start=_release_previous_leases,
                             load_app=lambda: config.load_paste_app(
                                 'glance-api', 'glance-api'))
    except RuntimeError as e:
        sys.exit('ERROR: %s' % e)
    server.start()
