"""The locations API: POST/GET /v2/images/{image_id}/locations."""

import webob

from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import locations
from glance_registry.common import exception


class LocationsController:

    def __init__(self, registry, stores, conf):
        self.service = locations.LocationService(
            image_service.ImageService(registry, stores, conf), conf)

    def create(self, req, image_id):
        """202: the image is active; its hashes may follow (do_secure_hash).
        """
        body = http_helpers.read_json(req)
        if not isinstance(body, dict) or 'url' not in body:
            raise exception.InvalidRequest(
                reason='the body must be an object with a url')
        unknown = sorted(set(body) - {'url', 'validation_data'})
        if unknown:
            raise exception.InvalidRequest(
                reason='unknown keys in the body: %s' % ', '.join(unknown))
        self.service.add(http_helpers.request_context(req), image_id,
                         body['url'], body.get('validation_data'))
        return webob.Response(status=202)

    def index(self, req, image_id):
        return http_helpers.json_response(
            self.service.fetch(http_helpers.request_context(req), image_id))
