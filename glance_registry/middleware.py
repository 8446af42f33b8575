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
  as they are (with the roles Keystone would imply from them), and a
  caller that sends none is an administrator, as in Kilo's unauthenticated
  registry.

glance-api with ``use_user_token = false`` calls with its own service token
and names the user it acts for in the ``X-Caller-*`` headers
(:data:`CALLER_HEADERS`). The keystone flavor honors them only when the
token it validated holds one of ``trusted_caller_roles``; the context is
then the caller's, so the registry applies visibility to the user, not to
the service.

Either way the context lands in ``environ['glance.context']``; a caller
with the ``admin`` role is an administrator.
"""

import json

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import uuidutils

from glance_registry.common import context as glance_context
from glance_registry.common import exception

LOG = logging.getLogger(__name__)

context_opts = [
    cfg.BoolOpt('allow_anonymous_access', default=False,
                help='With the keystone flavor, serve unauthenticated '
                     'callers as an anonymous, non-admin context instead of '
                     'answering 401.'),
    cfg.StrOpt('admin_role', default='admin',
               help='Role that makes a caller an administrator.'),
]

registry_context_opts = [
    cfg.ListOpt('trusted_caller_roles', default=['admin', 'service'],
                help='With the keystone flavor, roles of a validated token '
                     'that may act for another user by sending the '
                     'X-Caller-* headers (glance-api with use_user_token = '
                     'false). Headers from any other caller are ignored.'),
]

CONF = cfg.CONF
CONF.register_opts(context_opts)
CONF.register_opts(registry_context_opts)

ENV_CONTEXT = 'glance.context'
ENV_REQUEST_ID = 'openstack.request_id'
ENV_GLOBAL_REQUEST_ID = 'openstack.global_request_id'

# Context attribute -> header naming the user glance-api acts for.
CALLER_HEADERS = {
    'user_id': 'X-Caller-User-Id',
    'project_id': 'X-Caller-Project-Id',
    'roles': 'X-Caller-Roles',
    'domain_id': 'X-Caller-Domain-Id',
    'user_domain_id': 'X-Caller-User-Domain-Id',
    'project_domain_id': 'X-Caller-Project-Domain-Id',
    'user_name': 'X-Caller-User-Name',
    'project_name': 'X-Caller-Project-Name',
}


def _environ_key(header):
    return 'HTTP_' + header.upper().replace('-', '_')


def list_opts():
    return context_opts


def list_registry_opts():
    return context_opts + registry_context_opts


def _split_roles(value):
    return [r.strip() for r in (value or '').split(',') if r.strip()]


# Keystone's default role implications (since Rocky): a token carrying a
# role carries the roles it implies, and policies are written for that.
IMPLIED_ROLES = {'admin': ('member',), 'member': ('reader',)}


def with_implied_roles(roles):
    """``roles`` plus the roles Keystone's default implications add, in
    order, each once (for callers that name their roles without
    Keystone)."""
    result = []
    pending = list(roles)
    while pending:
        role = pending.pop(0)
        if role not in result:
            result.append(role)
            pending.extend(IMPLIED_ROLES.get(role.lower(), ()))
    return result


def _is_admin_role(roles):
    admin_role = CONF.admin_role.strip().lower()
    return admin_role in [r.lower() for r in roles]


def _request_ids(environ):
    request_id = environ.get(ENV_REQUEST_ID)
    if not request_id:
        request_id = 'req-' + uuidutils.generate_uuid()
        environ[ENV_REQUEST_ID] = request_id
    return request_id, environ.get(ENV_GLOBAL_REQUEST_ID)


def _service_catalog(environ):
    value = environ.get('HTTP_X_SERVICE_CATALOG')
    if not value:
        return None
    try:
        catalog = json.loads(value)
    except ValueError:
        LOG.warning('Ignoring an X-Service-Catalog that is not JSON')
        return None
    return catalog if isinstance(catalog, list) else None


def context_from_headers(environ, is_admin=None):
    """Build a RequestContext from the headers authtoken sets (user,
    project, domains, roles, service roles, token, service catalog)."""
    request_id, global_request_id = _request_ids(environ)
    context = glance_context.RequestContext.from_environ(
        environ, request_id=request_id, global_request_id=global_request_id,
        service_catalog=_service_catalog(environ), overwrite=True)
    context.is_admin = (_is_admin_role(context.roles) if is_admin is None
                        else is_admin)
    return context


def has_caller_headers(environ):
    return any(environ.get(_environ_key(h)) for h in CALLER_HEADERS.values())


def caller_context(environ, service_context):
    """The context of the user a trusted service acts for."""
    values = {name: environ.get(_environ_key(header))
              for name, header in CALLER_HEADERS.items()}
    values['roles'] = _split_roles(values['roles'])
    context = glance_context.RequestContext(
        auth_token=service_context.auth_token,
        request_id=service_context.request_id,
        global_request_id=service_context.global_request_id,
        service_user_id=service_context.user_id,
        service_project_id=service_context.project_id,
        service_roles=service_context.roles,
        is_admin=_is_admin_role(values['roles']),
        overwrite=True, **values)
    return context


def _unauthorized(start_response, message):
    body = json.dumps({'error': {
        'code': exception.NotAuthenticated.code,
        'message': message}}).encode()
    start_response('401 Unauthorized', [
        ('Content-Type', 'application/json'),
        ('Content-Length', str(len(body)))])
    return [body]


class _Middleware:
    def __init__(self, app):
        self.app = app

    @classmethod
    def factory(cls, global_conf, **local_conf):
        def _filter(app):
            return cls(app)
        return _filter


class ContextMiddleware(_Middleware):
    """Context from headers that keystonemiddleware's authtoken confirmed."""

    def __call__(self, environ, start_response):
        status = environ.get('HTTP_X_IDENTITY_STATUS')
        if status == 'Confirmed':
            environ[ENV_CONTEXT] = self.authenticated_context(environ)
        elif CONF.allow_anonymous_access:
            request_id, global_request_id = _request_ids(environ)
            environ[ENV_CONTEXT] = glance_context.RequestContext(
                is_admin=False, read_only=True, request_id=request_id,
                global_request_id=global_request_id, overwrite=True)
        else:
            # authtoken adds WWW-Authenticate to this answer when it runs
            # with delay_auth_decision.
            return _unauthorized(start_response,
                                 'Authentication required (X-Identity-'
                                 'Status is %s)' % (status or 'missing'))
        return self.app(environ, start_response)

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


class UnauthenticatedContextMiddleware(_Middleware):
    """Trust the caller's identity headers; no headers means admin."""

    def __call__(self, environ, start_response):
        has_identity = any(environ.get(h) for h in (
            'HTTP_X_IDENTITY_STATUS', 'HTTP_X_USER_ID', 'HTTP_X_PROJECT_ID',
            'HTTP_X_TENANT_ID', 'HTTP_X_ROLES'))
        if has_caller_headers(environ):
            context = caller_context(
                environ, context_from_headers(environ, is_admin=False))
        elif has_identity:
            context = context_from_headers(environ)
        else:
            context = context_from_headers(environ, is_admin=True)
            context.roles = [CONF.admin_role]
        # Roles as Keystone would imply them from the roles named.
        context.roles = with_implied_roles(context.roles)
        environ[ENV_CONTEXT] = context
        return self.app(environ, start_response)
