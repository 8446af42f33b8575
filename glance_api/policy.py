"""Policy of glance-api: oslo.policy rules with defaults in code.

The service layer calls :meth:`Enforcer.enforce` as one named step per
action (``enforce(context, 'delete_image', image)``); nothing checks policy
behind its back. Operators override rules in ``policy.yaml``
(``[oslo_policy] policy_file``); ``etc/policy.yaml`` is the generated sample
(``oslopolicy-sample-generator --namespace glance.api``).
"""

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from glance_registry.common import exception

CONF = cfg.CONF

ADMIN = 'rule:context_is_admin'
ANYONE = ''
# A role in the project owning the image (Keystone's implied roles give a
# member the reader role too; without Keystone send both in X-Roles).
PROJECT_MEMBER = '(role:member and project_id:%(project_id)s)'
PROJECT_READER = '(role:reader and project_id:%(project_id)s)'


def _rule(name, check, description):
    return oslo_policy.RuleDefault(name, check, description=description)


RULES = [
    _rule('context_is_admin', 'role:admin',
          'Who is an administrator of the image service.'),
    _rule('default', ANYONE, 'Rule of an action with no rule of its own.'),
    # images
    _rule('add_image', ANYONE, 'Create an image.'),
    _rule('get_image', ANYONE, 'Show an image.'),
    _rule('get_images', ANYONE, 'List images.'),
    _rule('modify_image', ANYONE,
          'Change an image (also its tags); ownership is checked as well.'),
    _rule('delete_image', ANYONE,
          'Delete an image; ownership is checked as well.'),
    _rule('publicize_image', ADMIN, 'Set an image\'s visibility to public.'),
    _rule('communitize_image', ANYONE,
          'Set an image\'s visibility to community.'),
    _rule('download_image', ANYONE, 'Download the data of an image.'),
    _rule('upload_image', ANYONE, 'Upload the data of an image.'),
    _rule('deactivate', ADMIN, 'Deactivate an active image.'),
    _rule('reactivate', ADMIN, 'Reactivate a deactivated image.'),
    _rule('service_api', 'role:service',
          'Who is a service (Nova, Cinder) calling the service-to-service '
          'API.'),
    # locations: upstream's current defaults
    _rule('get_image_location', ADMIN + ' or ' + PROJECT_READER,
          'Show the locations of an image (with show_multiple_locations).'),
    _rule('set_image_location', ADMIN + ' or ' + PROJECT_MEMBER,
          'Add or replace image locations (PATCH, with '
          'show_multiple_locations).'),
    _rule('delete_image_location', ADMIN,
          'Remove an image location (PATCH, with show_multiple_locations).'),
    _rule('add_image_location', 'rule:service_api or ' + PROJECT_MEMBER,
          'Add a location to a queued image (POST '
          '/v2/images/{image_id}/locations); ownership is checked as well.'),
    _rule('fetch_image_location', 'rule:service_api',
          'List the locations of an image (GET '
          '/v2/images/{image_id}/locations): services such as Nova and '
          'Cinder.'),
    # stores
    _rule('stores_info_detail', ADMIN,
          'List the stores with their type and settings '
          '(GET /v2/info/stores/detail).'),
    _rule('delete_image_from_store', ADMIN,
          'Remove the data of an image from one store '
          '(DELETE /v2/stores/{store_id}/{image_id}); ownership is checked '
          'as well.'),
    # members
    _rule('add_member', ANYONE, 'Share an image with a project.'),
    _rule('get_member', ANYONE, 'Show one member of an image.'),
    _rule('get_members', ANYONE, 'List the members of an image.'),
    _rule('modify_member', ANYONE,
          'Accept, reject or reset a membership (the member itself only).'),
    _rule('delete_member', ANYONE, 'Stop sharing an image with a project.'),
    # tasks and cache
    _rule('get_task', ANYONE, 'Show a task.'),
    _rule('get_tasks', ANYONE, 'List tasks.'),
    _rule('add_task', ANYONE, 'Create a task.'),
    _rule('modify_task', ANYONE, 'Change a task.'),
    _rule('tasks_api_access', ADMIN, 'Use the tasks API at all.'),
    _rule('manage_image_cache', ADMIN, 'Manage the image cache.'),
    # the image cache API (v2.14); upstream's names and defaults
    _rule('cache_list', ADMIN,
          'List the cached and queued images of this node (GET /v2/cache).'),
    _rule('cache_image', ADMIN,
          'Queue an image for caching (PUT /v2/cache/{image_id}).'),
    _rule('cache_delete', ADMIN,
          'Delete an image from the cache and its queue (DELETE '
          '/v2/cache/{image_id}, DELETE /v2/cache).'),
    _rule('cache_clear', 'rule:cache_delete',
          'Clear the cache, the queue or both (DELETE /v2/cache), on top of '
          'cache_delete.'),
]


def list_rules():
    """Entry point ``oslo.policy.policies`` (glance.api) for the sample and
    the policy tools."""
    return RULES


def target_of(image):
    """The policy target of an image: its attributes and properties, with
    ``project_id`` being the owner (so ``project_id:%(project_id)s`` means
    "the caller owns the image")."""
    if image is None:
        return {}
    target = dict(image.get('properties') or {})
    for name in ('id', 'name', 'status', 'visibility', 'protected',
                 'owner', 'disk_format', 'container_format'):
        if name in image:
            target[name] = image[name]
    target['project_id'] = image.get('owner')
    return target


class Enforcer:
    """One oslo.policy enforcer with our defaults registered."""

    def __init__(self, conf=CONF):
        self.enforcer = oslo_policy.Enforcer(conf, use_conf=True)
        self.enforcer.register_defaults(RULES)

    def check(self, context, action, target=None):
        """Whether ``context`` may do ``action`` on ``target`` (a dict)."""
        return self.enforcer.enforce(action, target or {}, context,
                                     do_raise=False)

    def enforce(self, context, action, image=None, target=None):
        """Forbidden (403) unless the rule ``action`` allows it."""
        if target is None:
            target = target_of(image)
        if not self.check(context, action, target):
            raise exception.Forbidden(
                'You are not authorized to complete %s action.' % action)


_ENFORCERS = {}


def get_enforcer(conf=CONF):
    """The one Enforcer of ``conf`` (the policy file is read once per
    process, and re-read by oslo.policy when it changes)."""
    if id(conf) not in _ENFORCERS:
        _ENFORCERS[id(conf)] = Enforcer(conf)
    return _ENFORCERS[id(conf)]
