"""The rbd store: each image as a Ceph RBD image with a protected snapshot.

An upload creates an RBD image named after the image id (format 2, the
layering feature, objects of ``rbd_store_chunk_size``), writes the data,
then creates the snapshot ``snap`` and protects it. The location
``rbd://<fsid>/<pool>/<image>/snap`` names that snapshot, which Nova and
Cinder clone copy-on-write instead of downloading the image. Reads go
through the snapshot too, so the bytes behind a location never change.

A delete unprotects and removes the snapshot, then the image. While a clone
of the snapshot exists Ceph refuses the unprotect; the store then answers
:class:`~glance_store.exceptions.InUse` (409) and leaves the image whole.

librados and librbd block in C (they release the GIL). Under eventlet every
such call goes through :func:`glance_store.blocking.call`, so the hub keeps
serving others. The one cluster connection of a store is opened on first
use and shared by all requests (librados is thread-safe);
``rados_connect_timeout`` bounds how long an unreachable cluster can hold a
request, and ``rbd_store_op_timeout`` how long one read or write to a
stopped OSD can.
"""

import datetime
import functools
import math
import threading
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging

from glance_store import blocking
from glance_store import driver
from glance_store import exceptions

try:
    import rados
    import rbd
except ImportError:     # Debian's python3-rados/python3-rbd, not on PyPI
    rados = rbd = None

LOG = logging.getLogger(__name__)

SNAPSHOT = 'snap'
MiB = 1024 * 1024

OPTIONS = [
    cfg.IntOpt('rbd_store_chunk_size',
               default=8, min=1,
               help='Size in MiB of the RADOS objects an image is split '
                    'into, and of each write during an upload. A power of '
                    'two; other values are rounded down to one.'),
    cfg.StrOpt('rbd_store_pool',
               default='images',
               help='RADOS pool the rbd store writes images to.'),
    cfg.StrOpt('rbd_store_user',
               help='Ceph user (without the "client." prefix) the rbd '
                    'store authenticates as. Unset: librados\'s default '
                    'user (admin), with the keyring named in the ceph '
                    'configuration file.'),
    cfg.StrOpt('rbd_store_ceph_conf',
               default='/etc/ceph/ceph.conf',
               help='Ceph configuration file that names the monitors (and '
                    'the keyring). Empty: librados\'s default search '
                    '($CEPH_CONF, /etc/ceph/ceph.conf, ~/.ceph/config, '
                    './ceph.conf).'),
    cfg.IntOpt('rados_connect_timeout',
               default=0, min=0,
               help='Seconds to wait for the Ceph monitors when connecting '
                    'before answering 503. 0 keeps librados\'s own '
                    'client_mount_timeout (300 s).'),
    cfg.IntOpt('rbd_store_op_timeout',
               default=0, min=0,
               help='Seconds a single request to the Ceph OSDs or monitors '
                    'may take before it fails (librados '
                    'rados_osd_op_timeout and rados_mon_op_timeout), so an '
                    'upload or download to a stopped OSD fails with 503 '
                    'instead of waiting for the OSD to return. 0: no '
                    'limit, librados\'s default.'),
    cfg.BoolOpt('rbd_thin_provisioning',
                default=False,
                help='Skip writing chunks that are all zero bytes during an '
                     'upload, so sparse images (e.g. raw disks) take only '
                     'the space of their data. The image reads the same.'),
]


class RbdLocation:
    """The parts of ``rbd://<fsid>/<pool>/<image>/<snapshot>``.

    The short form ``rbd://<image>`` (early Glance) names an image in the
    store's own pool, without a snapshot. Parts are percent-encoded.
    """

    def __init__(self, fsid, pool, image, snapshot):
        self.fsid = fsid
        self.pool = pool
        self.image = image
        self.snapshot = snapshot

    @classmethod
    def parse(cls, location, default_pool):
        # urlsplit has already split netloc from path; join them back and
        # split on '/' ourselves, as every part may be percent-encoded.
        raw = location.uri.split('://', 1)[1]
        if location.query or '#' in raw:
            raise cls._bad(location, 'unexpected query or fragment')
        parts = [urllib.parse.unquote(p) for p in raw.split('/')]
        if len(parts) == 4 and all(parts):
            return cls(*parts)
        if len(parts) == 1 and parts[0]:
            return cls(None, default_pool, parts[0], None)
        raise cls._bad(location, 'expected rbd://FSID/POOL/IMAGE/SNAPSHOT')

    @staticmethod
    def _bad(location, reason):
        return exceptions.BadStoreUri(uri=location.safe_uri, reason=reason)

    def uri(self):
        return 'rbd://' + '/'.join(
            urllib.parse.quote(p, safe='')
            for p in (self.fsid, self.pool, self.image, self.snapshot))


