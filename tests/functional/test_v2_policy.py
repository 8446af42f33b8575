"""Policy (oslo.policy, policy.yaml) and property protections (roles and
policies formats) against real glance-registry and glance-api processes."""

import json
import os
import tempfile

from tests.functional import base
from tests.functional import test_v2_lifecycle as lifecycle

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
OWNER = lifecycle.OWNER
OTHER = lifecycle.OTHER
ADMIN = lifecycle.ADMIN
ROLES_FILE = """
[^x_owner_.*]
create = admin,member
read = admin,member
update = admin,member
delete = admin,member

[^x_admin_.*]
create = admin
read = admin
update = admin
delete = admin

[^x_readonly_.*]
create = admin
read = admin,member
update = !
delete = !

[^x_none_.*]
create = admin
read = admin

[.*]
create = @
read = @
update = @
delete = @
"""
POLICIES_FILE = """
[^x_admin_.*]
create = context_is_admin
read = context_is_admin
update = context_is_admin
delete = context_is_admin

[.*]
create = default
read = default
update = default
delete = default
"""


def _write(text, suffix):
    fd, path = tempfile.mkstemp(suffix=suffix, prefix='glance-policy-')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    return path


class PolicyMixin(lifecycle.LifecycleMixin):

    def create(self, headers=OWNER, expected=201, **values):
        body = {'name': 'pol', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(values)
        return self.call('POST', '/v2/images', body, headers, expected)[1]

    def patch(self, image_id, changes, headers=OWNER, expected=200):
        status, _, data = self.request(
            'PATCH', '/v2/images/%s' % image_id,
            json.dumps(changes).encode(), dict(PATCH, **headers))
        self.assertEqual(expected, status, data)
        return json.loads(data) if data else None


class PolicyFileTestCase(PolicyMixin, base.ServerTestCase):
    """Rules changed by an operator's policy.yaml."""

    @classmethod
    def api_config(cls):
        cls.policy_path = _write(
            '"get_images": "rule:context_is_admin"\n'
            '"download_image": "rule:context_is_admin"\n'
            '"delete_image": "!"\n'
            '"add_member": "!"\n'
            '"publicize_image": ""\n'
            '"deactivate": "rule:context_is_admin or '
            'project_id:%(project_id)s"\n', '.yaml')
        config = super().api_config()
        config.setdefault('oslo_policy', {})['policy_file'] = \
            cls.policy_path
        return config

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.policy_path)

    def test_rule_denies_list_to_non_admin_only(self):
        status, body = self.call('GET', '/v2/images')
        self.assertEqual(403, status, body)
        self.call('GET', '/v2/images', headers=ADMIN, expected=200)

    def test_download_denied_by_rule(self):
        image = self.create_active()
        status, _, _ = self.download(image['id'])
        self.assertEqual(403, status)
        status, _, body = self.download(image['id'], ADMIN)
        self.assertEqual((200, lifecycle.DATA), (status, body))

    def test_delete_denied_for_everyone_by_never_rule(self):
        image = self.create()
        self.call('DELETE', '/v2/images/%s' % image['id'], expected=403)
        self.call('DELETE', '/v2/images/%s' % image['id'], headers=ADMIN,
                  expected=403)

    def test_add_member_denied_by_rule(self):
        image = self.create(visibility='shared')
        self.call('POST', '/v2/images/%s/members' % image['id'],
                  {'member': 'other-project'}, expected=403)

    def test_publicize_opened_to_everyone_by_rule(self):
        image = self.create(visibility='public')
        self.assertEqual('public', image['visibility'])

    def test_deactivate_opened_to_owner_by_rule_but_not_to_others(self):
        image = self.create_active(visibility='public', headers=ADMIN)
        mine = self.create_active()
        status, _, _ = self.request(
            'POST', '/v2/images/%s/actions/deactivate' % mine['id'],
            headers=dict(OWNER))
        self.assertEqual(204, status)
        status, _, _ = self.request(
            'POST', '/v2/images/%s/actions/deactivate' % image['id'],
            headers=dict(OTHER))
        self.assertEqual(403, status)


