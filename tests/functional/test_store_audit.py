"""glance-store-audit against real glance-registry and glance-api with the
file store: it reports data no location records and active locations whose
data is gone, and with --delete-orphans removes the old orphans only,
never live data, data of an upload holding a lease or recent data."""

import json
import os
import subprocess
import sys
import time
import uuid

from tests.functional import base
from tests.functional import test_v2_lifecycle as lifecycle

ADMIN_RPC = {'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'admin',
             'X-User-Id': 'admin', 'X-Roles': 'admin'}
DAY = 24 * 3600


class StoreAuditTestCase(lifecycle.LifecycleMixin, base.ServerTestCase):

    def audit(self, *args, expected=None):
        """Run the audit as its console script does, on glance-api's own
        configuration file; returns (exit status, JSON report)."""
        result = subprocess.run(
            [sys.executable, '-m', 'glance_api.store_audit',
             '--config-file', self.api.conf_path, '--json'] + list(args),
            capture_output=True, text=True, timeout=120, cwd=self.root)
        if expected is not None:
            self.assertEqual(expected, result.returncode,
                             result.stdout + result.stderr)
        return result.returncode, json.loads(result.stdout)

    def write_store_file(self, name, data, age):
        path = os.path.join(os.path.dirname(self.data_path('x')), name)
        with open(path, 'wb') as f:
            f.write(data)
        when = time.time() - age
        os.utime(path, (when, when))
        self.addCleanup(self.remove, path)
        return path

    def remove(self, path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def rpc(self, command, **kwargs):
        status, _, body = self.request_json(
            'POST', '/rpc', [{'command': command, 'kwargs': kwargs}],
            dict(ADMIN_RPC), server=self.registry)
        self.assertEqual(200, status, body)
        return body[0]

    def orphans_by_image(self, report):
        return {orphan['image_id']: orphan for orphan in report['orphans']}

    def test_reports_then_deletes_old_orphans_and_keeps_live_data(self):
        live = self.create_active()
        crashed = str(uuid.uuid4())
        old_orphan = self.write_store_file(crashed, b'left by a crash', DAY)
        partial_id = str(uuid.uuid4())
        partial = self.write_store_file('.%s.0123abcd.tmp' % partial_id,
                                        b'partial', DAY)
        recent_id = str(uuid.uuid4())
        recent = self.write_store_file(recent_id, b'just written', 0)
        # An upload in progress: the image holds a lease, its file is old.
        _, uploading = self.call('POST', '/v2/images', {
            'name': 'uploading', 'disk_format': 'raw',
            'container_format': 'bare'}, expected=201)
        self.rpc('image_lease_acquire', image_id=uploading['id'],
                 holder='store-audit-test', api_version='v2', duration=600)
        in_progress = self.write_store_file(uploading['id'], b'half', DAY)

        status, report = self.audit(expected=1)
        [store] = report['stores']
        self.assertEqual(('file', True), (store['store'], store['listed']))
        self.assertGreaterEqual(store['objects'], 5)
        orphans = self.orphans_by_image(report)
        self.assertLessEqual({crashed, partial_id, recent_id,
                              uploading['id']}, set(orphans))
        self.assertNotIn(live['id'], orphans)
        self.assertEqual('reported', orphans[crashed]['action'])
        self.assertEqual(len(b'left by a crash'), orphans[crashed]['size'])
        self.assertGreaterEqual(orphans[crashed]['age'], DAY - 60)
        self.assertEqual('kept: younger than the grace period',
                         orphans[recent_id]['action'])
        self.assertEqual('kept: its image holds an upload lease',
                         orphans[uploading['id']]['action'])
        self.assertNotIn(live['id'], [missing['image_id']
                                      for missing in report['missing']])
        for path in (old_orphan, partial, recent, in_progress):
            self.assertTrue(os.path.exists(path), path)

        status, report = self.audit('--delete-orphans', expected=1)
        orphans = self.orphans_by_image(report)
        self.assertEqual('deleted', orphans[crashed]['action'])
        self.assertEqual('deleted', orphans[partial_id]['action'])
        self.assertFalse(os.path.exists(old_orphan))
        self.assertFalse(os.path.exists(partial))
        for path in (recent, in_progress):
            self.assertTrue(os.path.exists(path), path)
        # Live data is untouched and still downloads byte for byte.
        status, _, body = self.download(live['id'])
        self.assertEqual((200, lifecycle.DATA), (status, body))

        # With no grace period, what is left but the leased upload goes.
        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '0', expected=1)
        orphans = self.orphans_by_image(report)
        self.assertEqual('deleted', orphans[recent_id]['action'])
        self.assertEqual('kept: its image holds an upload lease',
                         orphans[uploading['id']]['action'])
        self.assertNotIn(crashed, orphans)
        self.assertTrue(os.path.exists(in_progress))
        self.assertTrue(os.path.exists(self.data_path(live['id'])))

    def test_reports_active_location_whose_data_is_missing(self):
        image = self.create_active()
        kept = self.create_active()
        os.unlink(self.data_path(image['id']))
        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '0')
        [missing] = report['missing']
        self.assertEqual((image['id'], 'active', 'file'),
                         (missing['image_id'], missing['image_status'],
                          missing['store']))
        self.assertEqual(1, status)
        self.assertNotIn(kept['id'], self.orphans_by_image(report))
        self.assertTrue(os.path.exists(self.data_path(kept['id'])))

    def test_pending_delete_data_is_not_an_orphan(self):
        image = self.create_active()
        self.rpc('image_update', image_id=image['id'],
                 values={'status': 'pending_delete'})
        self.rpc('image_destroy', image_id=image['id'])
        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '0')
        self.assertNotIn(image['id'], self.orphans_by_image(report))
        self.assertTrue(os.path.exists(self.data_path(image['id'])))

    def test_text_report_names_each_orphan_and_the_counts(self):
        crashed = str(uuid.uuid4())
        self.write_store_file(crashed, b'left by a crash', DAY)
        result = subprocess.run(
            [sys.executable, '-m', 'glance_api.store_audit',
             '--config-file', self.api.conf_path],
            capture_output=True, text=True, timeout=120, cwd=self.root)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('store file: ', result.stdout)
        self.assertIn('image %s, 15 bytes' % crashed, result.stdout)
        self.assertRegex(result.stdout, r'\d+ orphan\(s\), 0 deleted, \d+ '
                         r'location\(s\) with missing data')


class StoreAuditOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                      StoreAuditTestCase):
    """The same, the audit reaching the registry over oslo.messaging."""
