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

# Minor versions of v2 this implementation answers, newest first. 2.7 is
# where os_hidden and the multihash (os_hash_algo/os_hash_value) arrived.
V2_VERSIONS = ['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0']
V1_VERSIONS = ['1.1', '1.0']
# Listed only to requests of a pipeline with the image cache (its API,
# /v2/cache, is 2.14).
V2_CACHE_VERSIONS = ['2.14']
# The request environ key glance_api.cache.middleware sets.
ENV_CACHE = 'glance.image_cache'


def version_list(host_url, conf=CONF, cache=False):
    """The ``versions`` list: the newest enabled version CURRENT."""
    base = (conf.public_endpoint or host_url).rstrip('/')
    versions = []
    if conf.enable_v2_api:
        versions += [('v' + v, '/v2/') for v in
                     (V2_CACHE_VERSIONS if cache else []) + V2_VERSIONS]
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
        served.update(('v' + v, 'v2')
                      for v in V2_CACHE_VERSIONS + V2_VERSIONS)
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
