"""Image API v2 image members: /v2/images/{image_id}/members[/{member_id}].
"""

import webob

from glance_api import images as image_service
from glance_api import members as member_service
from glance_api.v2 import images as v2_images
from glance_registry.common import exception

ENV_CONTEXT = 'glance.context'


def member_view(member):
    """A member as upstream's samples show it."""
    return {'created_at': v2_images.isotime(member.get('created_at')),
            'updated_at': v2_images.isotime(member.get('updated_at')),
            'image_id': member['image_id'],
            'member_id': member['member'],
            'status': member['status'],
            'schema': '/v2/schemas/member'}


def _body_field(req, name):
    body = v2_images.read_json(req)
    if not isinstance(body, dict) or name not in body:
        raise exception.InvalidRequest(
            reason='the request body must be a JSON object with %r' % name)
    return body[name]


class MembersController:

    def __init__(self, registry, stores, conf):
        images = image_service.ImageService(registry, stores, conf)
        self.service = member_service.MemberService(registry, images, conf)

    def create(self, req, image_id):
        member = self.service.create(req.environ[ENV_CONTEXT], image_id,
                                     _body_field(req, 'member'))
        return v2_images.json_response(member_view(member))

    def index(self, req, image_id):
        members = self.service.list(req.environ[ENV_CONTEXT], image_id)
        return v2_images.json_response(
            {'members': [member_view(m) for m in members],
             'schema': '/v2/schemas/members'})

    def show(self, req, image_id, member_id):
        member = self.service.show(req.environ[ENV_CONTEXT], image_id,
                                   member_id)
        return v2_images.json_response(member_view(member))

    def update(self, req, image_id, member_id):
        member = self.service.update(req.environ[ENV_CONTEXT], image_id,
                                     member_id, _body_field(req, 'status'))
        return v2_images.json_response(member_view(member))

    def delete(self, req, image_id, member_id):
        self.service.delete(req.environ[ENV_CONTEXT], image_id, member_id)
        return webob.Response(status=204)
