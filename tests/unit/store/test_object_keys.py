"""What the audit asks the swift, s3 and rbd drivers without a backend:
the key a location names in the store's own space (None outside it), and
how swift reads a listing's modification time. Listing and deleting run
against the real backends in tests/integration/test_store_audit_backends.py.
"""

import calendar

import testtools

from glance_store._drivers import rbd
from glance_store._drivers import s3
from glance_store._drivers import swift
from tests.unit.store import helpers

SWIFT = {
    'swift_store_auth_address': 'http://127.0.0.1:9/auth/v1.0',
    'swift_store_user': 'test:tester',
    'swift_store_key': 'testing',
    'swift_store_auth_version': '1',
}
OWN_SWIFT = 'swift+http://test%3Atester:testing@127.0.0.1:9/auth/v1.0/'


class SwiftObjectKeyTest(testtools.TestCase):

    def store(self, **options):
        return swift.Store(helpers.make_conf(dict(SWIFT, **options)))

    def test_own_container_and_account(self):
        store = self.store()
        self.assertEqual('glance/abc',
                         store.object_key(OWN_SWIFT + 'glance/abc'))
        # The key does not depend on the key (password) in the URL.
        self.assertEqual('glance/abc', store.object_key(
            OWN_SWIFT.replace(':testing@', ':other@') + 'glance/abc'))

    def test_outside_the_stores_space(self):
        store = self.store()
        for url in (OWN_SWIFT + 'other/abc',
                    OWN_SWIFT + 'glance_segments/abc-00001',
                    OWN_SWIFT + 'glance_ab/abc',
                    'swift+http://someone%3Aelse:k@127.0.0.1:9/auth/v1.0/'
                    'glance/abc',
                    'swift+http://test%3Atester:testing@10.0.0.1:9/'
                    'auth/v1.0/glance/abc',
                    's3://a:b@127.0.0.1:9/glance/abc',
                    'not a url'):
            self.assertIsNone(store.object_key(url), url)

    def test_containers_of_the_seed(self):
        store = self.store(swift_store_multiple_containers_seed=2)
        self.assertEqual('glance_ab/abc',
                         store.object_key(OWN_SWIFT + 'glance_ab/abc'))
        self.assertIsNone(store.object_key(
            OWN_SWIFT + 'glance_ab_segments/abc-00001'))

    def test_listing_time(self):
        moment = calendar.timegm((2026, 12, 5, 18, 44, 31))
        self.assertEqual(moment + 0.25,
                         swift._timestamp('2026-12-05T18:44:31.250000'))
        self.assertEqual(moment, swift._timestamp('2026-12-05T18:44:31'))
        self.assertEqual(0.0, swift._timestamp(None))
        self.assertEqual(0.0, swift._timestamp('yesterday'))

    def test_segments_group_with_their_image(self):
        groups = {}
        swift._merge(groups, 'glance', 'abc',
                     {'bytes': 0, 'last_modified': '2026-12-05T18:00:00'})
        swift._merge(groups, 'glance', 'abc',
                     {'bytes': 5, 'last_modified': '2026-12-05T18:00:09'})
        self.assertEqual(
            {('glance', 'abc'): (5, calendar.timegm(
                (2026, 12, 5, 18, 0, 9)))}, groups)


class S3ObjectKeyTest(testtools.TestCase):

    def test_own_bucket_on_own_endpoint(self):
        store = s3.Store(helpers.make_conf({
            's3_store_host': 'http://127.0.0.1:9',
            's3_store_access_key': 'access',
            's3_store_secret_key': 'secret',
            's3_store_bucket': 'glance'}))
        self.assertEqual('abc', store.object_key(
            's3://access:secret@127.0.0.1:9/glance/abc'))
        for url in ('s3://access:secret@127.0.0.1:9/other/abc',
                    's3://access:secret@10.0.0.1:9/glance/abc',
                    'swift+http://a:b@127.0.0.1:9/auth/v1.0/glance/abc'):
            self.assertIsNone(store.object_key(url), url)


class RbdObjectKeyTest(testtools.TestCase):

    def test_own_pool(self):
        store = rbd.Store(helpers.make_conf({'rbd_store_pool': 'images'}))
        self.assertEqual('abc', store.object_key(
            'rbd://fsid/images/abc/snap'))
        self.assertEqual('abc', store.object_key('rbd://abc'))
        self.assertIsNone(store.object_key('rbd://fsid/other/abc/snap'))
        self.assertIsNone(store.object_key('file:///images/abc'))

    def test_op_timeout_defaults_to_none(self):
        store = rbd.Store(helpers.make_conf({}))
        self.assertEqual(0, store.op_timeout)
