"""Image API v1 sharing: /v1/images/{id}/members and
/v1/shared-images/{member}.

v1 knows a member as ``{"member_id", "can_share"}`` (the bodies are read
by :mod:`glance_registry.common.sharing`, as the registry's REST API reads
them). Every change goes through :class:`glance_api.members.MemberService`
(policy, image_member_quota, notifications); v1 shares any image its owner
may change, not only ``shared`` ones. Membership status is a v2 idea:
memberships made here start ``pending`` (a v2 consumer accepts them) and v1
lists them whatever their status.
"""

import webob

from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import members as member_service
from glance_registry.common import inputs
from glance_registry.common import sharing


def _read_json(req, required=True):
    if not req.content_length and not required:
        return None
    return inputs.decode_json(req.body or b'null')


class MembersController:

    def __init__(self, registry, stores, conf):
        images = image_service.ImageService(registry, stores, conf)
        self.service = member_service.MemberService(registry, images, conf)

    def index(self, req, image_id):
        """GET /v1/images/{image_id}/members."""
        members = self.service.list(http_helpers.request_context(req),
                                    image_id, shared_only=False)
        return http_helpers.json_response({'members': [
            {'member_id': m['member'], 'can_share': m['can_share']}
            for m in members]})

    def replace_all(self, req, image_id):
        """PUT /v1/images/{image_id}/members with ``{"memberships":
        [...]}``: the members become exactly those given."""
        wanted = sharing.parse_memberships(_read_json(req))
        self.service.set_members(http_helpers.request_context(req), image_id,
                                 wanted, shared_only=False)
        return webob.Response(status=204)

    def add(self, req, image_id, member):
        """PUT /v1/images/{image_id}/members/{member}, optional body
        ``{"member": {"can_share": bool}}``."""
        can_share = sharing.parse_member(_read_json(req, required=False))
        self.service.add_member(http_helpers.request_context(req), image_id,
                                member, can_share, shared_only=False)
        return webob.Response(status=204)

    def delete(self, req, image_id, member):
        """DELETE /v1/images/{image_id}/members/{member}."""
        self.service.delete(http_helpers.request_context(req), image_id,
                            member, shared_only=False)
        return webob.Response(status=204)

    def shared_images(self, req, member):
        """GET /v1/shared-images/{member}: the images shared with a
        project."""
        found = self.service.shared_with(http_helpers.request_context(req),
                                         member)
        return http_helpers.json_response({'shared_images': [
            {'image_id': m['image_id'], 'can_share': m['can_share']}
            for m in found]})
