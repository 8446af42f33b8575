"""The registry client's HTTP transport against a small real HTTP server.

The server here answers ``POST /rpc`` with what each test scripts, so the
client's own behaviour (headers, keep-alive, retries of reads only,
timeouts, error classes) is observed on the wire.
"""

import http.server
import json
import socket
import threading
import time

from oslo_config import cfg
import testtools

from glance_registry import client
from glance_registry.common import context
from glance_registry.common import exception
from glance_registry import contract


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers['Content-Length']))
        server.requests.append({'headers': dict(self.headers),
                                'body': json.loads(body),
                                'peer': self.client_address})
        action = server.script.pop(0) if server.script else ('ok', None)
        kind, value = action
        if kind == 'drop':
            # Close without answering: the client sees the connection die.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == 'sleep':
            time.sleep(value)
            kind, value = 'ok', None
        if kind == 'ok':
            status, payload = 200, json.dumps([value]).encode()
        elif kind == 'error':
            status, payload = value.http_status, json.dumps(
                {'error': value.to_wire()}).encode()
        else:
            status, payload = value, b'<html>bad gateway</html>'
        try:
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            # The client gave up (timeout test) and closed the connection.
            self.close_connection = True


class ClientTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      _Handler)
        self.server.daemon_threads = True
        self.server.requests = []
        self.server.script = []
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.context = context.RequestContext(
            auth_token='tok', user_id='u1', project_id='p1',
            roles=['member', 'reader'])

    def make_client(self, **overrides):
        conf = cfg.ConfigOpts()
        conf([], project='glance')
        conf.register_opts(client.client_opts)
        values = {'registry_host': '127.0.0.1',
                  'registry_port': self.server.server_address[1],
                  'registry_client_timeout': 5}
        values.update(overrides)
        for name, value in values.items():
            conf.set_override(name, value)
        registry = client.RegistryClient(conf)
        self.addCleanup(registry.close)
        return registry

    def test_every_contract_operation_is_a_client_method(self):
        for name in contract.OPERATIONS:
            self.assertTrue(callable(getattr(client.RegistryClient, name)),
                            name)

    def test_unknown_operation_is_attribute_error_and_sends_nothing(self):
        registry = self.make_client()
        self.assertRaises(AttributeError, getattr, registry, 'image_frob')
        self.assertRaises(exception.UnknownCommand, registry.call,
                          self.context, 'image_frob')
        self.assertEqual([], self.server.requests)

    def test_positional_arguments_are_refused_before_any_call(self):
        registry = self.make_client()
        self.assertRaises(TypeError, registry.image_get, self.context, 'x')
        self.assertEqual([], self.server.requests)

    def test_misspelt_argument_is_refused_before_anything_is_sent(self):
        registry = self.make_client()
        error = self.assertRaises(TypeError, registry.image_get,
                                  self.context, image_id='abc',
                                  force_show_delete=True)
        self.assertIn('unexpected argument(s) force_show_delete', str(error))
        self.assertIn('image_get(image_id, [force_show_deleted])',
                      str(error))
        self.assertEqual([], self.server.requests)

    def test_missing_argument_is_refused_before_anything_is_sent(self):
        registry = self.make_client()
        error = self.assertRaises(TypeError, registry.image_update,
                                  self.context, image_id='abc')
        self.assertIn('missing argument(s) values', str(error))
        self.assertRaises(TypeError, registry.call, self.context,
                          'image_get', imageid='abc')
        self.assertEqual([], self.server.requests)

    def test_optional_arguments_may_be_left_out_or_given(self):
        registry = self.make_client()
        registry.image_get(self.context, image_id='abc')
        registry.image_get(self.context, image_id='abc',
                           force_show_deleted=True)
        self.assertEqual(2, len(self.server.requests))

    def test_call_sends_one_command_and_the_identity_headers(self):
        self.server.script = [('ok', {'id': 'abc'})]
        registry = self.make_client()
        self.assertEqual({'id': 'abc'},
                         registry.image_get(self.context, image_id='abc'))
        request = self.server.requests[0]
        self.assertEqual([{'command': 'image_get',
                           'kwargs': {'image_id': 'abc'}}], request['body'])
        headers = request['headers']
        self.assertEqual('tok', headers['X-Auth-Token'])
        self.assertEqual('u1', headers['X-User-Id'])
        self.assertEqual('p1', headers['X-Project-Id'])
        self.assertEqual('member,reader', headers['X-Roles'])
        self.assertEqual('Confirmed', headers['X-Identity-Status'])
        self.assertEqual('application/json', headers['Content-Type'])

    def test_admin_context_is_sent_with_the_admin_role(self):
        registry = self.make_client()
        registry.image_get_all(context.get_admin_context())
        self.assertEqual('admin',
                         self.server.requests[0]['headers']['X-Roles'])

    def test_sequential_calls_reuse_one_keepalive_connection(self):
        registry = self.make_client()
        for _ in range(5):
            registry.image_get(self.context, image_id='abc')
        peers = {r['peer'] for r in self.server.requests}
        self.assertEqual(5, len(self.server.requests))
        self.assertEqual(1, len(peers))

    def test_error_answer_raises_the_same_exception_class(self):
        self.server.script = [
            ('error', exception.ImageNotFound(image_id='abc'))]
        registry = self.make_client()
        error = self.assertRaises(exception.ImageNotFound,
                                  registry.image_get, self.context,
                                  image_id='abc')
        self.assertEqual(404, error.http_status)
        self.assertIn('abc', str(error))

    def test_conflict_answer_raises_invalid_status_transition(self):
        self.server.script = [('error', exception.InvalidStatusTransition(
            image_id='i', actual='active', expected='queued',
            new='saving'))]
        registry = self.make_client()
        self.assertRaises(exception.InvalidStatusTransition,
                          registry.image_update, self.context, image_id='i',
                          values={'status': 'saving'}, from_state='queued')

    def test_connection_refused_is_registry_unavailable_naming_no_address(
            self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        registry = self.make_client(registry_port=port,
                                    registry_client_retries=1)
        error = self.assertRaises(exception.RegistryUnavailable,
                                  registry.image_get, self.context,
                                  image_id='abc')
        self.assertEqual(503, error.http_status)
        for address in ('127.0.0.1', str(port), '/rpc'):
            self.assertNotIn(address, str(error))

    def test_read_is_retried_after_a_dropped_connection(self):
        self.server.script = [('drop', None), ('ok', {'id': 'abc'})]
        registry = self.make_client(registry_client_retries=2)
        self.assertEqual({'id': 'abc'},
                         registry.image_get(self.context, image_id='abc'))
        self.assertEqual(2, len(self.server.requests))

    def test_write_is_never_retried(self):
        self.server.script = [('drop', None), ('ok', {'id': 'abc'})]
        registry = self.make_client(registry_client_retries=2)
        self.assertRaises(exception.RegistryUnavailable,
                          registry.image_create, self.context,
                          values={'name': 'x'})
        self.assertEqual(1, len(self.server.requests))

    def test_retries_are_bounded(self):
        self.server.script = [('drop', None)] * 5
        registry = self.make_client(registry_client_retries=2)
        self.assertRaises(exception.RegistryUnavailable,
                          registry.image_get, self.context, image_id='abc')
        self.assertEqual(3, len(self.server.requests))

    def test_slow_registry_times_out_as_registry_unavailable(self):
        self.server.script = [('sleep', 3)]
        registry = self.make_client(registry_client_timeout=1,
                                    registry_client_retries=0)
        error = self.assertRaises(exception.RegistryUnavailable,
                                  registry.image_get, self.context,
                                  image_id='abc')
        self.assertIn('within 1 s', str(error))

    def test_slow_registry_is_a_no_answer_the_write_may_have_applied(self):
        self.server.script = [('sleep', 3)]
        registry = self.make_client(registry_client_timeout=1)
        self.assertRaises(exception.RegistryNoAnswer, registry.image_update,
                          self.context, image_id='abc',
                          values={'status': 'active'}, from_state='saving')

    def test_refused_connection_is_no_no_answer(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        registry = self.make_client(registry_port=port)
        error = self.assertRaises(exception.RegistryUnavailable,
                                  registry.image_update, self.context,
                                  image_id='abc', values={'name': 'x'})
        self.assertNotIsInstance(error, exception.RegistryNoAnswer)

    def test_connection_dropped_after_the_call_is_a_no_answer(self):
        self.server.script = [('drop', None)]
        registry = self.make_client()
        self.assertRaises(exception.RegistryNoAnswer, registry.image_create,
                          self.context, values={'name': 'x'})

    def test_slow_registry_is_not_asked_again(self):
        # A hung registry costs one timeout, not one per retry.
        self.server.script = [('sleep', 2)] * 3
        registry = self.make_client(registry_client_timeout=1,
                                    registry_client_retries=2)
        self.assertRaises(exception.RegistryUnavailable,
                          registry.image_get, self.context, image_id='abc')
        self.assertEqual(1, len(self.server.requests))

    def test_bad_gateway_without_json_is_registry_unavailable(self):
        self.server.script = [('status', 502)]
        registry = self.make_client(registry_client_retries=0)
        self.assertRaises(exception.RegistryUnavailable,
                          registry.image_get, self.context, image_id='abc')

    def test_registry_host_0000_connects_to_loopback(self):
        registry = self.make_client(registry_host='0.0.0.0')
        self.assertEqual('127.0.0.1', registry.transport.host)
        registry.image_get_all(self.context)
        self.assertEqual(1, len(self.server.requests))

    def test_default_options_match_kilo(self):
        conf = cfg.ConfigOpts()
        conf([], project='glance')
        conf.register_opts(client.client_opts)
        self.assertEqual('0.0.0.0', conf.registry_host)
        self.assertEqual(9191, conf.registry_port)
        self.assertEqual('http', conf.registry_client_protocol)
        # Kilo waited 600 s for a hung registry; 30 s answers 503 sooner.
        self.assertEqual(30, conf.registry_client_timeout)
        self.assertEqual(5, conf.registry_client_connect_timeout)
        self.assertEqual('http', conf.registry_transport)

    def test_client_module_does_not_load_the_database_layer(self):
        import subprocess
        import sys
        code = ('import sys; import glance_registry.client; '
                'print(sorted(m for m in sys.modules if m.startswith('
                '("glance_registry.db", "sqlalchemy", "oslo_db", '
                '"oslo_messaging"))))')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual('[]', out.strip())
