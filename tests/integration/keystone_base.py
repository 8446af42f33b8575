"""glance-registry and glance-api in the keystone flavor, on the test
process's real Keystone (:func:`keystone_fixture.shared_keystone`).

Both daemons get ``[paste_deploy] flavor = keystone`` and the
``[keystone_authtoken]`` an RDO controller has (the glance service user in
the ``service`` project). Tokens are issued once per class.
"""

import json

from requests import structures

from tests.functional import base
from tests.integration import keystone_fixture


class KeystoneServerTestCase(base.ServerTestCase):
    """Subclasses set ``use_user_token`` and may override ``flavor``."""

    flavor = 'keystone'
    use_user_token = True

    @classmethod
    def setUpClass(cls):
        cls.keystone = keystone_fixture.shared_keystone()
        super().setUpClass()
        if cls.start_api:
            cls.keystone.set_image_url(cls.api.url)
        cls.tokens = {name: cls.keystone.token_for(name, cached=True)
                      for name in cls.keystone.users}
        cls.project_ids = {name: user.project_id
                           for name, user in cls.keystone.users.items()}

    @classmethod
    def keystone_config(cls, config):
        config.setdefault('paste_deploy', {})['flavor'] = cls.flavor
        config.setdefault('keystone_authtoken', {}).update(
            cls.keystone.authtoken_conf)
        return config

    @classmethod
    def registry_config(cls):
        return cls.keystone_config(super().registry_config())

    @classmethod
    def api_config(cls):
        config = cls.keystone_config(super().api_config())
        config.setdefault('DEFAULT', {})['use_user_token'] = \
            cls.use_user_token
        return config

    def call(self, user, method, path, body=None, headers=None, server=None):
        """One request as ``user`` (a fixture user name, or None for no
        token); returns (status, headers, JSON body or bytes), headers
        case-insensitive."""
        headers = dict(headers or {})
        if user is not None:
            headers['X-Auth-Token'] = self.tokens[user]
        status, resp_headers, data = self.request(method, path, body,
                                                  headers, server=server)
        resp_headers = structures.CaseInsensitiveDict(resp_headers)
        if resp_headers.get('Content-Type', '').startswith(
                'application/json') and data:
            data = json.loads(data)
        return status, resp_headers, data

    def create_image(self, user, **values):
        values.setdefault('name', 'image-of-%s' % user)
        values.setdefault('disk_format', 'raw')
        values.setdefault('container_format', 'bare')
        status, _, image = self.call(user, 'POST', '/v2/images', values)
        self.assertEqual(201, status, image)
        return image

    def rpc(self, headers, command, **kwargs):
        """POST /rpc on the registry with exactly ``headers``."""
        return self.call(None, 'POST', '/rpc',
                         [{'command': command, 'kwargs': kwargs}],
                         headers=headers, server=self.registry)
