"""GET /metrics of glance-api and glance-registry with 2 workers each, read
with prometheus-client's own parser: counters move after an upload and a
download whichever worker served them; only allowed_hosts may read it."""

import json
import time

from prometheus_client import parser

from tests.functional import base


def samples(text):
    """{(name, sorted label items): value} of an exposition."""
    found = {}
    for family in parser.text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = (
                sample.value)
    return found


class MetricsTestCase(base.ServerTestCase):

    api_overrides = {'DEFAULT': {'workers': 2},
                     'metrics': {'store_usage_cache_time': 0}}
    registry_overrides = {'DEFAULT': {'workers': 2}}

    def scrape(self, server=None, until=None):
        """The samples of GET /metrics; with ``until``, scraped again
        (for up to 10 s) until ``until(samples)`` holds: a request is
        counted when the server closes its answer, just after the client
        has read it."""
        deadline = time.monotonic() + 10
        while True:
            status, headers, body = self.request('GET', '/metrics',
                                                 server=server)
            self.assertEqual(200, status, body)
            self.assertIn('text/plain', headers['Content-Type'])
            found = samples(body.decode())
            if until is None or until(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def value(self, found, name, **labels):
        return found.get((name, tuple(sorted(labels.items()))), 0)

    def test_upload_and_download_move_the_counters(self):
        before = self.scrape()
        status, _, image = self.request_json('POST', '/v2/images', {
            'name': 'metered', 'disk_format': 'raw',
            'container_format': 'bare'})
        self.assertEqual(201, status)
        data = b'm' * 300000
        path = '/v2/images/%s/file' % image['id']
        status, _, _ = self.request(
            'PUT', path, data, {'Content-Type': 'application/octet-stream'})
        self.assertEqual(204, status)
        for _ in range(2):
            status, _, body = self.request('GET', path)
            self.assertEqual(data, body)
        download_key = ('glance_image_download_count_total',
                        (('result', 'success'),))
        after = self.scrape(until=lambda found: found.get(download_key, 0) >=
                            before.get(download_key, 0) + 2)

        def moved(name, **labels):
            return (self.value(after, name, **labels) -
                    self.value(before, name, **labels))

        self.assertEqual(1, moved('glance_image_upload_count_total',
                                  store='file', result='success'))
        self.assertEqual(len(data), moved('glance_image_upload_bytes_total',
                                          store='file'))
        self.assertEqual(2, moved('glance_image_download_count_total',
                                  result='success'))
        self.assertEqual(2 * len(data),
                         moved('glance_image_download_bytes_total'))
        self.assertEqual(1, moved('glance_image_size_bytes_count'))
        self.assertEqual(2, moved(
            'glance_api_request_duration_seconds_count', method='GET',
            route='/v2/images/{image_id}/file', status='200'))
        self.assertEqual(1, moved(
            'glance_api_request_duration_seconds_count', method='POST',
            route='/v2/images', status='201'))
        self.assertGreater(moved('glance_registry_rpc_duration_seconds_count',
                                 operation='image_create', transport='http'),
                           0)
        self.assertEqual(len(data), self.value(
            after, 'glance_store_usage_bytes', store='file'))

    def test_registry_counts_the_operations_it_serves(self):
        before = self.scrape(self.registry)
        for name in ('one', 'two'):
            status, _, _ = self.request_json('POST', '/v2/images', {
                'name': name, 'disk_format': 'raw',
                'container_format': 'bare'})
            self.assertEqual(201, status)
        after = self.scrape(self.registry)
        labels = {'operation': 'image_create', 'transport': 'http',
                  'result': 'success'}
        name = 'glance_registry_operation_duration_seconds_count'
        self.assertEqual(2, self.value(after, name, **labels) -
                         self.value(before, name, **labels))

    def test_a_refused_upload_counts_as_failure(self):
        before = self.scrape()
        status, _, _ = self.request(
            'PUT', '/v2/images/00000000-0000-0000-0000-000000000000/file',
            b'x', {'Content-Type': 'application/octet-stream'})
        self.assertEqual(404, status)
        key = ('glance_image_upload_count_total',
               (('result', 'failure'), ('store', 'file')))
        after = self.scrape(until=lambda found: found.get(key, 0) >
                            before.get(key, 0))
        self.assertEqual(1, after.get(key, 0) - before.get(key, 0))

    def test_ids_never_become_routes(self):
        self.request('GET', '/v2/images/%s' % ('a' * 36))

        def routes_of(found):
            return {dict(labels).get('route') for (name, labels) in found
                    if name.startswith('glance_api_request')}

        routes = routes_of(self.scrape(
            until=lambda found: '/v2/images/{image_id}' in routes_of(found)))
        self.assertIn('/v2/images/{image_id}', routes)
        self.assertFalse([r for r in routes if r and 'aaaa' in r], routes)


class MetricsNotAllowedTestCase(base.ServerTestCase):

    api_overrides = {'metrics': {'allowed_hosts': '10.0.0.0/8'}}
    registry_overrides = api_overrides

    def test_other_clients_get_404(self):
        for server in (self.api, self.registry):
            status, _, _ = self.request('GET', '/metrics', server=server)
            self.assertEqual(404, status)
        # The API itself is unaffected.
        status, _, body = self.request('GET', '/v2/images')
        self.assertEqual(200, status)
        json.loads(body)
