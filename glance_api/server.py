"""glance-api: the WSGI app, its paste ``app_factory`` and ``main()``.

A request goes ``__call__`` -> :meth:`API.handle_request` -> the first path
segment picks the API version (``/v2``, ``/v2.1``, ...) -> that version's
route table (:mod:`glance_api.v2.routes`) through :mod:`glance_api.router`
-> a controller action. ``/``,
``/versions`` and unknown versions answer the version list.

The app holds one registry client and one glance_store ``Stores``, built
from the configuration, shared by every controller.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging
import webob

import glance_store
from glance_api.cache import image_cache
from glance_api import faults
from glance_api import importing
from glance_api import leases
from glance_api import metrics
from glance_api import middleware
from glance_api import router
from glance_api import url_filter
from glance_api.v1 import routes as v1_routes
from glance_api.v2 import routes as v2_routes
from glance_api import versions
from glance_registry import client as registry_client
from glance_registry import metrics as common_metrics
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
        self.conf = conf
        # The version document lists import's versions from the start, not
        # only once a controller that imports has been built.
        conf.register_opts(importing.import_opts)
        if registry is None:
            registry = registry_client.RegistryClient(conf)
        if stores is None:
            glance_store.register_opts(conf)
            stores = glance_store.Stores(
                conf, url_filter=url_filter.URLFilter(conf))
        if conf.metrics.enabled and getattr(registry, 'observer', 0) is None:
            registry.observer = metrics.record_registry_call
        self.registry = registry
        self.stores = stores
        self.cache_jobs_started = False
        self.routers = {}
        if conf.enable_v2_api:
            self.routers['v2'] = router.Router(v2_routes, registry, stores,
                                               conf)
        if conf.enable_v1_api:
            self.routers['v1'] = router.Router(v1_routes, registry, stores,
                                               conf)

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
        if image_cache.ENV_CACHE in req.environ:
            self.start_cache_jobs()
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

    def start_cache_jobs(self):
        """The image cache's periodic prefetch, clean and prune in this
        process, from its first request through a caching pipeline."""
        if self.cache_jobs_started:
            return
        self.cache_jobs_started = True
        from glance_api.cache import maintenance
        from glance_api import download
        downloader = download.Downloader(self.registry, self.stores,
                                         self.conf)
        cache = downloader.image_cache()
        if cache is None:
            return
        cache.start_periodic(lambda: maintenance.run_all(cache, downloader))


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
        # Before any worker forks and before the first metric exists.
        metrics_dir = common_metrics.prepare_processes(CONF.workers,
                                                       'glance-api')
        app = config.load_paste_app('glance-api', 'glance-api')
        leases.start_generation()
        server = wsgi.Server(app, default_port=DEFAULT_PORT,
                             name='glance-api',
                             on_start=_release_previous_leases,
                             load_app=lambda: config.load_paste_app(
                                 'glance-api', 'glance-api'))
        try:
            server.start()
        finally:
            common_metrics.cleanup(metrics_dir)
    except RuntimeError as e:
        sys.exit('ERROR: %s' % e)
