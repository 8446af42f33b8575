"""Pure rules of the upload and download services: quota values, ranges."""

import testtools

from glance_api import download
from glance_api import upload
from glance_registry.common import exception


class TestParseStorageQuota(testtools.TestCase):

    def test_plain_number_is_bytes(self):
        self.assertEqual(0, upload.parse_storage_quota('0'))
        self.assertEqual(500, upload.parse_storage_quota('500'))
        self.assertEqual(500, upload.parse_storage_quota('500B'))

    def test_suffixes_are_powers_of_1024(self):
        self.assertEqual(3 * 1024, upload.parse_storage_quota('3KB'))
        self.assertEqual(2 * 1024 ** 2, upload.parse_storage_quota('2MB'))
        self.assertEqual(10 * 1024 ** 3, upload.parse_storage_quota('10GB'))
        self.assertEqual(1024 ** 4, upload.parse_storage_quota('1TB'))

    def test_other_values_are_refused(self):
        for value in ('', '-1', '1.5GB', '10 PB', 'GB', '10gb'):
            self.assertRaises(ValueError, upload.parse_storage_quota, value)


class TestCheckFormatsSet(testtools.TestCase):

    def test_both_formats_set_passes(self):
        upload.check_formats_set({'disk_format': 'raw',
                                  'container_format': 'bare'})

    def test_missing_format_is_invalid_and_named(self):
        e = self.assertRaises(exception.Invalid, upload.check_formats_set,
                              {'disk_format': 'raw',
                               'container_format': None})
        self.assertIn('container_format', str(e))
        self.assertEqual(400, e.http_status)


class TestParseRange(testtools.TestCase):

    def test_closed_range_includes_its_last_byte(self):
        self.assertEqual((0, 10), download.parse_range('bytes=0-9', 100))
        self.assertEqual((5, 6), download.parse_range('bytes=5-5', 100))

    def test_open_range_runs_to_the_end(self):
        self.assertEqual((90, 100), download.parse_range('bytes=90-', 100))

    def test_suffix_range_is_the_last_bytes(self):
        self.assertEqual((80, 100), download.parse_range('bytes=-20', 100))
        self.assertEqual((0, 100), download.parse_range('bytes=-500', 100))

    def test_range_past_the_end_is_cut_at_the_end(self):
        self.assertEqual((90, 100), download.parse_range('bytes=90-999',
                                                         100))

    def test_unsatisfiable_ranges_raise_416_with_the_size(self):
        for header in ('bytes=100-', 'bytes=100-200', 'bytes=-0',
                       'bytes=150-'):
            e = self.assertRaises(exception.RangeNotSatisfiable,
                                  download.parse_range, header, 100)
            self.assertEqual(416, e.http_status)
            self.assertEqual(100, e.kwargs['size'])

    def test_invalid_ranges_are_ignored(self):
        # RFC 9110: a Range that is not one valid byte range is ignored and
        # the whole data sent.
        for header in ('bytes=9-5', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-',
                       'garbage', 'bytes=a-b', 'bytes=1-2-3', ''):
            self.assertIsNone(download.parse_range(header, 100), header)

    def test_any_range_of_empty_data_is_unsatisfiable(self):
        self.assertRaises(exception.RangeNotSatisfiable,
                          download.parse_range, 'bytes=-1', 0)
        self.assertRaises(exception.RangeNotSatisfiable,
                          download.parse_range, 'bytes=0-', 0)

    def test_request_content_range_form(self):
        self.assertEqual((10, 20), download.parse_content_range(
            'bytes 10-19/*', 100))
        self.assertEqual((10, 100), download.parse_content_range(
            'bytes 10-199/100', 100))
        self.assertRaises(exception.RangeNotSatisfiable,
                          download.parse_content_range, 'bytes 100-199/*',
                          100)


class TestActiveLocations(testtools.TestCase):

    def test_only_active_locations_are_read(self):
        image = {'locations': [
            {'url': 'file:///a', 'status': 'pending_delete'},
            {'url': 'file:///b', 'status': 'active'}]}
        self.assertEqual(['file:///b'],
                         [loc['url']
                          for loc in download.active_locations(image)])
