"""The store driver interface every backend implements."""

import collections

from glance_store import exceptions
from glance_store import location as location_mod

# Capabilities a driver may declare.
READ = 'read'                  # get / get_size
RANDOM_READ = 'random_read'    # get with offset/length without reading ahead
WRITE = 'write'                # add
DELETE = 'delete'              # delete

DEFAULT_READ_CHUNK_SIZE = 1024 * 1024


AddResult = collections.namedtuple('AddResult', 'location size metadata')
AddResult.__doc__ = """What ``add`` stored: the location URI, the number of
bytes written and driver metadata (at least ``{"store": name}``)."""

StoreObject = collections.namedtuple(
    'StoreObject', 'key uri image_id size modified_at')
StoreObject.__doc__ = """One piece of data a store holds in its own space:
its ``key`` in the store (what :meth:`Store.object_key` gives for a location
naming it), a ``uri`` to show, the ``image_id`` it was written for (None
when its name says none), its ``size`` in bytes and ``modified_at`` (a POSIX
timestamp)."""


class Store:
    """Base class of the drivers.

    A driver is built once from the config group that holds its options
    (``[glance_store]`` with a single store, the backend's own group with
    ``enabled_backends``) and is then used concurrently by many requests, so
    drivers keep no per-request state on ``self``.
    """

    #: URI schemes this driver reads.
    schemes = ()
    #: Capabilities (READ, RANDOM_READ, WRITE, DELETE).
    capabilities = frozenset()
    #: oslo.config options the driver reads from its group.
    OPTIONS = []
    #: What GET /v2/info/stores tells users (the backend's
    #: ``store_description``); set by the Stores facade.
    description = None
    #: How much the store is preferred (its group's ``weight``); set by
    #: the Stores facade.
    weight = 0

    def __init__(self, conf, group='glance_store', name=None,
                 url_filter=None):
        self.conf = conf
        self.group = group
        self.name = name or self.type_name
        self.options = conf[group]
        #: The embedding service's check of URLs a driver fetches from on a
        #: user's behalf: ``url_filter(url)`` returns the addresses to
        #: connect to, or raises to refuse. None: no check.
        self.url_filter = url_filter
        self.configure()

    @property
    def type_name(self):
        """The store type as written in ``stores``/``enabled_backends``."""
        raise NotImplementedError

    @property
    def writable(self):
        return WRITE in self.capabilities

    def configure(self):
        """Read and check options; raise BadStoreConfiguration when wrong."""

    def owns(self, location):
        """Whether this driver instance holds ``location`` (a parsed
        Location). With several backends of one type, the Stores facade
        asks each in turn."""
        return location.scheme in self.schemes

    def manages(self, location, image_id=None):
        """Whether ``location`` (a URI or parsed Location) names data in
        the space this store writes image data to (its data directories,
        container, bucket or pool), whether or not data is there now;
        the very place where it keeps ``image_id``'s data excepted.

        Such a location belongs to the image the store wrote it for: one
        handed in through the API for another image would let that image
        read, and on delete remove, data not its own. A store that writes
        nothing manages nothing."""
        return False

    def add(self, image_id, reader, size):
        """Store data read from ``reader.read(n)`` until it returns b''.

        ``size`` is the expected size, 0 or None when unknown. If the reader
        raises, the partial data is removed and the same exception
        propagates unchanged. Returns an :class:`AddResult`.
        """
        raise exceptions.StoreAddDisabled(store=self.name)

    def get(self, location, offset=0, length=None, chunk_size=None):
        """Return ``(iterator, size)``: an iterator of bytes chunks (with a
        ``close()``) and the number of bytes it will yield."""
        raise NotImplementedError

    def get_size(self, location):
        """Size in bytes of the data at ``location``."""
        raise NotImplementedError

    def delete(self, location):
        """Remove the data at ``location``; NotFound if there is none."""
        raise exceptions.StoreDeleteNotSupported(store=self.name)

    def list_objects(self):
        """Iterate :class:`StoreObject` for every piece of data in the
        space this store writes to, partial uploads included. Drivers that
        cannot list cheaply raise StoreListNotSupported."""
        raise exceptions.StoreListNotSupported(store=self.name)

    def object_key(self, location):
        """The ``key`` :meth:`list_objects` gives the data ``location``
        names, None when the location is outside this store's space."""
        return None

    def delete_object(self, key):
        """Remove the data :meth:`list_objects` listed as ``key`` (a
        partial upload too); NotFound if it is gone."""
        raise exceptions.StoreDeleteNotSupported(store=self.name)

    def metadata(self):
        return {'store': self.name}

    def check_health(self):
        """None when this store can serve data, else the reason it
        cannot. Drivers without a cheap probe count a configured store as
        up."""
        return None

    def properties(self):
        """Settings an administrator sees in GET /v2/info/stores/detail.
        Never credentials or anything that leads to them."""
        return {}

    def parse(self, uri):
        """Parse ``uri`` (or pass a Location through) and check the scheme."""
        location = (uri if isinstance(uri, location_mod.Location)
                    else location_mod.parse(uri))
        if location.scheme not in self.schemes:
            raise exceptions.UnknownScheme(scheme=location.scheme)
        return location


def check_range(offset, length, size):
    """Validate a byte range against ``size``; return the number of bytes
    the range covers (a length past the end is cut at the end, as HTTP
    does)."""
    offset = offset or 0
    if offset < 0 or (length is not None and length < 0):
        raise exceptions.RangeNotSatisfiable(offset=offset, length=length,
                                             size=size)
    if offset > size or (offset == size and size and length != 0):
        raise exceptions.RangeNotSatisfiable(offset=offset, length=length,
                                             size=size)
    available = size - offset
    return available if length is None else min(length, available)
