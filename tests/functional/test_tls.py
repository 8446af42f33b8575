"""HTTPS with certificates made here: a client to glance-api, glance-api
to glance-registry (which demands a client certificate), glance-scrubber
to the registry; and the daemons refusing an incomplete TLS setup."""

import json
import os
import ssl
import subprocess
import urllib.error

from tests.functional import base
from tests.functional import daemons
from tests.functional import tls


class TLSTestCase(base.ServerTestCase):

    @classmethod
    def certificates(cls):
        if not hasattr(cls, 'ca'):
            cls.ca = tls.CertificateAuthority(os.path.join(cls.root, 'pki'))
            cls.api_cert = cls.ca.issue('glance-api')
            cls.registry_cert = cls.ca.issue('glance-registry')
            cls.client_cert = cls.ca.issue('glance-api-client', server=False)
        return cls.ca

    @classmethod
    def registry_config(cls):
        ca = cls.certificates()
        config = super().registry_config()
        config.setdefault('DEFAULT', {}).update({
            'cert_file': cls.registry_cert[0],
            'key_file': cls.registry_cert[1],
            'ca_file': ca.cert_file})
        return config

    @classmethod
    def api_config(cls):
        ca = cls.certificates()
        config = super().api_config()
        config.setdefault('DEFAULT', {}).update({
            'cert_file': cls.api_cert[0],
            'key_file': cls.api_cert[1],
            'registry_client_protocol': 'https',
            'registry_client_ca_file': ca.cert_file,
            'registry_client_cert_file': cls.client_cert[0],
            'registry_client_key_file': cls.client_cert[1]})
        return config

    def client_context(self, cert=None):
        context = ssl.create_default_context(cafile=self.ca.cert_file)
        if cert:
            context.load_cert_chain(*cert)
        return context

    def test_image_round_trip_over_https_to_api_and_registry(self):
        self.assertTrue(self.api.url.startswith('https://'))
        context = self.client_context()
        status, _, body = daemons.http(
            'POST', self.api.url + '/v2/images',
            b'{"name": "tls", "disk_format": "raw", '
            b'"container_format": "bare"}',
            {'Content-Type': 'application/json'}, context=context)
        self.assertEqual(201, status, body)
        image_id = json.loads(body)['id']
        path = '/v2/images/%s/file' % image_id
        status, _, body = daemons.http(
            'PUT', self.api.url + path, b'secret bytes' * 1000,
            {'Content-Type': 'application/octet-stream'}, context=context)
        self.assertEqual(204, status, body)
        status, _, body = daemons.http('GET', self.api.url + path,
                                       context=context)
        self.assertEqual(200, status)
        self.assertEqual(b'secret bytes' * 1000, body)

    def test_api_refuses_plain_http(self):
        url = self.api.url.replace('https://', 'http://') + '/v2/images'
        self.assertRaises((urllib.error.URLError, ConnectionError),
                          daemons.http, 'GET', url)

    def test_api_certificate_fails_verification_without_the_ca(self):
        self.assertRaises(urllib.error.URLError, daemons.http, 'GET',
                          self.api.url + '/v2/images',
                          context=ssl.create_default_context())

    def test_registry_refuses_a_client_without_certificate(self):
        url = self.registry.url + '/images'
        self.assertRaises((urllib.error.URLError, ConnectionError,
                           ssl.SSLError), daemons.http, 'GET', url,
                          context=self.client_context())
        status, _, _ = daemons.http(
            'GET', url, context=self.client_context(self.client_cert))
        self.assertEqual(200, status)

    def test_scrubber_reaches_the_registry_over_https(self):
        conf = daemons.write_conf(
            os.path.join(self.root, 'etc', 'glance', 'scrubber-tls.conf'),
            'glance-scrubber.conf', {'DEFAULT': {
                'registry_host': '127.0.0.1',
                'registry_port': self.registry.port,
                'registry_client_protocol': 'https',
                'registry_client_ca_file': self.ca.cert_file,
                'registry_client_cert_file': self.client_cert[0],
                'registry_client_key_file': self.client_cert[1]},
                'glance_store': {'filesystem_store_datadir': os.path.join(
                    self.root, 'var', 'lib', 'glance', 'images')}})
        result = subprocess.run(
            [os.path.join(daemons.BIN, 'glance-scrubber'), '--config-file',
             conf], capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)


class IncompleteTLSTestCase(base.ServerTestCase):

    start_api = False

    def test_key_file_without_cert_file_stops_the_daemon_with_a_reason(self):
        registry = daemons.Registry(
            root=os.path.join(self.root, 'bad'),
            overrides={'DEFAULT': {'key_file': '/nonexistent.key'}})
        self.assertRaises(Exception, registry.setUp)
        self.assertIn('ERROR: HTTPS needs both cert_file and key_file',
                      registry.log_text())
