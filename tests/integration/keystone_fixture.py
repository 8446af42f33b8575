"""A real Keystone (the ``keystone`` package from PyPI) for auth tests.

:class:`KeystoneFixture` lays out a temp folder with a keystone.conf (SQLite,
fernet tokens, cheap bcrypt rounds, in-process cache), runs the
keystone-manage steps ``fernet_setup``, ``credential_setup``, ``db_sync`` and
``bootstrap`` (admin user, project and role; identity endpoints in RegionOne
at its own URL), serves Keystone's own WSGI application
(``keystone.server.wsgi``) with werkzeug (a Keystone dependency) in a child
process on a free 127.0.0.1 port, and then creates, through the REST API,
what an RDO controller has for Glance:

=============  ===========  =========================================
user           project      role (implied roles come along in tokens)
=============  ===========  =========================================
admin          admin        admin (bootstrap; also admin on the system)
glance         service      admin
demo           demo         member
alt_demo       alt_demo     member
demo_reader    demo         reader
=============  ===========  =========================================

plus an ``image`` service with public/internal/admin endpoints in RegionOne
pointing at a glance-api URL (:meth:`KeystoneFixture.set_image_url`).

Keystone's bootstrap also creates the roles ``manager`` and ``service`` and
the implications admin -> manager -> member -> reader, so a ``demo`` token
carries the roles member and reader (X-Roles ``member,reader``), a
``demo_reader`` token only reader, and ``admin`` and ``glance`` tokens admin,
manager, member and reader.

A test process shares one instance through :func:`shared_keystone`, which
starts it on first use, stops it at exit and fails loudly (never skips)
when Keystone cannot start. Every later call re-raises the first failure
instead of paying the start-up again.

The listening socket is bound here and handed to the child by file
descriptor, so the port is known before ``bootstrap`` writes the endpoints
and no other process can take it in between.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import fixtures
import requests

REGION = 'RegionOne'
DOMAIN = 'Default'
DOMAIN_ID = 'default'
ADMIN_PASSWORD = 'admin-secret'

# name -> (project, role); the admin user, project and role come from
# ``keystone-manage bootstrap``, everything else is created over REST.
USERS = {
    'admin': ('admin', 'admin'),
    'glance': ('service', 'admin'),
    'demo': ('demo', 'member'),
    'alt_demo': ('alt_demo', 'member'),
    'demo_reader': ('demo', 'reader'),
}
PROJECTS = ('service', 'demo', 'alt_demo')
ROLES = ('admin', 'member', 'reader')
# Where the image endpoints point until a test gives glance-api's URL.
DEFAULT_IMAGE_URL = 'http://127.0.0.1:9292'
# Tokens live an hour (Keystone's default); cached ones are renewed well
# before that.
TOKEN_CACHE_SECONDS = 600

KEYSTONE_CONF = """\
[DEFAULT]
log_file = %(root)s/keystone.log
use_stderr = false

[database]
connection = sqlite:///%(root)s/keystone.db

[token]
provider = fernet

[fernet_tokens]
key_repository = %(root)s/fernet-keys

[fernet_receipts]
key_repository = %(root)s/fernet-keys

[credential]
key_repository = %(root)s/credential-keys

[identity]
# bcrypt's minimum: every password check costs ~1 ms instead of ~250 ms.
password_hash_rounds = 4

[cache]
# In-process cache: without it one token validation runs ~400 SQL queries
# (the same role lookups again and again) and takes ~0.5 s.
enabled = true
backend = dogpile.cache.memory
"""

# The keystone-manage steps, run in one process through the function the
# keystone-manage console script calls, with the same arguments: importing
# Keystone costs ~2.5 s of CPU, which four separate keystone-manage runs
# would pay four times. oslo.config's global CONF is reset between commands
# because keystone-manage registers its sub-command as a CLI option.
# oslo.service imports eventlet, whose deprecation notice would open every
# log a failing test shows: it is filtered out by its text.
# argv: keystone.conf, JSON list of commands, keys-ready marker path. The
# marker is written once the key repositories exist (see SERVER_SCRIPT).
MANAGE_SCRIPT = """\
import json, sys, warnings
warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated')
conf, commands, marker = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
from keystone.cmd import cli
for args in commands:
    if args == 'keys-ready':
        open(marker, 'w').close()
        continue
    print('keystone-manage', args[0], flush=True)
    cli.CONF.reset()
    cli.main(argv=['keystone-manage', '--config-file', conf] + args)