class Store(driver.Store):
    """Stores each image as an RBD image ``<pool>/<image_id>@snap``."""

    type_name = 'rbd'
    schemes = ('rbd',)
    capabilities = frozenset([driver.READ, driver.RANDOM_READ,
                              driver.WRITE, driver.DELETE])
    OPTIONS = OPTIONS

    def configure(self):
        if rados is None or rbd is None:
            raise exceptions.BadStoreConfiguration(
                store=self.name,
                reason='the Python bindings of librados/librbd (Debian '
                       'python3-rados, python3-rbd) are not importable; '
                       'tools/install-ceph links them into the virtualenv')
        options = self.options
        self.pool = options.rbd_store_pool
        self.user = options.rbd_store_user or None
        self.ceph_conf = options.rbd_store_ceph_conf or ''
        self.connect_timeout = options.rados_connect_timeout
        self.op_timeout = options.rbd_store_op_timeout
        self.thin_provisioning = options.rbd_thin_provisioning
        if not self.pool:
            raise exceptions.BadStoreConfiguration(
                store=self.name, reason='rbd_store_pool is empty')
        # RBD objects are 2**order bytes; order 12 (4 KiB) to 25 (32 MiB).
        self.order = min(25, max(12, int(math.log2(
            options.rbd_store_chunk_size * MiB))))
        self.chunk_size = 2 ** self.order
        self._cluster = None
        self._fsid = None
        self._connect_lock = threading.Lock()

    def properties(self):
        return {'pool': self.pool, 'chunk_size': self.chunk_size,
                'thin_provisioning': self.thin_provisioning}

    # -- the cluster connection --------------------------------------------

    def _connection(self):
        """The store's connected rados client, opened on first use."""
        cluster = self._cluster
        if cluster is not None:
            return cluster
        with self._connect_lock:
            if self._cluster is None:
                self._cluster, self._fsid = blocking.call(self._connect)
            return self._cluster

    def _connect(self):
        try:
            cluster = rados.Rados(conffile=self.ceph_conf,
                                  rados_id=self.user)
        except rados.Error as e:
            raise self._unavailable('cannot read ceph configuration %r: %s'
                                    % (self.ceph_conf, e))
        try:
            if self.connect_timeout:
                # Rados.connect() ignores its own timeout argument
                # (pacific); the config option is what librados reads.
                cluster.conf_set('client_mount_timeout',
                                 str(self.connect_timeout))
            if self.op_timeout:
                for name in ('rados_osd_op_timeout', 'rados_mon_op_timeout'):
                    cluster.conf_set(name, str(self.op_timeout))
            cluster.connect()
            fsid = cluster.get_fsid()
        except rados.Error as e:
            cluster.shutdown()
            raise self._unavailable('cannot connect to the cluster: %s' % e)
        return cluster, fsid

    def close(self):
        """Shut the cluster connection down (reopened on next use)."""
        with self._connect_lock:
            cluster, self._cluster = self._cluster, None
        if cluster is not None:
            blocking.call(cluster.shutdown)

    def _unavailable(self, reason):
        return exceptions.BackendUnavailable(store=self.name, reason=reason)

    def _open_pool(self, pool, location=None):
        """An ioctx on ``pool``. A missing pool is NotFound for a location
        and a configuration fault for the store's own pool."""
        cluster = self._connection()
        try:
            return blocking.call(cluster.open_ioctx, pool)
        except rados.ObjectNotFound:
            if location is not None:
                raise exceptions.NotFound(uri=location.safe_uri)
            raise self._unavailable('pool %r does not exist' % pool)
        except rados.Error as e:
            raise self._unavailable('cannot open pool %r: %s' % (pool, e))

    # -- locations ---------------------------------------------------------

    def _locate(self, location):
        location = self.parse(location)
        return location, RbdLocation.parse(location, self.pool)

    def owns(self, location):
        """An rbd location of this store's pool, and of its cluster when
        the cluster's fsid is known (after the first connection)."""
        try:
            location, rbd_location = self._locate(location)
        except exceptions.StoreError:
            return False
        if rbd_location.pool != self.pool:
            return False
        return (rbd_location.fsid is None or self._fsid is None
                or rbd_location.fsid == self._fsid)

    def manages(self, location, image_id=None):
        """An rbd location in the store's pool, whatever cluster id it
        names (the short form ``rbd://IMAGE`` means the store's pool), but
        for the RBD image ``image_id`` (any snapshot), that image's own."""
        try:
            _, rbd_location = self._locate(location)
        except exceptions.StoreError:
            return False
        return rbd_location.pool == self.pool and not (
            image_id and rbd_location.image == image_id)

    # -- the audit's view: what the pool holds -----------------------------

    def list_objects(self):
        """Every RBD image of the store's pool, with or without its
        snapshot (an image without one is a cut-off upload); the key is
        the image name, the time its creation."""
        ioctx = self._open_pool(self.pool)
        try:
            objects = blocking.call(_list_images, ioctx)
        except rbd.Error as e:
            raise self._unavailable('cannot list pool %r: %s'
                                    % (self.pool, e))
        finally:
            blocking.call(ioctx.close)
        for name, size, created, has_snapshot in objects:
            parts = [self._fsid, self.pool, name] + (
                [SNAPSHOT] if has_snapshot else [])
            uri = 'rbd://' + '/'.join(urllib.parse.quote(p, safe='')
                                      for p in parts)
            yield driver.StoreObject(name, uri, name, size, created)

    def object_key(self, location):
        """The image name of a location of this store's pool (and
        cluster)."""
        if not self.owns(location):
            return None
        return self._locate(location)[1].image

    def delete_object(self, key):
        ioctx = self._open_pool(self.pool)
        uri = 'rbd://%s/%s' % (urllib.parse.quote(self.pool, safe=''),
                               urllib.parse.quote(key, safe=''))
        try:
            blocking.call(_remove_image, ioctx, key, SNAPSHOT)
        except rbd.ImageNotFound:
            raise exceptions.NotFound(uri=uri)
        except (rbd.ImageBusy, rbd.ImageHasSnapshots) as e:
            raise exceptions.InUse(uri=uri, reason=str(e))
        except rbd.Error as e:
            raise self._unavailable('cannot delete %s: %s' % (uri, e))
        finally:
            blocking.call(ioctx.close)
        LOG.info('Deleted %s from store %s', uri, self.name)

    # -- writing -----------------------------------------------------------

    def add(self, image_id, reader, size):
        if not isinstance(image_id, str) or not image_id or '/' in image_id:
            raise exceptions.BadStoreUri(uri=repr(image_id),
                                         reason='not a valid image id')
        ioctx = self._open_pool(self.pool)
        try:
            location = RbdLocation(self._fsid, self.pool, image_id, SNAPSHOT)
            self._create(ioctx, image_id, size or 0, location)
            try:
                image = blocking.call(rbd.Image, ioctx, image_id)
            except BaseException:
                self._remove_partial(ioctx, image_id)
                raise
            try:
                written = self._write(image, reader, size or 0)
                blocking.call(_snapshot_and_protect, image)
            except BaseException:
                blocking.call(image.close)
                self._remove_partial(ioctx, image_id)
                raise
            blocking.call(image.close)
        finally:
            blocking.call(ioctx.close)
        LOG.debug('Wrote %d bytes of image %s to %s', written, image_id,
                  location.uri())
        return driver.AddResult(location.uri(), written, self.metadata())

    def _create(self, ioctx, image_id, size, location):
        create = functools.partial(
            blocking.call, rbd.RBD().create, ioctx, image_id, size,
            order=self.order, old_format=False,
            features=rbd.RBD_FEATURE_LAYERING)
        try:
            try:
                create()
            except rbd.ImageExists:
                # An image without its snapshot is what an upload left when
                # its clean-up could not reach the cluster: no location can
                # name it (locations name the snapshot), so it goes.
                try:
                    removed = blocking.call(_remove_if_partial, ioctx,
                                            image_id)
                except rbd.ImageBusy:
                    # Still open (watched) by the glance-api that wrote
                    # it, killed: the OSD drops the watch after
                    # osd_client_watch_timeout (30 s by default).
                    raise self._unavailable(
                        'the partial image %s of an earlier upload is still '
                        'open by its writer; retry once the cluster has '
                        'released it (osd_client_watch_timeout)' % image_id)
                if not removed:
                    raise exceptions.Duplicate(image_id=image_id,
                                               uri=location.uri())
                LOG.warning('Removed the partial image %s a failed upload '
                            'left in pool %s', image_id, self.pool)
                create()
        except rbd.ImageExists:
            raise exceptions.Duplicate(image_id=image_id, uri=location.uri())
        except rbd.Error as e:
            raise self._write_error(e)

    def _write(self, image, reader, size):
        """Copy ``reader`` into ``image``, growing it a chunk at a time when
        the data outruns ``size``; cut it to the bytes written at the end.
        Exceptions from the reader propagate unchanged."""
        image_size = size
        offset = 0
        while True:
            chunk = reader.read(self.chunk_size)
            if not chunk:
                break
            if not isinstance(chunk, bytes):    # librbd takes bytes only
                chunk = bytes(chunk)
            end = offset + len(chunk)
            try:
                if end > image_size:
                    image_size = max(end, image_size + self.chunk_size)
                    blocking.call(image.resize, image_size)
                if not (self.thin_provisioning
                        and chunk.count(0) == len(chunk)):
                    blocking.call(_write_all, image, chunk, offset)
            except rbd.Error as e:
                raise self._write_error(e)
            offset = end
        if offset != image_size:
            try:
                blocking.call(image.resize, offset)
            except rbd.Error as e:
                raise self._write_error(e)
        return offset

    def _write_error(self, error):
        if isinstance(error, (rbd.NoSpace, rbd.DiskQuotaExceeded)):
            return exceptions.StorageFull(store=self.name)
        return self._unavailable('error writing image data: %s' % error)

    def _remove_partial(self, ioctx, image_id):
        try:
            blocking.call(_remove_image, ioctx, image_id, SNAPSHOT)
        except Exception as e:
            LOG.error('Could not remove partial image %s from pool %s: %s',
                      image_id, self.pool, e)

    # -- reading -----------------------------------------------------------

    def _open_image(self, location, rbd_location):
        """(ioctx, read-only image at the location's snapshot)."""
        ioctx = self._open_pool(rbd_location.pool, location)
        try:
            image = blocking.call(rbd.Image, ioctx, rbd_location.image,
                                  snapshot=rbd_location.snapshot,
                                  read_only=True)
        except rbd.ImageNotFound:
            ioctx.close()
            raise exceptions.NotFound(uri=location.safe_uri)
        except BaseException as e:
            ioctx.close()
            if isinstance(e, rbd.Error):
                raise self._unavailable('cannot open %s: %s'
                                        % (location.safe_uri, e))
            raise
        return ioctx, image

    def get(self, location, offset=0, length=None, chunk_size=None):
        location, rbd_location = self._locate(location)
        ioctx, image = self._open_image(location, rbd_location)
        iterator = ImageIterator(ioctx, image, offset or 0, 0,
                                 chunk_size or driver.DEFAULT_READ_CHUNK_SIZE)
        try:
            size = blocking.call(image.size)
            iterator.remaining = driver.check_range(offset, length, size)
        except BaseException:
            iterator.close()
            raise
        return iterator, iterator.remaining

    def get_size(self, location):
        location, rbd_location = self._locate(location)
        ioctx, image = self._open_image(location, rbd_location)
        try:
            return blocking.call(image.size)
        finally:
            blocking.call(_close_all, image, ioctx)

    # -- deleting ----------------------------------------------------------

    def delete(self, location):
        location, rbd_location = self._locate(location)
        ioctx = self._open_pool(rbd_location.pool, location)
        try:
            blocking.call(_remove_image, ioctx, rbd_location.image,
                          rbd_location.snapshot)
        except rbd.ImageNotFound:
            raise exceptions.NotFound(uri=location.safe_uri)
        except rbd.ImageBusy:
            raise exceptions.InUse(
                uri=location.safe_uri,
                reason='the snapshot has clones (or the image is open); '
                       'flatten or delete them first')
        except rbd.ImageHasSnapshots:
            raise exceptions.InUse(
                uri=location.safe_uri,
                reason='the image has other snapshots')
        except rbd.Error as e:
            raise self._unavailable('cannot delete %s: %s'
                                    % (location.safe_uri, e))
        finally:
            blocking.call(ioctx.close)
        LOG.debug('Deleted image data %s', location.safe_uri)


