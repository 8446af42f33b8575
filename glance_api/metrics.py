"""Prometheus metrics of glance-api, served at ``GET /metrics``.

The ``metrics`` paste filter counts every request by method, route
template (``/v2/images/{image_id}/file``) and status, and image data by
route: uploads (``PUT .../file``, ``.../stage``, v1 create/update with
data) and downloads (``GET .../file``, v1 ``GET /v1/images/{id}``), so the
upload and download code needs no metrics of its own. Other parts count
through :func:`record_cache_lookup`, :func:`record_task` and
:func:`record_registry_call`.

Store usage (bytes of active images per store) is asked from the registry
when scraped, at most once per ``[metrics] store_usage_cache_time``.

The ``[metrics]`` options, multiprocess mode and the app answering only
``allowed_hosts`` are shared with the registry
(:mod:`glance_registry.metrics`).
"""

import re
import time

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry import metrics as common

LOG = logging.getLogger(__name__)

api_metrics_opts = [
    cfg.IntOpt('store_usage_cache_time', default=60, min=0,
               help='Seconds a store usage figure from the registry is '
                    'served before it is asked again.'),
]

CONF = cfg.CONF
CONF.register_opts(api_metrics_opts, group='metrics')

DURATION_BUCKETS = common.DURATION_BUCKETS
# Histogram buckets of image sizes in bytes: 1 MiB .. 2 TiB.
SIZE_BUCKETS = tuple(2 ** n for n in range(20, 42, 2))


def list_opts():
    return [('metrics', common.metrics_opts + api_metrics_opts)]


class _Metrics:
    """The metric objects, made on first use (after
    :func:`prepare_processes`)."""

    def __init__(self):
        import prometheus_client as prom
        self.requests = prom.Histogram(
            'glance_api_request_duration_seconds',
            'Time from request to the end of the answer, by method, route '
            'template and status.', ['method', 'route', 'status'],
            buckets=DURATION_BUCKETS)
        self.uploads = prom.Counter(
            'glance_image_upload_count', 'Image data uploads, by store and '
            'result (success, failure).', ['store', 'result'])
        self.upload_bytes = prom.Counter(
            'glance_image_upload_bytes', 'Bytes of image data received, by '
            'store.', ['store'])
        self.downloads = prom.Counter(
            'glance_image_download_count', 'Image data downloads, by result '
            '(success, failure).', ['result'])
        self.download_bytes = prom.Counter(
            'glance_image_download_bytes', 'Bytes of image data sent.')
        self.image_sizes = prom.Histogram(
            'glance_image_size_bytes', 'Sizes of the images uploaded.',
            buckets=SIZE_BUCKETS)
        self.cache = prom.Counter(
            'glance_cache_lookup_count', 'Image cache lookups by result '
            '(hit, miss); the hit ratio is hit / (hit + miss).', ['result'])
        self.cache_bytes = prom.Counter(
            'glance_cache_served_bytes', 'Bytes of image data sent from the '
            'image cache.')
        self.tasks = prom.Counter(
            'glance_task_completed_count', 'Tasks ended, by type and result '
            '(success, failure).', ['type', 'result'])
        self.registry_calls = prom.Histogram(
            'glance_registry_rpc_duration_seconds', 'Registry contract '
            'calls by operation and transport.', ['operation', 'transport'],
            buckets=DURATION_BUCKETS)


_metrics = common.Lazy(_Metrics)


def get():
    return _metrics.get()


def record_cache_lookup(hit):
    """Count one lookup of the image cache."""
    if CONF.metrics.enabled:
        get().cache.labels('hit' if hit else 'miss').inc()


def record_cache_bytes(count):
    """Count ``count`` bytes sent from the image cache."""
    if CONF.metrics.enabled:
        get().cache_bytes.inc(count)


def record_task(task_type, success):
    """Count one task that ended (import, ...)."""
    if CONF.metrics.enabled:
        get().tasks.labels(task_type, 'success' if success
                           else 'failure').inc()


def record_registry_call(operation, transport, seconds):
    """Count one registry contract call and its duration."""
    if CONF.metrics.enabled:
        get().registry_calls.labels(operation, transport).observe(seconds)


# -- routes -----------------------------------------------------------------

# A path segment -> the name of the id that follows it.
_ID_AFTER = {
    'images': '{image_id}', 'members': '{member_id}', 'tags': '{tag}',
    'tasks': '{task_id}', 'namespaces': '{namespace}', 'objects': '{object}',
    'properties': '{property}', 'resource_types': '{resource_type}',
    'stores': '{store}', 'cache': '{image_id}', 'shared-images':
    '{member_id}',
}
# Segments that are names, never ids.
_WORDS = {'detail', 'file', 'stage', 'import', 'actions', 'deactivate',
          'reactivate', 'locations', 'members', 'tags', 'schemas', 'info',
          'stores', 'usage', 'metadefs', 'namespaces', 'objects',
          'properties', 'resource_types', 'tasks', 'cache'}
_VERSION = re.compile(r'^v\d+(\.\d+)?$')


