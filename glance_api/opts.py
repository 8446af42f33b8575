"""Option lists of glance-api for oslo-config-generator (setup.cfg's
``glance.api`` entry point).

Each option is declared beside the code that reads it; this module only
gathers them. Libraries' own options (oslo.log, oslo.messaging,
keystonemiddleware, glance_store) come from their namespaces in
etc/oslo-config-generator/glance-api.conf.
"""

import copy
import itertools

from glance_api import images
from glance_api import inspection
from glance_api import leases
from glance_api import location_strategy
from glance_api import locations
from glance_api import middleware
from glance_api import notifier
from glance_api import property_protections
from glance_api import upload
from glance_api import url_filter
from glance_api import versions
from glance_api.v2 import images as v2_images
from glance_api.v2 import schemas
from glance_registry import client
from glance_registry.common import config
from glance_registry.common import wsgi
from glance_registry import middleware as registry_middleware


def _merge(*lists):
    """[(group, opts)] with one entry per group, in first-seen order."""
    groups = {}
    for group, opts in itertools.chain(*lists):
        groups.setdefault(group or 'DEFAULT', []).extend(copy.deepcopy(opts))
    return list(groups.items())


def list_api_opts():
    return _merge(
        [('DEFAULT', wsgi.list_opts()),
         ('DEFAULT', registry_middleware.list_opts()),
         ('DEFAULT', middleware.list_opts()),
         ('DEFAULT', versions.list_opts()),
         ('DEFAULT', images.list_opts()),
         ('DEFAULT', property_protections.list_opts()),
         ('DEFAULT', v2_images.list_opts()),
         ('DEFAULT', client.list_opts()),
         ('DEFAULT', notifier.list_opts()),
         ('DEFAULT', leases.list_opts()),
         ('image_format', schemas.list_opts()),
         ('image_format', inspection.list_opts()),
         ('paste_deploy', config.paste_deploy_opts)],
        upload.list_opts(),
        locations.list_opts(),
        location_strategy.list_opts(),
        url_filter.list_opts())
