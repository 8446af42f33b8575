"""The http store: read-only access to image data at http(s) URLs.

Used for images registered by location (``--location http://...``). Reads
follow a bounded number of redirects; byte ranges are asked for with a Range
header and cut out locally when the server ignores it.

When the embedding service gives the store a ``url_filter`` (glance-api
does), every connection, each redirect hop included, is first checked by
it and then opened to the addresses it returns, not to a second DNS answer.
"""

import base64
import http.client
import socket
import ssl
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging

from glance_store import driver
from glance_store import exceptions
from glance_store import location as location_mod

LOG = logging.getLogger(__name__)

OPTIONS = [
    cfg.BoolOpt('https_insecure',
                default=True,
                help='Do not verify the certificate of https servers. Set '
                     'to False (and usually https_ca_certificates_file) to '
                     'verify them.'),
    cfg.StrOpt('https_ca_certificates_file',
               help='CA bundle used to verify https servers when '
                    'https_insecure is False; the system bundle when unset.'),
    cfg.DictOpt('http_proxy_information',
                default={},
                help='Proxy per URL scheme, e.g. "http:proxy.example.com:'
                     '3128,https:proxy.example.com:3128".'),
]

MAX_REDIRECTS = 5
TIMEOUT = 60
_REDIRECTS = (301, 302, 303, 307, 308)


