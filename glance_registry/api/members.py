"""Classic registry REST API for image members (Kilo's v1 sharing; the
bodies are read by :mod:`glance_registry.common.sharing`).

v1 knows a member as ``{"member_id", "can_share"}``; membership status is a
v2 idea, so v1 memberships are created ``pending`` and listed whatever their
status. Only the image's owner (or an administrator) changes its members;
the policy rules are glance-api's (``get_members``, ``add_member``,
``delete_member``).
"""

from glance_registry import api
from glance_registry.common import exception
from glance_registry.common import policy
from glance_registry.common import sharing
from glance_registry import dispatch


def _enforce(context, action, image=None, member_id=None):
    target = None
    if image is not None:
        target = policy.target_of(image, member_id=member_id)
    policy.get_enforcer().enforce(context, action, image, target)


def _image_for_sharing(req, image_id, action):
    """The image, if the caller may change its members."""
    context = req.context
    image = dispatch.dispatch(context, 'image_get', {'image_id': image_id})
    _enforce(context, action, image)
    if context.read_only:
        raise exception.Forbidden('Read-only callers cannot change members')
    if not context.is_admin and image.get('owner') != context.owner:
        raise exception.Forbidden(
            'Only the owner of image %s may change its members' % image_id)
    return image


def _members(context, image_id):
    return dispatch.dispatch(context, 'image_member_find',
                             {'image_id': image_id})


def _write_changes(context, image_id, deletes, updates, creates):
    for member in deletes:
        dispatch.dispatch(context, 'image_member_delete',
                          {'member_id': member['id']})
    for member, can_share in updates:
        dispatch.dispatch(context, 'image_member_update',
                          {'member_id': member['id'],
                           'values': {'can_share': can_share}})
    for member_id, can_share in creates:
        dispatch.dispatch(context, 'image_member_create',
                          {'values': {'image_id': image_id,
                                      'member': member_id,
                                      'can_share': can_share}})


def index(req, image_id):
    """GET /images/{image_id}/members."""
    image = dispatch.dispatch(req.context, 'image_get',
                              {'image_id': image_id})
    _enforce(req.context, 'get_members', image, member_id=req.context.owner)
    return api.json_response({'members': [
        {'member_id': m['member'], 'can_share': m['can_share']}
        for m in _members(req.context, image_id)]})


def replace_all(req, image_id):
    """PUT /images/{image_id}/members with ``{"memberships": [...]}``:
    the image's members become exactly the ones given."""
    _image_for_sharing(req, image_id, 'add_member')
    wanted = sharing.parse_memberships(api.read_json_body(req))
    _write_changes(req.context, image_id, *sharing.membership_changes(
        _members(req.context, image_id), wanted))
    return api.empty_response()


def add(req, image_id, member):
    """PUT /images/{image_id}/members/{member}, optional body
    ``{"member": {"can_share": bool}}``."""
    _image_for_sharing(req, image_id, 'add_member')
    can_share = sharing.parse_member(
        api.read_json_body(req, required=False))
    existing = [m for m in _members(req.context, image_id)
                if m['member'] == member]
    _write_changes(req.context, image_id, *sharing.membership_changes(
        existing, {member: can_share}))
    return api.empty_response()


def delete(req, image_id, member):
    """DELETE /images/{image_id}/members/{member}."""
    _image_for_sharing(req, image_id, 'delete_member')
    context = req.context
    existing = [m for m in _members(context, image_id)
                if m['member'] == member]
    if not existing:
        raise exception.MemberNotFound(member_id=member, image_id=image_id)
    dispatch.dispatch(context, 'image_member_delete',
                      {'member_id': existing[0]['id']})
    return api.empty_response()


def shared_images(req, member):
    """GET /shared-images/{member}: the images shared with a member."""
    _enforce(req.context, 'get_members')
    found = dispatch.dispatch(req.context, 'image_member_find',
                              {'member': member})
    return api.json_response({'shared_images': [
        {'image_id': m['image_id'], 'can_share': m['can_share']}
        for m in found]})