"""

# The server process: serve Keystone's WSGI app (keystone.server.wsgi) with
# werkzeug on the inherited listening socket. It imports Keystone while the
# manage process works, and builds the app once the key repositories exist
# (Keystone checks them then; it reads the database only on requests).
# Keystone parses sys.argv as oslo.config options, so the script's own
# arguments are removed first. TCP_NODELAY because keystonemiddleware keeps
# connections alive and werkzeug writes headers and body separately (Nagle
# and delayed ACK would add ~40 ms a call). When the test process that
# started it dies without cleaning up (a killed test worker), it removes
# the temp folder and exits. With "serial", one request is served at a
# time: Keystone on SQLite answers concurrent writes (Tempest creating and
# deleting users and projects from several workers) with 500 "database is
# locked".
# argv: keystone.conf, listening socket fd, keys-ready marker path,
# "serial" or "threaded".
SERVER_SCRIPT = """\
import os, shutil, socket, sys, threading, time, warnings
warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated')
conf, fd, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
serial = sys.argv[4] == 'serial'
del sys.argv[1:]
parent = os.getppid()
def exit_with_parent():
    while os.getppid() == parent:
        time.sleep(1)
    shutil.rmtree(os.path.dirname(conf), ignore_errors=True)
    os._exit(0)
threading.Thread(target=exit_with_parent, daemon=True).start()
os.environ['OS_KEYSTONE_CONFIG_FILES'] = conf
from keystone.server import wsgi
from werkzeug import serving
deadline = time.time() + 120
while not os.path.exists(marker):
    if time.time() > deadline:
        sys.exit('no keys-ready marker at %s' % marker)
    time.sleep(0.05)
app = wsgi.initialize_public_application()
if serial:
    keystone_app, lock = app, threading.Lock()
    def app(environ, start_response):
        with lock:
            return list(keystone_app(environ, start_response))
server = serving.make_server('127.0.0.1', 0, app, threaded=True, fd=fd)
accept = server.get_request
def get_request():
    conn, addr = accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn, addr
server.get_request = get_request
print('keystone serving on port %d' % server.port, flush=True)
server.serve_forever()
"""


# Prints a project-scoped fernet token that expired minutes ago, made with
# the server's own keys by Keystone's token formatter (Keystone issues no
# such token over its API, and waiting an hour for one is not a test).
# argv: keystone.conf, user id, project id.
EXPIRED_TOKEN_SCRIPT = """\
import datetime, sys, warnings
warnings.filterwarnings('ignore', message=r'\\s*Eventlet is deprecated')
conf, user_id, project_id = sys.argv[1:4]
import keystone.conf
keystone.conf.configure()
keystone.conf.CONF(['--config-file', conf], project='keystone')
from keystone.common import utils
from keystone.token import provider
from keystone.token import token_formatters
expires = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
token = token_formatters.TokenFormatter().create_token(
    user_id, utils.isotime(expires, subsecond=True),
    [provider.random_urlsafe_str()], token_formatters.ProjectScopedPayload,
    methods=['password'], project_id=project_id)
print(token)
"""


class KeystoneUser:
    """One user's credentials and the project it is scoped to."""

    def __init__(self, name, password, project_name, role):
        self.name = name
        self.password = password
        self.project_name = project_name
        self.role = role
        self.user_id = None
        self.project_id = None

    def __repr__(self):
        return '<KeystoneUser %s in %s as %s>' % (
            self.name, self.project_name, self.role)


