"""Where x-glance-api-copy-from may point."""

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

    def test_internal_addresses_are_refused(self):
        for url in ('http://127.0.0.1/x', 'http://localhost:8080/x',
                    'http://10.0.0.5/x', 'http://172.16.3.4/x',
                    'https://192.168.1.1/x', 'http://169.254.169.254/x',
                    'http://[::1]/x', 'http://[fe80::1]/x',
                    'http://[::ffff:10.0.0.1]/x', 'http://0.0.0.0/x',
                    'http://100.64.0.1/x', 'http://224.0.0.1/x'):
            e = self.assertRaises(exception.Invalid,
                                  images.check_public_address, url, HEADER)
            self.assertIn('not a public address', str(e))

    def test_public_literal_addresses_are_allowed(self):
        # Literal addresses resolve without DNS.
        images.check_public_address('http://93.184.216.34/x.img', HEADER)
        images.check_public_address('https://[2606:4700::1]/x.img', HEADER)


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
