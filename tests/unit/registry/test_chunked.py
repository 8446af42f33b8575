"""The chunked request body decoder: framing, errors, every split."""

import io
import os
import socket

import testtools

from glance_registry.common import chunked


class Trickle(io.RawIOBase):
    """A connection that gives at most ``step`` bytes per receive."""

    def __init__(self, data, step):
        self.data = data
        self.position = 0
        self.step = step

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.step, len(self.data) - self.position)
        buffer[:count] = self.data[self.position:self.position + count]
        self.position += count
        return count


def encode(pieces, extension=b'', trailers=b''):
    return b''.join(b'%x%s\r\n%s\r\n' % (len(piece), extension, piece)
                    for piece in pieces) + b'0\r\n' + trailers + b'\r\n'


def read_all(decoder, size):
    parts = []
    while True:
        data = decoder.read(size)
        if not data:
            return b''.join(parts)
        if size is not None and size > 0:
            assert len(data) <= size
        parts.append(data)


class TestChunkedDecoder(testtools.TestCase):

    DATA = os.urandom(200000)

    def pieces(self, size=65536):
        return [self.DATA[i:i + size] for i in range(0, len(self.DATA), size)]

    def test_body_split_at_every_receive_size_decodes_the_same_bytes(self):
        body = encode([b'a', b'', b'bc', b'def'][:1] + [b'ghij' * 3],
                      b';name="x y";flag', b'X-Checksum: 1\r\nX-Other: 2\r\n')
        for step in range(1, len(body) + 1):
            for size in (1, 2, 5, None):
                decoder = chunked.ChunkedDecoder(Trickle(body, step))
                self.assertEqual(b'a' + b'ghij' * 3,
                                 read_all(decoder, size),
                                 'step %d, size %s' % (step, size))
                self.assertTrue(decoder.done)

    def test_large_body_in_64k_chunks_read_in_blocks(self):
        body = encode(self.pieces())
        for step in (1000, 65536, 1 << 20):
            decoder = chunked.ChunkedDecoder(Trickle(body, step),
                                             receive_size=100000)
            self.assertEqual(self.DATA, read_all(decoder, 70000))

    def test_read_fills_the_size_asked_until_the_end(self):
        decoder = chunked.ChunkedDecoder(io.BytesIO(encode(self.pieces(7))))
        self.assertEqual(self.DATA[:100000], decoder.read(100000))
        self.assertEqual(self.DATA[100000:], decoder.read(200000))
        self.assertEqual(b'', decoder.read(10))

    def test_bytes_past_the_body_are_left_unread(self):
        rest = b'GET /versions HTTP/1.1\r\n\r\n'
        connection = Trickle(encode(self.pieces()) + rest, 8192)
        decoder = chunked.ChunkedDecoder(connection)
        self.assertEqual(self.DATA, decoder.read())
        self.assertEqual(rest, decoder.unread() +
                         connection.data[connection.position:])

    def test_readline_stops_after_each_newline(self):
        decoder = chunked.ChunkedDecoder(io.BytesIO(
            encode([b'ab\ncd', b'\nef'])))
        self.assertEqual([b'ab\n', b'cd\n', b'ef', b''],
                         [decoder.readline() for _ in range(4)])

    def test_malformed_bodies_are_refused(self):
        for body in (b'zz\r\nabc\r\n0\r\n\r\n',          # not hex
                     b'0x3\r\nabc\r\n0\r\n\r\n',          # a prefix
                     b' 3\r\nabc\r\n0\r\n\r\n',           # leading space
                     b'-3\r\nabc\r\n0\r\n\r\n',           # a sign
                     b'\r\nabc\r\n0\r\n\r\n',             # no size
                     b'3\nabc\r\n0\r\n\r\n',              # LF alone
                     b'3\r\nabcd\r\n0\r\n\r\n',           # data too long
                     b'3\r\nab\r\n0\r\n\r\n',             # data too short
                     b'1' * 17 + b'\r\n',                 # size overflow
                     b'3;' + b'x' * 9000 + b'\r\nabc\r\n0\r\n\r\n',
                     b'0\r\n' + b'X: y\r\n' * 20000 + b'\r\n',
                     b'3\r\nab',                          # ends early
                     b'3\r\nabc\r\n',                     # no last chunk
                     b'0\r\n'):                           # no end line
            for step in (1, 7, 1 << 20):
                decoder = chunked.ChunkedDecoder(Trickle(body, step))
                self.assertRaises(chunked.ChunkedEncodingError, read_all,
                                  decoder, 2)

    def test_malformed_body_is_a_value_error(self):
        self.assertTrue(issubclass(chunked.ChunkedEncodingError, ValueError))

    def test_chunk_past_the_limit_is_refused_before_its_data(self):
        connection = Trickle(b'1000000000000\r\nhello', 1)
        decoder = chunked.ChunkedDecoder(connection)
        decoder.set_max_length(10)
        error = self.assertRaises(chunked.ChunkTooLarge, decoder.read, 5)
        self.assertEqual((2 ** 48, 10), (error.declared, error.limit))
        # Refused at the size line: no byte of the data was waited for.
        self.assertEqual(15, connection.position)

    def test_chunks_within_the_limit_are_read(self):
        decoder = chunked.ChunkedDecoder(io.BytesIO(encode([b'abc', b'de'])))
        decoder.set_max_length(5)
        self.assertEqual(b'abcde', decoder.read())

    def test_body_held_by_a_buffered_reader_is_read_without_waiting(self):
        # A server's connection reader already holds the whole body (it
        # came with the headers); the client then waits for the answer.
        server, client = socket.socketpair()
        self.addCleanup(server.close)
        self.addCleanup(client.close)
        server.settimeout(5)
        client.sendall(b'POST / HTTP/1.1\r\n\r\n' +
                       encode([b'hello', b'world']) + b'NEXT')
        rfile = server.makefile('rb')
        self.addCleanup(rfile.close)
        self.assertEqual(b'POST / HTTP/1.1\r\n', rfile.readline())
        self.assertEqual(b'\r\n', rfile.readline())
        decoder = chunked.ChunkedDecoder(rfile)
        self.assertEqual(b'helloworld', decoder.read(1 << 20))
        self.assertEqual(b'NEXT', decoder.unread())
