"""Image members (sharing) as named steps: read the image -> enforce the
policy rule -> visibility/ownership checks -> quota -> one registry call.

Only the owner adds and removes members of a ``shared`` image; only the
member itself (or an administrator) changes its status.
"""

from oslo_config import cfg

from glance_api import policy as policy_module
from glance_registry.common import exception

CONF = cfg.CONF

MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
MAX_MEMBER_LENGTH = 255


def is_owner(context, image):
    return image.get('owner') is not None and image['owner'] == context.owner


def check_shared(image):
    if image.get('visibility') != 'shared':
        raise exception.Forbidden('Only shared images have members.')


def check_image_owner(context, image):
    if not (context.is_admin or is_owner(context, image)):
        raise exception.Forbidden(
            'You are not permitted to change the members of image %s.'
            % image['id'])


class MemberService:
    """Members of images."""

    def __init__(self, registry, images, conf=CONF):
        self.registry = registry
        self.images = images
        self.policy = images.policy
        self.notifier = images.notifier
        self.conf = conf

    def _image(self, context, image_id, action, member_id=None):
        """The image, once ``action`` is allowed; ``member_id`` is the
        member the action is about (the caller's project for reads: the
        image is visible, so the caller owns it or is its member, and the
        registry shows a member only its own membership)."""
        image = self.images.get(context, image_id)
        self.policy.enforce(context, action, image,
                            target=policy_module.target_of(
                                image, member_id=member_id))
        check_shared(image)
        return image

    def _find(self, context, image_id, member_id):
        found = self.registry.image_member_find(
            context, image_id=image_id, member=member_id)
        if not found:
            raise exception.MemberNotFound(member_id=member_id,
                                           image_id=image_id)
        return found[0]

    def create(self, context, image_id, member_id):
        image = self._image(context, image_id, 'add_member')
        check_image_owner(context, image)
        if not isinstance(member_id, str) or not member_id.strip() or \
                len(member_id) > MAX_MEMBER_LENGTH:
            raise exception.InvalidRequest(
                reason='member must be a project id of at most %d '
                       'characters' % MAX_MEMBER_LENGTH)
        limit = self.conf.image_member_quota
        if limit >= 0:
            count = self.registry.image_member_count(context,
                                                     image_id=image_id)
            if count >= limit:
                raise exception.LimitExceeded(
                    'Maximum number of image members exceeded: limit '
                    'image_member_quota is %d' % limit,
                    limit_name='image_member_quota', limit=limit)
        member = self.registry.image_member_create(
            context, values={'image_id': image_id, 'member': member_id,
                             'status': 'pending'})
        self.notifier.member(context, 'image.member.create', member)
        return member

    def list(self, context, image_id):
        """All members for the owner; a member sees only itself."""
        self._image(context, image_id, 'get_members',
                    member_id=context.owner)
        return self.registry.image_member_find(context, image_id=image_id)

    def show(self, context, image_id, member_id):
        self._image(context, image_id, 'get_member',
                    member_id=context.owner)
        return self._find(context, image_id, member_id)

    def update(self, context, image_id, member_id, status):
        image = self._image(context, image_id, 'modify_member',
                            member_id=member_id)
        if status not in MEMBER_STATUSES:
            raise exception.InvalidRequest(
                reason='status must be one of %s, not %r'
                       % (', '.join(MEMBER_STATUSES), status))
        member = self._find(context, image_id, member_id)
        if not context.is_admin and member_id != context.owner:
            if is_owner(context, image):
                raise exception.Forbidden(
                    'The owner of an image cannot change the status of '
                    'its members.')
            raise exception.Forbidden(
                'You cannot change the membership of %s.' % member_id)
        member = self.registry.image_member_update(
            context, member_id=member['id'], values={'status': status})
        self.notifier.member(context, 'image.member.update', member)
        return member

    def delete(self, context, image_id, member_id):
        image = self._image(context, image_id, 'delete_member')
        check_image_owner(context, image)
        member = self._find(context, image_id, member_id)
        self.registry.image_member_delete(context, member_id=member['id'])
        self.notifier.member(context, 'image.member.delete',
                             dict(member, deleted=True))
