"""Probe: kill or hang the registry's MariaDB, or the RabbitMQ that carries
registry calls, while the pair is idle and mid-upload. The API answers 503
quickly (bounded by the short timeouts set here, never a hang), and once
the server is back the image heals, active data is byte-identical and no
data is left behind.

Each test runs its own mariadbd or rabbitmq-server (tests/probe/backends);
the shared services are never touched.
"""

import os
import signal
import time

from tests.functional import daemons
from tests.probe import base

MiB = base.MiB
# The registry's database socket timeouts (connection_url) and glance-api's
# registry_client_timeout are 5 s: a request may take both, plus slack for
# two busy cores, before it must have answered.
ANSWER_TIMEOUT = 30


class BackendProbeTest(base.ProbeTest):

    def setUp(self):
        super().setUp()
        self.addCleanup(self.assert_logs_clean)

    def assert_logs_clean(self):
        """The daemons logged the faults as one-line errors: an expected
        fault is no traceback."""
        for daemon in (self.api, self.registry):
            with open(daemon.log_file, errors='replace') as f:
                log = f.read()
            self.assertNotIn('Traceback', log, daemon.prog)

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

    def finish_upload(self, sock, size, sent):
        """Send the rest of an upload started with start_upload; returns
        (status line, body) of the answer."""
        sock.sendall(b'x' * (size - sent))
        head, body = self.read_response(sock, ANSWER_TIMEOUT * 2)
        return head.split('\r\n', 1)[0], body

    def active_image(self, data):
        image_id = self.create_image()
        self.assertEqual(204, self.upload(image_id, data))
        return image_id

    def assert_active_intact(self, image_id, data):
        row = self.row(image_id)
        self.assertEqual('active', row['status'])
        self.assertEqual(len(data), row['size'])
        self.assertEqual(data, self.download(image_id))

    def fault_while_idle(self, fault, repair):
        """An active image; ``fault()`` breaks a part: the API answers 503;
        ``repair()``: the image reads back intact and a new upload works.
        Prints how long after the fault the pair was usable again."""
        data = b'active before the fault'
        image_id = self.active_image(data)
        fault()
        broken_at = time.time()
        self.assert_unavailable(image_id)
        repair()
        self.wait_until_answers(image_id)
        self.assert_active_intact(image_id, data)
        self.assert_usable(self.create_image(), b'after', since=broken_at)

    def fault_mid_upload(self, fault):
        """An upload whose first bytes are in; ``fault()`` breaks a part,
        then the rest is sent: the upload answers 503 with a clean error.
        Returns the image id, its size and when the fault came."""
        image_id = self.create_image()
        size, sent = 8 * MiB, 2 * MiB
        sock = self.start_upload(image_id, size, sent)
        self.wait_for_row_status(image_id, 'saving')
        fault()
        broken_at = time.time()
        status, body = self.finish_upload(sock, size, sent)
        self.assertIn(' 503 ', status, body)
        self.assert_clean_error(body)
        return image_id, size, broken_at

    def wait_for_settled(self, image_id):
        """The row once its status is no longer saving, and its data
        once no longer in doubt (the store holds exactly what rows
        reference)."""
        self.wait_until(lambda: self.row(image_id)['status'] != 'saving',
                        what='image %s out of saving' % image_id)
        self.wait_until(self.data_settled, what='no orphan data')
        return self.row(image_id)

    def assert_settled(self, image_id, data, since):
        """After an activation that got no answer: the image is active
        with ``data`` (the registry applied it late) or back to queued
        with no data left (glance-api put it back first, or the lease
        was healed), and usable."""
        row = self.wait_for_settled(image_id)
        if row['status'] == 'active':
            self.assert_active_intact(image_id, data)
            self.report_usable(since)
            self.assert_no_orphans()
        else:
            self.assertEqual('queued', row['status'])
            self.assertEqual([], self.data_dir_entries())
            self.assert_usable(image_id, since=since)

    def data_settled(self):
        referenced = {os.path.basename(url) for (url,) in self.query(
            'SELECT l.value FROM images i JOIN image_locations l ON '
            'l.image_id = i.id WHERE l.deleted = 0 AND i.deleted = 0')}
        return set(self.data_dir_entries()) == referenced


class MariaDBTest(BackendProbeTest):
    mariadb = True

    def test_killed_idle_answers_503_then_works_after_restart(self):
        self.fault_while_idle(self.database.kill, self.database.start)

    def test_killed_mid_upload_answers_503_and_image_heals(self):
        image_id, _, killed_at = self.fault_mid_upload(self.database.kill)
        # Nothing could record the data: it must not stay behind.
        self.assertEqual([], self.data_dir_entries())
        self.database.start()
        self.wait_for_row_status(image_id, 'queued')
        self.assertEqual([], self.leases())
        self.assert_usable(image_id, since=killed_at)


class MariaDBHungTest(BackendProbeTest):
    """The database hangs longer than glance-api waits for the registry
    (the registry's own database timeout is longer), with a lease that
    outlives the hang: an activation that got no answer may be recorded
    once the database resumes."""
    mariadb = True
    database_timeout = 30
    registry_client_timeout = 3
    lease = 60

    def pause_database(self):
        self.database.pause()
        self.addCleanup(self.database.resume)

    def test_hung_idle_answers_503_then_works_after_sigcont(self):
        self.fault_while_idle(self.pause_database, self.database.resume)

    def test_hung_mid_upload_answers_503_and_settles_the_activation(
            self):
        image_id, size, hung_at = self.fault_mid_upload(self.pause_database)
        # glance-api gave up waiting, but the registry still waits for
        # the database and may record the activation once it resumes: the
        # data stays until the registry says.
        self.assertEqual(1, len(self.data_dir_entries()))
        self.database.resume()
        self.wait_until_answers(image_id)
        self.assert_settled(image_id, b'x' * size, hung_at)


class RabbitMQTest(BackendProbeTest):
    """The broker carrying registry calls dies; once started again, the
    registry's RPC server and glance-api's client reconnect on their
    own."""
    registry_transport = 'messaging'

    def test_killed_idle_answers_503_then_works_after_restart(self):
        self.fault_while_idle(self.broker.kill, self.broker.start)

    def test_killed_mid_upload_answers_503_and_image_heals(self):
        image_id, _, killed_at = self.fault_mid_upload(self.broker.kill)
        self.broker.start()
        row = self.wait_for_settled(image_id)
        self.assertEqual('queued', row['status'])
        self.assertEqual([], self.leases())
        self.wait_until_answers(image_id)
        self.assert_usable(image_id, since=killed_at)


class RegistryHungAtActivationTest(BackendProbeTest):
    """glance-registry stopped (SIGSTOP) while an upload activates: the
    activation gets no answer and glance-api keeps the data until the
    registry, resumed, says whether the image records it."""

    def test_hung_registry_mid_upload_settles_to_a_legal_state(self):
        image_id, size, hung_at = self.fault_mid_upload(
            lambda: self.signal_daemon(self.registry, signal.SIGSTOP))
        # The data waits for the registry's word.
        self.assertEqual(1, len(self.data_dir_entries()))
        self.signal_daemon(self.registry, signal.SIGCONT)
        self.assert_settled(image_id, b'x' * size, hung_at)
