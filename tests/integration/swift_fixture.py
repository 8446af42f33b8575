"""A real Swift cluster for the store tests: proxy, account, container and
object servers on free 127.0.0.1 ports, one replica on one device in a temp
folder, tempauth (fernet tokens, so no memcached), Swift's own s3api in the
proxy pipeline as a real S3 endpoint, container quotas, DLO and SLO.

The cluster is started once per test process by :func:`shared_cluster` and
stopped at exit; it fails loudly when it cannot start. Its swift.conf sets a
small ``max_file_size`` (:data:`MAX_FILE_SIZE`) so the large-object paths are
cheap to test, and s3api's ``min_segment_size`` is lowered to
:data:`S3_MIN_PART_SIZE` for the same reason (real S3 and s3api's default
refuse parts under 5 MiB except the last).

Swift reads its constraints from ``swift.common.utils.SWIFT_CONF_FILE`` when
``swift.common.constraints`` is first imported, and has no environment
variable for it, so each server runs through this module
(``python -m tests.integration.swift_fixture SWIFT_CONF SERVER CONF``),
which points SWIFT_CONF_FILE at the cluster's swift.conf before importing
the server.
"""

import atexit
import base64
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

MiB = 1024 * 1024
MAX_FILE_SIZE = 4 * MiB
S3_MIN_PART_SIZE = 128 * 1024
ACCOUNT = 'AUTH_test'
USER = 'test:tester'
KEY = 'testing'
REGION = 'us-east-1'
PR_SET_PDEATHSIG = 1

SERVERS = {
    'account': 'swift.account.server',
    'container': 'swift.container.server',
    'object': 'swift.obj.server',
    'proxy': 'swift.proxy.server',
}

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_suffix = glance-test-suffix
swift_hash_path_prefix = glance-test-prefix

[storage-policy:0]
name = gold
default = yes

[swift-constraints]
max_file_size = %(max_file_size)d
"""

STORAGE_SERVER_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = %(port)d
workers = 0
swift_dir = %(root)s
devices = %(devices)s
mount_check = false
log_name = %(server)s-server
log_level = WARNING

[pipeline:main]
pipeline = %(server)s-server

[app:%(server)s-server]
use = egg:swift#%(egg)s
"""

PROXY_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = %(port)d
workers = 0
swift_dir = %(root)s
log_name = proxy-server
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging
    listing_formats s3api tempauth container-quotas slo dlo proxy-logging
    proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = %(region)s
min_segment_size = %(min_segment_size)d

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = %(key)s .admin
fernet_key_k1 = %(fernet_key)s
active_fernet_key_id = k1

[filter:container-quotas]
use = egg:swift#container_quotas

[filter:slo]
use = egg:swift#slo
rate_limit_after_segment = 100000

