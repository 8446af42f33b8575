"""Probe: glance-store-audit after glance-api is killed mid-upload. The
killed upload leaves nothing; a file linked into place whose recording the
crash cut off (made here by hand: the window is too narrow to hit) is the
one orphan the audit reports and, past the grace period, deletes, while
the data of active images stays byte-identical."""

import os
import time

from tests.probe import base


class StoreAuditAfterCrashTest(base.ProbeTest):

    def test_audit_finds_and_removes_the_orphan_a_crash_left(self):
        image_id, killed_at = self.kill_api_mid_upload('v2')
        self.wait_for_row_status(image_id, 'queued')
        self.api.start()
        live = self.create_image()
        self.assertEqual(204, self.upload(live, b'live data'))
        self.assertEqual((0, [], []), self._summary(self.audit()))

        orphan = os.path.join(self.data_dir, image_id)
        with open(orphan, 'wb') as f:
            f.write(b'linked, never recorded')
        hour_ago = time.time() - 3600
        os.utime(orphan, (hour_ago, hour_ago))
        status, report = self.audit()
        self.assertEqual(1, status)
        self.assertEqual([(image_id, 'reported')],
                         [(o['image_id'], o['action'])
                          for o in report['orphans']])
        status, report = self.audit('--delete-orphans', '--grace-period',
                                    '60')
        self.assertEqual((0, [(image_id, 'deleted')]), (
            status, [(o['image_id'], o['action'])
                     for o in report['orphans']]))
        self.assertFalse(os.path.exists(orphan))
        self.assertEqual(b'live data', self.download(live))
        self.assert_usable(image_id, since=killed_at)
        self.assertEqual((0, [], []), self._summary(self.audit()))

    @staticmethod
    def _summary(result):
        status, report = result
        return status, report['orphans'], report['missing']
