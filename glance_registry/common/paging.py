"""Image list parameters both daemons read: the paging options, the
limit of a v2 list, and Kilo's classic list (filters, sort, paging) that
Image API v1 and the registry's REST API ``/images`` share.
"""

from oslo_config import cfg
from oslo_utils import timeutils
from oslo_utils import uuidutils

from glance_registry.common import exception
from glance_registry.common import inputs

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


# -- Kilo's classic list: Image API v1 and the registry's /images ---------

CLASSIC_FILTERS = ('name', 'status', 'container_format', 'disk_format',
                   'size_min', 'size_max', 'changes-since', 'protected')
CLASSIC_PARAMS = ('limit', 'marker', 'sort_key', 'sort_dir', 'is_public',
                  'deleted')
CLASSIC_SORT_KEYS = ('name', 'status', 'container_format', 'disk_format',
                     'size', 'id', 'created_at', 'updated_at')
SORT_DIRS = ('asc', 'desc')


def classic_filters(params, is_admin):
    """Contract ``filters`` from the query of a classic list.

    ``property-<key>`` filters on a custom property. Only administrators
    may ask for deleted images; ``changes-since`` includes them for
    everyone, as in Kilo.
    """
    filters = {}
    properties = {}
    for name, value in params.items():
        if name.startswith('property-'):
            properties[name[len('property-'):]] = value
        elif name in CLASSIC_FILTERS:
            filters[name] = value
        elif name not in CLASSIC_PARAMS:
            raise exception.InvalidFilter(
                reason='unsupported filter %s; supported: %s, '
                       'property-<key>' % (name, ', '.join(CLASSIC_FILTERS)))
    for name in ('size_min', 'size_max'):
        if name in filters:
            filters[name] = inputs.integer_param(name, filters[name])
    if 'protected' in filters:
        filters['protected'] = inputs.boolean_param('protected',
                                                    filters['protected'])
    if 'changes-since' in filters:
        try:
            timeutils.parse_isotime(filters['changes-since'])
        except ValueError:
            raise exception.InvalidParameterValue(
                value=filters['changes-since'], param='changes-since',
                extra='expected an ISO 8601 time')
    if is_admin and 'deleted' in params:
        filters['deleted'] = inputs.boolean_param('deleted', params['deleted'])
    elif 'changes-since' not in filters:
        filters['deleted'] = False
    if properties:
        filters['properties'] = properties
    return filters


def classic_list_params(params, is_admin, conf=CONF):
    """Keyword arguments of the contract's ``image_get_all`` for a classic
    list, but for ``is_public``: what an administrator lists by default
    differs between the two APIs (:func:`classic_is_public` reads it)."""
    limit = inputs.integer_param(
        'limit', params.get('limit', conf.limit_param_default))
    marker = params.get('marker')
    if marker is not None and not uuidutils.is_uuid_like(marker):
        raise exception.InvalidMarker(marker=marker)
    sort_key = params.get('sort_key', 'created_at')
    if sort_key not in CLASSIC_SORT_KEYS:
        raise exception.InvalidSortKey(
            key='%s (supported: %s)' % (sort_key,
                                        ', '.join(CLASSIC_SORT_KEYS)))
    sort_dir = params.get('sort_dir', 'desc')
    if sort_dir not in SORT_DIRS:
        raise exception.InvalidSortDir(sort_dir=sort_dir)
    return {'filters': classic_filters(params, is_admin),
            'marker': marker,
            'limit': min(limit, conf.api_limit_max),
            'sort_key': [sort_key], 'sort_dir': [sort_dir],
            # Classic lists show shared images whatever the membership
            # status.
            'member_status': 'all'}


def classic_is_public(params):
    """``is_public`` of a classic list: True/False, ``'none'`` (every
    image), or None when the request does not give it."""
    value = params.get('is_public')
    if value is None:
        return None
    if value.lower() == 'none':
        return 'none'
    return inputs.boolean_param('is_public', value)
