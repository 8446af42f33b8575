"""Image data download as named steps, and HTTP byte ranges.

A download reads: get the image -> enforce policy -> refuse deactivated data
to non-admins -> pick the byte range -> with the image cache on, this
node's cached copy if the registry still records it -> else open the first
active location that answers (a whole download of an active image also
filling the cache). No webob here: the controller turns the result into a
response.
"""

import collections
import re

from oslo_config import cfg
from oslo_log import log as logging

from glance_api.cache import image_cache
from glance_api import location_strategy
from glance_api import notifier as notifier_module
from glance_api import policy as policy_module
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# Large chunks keep per-chunk Python work small against the bytes moved.
CHUNK_SIZE = 1024 * 1024

_RANGE = re.compile(r'^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$', re.IGNORECASE)
# The request Content-Range form older Glance clients send for a range.
_CONTENT_RANGE = re.compile(
    r'^\s*bytes\s+(\d+)\s*-\s*(\d+)\s*/\s*(\d+|\*)\s*$', re.IGNORECASE)

ImageData = collections.namedtuple(
    'ImageData', 'image iterator start stop size partial')
ImageData.__doc__ = """Data to send: ``iterator`` yields bytes
``[start, stop)`` of the ``size`` bytes of the image; ``partial`` when a
range was asked. ``iterator`` is None when the image has no data."""


def parse_range(header, size):
    """``(start, stop)`` (stop exclusive) of a single-range ``Range``
    header against ``size`` bytes.

    As RFC 9110 lets a server do, a header that is not one valid byte range
    (unparseable, another unit, several ranges, last before first) is
    ignored: None, and the whole data is sent. A valid range that names no
    byte of the data raises RangeNotSatisfiable (416).
    """
    match = _RANGE.match(header or '')
    if not match or not any(match.groups()):
        return None
    first, last = match.groups()
    if not first:
        # bytes=-n: the last n bytes; a zero-length suffix is unsatisfiable.
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise exception.RangeNotSatisfiable(size=size)
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise exception.RangeNotSatisfiable(size=size)
    stop = int(last) + 1 if last else size
    return start, min(stop, size)


def parse_content_range(header, size):
    """``(start, stop)`` of a request ``Content-Range: bytes a-b/total``."""
    match = _CONTENT_RANGE.match(header or '')
    if not match:
        raise exception.RangeNotSatisfiable(size=size)
    start, stop = int(match.group(1)), int(match.group(2)) + 1
    if stop <= start or start >= size:
        raise exception.RangeNotSatisfiable(size=size)
    return start, min(stop, size)


def active_locations(image):
    return [location for location in image.get('locations') or []
            if location.get('status', 'active') == 'active']


class Downloader:
    """Finds and opens the data of one image per call to :meth:`download`.

    The download_image policy is always enforced: without ``conf`` the
    process configuration gives the rules."""

    def __init__(self, registry, stores, conf=None, notifier=None,
                 policy=None):
        if conf is None:
            conf = CONF
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.policy = policy or policy_module.get_enforcer(conf)
        if notifier is None:
            notifier = notifier_module.get_notifier(conf)
        self.notifier = notifier

    def download(self, context, image_id, range_header=None,
                 content_range_header=None, destination_ip=None,
                 use_cache=False):
        """The data of an image; ``use_cache`` when the paste pipeline has
        the image cache (see :mod:`glance_api.cache`)."""
        image = self.registry.image_get(context, image_id=image_id)
        self.enforce_policy(context, image)
        check_data_readable(context, image)
        locations = location_strategy.order(active_locations(image))
        if not locations:
            return ImageData(image, None, 0, 0, 0, False)
        size = image.get('size')
        start, stop, partial = 0, None, False
        span = None
        if size is not None and range_header:
            span = parse_range(range_header, size)
        elif size is not None and content_range_header:
            span = parse_content_range(content_range_header, size)
        if span is not None:
            (start, stop), partial = span, True
        iterator = None
        cache = None
        if use_cache:
            cache = self.image_cache()
        if cache is not None:
            hit = cache.open_hit(context, image, start, stop)
            if hit is not None:
                iterator, length = hit
        if iterator is None:
            iterator, length = self.open_data(image, locations, start, stop)
            if cache is not None and not partial:
                iterator = cache.tee(context, image, iterator)
        if size is None:
            size = length
        if self.notifier is not None and self.notifier.enabled('image.send'):
            iterator = self.notify_sent(context, image, iterator, length,
                                        destination_ip)
        return ImageData(image, iterator, start, start + length, size,
                         partial)

    def image_cache(self):
        """This node's cache, or None (logged) when its folder cannot be
        laid out: downloads then go to the store."""
        try:
            return image_cache.get_cache(self.conf, self.registry)
        except OSError as e:
            LOG.error('Image cache unusable, reading the stores: %s', e)
            return None

    def notify_sent(self, context, image, iterator, length, destination_ip):
        """``iterator``, counting; image.send once all ``length`` bytes
        went out, an error image.send if the transfer stops short."""
        sent = 0
        try:
            for chunk in iterator:
                sent += len(chunk)
                yield chunk
        finally:
            # The server closes this generator, not the store's iterator.
            close = getattr(iterator, 'close', None)
            if close is not None:
                close()
            if sent == length:
                self.notifier.sent(context, image, sent, destination_ip)
            else:
                self.notifier.error(
                    context, 'image.send',
                    'Image %s: sent %d of %d bytes to %s'
                    % (image['id'], sent, length, destination_ip))

    def enforce_policy(self, context, image):
        """The download_image policy rule."""
        self.policy.enforce(context, 'download_image', image)

    def open_data(self, image, locations, start, stop):
        """``(iterator, length)`` from the first location that answers."""
        length = None if stop is None else stop - start
        error = None
        for location in locations:
            try:
                return self.stores.get(location['url'], offset=start,
                                       length=length, chunk_size=CHUNK_SIZE)
            except (store_exceptions.NotFound,
                    store_exceptions.BackendUnavailable,
                    store_exceptions.UnknownScheme,
                    exception.URLRefused) as e:
                LOG.warning('Image %s: cannot read location %s: %s',
                            image['id'], location.get('id'), e)
                error = e
        if isinstance(error, store_exceptions.NotFound):
            raise exception.ImageDataNotFound(image_id=image['id'])
        raise error


def check_data_readable(context, image):
    """The data of a deactivated image is for administrators only."""
    if image['status'] == 'deactivated' and not context.is_admin:
        raise exception.ImageDeactivated(image_id=image['id'])
