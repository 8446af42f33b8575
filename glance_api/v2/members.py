"""Image API v2 image members: /v2/images/{image_id}/members[/{member_id}].
"""

import webob

from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import members as member_service
from glance_registry.common import exception


def member_view(member):
    """A member as upstream's samples show it."""
    return {'created_at': http_helpers.isotime(member.get('created_at')),
            'updated_at': http_helpers.isotime(member.get('updated_at')),
            'image_id': member['image_id'],
            'member_id': member['member'],
            'status': member['status'],
            'schema': '/v2/schemas/member'}


def _body_field(req, name):
    body = http_helpers.read_json(req)
    if not isinstance(body, dict) or name not in body:
        raise exception.InvalidRequest(
            reason='the request body must be a JSON object with %r' % name)
    return body[name]


class MembersController:

    def __init__(self, registry, stores, conf):
        images = image_service.ImageService(registry, stores, conf)
        self.service = member_service.MemberService(registry, images, conf)

    def create(self, req, image_id):
        member = self.service.create(http_helpers.request_context(req),
                                     image_id, _body_field(req, 'member'))
        return http_helpers.json_response(member_view(member))

    def index(self, req, image_id):
        members = self.service.list(http_helpers.request_context(req),
                                    image_id)
        return http_helpers.json_response(
            {'members': [member_view(m) for m in members],
             'schema': '/v2/schemas/members'})

    def show(self, req, image_id, member_id):
        member = self.service.show(http_helpers.request_context(req), image_id,
                                   member_id)
        return http_helpers.json_response(member_view(member))

    def update(self, req, image_id, member_id):
        member = self.service.update(http_helpers.request_context(req),
                                     image_id, member_id,
                                     _body_field(req, 'status'))
        return http_helpers.json_response(member_view(member))

    def delete(self, req, image_id, member_id):
        self.service.delete(http_helpers.request_context(req), image_id,
                            member_id)
        return webob.Response(status=204)
