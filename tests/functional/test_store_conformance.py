"""The http store against a real local HTTP server, through the driver and
through the glance_store.Stores facade.

The server (stdlib http.server on a free loopback port, in a thread) serves
files from a temp dir with Range support, plus endpoints that redirect,
ignore Range, stream without Content-Length, demand credentials, fail, or
act as a forward proxy.
"""

import base64
import http.server
import os
import re
import socket
import threading
import urllib.parse
import uuid

import fixtures
import testtools

import glance_store
from glance_store._drivers import http as http_driver
from glance_store import exceptions
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB
CREDENTIALS = 'Basic ' + base64.b64encode(b'alice:s3cret').decode()


class ImageHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def handle_request(self, head):
        self.close_connection = True
        path = self.path
        if path.startswith('http://'):
            self.server.proxied.append(path)
            path = urllib.parse.urlsplit(path).path
        self.server.requests.append((self.command, path, dict(self.headers)))
        parts = path.lstrip('/').split('/')
        route, rest = parts[0], parts[1:]
        if route == 'files':
            return self.send_file(rest[0], head, ranges=True)
        if route == 'norange':
            return self.send_file(rest[0], head, ranges=False)
        if route == 'chunked':
            return self.send_chunked(rest[0], head)
        if route == 'nohead':
            if head:
                return self.send_status(405)
            return self.send_file(rest[0], head, ranges=True)
        if route == 'auth':
            if self.headers.get('Authorization') != CREDENTIALS:
                return self.send_status(401)
            return self.send_file(rest[0], head, ranges=True)
        if route == 'short':
            self.send_response(200)
            self.send_header('Content-Length', '1000')
            self.end_headers()
            if not head:
                self.wfile.write(b'x' * 10)
            return
        if route == 'redirect':
            hops, target = int(rest[0]), '/'.join(rest[1:])
            if hops > 1:
                location = '/redirect/%d/%s' % (hops - 1, target)
            else:
                location = '/' + target
            if hops % 2:  # alternate absolute and relative Location headers
                location = 'http://127.0.0.1:%d%s' % (
                    self.server.server_port, location)
            return self.send_status(302, {'Location': location})
        if route == 'loop':
            return self.send_status(302, {'Location': '/loop'})
        if route == 'noloc':
            return self.send_status(302)
        if route == 'gopher':
            return self.send_status(301, {'Location': 'gopher://x/y'})
        if route == 'status':
            return self.send_status(int(rest[0]))
        self.send_status(404)

    def send_status(self, status, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def send_file(self, name, head, ranges):
        path = os.path.join(self.server.root, name)
        if not os.path.isfile(path):
            return self.send_status(404)
        with open(path, 'rb') as f:
            data = f.read()
        status, start, end = 200, 0, len(data)
        requested = self.headers.get('Range')
        if ranges and requested:
            match = re.fullmatch(r'bytes=(\d+)-(\d*)', requested)
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) else len(data) - 1
            if first >= len(data):
                return self.send_status(
                    416, {'Content-Range': 'bytes */%d' % len(data)})
            status, start, end = 206, first, min(last + 1, len(data))
        self.send_response(status)
        self.send_header('Content-Length', str(end - start))
        if status == 206:
            self.send_header('Content-Range', 'bytes %d-%d/%d'
                             % (start, end - 1, len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data[start:end])

    def send_chunked(self, name, head):
        path = os.path.join(self.server.root, name)
        with open(path, 'rb') as f:
            data = f.read()
        self.send_response(200)
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        if head:
            return
        for i in range(0, len(data), 65536):
            piece = data[i:i + 65536]
            self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
        self.wfile.write(b'0\r\n\r\n')


class ImageServer(fixtures.Fixture):
    """A real HTTP server on a free loopback port, serving ``root``."""

    def _setUp(self):
        self.root = self.useFixture(fixtures.TempDir()).path
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                 ImageHandler)
        server.daemon_threads = True
        server.root = self.root
        server.requests = []
        server.proxied = []
        self.server = server
        self.base = 'http://127.0.0.1:%d' % server.server_port
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={'poll_interval': 0.05}, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)

    def put(self, data):
        name = uuid.uuid4().hex
        with open(os.path.join(self.root, name), 'wb') as f:
            f.write(data)
        return name


