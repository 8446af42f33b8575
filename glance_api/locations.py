"""The locations API for services (Nova, Cinder): add and fetch.

``POST /v2/images/{id}/locations`` gives a queued image its data by
reference: the location is checked in its store (known scheme, readable,
its size), written together with ``status: active`` in one registry call
guarded by ``from_state='queued'``, so it cannot race an upload. Unlike a
JSON patch of ``/locations`` it does not need ``show_multiple_locations``,
and it only ever applies to a queued image, so it cannot swap the data
of an image that is already in use.

Each add is recorded as a ``location_import`` task of the image (as
upstream does). The hashes come from ``validation_data`` (any algorithm
hashlib guarantees) when the caller gives them; with ``do_secure_hash`` on
(the default) the data is read once in a background green thread after the
answer (the image is usable at once and shows its ``os_hash_algo``;
``checksum`` and ``os_hash_value`` appear when the read ends, and the task
succeeds). When the data does not match the given values the task fails and
the image goes back to ``queued`` without hashes (the location stays, as
upstream leaves it).

``GET /v2/images/{id}/locations`` lists ``url`` and ``metadata`` of each
location, for the service role by default.
"""

import hashlib
import re

from oslo_config import cfg
from oslo_log import log as logging

from glance_api import images as image_module
from glance_api import reader as reader_module
from glance_api import tasks as task_module
from glance_api import upload
from glance_registry.common import exception
from glance_registry.common import retry

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

OPTIONS = [
    cfg.BoolOpt('do_secure_hash', default=True,
                help='After a location is added with POST '
                     '/v2/images/{id}/locations, read its data once in '
                     'the background to compute (or, with validation_data, '
                     'to verify) checksum and os_hash_value. Off: an image '
                     'added without validation_data has no hashes.'),
    cfg.IntOpt('http_retries', default=3, min=0,
               help='How many times the background read of a new '
                    'location is retried when the store fails.'),
]
CONF.register_opts(OPTIONS)

VALIDATION_KEYS = image_module.VALIDATION_KEYS
HEX = re.compile('^[0-9a-f]+$')


def list_opts():
    return [(None, OPTIONS)]


# Algorithms validation_data may name: those hashlib has everywhere, of a
# fixed digest size.
HASH_ALGORITHMS = frozenset(name for name in hashlib.algorithms_guaranteed
                            if not name.startswith('shake_'))
TASK_TYPE = 'location_import'


