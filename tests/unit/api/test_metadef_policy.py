"""Metadef policy defaults, registered on glance-api's enforcer."""

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from glance_api.v2.metadefs import policy
from glance_registry.common import context as context_module
from glance_registry.common import exception


def make_context(project='p1', roles=('member',)):
    return context_module.RequestContext(
        project_id=project, user_id='u', roles=list(roles),
        is_admin='admin' in roles)


class MetadefPolicyTests(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(
            config_fixture.Config(cfg.ConfigOpts())).conf
        self.conf([], project='glance')

    def test_readers_read_and_writes_need_admin_by_default(self):
        reader = make_context(roles=('reader',))
        admin = make_context('a', roles=('admin',))
        namespace = {'namespace': 'n', 'owner': 'p1',
                     'visibility': 'private'}
        for rule in policy.RULES:
            if rule.name in ('metadef_default', 'metadef_admin'):
                continue
            if rule.check_str == policy.ADMIN:
                self.assertRaises(exception.Forbidden, policy.enforce,
                                  self.conf, reader, rule.name, namespace)
            else:
                self.assertEqual(policy.DEFAULT,
                                 rule.deprecated_rule.check_str, rule.name)
                policy.enforce(self.conf, reader, rule.name, namespace)
            policy.enforce(self.conf, admin, rule.name, namespace)

    def test_public_namespaces_of_other_projects_are_readable(self):
        reader = make_context('p2', roles=('reader',))
        public = {'namespace': 'n', 'owner': 'p1', 'visibility': 'public'}
        policy.enforce(self.conf, reader, 'get_metadef_namespace', public)
        self.assertRaises(exception.Forbidden, policy.enforce, self.conf,
                          reader, 'get_metadef_namespace',
                          dict(public, visibility='private'))
        self.assertRaises(exception.Forbidden, policy.enforce, self.conf,
                          make_context('p2', roles=()),
                          'get_metadef_namespaces')

    def test_registering_twice_is_harmless(self):
        first = policy.get_enforcer(self.conf)
        self.assertIs(first, policy.get_enforcer(self.conf))
        self.assertIn('add_metadef_namespace',
                      first.enforcer.registered_rules)

    def test_every_upstream_metadef_rule_has_a_default(self):
        names = {rule.name for rule in policy.list_rules()}
        for name in ('get_metadef_namespace', 'get_metadef_namespaces',
                     'modify_metadef_namespace', 'add_metadef_namespace',
                     'delete_metadef_namespace', 'get_metadef_object',
                     'get_metadef_objects', 'modify_metadef_object',
                     'add_metadef_object', 'delete_metadef_object',
                     'list_metadef_resource_types',
                     'get_metadef_resource_type',
                     'add_metadef_resource_type_association',
                     'remove_metadef_resource_type_association',
                     'get_metadef_property', 'get_metadef_properties',
                     'modify_metadef_property', 'add_metadef_property',
                     'remove_metadef_property', 'get_metadef_tag',
                     'get_metadef_tags', 'modify_metadef_tag',
                     'add_metadef_tag', 'add_metadef_tags',
                     'delete_metadef_tag', 'delete_metadef_tags'):
            self.assertIn(name, names)
