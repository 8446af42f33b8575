"""The paste filter that turns the image cache on for a pipeline.

The flavors caching, cachemanagement, keystone+caching and
keystone+cachemanagement put it before the versions filter: downloads then
use this node's cache, ``/v2/cache`` is served and the version list names
2.14.
"""

from glance_api.cache import image_cache
from glance_registry.common import context


class CacheFilter(context.Middleware):

    def __call__(self, environ, start_response):
        environ[image_cache.ENV_CACHE] = True
        return self.app(environ, start_response)
