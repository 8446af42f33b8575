"""A real, throw-away Ceph cluster for the rbd store tests, and radosgw on
it for the s3 store tests.

One monitor and one memstore OSD from Debian's packages (tools/install-ceph
installs them), started as plain processes with a ceph.conf in a temp
folder, on free loopback ports. No manager: RBD does not need one, and it
would triple the memory. Authentication is off (``auth_* = none``): the
cluster lives for one test process on 127.0.0.1 and only the tests talk to
it, so no keyring has to be generated and handed around.

The cluster is started once per test process (:func:`cluster`) and stopped
at exit, OSD before monitor: a memstore OSD saves its objects on a clean
shutdown and must still reach the monitor to be marked down.

radosgw (:func:`radosgw`) is started on the same cluster the first time a
test asks for it, on a free loopback port, with one S3 user made by
radosgw-admin; it is stopped at exit before the cluster.

It fails loudly, never skips: a missing package or a daemon that does not
come up is an error carrying the daemon's log tail.
"""

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

POOL = 'images'
START_TIMEOUT = 90
RGW_NAME = 'client.rgw.gateway'
RGW_ACCESS_KEY = 'glance-test-access'
RGW_SECRET_KEY = 'glance-test-secret'
RGW_REGION = 'us-east-1'
# Parts under 5 MiB (S3's minimum) are allowed, as with the Swift s3api
# fixture, so the multipart paths are cheap to test.
RGW_MIN_PART_SIZE = 128 * 1024
RGW_DATA_POOL = 'default.rgw.buckets.data'

_lock = threading.Lock()
_cluster = None
_gateway = None

CONF_TEMPLATE = """\
[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{v2_port},v1:127.0.0.1:{v1_port}]
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = {base}/run
admin socket = {base}/run/$name.asok
pid file = {base}/run/$name.pid
log file = {base}/log/$name.log
crash dir = {base}/crash
keyring = {base}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
# An RBD snapshot create/remove allocates a snap id through a new OSD map;
# the mon batches map changes for paxos_propose_interval (1 s by default),
# which would make every upload and delete take a second or more.
paxos propose interval = 0.01

[mon]
mon data = {base}/mon/$cluster-$id

[osd]
osd data = {base}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = {memstore_bytes}
# memstore traps (PLATFORM.md): with the default failsafe ratio the cluster
# reports OSD_OUT_OF_ORDER_FULL; with fast shutdown a SIGTERM drops every
# object and the next start hangs with all PGs unknown.
osd failsafe full ratio = 0.995
osd fast shutdown = false
osd op num shards = 1
osd op num threads per shard = 2

[{rgw_name}]
rgw data = {base}/rgw
# Daemons ask for "secure" mode towards the mon by default, which auth
# "none" cannot give: the gateway would never connect.
ms mon client mode = crc
rgw multipart min part size = {rgw_min_part_size}
# Deleted objects go to the garbage collector, which keeps them for two
# hours by default; with no wait, "radosgw-admin gc process" (which
# part_objects runs) frees them at once.
rgw gc obj min wait = 0
# Quotas are checked against fresh bucket stats, not a 10 minute cache.
rgw bucket quota ttl = 0
"""


class CephError(Exception):
    """The test cluster could not be started or used."""


def cluster():
    """The test process's one running cluster, started on first use."""
    global _cluster
    with _lock:
        if _cluster is None:
            _cluster = _started(CephCluster())
        return _cluster


def radosgw():
    """The one running radosgw of this test process, on :func:`cluster`,
    started on first use."""
    global _gateway
    ceph = cluster()
    with _lock:
        if _gateway is None:
            # atexit runs last-registered first: the gateway stops before
            # the cluster it writes to.
            _gateway = _started(RadosGateway(ceph))
        return _gateway


def _started(daemons):
    """``daemons`` started, and stopped at exit; what came up is stopped
    again when the start fails."""
    try:
        daemons.start()
    except BaseException:
        daemons.stop()
        raise
    atexit.register(daemons.stop)
    return daemons


