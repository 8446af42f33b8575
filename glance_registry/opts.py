"""Option lists for oslo-config-generator (see setup.cfg's entry points).

Each option is declared beside the code that reads it; this module only
gathers them, per daemon. Libraries' own options (oslo.log, oslo.messaging,
keystonemiddleware) come from their namespaces in
etc/oslo-config-generator/*.conf.
"""

import copy
import itertools

from glance_registry.common import config
from glance_registry.common import paging
from glance_registry.common import policy
from glance_registry.common import wsgi
from glance_registry.db import engine
from glance_registry import lease_healer
from glance_registry import messaging
from glance_registry import metrics
from glance_registry import middleware


def _merge(*lists):
    """[(group, opts)] with one entry per group, in first-seen order."""
    groups = {}
    for group, opts in itertools.chain(*lists):
        groups.setdefault(group, []).extend(copy.deepcopy(opts))
    return list(groups.items())


def list_registry_opts():
    # The [cors] sample shows Glance's defaults (namespace
    # oslo.middleware.cors comes after this one).
    config.set_cors_defaults()
    return _merge(
        [('DEFAULT', wsgi.list_opts()),
         ('DEFAULT', middleware.list_opts()),
         ('DEFAULT', paging.list_opts()),
         ('DEFAULT', messaging.list_opts()),
         ('DEFAULT', lease_healer.list_opts()),
         ('paste_deploy', config.paste_deploy_opts)],
        policy.list_opts(),
        engine.list_opts(),
        metrics.list_opts())


def list_manage_opts():
    return _merge(engine.list_opts())
