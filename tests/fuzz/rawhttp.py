"""An HTTP/1.1 client that sends exactly the bytes it is given.

requests, urllib and http.client's request() quote paths, refuse control
characters and frame bodies themselves; a fuzzer needs invalid UTF-8 and
``%ff`` in the request line, raw bytes in header values and chunked bodies
with a malformed chunk line. One connection per request, so a request that
confuses the server cannot spoil the next one.
"""

import http.client
import socket


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # [(name, value)] as received
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class NoResponse(Exception):
    """The server closed the connection or did not answer in time."""


def _bytes(value):
    if isinstance(value, bytes):
        return value
    # latin-1 keeps every code point below 256 as that byte; anything
    # above is sent as UTF-8, as a browser would.
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        return value.encode('utf-8', 'surrogatepass')


def chunked(pieces, malformed=None):
    """A chunked body of ``pieces``; ``malformed`` (bytes) replaces the
    size line of the last chunk."""
    out = b''
    for index, piece in enumerate(pieces):
        size_line = b'%x' % len(piece)
        if malformed is not None and index == len(pieces) - 1:
            size_line = malformed
        out += size_line + b'\r\n' + piece + b'\r\n'
    return out + b'0\r\n\r\n'


def send(port, method, path, headers=(), body=None, raw_body=None,
         timeout=None):
    """Send one request to 127.0.0.1:``port`` and read the whole answer.

    ``body`` is framed with Content-Length; ``raw_body`` goes out as is
    (the caller sets Transfer-Encoding or Content-Length itself); a
    server left waiting by a malformed one gets 5 s, others 20 s.
    """
    if timeout is None:
        timeout = 5 if raw_body is not None else 20
    lines = [_bytes(method) + b' ' + _bytes(path) + b' HTTP/1.1',
             b'Host: 127.0.0.1:%d' % port, b'Connection: close']
    names = set()
    for name, value in headers:
        names.add(name.lower())
        lines.append(_bytes(name) + b': ' + _bytes(value))
    payload = b''
    if body is not None:
        payload = body
        if 'content-length' not in names:
            lines.append(b'Content-Length: %d' % len(body))
    elif raw_body is not None:
        payload = raw_body
    elif method in ('POST', 'PUT', 'PATCH'):
        lines.append(b'Content-Length: 0')
    request = b'\r\n'.join(lines) + b'\r\n\r\n' + payload
    try:
        with socket.create_connection(('127.0.0.1', port), timeout) as sock:
            try:
                sock.sendall(request)
            except OSError:
                # The server may answer and close before reading a body
                # it refuses; its answer is still there to read.
                pass
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            data = response.read()
            return Response(response.status, response.getheaders(), data)
    except (OSError, http.client.HTTPException) as e:
        raise NoResponse('%s %r: %s' % (method, path[:200], e))
