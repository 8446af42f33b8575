"""The image cache's records in the registry (glance_registry.db.cache)."""

from glance_registry.common import exception
from glance_registry.db import api
from tests.unit.registry.db import base

P1 = base.make_context('p1')
NODE_A = 'http://api-a:9292'
NODE_B = 'http://api-b:9292'
IMAGE = '11111111-2222-3333-4444-555555555555'


class CachedImageTests(base.DBTestCase):

    def test_create_then_hit_counts_and_returns_the_record(self):
        api.cached_image_create(P1, NODE_A, IMAGE, 42, checksum='c' * 32,
                                last_modified='2026-12-05T06:00:00.123456')
        first = api.cached_image_hit(P1, NODE_A, IMAGE)
        second = api.cached_image_hit(P1, NODE_A, IMAGE)
        self.assertEqual((1, 2), (first['hits'], second['hits']))
        self.assertEqual(42, second['size'])
        self.assertEqual('c' * 32, second['checksum'])
        self.assertEqual(123456, second['last_modified'].microsecond)
        self.assertEqual(NODE_A, second['node'])

    def test_hit_of_an_image_the_node_does_not_hold_is_none(self):
        api.cached_image_create(P1, NODE_A, IMAGE, 1)
        self.assertIsNone(api.cached_image_hit(P1, NODE_B, IMAGE))
        self.assertIsNone(api.cached_image_hit(P1, NODE_A, 'other'))

    def test_create_again_replaces_the_record(self):
        api.cached_image_create(P1, NODE_A, IMAGE, 1)
        api.cached_image_hit(P1, NODE_A, IMAGE)
        api.cached_image_create(P1, NODE_A, IMAGE, 2)
        [record] = api.cached_image_get_all(P1, NODE_A)
        self.assertEqual((2, 0), (record['size'], record['hits']))
        self.assertEqual(1, self.count_rows('node_reference'))

    def test_each_node_lists_its_own_records_least_recently_used_first(self):
        api.cached_image_create(P1, NODE_A, 'old', 1)
        api.cached_image_create(P1, NODE_A, 'new', 1)
        api.cached_image_create(P1, NODE_B, 'b', 1)
        api.cached_image_hit(P1, NODE_A, 'old')
        self.assertEqual(['new', 'old'], [
            r['image_id'] for r in api.cached_image_get_all(P1, NODE_A)])
        self.assertEqual(['b'], [
            r['image_id'] for r in api.cached_image_get_all(P1, NODE_B)])
        self.assertEqual(3, len(api.cached_image_get_all(P1)))

    def test_delete_on_one_node_or_all(self):
        for node in (NODE_A, NODE_B):
            api.cached_image_create(P1, node, IMAGE, 1)
        self.assertEqual(1, api.cached_image_delete(P1, IMAGE, NODE_A))
        self.assertEqual([NODE_B], [
            r['node'] for r in api.cached_image_get_all(P1)])
        api.cached_image_create(P1, NODE_A, IMAGE, 1)
        self.assertEqual(2, api.cached_image_delete(P1, IMAGE))
        self.assertEqual([], api.cached_image_get_all(P1))

    def test_delete_all_forgets_one_node_only(self):
        api.cached_image_create(P1, NODE_A, 'x', 1)
        api.cached_image_create(P1, NODE_A, 'y', 1)
        api.cached_image_create(P1, NODE_B, 'x', 1)
        self.assertEqual(2, api.cached_image_delete_all(P1, NODE_A))
        self.assertEqual(0, api.cached_image_delete_all(P1, 'unknown'))
        self.assertEqual([NODE_B], [
            r['node'] for r in api.cached_image_get_all(P1)])

    def test_deleting_the_image_forgets_every_nodes_copy(self):
        image = api.image_create(P1, {'owner': 'p1', 'status': 'active'})
        for node in (NODE_A, NODE_B):
            api.cached_image_create(P1, node, image['id'], 1)
        api.image_destroy(P1, image['id'])
        self.assertEqual(0, self.count_rows('cached_images'))

    def test_bad_node_and_time_are_refused(self):
        self.assertRaises(exception.Invalid, api.cached_image_create,
                          P1, '', IMAGE, 1)
        self.assertRaises(exception.Invalid, api.cached_image_create,
                          P1, 'n' * 256, IMAGE, 1)
        self.assertRaises(exception.Invalid, api.cached_image_create,
                          P1, NODE_A, IMAGE, 1, last_modified='yesterday')
        self.assertRaises(exception.Invalid, api.cached_image_create,
                          P1, NODE_A, IMAGE, -1)