def http_store(**options):
    return http_driver.Store(helpers.make_conf(options))


class HTTPStoreContractTest(conformance.ReadContract, testtools.TestCase):
    """The read conformance suite on the http store, plain files."""

    route = 'files'

    def make_store(self):
        self.http = self.useFixture(ImageServer())
        return http_store()

    def seed(self, data):
        return '%s/%s/%s' % (self.http.base, self.route,
                             self.http.put(data))

    def missing_uri(self):
        return self.http.base + '/files/no-such-image'


class HTTPStoreBehindRedirectsContractTest(HTTPStoreContractTest):
    """The same suite with every location three redirects away."""

    route = 'redirect/3/files'


class HTTPStoreRangeIgnoredContractTest(HTTPStoreContractTest):
    """The same suite against a server that ignores Range headers."""

    route = 'norange'


class HTTPStoreTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(ImageServer())
        self.store = http_store()
        self.data = conformance.payload(100_000)
        self.name = self.http.put(self.data)

    def url(self, path):
        return self.http.base + path

    def test_range_is_asked_of_the_server_with_a_range_header(self):
        iterator, size = self.store.get(self.url('/files/' + self.name),
                                        offset=10, length=20)
        self.assertEqual(self.data[10:30], b''.join(iterator))
        self.assertEqual('bytes=10-29',
                         self.http.server.requests[-1][2].get('Range'))
        self.store.get(self.url('/files/' + self.name), offset=10)[0].close()
        self.assertEqual('bytes=10-',
                         self.http.server.requests[-1][2].get('Range'))

    def test_whole_get_sends_no_range_header(self):
        b''.join(self.store.get(self.url('/files/' + self.name))[0])
        self.assertNotIn('Range', self.http.server.requests[-1][2])

    def test_up_to_five_redirects_are_followed(self):
        iterator, size = self.store.get(
            self.url('/redirect/5/files/' + self.name))
        self.assertEqual(self.data, b''.join(iterator))
        self.assertEqual(len(self.data), self.store.get_size(
            self.url('/redirect/5/files/' + self.name)))

    def test_more_than_five_redirects_are_refused(self):
        for call in (self.store.get, self.store.get_size):
            error = self.assertRaises(
                exceptions.BadStoreUri, call,
                self.url('/redirect/6/files/' + self.name))
            self.assertIn('more than 5 redirects', str(error))
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          self.url('/loop'))

    def test_redirect_without_location_or_to_another_scheme_is_refused(self):
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          self.url('/noloc'))
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          self.url('/gopher'))

    def test_get_size_uses_head(self):
        self.assertEqual(len(self.data), self.store.get_size(
            self.url('/files/' + self.name)))
        self.assertEqual('HEAD', self.http.server.requests[-1][0])

    def test_get_size_falls_back_to_get_when_head_is_refused(self):
        self.assertEqual(len(self.data), self.store.get_size(
            self.url('/nohead/' + self.name)))
        self.assertEqual(['HEAD', 'GET'],
                         [r[0] for r in self.http.server.requests[-2:]])

    def test_missing_image_is_not_found(self):
        for call in (self.store.get, self.store.get_size):
            self.assertRaises(exceptions.NotFound, call,
                              self.url('/files/missing'))
            self.assertRaises(exceptions.NotFound, call,
                              self.url('/status/410'))

    def test_server_errors_are_backend_unavailable(self):
        error = self.assertRaises(exceptions.BackendUnavailable,
                                  self.store.get, self.url('/status/503'))
        self.assertEqual(503, error.http_status)

    def test_refused_connection_is_backend_unavailable(self):
        with socket.socket() as unused:
            unused.bind(('127.0.0.1', 0))
            port = unused.getsockname()[1]
        for call in (self.store.get, self.store.get_size):
            self.assertRaises(exceptions.BackendUnavailable, call,
                              'http://127.0.0.1:%d/files/x' % port)

    def test_body_shorter_than_content_length_is_backend_unavailable(self):
        iterator, size = self.store.get(self.url('/short/x'))
        self.assertEqual(1000, size)
        self.assertRaises(exceptions.BackendUnavailable, list, iterator)

    def test_unauthorised_is_forbidden_and_credentials_in_url_are_sent(self):
        self.assertRaises(exceptions.Forbidden, self.store.get,
                          self.url('/auth/' + self.name))
        uri = 'http://alice:s3cret@127.0.0.1:%d/auth/%s' % (
            self.http.server.server_port, self.name)
        self.assertEqual(self.data, b''.join(self.store.get(uri)[0]))

    def test_credentials_never_appear_in_errors(self):
        uri = 'http://alice:s3cret@127.0.0.1:%d/files/missing' % (
            self.http.server.server_port)
        error = self.assertRaises(exceptions.NotFound, self.store.get, uri)
        self.assertNotIn('s3cret', str(error))
        self.assertIn('***@127.0.0.1', str(error))

    def test_stream_without_content_length_is_read_to_the_end(self):
        iterator, size = self.store.get(self.url('/chunked/' + self.name))
        self.assertEqual(self.data, b''.join(iterator))
        self.assertEqual(0, self.store.get_size(
            self.url('/chunked/' + self.name)))
        iterator, size = self.store.get(self.url('/chunked/' + self.name),
                                        offset=99_990, length=5)
        self.assertEqual(self.data[99_990:99_995], b''.join(iterator))

    def test_store_is_read_only(self):
        self.assertFalse(self.store.writable)
        error = self.assertRaises(exceptions.StoreAddDisabled,
                                  self.store.add, 'img',
                                  conformance.ShortReader(b'x'), 1)
        self.assertEqual(410, error.http_status)
        self.assertRaises(exceptions.StoreAddDisabled, self.store.delete,
                          self.url('/files/' + self.name))
        self.assertTrue(os.path.exists(os.path.join(self.http.root,
                                                    self.name)))

    def test_plain_http_goes_through_the_configured_proxy(self):
        store = http_store(http_proxy_information={
            'http': '127.0.0.1:%d' % self.http.server.server_port})
        uri = 'http://images.example.invalid/files/' + self.name
        self.assertEqual(self.data, b''.join(store.get(uri)[0]))
        self.assertEqual([uri], self.http.server.proxied)

    def test_https_to_a_plain_http_server_is_backend_unavailable(self):
        uri = 'https://127.0.0.1:%d/files/%s' % (self.http.server.server_port,
                                                 self.name)
        self.assertRaises(exceptions.BackendUnavailable, self.store.get, uri)


