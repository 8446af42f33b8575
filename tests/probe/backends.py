"""Private MariaDB and RabbitMQ servers for probe tests that kill them.

The shared services (MariaDB on 3306, RabbitMQ on 5672) are never stopped:
each fixture here starts a server of its own, in the test's folder, on free
ports, as a child process in a session of its own, and kills it at cleanup.
A server can be killed (SIGKILL), hung (SIGSTOP) and started again on the
same ports and data, so the registry and glance-api find it where they
left it.
"""

import os
import signal
import socket
import subprocess
import time

import fixtures

from tests.functional import daemons

START_TIMEOUT = 90
RABBITMQ_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server'


def wait_for_port(port, process, what, log, timeout=START_TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError('%s exited with %s: %s' % (
                what, process.returncode, tail(log)))
        try:
            with socket.create_connection(('127.0.0.1', port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('%s did not listen on %d in %d s: %s' % (
        what, port, timeout, tail(log)))


def tail(path, size=3000):
    if not os.path.exists(path):
        return '(no log)'
    with open(path, errors='replace') as f:
        return f.read()[-size:]


class Server(fixtures.Fixture):
    """A server process in a session of its own, killed at cleanup."""

    name = None

    def __init__(self, root):
        super().__init__()
        self.root = os.path.join(root, self.name)
        self.port = daemons.free_port()
        self.process = None
        self.paused = False

    def _setUp(self):
        os.makedirs(self.root, exist_ok=True)
        self.prepare()
        self.start()
        self.addCleanup(self.kill)

    def prepare(self):
        """Make the server's data folder (once per test)."""

    def command(self):
        raise NotImplementedError

    def environment(self):
        return None

    @property
    def log(self):
        return os.path.join(self.root, 'out.log')

    def start(self):
        with open(self.log, 'ab') as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT,
                env=self.environment(), start_new_session=True)
        wait_for_port(self.port, self.process, self.name, self.log)

    def kill(self):
        """SIGKILL the server's whole process group and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)
        self.paused = False

    def pause(self):
        """SIGSTOP the server: it keeps its connections and answers
        nothing."""
        os.killpg(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.paused and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)
        self.paused = False


class MariaDB(Server):
    """mariadbd on a data folder made by mariadb-install-db, root without a
    password over TCP, with a database ``glance``."""

    name = 'mariadb'

    def prepare(self):
        self.datadir = os.path.join(self.root, 'data')
        subprocess.run(['mariadb-install-db', '--no-defaults',
                        '--datadir=%s' % self.datadir, '--user=root',
                        '--auth-root-authentication-method=normal',
                        '--skip-test-db'],
                       check=True, capture_output=True)

    def command(self):
        return ['mariadbd', '--no-defaults', '--datadir=%s' % self.datadir,
                '--port=%d' % self.port, '--bind-address=127.0.0.1',
                '--socket=%s' % os.path.join(self.root, 'mysqld.sock'),
                '--pid-file=%s' % os.path.join(self.root, 'mysqld.pid'),
                '--log-error=%s' % self.log, '--user=root',
                '--skip-log-bin', '--skip-name-resolve',
                '--innodb-buffer-pool-size=16M']

    def _setUp(self):
        super()._setUp()
        with self.connect(database=None) as db:
            db.cursor().execute('CREATE DATABASE glance '
                                'CHARACTER SET utf8mb4')

    def connection_url(self, timeout=5):
        """The registry's [database] connection: short socket timeouts so
        a hung server costs seconds, not minutes."""
        return ('mysql+pymysql://root@127.0.0.1:%d/glance?charset=utf8mb4'
                '&connect_timeout=%d&read_timeout=%d&write_timeout=%d'
                % (self.port, timeout, timeout, timeout))

    def connect(self, database='glance'):
        import pymysql
        return pymysql.connect(host='127.0.0.1', port=self.port, user='root',
                               database=database, connect_timeout=10,
                               read_timeout=30, autocommit=True)


class RabbitMQ(Server):
    """A RabbitMQ node of its own (name, AMQP and distribution ports,
    mnesia and log folders, Erlang cookie), no plugins; guest may log in
    from loopback as on any default node."""

    name = 'rabbitmq'

    def __init__(self, root):
        super().__init__(root)
        self.dist_port = daemons.free_port()
        self.node = 'probe-%d@localhost' % self.port

    def prepare(self):
        for sub in ('mnesia', 'log', 'home'):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        with open(os.path.join(self.root, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')

    def environment(self):
        env = dict(os.environ)
        env.update({
            'HOME': os.path.join(self.root, 'home'),
            'RABBITMQ_NODENAME': self.node,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'RABBITMQ_MNESIA_BASE': os.path.join(self.root, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.root, 'log'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(
                self.root, 'enabled_plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(self.root, 'rabbitmq'),
        })
        return env

    def command(self):
        return [RABBITMQ_BIN]

    @property
    def url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port
