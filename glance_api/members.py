"""Image members (sharing) as named steps: read the image -> enforce the
policy rule -> visibility/ownership checks -> quota -> one registry call.

Only the owner adds and removes members of a ``shared`` image; only the
member itself (or an administrator) changes its status.
"""

from oslo_config import cfg

from glance_api import policy as policy_module
from glance_registry.common import exception
from glance_registry.common import sharing

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


def check_member_id(member_id):
    if not isinstance(member_id, str) or not member_id.strip() or \
            len(member_id) > MAX_MEMBER_LENGTH:
        raise exception.InvalidRequest(
            reason='member must be a project id of at most %d '
                   'characters' % MAX_MEMBER_LENGTH)


def check_member_quota(conf, count):
    """``count`` members are within ``image_member_quota``."""
    limit = conf.image_member_quota
    if 0 <= limit < count:
        raise exception.LimitExceeded(
            'Maximum number of image members exceeded: limit '
            'image_member_quota is %d' % limit,
            limit_name='image_member_quota', limit=limit)


class MemberService:
    """Members of images, for both API versions.

    Image API v1 shares any image it may change (``shared_only=False``);
    v2 shares only ``shared`` images. v1's ``can_share`` is kept on the
    membership; its memberships start ``pending`` like v2's.
    """

    def __init__(self, registry, images, conf=CONF):
        self.registry = registry
        self.images = images
        self.policy = images.policy
        self.notifier = images.notifier
        self.conf = conf

    def _image(self, context, image_id, action, member_id=None,
               shared_only=True):
        """The image, once ``action`` is allowed; ``member_id`` is the
        member the action is about (the caller's project for reads: the
        image is visible, so the caller owns it or is its member, and the
        registry shows a member only its own membership). Image API v1
        (``shared_only`` false) manages members of any visibility."""
        image = self.images.get(context, image_id)
        self.policy.enforce(context, action, image,
                            target=policy_module.target_of(
                                image, member_id=member_id))
        if shared_only:
            check_shared(image)
        return image

    def _find(self, context, image_id, member_id):
        found = self.registry.image_member_find(
            context, image_id=image_id, member=member_id)
        if not found:
            raise exception.MemberNotFound(member_id=member_id,
                                           image_id=image_id)
        return found[0]

    # -- the registry writes, each notified ------------------------------

    def _create(self, context, image_id, member_id, can_share=False):
        member = self.registry.image_member_create(
            context, values={'image_id': image_id, 'member': member_id,
                             'status': 'pending', 'can_share': can_share})
        self.notifier.member(context, 'image.member.create', member)
        return member

    def _update(self, context, member, values):
        member = self.registry.image_member_update(
            context, member_id=member['id'], values=values)
        self.notifier.member(context, 'image.member.update', member)
        return member

    def _delete(self, context, member):
        self.registry.image_member_delete(context, member_id=member['id'])
        self.notifier.member(context, 'image.member.delete',
                             dict(member, deleted=True))

    # -- operations ------------------------------------------------------

    def create(self, context, image_id, member_id):
        image = self._image(context, image_id, 'add_member')
        check_image_owner(context, image)
        check_member_id(member_id)
        check_member_quota(self.conf, self.registry.image_member_count(
            context, image_id=image_id) + 1)
        return self._create(context, image_id, member_id)

    def list(self, context, image_id, shared_only=True):
        """All members for the owner; a member sees only itself."""
        self._image(context, image_id, 'get_members',
                    member_id=context.owner, shared_only=shared_only)
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
        return self._update(context, member, {'status': status})

    def delete(self, context, image_id, member_id, shared_only=True):
        image = self._image(context, image_id, 'delete_member',
                            shared_only=shared_only)
        check_image_owner(context, image)
        self._delete(context, self._find(context, image_id, member_id))

    def set_members(self, context, image_id, wanted, shared_only=True):
        """Make the image's members exactly ``wanted`` (``{member_id:
        can_share or None}``; None keeps an existing member's can_share):
        Image API v1's ``PUT .../members``."""
        image = self._image(context, image_id, 'add_member',
                            shared_only=shared_only)
        check_image_owner(context, image)
        members = self.registry.image_member_find(context, image_id=image_id)
        deletes, updates, creates = sharing.membership_changes(members,
                                                               wanted)
        for member_id, _ in creates:
            check_member_id(member_id)
        if creates:
            check_member_quota(self.conf, len(members) - len(deletes) +
                               len(creates))
        for member in deletes:
            self._delete(context, member)
        for member, can_share in updates:
            self._update(context, member, {'can_share': can_share})
        for member_id, can_share in creates:
            self._create(context, image_id, member_id, can_share)

    def add_member(self, context, image_id, member_id, can_share=None,
                   shared_only=True):
        """Add one member, or change the can_share of an existing one
        (Image API v1's ``PUT .../members/{member}``)."""
        image = self._image(context, image_id, 'add_member',
                            shared_only=shared_only)
        check_image_owner(context, image)
        existing = self.registry.image_member_find(
            context, image_id=image_id, member=member_id)
        if existing:
            if can_share is not None and existing[0]['can_share'] != can_share:
                self._update(context, existing[0], {'can_share': can_share})
            return
        check_member_id(member_id)
        check_member_quota(self.conf, self.registry.image_member_count(
            context, image_id=image_id) + 1)
        self._create(context, image_id, member_id, bool(can_share))

    def shared_with(self, context, member_id):
        """The memberships of a project (Image API v1's
        ``/shared-images/{member}``)."""
        self.policy.enforce(context, 'get_members')
        return self.registry.image_member_find(context, member=member_id)
