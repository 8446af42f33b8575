"""Image create/get/update/destroy, properties, CAS and storage usage."""

import threading

import sqlalchemy as sa

from glance_registry.common import exception
from glance_registry.db import api
from glance_registry.db import models
from tests.unit.registry.db import base

P1 = base.make_context('p1')
P2 = base.make_context('p2')

IMAGE_KEYS = {
    'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'size',
    'virtual_size', 'disk_format', 'container_format', 'checksum',
    'os_hash_algo', 'os_hash_value', 'min_disk', 'min_ram', 'owner',
    'created_at', 'updated_at', 'deleted_at', 'deleted', 'properties', 'tags',
    'locations'}


class ImageCreateTests(base.DBTestCase):

    def test_create_returns_the_image_shape_with_defaults(self):
        image = api.image_create(P1, {'name': 'cirros', 'owner': 'p1'})
        self.assertEqual(IMAGE_KEYS, set(image))
        self.assertEqual(36, len(image['id']))
        self.assertEqual('queued', image['status'])
        self.assertEqual('shared', image['visibility'])
        self.assertIs(False, image['protected'])
        self.assertIs(False, image['os_hidden'])
        self.assertIs(False, image['deleted'])
        self.assertEqual(0, image['min_disk'])
        self.assertEqual(0, image['min_ram'])
        self.assertEqual({}, image['properties'])
        self.assertEqual([], image['tags'])
        self.assertEqual([], image['locations'])
        self.assertIsNotNone(image['created_at'])
        self.assertEqual(image, api.image_get(P1, image['id']))

    def test_create_writes_properties_tags_and_locations_together(self):
        image = api.image_create(P1, {
            'name': 'x', 'owner': 'p1', 'size': 2 ** 40,
            'properties': {'os_distro': 'cirros', 'hw_disk_bus': 'scsi'},
            'tags': ['b', 'a', 'b'],
            'locations': [{'url': 'file:///a', 'metadata': {'k': 'v'}},
                          {'url': 'file:///b', 'status': 'pending_delete'}]})
        got = api.image_get(P1, image['id'])
        self.assertEqual(2 ** 40, got['size'])
        self.assertEqual({'os_distro': 'cirros', 'hw_disk_bus': 'scsi'},
                         got['properties'])
        self.assertEqual(['a', 'b'], got['tags'])
        self.assertEqual(
            [('file:///a', {'k': 'v'}, 'active'),
             ('file:///b', {}, 'pending_delete')],
            [(loc['url'], loc['metadata'], loc['status'])
             for loc in got['locations']])
        self.assertEqual(got, image)

    def test_create_with_an_existing_id_raises_duplicate_409(self):
        image = api.image_create(P1, {'id': 'a' * 36, 'owner': 'p1'})
        error = self.assertRaises(exception.Duplicate, api.image_create, P1,
                                  {'id': image['id'], 'owner': 'p1'})
        self.assertEqual(409, error.http_status)
        self.assertEqual(1, self.count_rows('images'))

    def test_failing_location_insert_leaves_no_image_row(self):
        self.assertRaises(exception.Invalid, api.image_create, P1, {
            'id': 'b' * 36, 'owner': 'p1', 'properties': {'a': '1'},
            'tags': ['t'],
            'locations': [{'url': 'file:///ok'},
                          {'url': 'file:///bad', 'status': 'bogus'}]})
        for table in ('images', 'image_properties', 'image_tags',
                      'image_locations'):
            self.assertEqual(0, self.count_rows(table), table)

    def test_create_rejects_unknown_columns_and_bad_visibility(self):
        self.assertRaises(exception.Invalid, api.image_create, P1,
                          {'colour': 'red'})
        self.assertRaises(exception.Invalid, api.image_create, P1,
                          {'visibility': 'everyone'})

    def test_create_accepts_iso_time_strings(self):
        image = api.image_create(P1, {'owner': 'p1',
                                      'created_at': '2020-01-01T12:00:05'})
        self.assertEqual(base.at(5), image['created_at'])