def route_template(path):
    """``path`` with its ids replaced by names, so metrics have one series
    per route: ``/v2.1/images/<uuid>/file`` -> ``/v2/images/{image_id}/
    file``. Unknown paths fold into ``other``."""
    segments = [s for s in path.split('/') if s]
    if not segments:
        return '/'
    if segments == ['versions']:
        return '/versions'
    if not _VERSION.match(segments[0]):
        return 'other'
    result = [segments[0].split('.')[0]]
    previous = None
    for segment in segments[1:]:
        if previous in _ID_AFTER and segment not in _WORDS:
            name = _ID_AFTER[previous]
            if previous == 'stores' and result[-1] == '{store}':
                name = '{image_id}'
            result.append(name)
            previous = name
        elif previous == '{store}':
            result.append('{image_id}')
            previous = '{image_id}'
        else:
            result.append(segment if segment in _WORDS or segment in
                          _ID_AFTER or previous in (None, 'schemas', 'info')
                          else '{id}')
            previous = segment
        if len(result) > 8:
            return 'other'
    return '/' + '/'.join(result)


def _is_upload(method, route):
    return ((method == 'PUT' and route.endswith(('/file', '/stage'))) or
            (route.startswith('/v1/') and
             (method == 'POST' and route == '/v1/images' or
              method == 'PUT' and route == '/v1/images/{image_id}')))


def _is_download(method, route):
    return method == 'GET' and (route == '/v2/images/{image_id}/file' or
                                route == '/v1/images/{image_id}')


class _CountingInput:
    """wsgi.input counting the bytes the app reads."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def read(self, *args):
        data = self.stream.read(*args)
        self.count += len(data)
        return data

    def readline(self, *args):
        data = self.stream.readline(*args)
        self.count += len(data)
        return data

    def __iter__(self):
        for data in self.stream:
            self.count += len(data)
            yield data

    def __getattr__(self, name):
        return getattr(self.stream, name)


class MetricsMiddleware:
    """The ``metrics`` paste filter: counts each request when its answer
    has been sent (or cut short)."""

    def __init__(self, app):
        self.app = app

    @classmethod
    def factory(cls, global_conf, **local_conf):
        def _filter(app):
            if not CONF.metrics.enabled:
                return app
            return cls(app)
        return _filter

    def __call__(self, environ, start_response):
        started = time.monotonic()
        method = environ.get('REQUEST_METHOD', '')
        route = route_template(environ.get('PATH_INFO', ''))
        upload = _is_upload(method, route)
        download = _is_download(method, route)
        if upload:
            counting_input = environ['wsgi.input'] = _CountingInput(
                environ['wsgi.input'])
        store = (environ.get('HTTP_X_IMAGE_META_STORE') or
                 CONF.glance_store.default_backend or
                 CONF.glance_store.default_store)
        status = []

        def _start_response(status_line, headers, exc_info=None):
            status.append(int(status_line.split(' ', 1)[0]))
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, _start_response)

        def _finished(sent, complete):
            code = status[0] if status else 500
            metrics = get()
            metrics.requests.labels(method, route, str(code)).observe(
                time.monotonic() - started)
            success = complete and 200 <= code < 300
            if upload:
                metrics.uploads.labels(
                    store, 'success' if success else 'failure').inc()
                metrics.upload_bytes.labels(store).inc(counting_input.count)
                if success:
                    metrics.image_sizes.observe(counting_input.count)
            elif download and code != 304:
                metrics.downloads.labels(
                    'success' if success else 'failure').inc()
                metrics.download_bytes.inc(sent)

        # The app is called now, not on first iteration: a filter in
        # front (webob's wsgify) that sees no start_response yet reads the
        # whole body into memory.
        return _CountingBody(body, _finished)


class _CountingBody:
    """``body``, counting the bytes sent; ``finished(sent, complete)``
    once, when the server closes it."""

    def __init__(self, body, finished):
        self.body = body
        self.finished = finished
        self.sent = 0
        self.complete = False

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk
        self.complete = True

    def close(self):
        try:
            if hasattr(self.body, 'close'):
                self.body.close()
        finally:
            finished, self.finished = self.finished, None
            if finished is not None:
                finished(self.sent, self.complete)


# -- GET /metrics -------------------------------------------------------------

class StoreUsageCollector:
    """``glance_store_usage_bytes``: bytes of active images per store, from
    the registry, cached for ``store_usage_cache_time``."""

    def __init__(self, registry):
        self.registry = registry
        self.cached = None
        self.cached_at = 0

    def usage(self):
        if (self.cached is not None and time.monotonic() - self.cached_at <
                CONF.metrics.store_usage_cache_time):
            return self.cached
        from glance_api.v2 import images as v2_images
        from glance_registry.common import context as glance_context
        context = glance_context.RequestContext(is_admin=True,
                                                overwrite=False)
        usage = {}
        marker = None
        while True:
            page = self.registry.image_get_all(
                context, filters={'status': 'active'}, marker=marker,
                limit=1000)
            for image in page:
                for store in v2_images.stores_of(image.get('locations', [])):
                    usage[store] = usage.get(store, 0) + (image['size'] or 0)
            if len(page) < 1000:
                break
            marker = page[-1]['id']
        self.cached, self.cached_at = usage, time.monotonic()
        return usage

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        family = GaugeMetricFamily(
            'glance_store_usage_bytes', 'Bytes of active images per store '
            '(from the registry).', labels=['store'])
        try:
            usage = self.usage()
        except Exception as e:
            LOG.warning('Store usage not available for /metrics: %s', e)
            usage = self.cached or {}
        for store, size in sorted(usage.items()):
            family.add_metric([store], size)
        yield family


class MetricsApp(common.MetricsApp):
    """glance-api's ``GET /metrics``, with store usage from the
    registry."""

    def __init__(self, registry=None):
        super().__init__()
        self.registry = registry

    def make_metrics(self):
        get()

    def extra_collectors(self):
        registry = self.registry
        if registry is None:
            from glance_registry import client as registry_client
            registry = registry_client.RegistryClient(CONF)
        return [StoreUsageCollector(registry)]
