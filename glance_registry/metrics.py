"""Prometheus metrics: ``GET /metrics`` of both daemons, and the
registry's own.

Shared by the daemons: the ``[metrics]`` options, multiprocess mode for
several workers (each process writes its samples to
``[metrics] multiproc_dir`` and any worker answers for all of them), and
:class:`MetricsApp`, which answers clients in ``allowed_hosts`` and is 404
to anyone else. glance-api's metrics are in :mod:`glance_api.metrics`.

The registry counts each contract operation it serves by transport and
result with its duration (:func:`record_operation`, called by the
dispatcher), and reports its database connection pool when scraped (the
answering worker's pool).
"""

import ipaddress
import os
import shutil
import tempfile
import threading

from oslo_config import cfg
from oslo_log import log as logging
import webob

LOG = logging.getLogger(__name__)

metrics_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Count what this daemon serves and answer GET /metrics '
                     '(to allowed_hosts).'),
    cfg.ListOpt('allowed_hosts', default=['127.0.0.1', '::1'],
                help='Addresses or networks (CIDR) of the clients that may '
                     'read GET /metrics, e.g. the Prometheus server; any '
                     'other client gets 404.'),
    cfg.StrOpt('multiproc_dir',
               help='Directory where each worker process writes its samples '
                    'when workers is not 0 (emptied at start). Unset: a new '
                    'temporary directory per start, removed at exit.'),
]

CONF = cfg.CONF
CONF.register_opts(metrics_opts, group='metrics')

# Histogram buckets of durations in seconds.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)


def list_opts():
    return [('metrics', metrics_opts)]


def prepare_processes(workers, prog):
    """Before the server forks: multiprocess mode unless ``workers`` is 0.
    Must run before the first metric exists. Returns the directory it made
    (for :func:`cleanup`), or None."""
    if not CONF.metrics.enabled or workers == 0:
        return None
    path = CONF.metrics.multiproc_dir
    made = None
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    else:
        path = made = tempfile.mkdtemp(prefix='%s-metrics-' % prog)
    os.environ['PROMETHEUS_MULTIPROC_DIR'] = path
    from prometheus_client import values
    values.ValueClass = values.get_value_class()
    LOG.info('Metrics of all workers gathered in %s', path)
    return made


def cleanup(path):
    """Remove the directory :func:`prepare_processes` made, if any."""
    if path:
        shutil.rmtree(path, ignore_errors=True)


class Lazy:
    """One set of metric objects, made by ``factory`` on first use (after
    :func:`prepare_processes`, after the fork)."""

    def __init__(self, factory):
        self.factory = factory
        self.value = None
        self.lock = threading.Lock()

    def get(self):
        if self.value is None:
            with self.lock:
                if self.value is None:
                    self.value = self.factory()
        return self.value


def _allowed(address):
    if not address:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in CONF.metrics.allowed_hosts:
        try:
            if client in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            LOG.warning('Ignoring [metrics] allowed_hosts entry %r', entry)
    return False


class MetricsApp:
    """``GET /metrics`` in Prometheus' text format, to allowed_hosts
    only; 404 to anyone else, as if there were nothing. Subclasses add
    collectors read at each scrape (:meth:`extra_collectors`)."""

    def __init__(self):
        self.collectors = None

    @classmethod
    def app_factory(cls, global_conf, **local_conf):
        return cls()

    def make_metrics(self):
        """Make this daemon's metric objects, so a scrape shows them before
        they first count."""

    def extra_collectors(self):
        return []

    def _collectors(self):
        if self.collectors is None:
            import prometheus_client as prom
            from prometheus_client import multiprocess
            if 'PROMETHEUS_MULTIPROC_DIR' in os.environ:
                collectors = prom.CollectorRegistry()
                multiprocess.MultiProcessCollector(collectors)
            else:
                collectors = prom.REGISTRY
            for collector in self.extra_collectors():
                collectors.register(collector)
            self.collectors = collectors
        return self.collectors

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        if (not CONF.metrics.enabled or req.method not in ('GET', 'HEAD') or
                req.path_info not in ('', '/') or
                not _allowed(req.remote_addr)):
            resp = webob.Response(status=404, content_type='text/plain',
                                  charset='UTF-8')
            resp.text = '404 Not Found\n'
            return resp(environ, start_response)
        import prometheus_client as prom
        self.make_metrics()
        resp = webob.Response(status=200, charset=None,
                              content_type=prom.CONTENT_TYPE_LATEST)
        resp.body = prom.generate_latest(self._collectors())
        return resp(environ, start_response)


# -- the registry's metrics ---------------------------------------------------

def _registry_metrics():
    import prometheus_client as prom
    return prom.Histogram(
        'glance_registry_operation_duration_seconds', 'Contract operations '
        'the registry served, by operation, transport and result (success, '
        'error).', ['operation', 'transport', 'result'],
        buckets=DURATION_BUCKETS)


_operations = Lazy(_registry_metrics)


def record_operation(operation, transport, seconds, success):
    """Count one contract operation the registry served."""
    if CONF.metrics.enabled:
        _operations.get().labels(operation, transport, 'success' if success
                                 else 'error').observe(seconds)


class DatabasePoolCollector:
    """``glance_registry_db_pool_connections``: the answering process's
    SQLAlchemy pool (size, checked_out, overflow) when the pool tells
    (SQLite's NullPool does not)."""

    def __init__(self, get_engine=None):
        if get_engine is None:
            from glance_registry.db import engine
            get_engine = engine.get_engine
        self.get_engine = get_engine

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        family = GaugeMetricFamily(
            'glance_registry_db_pool_connections', 'Database connections of '
            'the registry process that answered the scrape.',
            labels=['state'])
        try:
            pool = self.get_engine().pool
        except Exception as e:
            LOG.warning('Database pool not available for /metrics: %s', e)
            pool = None
        for state, method in (('size', 'size'),
                              ('checked_out', 'checkedout'),
                              ('overflow', 'overflow')):
            value = getattr(pool, method, None)
            if callable(value):
                family.add_metric([state], value())
        yield family


class RegistryMetricsApp(MetricsApp):
    """The registry's ``GET /metrics``."""

    def make_metrics(self):
        _operations.get()

    def extra_collectors(self):
        return [DatabasePoolCollector()]