class ImageGetUpdateDestroyTests(base.DBTestCase):

    def setUp(self):
        super().setUp()
        self.image = api.image_create(P1, {
            'name': 'img', 'owner': 'p1', 'size': 100,
            'properties': {'a': '1', 'b': '2'},
            'locations': [{'url': 'file:///one'}]})
        self.image_id = self.image['id']

    def test_get_unknown_image_raises_image_not_found(self):
        error = self.assertRaises(exception.ImageNotFound, api.image_get, P1,
                                  'no-such-image')
        self.assertEqual(404, error.http_status)

    def test_update_changes_columns_and_upserts_properties(self):
        updated = api.image_update(P1, self.image_id, {
            'name': 'renamed', 'min_ram': 512,
            'properties': {'b': 'two', 'c': '3'}})
        self.assertEqual('renamed', updated['name'])
        self.assertEqual(512, updated['min_ram'])
        self.assertEqual({'a': '1', 'b': 'two', 'c': '3'},
                         updated['properties'])
        self.assertGreaterEqual(updated['updated_at'],
                                self.image['updated_at'])
        self.assertEqual(updated, api.image_get(P1, self.image_id))

    def test_update_with_purge_props_deletes_properties_not_given(self):
        updated = api.image_update(P1, self.image_id,
                                   {'properties': {'b': '2'}},
                                   purge_props=True)
        self.assertEqual({'b': '2'}, updated['properties'])
        row = self.rows('image_properties', name='a')[0]
        self.assertTrue(row['deleted'])
        self.assertIsNotNone(row['deleted_at'])

    def test_purged_property_can_be_set_again(self):
        api.image_update(P1, self.image_id, {'properties': {}},
                         purge_props=True)
        updated = api.image_update(P1, self.image_id,
                                   {'properties': {'a': 'back'}})
        self.assertEqual({'a': 'back'}, updated['properties'])
        self.assertEqual(1, self.count_rows('image_properties', name='a'))

    def test_update_with_locations_replaces_them(self):
        old = self.image['locations'][0]
        updated = api.image_update(P1, self.image_id, {'locations': [
            {'url': 'file:///two', 'metadata': {'x': 1}}]})
        self.assertEqual(['file:///two'],
                         [loc['url'] for loc in updated['locations']])
        row = self.rows('image_locations', id=old['id'])[0]
        self.assertTrue(row['deleted'])
        self.assertEqual('deleted', row['status'])

    def test_compare_and_swap_moves_status_when_it_matches(self):
        updated = api.image_update(P1, self.image_id, {'status': 'saving'},
                                   from_state='queued')
        self.assertEqual('saving', updated['status'])

    def test_compare_and_swap_conflict_raises_409_and_changes_nothing(self):
        api.image_update(P1, self.image_id, {'status': 'saving'},
                         from_state='queued')
        error = self.assertRaises(
            exception.InvalidStatusTransition, api.image_update, P1,
            self.image_id, {'status': 'saving', 'name': 'second upload',
                            'properties': {'z': '9'}},
            from_state='queued')
        self.assertEqual(409, error.http_status)
        self.assertIn('saving', str(error))
        image = api.image_get(P1, self.image_id)
        self.assertEqual('img', image['name'])
        self.assertNotIn('z', image['properties'])

    def test_failing_update_changes_neither_tags_nor_properties(self):
        api.image_tag_create(P1, self.image_id, 'old')
        # The locations are written last, after the tags: a bad one must
        # undo the whole update.
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {
                              'name': 'changed', 'tags': ['new'],
                              'properties': {'a': 'changed'},
                              'locations': [{'url': 'file:///two',
                                             'status': 'bogus'}]},
                          purge_props=True)
        image = api.image_get(P1, self.image_id)
        self.assertEqual('img', image['name'])
        self.assertEqual(['old'], image['tags'])
        self.assertEqual({'a': '1', 'b': '2'}, image['properties'])
        self.assertEqual(['file:///one'],
                         [loc['url'] for loc in image['locations']])

    def test_update_unknown_image_raises_not_found(self):
        self.assertRaises(exception.ImageNotFound, api.image_update, P1,
                          'nope', {'name': 'x'})

    def test_update_cannot_change_the_id(self):
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {'id': 'other'})

    def test_destroy_soft_deletes_image_and_children(self):
        api.image_tag_create(P1, self.image_id, 'tag')
        api.image_member_create(P1, {'image_id': self.image_id,
                                     'member': 'p2'})
        api.image_update(P1, self.image_id, {'status': 'deleted'})
        deleted = api.image_destroy(P1, self.image_id)
        self.assertTrue(deleted['deleted'])
        self.assertIsNotNone(deleted['deleted_at'])
        self.assertRaises(exception.ImageNotFound, api.image_get, P1,
                          self.image_id)
        shown = api.image_get(P1, self.image_id, force_show_deleted=True)
        self.assertEqual('deleted', shown['status'])
        self.assertEqual({}, shown['properties'])
        self.assertEqual([], shown['locations'])
        for table in ('image_properties', 'image_tags', 'image_members',
                      'image_locations'):
            rows = self.rows(table, image_id=self.image_id)
            self.assertTrue(rows and all(r['deleted'] for r in rows), table)
        self.assertEqual(['deleted'], [r['status'] for r in self.rows(
            'image_locations', image_id=self.image_id)])

    def test_destroy_of_pending_delete_image_keeps_locations_for_scrubber(
            self):
        api.image_update(P1, self.image_id, {'status': 'pending_delete'})
        api.image_destroy(P1, self.image_id)
        self.assertEqual(['pending_delete'], [r['status'] for r in self.rows(
            'image_locations', image_id=self.image_id)])

    def test_destroy_sets_the_final_status_in_the_same_call(self):
        deleted = api.image_destroy(P1, self.image_id,
                                    status='pending_delete')
        self.assertEqual('pending_delete', deleted['status'])
        shown = api.image_get(P1, self.image_id, force_show_deleted=True)
        self.assertEqual(('pending_delete', True),
                         (shown['status'], shown['deleted']))
        self.assertEqual(['pending_delete'], [r['status'] for r in self.rows(
            'image_locations', image_id=self.image_id)])

    def test_destroy_refuses_a_status_that_is_no_deletion(self):
        self.assertRaises(exception.InvalidParameterValue, api.image_destroy,
                          P1, self.image_id, status='active')
        self.assertFalse(api.image_get(P1, self.image_id)['deleted'])

    def test_destroy_refuses_protected_image(self):
        api.image_update(P1, self.image_id, {'protected': True})
        error = self.assertRaises(exception.ProtectedImageDelete,
                                  api.image_destroy, P1, self.image_id)
        self.assertEqual(403, error.http_status)
        self.assertFalse(api.image_get(P1, self.image_id)['deleted'])

    def test_destroy_image_of_another_project_not_visible_is_not_found(self):
        api.image_update(P1, self.image_id, {'visibility': 'private'})
        self.assertRaises(exception.ImageNotFound, api.image_destroy, P2,
                          self.image_id)

    def test_storage_usage_counts_size_per_active_location(self):
        api.image_location_add(P1, self.image_id, {'url': 'file:///copy'})
        api.image_location_add(P1, self.image_id, {
            'url': 'file:///gone', 'status': 'pending_delete'})
        other = api.image_create(P1, {'owner': 'p1', 'size': 7,
                                      'locations': [{'url': 'file:///o'}]})
        api.image_create(P1, {'owner': 'p2', 'size': 1000,
                              'locations': [{'url': 'file:///p2'}]})
        self.assertEqual(207, api.user_get_storage_usage(P1, 'p1'))
        self.assertEqual(7, api.user_get_storage_usage(
            P1, 'p1', image_id=self.image_id))
        api.image_destroy(P1, other['id'])
        self.assertEqual(200, api.user_get_storage_usage(P1, 'p1'))
        self.assertEqual(0, api.user_get_storage_usage(P1, 'nobody'))

    def test_usage_counts_stored_staged_and_uploading_images_at_once(self):
        api.image_location_add(P1, self.image_id, {'url': 'file:///copy'})
        api.image_create(P1, {'owner': 'p1', 'size': 30,
                              'status': 'uploading'})
        api.image_create(P1, {'owner': 'p1', 'size': 5, 'status': 'saving'})
        gone = api.image_create(P1, {'owner': 'p1', 'size': 9,
                                     'status': 'importing'})
        api.image_destroy(P1, gone['id'])
        api.image_create(P1, {'owner': 'p2', 'size': 1000,
                              'status': 'uploading'})
        usage = api.image_usage_get(P1, 'p1')
        self.assertEqual({'image_size_total': 200, 'image_stage_total': 30,
                          'image_count_total': 3,
                          'image_count_uploading': 2}, usage)
        self.assertEqual({'image_size_total': 0, 'image_stage_total': 0,
                          'image_count_total': 0,
                          'image_count_uploading': 0},
                         api.image_usage_get(base.ADMIN, 'nobody'))

    def test_usage_of_another_project_is_for_administrators(self):
        self.assertRaises(exception.Forbidden, api.image_usage_get, P2, 'p1')
        self.assertEqual(1, api.image_usage_get(
            base.ADMIN, 'p1')['image_count_total'])

    def test_visibility_column_rejects_values_outside_the_enum(self):
        # The Enum holds on every engine, whatever the API sends.
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {'visibility': 'world'})
        self.assertEqual(
            'shared',
            self.rows('images', id=self.image_id)[0]['visibility'])
        self.assertEqual(set(models.VISIBILITIES),
                         set(sa.inspect(models.Image).columns[
                             'visibility'].type.enums))


