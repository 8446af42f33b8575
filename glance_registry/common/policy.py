"""Policy of both daemons: oslo.policy rules with defaults in code.

Secure RBAC as upstream Glance defines it: the personas are an
administrator (``role:admin``, in any project), a project member, a
project reader and a service (``role:service``); every rule is scoped to
projects, so a system-scoped token is refused. Each rule whose default
changed keeps its classic (Kilo-style) default as an oslo.policy
``DeprecatedRule``: with ``[oslo_policy] enforce_new_defaults = false`` the
two are OR'd and the classic behaviour comes back, as in labs that
reproduce Kilo.

glance-api calls :meth:`Enforcer.enforce` as one named step per action
(``enforce(context, 'delete_image', image)``); the registry does the same
on its classic REST API. Operators override rules in ``policy.yaml``;
``etc/policy.yaml`` is the generated sample.
"""

import time

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy as oslo_policy

from glance_registry.common import exception

CONF = cfg.CONF

scope_opts = [
    cfg.BoolOpt('enforce_scope', default=True,
                help='Refuse tokens whose scope a rule does not accept '
                     '(every image rule accepts project-scoped tokens '
                     'only, so a system-scoped token is refused). False '
                     'judges every token by its roles alone, as before '
                     'scopes existed. oslo.policy 6 always checks scope; '
                     'this option decides whether the rules name one.'),
]


def set_defaults(conf=CONF):
    """The secure defaults of ``[oslo_policy]``; the policy file is
    ``policy.yaml`` beside the configuration files."""
    policy_opts.set_defaults(conf, policy_file='policy.yaml',
                             enforce_new_defaults=True)
    conf.register_opts(scope_opts, group='oslo_policy')


def list_opts():
    return [('oslo_policy', scope_opts)]


set_defaults(CONF)

# -- check strings (upstream's personas) -----------------------------------

ADMIN = 'role:admin'
SERVICE = 'role:service'
DEFAULT = 'rule:default'
PROJECT_MEMBER = '(role:member and project_id:%(project_id)s)'
PROJECT_READER = '(role:reader and project_id:%(project_id)s)'
ADMIN_OR_PROJECT_MEMBER = ADMIN + ' or ' + PROJECT_MEMBER
ADMIN_OR_PROJECT_READER = ADMIN + ' or ' + PROJECT_READER
# The image is the caller's, shared with the caller's project (member_id)
# or visible to everyone; the registry has already hidden what the caller
# may not see.
_SEES_IMAGE = ('(project_id:%(project_id)s or project_id:%(member_id)s or '
               '"community":%(visibility)s or "public":%(visibility)s or '
               '"shared":%(visibility)s)')
ADMIN_OR_READER_OF_VISIBLE_IMAGE = (
    ADMIN + ' or (role:reader and ' + _SEES_IMAGE + ')')
ADMIN_OR_MEMBER_OF_VISIBLE_IMAGE = (
    ADMIN + ' or (role:member and ' + _SEES_IMAGE + ')')
# A member creates images in its own project only.
ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE = (
    ADMIN + ' or (role:member and project_id:%(project_id)s and '
    'project_id:%(owner)s)')
ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER = (
    ADMIN + ' or (role:reader and (project_id:%(project_id)s or '
    'project_id:%(member_id)s))')
ADMIN_OR_SHARED_MEMBER = ADMIN + ' or (role:member and ' \
    'project_id:%(member_id)s)'
ADMIN_OR_SERVICE = ADMIN + ' or ' + SERVICE

NEW_DEFAULTS_REASON = ('The Image API supports the default roles (admin, '
                       'member, reader, service) and project scope.')
NEW_DEFAULTS_SINCE = 'Wallaby'


def rule(name, check, description, classic=None, scoped=True):
    """A rule with ``check`` as its default; ``classic`` is the Kilo-style
    default it replaces (a DeprecatedRule), when it differs."""
    deprecated = None
    if classic is not None and classic != check:
        deprecated = oslo_policy.DeprecatedRule(
            name=name, check_str=classic,
            deprecated_reason=NEW_DEFAULTS_REASON,
            deprecated_since=NEW_DEFAULTS_SINCE)
    return oslo_policy.RuleDefault(
        name, check, description=description, deprecated_rule=deprecated,
        scope_types=['project'] if scoped else None)


