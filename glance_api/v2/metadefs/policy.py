"""Policy rules of the metadata definitions API (``*_metadef_*``).

They are registered on glance-api's one enforcer
(:func:`glance_api.policy.get_enforcer`), so an operator overrides them in
the same ``policy.yaml``. Defaults as upstream: reading is open to any
project (the registry still hides private namespaces of other projects),
every change needs ``metadef_admin`` (the admin role).
"""

from oslo_policy import policy as oslo_policy

from glance_api import policy as api_policy

DEFAULT = 'rule:metadef_default'
ADMIN = 'rule:metadef_admin'


def _rule(name, check, description):
    return oslo_policy.RuleDefault(name, check, description=description)


RULES = [
    _rule('metadef_default', '',
          'Who may read metadata definitions.'),
    _rule('metadef_admin', 'role:admin',
          'Who may change metadata definitions.'),
    _rule('get_metadef_namespace', DEFAULT, 'Show a namespace.'),
    _rule('get_metadef_namespaces', DEFAULT, 'List namespaces.'),
    _rule('add_metadef_namespace', ADMIN, 'Create a namespace.'),
    _rule('modify_metadef_namespace', ADMIN, 'Change a namespace.'),
    _rule('delete_metadef_namespace', ADMIN,
          'Delete a namespace, or all objects, properties or tags of one.'),
    _rule('get_metadef_object', DEFAULT, 'Show an object.'),
    _rule('get_metadef_objects', DEFAULT, 'List the objects of a namespace.'),
    _rule('add_metadef_object', ADMIN, 'Create an object.'),
    _rule('modify_metadef_object', ADMIN, 'Change an object.'),
    _rule('delete_metadef_object', ADMIN, 'Delete an object.'),
    _rule('get_metadef_property', DEFAULT, 'Show a property.'),
    _rule('get_metadef_properties', DEFAULT,
          'List the properties of a namespace.'),
    _rule('add_metadef_property', ADMIN, 'Create a property.'),
    _rule('modify_metadef_property', ADMIN, 'Change a property.'),
    _rule('remove_metadef_property', ADMIN, 'Delete a property.'),
    _rule('get_metadef_tag', DEFAULT, 'Show a tag.'),
    _rule('get_metadef_tags', DEFAULT, 'List the tags of a namespace.'),
    _rule('add_metadef_tag', ADMIN, 'Create a tag.'),
    _rule('add_metadef_tags', ADMIN, 'Create (or replace) many tags.'),
    _rule('modify_metadef_tag', ADMIN, 'Rename a tag.'),
    _rule('delete_metadef_tag', ADMIN, 'Delete a tag.'),
    _rule('delete_metadef_tags', ADMIN, 'Delete all tags of a namespace.'),
    _rule('list_metadef_resource_types', DEFAULT, 'List resource types.'),
    _rule('get_metadef_resource_type', DEFAULT,
          'List the resource type associations of a namespace.'),
    _rule('add_metadef_resource_type_association', ADMIN,
          'Associate a resource type with a namespace.'),
    _rule('remove_metadef_resource_type_association', ADMIN,
          'Remove a resource type association.'),
]


def list_rules():
    """Entry point ``oslo.policy.policies`` (glance.api.metadefs)."""
    return RULES


def get_enforcer(conf):
    """glance-api's enforcer of ``conf`` with the metadef rules added."""
    enforcer = api_policy.get_enforcer(conf)
    registered = enforcer.enforcer.registered_rules
    for rule in RULES:
        if rule.name not in registered:
            enforcer.enforcer.register_default(rule)
    return enforcer


def target_of(namespace):
    """Policy target of a namespace: ``project_id`` is its owner."""
    if not namespace:
        return {}
    return {'namespace': namespace.get('namespace'),
            'visibility': namespace.get('visibility'),
            'protected': namespace.get('protected'),
            'owner': namespace.get('owner'),
            'project_id': namespace.get('owner')}


def enforce(conf, context, action, namespace=None):
    """Forbidden (403) unless the rule ``action`` allows ``context``."""
    get_enforcer(conf).enforce(context, action, target=target_of(namespace))
