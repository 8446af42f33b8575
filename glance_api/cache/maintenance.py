"""Keeping one node's cache in bounds: prefetch queued images, clean
stalled and invalid files, prune down to ``image_cache_max_size``.

glance-api runs all three every ``cache_prefetcher_interval`` seconds
(:func:`run_all`); glance-cache-prefetcher, -cleaner and -pruner run one
each, for cron.
"""

import os
import time

from oslo_log import log as logging

from glance_api.cache import image_cache
from glance_api import download
from glance_api import location_strategy
from glance_registry.common import exception

LOG = logging.getLogger(__name__)


def prune(cache, context=None):
    """Remove least recently used images until the committed files take at
    most ``image_cache_max_size`` bytes (files without a record first);
    ``(images removed, bytes freed)``."""
    sizes = {}
    for image_id in cache.cached_ids():
        try:
            sizes[image_id] = os.stat(cache.path(image_id)).st_size
        except FileNotFoundError:
            continue
    records = cache.records(context)
    recorded = [r['image_id'] for r in records if r['image_id'] in sizes]
    unrecorded = sorted(set(sizes) - set(recorded))
    total = sum(sizes.values())
    limit = cache.conf.image_cache_max_size
    removed = freed = 0
    for image_id in unrecorded + recorded:
        if total <= limit:
            break
        cache.discard(context, image_id, forget=image_id in recorded)
        total -= sizes[image_id]
        freed += sizes[image_id]
        removed += 1
    if removed:
        LOG.info('Pruned %d images (%d bytes) from the cache', removed,
                 freed)
    return removed, freed


def clean(cache, context=None, now=None):
    """Remove incomplete files older than ``image_cache_stall_time``,
    invalid files, committed files without a record (their image was
    deleted through another node) and records without a file; how many
    files and records were removed."""
    now = now or time.time()
    removed = 0
    stall_time = cache.conf.image_cache_stall_time
    for folder in ('incomplete', 'invalid'):
        directory = os.path.join(cache.base, folder)
        for name in os.listdir(directory):
            path = os.path.join(directory, name)
            age = image_cache.stall_age(path, now)
            if age is None or (folder == 'incomplete' and age < stall_time):
                continue
            removed += image_cache.remove_file(path)
    files = set(cache.cached_ids())
    records = {r['image_id'] for r in cache.records(context)}
    for image_id in files - records:
        removed += cache.discard(context, image_id, forget=False)
    for image_id in records - files:
        cache.discard(context, image_id)
        removed += 1
    if removed:
        LOG.info('Cleaned %d files and records from the cache', removed)
    return removed


def prefetch(cache, downloader, context=None):
    """Cache each queued image that is active; ``(cached, failed)``.
    Images that are gone or not active leave the queue uncached."""
    context = context or cache.admin_context
    cached = failed = 0
    for image_id in cache.queued_ids():
        try:
            image = cache.registry.image_get(context, image_id=image_id)
        except exception.NotFound:
            image = None
        if image is None or image.get('status') != 'active':
            LOG.info('Image %s: not prefetched: not active', image_id)
            cache.dequeue(image_id)
            continue
        if os.path.exists(cache.path(image_id)):
            cache.dequeue(image_id)
            continue
        if os.path.exists(cache.path(image_id, 'incomplete')):
            # Another download or worker is filling it.
            continue
        try:
            locations = location_strategy.order(
                download.active_locations(image))
            if not locations:
                raise exception.ImageDataNotFound(image_id=image_id)
            iterator, _ = downloader.open_data(image, locations, 0, None)
            for _ in cache.tee(context, image, iterator):
                pass
        except Exception as e:
            LOG.warning('Image %s: prefetch failed: %s', image_id, e)
        if os.path.exists(cache.path(image_id)):
            cache.dequeue(image_id)
            cached += 1
        else:
            failed += 1
    if cached or failed:
        LOG.info('Prefetched %d images, %d failed', cached, failed)
    return cached, failed


def run_all(cache, downloader):
    """One round of everything, as glance-api runs it periodically."""
    prefetch(cache, downloader)
    clean(cache)
    prune(cache)
