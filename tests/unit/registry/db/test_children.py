"""Tags, members and locations of an image."""

import threading

import fixtures

from glance_registry.common import exception
from glance_registry.db import api
from glance_registry.db import models
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')
P3 = base.make_context('p3')


class ChildTestCase(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.image_id = api.image_create(P1, {'owner': 'p1'})['id']


class TagTests(ChildTestCase):

    def test_create_is_idempotent_and_get_all_is_sorted(self):
        self.assertEqual('b', api.image_tag_create(P1, self.image_id, 'b'))
        api.image_tag_create(P1, self.image_id, 'a')
        api.image_tag_create(P1, self.image_id, 'b')
        self.assertEqual(['a', 'b'], api.image_tag_get_all(P1, self.image_id))
        self.assertEqual(2, self.count_rows('image_tags', deleted=False))

    def test_delete_and_delete_missing_tag(self):
        api.image_tag_create(P1, self.image_id, 'a')
        api.image_tag_delete(P1, self.image_id, 'a')
        self.assertEqual([], api.image_tag_get_all(P1, self.image_id))
        error = self.assertRaises(exception.TagNotFound, api.image_tag_delete,
                                  P1, self.image_id, 'a')
        self.assertEqual(404, error.http_status)

    def test_update_with_tags_replaces_them(self):
        api.image_update(P1, self.image_id, {'tags': ['a', 'b']})
        self.assertEqual(['b', 'c'], api.image_update(
            P1, self.image_id, {'tags': ['c', 'b', 'c']})['tags'])
        self.assertEqual(['b', 'c'], api.image_get(P1, self.image_id)['tags'])

    def test_tags_of_an_unknown_image(self):
        self.assertRaises(exception.ImageNotFound, api.image_tag_create, P1,
                          'nope', 'a')


class MemberTests(ChildTestCase):

    def create(self, member='p2', **values):
        return api.image_member_create(P1, dict(
            image_id=self.image_id, member=member, **values))

    def test_create_returns_the_member_shape(self):
        member = self.create()
        self.assertEqual({'id', 'image_id', 'member', 'can_share', 'status',
                          'created_at', 'updated_at', 'deleted'}, set(member))
        self.assertEqual('pending', member['status'])
        self.assertIs(False, member['can_share'])
        self.assertEqual([member], api.image_member_find(
            P1, image_id=self.image_id))

    def test_existing_member_raises_duplicate(self):
        self.create()
        self.assertRaises(exception.Duplicate, self.create)

    def test_member_can_be_added_again_after_deletion(self):
        first = self.create()
        api.image_member_delete(P1, first['id'])
        second = self.create(status='accepted')
        self.assertNotEqual(first['id'], second['id'])
        self.assertEqual(1, api.image_member_count(P1, self.image_id))
        found = api.image_member_find(P1, image_id=self.image_id,
                                      include_deleted=True)
        self.assertEqual([True, False], [m['deleted'] for m in found])

    def test_bad_status_and_unknown_image(self):
        self.assertRaises(exception.Invalid, self.create, status='maybe')
        self.assertRaises(exception.ImageNotFound, api.image_member_create,
                          P1, {'image_id': 'nope', 'member': 'p2'})

    def test_update_status_and_can_share(self):
        member = self.create()
        updated = api.image_member_update(P2, member['id'], {
            'status': 'accepted', 'can_share': True})
        self.assertEqual('accepted', updated['status'])
        self.assertIs(True, updated['can_share'])
        self.assertRaises(exception.Invalid, api.image_member_update, P2,
                          member['id'], {'status': 'maybe'})

    def test_find_by_member_and_status_and_who_may_see(self):
        self.create('p2', status='accepted')
        self.create('p3')
        self.assertEqual(['p2'], [m['member'] for m in api.image_member_find(
            P1, status='accepted')])
        self.assertEqual(['p3'], [m['member'] for m in api.image_member_find(
            P1, member='p3')])
        # A member sees its own membership only; a stranger nothing.
        self.assertEqual(['p3'], [m['member'] for m in api.image_member_find(
            P3, image_id=self.image_id)])
        self.assertEqual([], api.image_member_find(
            base.make_context('p9'), image_id=self.image_id))
        self.assertEqual(2, api.image_member_count(P1, self.image_id))

    def test_missing_member_raises_member_not_found(self):
        self.assertRaises(exception.MemberNotFound, api.image_member_update,
                          P1, 12345, {'status': 'accepted'})
        self.assertRaises(exception.MemberNotFound, api.image_member_delete,
                          P1, 12345)


class LocationTests(ChildTestCase):

    def test_add_update_delete(self):
        location = api.image_location_add(P1, self.image_id, {
            'url': 'file:///a', 'metadata': {'store': 'file'}})
        self.assertEqual({'id', 'url', 'metadata', 'status'}, set(location))
        self.assertEqual('active', location['status'])
        updated = api.image_location_update(P1, self.image_id, {
            'id': location['id'], 'metadata': {'store': 'fast'}})
        self.assertEqual('file:///a', updated['url'])
        self.assertEqual({'store': 'fast'}, updated['metadata'])
        api.image_location_delete(P1, self.image_id, location['id'],
                                  'pending_delete')
        self.assertEqual([], api.image_get(P1, self.image_id)['locations'])
        row = self.rows('image_locations', id=location['id'])[0]
        self.assertEqual('pending_delete', row['status'])
        self.assertTrue(row['deleted'])

    def test_locations_keep_their_order(self):
        for name in ('c', 'a', 'b'):
            api.image_location_add(P1, self.image_id,
                                   {'url': 'file:///' + name})
        self.assertEqual(['file:///c', 'file:///a', 'file:///b'], [
            loc['url'] for loc in api.image_get(P1, self.image_id)[
                'locations']])

    def test_errors(self):
        self.assertRaises(exception.LocationNotFound,
                          api.image_location_update, P1, self.image_id,
                          {'id': 999, 'url': 'file:///x'})
        self.assertRaises(exception.LocationNotFound,
                          api.image_location_delete, P1, self.image_id, 999,
                          'deleted')
        self.assertRaises(exception.Invalid, api.image_location_delete, P1,
                          self.image_id, 1, 'gone')
        self.assertRaises(exception.Invalid, api.image_location_add, P1,
                          self.image_id, {'metadata': {}})
        self.assertRaises(exception.ImageNotFound, api.image_location_add,
                          P1, 'nope', {'url': 'file:///x'})


class LocationClaimTests(ChildTestCase):
    """One URL belongs to one image: refused for any other, atomically,
    and data another image still records is reported on delete."""

    URL = 'file:///var/lib/glance/images/claimed'

    def setUp(self):
        super().setUp()
        api.image_location_add(P1, self.image_id, {'url': self.URL})
        self.other_id = api.image_create(P2, {'owner': 'p2'})['id']

    def legacy_twin(self, image_id, url):
        """A second row for ``url`` as recorded before claims existed."""
        table = models.Base.metadata.tables['image_locations']
        self.execute(table.insert().values(
            image_id=image_id, value=url, meta_data='{}', status='active',
            deleted=False, created_at=base.T0,
            url_hash=api._url_hash(url), claim=None))

    def test_every_write_of_another_images_url_is_refused(self):
        self.assertRaises(exception.LocationInUse, api.image_location_add,
                          P2, self.other_id, {'url': self.URL})
        self.assertRaises(exception.LocationInUse, api.image_update, P2,
                          self.other_id, {'status': 'active', 'locations': [
                              {'url': self.URL}]}, from_state='queued')
        own = api.image_location_add(P2, self.other_id,
                                     {'url': 'file:///elsewhere'})
        self.assertRaises(exception.LocationInUse,
                          api.image_location_update, P2, self.other_id,
                          {'id': own['id'], 'url': self.URL})
        images_before = self.count_rows('images')
        self.assertRaises(exception.LocationInUse, api.image_create, P2,
                          {'owner': 'p2', 'locations': [{'url': self.URL}]})
        # Nothing of the refused writes was kept.
        self.assertEqual(images_before, self.count_rows('images'))
        other = api.image_get(P2, self.other_id)
        self.assertEqual('queued', other['status'])
        self.assertEqual(['file:///elsewhere'],
                         [loc['url'] for loc in other['locations']])
        self.assertEqual(1, self.count_rows('image_locations',
                                            value=self.URL))

    def test_refusal_comes_from_the_unique_claim_when_checks_race(self):
        # Two requests that both passed the explicit check: the unique
        # claim still lets only one of them write.
        self.useFixture(fixtures.MockPatchObject(
            api, '_check_urls_free', lambda *args: None))
        self.assertRaises(exception.LocationInUse, api.image_location_add,
                          P2, self.other_id, {'url': self.URL})
        self.assertRaises(exception.LocationInUse, api.image_update, P2,
                          self.other_id, {'locations': [{'url': self.URL}]})
        self.assertEqual(1, self.count_rows('image_locations',
                                            value=self.URL))

    def test_concurrent_adds_of_one_url_leave_one_winner(self):
        url = 'swift+config://ref1/glance/raced'
        images = [api.image_create(P2, {'owner': 'p2'})['id']
                  for _ in range(6)]
        results = []

        def add(image_id):
            try:
                api.image_location_add(P2, image_id, {'url': url})
                results.append('ok')
            except exception.LocationInUse:
                results.append('refused')
        threads = [threading.Thread(target=add, args=(i,)) for i in images]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(['ok'] + ['refused'] * 5, sorted(results))
        self.assertEqual(1, self.count_rows('image_locations', value=url))

    def test_the_same_image_may_keep_its_own_url(self):
        api.image_update(P1, self.image_id, {'locations': [
            {'url': 'file:///second'}, {'url': self.URL}]})
        self.assertEqual(sorted(['file:///second', self.URL]), sorted(
            loc['url'] for loc in api.image_get(
                P1, self.image_id)['locations']))
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {'locations': [
                              {'url': self.URL}, {'url': self.URL}]})

    def test_a_deleted_images_url_is_free_again(self):
        destroyed = api.image_destroy(P1, self.image_id)
        self.assertEqual([False], [loc['referenced_elsewhere']
                                   for loc in destroyed['locations']])
        api.image_location_add(P2, self.other_id, {'url': self.URL})

    def test_a_pending_delete_url_stays_taken_until_scrubbed(self):
        api.image_update(P1, self.image_id, {'status': 'pending_delete'})
        api.image_destroy(P1, self.image_id)
        self.assertRaises(exception.LocationInUse, api.image_location_add,
                          P2, self.other_id, {'url': self.URL})
        [row] = api.image_location_find(base.ADMIN, self.image_id,
                                        status='pending_delete')
        self.assertFalse(row['referenced_elsewhere'])
        api.image_location_set_status(base.ADMIN, self.image_id, row['id'],
                                      'deleted')
        api.image_location_add(P2, self.other_id, {'url': self.URL})

    def test_restored_image_gets_its_url_back(self):
        api.image_update(P1, self.image_id, {'status': 'pending_delete'})
        api.image_destroy(P1, self.image_id)
        api.image_restore(base.ADMIN, self.image_id)
        self.assertRaises(exception.LocationInUse, api.image_location_add,
                          P2, self.other_id, {'url': self.URL})

    def test_destroy_reports_data_another_image_still_records(self):
        # Aliases recorded before claims existed are still found.
        self.legacy_twin(self.other_id, self.URL)
        api.image_location_add(P1, self.image_id, {'url': 'file:///own'})
        destroyed = api.image_destroy(P1, self.image_id)
        self.assertEqual({self.URL: True, 'file:///own': False}, {
            loc['url']: loc['referenced_elsewhere']
            for loc in destroyed['locations']})
        # Once the twin's image is gone too, its data is its own to delete.
        last = api.image_destroy(P2, self.other_id)
        self.assertEqual([False], [loc['referenced_elsewhere']
                                   for loc in last['locations']])

    def test_pending_delete_twins_do_not_both_delete_the_data(self):
        self.legacy_twin(self.other_id, self.URL)
        for context, image_id in ((P1, self.image_id),
                                  (P2, self.other_id)):
            api.image_update(context, image_id, {'status': 'pending_delete'})
            api.image_destroy(context, image_id)
        [first] = api.image_location_find(base.ADMIN, self.image_id,
                                          status='pending_delete')
        self.assertTrue(first['referenced_elsewhere'])
        api.image_location_set_status(base.ADMIN, self.image_id,
                                      first['id'], 'deleted')
        [second] = api.image_location_find(base.ADMIN, self.other_id,
                                           status='pending_delete')
        self.assertFalse(second['referenced_elsewhere'])

    def test_referenced_elsewhere_lists_the_urls_another_image_records(
            self):
        self.assertEqual([], api.image_location_referenced_elsewhere(
            P1, self.image_id))
        self.legacy_twin(self.other_id, self.URL)
        api.image_location_add(P1, self.image_id, {'url': 'file:///own'})
        self.assertEqual([self.URL], api.image_location_referenced_elsewhere(
            P1, self.image_id))
        self.assertRaises(exception.ImageNotFound,
                          api.image_location_referenced_elsewhere, P3,
                          self.image_id)


