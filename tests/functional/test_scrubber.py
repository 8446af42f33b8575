"""glance-scrubber as a real process against real glance-registry and
glance-api (delayed_delete on): a pass removes the data of pending_delete
images, --restore brings one back, a failing image is retried by the next
pass while the others are scrubbed, --daemon scrubs every wakeup_time."""

import os
import signal
import subprocess
import time

from tests.functional import base
from tests.functional import daemons
from tests.functional import test_v2_lifecycle as lifecycle

SCRUBBER = os.path.join(daemons.BIN, 'glance-scrubber')


class ScrubberTestCase(lifecycle.LifecycleMixin, base.ServerTestCase):

    api_overrides = {'DEFAULT': {'delayed_delete': True}}

    def scrubber_conf(self, **values):
        path = os.path.join(self.root, 'etc', 'glance',
                            'glance-scrubber-%d.conf' % len(os.listdir(
                                os.path.join(self.root, 'etc', 'glance'))))
        defaults = {'registry_host': '127.0.0.1',
                    'registry_port': self.registry.port,
                    'log_file': os.path.join(self.root, 'var', 'log',
                                             'glance', 'scrubber.log')}
        defaults.update(self.transport_values())
        defaults.update(values)
        return daemons.write_conf(path, 'glance-scrubber.conf', {
            'DEFAULT': defaults,
            'glance_store': {'filesystem_store_datadir': os.path.join(
                self.root, 'var', 'lib', 'glance', 'images')}})

    def transport_values(self):
        return {}

    def scrub(self, *args, expected=0, **values):
        result = subprocess.run(
            [SCRUBBER, '--config-file', self.scrubber_conf(**values)] +
            list(args), capture_output=True, text=True, timeout=60)
        self.assertEqual(expected, result.returncode,
                         result.stdout + result.stderr)
        return result

    def delete(self, image_id):
        self.call('DELETE', '/v2/images/%s' % image_id, expected=204)

    def test_pass_removes_data_of_pending_delete_images(self):
        image = self.create_active()
        self.delete(image['id'])
        self.assertTrue(os.path.exists(self.data_path(image['id'])))
        self.scrub()
        self.assertFalse(os.path.exists(self.data_path(image['id'])))
        # Scrubbed images are deleted for good: nothing left to restore.
        result = self.scrub('--restore', image['id'], expected=1)
        self.assertIn('Cannot restore', result.stderr)

    def test_scrub_time_keeps_recent_deletes(self):
        image = self.create_active()
        self.delete(image['id'])
        self.scrub(scrub_time=3600)
        self.assertTrue(os.path.exists(self.data_path(image['id'])))
        self.scrub()
        self.assertFalse(os.path.exists(self.data_path(image['id'])))

    def test_restore_brings_pending_delete_image_back_active(self):
        image = self.create_active(tags=['keep'], color='blue')
        self.delete(image['id'])
        result = self.scrub('--restore', image['id'])
        self.assertIn(image['id'], result.stdout)
        _, shown = self.call('GET', '/v2/images/%s' % image['id'],
                             expected=200)
        self.assertEqual('active', shown['status'])
        self.assertEqual(['keep'], shown['tags'])
        self.assertEqual('blue', shown['color'])
        status, _, body = self.download(image['id'])
        self.assertEqual((200, lifecycle.DATA), (status, body))
        # A later pass leaves it alone.
        self.scrub()
        self.assertTrue(os.path.exists(self.data_path(image['id'])))

    def test_restore_of_active_or_unknown_image_fails(self):
        image = self.create_active()
        self.scrub('--restore', image['id'], expected=1)
        self.scrub('--restore', '0b3b8e1c-2f6a-4b1e-9d55-000000000000',
                   expected=1)

    def test_failing_image_is_retried_next_pass_others_scrubbed(self):
        failing = self.create_active()
        fine = self.create_active()
        self.delete(failing['id'])
        self.delete(fine['id'])
        # An immutable data file: the store cannot delete it (even as
        # root).
        path = self.data_path(failing['id'])
        subprocess.run(['chattr', '+i', path], check=True)
        self.addCleanup(subprocess.run, ['chattr', '-i', path],
                        capture_output=True)
        self.scrub(expected=1)
        self.assertFalse(os.path.exists(self.data_path(fine['id'])))
        self.assertTrue(os.path.exists(path))
        # Still pending_delete, so scrubbed by the next pass once fixed.
        subprocess.run(['chattr', '-i', path], check=True)
        self.scrub()
        self.assertFalse(os.path.exists(path))

    def test_daemon_scrubs_every_wakeup_time(self):
        proc = subprocess.Popen(
            [SCRUBBER, '--config-file', self.scrubber_conf(wakeup_time=1),
             '--daemon'], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self.addCleanup(self._stop, proc)
        image = self.create_active()
        self.delete(image['id'])
        deadline = time.time() + 30
        while time.time() < deadline and os.path.exists(
                self.data_path(image['id'])):
            time.sleep(0.2)
        self.assertFalse(os.path.exists(self.data_path(image['id'])))
        self.assertIsNone(proc.poll())

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


class ScrubberOverMessagingTestCase(base.RegistryOverMessagingMixin,
                                    ScrubberTestCase):
    """The same, the scrubber and glance-api reaching the registry over
    RabbitMQ."""

    def transport_values(self):
        return dict(self._messaging(), registry_transport='messaging')
