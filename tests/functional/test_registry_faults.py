"""A registry whose database becomes unreachable answers 503 and recovers;
a stopped registry makes glance-api answer 503 without naming it.

The registry reaches its own MariaDB database (created for the test)
through a TCP relay this test runs; stopping the relay cuts every
connection and refuses new ones, as a database host that goes away would,
without touching the shared MariaDB server.
"""

import json
import socket
import threading
import uuid

import fixtures
import pymysql
import testtools

from tests.functional import daemons


class TcpRelay:
    """Forward 127.0.0.1:port to a target; stop() drops everything."""

    def __init__(self, target, port=None):
        self.target = target
        self.port = port or daemons.free_port()
        self.sockets = []
        self.listener = None

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', self.port))
        self.listener.listen(64)
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, args=(self.listener,),
                         daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets = []


def _mysql(sql):
    conn = pymysql.connect(host='127.0.0.1', port=3306, user='root',
                           password='', ssl_disabled=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.commit()
    finally:
        conn.close()


class DatabaseUnreachableTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.db_name = 'glance_fault_%s' % uuid.uuid4().hex[:12]
        _mysql('CREATE DATABASE %s' % self.db_name)
        self.addCleanup(_mysql, 'DROP DATABASE IF EXISTS %s' % self.db_name)
        self.relay = TcpRelay(('127.0.0.1', 3306))
        self.relay.start()
        self.addCleanup(self.relay.stop)
        connection = ('mysql+pymysql://root@127.0.0.1:%d/%s?charset=utf8mb4'
                      % (self.relay.port, self.db_name))
        self.registry = self.useFixture(daemons.Registry(
            connection=connection))

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        status, _, raw = daemons.http(method, self.registry.url + path, data,
                                      {'Content-Type': 'application/json'})
        return status, json.loads(raw) if raw else None

    def test_unreachable_database_is_503_and_registry_recovers(self):
        status, body = self.call('POST', '/images',
                                 {'image': {'name': 'before'}})
        self.assertEqual(200, status, body)
        image_id = body['image']['id']

        self.relay.stop()
        for path in ('/images/%s' % image_id, '/images/detail'):
            status, body = self.call('GET', path)
            self.assertEqual(503, status, body)
            self.assertEqual('database_unavailable', body['error']['code'])
            self.assertIn('database', body['error']['message'])
            self.assertNotIn('Traceback', json.dumps(body))
        status, body = self.call(
            'POST', '/rpc', [{'command': 'image_get',
                              'kwargs': {'image_id': image_id}}])
        self.assertEqual(503, status, body)
        self.assertEqual('database_unavailable', body['error']['code'])
        self.assertIsNone(self.registry.process.poll())

        self.relay.start()
        status, body = self.call('GET', '/images/%s' % image_id)
        self.assertEqual(200, status, body)
        self.assertEqual('before', body['image']['name'])
        self.assertNotIn('Traceback', self.registry.log_text(tail=100000))


class RegistryStoppedTestCase(testtools.TestCase):
    """glance-api with its registry stopped: 503 in the API's error form,
    naming neither the registry's address nor its port."""

    def setUp(self):
        super().setUp()
        root = self.useFixture(fixtures.TempDir()).path
        self.registry = self.useFixture(daemons.Registry(root=root))
        self.api = self.useFixture(daemons.Api(
            self.registry, root=root,
            overrides={'DEFAULT': {'registry_client_retries': 1}}))

    def test_stopped_registry_is_503_without_its_address(self):
        self.registry.stop()
        for path in ('/v2/images', '/v1/images', '/v2/images/%s'
                     % uuid.uuid4()):
            status, _, raw = daemons.http(
                'GET', self.api.url + path,
                headers={'Accept': 'application/json'})
            self.assertEqual(503, status, raw)
            body = json.loads(raw)
            self.assertIn('registry is unavailable', body['message'])
            for secret in (str(self.registry.port), '127.0.0.1', '/rpc',
                           'http:', 'Traceback'):
                self.assertNotIn(secret, raw.decode(), path)
        # The address is in glance-api's log, for the operator.
        self.assertIn('127.0.0.1:%d' % self.registry.port,
                      self.api.log_text(tail=10 ** 6))

        self.registry.start()
        status, _, raw = daemons.http('GET', self.api.url + '/v2/images')
        self.assertEqual(200, status, raw)
