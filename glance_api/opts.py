"""Option lists of glance-api for oslo-config-generator (setup.cfg's
``glance.api`` entry point).

Each option is declared beside the code that reads it; this module only
gathers them. Libraries' own options (oslo.log, oslo.messaging,
keystonemiddleware, glance_store) come from their namespaces in
etc/oslo-config-generator/glance-api.conf.
"""

import copy
import itertools

from glance_api.cache import image_cache
from glance_api import images
from glance_api import import_plugins
from glance_api import importing
from glance_api import inspection
from glance_api import leases
from glance_api import limits
from glance_api import location_strategy
from glance_api import locations
from glance_api import metrics
from glance_api import middleware
from glance_api import notifier
from glance_api import pipeline
from glance_api import policy
from glance_api import property_protections
from glance_api import staging
from glance_api import tasks
from glance_api import upload
from glance_api import url_filter
from glance_api import versions
from glance_registry import client
from glance_registry.common import config
from glance_registry.common import context
from glance_registry.common import paging
from glance_registry.common import wsgi


def _merge(*lists):
    """[(group, opts)] with one entry per group, in first-seen order."""
    groups = {}
    for group, opts in itertools.chain(*lists):
        groups.setdefault(group or 'DEFAULT', []).extend(copy.deepcopy(opts))
    return list(groups.items())


def list_api_opts():
    # The [cors] sample shows Glance's defaults (namespace
    # oslo.middleware.cors comes after this one).
    config.set_cors_defaults()
    return _merge(
        [('DEFAULT', wsgi.list_opts()),
         ('DEFAULT', context.list_opts()),
         ('DEFAULT', middleware.list_opts()),
         ('DEFAULT', versions.list_opts()),
         ('DEFAULT', images.list_opts()),
         ('DEFAULT', property_protections.list_opts()),
         ('DEFAULT', paging.list_opts()),
         ('DEFAULT', client.list_opts()),
         ('DEFAULT', notifier.list_opts()),
         ('DEFAULT', limits.limit_opts_glance),
         ('DEFAULT', image_cache.list_opts()),
         ('image_format', images.list_format_opts()),
         ('DEFAULT', leases.list_opts()),
         ('image_format', inspection.list_opts()),
         ('paste_deploy', config.paste_deploy_opts)],
        policy.list_opts(),
        upload.list_opts(),
        locations.list_opts(),
        location_strategy.list_opts(),
        url_filter.list_opts(),
        pipeline.list_opts(),
        tasks.list_opts(),
        importing.list_opts(),
        staging.list_opts(),
        import_plugins.list_opts(),

        metrics.list_opts())
