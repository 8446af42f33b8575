"""Context middleware: who is calling the registry, read from headers.

Two flavors, chosen by the paste pipeline:

* ``context`` (the ``keystone`` flavor) sits behind keystonemiddleware's
  authtoken and trusts the identity headers it sets only when
  ``X-Identity-Status`` is ``Confirmed``; anything else is 401 unless
  ``allow_anonymous_access`` is on. authtoken removes any identity header a
  client sends before it validates the token, so a caller cannot name
  someone else by header.
* ``unauthenticated-context`` (no flavor, or ``noauth``) is for labs and for
  a registry reachable only by glance-api: identity headers the caller sends
  (``X-Project-Id``/``X-Tenant-Id``, ``X-User-Id``, ``X-Roles``) are trusted
  as they are, and a caller that sends none is an administrator, as in
  Kilo's unauthenticated registry.

glance-api with ``use_user_token = false`` calls with its own service token
and names the user it acts for in the ``X-Caller-*`` headers
(:data:`CALLER_HEADERS`). The keystone flavor honors them only when the
token it validated holds one of ``trusted_caller_roles``; the context is
then the caller's, so the registry applies visibility to the user, not to
the service.

Either way the context lands in ``environ['glance.context']``; a caller
with the ``admin`` role is an administrator. The header reading both
daemons share is :mod:`glance_registry.common.context`.
"""

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import context as glance_context

LOG = logging.getLogger(__name__)

registry_context_opts = [
    cfg.ListOpt('trusted_caller_roles', default=['admin', 'service'],
                help='With the keystone flavor, roles of a validated token '
                     'that may act for another user by sending the '
                     'X-Caller-* headers (glance-api with use_user_token = '
                     'false). Headers from any other caller are ignored.'),
]

CONF = cfg.CONF
CONF.register_opts(registry_context_opts)

ENV_CONTEXT = glance_context.ENV_CONTEXT
CALLER_HEADERS = glance_context.CALLER_HEADERS
context_from_headers = glance_context.context_from_headers


def _environ_key(header):
    return 'HTTP_' + header.upper().replace('-', '_')


def list_opts():
    return glance_context.list_opts() + registry_context_opts


def has_caller_headers(environ):
    return any(environ.get(_environ_key(h)) for h in CALLER_HEADERS.values())


def caller_context(environ, service_context):
    """The context of the user a trusted service acts for."""
    values = {name: environ.get(_environ_key(header))
              for name, header in CALLER_HEADERS.items()}
    values['roles'] = glance_context.split_roles(values['roles'])
    context = glance_context.RequestContext(
        auth_token=service_context.auth_token,
        request_id=service_context.request_id,
        global_request_id=service_context.global_request_id,
        service_user_id=service_context.user_id,
        service_project_id=service_context.project_id,
        service_roles=service_context.roles,
        is_admin=glance_context.is_admin_role(values['roles']),
        overwrite=True, **values)
    return context


class ContextMiddleware(glance_context.ContextMiddleware):
    """Context from headers that keystonemiddleware's authtoken confirmed;
    X-Caller-* headers count from a holder of ``trusted_caller_roles``."""

    def authenticated_context(self, environ):
        context = context_from_headers(environ)
        if has_caller_headers(environ):
            trusted = {r.lower() for r in CONF.trusted_caller_roles}
            if trusted & {r.lower() for r in context.roles}:
                return caller_context(environ, context)
            LOG.warning('Ignoring X-Caller-* headers from user %s of project '
                        '%s, who holds none of trusted_caller_roles',
                        context.user_id, context.project_id)
        return context


class UnauthenticatedContextMiddleware(glance_context.Middleware):
    """Trust the caller's identity headers; no headers means admin."""

    def __call__(self, environ, start_response):
        has_identity = any(environ.get(h) for h in (
            'HTTP_X_IDENTITY_STATUS', 'HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID',
            'HTTP_X_TENANT_ID', 'HTTP_X_ROLES'))
        if has_caller_headers(environ):
            environ[ENV_CONTEXT] = caller_context(
                environ, context_from_headers(environ, is_admin=False))
        elif has_identity:
            environ[ENV_CONTEXT] = context_from_headers(environ)
        else:
            environ[ENV_CONTEXT] = context_from_headers(environ,
                                                        is_admin=True)
        return self.app(environ, start_response)
