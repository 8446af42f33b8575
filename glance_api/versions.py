"""The Image API version list answered at ``/``, ``/versions`` and for any
path whose version glance-api does not serve."""

from oslo_config import cfg

from glance_api import http_helpers

version_opts = [
    cfg.BoolOpt('enable_v2_api', default=True,
                help='Serve the Image API v2 under /v2.'),
    cfg.BoolOpt('enable_v1_api', default=True,
                help='Serve the Image API v1 (the Kilo-era API) under '
                     '/v1.'),
    cfg.StrOpt('public_endpoint',
               help='Public URL of this API to use in version links '
                    'instead of the request\'s host URL (for a service '
                    'behind a proxy).'),
]

CONF = cfg.CONF
CONF.register_opts(version_opts)


def _option(conf, name):
    """The value of option ``name``, or None when no module registered it
    (the feature that reads it is not part of this build)."""
    try:
        return getattr(conf, name, None)
    except cfg.NoSuchOptError:
        return None


# Features a minor version of v2 depends on, each a test of the
# configuration: a version is listed only while its feature is served. The
# cache's versions (2.14, 2.16) are listed to requests of a pipeline with
# the image cache (the caching flavors).
FEATURES = {
    # Interoperable import (POST /v2/images/{image_id}/import, staging,
    # the image tasks API): served once an import method is enabled.
    'import': lambda conf: bool(_option(conf, 'enabled_import_methods')),
}

# Minor versions of v2, newest first, with the feature each needs (None:
# always served here). Upstream's gating: 2.14 and 2.16 need the cache;
# 2.6 import; 2.9, 2.10 and 2.12 carry import to stores and the image tasks
# API. The stores API (2.8, 2.11, 2.13) is served with one store too, 2.7
# brought os_hidden and the multihash, 2.17 the service locations API
# (POST/GET /v2/images/{image_id}/locations).
V2_MINOR_VERSIONS = [
    ('2.17', None), ('2.16', 'cache'), ('2.15', None), ('2.14', 'cache'),
    ('2.13', None), ('2.12', 'import'), ('2.11', None), ('2.10', 'import'),
    ('2.9', 'import'), ('2.8', None), ('2.7', None), ('2.6', 'import'),
    ('2.5', None), ('2.4', None), ('2.3', None), ('2.2', None),
    ('2.1', None), ('2.0', None),
]
V1_VERSIONS = ['1.1', '1.0']
# The request environ key glance_api.cache.middleware sets.
ENV_CACHE = 'glance.image_cache'


def v2_versions(conf=CONF, cache=False):
    """The minor versions of v2 whose features are served, newest
    first (``cache``: the request came through a pipeline with the image
    cache)."""
    served = {name: test(conf) for name, test in FEATURES.items()}
    served['cache'] = cache
    return [version for version, feature in V2_MINOR_VERSIONS
            if feature is None or served[feature]]


def has_version(version, conf=CONF, cache=False):
    """Whether v2 ``version`` (e.g. '2.14') is listed, for answering a
    version-gated request as upstream."""
    return version in v2_versions(conf, cache)


def version_list(host_url, conf=CONF, cache=False):
    """The ``versions`` list: the newest enabled version CURRENT."""
    base = (conf.public_endpoint or host_url).rstrip('/')
    versions = []
    if conf.enable_v2_api:
        versions += [('v' + v, '/v2/') for v in v2_versions(conf, cache)]
    if conf.enable_v1_api:
        versions += [('v' + v, '/v1/') for v in V1_VERSIONS]
    result = []
    for index, (version_id, path) in enumerate(versions):
        result.append({
            'id': version_id,
            'status': 'CURRENT' if index == 0 else 'SUPPORTED',
            'links': [{'rel': 'self', 'href': base + path}],
        })
    return result


def served_versions(conf=CONF):
    """Path prefixes glance-api routes: 'v2', 'v2.0', ... -> major."""
    served = {}
    if conf.enable_v2_api:
        served['v2'] = 'v2'
        # Any minor version routes to v2, listed or not (a client that
        # pinned one keeps working while a feature is off).
        served.update(('v' + v, 'v2') for v, _ in V2_MINOR_VERSIONS)
    if conf.enable_v1_api:
        served['v1'] = 'v1'
        served.update(('v' + v, 'v1') for v in V1_VERSIONS)
    return served


def versions_response(req, status=300, conf=CONF):
    """Upstream answers 300 Multiple Choices, and 200 for an explicit
    ``GET /versions``."""
    return http_helpers.json_response(
        {'versions': version_list(req.host_url, conf,
                                  cache=ENV_CACHE in req.environ)}, status)


def list_opts():
    return version_opts
