"""The paste filter that turns the image cache on for a pipeline.

The flavors caching, cachemanagement, keystone+caching and
keystone+cachemanagement put it after the context filter: downloads then
use this node's cache and ``/v2/cache`` is served.
"""

from glance_api.cache import image_cache


class CacheFilter:

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ[image_cache.ENV_CACHE] = True
        return self.app(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
