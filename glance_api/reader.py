"""The one reader of an image upload: it caps, counts, inspects and hashes.

The store's add loop only calls ``read(n)`` and writes what it gets. Each
block taken from the request body is checked against the size limit before
the store sees it, counted, shown to the disk-format inspector (which stops
looking after the first MiBs, see :mod:`glance_api.inspection`) and handed
to two hashing threads (md5 for ``checksum``, the multihash for
``os_hash_value``). hashlib releases the GIL for buffers over 2 KiB, so both
hashes run on their own cores while this thread goes on receiving and the
store goes on writing.
"""

import hashlib
import queue
import sys
import threading

from glance_registry.common import chunked
from glance_registry.common import exception

# Blocks this large keep the per-block hand-off between threads cheap
# (a few tens of microseconds against ~1.5 ms of hashing per MiB).
BLOCK_SIZE = 4 * 1024 * 1024

# Blocks submitted but not yet hashed, per hash: bounds memory to a few
# blocks whatever the image size.
MAX_PENDING_BLOCKS = 2


def _thread_tools():
    """Real OS threads/queues, and a way to wait on them without blocking.

    Under eventlet (threads monkey-patched) ``threading`` would give green
    threads that never leave the hub's OS thread, and a blocking ``get`` on a
    real queue would stall the hub (and with it every other request and the
    RabbitMQ heartbeats), so waiting goes through eventlet's OS thread pool.
    Last, a way to yield to the hub (None without eventlet). This is the
    only place the upload path knows about eventlet.
    """
    eventlet = sys.modules.get('eventlet')
    if eventlet is not None:
        from eventlet import patcher
        if patcher.is_monkey_patched('thread'):
            from eventlet import tpool
            return (patcher.original('threading'), patcher.original('queue'),
                    tpool.execute, eventlet.sleep)
    return threading, queue, None, None