RULES = [
    rule('context_is_admin', ADMIN,
         'Who is an administrator of the image service.', scoped=False),
    rule('default', '', 'Rule of an action with no rule of its own.',
         classic=ADMIN, scoped=False),
    rule('service_api', SERVICE,
         'Who is a service (Nova, Cinder) calling the service-to-service '
         'API.', scoped=False),
    # The registry's own: glance-api checks the named rules above before it
    # calls; a token sent straight to the registry's contract (POST /rpc)
    # must still hold a role that may write something.
    rule('registry_write',
         ADMIN + ' or role:member or ' + SERVICE,
         'Call an operation of the registry contract that writes (POST '
         '/rpc on glance-registry, or over oslo.messaging).',
         classic=DEFAULT, scoped=False),
    # images
    rule('add_image', ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE,
         'Create an image (POST /v2/images, v1 POST /v1/images).',
         classic=DEFAULT),
    rule('get_image', ADMIN_OR_READER_OF_VISIBLE_IMAGE,
         'Show an image (GET /v2/images/{image_id}).', classic=DEFAULT),
    rule('get_images', ADMIN_OR_PROJECT_READER,
         'List images (GET /v2/images).', classic=DEFAULT),
    rule('modify_image', ADMIN_OR_PROJECT_MEMBER,
         'Change an image and its tags (PATCH /v2/images/{image_id}); '
         'ownership is checked as well.', classic=DEFAULT),
    rule('delete_image', ADMIN_OR_PROJECT_MEMBER,
         'Delete an image; ownership is checked as well.', classic=DEFAULT),
    rule('publicize_image', ADMIN,
         'Set an image\'s visibility to public.'),
    rule('communitize_image', ADMIN_OR_PROJECT_MEMBER,
         'Set an image\'s visibility to community.', classic=DEFAULT),
    rule('download_image', ADMIN_OR_MEMBER_OF_VISIBLE_IMAGE,
         'Download the data of an image (GET /v2/images/{image_id}/file).',
         classic=DEFAULT),
    rule('upload_image', ADMIN_OR_PROJECT_MEMBER,
         'Upload the data of an image (PUT /v2/images/{image_id}/file).',
         classic=DEFAULT),
    rule('deactivate', ADMIN_OR_PROJECT_MEMBER,
         'Deactivate an active image.', classic='rule:context_is_admin'),
    rule('reactivate', ADMIN_OR_PROJECT_MEMBER,
         'Reactivate a deactivated image.', classic='rule:context_is_admin'),
    rule('copy_image', ADMIN,
         'Copy the data of an existing image to more stores (POST '
         '/v2/images/{image_id}/import, method copy-image).'),
    # locations: as they were before secure RBAC, only scoped
    rule('get_image_location', ADMIN_OR_PROJECT_READER,
         'Show the locations of an image (with show_multiple_locations).'),
    rule('set_image_location', ADMIN_OR_PROJECT_MEMBER,
         'Add or replace image locations (PATCH, with '
         'show_multiple_locations).'),
    rule('delete_image_location', 'rule:context_is_admin',
         'Remove an image location (PATCH, with show_multiple_locations).'),
    rule('add_image_location', 'rule:service_api or ' + PROJECT_MEMBER,
         'Add a location to a queued image (POST '
         '/v2/images/{image_id}/locations); ownership is checked as well.'),
    rule('fetch_image_location', 'rule:service_api',
         'List the locations of an image (GET '
         '/v2/images/{image_id}/locations): services such as Nova and '
         'Cinder.'),
    # stores
    rule('stores_info_detail', ADMIN_OR_SERVICE,
         'List the stores with their type and settings '
         '(GET /v2/info/stores/detail).', classic='rule:context_is_admin'),
    rule('delete_image_from_store', ADMIN,
         'Remove the data of an image from one store '
         '(DELETE /v2/stores/{store_id}/{image_id}); ownership is checked '
         'as well.', classic='rule:context_is_admin'),
    # members
    rule('add_member', ADMIN_OR_PROJECT_MEMBER,
         'Share an image with a project.', classic=DEFAULT),
    rule('get_member', ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
         'Show one member of an image.', classic=DEFAULT),
    rule('get_members', ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
         'List the members of an image.', classic=DEFAULT),
    rule('modify_member', ADMIN_OR_SHARED_MEMBER,
         'Accept, reject or reset a membership (the member itself only).',
         classic=DEFAULT),
    rule('delete_member', ADMIN_OR_PROJECT_MEMBER,
         'Stop sharing an image with a project.', classic=DEFAULT),
    # tasks: tasks_api_access guards the tasks API; the others are also
    # checked by import, which runs tasks for members.
    rule('get_task', DEFAULT, 'Show a task.'),
    rule('get_tasks', DEFAULT, 'List tasks.'),
    rule('add_task', DEFAULT, 'Create a task.'),
    rule('modify_task', DEFAULT, 'Change a task (not checked by the API).'),
    rule('tasks_api_access', ADMIN,
         'Use the tasks API at all (GET/POST /v2/tasks, GET '
         '/v2/tasks/{task_id}).', classic='rule:context_is_admin'),
    # cache
    rule('manage_image_cache', ADMIN, 'Manage the image cache.',
         classic='rule:context_is_admin'),
    rule('cache_image', ADMIN,
         'Queue an image for caching (PUT /v2/cache/{image_id}).',
         classic='rule:manage_image_cache'),
    rule('cache_list', ADMIN, 'List the image cache (GET /v2/cache).',
         classic='rule:manage_image_cache'),
    rule('cache_delete', ADMIN,
         'Remove images from the cache or its queue (DELETE /v2/cache, '
         'DELETE /v2/cache/{image_id}).',
         classic='rule:manage_image_cache'),
]


