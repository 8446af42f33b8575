"""The locations API: POST/GET /v2/images/{image_id}/locations."""

import webob

from glance_api import images as image_service
from glance_api import locations
from glance_api.v2 import images as v2_images
from glance_registry.common import exception

ENV_CONTEXT = 'glance.context'


class LocationsController:

    def __init__(self, registry, stores, conf):
        self.service = locations.LocationService(
            image_service.ImageService(registry, stores, conf), conf)

    def create(self, req, image_id):
        """202: the image is active; its hashes may follow (do_secure_hash).
        """
        body = v2_images.read_json(req)
        if not isinstance(body, dict) or 'url' not in body:
            raise exception.InvalidRequest(
                reason='the body must be an object with a url')
        unknown = sorted(set(body) - {'url', 'validation_data'})
        if unknown:
            raise exception.InvalidRequest(
                reason='unknown keys in the body: %s' % ', '.join(unknown))
        self.service.add(req.environ[ENV_CONTEXT], image_id, body['url'],
                         body.get('validation_data'))
        return webob.Response(status=202)

    def index(self, req, image_id):
        return v2_images.json_response(
            self.service.fetch(req.environ[ENV_CONTEXT], image_id))
