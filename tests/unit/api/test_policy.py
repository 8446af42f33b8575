"""Policy defaults, the enforcer and property protections."""

import os
import tempfile

from oslo_config import cfg
from oslo_config import fixture as config_fixture
import testtools

from glance_api import policy
from glance_api import property_protections
from glance_registry.common import context as context_module
from glance_registry.common import exception


def make_context(project='p1', roles=('member', 'reader'), is_admin=False):
    return context_module.RequestContext(project_id=project, user_id='u',
                                         roles=list(roles),
                                         is_admin=is_admin)


def write_policy(test, conf_fixture, text):
    """A policy.yaml with ``text``, made the policy_file of the config
    fixture's conf, removed at the test's cleanup."""
    fd, path = tempfile.mkstemp(suffix='.yaml')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    test.addCleanup(os.unlink, path)
    conf_fixture.config(policy_file=path, group='oslo_policy')
    return path


IMAGE = {'id': 'i', 'owner': 'p1', 'visibility': 'private',
         'status': 'active'}
MEMBER = make_context(roles=('member', 'reader'))
READER = make_context(roles=('reader',))
ADMIN = make_context('p9', roles=('admin', 'member', 'reader'),
                     is_admin=True)


class PolicyTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf.conf([], project='glance')
        self.enforcer = policy.Enforcer(self.conf.conf)

    def write_policy(self, text):
        return write_policy(self, self.conf, text)

    def test_every_upstream_rule_has_a_default(self):
        names = {rule.name for rule in policy.list_rules()}
        for name in ('context_is_admin', 'get_image', 'get_images',
                     'add_image', 'modify_image', 'publicize_image',
                     'communitize_image', 'delete_image', 'download_image',
                     'upload_image', 'deactivate', 'reactivate',
                     'add_member', 'get_member', 'get_members',
                     'modify_member', 'delete_member', 'get_image_location',
                     'set_image_location', 'delete_image_location'):
            self.assertIn(name, names)

    def test_publicize_is_for_admins(self):
        self.assertFalse(self.enforcer.check(make_context(),
                                             'publicize_image'))
        self.assertTrue(self.enforcer.check(ADMIN, 'publicize_image'))

    def test_project_member_writes_its_own_images_only(self):
        own = policy.target_of(IMAGE)
        other = policy.target_of(dict(IMAGE, owner='p2'))
        for action in ('modify_image', 'delete_image', 'upload_image',
                       'deactivate', 'reactivate', 'add_member',
                       'delete_member', 'communitize_image'):
            self.assertTrue(self.enforcer.check(MEMBER, action, own),
                            action)
            self.assertFalse(self.enforcer.check(MEMBER, action, other),
                             action)
            self.assertFalse(self.enforcer.check(READER, action, own),
                             action)
            self.assertTrue(self.enforcer.check(ADMIN, action, other),
                            action)

    def test_reader_lists_and_shows_but_does_not_download(self):
        own = policy.target_of(IMAGE)
        self.assertTrue(self.enforcer.check(READER, 'get_images'))
        self.assertTrue(self.enforcer.check(READER, 'get_image', own))
        self.assertFalse(self.enforcer.check(READER, 'download_image', own))
        self.assertTrue(self.enforcer.check(MEMBER, 'download_image', own))
        self.assertFalse(self.enforcer.check(make_context(roles=[]),
                                             'get_images'))

    def test_visible_images_of_other_projects_are_read_by_role(self):
        for visibility in ('public', 'community', 'shared'):
            target = policy.target_of(dict(IMAGE, owner='p2',
                                           visibility=visibility))
            self.assertTrue(self.enforcer.check(READER, 'get_image', target))
            self.assertTrue(self.enforcer.check(MEMBER, 'download_image',
                                                target))
        private = policy.target_of(dict(IMAGE, owner='p2'))
        self.assertFalse(self.enforcer.check(READER, 'get_image', private))

    def test_a_property_cannot_name_the_member_of_a_private_image(self):
        private = policy.target_of(dict(IMAGE, owner='p2', properties={
            'member_id': 'p1', 'project_id': 'p1'}))
        self.assertFalse(self.enforcer.check(READER, 'get_image', private))

    def test_member_creates_in_its_own_project_only(self):
        self.assertTrue(self.enforcer.check(
            MEMBER, 'add_image', {'project_id': 'p1', 'owner': 'p1'}))
        self.assertFalse(self.enforcer.check(
            MEMBER, 'add_image', {'project_id': 'p1', 'owner': 'p2'}))
        self.assertFalse(self.enforcer.check(
            READER, 'add_image', {'project_id': 'p1', 'owner': 'p1'}))

    def test_only_the_member_itself_changes_its_membership(self):
        shared = dict(IMAGE, owner='p2', visibility='shared')
        self.assertTrue(self.enforcer.check(
            MEMBER, 'modify_member', policy.target_of(shared,
                                                      member_id='p1')))
        self.assertFalse(self.enforcer.check(
            MEMBER, 'modify_member', policy.target_of(shared,
                                                      member_id='p3')))
        self.assertTrue(self.enforcer.check(
            READER, 'get_members', policy.target_of(shared,
                                                    member_id='p1')))

    def test_system_scoped_admin_is_refused_project_rules(self):
        system_admin = context_module.RequestContext(
            user_id='u', roles=['admin', 'member', 'reader'],
            system_scope='all', is_admin=True)
        self.assertFalse(self.enforcer.check(system_admin, 'get_images'))
        self.assertRaises(exception.ImageNotFound, self.enforcer.enforce,
                          system_admin, 'delete_image', IMAGE)
        self.conf.config(enforce_scope=False, group='oslo_policy')
        self.assertTrue(policy.Enforcer(self.conf.conf).check(
            system_admin, 'get_images'))

    def test_refusal_on_an_image_the_caller_cannot_see_is_not_found(self):
        nobody = make_context('p2', roles=[])
        self.assertRaises(exception.ImageNotFound, self.enforcer.enforce,
                          nobody, 'delete_image', IMAGE)
        e = self.assertRaises(exception.Forbidden, self.enforcer.enforce,
                              READER, 'delete_image', IMAGE)
        self.assertIn('delete_image', str(e))

    def test_legacy_defaults_bring_back_the_classic_rules(self):
        self.conf.config(enforce_new_defaults=False, group='oslo_policy')
        enforcer = policy.Enforcer(self.conf.conf)
        own = policy.target_of(IMAGE)
        for action in ('add_image', 'modify_image', 'upload_image',
                       'download_image', 'add_member'):
            self.assertTrue(enforcer.check(READER, action, own), action)
        self.assertFalse(enforcer.check(READER, 'publicize_image', own))

    def test_enforce_raises_forbidden_naming_the_action(self):
        e = self.assertRaises(exception.Forbidden, self.enforcer.enforce,
                              make_context(), 'publicize_image')
        self.assertNotIsInstance(e, exception.ImageNotFound)
        self.assertIn('publicize_image', str(e))

    def test_policy_file_overrides_a_default_with_owner_target(self):
        self.write_policy('"delete_image": "project_id:%(project_id)s"\n')
        enforcer = policy.Enforcer(self.conf.conf)
        image = {'id': 'i', 'owner': 'p1', 'visibility': 'public'}
        enforcer.enforce(make_context('p1'), 'delete_image', image)
        self.assertRaises(exception.Forbidden, enforcer.enforce,
                          make_context('p2'), 'delete_image', image)

    def test_an_edited_policy_file_is_read_within_the_recheck_interval(self):
        path = self.write_policy('"get_images": "!"\n')
        enforcer = policy.Enforcer(self.conf.conf)
        now = [1000.0]
        enforcer.enforcer.clock = lambda: now[0]
        self.assertFalse(enforcer.check(MEMBER, 'get_images'))
        with open(path, 'w') as f:
            f.write('"get_images": ""\n')
        later = os.stat(path).st_mtime + 5
        os.utime(path, (later, later))
        # Checks within the interval use the rules already read...
        now[0] += 0.5
        self.assertFalse(enforcer.check(MEMBER, 'get_images'))
        # ...the first one after it reads the edited file.
        now[0] += 0.6
        self.assertTrue(enforcer.check(MEMBER, 'get_images'))

    def test_a_rule_registered_after_a_check_is_in_force_at_once(self):
        from oslo_policy import policy as oslo_policy
        enforcer = policy.Enforcer(self.conf.conf)
        enforcer.enforcer.clock = lambda: 1000.0
        self.assertTrue(enforcer.check(MEMBER, 'get_images'))
        enforcer.enforcer.register_default(
            oslo_policy.RuleDefault('late_rule', '!'))
        self.assertFalse(enforcer.check(MEMBER, 'late_rule'))
        enforcer.enforcer.register_default(
            oslo_policy.RuleDefault('later_rule', '@'))
        self.assertTrue(enforcer.check(MEMBER, 'later_rule'))

    def test_target_carries_owner_as_project_id_and_properties(self):
        target = policy.target_of({'id': 'i', 'owner': 'p', 'status':
                                   'active', 'properties': {'a': '1'}})
        self.assertEqual(('p', 'p', '1'), (target['project_id'],
                                           target['owner'], target['a']))


