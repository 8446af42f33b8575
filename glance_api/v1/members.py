"""Image API v1 sharing: /v1/images/{id}/members and
/v1/shared-images/{member}.

v1 knows a member as ``{"member_id", "can_share"}``; membership status is a
v2 idea, so memberships made here start ``pending`` (a v2 consumer accepts
them) and v1 lists them whatever their status.
"""


import webob

from glance_api import http_helpers
from glance_api import images as image_service
from glance_registry.common import exception
from glance_registry.common import inputs


def _read_json(req, required=True):
    if not req.content_length and not required:
        return None
    return inputs.decode_json(req.body or b'null')


def _check_can_share(name, value):
    if not isinstance(value, bool):
        raise exception.InvalidParameterValue(
            value=value, param=name, extra='expected true or false')


class MembersController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.service = image_service.ImageService(registry, stores, conf)

    def _image_to_share(self, context, image_id, action):
        """The image, if the caller may change its members."""
        image = self.service.get(context, image_id)
        self.service.policy.enforce(context, action, image)
        image_service.check_can_modify(context, image)
        return image

    def _members(self, context, image_id):
        return self.registry.image_member_find(context, image_id=image_id)

    def index(self, req, image_id):
        """GET /v1/images/{image_id}/members."""
        context = http_helpers.request_context(req)
        image = self.service.get(context, image_id)
        self.service.policy.enforce(context, 'get_members', image)
        return http_helpers.json_response({'members': [
            {'member_id': m['member'], 'can_share': m['can_share']}
            for m in self._members(context, image_id)]})

    def replace_all(self, req, image_id):
        """PUT /v1/images/{image_id}/members with ``{"memberships":
        [...]}``: the members become exactly those given; an omitted
        can_share keeps an existing member's value (false for a new
        one)."""
        context = http_helpers.request_context(req)
        self._image_to_share(context, image_id, 'add_member')
        body = _read_json(req)
        if not isinstance(body, dict) or not isinstance(
                body.get('memberships'), list):
            raise exception.InvalidRequest(
                reason='body must be {"memberships": [{"member_id", '
                       '"can_share"}, ...]}')
        wanted = {}
        for index, item in enumerate(body['memberships']):
            if not isinstance(item, dict) or not isinstance(
                    item.get('member_id'), str) or not item['member_id']:
                raise exception.InvalidParameterValue(
                    value=item, param='memberships[%d]' % index,
                    extra='expected {"member_id": string, '
                          '"can_share": bool}')
            can_share = item.get('can_share')
            if can_share is not None:
                _check_can_share('memberships[%d].can_share' % index,
                                 can_share)
            wanted[item['member_id']] = can_share
        for member in self._members(context, image_id):
            if member['member'] not in wanted:
                self.registry.image_member_delete(context,
                                                  member_id=member['id'])
                continue
            can_share = wanted.pop(member['member'])
            if can_share is not None and member['can_share'] != can_share:
                self.registry.image_member_update(
                    context, member_id=member['id'],
                    values={'can_share': can_share})
        for member, can_share in wanted.items():
            self.registry.image_member_create(
                context, values={'image_id': image_id, 'member': member,
                                 'can_share': bool(can_share)})
        return webob.Response(status=204)

    def add(self, req, image_id, member):
        """PUT /v1/images/{image_id}/members/{member}, optional body
        ``{"member": {"can_share": bool}}``."""
        context = http_helpers.request_context(req)
        self._image_to_share(context, image_id, 'add_member')
        body = _read_json(req, required=False)
        can_share = None
        if body is not None:
            if not isinstance(body, dict) or not isinstance(
                    body.get('member'), dict):
                raise exception.InvalidRequest(
                    reason='body must be {"member": {"can_share": bool}}')
            if 'can_share' in body['member']:
                can_share = body['member']['can_share']
                _check_can_share('can_share', can_share)
        existing = [m for m in self._members(context, image_id)
                    if m['member'] == member]
        if not existing:
            self.registry.image_member_create(
                context, values={'image_id': image_id, 'member': member,
                                 'can_share': bool(can_share)})
        elif can_share is not None and existing[0]['can_share'] != can_share:
            self.registry.image_member_update(
                context, member_id=existing[0]['id'],
                values={'can_share': can_share})
        return webob.Response(status=204)

    def delete(self, req, image_id, member):
        """DELETE /v1/images/{image_id}/members/{member}."""
        context = http_helpers.request_context(req)
        self._image_to_share(context, image_id, 'delete_member')
        existing = [m for m in self._members(context, image_id)
                    if m['member'] == member]
        if not existing:
            raise exception.MemberNotFound(member_id=member,
                                           image_id=image_id)
        self.registry.image_member_delete(context,
                                          member_id=existing[0]['id'])
        return webob.Response(status=204)

    def shared_images(self, req, member):
        """GET /v1/shared-images/{member}: the images shared with a
        project."""
        context = http_helpers.request_context(req)
        self.service.policy.enforce(context, 'get_members')
        found = self.registry.image_member_find(context, member=member)
        return http_helpers.json_response({'shared_images': [
            {'image_id': m['image_id'], 'can_share': m['can_share']}
            for m in found]})
