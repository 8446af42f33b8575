"""glance-api's own paste filters: version discovery with the Image API's
version document, the body size limit that leaves image data alone, and
keystonemiddleware's audit filter, off until ``[audit] enabled``."""

import re

from oslo_config import cfg
from oslo_log import log as logging

from glance_api import faults
from glance_api import versions
from glance_registry.common import pipeline

LOG = logging.getLogger(__name__)

audit_opts = [
    cfg.BoolOpt('enabled', default=False,
                help='Record a CADF audit event for each API request and '
                     'its answer through keystonemiddleware\'s audit filter '
                     '(the "audit" filter of glance-api-paste.ini, mapped by '
                     'its audit_map_file). Events go where '
                     '[audit_middleware_notifications] driver sends them, '
                     'e.g. "log" for glance-api\'s log, "messagingv2" for '
                     'RabbitMQ.'),
]

CONF = cfg.CONF
CONF.register_opts(audit_opts, group='audit')


def list_opts():
    return [('audit', audit_opts)]


# The requests whose body is image data: upload (v1 create/update, v2
# file and stage). Their size is image_size_cap's business.
_IMAGE_DATA = [
    ('PUT', re.compile(r'^/v2(\.\d+)?/images/[^/]+/(file|stage)/?$')),
    ('POST', re.compile(r'^/v1(\.\d+)?/images/?$')),
    ('PUT', re.compile(r'^/v1(\.\d+)?/images/[^/]+/?$')),
]


class VersionDiscovery(pipeline.VersionDiscovery):
    """``GET /`` (300) and ``GET /versions`` (200) without a token."""

    def versions(self, req):
        status = 200 if req.path_info.rstrip('/') == '/versions' else 300
        return versions.versions_response(req, status, CONF)


class BodySizeLimit(pipeline.BodySizeLimit):
    """max_request_body_size for every body except image data."""

    def unlimited(self, req):
        # The path as sent (eventlet's RAW_PATH_INFO, still
        # percent-encoded): an image id spelled %2f is still an upload the
        # app refuses at once, not a body to read here first; a path that
        # is not UTF-8 is the app's to refuse with 400.
        path = req.environ.get('RAW_PATH_INFO',
                               req.environ.get('PATH_INFO', ''))
        return any(req.method == method and pattern.match(path)
                   for method, pattern in _IMAGE_DATA)

    def too_large(self, req, error):
        return faults.translate(error, req)


def audit_filter_factory(global_conf, **local_conf):
    """keystonemiddleware's audit filter when ``[audit] enabled``, else a
    filter that does nothing (the map file is not even read)."""
    if not CONF.audit.enabled:
        return lambda app: app
    from keystonemiddleware import audit
    LOG.info('Auditing requests with the map %s',
             local_conf.get('audit_map_file'))
    return audit.filter_factory(global_conf, **local_conf)