class _HashWorker:
    """Feeds one hash object, block after block in order, from an OS thread."""

    def __init__(self, hash_object, tools):
        threading_module, queue_module, self._offload, _ = tools
        self.hash = hash_object
        self._empty = queue_module.Empty
        self._todo = queue_module.Queue()
        self._done = queue_module.Queue()
        self.pending = 0
        self._thread = threading_module.Thread(
            target=self._run, name='hash-%s' % hash_object.name, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            block = self._todo.get()
            if block is None:
                return
            self.hash.update(block)
            self._done.put(None)

    def submit(self, block):
        self.pending += 1
        self._todo.put(block)

    def wait(self, max_pending=0):
        """Wait until at most ``max_pending`` blocks are left to hash."""
        while self.pending > max_pending:
            try:
                self._done.get_nowait()
            except self._empty:
                if self._offload is not None:
                    self._offload(self._done.get)
                else:
                    self._done.get()
            self.pending -= 1

    def stop(self):
        self._todo.put(None)


class ImageReader:
    """Reads an upload body once: enforces the size limit, counts, hashes.

    ``source`` is any object with ``read(n)`` (``wsgi.input``);
    ``expected_size`` the declared Content-Length (None for chunked
    transfer); ``max_size`` the most bytes allowed (None: no limit) and
    ``too_large`` a callable returning the exception to raise past it;
    ``inspector`` an :class:`glance_api.inspection.ImageInspector` (None:
    no format checks), which raises ImageFormatCheckFailed from ``read``
    as soon as it refuses the data.

    After the store has read to the end, :meth:`finish` confirms every byte
    read was handed out, makes the inspector's last checks and fills
    ``size``, ``checksum`` (md5 hex), ``os_hash_algo``, ``os_hash_value``
    and ``virtual_size``. :meth:`close` always ends the hashing threads.
    """

    def __init__(self, source, hashing_algorithm='sha512',
                 expected_size=None, max_size=None, too_large=None,
                 block_size=BLOCK_SIZE, inspector=None):
        self.source = source
        self.inspector = inspector
        self.expected_size = expected_size
        self.max_size = max_size
        self.too_large = too_large or (
            lambda: exception.ImageSizeLimitExceeded(limit=max_size))
        self.block_size = block_size
        self.os_hash_algo = hashing_algorithm
        if (max_size is not None and expected_size is not None
                and expected_size > max_size):
            raise self.too_large()
        multihash = hashlib.new(hashing_algorithm)
        tools = _thread_tools()
        self._cooperate = tools[3]
        self._workers = [_HashWorker(hashlib.md5(usedforsecurity=False),
                                     tools)]
        self._workers.append(_HashWorker(multihash, tools))
        self.size = 0
        self.checksum = None
        self.os_hash_value = None
        self.virtual_size = None
        self._block = b''
        self._offset = 0
        self._eof = False
        self._closed = False
        # A chunked request body (glance_registry.common.wsgi) refuses a
        # chunk declaring more than the upload may take as soon as its size
        # line is read, instead of waiting for data the client will never
        # send.
        set_max_length = getattr(source, 'set_max_length', None)
        if set_max_length is not None and max_size is not None:
            set_max_length(max_size)

    def read(self, size=-1):
        """Up to ``size`` bytes of the body (one block if ``size`` < 0);
        b'' at the end."""
        if self._offset >= len(self._block):
            if self._eof or not self._fill():
                return b''
        block, offset = self._block, self._offset
        if size is None or size < 0 or size >= len(block) - offset:
            self._block, self._offset = b'', 0
            return block if offset == 0 else block[offset:]
        self._offset = offset + size
        return block[offset:offset + size]

    def _fill(self):
        """Take the next block from the source; False at the end."""
        want = self.block_size
        if self.max_size is not None:
            # One byte past the limit is enough to know it is exceeded.
            want = max(1, min(want, self.max_size - self.size + 1))
        try:
            block = self.source.read(want)
        except chunked.ChunkTooLarge:
            raise self.too_large() from None
        except ValueError:
            # eventlet's ChunkReadError (and http.client's reading a bad
            # chunk of a copy-from source) are ValueErrors: the sender's
            # fault, not the server's.
            raise exception.InvalidRequest(
                reason='the image data is not valid chunked transfer '
                       'encoding') from None
        if not block:
            self._eof = True
            if (self.expected_size is not None
                    and self.size < self.expected_size):
                raise exception.InvalidRequest(
                    reason='image data ended after %d of the %d bytes '
                           'declared in Content-Length'
                    % (self.size, self.expected_size))
            return False
        if self.max_size is not None and self.size + len(block) > \
                self.max_size:
            raise self.too_large()
        self.size += len(block)
        if self._cooperate is not None:
            # A socket that always has data never makes a read wait, so
            # without this an upload holds the hub until it ends: lease
            # renewals starve (the registry then gives the image up) and
            # other requests wait. Once per block: ~256 switches a GiB.
            self._cooperate(0)
        if self.inspector is not None:
            self.inspector.feed(block)
        for worker in self._workers:
            worker.wait(MAX_PENDING_BLOCKS - 1)
            worker.submit(block)
        self._block, self._offset = block, 0
        return True

    def finish(self):
        """Confirm the body was read to its end and compute the hashes."""
        unread = self._offset < len(self._block)
        if unread or (not self._eof and self._fill()):
            raise exception.InvalidRequest(
                reason='the store stopped reading the image data after %d '
                       'bytes' % (self.size - len(self._block) + self._offset))
        if self.inspector is not None:
            self.virtual_size = self.inspector.finish(self.size)
        for worker in self._workers:
            worker.wait()
        md5, multihash = self._workers
        self.checksum = md5.hash.hexdigest()
        self.os_hash_value = multihash.hash.hexdigest()
        self.close()
        return self

    def close(self):
        if not self._closed:
            self._closed = True
            for worker in self._workers:
                worker.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class IteratorReader:
    """``read(n)`` over an iterator of byte chunks (a store's get)."""

    def __init__(self, iterator):
        self.iterator = iter(iterator)
        self.source = iterator
        self.buffer = b''

    def read(self, size=-1):
        while not self.buffer:
            try:
                self.buffer = next(self.iterator)
            except StopIteration:
                return b''
        if size is None or size < 0 or size >= len(self.buffer):
            chunk, self.buffer = self.buffer, b''
            return chunk
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

    def close(self):
        close = getattr(self.source, 'close', None)
        if close is not None:
            close()
