"""``/healthcheck``: oslo.middleware's healthcheck app asking what the
daemon depends on, with details for administrators only.

Backends are oslo.middleware healthcheck plugins (setup.cfg's
``oslo.middleware.healthcheck`` entry points), named in the paste file's
``backends``; any answering unavailable makes the answer 503. The
registry's own is ``glance_database`` (one ``SELECT 1``); glance-api's are
in :mod:`glance_api.healthcheck`.

Details (each backend's reason, threads) go to administrators: with the
keystone flavor, a token authtoken confirmed that holds ``admin_role``;
with noauth, a context that is admin. Everyone else, HAProxy included,
gets the short answer, unless ``[healthcheck] detailed`` shows details to
all.
"""

import contextvars

from oslo_log import log as logging
from oslo_middleware import healthcheck
from oslo_middleware.healthcheck import pluginbase
from stevedore import extension

from glance_registry.common import context as glance_context
from glance_registry.common import exception

LOG = logging.getLogger(__name__)

# Whether the request this green thread serves gets details; per green
# thread, so one administrator's request never shows details to another.
_DETAILED = contextvars.ContextVar('glance_healthcheck_detailed',
                                   default=False)


def is_admin(environ):
    """Whether the caller of a healthcheck request is an administrator."""
    context = environ.get(glance_context.ENV_CONTEXT)
    if context is not None:
        return bool(context.is_admin)
    if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
        return False
    roles = glance_context.split_roles(environ.get('HTTP_X_ROLES'))
    return glance_context.is_admin_role(roles)


class DatabaseHealthcheck(pluginbase.HealthcheckBaseExtension):
    """The registry's database answers ``SELECT 1``."""

    def healthcheck(self, server_port):
        from glance_registry.db import engine
        try:
            engine.wait_for_database(max_retries=1, retry_interval=0)
        except exception.DatabaseUnavailable as e:
            return pluginbase.HealthcheckResult(
                available=False, reason='DATABASE UNAVAILABLE',
                details=str(e))
        return pluginbase.HealthcheckResult(
            available=True, reason='OK', details='database answers')


class Healthcheck(healthcheck.Healthcheck):
    """oslo.middleware's Healthcheck with details for administrators.

    Glance's backends are also found without their entry points (an
    install whose package metadata predates them) through ``BACKENDS``.
    """

    BACKENDS = {'glance_database': DatabaseHealthcheck}

    def __init__(self, application, conf=None):
        super().__init__(application, conf)
        names = self._conf_get('backends')
        loaded = {ext.name for ext in self._backends}
        for name in names:
            if name not in loaded and name in self.BACKENDS:
                plugin = self.BACKENDS[name](self.oslo_conf, self.conf)
                self._backends.extensions.append(extension.Extension(
                    name, None, self.BACKENDS[name], plugin))
        self._backends.extensions.sort(
            key=lambda ext: names.index(ext.name) if ext.name in names
            else len(names))

    @property
    def _show_details(self):
        return self._configured_details or _DETAILED.get()

    @_show_details.setter
    def _show_details(self, value):
        # oslo.middleware sets [healthcheck] detailed here.
        self._configured_details = value

    def process_request(self, req):
        token = _DETAILED.set(is_admin(req.environ))
        try:
            return super().process_request(req)
        finally:
            _DETAILED.reset(token)
