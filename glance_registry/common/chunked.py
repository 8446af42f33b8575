"""A decoder of chunked request bodies (RFC 9112 section 7.1) that reads
the connection in large blocks.

eventlet's own decoder reads each chunk's size line and data with separate
calls on the connection's small read buffer, so a body sent in 64 KiB
chunks (as python-glanceclient sends image data) costs several Python-level
reads per chunk. This one receives up to a few MiB at a time into one
buffer, parses the framing there and hands out the chunk data joined in
one copy. It is strict: a size that is not hexadecimal, a line without its
CRLF, a chunk whose data is not followed by CRLF, and a body that ends
early are errors (:class:`ChunkedEncodingError`, a ValueError as
eventlet's is); chunk extensions and trailer fields are read and ignored.
"""

# A size line (with its extensions) or a trailer field longer than this is
# refused: no client needs more, and the buffer stays bounded.
MAX_LINE = 8192
# Trailer fields, together, at most.
MAX_TRAILERS = 65536
# Bytes asked of the connection per receive.
RECEIVE_SIZE = 4 * 1024 * 1024
# 16 hexadecimal digits already exceed any size a body may have.
MAX_SIZE_DIGITS = 16

_HEX_DIGITS = frozenset(b'0123456789abcdefABCDEF')

# Decoder states.
_SIZE, _DATA, _DATA_END, _TRAILERS, _DONE = range(5)


class ChunkedEncodingError(ValueError):
    """The body is not valid chunked transfer coding."""


class ChunkTooLarge(Exception):
    """A size line brought the body past the limit its reader set
    (:meth:`ChunkedDecoder.set_max_length`); ``declared`` bytes so far."""

    def __init__(self, declared, limit):
        super().__init__('chunks declare %d bytes, more than the %d allowed'
                         % (declared, limit))
        self.declared = declared
        self.limit = limit


