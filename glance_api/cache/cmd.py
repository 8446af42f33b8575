"""glance-cache-prefetcher, glance-cache-pruner, glance-cache-cleaner: one
run each over this node's cache, for cron.

They read glance-api's configuration (``--config-file``; by default
/etc/glance/glance-api.conf and /etc/glance/glance-cache.conf when they
exist), so ``image_cache_dir``, the registry and the node's name
(``worker_self_reference_url`` or the host name and ``bind_port``) are the
api's. ``python -m glance_api.cache.cmd prefetcher|pruner|cleaner ...``
runs them without the console scripts. Exit status 0, or 1 when something
failed.
"""

import os
import sys

from oslo_config import cfg
from oslo_log import log as logging

import glance_store
from glance_api.cache import image_cache
from glance_api.cache import maintenance
from glance_api import download
from glance_api import url_filter
from glance_registry import client as registry_client
from glance_registry.common import config
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

DEFAULT_CONFIG_FILES = ('/etc/glance/glance-api.conf',
                        '/etc/glance/glance-cache.conf')


def load_cache(prog, argv=None):
    """Parse the configuration and build this node's ImageCache."""
    glance_store.register_opts(CONF)
    config.parse_args(sys.argv[1:] if argv is None else argv, prog=prog,
                      default_config_files=[
                          path for path in DEFAULT_CONFIG_FILES
                          if os.path.exists(path)])
    config.setup_logging(prog)
    registry = registry_client.RegistryClient(CONF)
    return image_cache.get_cache(CONF, registry)


def _run(prog, job, argv):
    try:
        cache = load_cache(prog, argv)
        return job(cache)
    except (RuntimeError, OSError, exception.GlanceException,
            store_exceptions.StoreError) as e:
        print('%s: ERROR: %s' % (prog, e), file=sys.stderr)
        return 1


def prefetch(cache):
    stores = glance_store.Stores(CONF,
                                 url_filter=url_filter.URLFilter(CONF))
    downloader = download.Downloader(cache.registry, stores, CONF)
    cached, failed = maintenance.prefetch(cache, downloader)
    print('Prefetched %d images, %d failed' % (cached, failed))
    return 1 if failed else 0


def prune(cache):
    removed, freed = maintenance.prune(cache)
    print('Pruned %d images, %d bytes' % (removed, freed))
    return 0


def clean(cache):
    removed = maintenance.clean(cache)
    print('Removed %d stalled, invalid or orphaned files and records'
          % removed)
    return 0


def prefetcher_main(argv=None):
    return _run('glance-cache-prefetcher', prefetch, argv)


def pruner_main(argv=None):
    return _run('glance-cache-pruner', prune, argv)


def cleaner_main(argv=None):
    return _run('glance-cache-cleaner', clean, argv)


COMMANDS = {'prefetcher': prefetcher_main, 'pruner': pruner_main,
            'cleaner': cleaner_main}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit('usage: python -m glance_api.cache.cmd %s [options]'
                 % '|'.join(COMMANDS))
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