class ImageIterator:
    """Yields ``count`` bytes of an open RBD image from ``offset`` in chunks;
    closes the image at the end or on ``close()`` (a client that hung up)."""

    def __init__(self, ioctx, image, offset, count, chunk_size):
        self.ioctx = ioctx
        self.image = image
        self.position = offset
        self.remaining = count
        self.chunk_size = chunk_size

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining <= 0 or self.image is None:
            self.close()
            raise StopIteration
        chunk = blocking.call(self.image.read, self.position,
                              min(self.chunk_size, self.remaining))
        if not chunk:
            LOG.warning('RBD image ended %d bytes early', self.remaining)
            self.close()
            raise StopIteration
        self.position += len(chunk)
        self.remaining -= len(chunk)
        return chunk

    def close(self):
        if self.image is not None:
            image, self.image = self.image, None
            blocking.call(_close_all, image, self.ioctx)

    def __del__(self):
        self.close()


# Sequences of librbd calls, each run as one blocking.call.

def _write_all(image, data, offset):
    written = image.write(data, offset)
    if written != len(data):
        raise rbd.IncompleteWriteError(
            'wrote %d of %d bytes at offset %d' % (written, len(data), offset))


def _snapshot_and_protect(image):
    image.create_snap(SNAPSHOT)
    image.protect_snap(SNAPSHOT)