class PropertyProtectionsTestCase(testtools.TestCase):

    RULES = ('[^x_owner_.*]\ncreate = admin,member\nread = admin,member\n'
             'update = admin,member\ndelete = admin,member\n\n'
             '[^x_ro_.*]\ncreate = admin\nread = @\nupdate = !\n'
             'delete = !\n\n'
             '[^x_partial_.*]\ncreate = admin\n\n'
             '[.*]\ncreate = @\nread = @\nupdate = @\ndelete = @\n')

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(cfg.ConfigOpts()))
        self.conf.register_opts(property_protections.protection_opts)
        self.conf.conf([], project='glance')

    def load(self, text, rule_format='roles'):
        fd, path = tempfile.mkstemp(suffix='.conf')
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        self.conf.config(property_protection_file=path,
                         property_protection_rule_format=rule_format)
        enforcer = policy.Enforcer(self.conf.conf)
        return property_protections.PropertyProtections.from_conf(
            self.conf.conf, enforcer)

    def test_no_file_means_no_protections(self):
        self.assertIsNone(
            property_protections.PropertyProtections.from_conf(
                self.conf.conf))

    def test_first_matching_section_decides(self):
        rules = self.load(self.RULES)
        member = make_context()
        reader = make_context(roles=['reader'])
        self.assertTrue(rules.allowed(member, 'x_owner_a', 'update'))
        self.assertFalse(rules.allowed(reader, 'x_owner_a', 'read'))
        self.assertTrue(rules.allowed(reader, 'x_ro_a', 'read'))
        self.assertFalse(rules.allowed(make_context(roles=['admin']),
                                       'x_ro_a', 'update'))
        self.assertTrue(rules.allowed(reader, 'anything', 'delete'))

    def test_missing_operation_is_refused(self):
        rules = self.load(self.RULES)
        admin = make_context(roles=['admin'])
        self.assertTrue(rules.allowed(admin, 'x_partial_a', 'create'))
        self.assertFalse(rules.allowed(admin, 'x_partial_a', 'read'))

    def test_readable_drops_unreadable_properties(self):
        rules = self.load(self.RULES)
        self.assertEqual({'x_ro_a': '1', 'b': '2'}, rules.readable(
            make_context(roles=['reader']),
            {'x_ro_a': '1', 'b': '2', 'x_owner_c': '3'}))

    def test_check_changes_names_create_update_delete(self):
        rules = self.load(self.RULES)
        member = make_context()
        rules.check_changes(member, {'x_owner_a': '1'}, {'x_owner_a': '2'})
        e = self.assertRaises(exception.Forbidden, rules.check_changes,
                              member, {}, {'x_ro_a': '1'})
        self.assertIn('create', str(e))
        e = self.assertRaises(exception.Forbidden, rules.check_changes,
                              member, {'x_ro_a': '1'}, {'x_ro_a': '2'})
        self.assertIn('update', str(e))
        e = self.assertRaises(exception.Forbidden, rules.check_changes,
                              member, {'x_ro_a': '1'}, {})
        self.assertIn('delete', str(e))

    def test_policies_format_checks_named_rules(self):
        rules = self.load('[^x_.*]\ncreate = context_is_admin\n'
                          'read = default\nupdate = context_is_admin\n'
                          'delete = context_is_admin\n', 'policies')
        self.assertFalse(rules.allowed(make_context(), 'x_a', 'create'))
        self.assertTrue(rules.allowed(make_context(), 'x_a', 'read'))
        self.assertTrue(rules.allowed(make_context(roles=['admin']),
                                      'x_a', 'create'))

    def test_bad_pattern_or_file_stops_the_service(self):
        self.assertRaises(RuntimeError, self.load, '[(unclosed]\nread = @\n')
        self.conf.config(property_protection_file='/nonexistent/file')
        self.assertRaises(
            RuntimeError,
            property_protections.PropertyProtections.from_conf,
            self.conf.conf)
