"""Where x-glance-api-copy-from may point (which hosts: the URL filter,
tests/unit/api/test_url_filter.py)."""

import testtools

from glance_api import reader as reader_module
from glance_api.v1 import images
from glance_registry.common import exception

HEADER = 'x-glance-api-copy-from'


class TestCopyFromChecks(testtools.TestCase):

    def test_non_http_schemes_are_refused(self):
        for url in ('file:///etc/passwd', 'ftp://h/x', 'swift://a/b',
                    'http:///no-host', 'gopher://h'):
            e = self.assertRaises(exception.Invalid,
                                  images.check_external_url, url, HEADER)
            self.assertIn(HEADER, str(e))


class TestIteratorReader(testtools.TestCase):

    def test_reads_across_chunks_in_any_size(self):
        closed = []

        class Source:
            def __iter__(self):
                return iter([b'abc', b'', b'defg'])

            def close(self):
                closed.append(True)

        reader = reader_module.IteratorReader(Source())
        self.assertEqual(b'ab', reader.read(2))
        self.assertEqual(b'c', reader.read(5))
        self.assertEqual(b'defg', reader.read())
        self.assertEqual(b'', reader.read(1))
        reader.close()
        self.assertEqual([True], closed)