def _close_all(image, ioctx):
    try:
        image.close()
    finally:
        ioctx.close()


def _remove_image(ioctx, name, snapshot):
    """Unprotect and remove ``snapshot`` (when given and present), then
    remove the image. rbd.ImageBusy from the unprotect means clones exist:
    the image is left as it was."""
    if snapshot:
        with rbd.Image(ioctx, name) as image:
            if any(s['name'] == snapshot for s in image.list_snaps()):
                if image.is_protected_snap(snapshot):
                    image.unprotect_snap(snapshot)
                image.remove_snap(snapshot)
    rbd.RBD().remove(ioctx, name)


def _list_images(ioctx):
    """(name, size, creation timestamp, has the snapshot) of each image
    of the pool; images removed meanwhile are left out."""
    images = []
    for name in rbd.RBD().list(ioctx):
        try:
            with rbd.Image(ioctx, name, read_only=True) as image:
                images.append((
                    name, image.size(), _utc(image.create_timestamp()),
                    any(s['name'] == SNAPSHOT for s in image.list_snaps())))
        except rbd.ImageNotFound:
            continue
    return images


def _utc(moment):
    """A naive UTC datetime (what the bindings give) as a POSIX
    timestamp."""
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def _remove_if_partial(ioctx, name):
    """Remove image ``name`` when it has no snapshot; whether it did (or
    the image is gone already)."""
    try:
        with rbd.Image(ioctx, name) as image:
            # list_snaps() is an iterator, always true.
            if any(True for _ in image.list_snaps()):
                return False
    except rbd.ImageNotFound:
        return True
    try:
        rbd.RBD().remove(ioctx, name)
    except rbd.ImageNotFound:
        pass
    return True