class PropertyCompareAndSwapTests(base.DBTestCase):
    """expected_properties and remove_properties: how the import lock
    (os_glance_import_task) is taken and dropped."""

    LOCK = 'os_glance_import_task'

    def setUp(self):
        super().setUp()
        self.image_id = api.image_create(P1, {
            'name': 'img', 'owner': 'p1', 'status': 'active',
            'properties': {'a': '1'}})['id']

    def take(self, task_id, **kwargs):
        return api.image_update(P1, self.image_id,
                                {'properties': {self.LOCK: task_id}},
                                expected_properties={self.LOCK: None},
                                **kwargs)

    def test_lock_is_taken_only_while_absent(self):
        self.assertEqual('t1', self.take('t1')['properties'][self.LOCK])
        error = self.assertRaises(exception.PropertyConflict, self.take,
                                  't2')
        self.assertEqual(409, error.http_status)
        self.assertEqual('t1', api.image_get(P1, self.image_id)[
            'properties'][self.LOCK])

    def test_a_failed_swap_changes_nothing_else(self):
        self.take('t1')
        self.assertRaises(exception.PropertyConflict, api.image_update, P1,
                          self.image_id, {'name': 'changed',
                                          'properties': {'a': 'changed'}},
                          expected_properties={self.LOCK: 't2'},
                          remove_properties=[self.LOCK])
        image = api.image_get(P1, self.image_id)
        self.assertEqual('img', image['name'])
        self.assertEqual({'a': '1', self.LOCK: 't1'}, image['properties'])

    def test_the_holder_drops_the_lock_and_keeps_other_properties(self):
        self.take('t1')
        # A change made while the lock is held, as a PATCH writes it.
        api.image_update(P1, self.image_id, {'properties': {'b': 'patched'}})
        released = api.image_update(
            P1, self.image_id, {'properties': {'c': 'done'}},
            expected_properties={self.LOCK: 't1'},
            remove_properties=[self.LOCK])
        self.assertEqual({'a': '1', 'b': 'patched', 'c': 'done'},
                         released['properties'])
        # Dropped, it can be taken again (the deleted row is revived).
        self.assertEqual('t3', self.take('t3')['properties'][self.LOCK])
        self.assertEqual(1, len(self.rows('image_properties',
                                          name=self.LOCK)))

    def test_a_check_without_a_change_needs_the_value(self):
        self.take('t1')
        api.image_update(P1, self.image_id, {'name': 'ok'},
                         expected_properties={self.LOCK: 't1'})
        self.assertRaises(exception.PropertyConflict, api.image_update, P1,
                          self.image_id, {'name': 'refused'},
                          expected_properties={self.LOCK: None})
        self.assertEqual('ok', api.image_get(P1, self.image_id)['name'])

    def test_remove_properties_deletes_only_those_named(self):
        api.image_update(P1, self.image_id, {'properties': {'b': '2'}})
        updated = api.image_update(P1, self.image_id, {},
                                   remove_properties=['a', 'missing'])
        self.assertEqual({'b': '2'}, updated['properties'])

    def test_purge_props_does_not_go_with_a_swap(self):
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {'properties': {}},
                          purge_props=True, remove_properties=['a'])
        self.assertRaises(exception.Invalid, api.image_update, P1,
                          self.image_id, {'properties': {'a': '2'}},
                          remove_properties=['a'])

    def test_of_writers_racing_for_the_lock_exactly_one_wins(self):
        won, lost = [], []

        def take(task_id):
            try:
                self.take(task_id)
                won.append(task_id)
            except exception.PropertyConflict:
                lost.append(task_id)

        threads = [threading.Thread(target=take, args=('t%d' % n,))
                   for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(1, len(won), (won, lost))
        self.assertEqual(5, len(lost))
        self.assertEqual(won[0], api.image_get(P1, self.image_id)[
            'properties'][self.LOCK])