class Store(driver.Store):
    """Reads image data over HTTP(S); never writes or deletes."""

    type_name = 'http'
    schemes = ('http', 'https')
    capabilities = frozenset([driver.READ, driver.RANDOM_READ])
    OPTIONS = OPTIONS

    def configure(self):
        cafile = self.options.https_ca_certificates_file
        try:
            self.ssl_context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as e:
            raise exceptions.BadStoreConfiguration(
                store=self.name,
                reason='cannot load https_ca_certificates_file %s: %s'
                % (cafile, e))
        if self.options.https_insecure:
            self.ssl_context.check_hostname = False
            self.ssl_context.verify_mode = ssl.CERT_NONE
        self.proxies = {}
        for scheme, proxy in (self.options.http_proxy_information or
                              {}).items():
            if '//' not in proxy:
                proxy = 'http://' + proxy
            parts = urllib.parse.urlsplit(proxy)
            try:
                port = parts.port
            except ValueError:
                port = None
            if not parts.hostname or port is None and ':' in parts.netloc:
                raise exceptions.BadStoreConfiguration(
                    store=self.name,
                    reason='bad proxy %r for scheme %s' % (proxy, scheme))
            self.proxies[scheme.strip().lower()] = (parts.hostname, port)

    # -- the driver interface ------------------------------------------------

    def add(self, image_id, reader, size):
        raise exceptions.StoreAddDisabled(store=self.name)

    def delete(self, location):
        raise exceptions.StoreDeleteNotSupported(store=self.name)

    def get(self, location, offset=0, length=None, chunk_size=None,
            headers=None):
        """``headers``: extra request headers (an Image API token for
        glance-download)."""
        location = self.parse(location)
        offset = offset or 0
        ranged = bool(offset) or length is not None
        headers = dict(headers or {})
        if ranged:
            if offset < 0 or (length is not None and length < 0):
                raise exceptions.RangeNotSatisfiable(offset=offset,
                                                     length=length, size='?')
            if length == 0:
                return HTTPIterator(None, None, 0, 0, 1, location.safe_uri,
                                    self.name), 0
            last = '' if length is None else str(offset + length - 1)
            headers['Range'] = 'bytes=%d-%s' % (offset, last)
        conn, resp = self._request('GET', location, headers)
        declared = _content_length(resp)
        skip, count = 0, declared
        if ranged and resp.status != 206:
            # The server sent the whole object: cut the range out here.
            skip = offset
            if declared is not None:
                count = driver.check_range(offset, length, declared)
            else:
                count = length
        return (HTTPIterator(conn, resp, skip, count,
                             chunk_size or driver.DEFAULT_READ_CHUNK_SIZE,
                             location.safe_uri, self.name),
                count or 0)

    def get_size(self, location):
        """Size from Content-Length of a HEAD (GET if HEAD is refused); 0
        when the server does not say."""
        location = self.parse(location)
        conn, resp = self._request('HEAD', location, {},
                                   fallback_statuses=(405, 501))
        try:
            if resp is None:
                conn, resp = self._request('GET', location, {})
            return _content_length(resp) or 0
        finally:
            conn.close()

    # -- HTTP ----------------------------------------------------------------

    def _request(self, method, location, headers, fallback_statuses=()):
        """Send the request, following redirects; return (conn, response)
        for a 2xx answer, (conn, None) for a status in
        ``fallback_statuses``, else raise the matching StoreError."""
        original = location
        credentials = _basic_auth(location)
        for _ in range(MAX_REDIRECTS + 1):
            conn, target = self._connect(location)
            request_headers = dict(headers)
            if credentials:
                request_headers['Authorization'] = credentials
            try:
                conn.request(method, target, headers=request_headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                # The cause (refused, timed out, unknown host) stays in the
                # log: told to the caller, it would show which ports are open.
                LOG.warning('%s %s failed: %s', method, location.safe_uri,
                            e or type(e).__name__)
                raise exceptions.BackendUnavailable(
                    store=self.name,
                    reason='%s %s failed' % (method, location.safe_uri))
            if resp.status in _REDIRECTS:
                redirect = resp.getheader('Location')
                conn.close()
                if not redirect:
                    raise exceptions.BadStoreUri(
                        uri=location.safe_uri,
                        reason='redirect %d without a Location header'
                        % resp.status)
                next_location = location_mod.parse(
                    urllib.parse.urljoin(location.uri, redirect))
                if next_location.scheme not in self.schemes:
                    raise exceptions.BadStoreUri(
                        uri=location.safe_uri,
                        reason='redirect to unsupported scheme %s'
                        % next_location.scheme)
                if next_location.username:
                    credentials = _basic_auth(next_location)
                elif next_location.netloc != location.netloc:
                    # Never send credentials on to another host.
                    credentials = None
                location = next_location
                continue
            if 200 <= resp.status < 300:
                return conn, resp
            conn.close()
            if resp.status in fallback_statuses:
                return conn, None
            raise self._status_error(resp.status, location)
        raise exceptions.BadStoreUri(
            uri=original.safe_uri,
            reason='more than %d redirects' % MAX_REDIRECTS)

    def _connect(self, location):
        parts = urllib.parse.urlsplit(location.uri)
        try:
            host, port = parts.hostname, parts.port
        except ValueError as e:
            raise exceptions.BadStoreUri(uri=location.safe_uri, reason=str(e))
        if not host:
            raise exceptions.BadStoreUri(uri=location.safe_uri,
                                         reason='no host')
        target = parts.path or '/'
        if parts.query:
            target += '?' + parts.query
        addresses = None
        if self.url_filter is not None:
            addresses = self.url_filter(location.uri)
        proxy = self.proxies.get(location.scheme)
        https = location.scheme == 'https'
        if proxy is None:
            if https:
                conn = http.client.HTTPSConnection(
                    host, port, timeout=TIMEOUT, context=self.ssl_context)
            else:
                conn = http.client.HTTPConnection(host, port,
                                                  timeout=TIMEOUT)
            if addresses is not None:
                pin(conn, addresses)
            return conn, target
        # Through a proxy the proxy resolves the host: the filter above has
        # still refused destinations it does not allow.
        if https:
            conn = http.client.HTTPSConnection(proxy[0], proxy[1],
                                               timeout=TIMEOUT,
                                               context=self.ssl_context)
            conn.set_tunnel(host, port)
            return conn, target
        # A plain-http proxy takes the absolute URL as the request target.
        netloc = host if port is None else '%s:%d' % (host, port)
        if ':' in host:
            netloc = '[%s]%s' % (host, '' if port is None else ':%d' % port)
        absolute = urllib.parse.urlunsplit(('http', netloc, target, '', ''))
        return http.client.HTTPConnection(proxy[0], proxy[1],
                                          timeout=TIMEOUT), absolute

    def _status_error(self, status, location):
        if status in (404, 410):
            return exceptions.NotFound(uri=location.safe_uri)
        if status in (401, 403):
            return exceptions.Forbidden(
                uri=location.safe_uri,
                reason='the server answered %d' % status)
        if status == 416:
            return exceptions.RangeNotSatisfiable(
                'The server at %s refused the requested byte range'
                % location.safe_uri)
        if status >= 500:
            return exceptions.BackendUnavailable(
                store=self.name,
                reason='%s answered %d' % (location.safe_uri, status))
        return exceptions.BadStoreUri(
            uri=location.safe_uri, reason='the server answered %d' % status)


def pin(conn, addresses):
    """Make ``conn`` open its socket to the first of ``addresses`` (already
    checked by the url filter) that answers, instead of resolving its host
    again; the Host header, SNI and the certificate check keep using the
    host name of the URL."""
    def create_connection(host_port, *args, **kwargs):
        error = None
        for address in addresses:
            try:
                return socket.create_connection((address, host_port[1]),
                                                *args, **kwargs)
            except OSError as e:
                error = e
        raise error or OSError('no address to connect to')

    # HTTPConnection.connect() opens its socket through this attribute;
    # HTTPSConnection.connect() then wraps that socket for TLS with
    # server_hostname set to the URL's host.
    conn._create_connection = create_connection


class HTTPIterator:
    """Streams a response body in chunks, skipping ``skip`` bytes first and
    stopping after ``count`` (None: until the end); closes the connection
    at the end or on ``close()``."""

    def __init__(self, conn, resp, skip, count, chunk_size, safe_uri,
                 store_name):
        self.conn = conn
        self.resp = resp
        self.skip = skip
        self.remaining = count
        self.chunk_size = chunk_size
        self.safe_uri = safe_uri
        self.store_name = store_name

    def __iter__(self):
        return self

    def __next__(self):
        if self.resp is None or self.remaining == 0:
            self.close()
            raise StopIteration
        try:
            while self.skip:
                dropped = self.resp.read(min(self.skip, self.chunk_size))
                if not dropped:
                    break
                self.skip -= len(dropped)
            size = self.chunk_size
            if self.remaining is not None:
                size = min(size, self.remaining)
            chunk = self.resp.read(size)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            LOG.warning('Reading %s failed: %s', self.safe_uri,
                        e or type(e).__name__)
            raise exceptions.BackendUnavailable(
                store=self.store_name, reason='reading %s failed'
                % self.safe_uri)
        if not chunk:
            self.close()
            if self.remaining:
                # http.client does not raise on a short body read in parts.
                raise exceptions.BackendUnavailable(
                    store=self.store_name, reason='%s ended %d bytes early'
                    % (self.safe_uri, self.remaining))
            raise StopIteration
        if self.remaining is not None:
            self.remaining -= len(chunk)
        return chunk

    def close(self):
        if self.resp is not None:
            self.resp.close()
            self.resp = None
            self.conn.close()

    def __del__(self):
        self.close()


def _content_length(resp):
    value = resp.getheader('Content-Length')
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _basic_auth(location):
    if not location.username:
        return None
    token = '%s:%s' % (location.username, location.password or '')
    return 'Basic ' + base64.b64encode(token.encode('utf-8')).decode('ascii')