class ChunkedDecoder:
    """``read(n)`` and ``readline(n)`` of the decoded body of a chunked
    request, from ``rfile`` (a buffered reader or any object with ``readinto``,
    positioned after the request's headers). ``read(n)`` returns ``n``
    bytes unless the body ends first; b'' at its end."""

    def __init__(self, rfile, receive_size=RECEIVE_SIZE):
        self._rfile = rfile
        if hasattr(rfile, 'raw') and hasattr(rfile, 'read1'):
            # A buffered reader (the server's): what it holds already, then
            # its raw stream directly, in large blocks. (Its readinto1 would
            # read the raw stream again even with bytes at hand, and wait
            # for data the client may not send.)
            self._receive = self._receive_buffered
        else:
            self._receive = rfile.readinto
        self.receive_size = receive_size
        self._buffer = bytearray(min(receive_size, 65536))
        self._start = self._end = 0
        self._state = _SIZE
        self._chunk_left = 0
        self._trailer_bytes = 0
        self.declared = 0
        self.max_length = None

    def set_max_length(self, limit):
        """Raise ChunkTooLarge as soon as a size line brings the declared
        total past ``limit`` (None: no limit), before waiting for data the
        client may never send."""
        self.max_length = limit
        self._check_declared()

    def _check_declared(self):
        if self.max_length is not None and self.declared > self.max_length:
            raise ChunkTooLarge(self.declared, self.max_length)

    @property
    def done(self):
        return self._state == _DONE

    def unread(self):
        """Bytes received past the end of the body (the start of a
        pipelined request), once the body was read to its end."""
        if self._state != _DONE:
            return b''
        return bytes(self._buffer[self._start:self._end])

    # -- reading the connection ---------------------------------------------

    def _receive_buffered(self, view):
        data = self._rfile.read1(len(view))
        view[:len(data)] = data
        # read1 gave all it held: from now on the raw stream.
        self._receive = self._rfile.raw.readinto
        return len(data)

    def _make_room(self, room, views):
        """Move the unparsed bytes to the front of the buffer (growing it)
        so that ``room`` bytes fit after them. Views of the buffer still
        to hand out are joined first; returns them."""
        if views:
            views = [_join(views)]
        start, end = self._start, self._end
        left = end - start
        if len(self._buffer) < left + room:
            # Room for the next read too: no new buffer per read.
            grown = bytearray(left + 2 * room)
            grown[:left] = self._buffer[start:end]
            self._buffer = grown
        elif start:
            self._buffer[:left] = self._buffer[start:end]
        self._start, self._end = 0, left
        return views

    def _receive_more(self, views):
        """Append what the connection has (at least one byte) to the
        buffer; returns ``views`` (see :meth:`_make_room`)."""
        if self._end == len(self._buffer):
            views = self._make_room(
                min(self.receive_size, max(65536, len(self._buffer))),
                views)
        with memoryview(self._buffer) as view:
            count = self._receive(view[self._end:])
        if not count:
            raise ChunkedEncodingError('the body ended before its last chunk')
        self._end += count
        return views

    def _line(self, views):
        """The next CRLF-ended line (without CRLF) as bytes, receiving as
        needed; returns (line, views)."""
        while True:
            index = self._buffer.find(b'\r\n', self._start, self._end)
            if index >= 0:
                if index - self._start > MAX_LINE:
                    break
                line = bytes(self._buffer[self._start:index])
                self._start = index + 2
                return line, views
            if self._end - self._start > MAX_LINE:
                break
            if self._end == len(self._buffer) and self._start:
                views = self._make_room(MAX_LINE + 2, views)
            views = self._receive_more(views)
        raise ChunkedEncodingError('a chunk size or trailer line is longer '
                                   'than %d bytes' % MAX_LINE)

    # -- framing ------------------------------------------------------------

    def _parse_size(self, line):
        size, _, _extensions = line.partition(b';')
        # Whitespace may only come before the extensions (BWS).
        size = size.rstrip(b' \t')
        if not size or len(size) > MAX_SIZE_DIGITS or \
                not _HEX_DIGITS.issuperset(size):
            raise ChunkedEncodingError('invalid chunk size line %r'
                                       % line[:40])
        return int(size, 16)

    def _advance(self, views):
        """Parse framing until chunk data is at hand or the body ended."""
        while True:
            state = self._state
            if state == _DATA:
                if self._start == self._end:
                    views = self._receive_more(views)
                return views
            if state == _SIZE:
                line, views = self._line(views)
                self._chunk_left = self._parse_size(line)
                self.declared += self._chunk_left
                self._check_declared()
                self._state = _DATA if self._chunk_left else _TRAILERS
            elif state == _DATA_END:
                while self._end - self._start < 2:
                    views = self._receive_more(views)
                if self._buffer[self._start:self._start + 2] != b'\r\n':
                    raise ChunkedEncodingError('chunk data is not followed '
                                               'by CRLF')
                self._start += 2
                self._state = _SIZE
            elif state == _TRAILERS:
                line, views = self._line(views)
                if not line:
                    self._state = _DONE
                else:
                    self._trailer_bytes += len(line) + 2
                    if self._trailer_bytes > MAX_TRAILERS:
                        raise ChunkedEncodingError(
                            'trailer fields are longer than %d bytes'
                            % MAX_TRAILERS)
            else:
                return views

    def _take(self, want, views, newline=False):
        """Up to ``want`` bytes of the current chunk from the buffer, as a
        view appended to ``views``; returns the count taken."""
        start = self._start
        count = min(want, self._chunk_left, self._end - start)
        if newline:
            index = self._buffer.find(b'\n', start, start + count)
            if index >= 0:
                count = index + 1 - start
        with memoryview(self._buffer) as view:
            views.append(view[start:start + count])
        self._start = start + count
        self._chunk_left -= count
        if not self._chunk_left:
            self._state = _DATA_END
        return count

    def read(self, size=-1, newline=False):
        """``size`` bytes of the body (all of the rest when ``size`` is
        None or negative), fewer at its end; with ``newline``, up to and
        including the first b'\\n'."""
        if size is None or size < 0:
            size = float('inf')
        if not size or self._state == _DONE:
            return b''
        # Room for this read's data after what is buffered, so that the
        # views handed out need no second copy.
        room = int(min(size, self.receive_size)) + 65536
        if len(self._buffer) - self._end < room:
            self._make_room(room, None)
        views = []
        got = 0
        try:
            while got < size:
                views = self._advance(views)
                if self._state == _DONE:
                    break
                got += self._take(size - got, views, newline)
                if newline and views[-1][-1:] == b'\n':
                    break
            return _join(views)
        finally:
            _release(views)

    def readline(self, size=-1):
        return self.read(size, newline=True)


def _join(views):
    """One bytes object of ``views`` (memoryviews of the buffer, or bytes
    already joined), the views released."""
    if len(views) == 1 and isinstance(views[0], bytes):
        return views[0]
    data = b''.join(views)
    _release(views)
    return data


def _release(views):
    for view in views:
        if isinstance(view, memoryview):
            view.release()
