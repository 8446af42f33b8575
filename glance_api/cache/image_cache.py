"""One node's image cache: files in ``image_cache_dir``, records in the
registry.

Layout, as upstream keeps it::

    image_cache_dir/<image id>              committed data, served on a hit
    image_cache_dir/incomplete/<image id>   being written by one download
    image_cache_dir/invalid/<image id>      failed its size or checksum
    image_cache_dir/queue/<image id>        queued for the prefetcher

A file is committed (renamed out of incomplete/) only when its size and md5
match the image; then the registry records it for this node (its
``worker_self_reference_url``), with the file's mtime. A hit is served only
when the registry still holds that record and the file's size and mtime are
the recorded ones: a file changed since, or a record the image's deletion
removed, is discarded and the download goes to the store.
"""

import collections
import datetime
import errno
import hashlib
import os
import socket
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import uuidutils

from glance_api import metrics
from glance_api import reader
from glance_api import staging
from glance_api import versions
from glance_registry.common import context as context_module
from glance_registry.common import exception
from glance_registry.common import wsgi  # noqa: F401 (bind_port)

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

image_cache_opts = [
    cfg.StrOpt('image_cache_dir', default='/var/lib/glance/image-cache',
               help='Folder of this node\'s image cache (with incomplete/, '
                    'invalid/ and queue/ inside). The cache is used when '
                    'the paste flavor has it: caching, cachemanagement, '
                    'keystone+caching, keystone+cachemanagement.'),
    cfg.IntOpt('image_cache_max_size', default=10 * 1024 ** 3, min=0,
               help='Bytes the pruner brings the cache down to, least '
                    'recently used images first. Downloads may fill the '
                    'cache past it until the pruner runs.'),
    cfg.IntOpt('image_cache_stall_time', default=86400, min=0,
               help='Seconds after which the cleaner removes an incomplete '
                    'cache file nobody writes to any more.'),
    cfg.StrOpt('image_cache_driver', default='centralized_db',
               choices=[('centralized_db',
                         'records in the registry database, one view of '
                         'every glance-api node')],
               help='Where the cache records are kept.'),
    cfg.IntOpt('cache_prefetcher_interval', default=300, min=0,
               help='Seconds between two runs of the prefetcher (queued '
                    'images), cleaner and pruner inside glance-api; 0 runs '
                    'none (use the glance-cache-* commands from cron).'),
]

CONF.register_opts(image_cache_opts)
# Declared with the staging area, which reads it too.
CONF.register_opt(staging.self_url_opt)

# Set in a request's environ by the paste filter of the caching flavors
# (glance_api.cache.middleware): this request may use the cache.
ENV_CACHE = versions.ENV_CACHE

# Large reads keep per-chunk Python work small against the bytes moved.
CHUNK_SIZE = 1024 * 1024

# Chunks read from the store but not yet on disk, per download: bounds
# memory whatever the image size.
MAX_PENDING_CHUNKS = 2

# Hits, misses and bytes served from the cache since the process started,
# for the metrics endpoint.
COUNTERS = collections.Counter()


def count_lookup(hit):
    """One cache lookup, in COUNTERS and in /metrics."""
    COUNTERS['hits' if hit else 'misses'] += 1
    metrics.record_cache_lookup(hit)


def list_opts():
    return image_cache_opts


def node_reference(conf=CONF):
    """The name of this node in the registry's cache records."""
    if conf.worker_self_reference_url:
        return conf.worker_self_reference_url
    return 'http://%s:%d' % (socket.gethostname(), conf.bind_port or 9292)


def mtime_of(stat):
    """A file's mtime as the registry keeps it (ISO 8601, microseconds)."""
    when = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=stat.st_mtime_ns // 1000)
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


def remove_file(path):
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


class _FileFeed:
    """Writes and hashes each chunk handed to it (from the writer thread);
    after a write error it only remembers the error."""

    name = 'image-cache-writer'

    def __init__(self, handle):
        self.handle = handle
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        self.error = None

    def update(self, chunk):
        if self.error is not None:
            return
        try:
            self.handle.write(chunk)
        except (OSError, ValueError) as e:
            self.error = e
            return
        self.md5.update(chunk)
        self.size += len(chunk)


