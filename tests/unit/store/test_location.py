"""Location URI parsing."""

import testtools

from glance_store import exceptions
from glance_store import location


class LocationTest(testtools.TestCase):

    def test_file_uri_is_split_and_decoded(self):
        loc = location.parse('file:///var/lib/glance/images/a%20b')
        self.assertEqual('file', loc.scheme)
        self.assertEqual('/var/lib/glance/images/a b', loc.path)
        self.assertEqual('/var/lib/glance/images/a b',
                         location.file_path(loc))

    def test_file_uri_round_trips(self):
        uri = location.file_uri('/srv/images/x y')
        self.assertEqual('file:///srv/images/x%20y', uri)
        self.assertEqual('/srv/images/x y',
                         location.file_path(location.parse(uri)))

    def test_scheme_is_case_insensitive(self):
        self.assertEqual('http', location.parse('HTTP://h/p').scheme)

    def test_empty_nul_and_schemeless_locations_are_refused(self):
        self.assertRaises(exceptions.BadStoreUri, location.parse, '')
        self.assertRaises(exceptions.BadStoreUri, location.parse, None)
        self.assertRaises(exceptions.BadStoreUri, location.parse,
                          'file:///a\x00b')
        self.assertRaises(exceptions.BadStoreUri, location.parse,
                          'file:///a%00b')
        self.assertRaises(exceptions.UnknownScheme, location.parse, '/a/b')

    def test_relative_file_path_is_refused(self):
        self.assertRaises(exceptions.BadStoreUri, location.file_path,
                          location.parse('file:relative/path'))

    def test_credentials_are_parsed_and_redacted(self):
        loc = location.parse('https://bob:p%40ss@example.com:8443/img')
        self.assertEqual(('bob', 'p@ss'), (loc.username, loc.password))
        self.assertEqual('https://***@example.com:8443/img', loc.safe_uri)
        self.assertEqual('http://h/x', location.redact('http://h/x'))


class ExceptionsTest(testtools.TestCase):

    def test_every_error_has_a_status_and_a_unique_code(self):
        classes = [c for c in vars(exceptions).values()
                   if isinstance(c, type) and
                   issubclass(c, exceptions.StoreError)]
        codes = [c.code for c in classes]
        self.assertEqual(len(codes), len(set(codes)))
        expected = {'NotFound': 404, 'StorageFull': 413, 'Duplicate': 409,
                    'BackendUnavailable': 503, 'UnknownScheme': 400,
                    'BadStoreUri': 400, 'Forbidden': 403,
                    'StoreAddDisabled': 410, 'RangeNotSatisfiable': 416}
        for name, status in expected.items():
            self.assertEqual(status, getattr(exceptions, name).http_status)

    def test_messages_are_filled_from_keywords(self):
        error = exceptions.NotFound(uri='file:///x')
        self.assertEqual('Image data not found at file:///x', str(error))
        self.assertTrue(issubclass(exceptions.StoreDeleteNotSupported,
                                   exceptions.StoreAddDisabled))
