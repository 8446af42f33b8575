"""tools/bench against real daemons, with tiny sizes: every workload runs,
reports its figures without errors, and the run leaves no image behind.

The service is its own baseline here (--baseline-url the same URL), so the
comparison path runs too; upstream Glance is never installed by the tests.
No figure is checked for speed.
"""

import json
import os
import subprocess
import sys

from tests.functional import base
from tests.functional import daemons

BENCH = os.path.join(daemons.REPO, 'tools', 'bench')
TINY = ['--concurrency', '2', '--preload-concurrency', '2', '--count', '5',
        '--images', '8', '--many', '12', '--delete-count', '3',
        '--list-requests', '2', '--size', '1', '--parallel', '2',
        '--parallel-size', '1', '--cycle-clients', '2', '--cycle-count', '3']
METADATA = ('create', 'show', 'update', 'list', 'list_many', 'delete')
DATA = ('upload_chunked', 'upload_content_length', 'download',
        'parallel_upload', 'parallel_download')


class BenchTest(base.ServerTestCase):

    def run_bench(self, *extra):
        result = subprocess.run(
            [sys.executable, BENCH, self.api.url] + TINY + list(extra),
            capture_output=True, text=True, timeout=600)
        self.assertEqual(0, result.returncode, result.stderr)
        return json.loads(result.stdout)

    def assert_no_images_left(self):
        status, _, body = self.request_json('GET', '/v2/images?limit=1000')
        self.assertEqual(200, status)
        self.assertEqual([], [i['name'] for i in body['images']])

    def assert_service_figures(self, figures):
        for name in METADATA:
            self.assertEqual(0, figures[name]['errors'], (name, figures))
            self.assertIn('per_s', figures[name])
            self.assertIn('p50_ms', figures[name])
        self.assertEqual(5, figures['create']['requests'])
        self.assertEqual(3, figures['delete']['requests'])
        # At least: the baseline's images are there too when the service
        # is its own baseline.
        self.assertGreaterEqual(figures['delete']['images_present_before'],
                                12)
        self.assertGreaterEqual(figures['list']['images_returned'], 8)
        self.assertGreaterEqual(figures['list_many']['images_returned'], 12)
        for name in DATA:
            self.assertIn('MBps', figures[name], name)
        for name in ('parallel_upload', 'parallel_download'):
            self.assertEqual(0, figures[name]['errors'], name)
        cycle = figures['cycle']
        self.assertEqual(0, cycle['errors'], cycle)
        for key in ('cycles_per_s', 'create_p50_ms', 'upload_p50_ms',
                    'download_p50_ms', 'delete_p50_ms'):
            self.assertIn(key, cycle)
        self.assertIn('upload_chunked_vs_parallel_hashing',
                      figures['vs_machine'])

    def test_all_workloads_against_a_baseline_report_both_and_ratios(self):
        report = self.run_bench('--baseline-url', self.api.url)

        self.assert_service_figures(report['service'])
        self.assert_service_figures(report['baseline'])
        self.assertEqual(self.api.url, report['baseline']['url'])
        for key in ('create_per_s', 'show_per_s', 'list_p50_ms',
                    'list_many_p50_ms', 'delete_per_s',
                    'upload_chunked_MBps', 'upload_content_length_MBps',
                    'download_MBps', 'parallel_download_MBps',
                    'cycle_cycles_per_s'):
            self.assertIn(key, report['ratios'])
        self.assertIn('hash_md5_sha512_parallel_MBps', report['machine'])
        self.assert_no_images_left()

    def test_chosen_workloads_alone(self):
        report = self.run_bench('--workloads', 'create,show,delete')

        self.assertNotIn('baseline', report)
        self.assertNotIn('ratios', report)
        figures = report['service']
        self.assertEqual(['create', 'delete', 'preload_list_many', 'show'],
                         sorted(k for k in figures
                                if k not in ('url', 'cleanup')))
        self.assertEqual(0, figures['delete']['errors'])
        self.assert_no_images_left()
