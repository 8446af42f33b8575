"""Base class for functional tests: one real registry and api per class."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import testtools

from tests.functional import daemons


class ServerTestCase(testtools.TestCase):
    """Starts glance-registry (and glance-api unless ``start_api`` is False)
    once per test class, in one folder laid out like an RDO controller.

    Subclasses tune ``registry_overrides`` / ``api_overrides`` (section ->
    {option: value}).
    """

    start_api = True
    registry_overrides = {}
    api_overrides = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp(prefix='glance-functional-')
        cls._fixtures = []
        try:
            cls.registry = cls._start(daemons.Registry(
                root=cls.root, overrides=cls.registry_config()))
            if cls.start_api:
                cls.api = cls._start(daemons.Api(
                    cls.registry, root=cls.root,
                    overrides=cls.api_config()))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def registry_config(cls):
        return {s: dict(v) for s, v in cls.registry_overrides.items()}

    @classmethod
    def api_config(cls):
        return {s: dict(v) for s, v in cls.api_overrides.items()}

    @classmethod
    def _start(cls, fixture):
        fixture.setUp()
        cls._fixtures.append(fixture)
        return fixture

    @classmethod
    def tearDownClass(cls):
        for fixture in reversed(getattr(cls, '_fixtures', [])):
            try:
                fixture.cleanUp()
            except Exception:
                pass
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def request(self, method, path, body=None, headers=None, server=None,
                timeout=60):
        """HTTP call to the api (or ``server``); returns (status, headers,
        body bytes). A dict/list body is sent as JSON."""
        server = server or self.api
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault('Content-Type', 'application/json')
        return daemons.http(method, server.url + path, body, headers,
                            timeout=timeout)

    def run_cli(self, cmd, expect=0, env=None):
        """Run a real CLI in the class's folder with the caller's ``OS_*``
        variables removed (plus ``env``); assert its exit status and return
        the completed process."""
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith('OS_')}
        full_env.update(env or {})
        result = subprocess.run(cmd, capture_output=True, text=True,
                                env=full_env, timeout=120, cwd=self.root)
        self.assertEqual(expect, result.returncode,
                         '%s\nstdout: %s\nstderr: %s' % (
                             ' '.join(cmd), result.stdout, result.stderr))
        return result

    def request_json(self, method, path, body=None, headers=None, **kw):
        status, resp_headers, data = self.request(method, path, body,
                                                  headers, **kw)
        return status, resp_headers, json.loads(data) if data else None


RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'


class RegistryOverMessagingMixin:
    """Mix in before a ServerTestCase: glance-api reaches the registry over
    RabbitMQ (``registry_transport = messaging``) on a topic of this class
    only, so classes running in parallel never answer each other's calls.
    RabbitMQ must be running (tools/run-tests starts it): no skip."""

    transport_url = RABBIT_URL

    @classmethod
    def setUpClass(cls):
        import uuid
        cls.registry_topic = 'glance_registry_test_%s' % uuid.uuid4().hex
        super().setUpClass()
        # A call published before the registry consumes its topic is lost.
        deadline = time.time() + 30
        while 'Serving the registry contract' not in cls.registry.log_text(
                tail=10 ** 6):
            if time.time() > deadline:
                cls.tearDownClass()
                raise RuntimeError('registry never served topic %s: %s' % (
                    cls.registry_topic, cls.registry.log_text()))
            time.sleep(0.1)

    @classmethod
    def _messaging(cls):
        return {'transport_url': cls.transport_url,
                'registry_topic': cls.registry_topic}

    @classmethod
    def registry_config(cls):
        config = super().registry_config()
        config.setdefault('DEFAULT', {}).update(cls._messaging())
        return config

    @classmethod
    def api_config(cls):
        config = super().api_config()
        values = config.setdefault('DEFAULT', {})
        values.update(cls._messaging())
        values['registry_transport'] = 'messaging'
        return config