def _free_ports(count):
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_parent():
    """In the child before exec: get SIGKILL when the test process dies
    without running atexit (killed by a runner's timeout), so no daemon
    outlives it. (A SIGTERMed memstore OSD whose mon is gone waits for the
    mon forever; its data is thrown away here anyway.)"""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class CephCluster:
    """One mon (``a``) and one memstore OSD (``0``) in a temp folder."""

    def __init__(self, memstore_bytes=1024 * 1024 * 1024):
        self.memstore_bytes = memstore_bytes
        self.base = None
        self.conf_path = None
        self.fsid = str(uuid.uuid4())
        self.mon = None
        self.osd = None
        self.start_seconds = None

    # -- start ---------------------------------------------------------------

    def start(self):
        began = time.monotonic()
        for tool in ('monmaptool', 'ceph-mon', 'ceph-osd'):
            if shutil.which(tool) is None:
                raise CephError('%s is not installed: run tools/install-ceph'
                                % tool)
        import rados  # noqa: F401  (fail early with the install hint)
        self.base = tempfile.mkdtemp(prefix='glance-ceph-')
        for sub in ('run', 'log', 'crash', 'mon', 'osd/ceph-0'):
            os.makedirs(os.path.join(self.base, sub))
        self.v2_port, self.v1_port = _free_ports(2)
        self.conf_path = os.path.join(self.base, 'ceph.conf')
        with open(self.conf_path, 'w') as f:
            f.write(CONF_TEMPLATE.format(
                fsid=self.fsid, base=self.base, v2_port=self.v2_port,
                v1_port=self.v1_port, memstore_bytes=self.memstore_bytes,
                rgw_name=RGW_NAME, rgw_min_part_size=RGW_MIN_PART_SIZE))

        monmap = os.path.join(self.base, 'monmap')
        self._run('monmaptool', '--create', '--fsid', self.fsid, '--addv',
                  'a', '[v2:127.0.0.1:%d,v1:127.0.0.1:%d]'
                  % (self.v2_port, self.v1_port), monmap)
        self._run('ceph-mon', '--mkfs', '-i', 'a', '--monmap', monmap,
                  '-c', self.conf_path)
        self.mon = self._spawn('ceph-mon', '-f', '-i', 'a',
                               '-c', self.conf_path)

        osd_uuid = str(uuid.uuid4())
        with self.client(timeout=30) as client:
            osd_id = self._mon_command(client, prefix='osd new',
                                       uuid=osd_uuid).get('osdid')
            if osd_id != 0:
                raise CephError('expected OSD id 0, the mon gave %r' % osd_id)
            self._run('ceph-osd', '--mkfs', '-i', '0', '--osd-uuid',
                      osd_uuid, '-c', self.conf_path)
            self.osd = self._spawn('ceph-osd', '-f', '-i', '0',
                                   '-c', self.conf_path)
            client.create_pool(POOL)
            ioctx = client.open_ioctx(POOL)
            try:
                ioctx.application_enable('rbd')
            finally:
                ioctx.close()
        self._wait_writable(began + START_TIMEOUT)
        self.start_seconds = time.monotonic() - began

    def _run(self, *argv):
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=60)
        if result.returncode:
            raise CephError('%s failed (%d): %s%s' % (
                ' '.join(argv), result.returncode, result.stdout,
                result.stderr))

    def _spawn(self, *argv):
        name = '%s.%s' % (argv[0], argv[3].replace('client.', ''))
        out = open(os.path.join(self.base, 'log', name + '.out'), 'wb')
        try:
            return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent)
        finally:
            out.close()

    @contextlib.contextmanager
    def client(self, timeout=10, **options):
        """A connected rados client, shut down when the block ends. Extra
        ``options`` are librados config settings."""
        import rados
        client = rados.Rados(conffile=self.conf_path, rados_id='admin')
        try:
            for name, value in options.items():
                client.conf_set(name, str(value))
            # Rados.connect() ignores its timeout argument (pacific).
            client.conf_set('client_mount_timeout', str(timeout))
            try:
                client.connect()
            except rados.Error as e:
                raise CephError('cannot reach the test mon: %s\n%s'
                                % (e, self.log_tail()))
            yield client
        finally:
            client.shutdown()

    def _mon_command(self, client, **command):
        command.setdefault('format', 'json')
        ret, out, err = client.mon_command(json.dumps(command), b'')
        if ret:
            raise CephError('mon command %r failed (%d): %s'
                            % (command, ret, err))
        return json.loads(out) if out else None

    def _wait_writable(self, deadline):
        """Until a write to the pool succeeds: the OSD is up and the pool's
        placement groups are active."""
        import rados
        with self.client(timeout=30, rados_osd_op_timeout=3) as client:
            ioctx = client.open_ioctx(POOL)
            try:
                while True:
                    for proc in (self.mon, self.osd):
                        if proc.poll() is not None:
                            raise CephError('%s exited with %d\n%s' % (
                                proc.args[0], proc.returncode,
                                self.log_tail()))
                    try:
                        ioctx.write_full('fixture-ready', b'ok')
                        ioctx.remove_object('fixture-ready')
                        return
                    except (rados.TimedOut, rados.Error):
                        if time.monotonic() > deadline:
                            raise CephError(
                                'pool %s did not become writable within %ds'
                                '\n%s' % (POOL, START_TIMEOUT,
                                          self.log_tail()))
                        time.sleep(0.2)
            finally:
                ioctx.close()

    # -- stop ----------------------------------------------------------------

    def stop(self):
        """OSD first (it saves its memstore and reports to the mon), then
        the mon; then remove the temp folder."""
        for proc in (self.osd, self.mon):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.osd = self.mon = None
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    # -- diagnostics ---------------------------------------------------------

    def log_tail(self, lines=15):
        if not self.base:
            return ''
        out = []
        log_dir = os.path.join(self.base, 'log')
        for name in sorted(os.listdir(log_dir)):
            with open(os.path.join(log_dir, name), errors='replace') as f:
                tail = f.read().splitlines()[-lines:]
            out.append('--- %s\n%s' % (name, '\n'.join(tail)))
        return '\n'.join(out)


