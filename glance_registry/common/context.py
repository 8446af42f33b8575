"""Request context shared by glance-api and glance-registry: what it holds,
and how each daemon's context middleware reads it from a request's headers.

Both daemons put the context in ``environ['glance.context']``
(:data:`ENV_CONTEXT`). :class:`ContextMiddleware` is the keystone flavor's
base: it trusts the identity headers keystonemiddleware's authtoken sets only
when ``X-Identity-Status`` is ``Confirmed``; anything else is 401 unless
``allow_anonymous_access`` is on.
"""

import json

from oslo_config import cfg
from oslo_context import context
from oslo_log import log as logging
from oslo_utils import uuidutils

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

CONF = cfg.CONF
CONF.register_opts(context_opts)

ENV_CONTEXT = 'glance.context'
ENV_REQUEST_ID = 'openstack.request_id'
ENV_GLOBAL_REQUEST_ID = 'openstack.global_request_id'

# Context attribute -> header in which glance-api, calling the registry with
# its own service token, names the user it acts for.
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


def list_opts():
    return context_opts


class RequestContext(context.RequestContext):
    """Who is asking, and with which rights.

    ``owner_is_tenant`` (Kilo's option) makes the project the owner of what
    the caller creates; it is always on here, as in current Glance.
    """

    def __init__(self, owner_is_tenant=True, service_catalog=None, **kwargs):
        super().__init__(**kwargs)
        self.owner_is_tenant = owner_is_tenant
        self.service_catalog = service_catalog

    @property
    def owner(self):
        return self.project_id if self.owner_is_tenant else self.user_id

    def to_dict(self):
        values = super().to_dict()
        values['owner_is_tenant'] = self.owner_is_tenant
        values['service_catalog'] = self.service_catalog
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('owner_is_tenant',
                          values.get('owner_is_tenant', True))
        kwargs.setdefault('service_catalog', values.get('service_catalog'))
        return super().from_dict(values, **kwargs)


def get_admin_context(show_deleted=False):
    return RequestContext(is_admin=True, show_deleted=show_deleted,
                          overwrite=False)


def split_roles(value):
    return [r.strip() for r in (value or '').split(',') if r.strip()]


def is_admin_role(roles):
    admin_role = CONF.admin_role.strip().lower()
    return admin_role in [r.lower() for r in roles]


def request_ids(environ):
    """(request id, global request id); a request id is made if missing."""
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
    request_id, global_request_id = request_ids(environ)
    result = RequestContext.from_environ(
        environ, request_id=request_id, global_request_id=global_request_id,
        service_catalog=_service_catalog(environ), overwrite=True)
    result.is_admin = (is_admin_role(result.roles) if is_admin is None
                       else is_admin)
    return result


def _unauthorized(start_response, message):
    body = json.dumps({'error': {
        'code': exception.NotAuthenticated.code,
        'message': message}}).encode()
    start_response('401 Unauthorized', [
        ('Content-Type', 'application/json'),
        ('Content-Length', str(len(body)))])
    return [body]


class Middleware:
    """A paste filter around ``app``."""

    def __init__(self, app):
        self.app = app

    @classmethod
    def factory(cls, global_conf, **local_conf):
        def _filter(app):
            return cls(app)
        return _filter


class ContextMiddleware(Middleware):
    """Context from headers that keystonemiddleware's authtoken confirmed;
    each daemon decides in :meth:`authenticated_context` who is an
    administrator."""

    def __call__(self, environ, start_response):
        status = environ.get('HTTP_X_IDENTITY_STATUS')
        if status == 'Confirmed':
            environ[ENV_CONTEXT] = self.authenticated_context(environ)
        elif CONF.allow_anonymous_access:
            request_id, global_request_id = request_ids(environ)
            environ[ENV_CONTEXT] = RequestContext(
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
        return context_from_headers(environ)
