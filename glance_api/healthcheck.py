"""glance-api's healthcheck backends: the registry (one contract call)
and every enabled store (a write and read where the driver can probe).
See :mod:`glance_registry.healthcheck` for the app and who sees details.
"""

from oslo_config import cfg
from oslo_middleware.healthcheck import pluginbase

import glance_store
from glance_api import url_filter
from glance_registry import client as registry_client
from glance_registry.common import context as glance_context
from glance_registry.common import exception
from glance_registry import healthcheck

CONF = cfg.CONF


class RegistryHealthcheck(pluginbase.HealthcheckBaseExtension):
    """The registry answers one contract call (a one-image list).

    Through HTTP with the keystone flavor and ``use_user_token`` the
    registry refuses a call without a user's token: that refusal is still
    an answer of a live registry and its database is not checked.
    """

    def __init__(self, oslo_conf, conf):
        super().__init__(oslo_conf, conf)
        self.registry = registry_client.RegistryClient(CONF)

    def healthcheck(self, server_port):
        context = glance_context.RequestContext(is_admin=True,
                                                overwrite=False)
        try:
            self.registry.image_get_all(context, limit=1)
        except exception.NotAuthenticated:
            return pluginbase.HealthcheckResult(
                available=True, reason='OK',
                details='registry answers (refused a call without a token)')
        except exception.GlanceException as e:
            return pluginbase.HealthcheckResult(
                available=False, reason='REGISTRY UNAVAILABLE',
                details=str(e))
        return pluginbase.HealthcheckResult(
            available=True, reason='OK', details='registry answers')


class StoresHealthcheck(pluginbase.HealthcheckBaseExtension):
    """Every enabled store can serve (see ``check_health`` of the
    drivers)."""

    def __init__(self, oslo_conf, conf):
        super().__init__(oslo_conf, conf)
        glance_store.register_opts(CONF)
        self.stores = glance_store.Stores(
            CONF, url_filter=url_filter.URLFilter(CONF))

    def healthcheck(self, server_port):
        problems = []
        for store in self.stores:
            try:
                reason = store.check_health()
            except Exception as e:
                reason = '%s: %s' % (type(e).__name__, e)
            if reason:
                problems.append('store %s: %s' % (store.name, reason))
        if problems:
            return pluginbase.HealthcheckResult(
                available=False, reason='STORE UNAVAILABLE',
                details='; '.join(problems))
        return pluginbase.HealthcheckResult(
            available=True, reason='OK',
            details='stores %s serve' % ', '.join(self.stores.names))


class Healthcheck(healthcheck.Healthcheck):
    """The healthcheck app of glance-api."""

    BACKENDS = {'glance_registry': RegistryHealthcheck,
                'glance_stores': StoresHealthcheck}
