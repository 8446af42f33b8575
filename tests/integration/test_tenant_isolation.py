"""Tenant isolation through real Keystone tokens: every actor x action x
visibility answers as the policy says, and hides what it must.

The matrix is data: :data:`ACTORS`, :data:`ACTIONS` and :data:`VISIBILITIES`,
and :func:`expected` is the policy written out once, for the secure
defaults and for the legacy ones (``enforce_new_defaults = false``).
Secure defaults: a project reader lists and shows what its project sees and
does nothing else; a project member changes, shares, deactivates and
deletes its project's images and downloads what it sees. Legacy defaults
(Kilo): ``reader`` is not told apart from ``member``, but deactivation
still needs a member of the owning project or an administrator (a
deprecated rule only widens the new one). Both: ``publicize_image`` needs
an administrator; only the member itself changes its membership. One test
per visibility x actor builds its own image and runs every action in the
order of :data:`ACTIONS`, whose later entries may change the image, so each
expectation holds for the state the earlier ones left.

The image of a cell belongs to project ``demo``. It starts ``shared`` with
data, gets ``alt_demo`` as a member with the cell's membership status when
the actor is a member, and then takes its visibility (``public`` set by
the admin), so a member of an image that is no longer shared is tested
too.
"""

import uuid

from tests.integration import keystone_base

VISIBILITIES = ('private', 'shared', 'community', 'public')

# actor -> (Keystone user or None for no token, membership of alt_demo)
ACTORS = {
    'owner': ('demo', None),
    'other_project': ('alt_demo', None),
    'accepted_member': ('alt_demo', 'accepted'),
    'pending_member': ('alt_demo', 'pending'),
    'rejected_member': ('alt_demo', 'rejected'),
    'reader': ('demo_reader', None),
    'admin': ('admin', None),
    'no_token': (None, None),
}

OWNER_USERS = ('demo', 'demo_reader')
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'


def can_see(actor, visibility):
    """Whether ``actor`` may see the image at all (else 404)."""
    user, membership = ACTORS[actor]
    return (user == 'admin' or user in OWNER_USERS or
            visibility in ('public', 'community') or
            (visibility == 'shared' and membership is not None))


def expected(action, actor, visibility, new_defaults=True):
    """(status, listed) the default policy gives ``actor`` for
    ``action`` on an image of ``visibility``; ``listed`` only for list."""
    user, membership = ACTORS[actor]
    if user is None:
        return 401, None
    admin = user == 'admin'
    owns = user in OWNER_USERS
    # Under the secure defaults a reader only reads.
    writes = not new_defaults or user != 'demo_reader'
    if action == 'list':
        listed = (admin or owns or visibility == 'public' or
                  (visibility == 'shared' and membership == 'accepted'))
        return 200, listed
    if not can_see(actor, visibility):
        return 404, None
    can_modify = admin or (owns and writes)
    if action == 'show':
        return 200, None
    if action == 'download':
        return (200 if writes else 403), None
    if action == 'update':
        return (200 if can_modify else 403), None
    if action == 'add_tag':
        return (204 if can_modify else 403), None
    if action == 'add_member':
        return (200 if can_modify and visibility == 'shared' else 403), None
    if action == 'accept_membership':
        if not writes or visibility != 'shared':
            return 403, None
        return (200 if membership else 404), None
    if action == 'deactivate':
        return (204 if admin or user == 'demo' else 403), None
    if action == 'publicize':
        if not can_modify:
            return 403, None
        return (200 if admin or visibility == 'public' else 403), None
    if action == 'delete':
        return (204 if can_modify else 403), None
    raise AssertionError('no expectation for %s' % action)


