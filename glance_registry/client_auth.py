"""How glance-api's registry client proves who it is to glance-registry.

With ``use_user_token = true`` (the default) each registry call carries the
token of the user glance-api serves, and a keystone-flavored registry
validates it again. With ``use_user_token = false`` the user's token stays
in glance-api: calls carry a token of glance-api's own service user,
obtained by keystoneauth (and renewed by it before it expires), and name the
user in the ``X-Caller-*`` headers, which the registry honors only from a
token with a trusted role.

The service user is ``admin_user``/``admin_password``/``admin_tenant_name``
at ``auth_url`` (Kilo's options, Default domain), or else the credentials of
``[keystone_authtoken]`` (``auth_type = password``, ``username``, ...), as an
RDO controller has them. The first call gets the token, not start-up, so
glance-api starts while Keystone is down.
"""

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception

LOG = logging.getLogger(__name__)

AUTHTOKEN_GROUP = 'keystone_authtoken'
DEFAULT_DOMAIN_ID = 'default'

auth_opts = [
    cfg.BoolOpt('use_user_token', default=True,
                help='Pass the user\'s token to glance-registry with every '
                     'registry call. When false, glance-api authenticates to '
                     'the registry as its own service user (admin_user, or '
                     'the [keystone_authtoken] credentials) and passes the '
                     'user\'s identity for the registry to apply.'),
    cfg.StrOpt('admin_user',
               help='Service user glance-api authenticates as to the '
                    'registry when use_user_token is false (Default '
                    'domain). Unset: the [keystone_authtoken] credentials.'),
    cfg.StrOpt('admin_password', secret=True,
               help='Password of admin_user.'),
    cfg.StrOpt('admin_tenant_name',
               help='Project of admin_user (Default domain).'),
    cfg.URIOpt('auth_url',
               help='Keystone URL at which admin_user authenticates.'),
]

CONF = cfg.CONF
CONF.register_opts(auth_opts)


def list_opts():
    return auth_opts


class ServiceCredentials:
    """A keystoneauth session for glance-api's own service user."""

    def __init__(self, conf=CONF):
        self.conf = conf
        self._session = None
        self._configured = None

    def configured(self):
        """Whether there is a service user to authenticate as (decided
        once: asked on every registry call of a context without token)."""
        if self._configured is None:
            self._configured = self._find_configured()
        return self._configured

    def _find_configured(self):
        if self.conf.admin_user:
            return True
        from keystoneauth1 import loading
        loading.register_auth_conf_options(self.conf, AUTHTOKEN_GROUP)
        return bool(self.conf[AUTHTOKEN_GROUP].auth_type)

    def _plugin(self):
        from keystoneauth1 import identity
        from keystoneauth1 import loading
        conf = self.conf
        if conf.admin_user:
            if not (conf.auth_url and conf.admin_tenant_name):
                raise exception.RegistryUnavailable(
                    reason='admin_user is set but auth_url or '
                           'admin_tenant_name is not')
            return identity.Password(
                auth_url=conf.auth_url, username=conf.admin_user,
                password=conf.admin_password,
                project_name=conf.admin_tenant_name,
                user_domain_id=DEFAULT_DOMAIN_ID,
                project_domain_id=DEFAULT_DOMAIN_ID)
        loading.register_auth_conf_options(conf, AUTHTOKEN_GROUP)
        plugin = loading.load_auth_from_conf_options(conf, AUTHTOKEN_GROUP)
        if plugin is None:
            raise exception.RegistryUnavailable(
                reason='use_user_token is false but neither admin_user nor '
                       '[keystone_authtoken] auth_type is set')
        return plugin

    @property
    def session(self):
        if self._session is None:
            from keystoneauth1 import session
            self._session = session.Session(auth=self._plugin())
        return self._session

    def headers(self):
        """``{'X-Auth-Token': <service token>}``."""
        from keystoneauth1 import exceptions as ks_exceptions
        try:
            return self.session.get_auth_headers()
        except ks_exceptions.ClientException as e:
            LOG.warning('glance-api could not authenticate its service user '
                        'for registry calls: %s', e)
            raise exception.RegistryUnavailable(
                reason='glance-api could not authenticate its service user')

    def invalidate(self):
        """Forget the token (the registry refused it); the next call gets
        a new one."""
        if self._session is not None:
            self._session.invalidate()
