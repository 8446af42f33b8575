"""The registry contract over oslo.messaging with RabbitMQ.

Two real glance-registry processes share one SQLite database file and one
topic (on an exchange unique to the test run); a RegistryClient with
``registry_transport = messaging`` calls them. RabbitMQ hands the calls to
both, and errors come back as the same exception classes as over HTTP.
"""

import os
import socket
import time
import uuid

import fixtures
from oslo_config import cfg
import testtools

from glance_registry import client
from glance_registry.common import context
from glance_registry.common import exception
from glance_registry import messaging
from tests.functional import daemons

RABBIT_URL = os.environ.get('GLANCE_TEST_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
# RabbitMQ queues are named by topic whatever the exchange, so each run uses
# topics of its own (control_exchange alone would not keep other registries
# out), and deletes their queues when done.


def topic_queues(topic, registries):
    """The queues the registries declared: the topic's and their own."""
    names = {topic}
    for registry in registries:
        if not os.path.exists(registry.log_file):
            continue
        with open(registry.log_file, errors='replace') as f:
            for line in f:
                if 'Serving the registry contract' in line:
                    names.add('%s.%s' % (topic, line.rsplit(' as ', 1)[1]
                                         .strip()))
    return names


def delete_queues(names):
    """Delete queues once their consumers stopped."""
    import kombu
    url = RABBIT_URL.replace('rabbit://', 'amqp://', 1)
    try:
        with kombu.Connection(url, connect_timeout=5) as conn:
            channel = conn.channel()
            for name in names:
                try:
                    channel.queue_delete(name)
                except Exception:
                    channel = conn.channel()
    except Exception:
        pass


def wait_for_rpc_servers(registry, count=1, timeout=30):
    """Wait until ``count`` processes of ``registry`` consume the topic: a
    call published before any consumer declared the queue is lost."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(registry.log_file):
            with open(registry.log_file, errors='replace') as f:
                started = sum(1 for line in f
                              if 'Serving the registry contract' in line)
            if started >= count:
                return
        time.sleep(0.1)
    raise AssertionError('%d RPC servers not started in %ss: %s'
                         % (count, timeout, registry.log_text()))


def rabbit_up():
    try:
        with socket.create_connection(('127.0.0.1', 5672), 1):
            return True
    except OSError:
        return False


class MessagingTestCase(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not rabbit_up():
            raise RuntimeError('RabbitMQ not reachable on 127.0.0.1:5672 '
                               '(tools/run-tests starts it)')
        cls.exchange = 'glance-test-%s' % uuid.uuid4().hex[:8]
        cls.topic = 'glance_registry_%s' % uuid.uuid4().hex[:8]
        cls.tmp = fixtures.TempDir()
        cls.tmp.setUp()
        database = 'sqlite:///%s' % os.path.join(cls.tmp.path,
                                                 'glance.sqlite')
        overrides = {'DEFAULT': {'transport_url': RABBIT_URL,
                                 'control_exchange': cls.exchange,
                                 'registry_topic': cls.topic}}
        cls.registries = []
        try:
            for _ in range(2):
                registry = daemons.Registry(connection=database,
                                            overrides=overrides)
                registry.setUp()
                cls.registries.append(registry)
                wait_for_rpc_servers(registry)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        registries = getattr(cls, 'registries', [])
        queues = topic_queues(cls.topic, registries) if registries else []
        for registry in registries:
            registry.cleanUp()
        delete_queues(queues)
        if getattr(cls, 'tmp', None):
            cls.tmp.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        # oslo.messaging needs the global CONF (see PLATFORM.md).
        conf = cfg.CONF
        messaging.register_transport_opts(conf)
        overrides = {'registry_transport': 'messaging',
                     'transport_url': RABBIT_URL,
                     'control_exchange': self.exchange,
                     'registry_topic': self.topic,
                     'registry_client_timeout': 30}
        for name, value in overrides.items():
            conf.set_override(name, value)
            self.addCleanup(conf.clear_override, name)
        self.client = client.RegistryClient()
        self.addCleanup(self.client.close)
        self.context = context.RequestContext(
            user_id='user-a', project_id='project-a', roles=['member'])

    def served_by(self, registry):
        with open(registry.log_file, errors='replace') as f:
            return sum(1 for line in f if 'served by' in line)

    def test_calls_are_shared_by_both_registries(self):
        before = [self.served_by(r) for r in self.registries]
        image = self.client.image_create(
            self.context, values={'name': 'rpc', 'owner': 'project-a',
                                  'properties': {'k': 'v'}})
        for _ in range(20):
            fetched = self.client.image_get(self.context,
                                            image_id=image['id'])
            self.assertEqual({'k': 'v'}, fetched['properties'])
        served = [self.served_by(r) - b
                  for r, b in zip(self.registries, before)]
        self.assertEqual(21, sum(served))
        for count in served:
            self.assertGreater(count, 0, served)

    def test_errors_come_back_as_the_same_classes(self):
        self.assertRaises(exception.ImageNotFound, self.client.image_get,
                          self.context, image_id=str(uuid.uuid4()))
        image = self.client.image_create(self.context,
                                         values={'owner': 'project-a'})
        self.assertRaises(exception.Duplicate, self.client.image_create,
                          self.context, values={'id': image['id']})
        self.assertRaises(exception.InvalidStatusTransition,
                          self.client.image_update, self.context,
                          image_id=image['id'], values={'status': 'active'},
                          from_state='saving')
        self.assertRaises(exception.InvalidSortKey,
                          self.client.image_get_all, self.context,
                          sort_key=['bogus'])
        self.assertRaises(exception.InvalidParameterValue,
                          self.client.image_get_all, self.context,
                          limit='ten')

    def test_visibility_follows_the_context_sent(self):
        image = self.client.image_create(
            self.context, values={'owner': 'project-a',
                                  'visibility': 'private'})
        other = context.RequestContext(project_id='project-b', roles=[])
        self.assertRaises(exception.ImageNotFound, self.client.image_get,
                          other, image_id=image['id'])
        self.assertEqual(image['id'], self.client.image_get(
            self.context, image_id=image['id'])['id'])

    def test_no_server_on_topic_is_registry_unavailable(self):
        cfg.CONF.set_override('registry_topic', 'nobody_%s'
                              % uuid.uuid4().hex[:8])
        cfg.CONF.set_override('registry_client_timeout', 2)
        cfg.CONF.set_override('registry_client_retries', 0)
        self.addCleanup(cfg.CONF.clear_override, 'registry_client_retries')
        lonely = client.RegistryClient()
        self.addCleanup(lonely.close)
        error = self.assertRaises(exception.RegistryUnavailable,
                                  lonely.image_get, self.context,
                                  image_id='x')
        self.assertEqual(503, error.http_status)


class WorkersMessagingTestCase(testtools.TestCase):
    """With workers = 2 each forked worker consumes the topic itself."""

    def setUp(self):
        super().setUp()
        self.assertTrue(rabbit_up(), 'RabbitMQ not reachable')
        topic = 'glance_registry_%s' % uuid.uuid4().hex[:8]
        self.registry = self.useFixture(daemons.Registry(overrides={
            'DEFAULT': {'transport_url': RABBIT_URL, 'workers': 2,
                        'registry_topic': topic}}))
        wait_for_rpc_servers(self.registry, count=2)
        queues = topic_queues(topic, [self.registry])
        # Cleanups run last-in first-out: the registry stops, then its
        # queues go.
        self.addCleanup(delete_queues, queues)
        self.addCleanup(self.registry.stop)
        conf = cfg.CONF
        messaging.register_transport_opts(conf)
        for name, value in {'registry_transport': 'messaging',
                            'transport_url': RABBIT_URL,
                            'registry_topic': topic,
                            'registry_client_timeout': 30}.items():
            conf.set_override(name, value)
            self.addCleanup(conf.clear_override, name)
        self.client = client.RegistryClient()
        self.addCleanup(self.client.close)

    def test_each_worker_serves_calls(self):
        ctx = context.RequestContext(project_id='project-a',
                                     roles=['member'])
        image = self.client.image_create(ctx, values={'owner': 'project-a'})
        for _ in range(20):
            self.client.image_get(ctx, image_id=image['id'])
        with open(self.registry.log_file, errors='replace') as f:
            servers = {line.rsplit('served by ', 1)[1].strip()
                       for line in f if 'served by' in line}
        self.assertEqual(2, len(servers), servers)
