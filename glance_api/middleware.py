"""Context middleware of glance-api, one per paste flavor.

``keystone``: :class:`ContextMiddleware` sits behind keystonemiddleware's
authtoken and builds the context from the headers it sets (user, project,
domains, roles, service roles, token, service catalog); 401 unless the
token was confirmed. Whether the caller is an administrator is the policy
rule ``context_is_admin``.

``noauth``: without Keystone every request acts as an administrator of the
project ``noauth_project_id`` unless it names its own identity with the
headers keystonemiddleware would set (``X-Project-Id``/``X-Tenant-Id``,
``X-User-Id``, ``X-Roles``); then it acts as that project and user, with
the roles Keystone's default implications add (admin -> member -> reader),
and is an administrator only when its roles include ``admin_role``.
"""

from oslo_config import cfg

from glance_api import policy
from glance_registry.common import context as glance_context

noauth_opts = [
    cfg.StrOpt('noauth_project_id', default='admin',
               help='With the noauth flavor, the project a request acts '
                    'for when it sends no X-Project-Id/X-Tenant-Id header.'),
    cfg.StrOpt('noauth_user_id', default='admin',
               help='With the noauth flavor, the user a request acts as '
                    'when it sends no X-User-Id header.'),
]

CONF = cfg.CONF
CONF.register_opts(noauth_opts)

ENV_CONTEXT = glance_context.ENV_CONTEXT

_IDENTITY_HEADERS = ('HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID',
                     'HTTP_X_TENANT_ID', 'HTTP_X_ROLES')


def list_opts():
    return noauth_opts


# Keystone's default role implications (since Rocky): a token carrying a
# role carries the roles it implies, and policies are written for that.
IMPLIED_ROLES = {'admin': ('member',), 'member': ('reader',)}


def with_implied_roles(roles):
    """``roles`` plus the roles Keystone's default implications add, in
    order, each once."""
    result = []
    pending = list(roles)
    while pending:
        role = pending.pop(0)
        if role not in result:
            result.append(role)
            pending.extend(IMPLIED_ROLES.get(role.lower(), ()))
    return result


def noauth_context(environ):
    """The RequestContext of a request served without authentication:
    roles as sent, with what Keystone would imply from them."""
    if any(environ.get(h) for h in _IDENTITY_HEADERS):
        context = glance_context.context_from_headers(environ)
        if not context.project_id:
            context.project_id = CONF.noauth_project_id
        if not context.user_id:
            context.user_id = CONF.noauth_user_id
        context.roles = with_implied_roles(context.roles)
        return context
    context = glance_context.context_from_headers(environ, is_admin=True)
    context.project_id = CONF.noauth_project_id
    context.user_id = CONF.noauth_user_id
    context.roles = with_implied_roles([CONF.admin_role])
    return context


class NoAuthContextMiddleware(glance_context.Middleware):
    """Put a :func:`noauth_context` in ``environ['glance.context']``."""

    def __call__(self, environ, start_response):
        environ[ENV_CONTEXT] = noauth_context(environ)
        return self.app(environ, start_response)


class ContextMiddleware(glance_context.ContextMiddleware):
    """The keystone flavor's context; admin by policy ``context_is_admin``.

    X-Caller-* headers mean nothing to glance-api: only the registry
    honors them, from glance-api's own service user.
    """

    def __init__(self, app, enforcer=None):
        super().__init__(app)
        self.enforcer = enforcer

    def authenticated_context(self, environ):
        context = glance_context.context_from_headers(environ,
                                                      is_admin=False)
        enforcer = self.enforcer or policy.get_enforcer(CONF)
        context.is_admin = enforcer.check(context, 'context_is_admin')
        return context
