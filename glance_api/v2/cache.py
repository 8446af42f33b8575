"""Image API v2.14 cache management: /v2/cache and /v2/cache/{image_id}.

Each glance-api node answers for its own cache (its files, its queue, its
records in the registry). Served only by a pipeline with the image cache
(the caching and cachemanagement flavors); elsewhere 404, as upstream.
"""

import datetime

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils
import webob

from glance_api.cache import image_cache
from glance_api import http_helpers
from glance_api import policy as policy_module
from glance_registry.common import exception

LOG = logging.getLogger(__name__)

CLEAR_TARGET_HEADER = 'x-image-cache-clear-target'
CLEAR_TARGETS = ('both', 'cache', 'queue')


def epoch(value):
    """An ISO 8601 time of the registry as UNIX seconds (upstream's and
    glanceclient's form)."""
    if not value:
        return 0
    when = timeutils.normalize_time(timeutils.parse_isotime(value))
    return (when - datetime.datetime(1970, 1, 1)).total_seconds()


class CacheController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.conf = conf
        self.policy = policy_module.get_enforcer(conf)

    def cache(self, req):
        if image_cache.ENV_CACHE not in req.environ:
            raise exception.NotFound(
                'Caching via API is not supported at this site.')
        try:
            return image_cache.get_cache(self.conf, self.registry)
        except OSError as e:
            LOG.error('Image cache unusable: %s', e)
            raise exception.ServiceUnavailable(
                'The image cache of this node cannot be used; see its '
                'log.') from None

    def index(self, req):
        """This node's cached images (hits, last access, size) and queued
        image ids."""
        context = http_helpers.request_context(req)
        cache = self.cache(req)
        self.policy.enforce(context, 'cache_list')
        cached = [{'image_id': record['image_id'],
                   'hits': record['hits'],
                   'last_accessed': epoch(record['last_accessed']),
                   'last_modified': epoch(record['last_modified']),
                   'size': record['size']}
                  for record in cache.records(context)]
        return http_helpers.json_response(
            {'cached_images': cached, 'queued_images': cache.queued_ids()})

    def queue(self, req, image_id):
        """Queue an active image for the prefetcher: 202."""
        context = http_helpers.request_context(req)
        cache = self.cache(req)
        image = self.registry.image_get(context, image_id=image_id)
        self.policy.enforce(context, 'cache_image', image)
        if image['status'] != 'active':
            raise exception.InvalidRequest(
                reason='Only images with status active can be queued for '
                       'caching; image %s is %s' % (image_id,
                                                    image['status']))
        cache.queue(image_id)
        return webob.Response(status=202)

    def delete(self, req, image_id):
        """Remove an image from this node's cache and queue: 204, 404 when
        it was in neither."""
        context = http_helpers.request_context(req)
        cache = self.cache(req)
        self.policy.enforce(context, 'cache_delete')
        if not uuidutils.is_uuid_like(image_id):
            raise exception.ImageNotFound(image_id=image_id)
        recorded = any(record['image_id'] == image_id
                       for record in cache.records(context))
        removed = cache.discard(context, image_id, forget=recorded)
        dequeued = cache.dequeue(image_id)
        if not (recorded or removed or dequeued):
            raise exception.NotFound(
                'Image %s is neither cached nor queued here' % image_id)
        return webob.Response(status=204)

    def clear(self, req):
        """Empty this node's cache, queue or both
        (``x-image-cache-clear-target``, default both): 204."""
        context = http_helpers.request_context(req)
        cache = self.cache(req)
        self.policy.enforce(context, 'cache_delete')
        target = req.headers.get(CLEAR_TARGET_HEADER, '').strip().lower()
        target = target or 'both'
        if target not in CLEAR_TARGETS:
            raise exception.InvalidRequest(
                reason='%s must be one of %s, not %r'
                       % (CLEAR_TARGET_HEADER, ', '.join(CLEAR_TARGETS),
                          target[:200]))
        if target in ('both', 'cache'):
            cache.discard_all(context)
        if target in ('both', 'queue'):
            cache.dequeue_all()
        return webob.Response(status=204)
