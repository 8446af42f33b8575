"""The URL filter against real glance-registry/glance-api daemons and real
local HTTP servers: every path that makes glance-api fetch a URL (v2 POST
/locations, v2 PATCH of /locations, v1 x-image-meta-location, v1
x-glance-api-copy-from, downloads) refuses internal hosts with one 400
"refused by policy", never reaches them (the servers' request logs prove
it), and tells nothing about open or closed ports.

The http store's side of it (the hook called before every connection,
redirect hops included, and the connection going to the checked address)
is tested on the driver with real servers too.
"""

import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import fixtures
import testtools

from glance_store._drivers import http as http_driver
from glance_store import exceptions as store_exceptions
from tests.functional import base
from tests.functional import daemons
from tests.unit.store import helpers

# An administrator with the roles Keystone's implied roles give one
# (add_image_location asks for the owning project's member role).
ADMIN = {'X-Project-Id': 'admin-project', 'X-User-Id': 'admin-user',
         'X-Roles': 'admin,member,reader'}
PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
FORMATS = {'x-image-meta-disk_format': 'raw',
           'x-image-meta-container_format': 'bare'}
DATA = b'image data behind an http location' * 300
# Upstream's wording, which clients (Tempest) look for.
REFUSED = 'does not pass filtering (refused by policy)'
# A second loopback address: the "other host" a redirect points to.
ELSEWHERE_HOST = '127.0.0.2'


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (HEAD and GET), ``/status/<code>``, and
    ``/redirect?to=<url>`` (302); records every request it gets."""

    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.answer(head=True)

    def do_GET(self):
        self.answer(head=False)

    def answer(self, head):
        self.close_connection = True
        self.server.requests.append((self.command, self.path,
                                     self.headers.get('Host')))
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == '/redirect':
            target = urllib.parse.parse_qs(parts.query)['to'][0]
            return self.send_empty(302, {'Location': target})
        if parts.path.startswith('/status/'):
            return self.send_empty(int(parts.path.split('/')[2]))
        data = self.server.files.get(parts.path)
        if data is None:
            return self.send_empty(404)
        self.send_response(200)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def send_empty(self, status, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', '0')
        self.end_headers()


class RecordingServer:
    """A real HTTP(S) server on ``host`` and a free port, in a thread."""

    def __init__(self, host='127.0.0.1', ssl_context=None):
        self.server = http.server.ThreadingHTTPServer((host, 0),
                                                      RecordingHandler)
        self.server.daemon_threads = True
        self.server.files = {}
        self.server.requests = []
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(
                self.server.socket, server_side=True)
        self.host = host
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={'poll_interval': 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def requests(self):
        return list(self.server.requests)

    def url(self, path):
        return 'http://%s:%d%s' % (self.host, self.port, path)

    def put(self, name, data=DATA):
        self.server.files['/files/' + name] = data
        return self.url('/files/' + name)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class FetchMixin:
    """The four ways to make glance-api fetch a URL, each answering
    (status, message, image id or None)."""

    def queued(self):
        status, _, image = self.request_json(
            'POST', '/v2/images', {'name': 'by-url', 'disk_format': 'raw',
                                   'container_format': 'bare'}, ADMIN)
        self.assertEqual(201, status, image)
        return image['id']

    def v2_post_location(self, url):
        image_id = self.queued()
        status, _, body = self.request_json(
            'POST', '/v2/images/%s/locations' % image_id, {'url': url},
            ADMIN)
        return status, message(body), image_id

    def v2_patch_location(self, url):
        image_id = self.queued()
        change = [{'op': 'add', 'path': '/locations/-',
                   'value': {'url': url, 'metadata': {}}}]
        status, _, body = self.request_json(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(change).encode(), dict(PATCH, **ADMIN))
        return status, message(body), image_id

    def v1_location(self, url):
        status, _, body = self.request_json(
            'POST', '/v1/images', None,
            dict(FORMATS, **ADMIN, **{'x-image-meta-location': url}))
        return status, message(body), (body or {}).get('image', {}).get('id')

    def v1_copy_from(self, url):
        status, _, body = self.request_json(
            'POST', '/v1/images', None,
            dict(FORMATS, **ADMIN, **{'x-glance-api-copy-from': url}))
        return status, message(body), (body or {}).get('image', {}).get('id')

    def fetch_paths(self):
        return (('v2 POST /locations', self.v2_post_location),
                ('v2 PATCH /locations', self.v2_patch_location),
                ('v1 x-image-meta-location', self.v1_location),
                ('v1 x-glance-api-copy-from', self.v1_copy_from))

    def image(self, image_id):
        status, _, image = self.request_json('GET', '/v2/images/' + image_id,
                                             headers=ADMIN)
        self.assertEqual(200, status, image)
        return image

    def assertRefused(self, status, text, what):
        self.assertEqual(400, status, '%s: %s' % (what, text))
        self.assertIn(REFUSED, text, what)


def message(body):
    return (body or {}).get('message', '') if isinstance(body, dict) else ''


class DefaultFilterTestCase(FetchMixin, base.ServerTestCase):
    """The default [import_filtering_opts]: a server on loopback is never
    reached, whatever the port and however the host is spelled."""

    api_overrides = {'DEFAULT': {'show_multiple_locations': True}}

    @classmethod
    def setUpClass(cls):
        cls.inside = RecordingServer()
        cls.closed = closed_port()
        try:
            super().setUpClass()
        except Exception:
            cls.inside.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.inside.stop()

    def internal_urls(self):
        open_url = self.inside.put('secret')
        return [open_url,
                'http://127.0.0.1:%d/files/secret' % self.closed,
                'http://localhost:%d/files/secret' % self.inside.port,
                'http://127.0.0.1/files/secret',
                'http://169.254.169.254/latest/meta-data/',
                'http://10.1.2.3/image.img',
                'https://10.1.2.3:8443/image.img',
                'http://[::1]:%d/files/secret' % self.inside.port]

    def test_every_fetch_path_refuses_internal_hosts_on_any_port(self):
        for what, fetch in self.fetch_paths():
            for url in self.internal_urls():
                status, text, image_id = fetch(url)
                self.assertRefused(status, text, '%s %s' % (what, url))
                if image_id is not None:
                    self.assertNotEqual('active',
                                        self.image(image_id)['status'])
        self.assertEqual([], self.inside.requests)

    def test_refusal_of_an_open_and_a_closed_port_reads_the_same(self):
        open_url = self.inside.put('probe')
        closed_url = 'http://127.0.0.1:%d/files/probe' % self.closed
        for what, fetch in self.fetch_paths():
            open_status, open_text, _ = fetch(open_url)
            closed_status, closed_text, _ = fetch(closed_url)
            self.assertEqual(closed_status, open_status, what)
            self.assertEqual(closed_text.replace(closed_url, 'URL'),
                             open_text.replace(open_url, 'URL'), what)
            self.assertRefused(open_status, open_text, what)
        self.assertEqual([], self.inside.requests)

    def test_odd_spellings_of_the_loopback_host_are_refused(self):
        self.inside.put('odd')
        port = self.inside.port
        for host in ('127.1', '2130706433', '0x7f.1', '0177.0.0.1',
                     '[::ffff:127.0.0.1]', '127.0.0.1.', 'localhost.',
                     'LOCALHOST', 'good@127.0.0.1', 'good:pw@127.0.0.1',
                     'example.com@127.0.0.1'):
            url = 'http://%s:%d/files/odd' % (host, port)
            for what, fetch in self.fetch_paths():
                status, text, _ = fetch(url)
                self.assertRefused(status, text, '%s %s' % (what, url))
        self.assertEqual([], self.inside.requests)


class AllowedServerTestCase(FetchMixin, base.ServerTestCase):
    """``allowed_hosts = [127.0.0.1]`` with the servers' ports allowed: the
    server on 127.0.0.1 is used; one on 127.0.0.2, though its port is
    allowed, is refused even when a redirect leads there."""

    api_overrides = {'DEFAULT': {'show_multiple_locations': True}}

    @classmethod
    def setUpClass(cls):
        cls.inside = RecordingServer()
        cls.elsewhere = RecordingServer(ELSEWHERE_HOST)
        cls.closed = closed_port()
        try:
            super().setUpClass()
        except Exception:
            cls.inside.stop()
            cls.elsewhere.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.inside.stop()
        cls.elsewhere.stop()

    @classmethod
    def api_config(cls):
        config = super().api_config()
        config['import_filtering_opts'] = {
            'allowed_hosts': '[127.0.0.1]',
            'allowed_ports': '[%d, %d, %d]' % (
                cls.inside.port, cls.elsewhere.port, cls.closed)}
        return config

    def download(self, image_id, api=None):
        return self.request('GET', '/v2/images/%s/file' % image_id,
                            headers=ADMIN, server=api)

    def test_every_fetch_path_reads_an_allowed_server(self):
        for what, fetch in self.fetch_paths():
            name = what.replace(' ', '-').replace('/', '')
            data = os.urandom(1000) + name.encode()
            url = self.inside.put(name, data)
            status, text, image_id = fetch(url)
            self.assertIn(status, (200, 201, 202), '%s: %s' % (what, text))
            image = self.image(image_id)
            self.assertEqual('active', image['status'], what)
            self.assertEqual(len(data), image['size'], what)
            status, _, body = self.download(image_id)
            self.assertEqual(200, status, what)
            self.assertEqual(data, body, what)

    def test_redirect_to_a_refused_host_is_refused_and_never_followed(self):
        target = self.elsewhere.put('secret')
        url = self.inside.url('/redirect?to=' + urllib.parse.quote(target))
        for what, fetch in self.fetch_paths():
            status, text, image_id = fetch(url)
            self.assertRefused(status, text, what)
            if image_id is not None:
                self.assertNotEqual('active',
                                    self.image(image_id)['status'], what)
        self.assertIn(('HEAD', '/redirect?to=' + urllib.parse.quote(target),
                       '127.0.0.1:%d' % self.inside.port),
                      self.inside.requests)
        self.assertEqual([], self.elsewhere.requests)

    def test_refused_host_on_an_allowed_port_is_refused(self):
        url = self.elsewhere.put('direct')
        for what, fetch in self.fetch_paths():
            status, text, _ = fetch(url)
            self.assertRefused(status, text, what)
        self.assertEqual([], self.elsewhere.requests)

    def test_unreadable_locations_all_get_one_message(self):
        missing = self.inside.url('/files/missing')
        failing = self.inside.url('/status/500')
        forbidden = self.inside.url('/status/403')
        closed = 'http://127.0.0.1:%d/files/missing' % self.closed
        for what, fetch in self.fetch_paths():
            texts = set()
            for url in (missing, failing, forbidden, closed):
                status, text, _ = fetch(url)
                self.assertEqual(400, status, '%s %s: %s' % (what, url, text))
                texts.add(text.replace(url, 'URL'))
            self.assertEqual({'The data at URL cannot be read'}, texts, what)

    def test_download_of_a_location_whose_host_became_refused_is_refused(
            self):
        data = b'registered while allowed' * 100
        status, text, image_id = self.v2_post_location(
            self.inside.put('then-allowed', data))
        self.assertEqual(202, status, text)
        status, _, body = self.download(image_id)
        self.assertEqual(data, body)
        self.wait_for_hashes(image_id)
        # A glance-api on the same registry with the default filter: the
        # host of the location is refused there now.
        strict = self.useFixture(daemons.Api(self.registry))
        gets_before = self.gets()
        status, _, body = self.download(image_id, api=strict)
        self.assertEqual(400, status, body)
        self.assertIn(REFUSED, json.loads(body)['message'])
        status, _, body = self.request('GET', '/v1/images/' + image_id,
                                       headers=ADMIN, server=strict)
        self.assertEqual(400, status, body)
        self.assertIn(REFUSED.encode(), body)
        self.assertEqual(gets_before, self.gets())

    def wait_for_hashes(self, image_id, timeout=30):
        """Until the background read of do_secure_hash is done."""
        deadline = time.time() + timeout
        while self.image(image_id)['checksum'] is None:
            self.assertLess(time.time(), deadline, 'no hashes')
            time.sleep(0.1)

    def gets(self):
        return [r for r in self.inside.requests if r[0] == 'GET']


class HTTPStoreFilterHookTestCase(testtools.TestCase):
    """The http driver calls its url_filter before every connection and
    connects to the addresses it returns; without one it works as
    before."""

    def setUp(self):
        super().setUp()
        self.server = RecordingServer()
        self.addCleanup(self.server.stop)
        self.elsewhere = RecordingServer(ELSEWHERE_HOST)
        self.addCleanup(self.elsewhere.stop)
        self.checked = []

    def store(self, url_filter, **options):
        return http_driver.Store(helpers.make_conf(options),
                                 url_filter=url_filter)

    def pin_to(self, address):
        """A url filter that records each URL and pins it to
        ``address``."""
        def url_filter(url):
            self.checked.append(url)
            return [address]
        return url_filter

    def test_connection_goes_to_the_checked_address_with_the_url_host(self):
        self.server.put('pinned')
        # The name exists in no DNS: only the filter's answer can work.
        url = 'http://images.example.invalid:%d/files/pinned' % (
            self.server.port)
        store = self.store(self.pin_to('127.0.0.1'))
        self.assertEqual(len(DATA), store.get_size(url))
        iterator, _ = store.get(url)
        self.assertEqual(DATA, b''.join(iterator))
        self.assertEqual([url, url], self.checked)
        self.assertEqual(['images.example.invalid:%d' % self.server.port] * 2,
                         [r[2] for r in self.server.requests])

    def test_every_redirect_hop_is_checked_before_it_is_followed(self):
        target = self.elsewhere.put('target')
        hop = self.server.url('/redirect?to=' + urllib.parse.quote(target))
        first = self.server.url('/redirect?to=' + urllib.parse.quote(hop))

        def url_filter(url):
            self.checked.append(url)
            return [urllib.parse.urlsplit(url).hostname]

        iterator, _ = self.store(url_filter).get(first)
        self.assertEqual(DATA, b''.join(iterator))
        self.assertEqual([first, hop, target], self.checked)

    def test_a_refused_hop_stops_before_connecting(self):
        target = self.elsewhere.put('target')
        first = self.server.url('/redirect?to=' + urllib.parse.quote(target))

        class Refused(Exception):
            pass

        def url_filter(url):
            if urllib.parse.urlsplit(url).hostname == ELSEWHERE_HOST:
                raise Refused(url)
            return ['127.0.0.1']

        store = self.store(url_filter)
        for call in (store.get, store.get_size):
            self.assertRaises(Refused, call, first)
        self.assertEqual(2, len(self.server.requests))
        self.assertEqual([], self.elsewhere.requests)

    def test_with_a_proxy_the_destination_is_still_checked(self):
        def refuse_all(url):
            self.checked.append(url)
            raise ValueError('refused')

        store = self.store(refuse_all, http_proxy_information={
            'http': '127.0.0.1:%d' % self.server.port})
        url = 'http://10.0.0.1/files/x'
        self.assertRaises(ValueError, store.get, url)
        self.assertEqual([url], self.checked)
        self.assertEqual([], self.server.requests)

    def test_without_a_filter_the_store_connects_as_before(self):
        url = self.server.put('plain')
        iterator, _ = self.store(None).get(url)
        self.assertEqual(DATA, b''.join(iterator))

    def test_connection_errors_do_not_name_their_cause(self):
        url = 'http://127.0.0.1:%d/files/x' % closed_port()
        error = self.assertRaises(store_exceptions.BackendUnavailable,
                                  self.store(None).get, url)
        self.assertNotIn('refused', str(error).lower())
        self.assertNotIn('errno', str(error).lower())


class HTTPSPinnedTestCase(testtools.TestCase):
    """An https location pinned to the checked address still sends SNI and
    checks the certificate against the URL's host name."""

    NAME = 'images.example.invalid'

    def setUp(self):
        super().setUp()
        folder = self.useFixture(fixtures.TempDir()).path
        self.cert = self.make_cert(folder, self.NAME)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self.cert)
        self.sni = []
        context.sni_callback = (
            lambda sock, name, ctx: self.sni.append(name))
        self.server = RecordingServer(ssl_context=context)
        self.addCleanup(self.server.stop)
        self.server.put('tls')

    @staticmethod
    def make_cert(folder, name):
        cert = os.path.join(folder, 'cert.pem')
        key = os.path.join(folder, 'key.pem')
        subprocess.run(
            ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
             '-keyout', key, '-out', cert, '-days', '1',
             '-subj', '/CN=' + name, '-addext', 'subjectAltName=DNS:' + name],
            check=True, capture_output=True)
        return cert, key

    def store(self):
        return http_driver.Store(
            helpers.make_conf({'https_insecure': False,
                               'https_ca_certificates_file': self.cert[0]}),
            url_filter=lambda url: ['127.0.0.1'])

    def test_certificate_of_the_url_host_is_accepted_at_the_pinned_address(
            self):
        url = 'https://%s:%d/files/tls' % (self.NAME, self.server.port)
        iterator, _ = self.store().get(url)
        self.assertEqual(DATA, b''.join(iterator))
        self.assertEqual([self.NAME], self.sni)

    def test_certificate_for_another_name_is_refused(self):
        url = 'https://other.example.invalid:%d/files/tls' % self.server.port
        self.assertRaises(store_exceptions.BackendUnavailable,
                          self.store().get, url)
        self.assertEqual([], self.server.requests)