[filter:dlo]
use = egg:swift#dlo
# The tests write many tiny segments; by default DLO serves only one
# segment per second after the tenth.
rate_limit_after_segment = 100000
"""


def _die_with_parent():
    """Have the kernel SIGTERM a server when the test process dies, even
    by SIGKILL, so no server outlives its test run."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SwiftCluster:
    """Four Swift servers in a temp folder; ``start()`` / ``stop()``."""

    def __init__(self, max_file_size=MAX_FILE_SIZE,
                 s3_min_part_size=S3_MIN_PART_SIZE):
        self.max_file_size = max_file_size
        self.s3_min_part_size = s3_min_part_size
        self.root = None
        self.ports = {}
        self.processes = {}
        self.start_seconds = None

    # -- what tests use ----------------------------------------------------

    @property
    def endpoint(self):
        """The proxy's base URL, also the S3 endpoint (path-style)."""
        return 'http://127.0.0.1:%d' % self.ports['proxy']

    @property
    def auth_url(self):
        return self.endpoint + '/auth/v1.0'

    @property
    def storage_url(self):
        return '%s/v1/%s' % (self.endpoint, ACCOUNT)

    def connection(self):
        """A python-swiftclient Connection as the test user."""
        from swiftclient import client
        return client.Connection(authurl=self.auth_url, user=USER, key=KEY,
                                 auth_version='1', retries=0)

    # The S3 view of the cluster (s3api), as ceph_fixture.RadosGateway
    # offers it too, so the s3 store tests run on either server.
    access_key = USER
    secret_key = KEY
    region = REGION

    def set_bucket_quota(self, bucket, max_bytes):
        """A container quota on the bucket (it must exist)."""
        self.connection().post_container(bucket, headers={
            'X-Container-Meta-Quota-Bytes': str(max_bytes)})

    def part_objects(self, bucket):
        """What s3api keeps of multipart uploads in Swift."""
        return object_names(self.connection(), bucket + '+segments')

    def remove_parts(self, bucket):
        empty_containers(self.connection(), bucket + '+segments')

    def s3_client(self):
        import boto3
        from botocore import config
        return boto3.client(
            's3', endpoint_url=self.endpoint, aws_access_key_id=USER,
            aws_secret_access_key=KEY, region_name=REGION,
            config=config.Config(s3={'addressing_style': 'path'}))

    # -- life cycle --------------------------------------------------------

    def start(self, timeout=90):
        # Generous: on a loaded 2-core machine the four servers have taken
        # over 30 s to answer a container PUT.
        started = time.time()
        self.root = tempfile.mkdtemp(prefix='glance-swift-')
        try:
            self._write_files()
            for server in ('account', 'container', 'object', 'proxy'):
                self._launch(server)
            self._wait_until_ready(timeout)
        except BaseException:
            logs = self.log_text()
            self.stop()
            raise RuntimeError('Swift did not start:\n%s' % logs)
        self.start_seconds = time.time() - started
        return self

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = {}
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def log_text(self, tail=3000):
        if not self.root:
            return ''
        parts = []
        for server in SERVERS:
            path = os.path.join(self.root, '%s.log' % server)
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    parts.append('--- %s ---\n%s' % (server, f.read()[-tail:]))
        return '\n'.join(parts)

    def _write_files(self):
        devices = os.path.join(self.root, 'srv')
        os.makedirs(os.path.join(devices, 'd1'))
        for server in SERVERS:
            self.ports[server] = free_port()
        with open(os.path.join(self.root, 'swift.conf'), 'w') as f:
            f.write(SWIFT_CONF % {'max_file_size': self.max_file_size})
        for server in ('account', 'container', 'object'):
            # In a child: importing swift loads eventlet.wsgi, whose
            # patched imports leave ``http.server`` (the package attribute)
            # pointing at a green copy in this process.
            subprocess.run(
                [sys.executable, '-m', 'tests.integration.swift_fixture',
                 'ring', os.path.join(self.root, '%s.ring.gz' % server),
                 str(self.ports[server])],
                check=True, capture_output=True, cwd=REPO_ROOT)
            with open(os.path.join(self.root, '%s-server.conf' % server),
                      'w') as f:
                f.write(STORAGE_SERVER_CONF % {
                    'port': self.ports[server], 'root': self.root,
                    'devices': devices, 'server': server,
                    'egg': 'object' if server == 'object' else server})
        with open(os.path.join(self.root, 'proxy-server.conf'), 'w') as f:
            f.write(PROXY_CONF % {
                'port': self.ports['proxy'], 'root': self.root,
                'region': REGION, 'min_segment_size': self.s3_min_part_size,
                'key': KEY,
                'fernet_key': base64.urlsafe_b64encode(
                    os.urandom(32)).decode()})

    def _launch(self, server):
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
        log = open(os.path.join(self.root, '%s.log' % server), 'wb')
        with log:
            self.processes[server] = subprocess.Popen(
                [sys.executable, '-m', 'tests.integration.swift_fixture',
                 os.path.join(self.root, 'swift.conf'), server,
                 os.path.join(self.root, '%s-server.conf' % server)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.root, env=env, preexec_fn=_die_with_parent)

    def _wait_until_ready(self, timeout):
        """Wait until a token, a container PUT and an object PUT all work:
        that proves all four servers answer."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            for server, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError('%s server exited with %s'
                                       % (server, process.returncode))
            try:
                auth = requests.get(self.auth_url, timeout=2, headers={
                    'X-Auth-User': USER, 'X-Auth-Key': KEY})
                if auth.status_code == 200:
                    headers = {'X-Auth-Token': auth.headers['X-Auth-Token']}
                    url = self.storage_url + '/fixture-ready'
                    put = requests.put(url, headers=headers, timeout=5)
                    if put.status_code in (201, 202):
                        obj = requests.put(url + '/probe', data=b'ok',
                                           headers=headers, timeout=5)
                        if obj.status_code == 201:
                            requests.delete(url + '/probe', headers=headers,
                                            timeout=5)
                            requests.delete(url, headers=headers, timeout=5)
                            return
                        last = 'object PUT %s' % obj.status_code
                    else:
                        last = 'container PUT %s' % put.status_code
                else:
                    last = 'auth %s' % auth.status_code
            except requests.RequestException as e:
                last = str(e)
            time.sleep(0.1)
        raise RuntimeError('Swift not ready after %ss: %s' % (timeout, last))


def object_names(connection, container):
    """Names in ``container`` ([] when it does not exist)."""
    from swiftclient import exceptions
    try:
        return [o['name'] for o in connection.get_container(
            container, full_listing=True)[1]]
    except exceptions.ClientException as e:
        if e.http_status == 404:
            return []
        raise


def empty_containers(connection, *containers):
    """Delete ``containers`` and everything in them."""
    from swiftclient import exceptions
    for container in containers:
        for name in object_names(connection, container):
            connection.delete_object(container, name)
        try:
            connection.delete_container(container)
        except exceptions.ClientException as e:
            if e.http_status != 404:
                raise


_shared = None
_shared_lock = threading.Lock()


def shared_cluster():
    """The cluster of this test process, started on first use and stopped
    at exit. Raises (never skips) when Swift cannot start."""
    global _shared
    with _shared_lock:
        if _shared is None:
            cluster = SwiftCluster().start()
            atexit.register(cluster.stop)
            _shared = cluster
        return _shared


def serve(swift_conf, server, conf):
    """Run one Swift server in this process, reading ``swift_conf``."""
    from swift.common import utils
    utils.SWIFT_CONF_FILE = swift_conf
    from swift.common import constraints
    from swift.common import storage_policy
    constraints.reload_constraints()
    storage_policy.reload_storage_policies()
    module = __import__(SERVERS[server], fromlist=['main'])
    sys.argv = ['swift-%s-server' % server, conf]
    module.main()


def build_ring(path, port):
    """Write a one-device ring for a server on 127.0.0.1:``port``."""
    from swift.common.ring import builder as ring_builder
    builder = ring_builder.RingBuilder(10, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
                     'port': int(port), 'device': 'd1', 'weight': 1})
    builder.rebalance()
    builder.get_ring().save(path)


if __name__ == '__main__':
    if sys.argv[1] == 'ring':
        build_ring(*sys.argv[2:4])
    else:
        serve(*sys.argv[1:4])