def check_validation_data(data):
    """``validation_data`` as registry values (empty when none is given);
    400 naming what is wrong."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise exception.InvalidRequest(
            reason='validation_data must be an object')
    unknown = sorted(set(data) - set(VALIDATION_KEYS))
    if unknown:
        raise exception.InvalidRequest(
            reason='validation_data has unknown keys: %s'
            % ', '.join(unknown))
    for key in ('os_hash_algo', 'os_hash_value'):
        if key not in data:
            raise exception.InvalidRequest(
                reason='validation_data needs %s' % key)
    algorithm = data['os_hash_algo']
    if algorithm not in HASH_ALGORITHMS:
        raise exception.InvalidRequest(
            reason='validation_data os_hash_algo %r is none of %s'
            % (algorithm, ', '.join(sorted(HASH_ALGORITHMS))))
    digest_size = hashlib.new(algorithm).digest_size * 2
    value = data['os_hash_value']
    if (not isinstance(value, str) or len(value) != digest_size
            or not HEX.match(value)):
        raise exception.InvalidRequest(
            reason='validation_data os_hash_value must be %d hex digits '
                   'of %s' % (digest_size, algorithm))
    checksum = data.get('checksum')
    if checksum is not None and (not isinstance(checksum, str)
                                 or len(checksum) != 32
                                 or not HEX.match(checksum)):
        raise exception.InvalidRequest(
            reason='validation_data checksum must be 32 hex digits (md5)')
    return {key: data[key] for key in VALIDATION_KEYS if key in data}


class LocationService:
    """Add and fetch image locations; the steps of ImageService apply."""

    def __init__(self, images, conf=CONF, spawn=None, tasks=None):
        self.images = images
        self.registry = images.registry
        self.stores = images.stores
        self.policy = images.policy
        self.conf = conf
        conf.register_opts(upload.upload_opts)
        self.spawn = spawn or _spawn
        self.tasks = tasks or task_module.TaskService(
            self.registry, conf, self.policy, notifier=images.notifier)

    def add(self, context, image_id, url, validation_data=None):
        image = self.images.get(context, image_id)
        self.policy.enforce(context, 'add_image_location', image)
        image_module.check_can_modify(context, image)
        if not isinstance(url, str) or not url:
            raise exception.InvalidRequest(reason='url must be a string')
        if any(loc['url'] == url for loc in image.get('locations') or []):
            raise exception.Duplicate(
                'The location %s is already a location of image %s'
                % (url, image_id))
        if image['status'] != 'queued':
            raise exception.Conflict(
                'A location can be added only to a queued image; image '
                '%s is %s' % (image_id, image['status']))
        given = check_validation_data(validation_data)
        image_module.check_quotas(self.conf, image.get('properties') or {},
                                  image.get('tags') or [], [url])
        size = self.images.check_new_location(context, url, image_id)
        values = dict(given, status='active', size=size, locations=[
            {'url': url, 'metadata': self._metadata(url), 'status': 'active'}])
        if self.conf.do_secure_hash:
            values.setdefault('os_hash_algo', self.conf.hashing_algorithm)
        task = self.tasks.create(context, TASK_TYPE, {
            'image_id': image_id, 'loc_url': url,
            'validation_data': validation_data or {}}, image_id=image_id)
        try:
            self.registry.image_update(context, image_id=image_id,
                                       values=values, from_state='queued')
        except Exception as e:
            self.tasks.fail(context, task['id'], str(e))
            raise
        if self.conf.do_secure_hash:
            self.spawn(self.hash_in_background, context, image_id, url,
                       given, task['id'])
        else:
            self.tasks.finish(context, task['id'],
                              result={'image_id': image_id})

    def _metadata(self, url):
        """The location's metadata: the id of the store that holds it."""
        return self.stores.for_location(url).metadata()

    def fetch(self, context, image_id):
        image = self.images.get(context, image_id)
        self.policy.enforce(context, 'fetch_image_location', image)
        return [{'url': loc['url'], 'metadata': loc.get('metadata') or {}}
                for loc in image.get('locations') or []]

    def hash_in_background(self, context, image_id, url, given, task_id):
        """Read the data at ``url`` once and record (or verify) its hashes;
        the task ends with the outcome. Its lease is renewed while the
        data is read: however long that takes, the registry's healer fails
        the task only if this glance-api stops.

        Retries ``http_retries`` times, with back-off, on a store error. An
        image whose data does not match ``given`` goes back to ``queued``
        without hashes."""
        self.tasks.start(context, task_id)
        heartbeat = task_module.Heartbeat(self.tasks, context, task_id)
        heartbeat.start()
        try:
            self._hash_and_record(context, image_id, url, given, task_id,
                                  heartbeat)
        finally:
            heartbeat.stop()

    def _hash_and_record(self, context, image_id, url, given, task_id,
                         heartbeat):
        algorithm = given.get('os_hash_algo', self.conf.hashing_algorithm)
        try:
            computed = retry.call_with_retries(
                lambda: self._hash(url, algorithm),
                self.conf.http_retries + 1,
                Exception,     # store errors of any driver
                'Reading the location of image %s to hash it' % image_id)
        except Exception as e:
            LOG.warning('Gave up reading the location of image %s to hash '
                        'it: %s', image_id, e)
            self.tasks.fail(context, task_id,
                            'Could not read the location: %s' % e)
            return
        if heartbeat.lost:
            # The registry failed the task (this process stalled past its
            # lease): record nothing for it.
            return
        mismatched = [key for key, value in given.items()
                      if computed[key] != value]
        try:
            if mismatched:
                LOG.error('Image %s: data at its location does not match '
                          'validation_data (%s); image queued again',
                          image_id, ', '.join(mismatched))
                self.registry.image_update(
                    context, image_id=image_id, from_state='active',
                    values={'status': 'queued', 'size': None,
                            'checksum': None, 'os_hash_algo': None,
                            'os_hash_value': None})
                self.tasks.fail(context, task_id,
                                'The data does not match validation_data '
                                '(%s)' % ', '.join(mismatched))
                return
            if computed != given:
                self.registry.image_update(context, image_id=image_id,
                                           values=computed,
                                           from_state='active')
        except exception.GlanceException as e:
            # Deleted (or changed) meanwhile: nothing to record.
            LOG.warning('Could not record the hashes of image %s: %s',
                        image_id, e)
            self.tasks.fail(context, task_id,
                            'Could not record the hashes: %s' % e)
            return
        self.tasks.finish(context, task_id, result={'image_id': image_id})

    def _hash(self, url, algorithm):
        chunks, _size = self.stores.get(url)
        source = reader_module.IteratorReader(chunks)
        try:
            with reader_module.ImageReader(
                    source, hashing_algorithm=algorithm) as r:
                while r.read(reader_module.BLOCK_SIZE):
                    pass
                r.finish()
        finally:
            source.close()
        return {'checksum': r.checksum, 'os_hash_algo': r.os_hash_algo,
                'os_hash_value': r.os_hash_value}


def _spawn(func, *args):
    """Run ``func`` after the answer: a green thread in glance-api."""
    import eventlet
    eventlet.spawn_n(func, *args)