class ImageCache:
    """The cache of this node; built once per process by glance-api (and by
    each console script)."""

    def __init__(self, conf, registry):
        self.conf = conf
        self.registry = registry
        self.base = conf.image_cache_dir
        self.node = node_reference(conf)
        self.admin_context = context_module.get_admin_context()
        self._periodic = None
        for folder in ('incomplete', 'invalid', 'queue'):
            os.makedirs(os.path.join(self.base, folder), exist_ok=True)

    def path(self, image_id, folder=None):
        if not uuidutils.is_uuid_like(image_id):
            # Image ids name files here: never a path of the caller's.
            raise exception.ImageNotFound(image_id=image_id)
        if folder is None:
            return os.path.join(self.base, image_id)
        return os.path.join(self.base, folder, image_id)

    def cached_ids(self):
        """Ids of the committed files on this node."""
        return [name for name in os.listdir(self.base)
                if uuidutils.is_uuid_like(name)]

    # Serving --------------------------------------------------------------

    def open_hit(self, context, image, start=0, stop=None):
        """``(iterator, length)`` of bytes ``[start, stop)`` of the cached
        copy of the active ``image``, or None when this node has no sound
        copy (then the download reads the store)."""
        if image.get('status') != 'active' or not image.get('checksum'):
            return None
        path = self.path(image['id'])
        try:
            handle = open(path, 'rb')
        except FileNotFoundError:
            count_lookup(hit=False)
            return None
        try:
            stat = os.fstat(handle.fileno())
            record = self.registry.cached_image_hit(
                context, node=self.node, image_id=image['id'])
            problem = self.record_problem(record, stat, image)
            if problem:
                LOG.warning('Image %s: cache file discarded: %s',
                            image['id'], problem)
                handle.close()
                self.discard(context, image['id'], forget=record is not None)
                count_lookup(hit=False)
                return None
            size = stat.st_size
            stop = size if stop is None else min(stop, size)
            handle.seek(start)
        except Exception:
            handle.close()
            raise
        count_lookup(hit=True)
        return self.read_file(handle, stop - start), stop - start

    @staticmethod
    def record_problem(record, stat, image):
        """Why a cache file with ``stat`` must not be served for ``image``
        according to its registry ``record``, or None."""
        if record is None:
            return 'no record of it (the image was deleted or uncached)'
        if record['size'] != stat.st_size:
            return 'size %d, recorded %d' % (stat.st_size, record['size'])
        if (record.get('last_modified') or '')[:26] != mtime_of(stat):
            return 'changed since it was committed'
        if record['size'] != image.get('size') or (
                record.get('checksum') != image.get('checksum')):
            return 'not the data of the image any more'
        return None

    @staticmethod
    def read_file(handle, length):
        served = 0
        try:
            with handle:
                while length > 0:
                    chunk = handle.read(min(CHUNK_SIZE, length))
                    if not chunk:
                        raise exception.GlanceException(
                            'cache file ended %d bytes early' % length)
                    length -= len(chunk)
                    served += len(chunk)
                    yield chunk
        finally:
            # Counted once per download, however it ended.
            COUNTERS['bytes_served'] += served
            metrics.record_cache_bytes(served)

    # Filling --------------------------------------------------------------

    def can_fill(self, image):
        return (image.get('status') == 'active' and
                bool(image.get('checksum')) and
                image.get('size') is not None)

    def tee(self, context, image, iterator):
        """``iterator`` (the image's whole data from a store), also written
        to incomplete/ and committed at its end if size and checksum
        match. Another download already filling it: ``iterator`` as is."""
        if not self.can_fill(image):
            return iterator
        incomplete = self.path(image['id'], 'incomplete')
        try:
            # Exclusive: one download per image fills the cache at a time.
            handle = open(incomplete, 'xb')
        except FileExistsError:
            return iterator
        except OSError as e:
            LOG.warning('Image %s: cannot cache: %s', image['id'], e)
            return iterator
        return self._fill(context, image, iterator, handle, incomplete)

    def _fill(self, context, image, iterator, handle, incomplete):
        feed = _FileFeed(handle)
        # The upload reader's ordered OS-thread feeder: the disk write and
        # md5 of chunk n run while chunk n goes to the client, and the
        # eventlet hub never waits for either.
        writer = reader._HashWorker(feed, reader._thread_tools())
        complete = False
        try:
            for chunk in iterator:
                writer.wait(MAX_PENDING_CHUNKS - 1)
                writer.submit(chunk)
                yield chunk
            writer.wait()
            complete = feed.error is None
        finally:
            writer.wait()
            writer.stop()
            handle.close()
            close = getattr(iterator, 'close', None)
            if close is not None:
                close()
            if not complete:
                # The client went away, the store failed or the disk did.
                if feed.error is not None:
                    LOG.warning('Image %s: cache write failed: %s',
                                image['id'], feed.error)
                remove_file(incomplete)
        if complete:
            try:
                self.commit(context, image, incomplete, feed.size,
                            feed.md5.hexdigest())
            except Exception:
                # The client has every byte: a cache failure is ours.
                LOG.exception('Image %s: cannot commit the cache file',
                              image['id'])
                remove_file(incomplete)

    def commit(self, context, image, incomplete, size, checksum):
        """Move a written file into the cache and record it, or into
        invalid/ when it is not the image's data."""
        image_id = image['id']
        if size != image['size'] or checksum != image['checksum']:
            LOG.error('Image %s: not cached: read %d bytes with md5 %s, the '
                      'image has %d bytes with md5 %s', image_id, size,
                      checksum, image['size'], image['checksum'])
            os.replace(incomplete, self.path(image_id, 'invalid'))
            return False
        final = self.path(image_id)
        os.replace(incomplete, final)
        try:
            self.registry.cached_image_create(
                context, node=self.node, image_id=image_id, size=size,
                checksum=checksum, last_modified=mtime_of(os.stat(final)))
            # The image may have been deleted while it was read.
            current = self.registry.image_get(context, image_id=image_id)
            if current.get('status') != 'active':
                raise exception.ImageNotFound(image_id=image_id)
        except exception.GlanceException as e:
            LOG.warning('Image %s: not cached: %s', image_id, e)
            self.discard(context, image_id)
            return False
        LOG.info('Image %s: cached (%d bytes)', image_id, size)
        return True

    # Removing -------------------------------------------------------------

    def discard(self, context, image_id, forget=True):
        """Remove this node's copy of an image and its record; whether
        there was a file."""
        removed = remove_file(self.path(image_id))
        if forget:
            try:
                self.registry.cached_image_delete(
                    context or self.admin_context, image_id=image_id,
                    node=self.node)
            except exception.ImageNotFound:
                pass
        return removed

    def discard_all(self, context):
        """Remove every committed file of this node and their records; how
        many files."""
        removed = 0
        for image_id in self.cached_ids():
            removed += remove_file(self.path(image_id))
        self.registry.cached_image_delete_all(
            context or self.admin_context, node=self.node)
        return removed

    def records(self, context):
        """This node's registry records, least recently used first."""
        return self.registry.cached_image_get_all(
            context or self.admin_context, node=self.node)

    # Queue ----------------------------------------------------------------

    def queue(self, image_id):
        """Queue an image for the prefetcher (a no-op when queued)."""
        with open(self.path(image_id, 'queue'), 'ab'):
            pass

    def queued_ids(self):
        folder = os.path.join(self.base, 'queue')
        entries = []
        for name in os.listdir(folder):
            if uuidutils.is_uuid_like(name):
                try:
                    entries.append((os.stat(os.path.join(folder, name))
                                    .st_mtime_ns, name))
                except FileNotFoundError:
                    continue
        return [name for _, name in sorted(entries)]

    def dequeue(self, image_id):
        return remove_file(self.path(image_id, 'queue'))

    def dequeue_all(self):
        return sum(self.dequeue(image_id) for image_id in self.queued_ids())

    # Periodic jobs ------------------------------------------------------

    def start_periodic(self, job):
        """Run ``job()`` every ``cache_prefetcher_interval`` seconds in a
        thread of this process (a green thread under eventlet); once."""
        interval = self.conf.cache_prefetcher_interval
        if self._periodic is not None or not interval:
            return
        self._periodic = threading.Thread(
            target=self._run_periodic, args=(job, interval),
            name='image-cache-periodic', daemon=True)
        self._periodic.start()

    @staticmethod
    def _run_periodic(job, interval):
        while True:
            try:
                job()
            except Exception:
                LOG.exception('Image cache periodic job failed')
            time.sleep(interval)


def stall_age(path, now=None):
    """Seconds since ``path`` was last written; None when it is gone."""
    try:
        return (now or time.time()) - os.stat(path).st_mtime
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise


_CACHES = {}


def get_cache(conf, registry):
    """The one ImageCache of ``conf`` in this process."""
    if id(conf) not in _CACHES:
        _CACHES[id(conf)] = ImageCache(conf, registry)
    return _CACHES[id(conf)]
