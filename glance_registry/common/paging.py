"""How many images a list answers: the paging options both daemons read.

glance-api (Image API v1 and v2) and the registry's classic REST API cap
their lists with the same two options, declared here once.
"""

from oslo_config import cfg

from glance_registry.common import exception

paging_opts = [
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Number of images a list answers when the request '
                    'gives no limit.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Largest number of images a list answers, whatever '
                    'limit the request gives.'),
]

CONF = cfg.CONF
CONF.register_opts(paging_opts)


def list_opts():
    return paging_opts


def parse_limit(value, conf=CONF):
    """The ``limit`` of an Image API v2 list (or a metadefs list): the
    default when none is given, capped at ``api_limit_max``."""
    if value is None:
        return conf.limit_param_default
    try:
        limit = int(value)
    except ValueError:
        raise exception.InvalidRequest(
            reason='limit param must be an integer')
    if limit < 0:
        raise exception.InvalidRequest(reason='limit param must be positive')
    return min(limit, conf.api_limit_max)