class RadosGateway:
    """radosgw (beast frontend) on ``127.0.0.1:port`` with one S3 user."""

    access_key = RGW_ACCESS_KEY
    secret_key = RGW_SECRET_KEY
    region = RGW_REGION

    def __init__(self, ceph):
        self.ceph = ceph
        self.port = None
        self.process = None
        self.start_seconds = None

    @property
    def endpoint(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self):
        began = time.monotonic()
        for tool in ('radosgw', 'radosgw-admin'):
            if shutil.which(tool) is None:
                raise CephError('%s is not installed: run tools/install-ceph'
                                % tool)
        os.makedirs(os.path.join(self.ceph.base, 'rgw'), exist_ok=True)
        self.port, = _free_ports(1)
        self.process = self.ceph._spawn(
            'radosgw', '-f', '-n', RGW_NAME, '-c', self.ceph.conf_path,
            '--rgw-frontends', 'beast endpoint=127.0.0.1:%d' % self.port)
        self._wait_answering(began + START_TIMEOUT)
        # The user is created after radosgw made its pools and zone.
        self.admin('user', 'create', '--uid', 'glance', '--display-name',
                   'glance tests', '--access-key', self.access_key,
                   '--secret-key', self.secret_key)
        self.start_seconds = time.monotonic() - began

    def _wait_answering(self, deadline):
        import requests
        while True:
            if self.process.poll() is not None:
                raise CephError('radosgw exited with %d\n%s' % (
                    self.process.returncode, self.ceph.log_tail()))
            try:
                if requests.get(self.endpoint, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise CephError('radosgw did not answer on %s within %ds\n%s'
                                % (self.endpoint, START_TIMEOUT,
                                   self.ceph.log_tail()))
            time.sleep(0.2)

    def admin(self, *argv):
        """Run radosgw-admin on the cluster; its JSON output, parsed."""
        result = subprocess.run(
            ('radosgw-admin', '-c', self.ceph.conf_path) + argv,
            capture_output=True, text=True, timeout=60)
        if result.returncode:
            raise CephError('radosgw-admin %s failed (%d): %s%s' % (
                ' '.join(argv), result.returncode, result.stdout,
                result.stderr))
        return json.loads(result.stdout) if result.stdout.strip() else None

    def s3_client(self):
        import boto3
        from botocore import config
        return boto3.client(
            's3', endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name=self.region,
            config=config.Config(s3={'addressing_style': 'path'}))

    def set_bucket_quota(self, bucket, max_bytes):
        self.admin('quota', 'set', '--quota-scope', 'bucket', '--bucket',
                   bucket, '--max-size', str(max_bytes))
        self.admin('quota', 'enable', '--quota-scope', 'bucket', '--bucket',
                   bucket)

    def part_objects(self, bucket):
        """RADOS objects holding multipart parts of ``bucket``, after the
        garbage collector ran on everything deleted so far."""
        self.admin('gc', 'process', '--include-all')
        try:
            marker = self.admin('bucket', 'stats', '--bucket',
                                bucket)['marker']
        except CephError:
            return []       # no such bucket
        with self.ceph.client() as client:
            ioctx = client.open_ioctx(RGW_DATA_POOL)
            try:
                return sorted(o.key for o in ioctx.list_objects()
                              if o.key.startswith(marker + '__multipart_')
                              or o.key.startswith(marker + '__shadow_'))
            finally:
                ioctx.close()

    def remove_parts(self, bucket):
        """Nothing to do: radosgw removes the parts with the bucket."""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
