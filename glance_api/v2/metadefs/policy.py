"""Policy rules of the metadata definitions API (``*_metadef_*``).

They are registered on glance-api's one enforcer
(:func:`glance_api.policy.get_enforcer`), so an operator overrides them in
the same ``policy.yaml``. Defaults as upstream: a project's reader reads its
own namespaces and the public ones (the registry also hides private
namespaces of other projects), every change needs ``metadef_admin`` (the
admin role). The classic default of a read, ``metadef_default`` (anyone),
is kept as a deprecated rule.
"""

from glance_api import policy as api_policy
from glance_registry.common import policy as shared_policy

DEFAULT = 'rule:metadef_default'
ADMIN = 'rule:metadef_admin'
# Upstream's reader check for namespaces and what they hold.
READER = (api_policy.ADMIN + ' or (role:reader and '
          '(project_id:%(project_id)s or "public":%(visibility)s))')
LIST_READER = api_policy.ADMIN + ' or ' + api_policy.PROJECT_READER


def _read(name, description, check=READER):
    return shared_policy.rule(name, check, description, classic=DEFAULT)


def _write(name, description):
    return shared_policy.rule(name, ADMIN, description)


RULES = [
    shared_policy.rule('metadef_default', '',
                       'Who may read metadata definitions (the classic '
                       'default of the reads).', scoped=False),
    shared_policy.rule('metadef_admin', api_policy.ADMIN,
                       'Who may change metadata definitions.', scoped=False),
    _read('get_metadef_namespace', 'Show a namespace.'),
    _read('get_metadef_namespaces', 'List namespaces.', LIST_READER),
    _write('add_metadef_namespace', 'Create a namespace.'),
    _write('modify_metadef_namespace', 'Change a namespace.'),
    _write('delete_metadef_namespace',
           'Delete a namespace, or all objects, properties or tags of one.'),
    _read('get_metadef_object', 'Show an object.'),
    _read('get_metadef_objects', 'List the objects of a namespace.'),
    _write('add_metadef_object', 'Create an object.'),
    _write('modify_metadef_object', 'Change an object.'),
    _write('delete_metadef_object', 'Delete an object.'),
    _read('get_metadef_property', 'Show a property.'),
    _read('get_metadef_properties', 'List the properties of a namespace.'),
    _write('add_metadef_property', 'Create a property.'),
    _write('modify_metadef_property', 'Change a property.'),
    _write('remove_metadef_property', 'Delete a property.'),
    _read('get_metadef_tag', 'Show a tag.'),
    _read('get_metadef_tags', 'List the tags of a namespace.'),
    _write('add_metadef_tag', 'Create a tag.'),
    _write('add_metadef_tags', 'Create (or replace) many tags.'),
    _write('modify_metadef_tag', 'Rename a tag.'),
    _write('delete_metadef_tag', 'Delete a tag.'),
    _write('delete_metadef_tags', 'Delete all tags of a namespace.'),
    _read('list_metadef_resource_types', 'List resource types.'),
    _read('get_metadef_resource_type',
          'List the resource type associations of a namespace.'),
    _write('add_metadef_resource_type_association',
           'Associate a resource type with a namespace.'),
    _write('remove_metadef_resource_type_association',
           'Remove a resource type association.'),
]


def list_rules():
    """Entry point ``oslo.policy.policies`` (glance.api.metadefs)."""
    return RULES


def get_enforcer(conf):
    """glance-api's enforcer of ``conf`` with the metadef rules added."""
    enforcer = api_policy.get_enforcer(conf)
    enforcer.register_defaults(RULES)
    return enforcer


def target_of(context, namespace):
    """Policy target of a namespace: ``project_id`` is its owner; of no
    namespace (a list), the caller's project."""
    if not namespace:
        return api_policy.project_target(context)
    return {'namespace': namespace.get('namespace'),
            'visibility': namespace.get('visibility'),
            'protected': namespace.get('protected'),
            'owner': namespace.get('owner'),
            'project_id': namespace.get('owner')}


def enforce(conf, context, action, namespace=None):
    """Forbidden (403) unless the rule ``action`` allows ``context``."""
    get_enforcer(conf).enforce(context, action,
                               target=target_of(context, namespace))
