"""Visibility rules, list filters, sorting and marker pagination."""

from glance_registry.common import exception
from glance_registry.db import api
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')
P3 = base.make_context('p3')
P4 = base.make_context('p4')
P5 = base.make_context('p5')
ADMIN = base.ADMIN


def names(images):
    return [image['name'] for image in images]


class VisibilityTests(base.DBTestCase):
    """p1 owns one image of each visibility; p2 accepted, p3 pending and
    p4 rejected membership of the shared one; p5 is a stranger."""

    def setUp(self):
        super().setUp()
        self.ids = {}
        for i, visibility in enumerate(('private', 'public', 'shared',
                                        'community')):
            self.ids[visibility] = api.image_create(P1, {
                'name': visibility, 'owner': 'p1', 'visibility': visibility,
                'created_at': base.at(i)})['id']
        for project, status in (('p2', 'accepted'), ('p3', 'pending'),
                                ('p4', 'rejected')):
            api.image_member_create(P1, {'image_id': self.ids['shared'],
                                         'member': project,
                                         'status': status})

    def listed(self, context, **kwargs):
        return sorted(names(api.image_get_all(context, **kwargs)))

    def test_owner_lists_all_its_images_but_community_needs_the_filter(self):
        self.assertEqual(['community', 'private', 'public', 'shared'],
                         self.listed(P1))

    def test_stranger_lists_public_only_and_gets_community(self):
        self.assertEqual(['public'], self.listed(P5))
        self.assertEqual('community',
                         api.image_get(P5, self.ids['community'])['name'])
        for visibility in ('private', 'shared'):
            self.assertRaises(exception.ImageNotFound, api.image_get, P5,
                              self.ids[visibility])

    def test_community_images_are_listed_with_the_visibility_filter(self):
        self.assertEqual(['community'], self.listed(
            P5, filters={'visibility': 'community'}))

    def test_members_of_any_status_can_get_the_shared_image(self):
        for context in (P2, P3, P4):
            image = api.image_get(context, self.ids['shared'])
            self.assertEqual('shared', image['name'])

    def test_shared_image_is_listed_for_accepted_members_by_default(self):
        self.assertEqual(['public', 'shared'], self.listed(P2))
        self.assertEqual(['public'], self.listed(P3))
        self.assertEqual(['public'], self.listed(P4))

    def test_member_status_selects_which_shared_images_are_listed(self):
        self.assertEqual(['public', 'shared'],
                         self.listed(P3, member_status='pending'))
        self.assertEqual(['public', 'shared'],
                         self.listed(P4, member_status='rejected'))
        self.assertEqual(['public', 'shared'],
                         self.listed(P4, member_status='all'))
        self.assertEqual(['public'], self.listed(P2,
                                                 member_status='pending'))

    def test_deleted_membership_hides_the_shared_image(self):
        member = api.image_member_find(P1, image_id=self.ids['shared'],
                                       member='p2')[0]
        api.image_member_delete(P1, member['id'])
        self.assertEqual(['public'], self.listed(P2))
        self.assertRaises(exception.ImageNotFound, api.image_get, P2,
                          self.ids['shared'])

    def test_private_image_with_a_member_stays_private(self):
        api.image_member_create(P1, {'image_id': self.ids['private'],
                                     'member': 'p5', 'status': 'accepted'})
        self.assertRaises(exception.ImageNotFound, api.image_get, P5,
                          self.ids['private'])

    def test_admin_sees_everything_unless_admin_as_user(self):
        other = api.image_create(P5, {'name': 'p5-private', 'owner': 'p5',
                                      'visibility': 'private'})
        self.assertEqual(['community', 'p5-private', 'private', 'public',
                          'shared'], self.listed(ADMIN))
        self.assertEqual('p5-private', api.image_get(ADMIN,
                                                     other['id'])['name'])
        self.assertEqual(['public'], self.listed(ADMIN, admin_as_user=True))

    def test_visibility_filter_narrows_the_list(self):
        self.assertEqual(['private'], self.listed(
            P1, filters={'visibility': 'private'}))
        self.assertEqual(['shared'], self.listed(
            P2, filters={'visibility': 'shared'}))
        self.assertRaises(exception.InvalidFilter, api.image_get_all, P1,
                          filters={'visibility': 'everyone'})

    def test_is_public_selects_public_or_not(self):
        self.assertEqual(['public'], self.listed(P1, is_public=True))
        self.assertEqual(['community', 'private', 'shared'],
                         self.listed(P1, is_public=False))


class FilterTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.a = api.image_create(P1, {
            'name': 'alpha', 'owner': 'p1', 'status': 'active',
            'size': 10, 'disk_format': 'qcow2', 'container_format': 'bare',
            'checksum': 'c' * 32, 'os_hash_value': 'h' * 128,
            'protected': True, 'created_at': base.at(0),
            'updated_at': base.at(100), 'tags': ['x', 'y'],
            'properties': {'os_distro': 'cirros', 'arch': 'x86_64'}})
        self.b = api.image_create(P1, {
            'name': 'beta', 'owner': 'p1', 'status': 'queued', 'size': 20,
            'disk_format': 'raw', 'container_format': 'ovf',
            'created_at': base.at(10), 'updated_at': base.at(200),
            'tags': ['x'], 'properties': {'os_distro': 'fedora'}})
        self.c = api.image_create(P1, {
            'name': 'gamma', 'owner': 'p2', 'visibility': 'public',
            'status': 'active', 'size': 30, 'disk_format': 'qcow2',
            'container_format': 'bare', 'created_at': base.at(20),
            'updated_at': base.at(300)})
        self.hidden = api.image_create(P1, {
            'name': 'hidden', 'owner': 'p1', 'os_hidden': True,
            'created_at': base.at(30)})

    def listed(self, **filters):
        return sorted(names(api.image_get_all(P1, filters=filters)))

    def test_name_status_formats_id_owner_match_exactly_or_with_in(self):
        self.assertEqual(['alpha'], self.listed(name='alpha'))
        self.assertEqual(['alpha', 'gamma'],
                         self.listed(name='in:alpha,gamma'))
        self.assertEqual(['alpha', 'gamma'], self.listed(status='active'))
        self.assertEqual(['alpha', 'beta', 'gamma'],
                         self.listed(status='in:active,queued'))
        self.assertEqual(['beta'], self.listed(disk_format='raw'))
        self.assertEqual(['alpha', 'beta'],
                         self.listed(container_format='in:ovf,bare',
                                     owner='p1'))
        self.assertEqual(['beta', 'gamma'],
                         self.listed(id='in:%s,%s' % (self.b['id'],
                                                      self.c['id'])))
        self.assertEqual(['gamma'], self.listed(owner='p2'))

    def test_checksum_and_os_hash_value(self):
        self.assertEqual(['alpha'], self.listed(checksum='c' * 32))
        self.assertEqual(['alpha'], self.listed(os_hash_value='h' * 128))
        self.assertEqual([], self.listed(checksum='0' * 32))

    def test_tags_must_all_match(self):
        self.assertEqual(['alpha', 'beta'], self.listed(tags=['x']))
        self.assertEqual(['alpha'], self.listed(tags=['x', 'y']))
        self.assertEqual([], self.listed(tags=['x', 'z']))

    def test_size_min_and_max(self):
        self.assertEqual(['beta', 'gamma'], self.listed(size_min=20))
        self.assertEqual(['alpha', 'beta'], self.listed(size_max='20'))
        self.assertEqual(['beta'], self.listed(size_min=15, size_max=25))
        self.assertRaises(exception.InvalidFilter, self.listed,
                          size_min='big')

    def test_protected_and_os_hidden(self):
        self.assertEqual(['alpha'], self.listed(protected=True))
        self.assertEqual(['beta', 'gamma'], self.listed(protected='false'))
        self.assertEqual(['hidden'], self.listed(os_hidden=True))
        self.assertNotIn('hidden', self.listed())
        self.assertRaises(exception.InvalidFilter, self.listed,
                          protected='maybe')

    def test_properties_must_all_match(self):
        self.assertEqual(['alpha'], self.listed(
            properties={'os_distro': 'cirros'}))
        self.assertEqual(['alpha'], self.listed(
            properties={'os_distro': 'cirros', 'arch': 'x86_64'}))
        self.assertEqual([], self.listed(
            properties={'os_distro': 'fedora', 'arch': 'x86_64'}))

    def test_created_at_and_updated_at_operators(self):
        t10 = '2020-01-01T12:00:10Z'
        self.assertEqual(['gamma'],
                         self.listed(created_at='gt:' + t10))
        self.assertEqual(['beta', 'gamma'],
                         self.listed(created_at='gte:' + t10))
        self.assertEqual(['alpha'], self.listed(created_at='lt:' + t10))
        self.assertEqual(['alpha', 'beta'],
                         self.listed(created_at='lte:' + t10))
        self.assertEqual(['beta'], self.listed(created_at='eq:' + t10))
        self.assertEqual(['alpha', 'gamma'],
                         self.listed(created_at='neq:' + t10))
        self.assertEqual(['gamma'], self.listed(
            updated_at='gt:2020-01-01T12:04:00'))
        self.assertRaises(exception.InvalidFilter, self.listed,
                          created_at='gt:yesterday')

    def test_deleted_filter_and_changes_since_include_deleted(self):
        api.image_destroy(P1, self.b['id'])
        self.assertEqual(['alpha', 'gamma'], self.listed())
        self.assertEqual(['beta'], self.listed(deleted=True))
        self.assertEqual(['beta', 'gamma'], self.listed(
            **{'changes-since': '2020-01-01T12:02:00'}))

    def test_unknown_filter_raises_invalid_filter(self):
        error = self.assertRaises(exception.InvalidFilter, self.listed,
                                  colour='red')
        self.assertEqual(400, error.http_status)
        self.assertIn('colour', str(error))


class SortAndPaginationTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.images = []
        for i, (name, size) in enumerate((
                ('e', 3), ('a', 1), ('d', 2), ('b', 3), ('c', 1), (None, 2),
                ('f', None))):
            self.images.append(api.image_create(P1, {
                'name': name, 'size': size, 'owner': 'p1',
                'created_at': base.at(i)}))

    def test_default_order_is_newest_first(self):
        self.assertEqual(['f', None, 'c', 'b', 'd', 'a', 'e'],
                         names(api.image_get_all(P1)))

    def test_sort_by_one_key_ascending(self):
        self.assertEqual([None, 'a', 'b', 'c', 'd', 'e', 'f'],
                         names(api.image_get_all(P1, sort_key=['name'],
                                                 sort_dir=['asc'])))

    def test_sort_by_several_keys_with_directions(self):
        images = api.image_get_all(P1, sort_key=['size', 'name'],
                                   sort_dir=['desc', 'asc'])
        self.assertEqual(['b', 'e', None, 'd', 'a', 'c', 'f'], names(images))

    def test_invalid_sort_key_and_direction(self):
        self.assertRaises(exception.InvalidSortKey, api.image_get_all, P1,
                          sort_key=['colour'])
        self.assertRaises(exception.InvalidSortDir, api.image_get_all, P1,
                          sort_dir=['sideways'])
        self.assertRaises(exception.InvalidSortDir, api.image_get_all, P1,
                          sort_key=['name', 'size', 'id'],
                          sort_dir=['asc', 'desc'])

    def page_through(self, limit, **kwargs):
        pages, marker = [], None
        while True:
            page = api.image_get_all(P1, marker=marker, limit=limit, **kwargs)
            if not page:
                return pages
            pages.append(names(page))
            marker = page[-1]['id']

    def test_marker_and_limit_walk_every_image_once(self):
        for kwargs in ({}, {'sort_key': ['name'], 'sort_dir': ['asc']},
                       {'sort_key': ['size', 'name'],
                        'sort_dir': ['desc', 'asc']},
                       {'sort_key': ['size'], 'sort_dir': ['asc']}):
            full = names(api.image_get_all(P1, **kwargs))
            pages = self.page_through(3, **kwargs)
            self.assertEqual([3, 3, 1], [len(p) for p in pages], kwargs)
            self.assertEqual(full, sum(pages, []), kwargs)

    def test_pages_stay_stable_when_images_are_inserted_between_pages(self):
        kwargs = {'sort_key': ['name'], 'sort_dir': ['asc']}
        first = api.image_get_all(P1, limit=3, **kwargs)
        self.assertEqual([None, 'a', 'b'], names(first))
        # One sorts before the marker (must not appear), one after.
        api.image_create(P1, {'name': 'aa', 'owner': 'p1'})
        api.image_create(P1, {'name': 'cc', 'owner': 'p1'})
        second = api.image_get_all(P1, marker=first[-1]['id'], limit=3,
                                   **kwargs)
        self.assertEqual(['c', 'cc', 'd'], names(second))

    def test_newest_first_pages_do_not_repeat_after_new_uploads(self):
        first = api.image_get_all(P1, limit=2)
        api.image_create(P1, {'name': 'new', 'owner': 'p1'})
        second = api.image_get_all(P1, marker=first[-1]['id'], limit=2)
        self.assertEqual(['f', None], names(first))
        self.assertEqual(['c', 'b'], names(second))

    def test_ties_are_broken_by_id(self):
        for _ in range(3):
            api.image_create(P1, {'name': 'same', 'owner': 'p1',
                                  'created_at': base.at(99)})
        pages = self.page_through(1, filters={'name': 'same'})
        self.assertEqual(3, len(pages))
        ids = [i['id'] for i in api.image_get_all(
            P1, filters={'name': 'same'})]
        self.assertEqual(sorted(ids, reverse=True), ids)

    def test_unknown_or_invisible_marker_raises_invalid_marker(self):
        self.assertRaises(exception.InvalidMarker, api.image_get_all, P1,
                          marker='no-such-id')
        private = api.image_create(P2, {'owner': 'p2',
                                        'visibility': 'private'})
        error = self.assertRaises(exception.InvalidMarker, api.image_get_all,
                                  P1, marker=private['id'])
        self.assertEqual(400, error.http_status)

    def test_limit_zero_and_invalid_limit(self):
        self.assertEqual([], api.image_get_all(P1, limit=0))
        self.assertRaises(exception.Invalid, api.image_get_all, P1,
                          limit=-1)

    def test_return_tag_false_leaves_tags_out(self):
        images = api.image_get_all(P1, return_tag=False, limit=1)
        self.assertNotIn('tags', images[0])
