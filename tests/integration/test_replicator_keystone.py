"""glance-replicator between two Glance pairs in the keystone flavor, on
the real Keystone: a password login from OS_* variables, tokens given per
side, and an owner the target lets a non-admin keep or not."""

from tests.functional import test_replicator
from tests.integration import keystone_base


class KeystoneReplicatorTestCase(test_replicator.ReplicatorMixin,
                                 keystone_base.KeystoneServerTestCase):

    def headers(self, extra=None):
        return dict(extra or {}, **{'X-Auth-Token': self.tokens['admin']})

    def test_livecopy_with_a_keystone_password_login(self):
        data = b'keystone-replicated' * 1000
        image = self.create_active(data, name='demo-image',
                                   owner=self.project_ids['demo'],
                                   os_distro='cirros', tags=['ks'])
        source, target = self.server(self.api), self.server(self.target)

        refused = self.replicator('livecopy', source, target, expect=1)
        self.assertIn('401', refused.stderr)

        admin = self.keystone.os_environ('admin')
        result = self.replicator('livecopy', source, target, env=admin)

        self.assertIn('copied %s' % image['id'], result.stdout)
        self.assertCopied(self.target, image, data)
        self.assertEqual('', self.replicator('compare', source, target,
                                             env=admin).stdout)

    def test_tokens_per_side_and_an_owner_the_target_refuses(self):
        data = b'alt-demo data' * 333
        image = self.create_active(data, name='alt-image',
                                   owner=self.project_ids['alt_demo'])
        source, target = self.server(self.api), self.server(self.third)
        tokens = ['-M', self.tokens['alt_demo'], '-S', self.tokens['demo']]

        result = self.replicator('livecopy', source, target, *tokens)

        self.assertIn('copied %s' % image['id'], result.stdout)
        self.assertIn('refused owner %s' % self.project_ids['alt_demo'],
                      result.stderr)
        fields = [f for f in test_replicator.COPIED_FIELDS if f != 'owner']
        copy = self.assertCopied(self.third, image, data, fields)
        self.assertEqual(self.project_ids['demo'], copy['owner'])
        compare = self.replicator('compare', source, target, *tokens)
        self.assertEqual(['%s: field owner differs (source: "%s", target: '
                          '"%s")' % (image['id'],
                                     self.project_ids['alt_demo'],
                                     self.project_ids['demo'])],
                         compare.stdout.splitlines())