class StoresFacadeOverHTTPTest(testtools.TestCase):
    """glance_store.Stores with the default stores (file, http)."""

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(ImageServer())
        self.datadir = self.useFixture(fixtures.TempDir()).path
        self.stores = glance_store.Stores(helpers.make_conf(
            {'filesystem_store_datadir': self.datadir}))

    def test_http_locations_are_read_by_the_http_store(self):
        data = conformance.payload(3 * MiB)
        uri = '%s/files/%s' % (self.http.base, self.http.put(data))
        self.assertEqual('http', self.stores.for_location(uri).name)
        iterator, size = self.stores.get(uri, offset=MiB, length=10)
        self.assertEqual(data[MiB:MiB + 10], b''.join(iterator))
        self.assertEqual(len(data), self.stores.get_size(uri))

    def test_add_to_http_store_is_disabled_and_default_is_file(self):
        self.assertRaises(exceptions.StoreAddDisabled, self.stores.add,
                          'img', conformance.ShortReader(b'x'), 1,
                          store='http')
        result = self.stores.add('img', conformance.ShortReader(b'x'), 1)
        self.assertEqual({'store': 'file'}, result.metadata)
        self.assertEqual(['img'], os.listdir(self.datadir))

    def test_delete_of_http_location_is_refused_and_keeps_data(self):
        name = self.http.put(b'data')
        self.assertRaises(exceptions.StoreAddDisabled, self.stores.delete,
                          '%s/files/%s' % (self.http.base, name))
        self.assertTrue(os.path.exists(os.path.join(self.http.root, name)))