class KeystoneFixture(fixtures.Fixture):
    """A Keystone server with Glance's users; stopped at cleanup.

    ``image_url`` (optional, default :data:`DEFAULT_IMAGE_URL`) is the
    glance-api URL the ``image`` service's endpoints point at; it can be
    changed later with :meth:`set_image_url`. ``serial=True`` serves one
    request at a time (for many concurrent writers, see SERVER_SCRIPT).
    """

    def __init__(self, image_url=None, timeout=60, serial=False):
        super().__init__()
        self.serial = serial
        self.image_url = image_url or DEFAULT_IMAGE_URL
        self.timeout = timeout
        self.root = None
        self.port = None
        self.process = None
        self.users = {}
        self.project_ids = {}
        self.image_endpoint_ids = {}
        self.image_service_id = None
        self.start_seconds = None
        self.phase_seconds = {}  # phase -> seconds since the start
        self._admin_session = None
        self._token_cache = {}  # user -> (token, time issued)

    # -- what tests use ----------------------------------------------------

    @property
    def base_url(self):
        """Unversioned Keystone URL, as an install guide configures it."""
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self):
        return self.base_url + '/v3'

    @property
    def admin(self):
        return self.users['admin']

    @property
    def authtoken_conf(self):
        """[keystone_authtoken] options for glance-api / glance-registry.

        memcached_servers is deliberately absent: keystonemiddleware then
        keeps its token cache in process memory.
        """
        glance = self.users['glance']
        return {
            'www_authenticate_uri': self.base_url,
            'auth_url': self.base_url,
            'auth_type': 'password',
            'username': glance.name,
            'password': glance.password,
            'project_name': glance.project_name,
            'user_domain_name': DOMAIN,
            'project_domain_name': DOMAIN,
        }

    def credentials(self, user):
        """keystoneauth1 ``password`` plugin arguments for ``user``."""
        u = self.users[user]
        return {
            'auth_url': self.auth_url,
            'username': u.name,
            'password': u.password,
            'project_name': u.project_name,
            'user_domain_name': DOMAIN,
            'project_domain_name': DOMAIN,
        }

    def os_environ(self, user):
        """OS_* variables for the openstack / glance command-line clients."""
        u = self.users[user]
        return {
            'OS_AUTH_URL': self.auth_url,
            'OS_AUTH_TYPE': 'password',
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': u.name,
            'OS_PASSWORD': u.password,
            'OS_PROJECT_NAME': u.project_name,
            'OS_USER_DOMAIN_NAME': DOMAIN,
            'OS_PROJECT_DOMAIN_NAME': DOMAIN,
            'OS_REGION_NAME': REGION,
        }

    def token_for(self, user, cached=False):
        """A project-scoped token (the X-Subject-Token) for ``user``.

        Each call issues a new token (~0.1 s). With ``cached=True`` the
        user's last cached token is reused for up to 10 minutes; never ask
        for a cached token in a test that revokes it.
        """
        if cached:
            token, issued = self._token_cache.get(user, (None, 0))
            if token and time.time() - issued < TOKEN_CACHE_SECONDS:
                return token
        u = self.users[user]
        resp = requests.post(
            self.auth_url + '/auth/tokens', timeout=30,
            json=_password_auth(u.name, u.password, u.project_name))
        if resp.status_code != 201:
            raise RuntimeError('Keystone refused a token for %s: %s %s' % (
                user, resp.status_code, resp.text[:500]))
        token = resp.headers['X-Subject-Token']
        if cached:
            self._token_cache[user] = (token, time.time())
        return token

    def expired_token_for(self, user):
        """A token of ``user``, scoped to its project, that expired five
        minutes ago (signed with this Keystone's fernet keys)."""
        u = self.users[user]
        result = subprocess.run(
            [sys.executable, '-c', EXPIRED_TOKEN_SCRIPT, self.conf_path,
             u.user_id, u.project_id],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError('could not make an expired token: %s'
                               % result.stderr[-2000:])
        return result.stdout.strip().splitlines()[-1]

    def set_image_url(self, url):
        """Point the ``image`` service's three endpoints at ``url``."""
        self.image_url = url
        for endpoint_id in self.image_endpoint_ids.values():
            self._admin('PATCH', '/endpoints/%s' % endpoint_id,
                        {'endpoint': {'url': url}})

    def add_service(self, service_type, name, url):
        """A service of ``service_type`` with public, internal and admin
        endpoints in RegionOne at ``url`` (a second glance-api, for
        example). Returns (service id, {interface: endpoint id})."""
        service_id = self._admin('POST', '/services', {
            'service': {'type': service_type, 'name': name},
        })['service']['id']
        endpoint_ids = {}
        for interface in ('public', 'internal', 'admin'):
            endpoint_ids[interface] = self._admin('POST', '/endpoints', {
                'endpoint': {'service_id': service_id,
                             'interface': interface, 'region_id': REGION,
                             'url': url}})['endpoint']['id']
        return service_id, endpoint_ids

    def set_registered_limit(self, resource_name, default_limit):
        """The default unified limit of ``resource_name`` for the image
        service in every project (created, or changed when it exists;
        Keystone ignores a change to 0, so give 0 only the first time)."""
        found = self._admin('GET', '/registered_limits?service_id=%s&'
                            'resource_name=%s' % (self.image_service_id,
                                                  resource_name))
        if found['registered_limits']:
            self._admin('PATCH', '/registered_limits/%s'
                        % found['registered_limits'][0]['id'],
                        {'registered_limit': {
                            'default_limit': default_limit}})
            return
        self._admin('POST', '/registered_limits', {'registered_limits': [{
            'service_id': self.image_service_id, 'region_id': REGION,
            'resource_name': resource_name,
            'default_limit': default_limit}]})

    def set_project_limit(self, project_name, resource_name, limit):
        """A project's own unified limit of ``resource_name`` (its
        registered limit must exist)."""
        project_id = self.project_ids[project_name]
        found = self._admin('GET', '/limits?service_id=%s&project_id=%s&'
                            'resource_name=%s' % (self.image_service_id,
                                                  project_id, resource_name))
        if found['limits']:
            # Replaced, not patched: Keystone ignores a PATCH to 0.
            self._admin('DELETE', '/limits/%s' % found['limits'][0]['id'])
        self._admin('POST', '/limits', {'limits': [{
            'service_id': self.image_service_id, 'region_id': REGION,
            'project_id': project_id, 'resource_name': resource_name,
            'resource_limit': limit}]})

    @property
    def limit_conf(self):
        """[oslo_limit] options reading the image service's limits as the
        glance user."""
        conf = {key: value for key, value in self.authtoken_conf.items()
                if key in ('auth_url', 'auth_type', 'username', 'password',
                           'project_name', 'user_domain_name',
                           'project_domain_name')}
        conf['endpoint_id'] = self.image_endpoint_ids['public']
        return conf

    def log_text(self, limit=6000):
        """The tail of the server output and keystone.log, for failures."""
        parts = []
        for name in ('server.log', 'manage.log', 'keystone.log'):
            path = os.path.join(self.root or '', name)
            if self.root and os.path.exists(path):
                with open(path, errors='replace') as f:
                    parts.append('--- %s ---\n%s' % (name, f.read()[-limit:]))
        return '\n'.join(parts)

    # -- life cycle --------------------------------------------------------

    def _setUp(self):
        started = time.time()
        self.root = tempfile.mkdtemp(prefix='glance-keystone-')
        self.addCleanup(self._remove_root)
        self.conf_path = os.path.join(self.root, 'keystone.conf')
        with open(self.conf_path, 'w') as f:
            f.write(KEYSTONE_CONF % {'root': self.root})
        marker = os.path.join(self.root, 'keys-ready')
        ids = ['--keystone-user', str(os.getuid()),
               '--keystone-group', str(os.getgid())]
        listener = socket.socket()
        try:
            listener.bind(('127.0.0.1', 0))
            listener.listen(128)
            self.port = listener.getsockname()[1]
            manage = self._launch('manage.log', MANAGE_SCRIPT, [
                self.conf_path,
                json.dumps([['fernet_setup'] + ids,
                            ['credential_setup'] + ids,
                            'keys-ready',
                            ['db_sync'],
                            self._bootstrap_args()]),
                marker])
            self.process = self._launch(
                'server.log', SERVER_SCRIPT,
                [self.conf_path, str(listener.fileno()), marker,
                 'serial' if self.serial else 'threaded'],
                pass_fds=(listener.fileno(),))
            # From here only the server holds the socket: if it dies,
            # clients get "connection refused" rather than a hang.
            listener.close()
            self.addCleanup(self._stop_server)
            self._wait_for_manage(manage)
            self._mark('keystone-manage', started)
            self._wait_until_serving()
            self._mark('serving', started)
            self._create_glance_accounts()
            self._mark('accounts', started)
        except BaseException as e:
            raise RuntimeError('Keystone did not start (%s):\n%s' % (
                e, self.log_text())) from e
        finally:
            listener.close()
        self.start_seconds = time.time() - started

    def _mark(self, phase, started):
        self.phase_seconds[phase] = round(time.time() - started, 2)

    def _launch(self, log_name, script, args, pass_fds=()):
        with open(os.path.join(self.root, log_name), 'wb') as out:
            return subprocess.Popen(
                [sys.executable, '-c', script] + args, pass_fds=pass_fds,
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True)

    def _bootstrap_args(self):
        return [
            'bootstrap',
            '--bootstrap-password', ADMIN_PASSWORD,
            '--bootstrap-username', 'admin',
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', REGION,
            '--bootstrap-public-url', self.base_url,
            '--bootstrap-internal-url', self.base_url,
            '--bootstrap-admin-url', self.base_url,
        ]

    def _wait_for_manage(self, manage):
        try:
            rc = manage.wait(self.timeout)
        except subprocess.TimeoutExpired:
            manage.kill()
            manage.wait()
            raise RuntimeError('keystone-manage steps took over %ss'
                               % self.timeout)
        if rc != 0:
            raise RuntimeError('keystone-manage steps exited with %s' % rc)

    def _wait_until_serving(self):
        deadline = time.time() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError('keystone server exited with %s'
                                   % self.process.returncode)
            try:
                # The socket listens from the start, so this connects at
                # once and waits until the server accepts.
                resp = requests.get(self.auth_url, timeout=2)
                if resp.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError('keystone server did not answer in %ss'
                                   % self.timeout)
            time.sleep(0.1)

    def _stop_server(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._admin_session is not None:
            self._admin_session.close()
            self._admin_session = None

    def _remove_root(self):
        shutil.rmtree(self.root, ignore_errors=True)

    # -- provisioning over the REST API ------------------------------------

    def _admin(self, method, path, body=None, expect=(200, 201, 204)):
        """One admin REST call; the admin token is renewed when it expires
        (the shared instance can outlive a token's hour)."""
        if self._admin_session is None:
            self._admin_session = requests.Session()
        for attempt in (1, 2):
            if 'X-Auth-Token' not in self._admin_session.headers:
                self._admin_session.headers['X-Auth-Token'] = \
                    self.token_for('admin')
            resp = self._admin_session.request(
                method, self.auth_url + path, json=body, timeout=30)
            if resp.status_code != 401:
                break
            del self._admin_session.headers['X-Auth-Token']
        if resp.status_code not in expect:
            raise RuntimeError('%s %s: %s %s' % (
                method, path, resp.status_code, resp.text[:500]))
        return resp.json() if resp.content else None

    def _create_glance_accounts(self):
        # bootstrap made the admin user, project and role.
        admin = KeystoneUser('admin', ADMIN_PASSWORD, 'admin', 'admin')
        self.users['admin'] = admin
        admin.user_id = self._admin(
            'GET', '/users?name=admin')['users'][0]['id']

        roles = {r['name']: r['id']
                 for r in self._admin('GET', '/roles')['roles']}
        for name in ROLES:
            if name not in roles:
                roles[name] = self._admin(
                    'POST', '/roles', {'role': {'name': name}})['role']['id']

        self.project_ids = {
            p['name']: p['id']
            for p in self._admin('GET', '/projects')['projects']}
        admin.project_id = self.project_ids['admin']
        for name in PROJECTS:
            self.project_ids[name] = self._admin('POST', '/projects', {
                'project': {'name': name, 'domain_id': DOMAIN_ID,
                            'description': '%s project' % name},
            })['project']['id']

        for name, (project, role) in USERS.items():
            if name == 'admin':
                continue
            user = KeystoneUser(name, '%s-secret' % name, project, role)
            user.project_id = self.project_ids[project]
            user.user_id = self._admin('POST', '/users', {
                'user': {'name': name, 'password': user.password,
                         'domain_id': DOMAIN_ID,
                         'default_project_id': user.project_id},
            })['user']['id']
            self._admin('PUT', '/projects/%s/users/%s/roles/%s' % (
                user.project_id, user.user_id, roles[role]))
            self.users[name] = user

        self.image_service_id, self.image_endpoint_ids = self.add_service(
            'image', 'glance', self.image_url)


def _password_auth(username, password, project_name):
    return {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': username, 'password': password,
            'domain': {'name': DOMAIN}}}},
        'scope': {'project': {'name': project_name,
                              'domain': {'name': DOMAIN}}},
    }}


_shared = None
_shared_error = None
_shared_lock = threading.Lock()


def shared_keystone(image_url=None):
    """The test process's Keystone, started on first use, stopped at exit.

    Raises (never skips) when Keystone cannot start; later calls re-raise
    that failure at once. ``image_url``, when given, repoints the ``image``
    endpoints.
    """
    global _shared, _shared_error
    with _shared_lock:
        if _shared_error is not None:
            raise RuntimeError('Keystone failed to start earlier in this '
                               'process') from _shared_error
        if _shared is None:
            keystone = KeystoneFixture(image_url=image_url)
            try:
                keystone.setUp()
            except fixtures.MultipleExceptions as e:
                # Raise the start-up failure itself, not fixtures' wrapper.
                _shared_error = e.args[0][1]
                raise _shared_error
            except BaseException as e:
                _shared_error = e
                raise
            atexit.register(keystone.cleanUp)
            _shared = keystone
        elif image_url and image_url != _shared.image_url:
            _shared.set_image_url(image_url)
        return _shared