class LocationGetAllTests(ChildTestCase):
    """image_location_get_all: what the store audit compares stores with."""

    def test_lists_in_use_locations_with_their_image_in_pages(self):
        api.image_location_add(P1, self.image_id, {'url': 'file:///a'})
        other_id = api.image_create(P2, {'owner': 'p2'})['id']
        api.image_location_add(P2, other_id, {'url': 'file:///b'})
        api.image_update(P2, other_id, {'status': 'pending_delete'})
        api.image_destroy(P2, other_id)
        gone_id = api.image_create(P2, {'owner': 'p2'})['id']
        api.image_location_add(P2, gone_id, {'url': 'file:///c'})
        api.image_destroy(P2, gone_id)
        rows = api.image_location_get_all(base.ADMIN)
        self.assertEqual(
            [('file:///a', self.image_id, 'active', False),
             ('file:///b', other_id, 'pending_delete', True)],
            [(row['url'], row['image_id'], row['status'],
              row['image_deleted']) for row in rows])
        [first] = api.image_location_get_all(base.ADMIN, limit=1)
        self.assertEqual(rows[:1], [first])
        self.assertEqual(rows[1:], api.image_location_get_all(
            base.ADMIN, marker=first['id']))

    def test_is_for_administrators_and_checks_its_marker(self):
        self.assertRaises(exception.Forbidden, api.image_location_get_all, P1)
        self.assertRaises(exception.InvalidParameterValue,
                          api.image_location_get_all, base.ADMIN,
                          marker='x')
