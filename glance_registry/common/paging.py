"""How many images a list answers: the paging options both daemons read.

glance-api (Image API v1 and v2) and the registry's classic REST API cap
their lists with the same two options, declared here once.
"""

from oslo_config import cfg

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
