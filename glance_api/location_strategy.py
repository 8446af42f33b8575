"""The order in which an image's locations are tried and shown.

``location_strategy = location_order`` keeps the image's own order;
``store_type`` puts locations of the store types in
``[store_type_location_strategy] store_type_preference`` first, in that
order, the others after them in their own order. With several stores
(``enabled_backends``), locations of stores of a higher ``weight`` (an
option of each store's group) come first whatever the strategy, as
upstream orders them; equal weights keep the strategy's order.
"""

from oslo_config import cfg

strategy_opts = [
    cfg.StrOpt('location_strategy', default='location_order',
               choices=[('location_order', 'the image\'s own order'),
                        ('store_type', 'by store_type_preference')],
               help='How the locations of an image are ordered for '
                    'download and direct_url.'),
]
store_type_opts = [
    cfg.ListOpt('store_type_preference', default=[],
                help='Store types (file, http, swift, rbd, s3, ...) in '
                     'order of preference, with location_strategy = '
                     'store_type.'),
]

CONF = cfg.CONF
CONF.register_opts(strategy_opts)
CONF.register_opts(store_type_opts, group='store_type_location_strategy')

# Scheme of a location URL -> store type.
SCHEME_TYPES = {'file': 'file', 'filesystem': 'file', 'http': 'http',
                'https': 'http', 'swift': 'swift', 'swift+http': 'swift',
                'swift+https': 'swift', 'swift+config': 'swift',
                'rbd': 'rbd', 's3': 's3', 's3+http': 's3',
                's3+https': 's3', 'cinder': 'cinder'}


def list_opts():
    return [('DEFAULT', strategy_opts),
            ('store_type_location_strategy', store_type_opts)]


def store_type(url):
    scheme = url.split(':', 1)[0].lower()
    return SCHEME_TYPES.get(scheme, scheme)


def order(locations, conf=CONF):
    """``locations`` (dicts with ``url``) in the configured order, by store
    weight first."""
    return sorted(_strategy_order(locations, conf),
                  key=lambda location: -store_weight(location, conf))


def store_weight(location, conf=CONF):
    """The ``weight`` of the store a location's metadata names; 0 when it
    names none, or the store has no weight option (a single store)."""
    store = (location.get('metadata') or {}).get('store')
    if not store:
        return 0
    try:
        return conf[store].weight
    except (cfg.Error, AttributeError, KeyError):
        return 0


def _strategy_order(locations, conf):
    # A conf without these options (a component built with its own
    # options only) keeps the image's order.
    if getattr(conf, 'location_strategy', None) != 'store_type':
        return list(locations)
    preference = [SCHEME_TYPES.get(t.strip().lower(), t.strip().lower())
                  for t in conf.store_type_location_strategy
                  .store_type_preference]

    def rank(indexed):
        index, location = indexed
        kind = store_type(location['url'])
        return (preference.index(kind) if kind in preference
                else len(preference), index)

    return [loc for _, loc in sorted(enumerate(locations), key=rank)]
