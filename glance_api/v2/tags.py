"""Image API v2 image tags: PUT/DELETE /v2/images/{image_id}/tags/{tag}."""

import urllib.parse

import webob

from glance_api import http_helpers
from glance_api import images as image_service


class TagsController:

    def __init__(self, registry, stores, conf):
        self.service = image_service.ImageService(registry, stores, conf)

    def update(self, req, image_id, tag):
        self.service.add_tag(http_helpers.request_context(req), image_id,
                             urllib.parse.unquote(tag))
        return webob.Response(status=204)

    def delete(self, req, image_id, tag):
        self.service.delete_tag(http_helpers.request_context(req), image_id,
                                urllib.parse.unquote(tag))
        return webob.Response(status=204)