class TenantIsolationTestCase(keystone_base.KeystoneServerTestCase):
    """The matrix with the user's token reaching the registry."""

    use_user_token = True
    new_defaults = True

    @classmethod
    def policy_config(cls, config):
        config.setdefault('oslo_policy', {})['enforce_new_defaults'] = \
            cls.new_defaults
        return config

    @classmethod
    def registry_config(cls):
        return cls.policy_config(super().registry_config())

    @classmethod
    def api_config(cls):
        return cls.policy_config(super().api_config())

    # -- the actions: each returns (status, headers, body) ----------------

    def do_show(self, user, image):
        return self.call(user, 'GET', '/v2/images/%s' % image['id'])

    def do_list(self, user, image):
        return self.call(user, 'GET', '/v2/images?name=%s' % image['name'])

    def do_download(self, user, image):
        return self.call(user, 'GET', '/v2/images/%s/file' % image['id'])

    def do_update(self, user, image):
        return self.patch(user, image, 'name', image['name'] + '-renamed')

    def do_add_tag(self, user, image):
        return self.call(user, 'PUT', '/v2/images/%s/tags/isolation'
                         % image['id'])

    def do_add_member(self, user, image):
        return self.call(user, 'POST', '/v2/images/%s/members' % image['id'],
                         {'member': 'project-%s' % uuid.uuid4().hex})

    def do_accept_membership(self, user, image):
        project = self.project_ids.get(user, 'none')
        return self.call(user, 'PUT', '/v2/images/%s/members/%s'
                         % (image['id'], project), {'status': 'accepted'})

    def do_deactivate(self, user, image):
        return self.call(user, 'POST', '/v2/images/%s/actions/deactivate'
                         % image['id'])

    def do_publicize(self, user, image):
        return self.patch(user, image, 'visibility', 'public')

    def do_delete(self, user, image):
        return self.call(user, 'DELETE', '/v2/images/%s' % image['id'])

    def patch(self, user, image, name, value):
        return self.call(user, 'PATCH', '/v2/images/%s' % image['id'],
                         [{'op': 'replace', 'path': '/' + name,
                           'value': value}],
                         headers={'Content-Type': PATCH_TYPE})

    # -- arranging a cell ---------------------------------------------------

    def checked(self, expected_status, response):
        status, _, body = response
        self.assertEqual(expected_status, status, body)
        return body

    def arrange(self, visibility, actor):
        """demo's image for the cell, with data and memberships."""
        name = 'isolation-%s-%s-%s' % (visibility, actor, uuid.uuid4().hex)
        data = ('data of %s' % name).encode()
        image = self.create_image('demo', name=name, visibility='shared')
        self.checked(204, self.call(
            'demo', 'PUT', '/v2/images/%s/file' % image['id'], data,
            headers={'Content-Type': 'application/octet-stream'}))
        membership = ACTORS[actor][1]
        if membership:
            self.checked(200, self.call(
                'demo', 'POST', '/v2/images/%s/members' % image['id'],
                {'member': self.project_ids['alt_demo']}))
        if membership in ('accepted', 'rejected'):
            self.checked(200, self.call(
                'alt_demo', 'PUT', '/v2/images/%s/members/%s'
                % (image['id'], self.project_ids['alt_demo']),
                {'status': membership}))
        if visibility != 'shared':
            changer = 'admin' if visibility == 'public' else 'demo'
            self.checked(200, self.patch(changer, image, 'visibility',
                                         visibility))
        return image, data

    # -- checking one answer ------------------------------------------------

    def mismatches(self, action, actor, visibility, image, data, response):
        """What is wrong with ``response``; [] when it is as expected."""
        status, headers, body = response
        want, listed = expected(action, actor, visibility,
                                self.new_defaults)
        where = '%s by %s on %s image' % (action, actor, visibility)
        if status != want:
            return ['%s: %s, expected %s (%r)' % (where, status, want,
                                                  body[:300] if isinstance(
                                                      body, bytes) else body)]
        text = body if isinstance(body, bytes) else repr(body).encode()
        problems = []
        if b'Traceback' in text:
            problems.append('%s: error body has a traceback' % where)
        if status == 404 and not can_see(actor, visibility):
            # A hidden image: nothing of it or its owner in the answer,
            # which is the one a missing image gets.
            for secret in (image['name'], self.project_ids['demo']):
                if secret.encode() in text:
                    problems.append('%s: error body shows %r' % (where,
                                                                 secret))
            self.check_same_as_missing(action, actor, image, body,
                                       problems, where)
        if status == 401 and 'Keystone uri=' not in headers.get(
                'WWW-Authenticate', ''):
            problems.append('%s: 401 without WWW-Authenticate' % where)
        if action == 'list' and status == 200:
            ids = [i['id'] for i in body['images']]
            if (image['id'] in ids) != listed:
                problems.append('%s: listed is %s, expected %s'
                                % (where, not listed, listed))
        elif action == 'show' and status == 200 and body['id'] != image['id']:
            problems.append('%s: shows %s' % (where, body['id']))
        elif action == 'download' and status == 200 and body != data:
            problems.append('%s: downloaded other bytes' % where)
        return problems

    def check_same_as_missing(self, action, actor, image, body, problems,
                              where):
        """A hidden image answers exactly as an image that does not exist."""
        missing = dict(image, id=str(uuid.uuid4()))
        user = ACTORS[actor][0]
        _, _, missing_body = getattr(self, 'do_' + action)(user, missing)
        normalize = (lambda b: (b if isinstance(b, bytes) else repr(b)
                                .encode()).replace(image['id'].encode(), b'ID')
                     .replace(missing['id'].encode(), b'ID'))
        if normalize(body) != normalize(missing_body):
            problems.append('%s: 404 differs from a missing image: %r vs %r'
                            % (where, body, missing_body))

    def run_cell(self, visibility, actor):
        image, data = self.arrange(visibility, actor)
        user = ACTORS[actor][0]
        problems = []
        for action in ACTIONS:
            response = getattr(self, 'do_' + action)(user, image)
            problems += self.mismatches(action, actor, visibility, image,
                                        data, response)
        self.assertEqual([], problems)


ACTIONS = ('show', 'list', 'download', 'update', 'add_tag', 'add_member',
           'accept_membership', 'deactivate', 'publicize', 'delete')


def _add_cell_tests(cls):
    for visibility in VISIBILITIES:
        for actor in ACTORS:
            def test(self, visibility=visibility, actor=actor):
                self.run_cell(visibility, actor)
            test.__name__ = 'test_%s_image_as_%s' % (visibility, actor)
            test.__doc__ = ('Every action on a %s image by the %s answers '
                            'as the policy says.' % (visibility, actor))
            setattr(cls, test.__name__, test)
    return cls


@_add_cell_tests
class TestIsolationWithUserToken(TenantIsolationTestCase):
    """use_user_token = true: the registry sees the user's own token."""

    use_user_token = True


@_add_cell_tests
class TestIsolationWithServiceToken(TenantIsolationTestCase):
    """use_user_token = false: the registry sees glance-api's token and
    applies the caller's identity from X-Caller-* headers."""

    use_user_token = False


@_add_cell_tests
class TestIsolationWithLegacyDefaults(TenantIsolationTestCase):
    """enforce_new_defaults = false: the classic (Kilo) rules come back
    beside the new ones."""

    use_user_token = True
    new_defaults = False