def list_rules():
    """Entry point ``oslo.policy.policies`` (glance.api) for the sample and
    the policy tools."""
    return RULES


def target_of(image, **extra):
    """The policy target of an image: its attributes and properties, with
    ``project_id`` being the owner (so ``project_id:%(project_id)s`` means
    "the caller owns the image"); ``extra`` adds keys such as
    ``member_id``."""
    if image is None:
        return dict(extra)
    target = dict(image.get('properties') or {})
    for name in ('id', 'name', 'status', 'visibility', 'protected',
                 'owner', 'disk_format', 'container_format'):
        if name in image:
            target[name] = image[name]
    # Keys the rules read never come from properties.
    target['project_id'] = image.get('owner')
    target['member_id'] = None
    target.update(extra)
    return target


def project_target(context):
    """Target of an action on no resource (a list, a create): the caller's
    own project."""
    return {'project_id': context.project_id}


def _without_scope(rules):
    result = []
    for default in rules:
        copied = oslo_policy.RuleDefault(
            default.name, default.check_str, description=default.description,
            deprecated_rule=default.deprecated_rule)
        result.append(copied)
    return result


class _RecheckingEnforcer(oslo_policy.Enforcer):
    """oslo.policy's Enforcer, looking for a changed policy file or
    policy.d at most once every ``RECHECK_INTERVAL`` seconds instead of on
    every check: finding and stat-ing them was a third of each check's
    cost. An edited policy.yaml is still in force within a second."""

    RECHECK_INTERVAL = 1.0
    clock = staticmethod(time.monotonic)

    def __init__(self, *args, **kwargs):
        self._checked_at = None
        super().__init__(*args, **kwargs)

    def load_rules(self, force_reload=False):
        now = self.clock()
        if (not force_reload and self.rules and self._checked_at is not None
                and 0 <= now - self._checked_at < self.RECHECK_INTERVAL):
            return
        super().load_rules(force_reload)
        self._checked_at = now

    def register_default(self, default):
        # A rule registered after the first check is in force at once.
        super().register_default(default)
        self._checked_at = None


class Enforcer:
    """One oslo.policy enforcer with our defaults registered."""

    def __init__(self, conf=CONF, rules=RULES):
        set_defaults(conf)
        self.conf = conf
        self.enforcer = _RecheckingEnforcer(conf, use_conf=True)
        self.register_defaults(rules)

    def register_defaults(self, rules):
        """Register ``rules`` not registered yet (scoped to projects unless
        ``[oslo_policy] enforce_scope`` is off)."""
        if not self.conf.oslo_policy.enforce_scope:
            rules = _without_scope(rules)
        registered = self.enforcer.registered_rules
        for default in rules:
            if default.name not in registered:
                self.enforcer.register_default(default)

    def check(self, context, action, target=None):
        """Whether ``context`` may do ``action`` on ``target`` (a dict;
        the caller's project when None)."""
        if target is None:
            target = project_target(context)
        return self.enforcer.enforce(action, target, context,
                                     do_raise=False)

    def enforce(self, context, action, image=None, target=None):
        """Forbidden (403) unless the rule ``action`` allows it; for an
        image the caller may not even see (get_image refused), 404 as
        upstream, so a refusal does not tell that the image exists."""
        if target is None:
            target = (target_of(image) if image is not None
                      else project_target(context))
        if self.check(context, action, target):
            return
        if image is not None and (action == 'get_image' or not self.check(
                context, 'get_image', target)):
            raise exception.ImageNotFound(image_id=image.get('id'))
        raise exception.Forbidden(
            'You are not authorized to complete %s action.' % action)


_ENFORCERS = {}


def get_enforcer(conf=CONF):
    """The one Enforcer of ``conf`` (the policy file is read once per
    process, and re-read by oslo.policy when it changes)."""
    if id(conf) not in _ENFORCERS:
        _ENFORCERS[id(conf)] = Enforcer(conf)
    return _ENFORCERS[id(conf)]