class RolesProtectionsTestCase(PolicyMixin, base.ServerTestCase):
    """property_protection_rule_format = roles."""

    @classmethod
    def api_config(cls):
        cls.protections_path = _write(ROLES_FILE, '.conf')
        config = super().api_config()
        config.setdefault('DEFAULT', {}).update(
            property_protection_file=cls.protections_path,
            property_protection_rule_format='roles')
        return config

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.protections_path)

    def test_member_creates_owner_property_but_not_admin_property(self):
        image = self.create(x_owner_foo='1')
        self.assertEqual('1', image['x_owner_foo'])
        self.create(expected=403, x_admin_foo='1')

    def test_admin_property_hidden_from_member_reads(self):
        image = self.create(headers=ADMIN, visibility='public',
                            x_admin_secret='s', x_readonly_a='r')
        self.assertEqual('s', image['x_admin_secret'])
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             headers=OTHER, expected=200)
        self.assertNotIn('x_admin_secret', shown)
        self.assertEqual('r', shown['x_readonly_a'])
        _, listed = self.call('GET', '/v2/images?id=%s' % image['id'],
                              headers=OTHER, expected=200)
        self.assertNotIn('x_admin_secret', listed['images'][0])
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             headers=ADMIN, expected=200)
        self.assertEqual('s', shown['x_admin_secret'])

    def test_update_and_delete_refused_where_rule_says_so(self):
        image = self.create(headers=ADMIN, x_readonly_a='r',
                            x_admin_b='b')
        image = self.patch(image['id'], [{'op': 'add', 'path': '/owner',
                                          'value': 'owner-project'}],
                           headers=ADMIN)
        self.assertEqual('r', image['x_readonly_a'])
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('r', shown['x_readonly_a'], shown)
        self.patch(image['id'], [{'op': 'replace', 'path': '/x_readonly_a',
                                  'value': 'x'}], expected=403)
        self.patch(image['id'], [{'op': 'remove', 'path': '/x_readonly_a'}],
                   expected=403)
        # An unreadable property is as good as absent for the member, and
        # survives the member's other changes.
        self.patch(image['id'], [{'op': 'remove', 'path': '/x_admin_b'}],
                   expected=409)
        got = self.patch(image['id'], [{'op': 'add', 'path': '/x_owner_c',
                                        'value': 'c'}])
        self.assertEqual('c', got['x_owner_c'])
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             headers=ADMIN, expected=200)
        self.assertEqual('b', shown['x_admin_b'])
        self.assertEqual('r', shown['x_readonly_a'])

    def test_operation_missing_from_section_is_refused(self):
        image = self.create(headers=ADMIN, x_none_a='1')
        self.patch(image['id'], [{'op': 'replace', 'path': '/x_none_a',
                                  'value': '2'}], headers=ADMIN,
                   expected=403)

    def test_unmatched_property_open_to_all(self):
        image = self.create(anything='1')
        got = self.patch(image['id'], [{'op': 'replace', 'path':
                                        '/anything', 'value': '2'}])
        self.assertEqual('2', got['anything'])


class PoliciesProtectionsTestCase(PolicyMixin, base.ServerTestCase):
    """property_protection_rule_format = policies."""

    @classmethod
    def api_config(cls):
        cls.protections_path = _write(POLICIES_FILE, '.conf')
        config = super().api_config()
        config.setdefault('DEFAULT', {}).update(
            property_protection_file=cls.protections_path,
            property_protection_rule_format='policies')
        return config

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.protections_path)

    def test_policy_rule_decides_each_operation(self):
        self.create(expected=403, x_admin_a='1')
        image = self.create(headers=ADMIN, visibility='public',
                            x_admin_a='1', plain='p')
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             headers=OTHER, expected=200)
        self.assertNotIn('x_admin_a', shown)
        self.assertEqual('p', shown['plain'])


class PolicyFileOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                      PolicyFileTestCase):
    """Every policy-file test of PolicyFileTestCase, with the registry
    reached over RabbitMQ."""
