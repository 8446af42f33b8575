"""Probe: kill or hang the registry's MariaDB, or the RabbitMQ that carries
registry calls, while the pair is idle and mid-upload. The API answers 503
quickly (bounded by the short timeouts set here, never a hang), and once
the server is back the image heals, active data is byte-identical and no
data is left behind.

Each test runs its own mariadbd or rabbitmq-server (tests/probe/backends);
the shared services are never touched.
"""

import time

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB
# The registry's database socket timeouts (connection_url) and glance-api's
# registry_client_timeout are 5 s: a request may take both, plus slack for
# two busy cores, before it must have answered.
ANSWER_TIMEOUT = 30


class BackendProbeTest(base.ProbeTest):

    def get_image(self, image_id, timeout=ANSWER_TIMEOUT):
        """GET /v2/images/ID: (status, body, seconds taken)."""
        started = time.time()
        status, _, body = daemons.http(
            'GET', self.api.url + '/v2/images/%s' % image_id,
            timeout=timeout)
        return status, body, time.time() - started

    def assert_unavailable(self, image_id):
        """The API answers 503 within ANSWER_TIMEOUT, with a one-line
        error that names neither the registry's address nor a traceback."""
        status, body, _ = self.get_image(image_id)
        self.assertEqual(503, status, body)
        self.assert_clean_error(body)

    def assert_clean_error(self, body):
        text = body.decode('utf-8', 'replace')
        self.assertNotIn('Traceback', text)
        self.assertNotIn(':%d' % self.registry.port, text)
        self.assertNotIn('127.0.0.1', text)
        self.assertNotIn('\n', text.strip())

    def wait_until_answers(self, image_id):
        """Poll GET until it is 200 again."""
        self.wait_until(lambda: self.get_image(image_id)[0] == 200,
                        timeout=120, what='image %s readable' % image_id)

    def active_image(self, data):
        image_id = self.create_image()
        self.assertEqual(204, self.upload(image_id, data))
        return image_id

    def assert_active_intact(self, image_id, data):
        row = self.row(image_id)
        self.assertEqual('active', row['status'])
        self.assertEqual(len(data), row['size'])
        self.assertEqual(data, self.download(image_id))


class MariaDBTest(BackendProbeTest):
    mariadb = True

    def test_killed_idle_answers_503_then_works_after_restart(self):
        data = b'before the database died'
        image_id = self.active_image(data)
        self.database.kill()
        killed_at = time.time()
        self.assert_unavailable(image_id)
        self.database.start()
        self.wait_until_answers(image_id)
        self.assert_active_intact(image_id, data)
        self.assert_usable(self.create_image(), b'after', since=killed_at)
