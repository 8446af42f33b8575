"""Locations naming a swift auth address or an s3 endpoint other than the
store's own are URLs fetched on a user's behalf: the embedding service's
url_filter sees them before any connection."""

import glance_store
import testtools

from tests.unit.store import helpers


class Refused(Exception):
    pass


class FilterRecorder:
    """A url_filter that records what it is asked and refuses it."""

    def __init__(self):
        self.asked = []

    def __call__(self, url):
        self.asked.append(url)
        raise Refused(url)


class ForeignEndpointTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.url_filter = FilterRecorder()
        conf = helpers.make_conf({
            'stores': ['swift', 's3'],
            'default_store': 'swift',
            # Closed ports: nothing here may connect anywhere.
            'swift_store_auth_address': 'http://127.0.0.1:9/auth/v1.0',
            'swift_store_user': 'test:tester',
            'swift_store_key': 'testing',
            'swift_store_auth_version': '1',
            's3_store_host': 'http://127.0.0.1:9',
            's3_store_access_key': 'access',
            's3_store_secret_key': 'secret',
            's3_store_bucket': 'glance',
        })
        self.stores = glance_store.Stores(conf, url_filter=self.url_filter)

    def test_swift_location_on_a_foreign_auth_address_is_filtered(self):
        url = 'swift+http://u:k@169.254.169.254/auth/v1.0/c/obj'
        error = self.assertRaises(Refused, self.stores.get_size, url)
        self.assertEqual(['http://169.254.169.254/auth/v1.0'],
                         self.url_filter.asked)
        self.assertEqual(str(error), self.url_filter.asked[0])

    def test_s3_location_on_a_foreign_endpoint_is_filtered(self):
        url = 's3://access:secret@10.1.2.3:8080/bucket/key'
        self.assertRaises(Refused, self.stores.get, url)
        self.assertRaises(Refused, self.stores.delete, url)
        self.assertEqual(['http://10.1.2.3:8080'] * 2, self.url_filter.asked)

    def test_the_stores_own_endpoints_are_not_filtered(self):
        swift = self.stores.get_store('swift')
        swift._check_foreign_account(swift.account)
        s3 = self.stores.get_store('s3')
        s3._client(s3._location('s3://access:secret@127.0.0.1:9/glance/k'))
        self.assertEqual([], self.url_filter.asked)
