"""The one retry helper: bounded attempts with exponential back-off."""

import testtools

from glance_registry.common import retry


class Flaky:
    """Fails ``failures`` times with ``error``, then answers ``ok``."""

    def __init__(self, failures, error=OSError):
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error('attempt %d failed' % self.calls)
        return 'ok'


class RetryTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.waits = []

    def call(self, step, attempts, **kwargs):
        return retry.call_with_retries(step, attempts, OSError, 'test step',
                                       sleep=self.waits.append, **kwargs)

    def test_first_success_returns_without_waiting(self):
        self.assertEqual('ok', self.call(Flaky(0), 3))
        self.assertEqual([], self.waits)

    def test_waits_double_between_attempts_until_success(self):
        step = Flaky(3)
        self.assertEqual('ok', self.call(step, 4))
        self.assertEqual(4, step.calls)
        self.assertEqual([0.2, 0.4, 0.8], self.waits)

    def test_wait_is_capped(self):
        self.call(Flaky(4), 5, first_delay=1, max_delay=3)
        self.assertEqual([1, 2, 3, 3], self.waits)

    def test_last_error_propagates_after_the_last_attempt(self):
        step = Flaky(5)
        error = self.assertRaises(OSError, self.call, step, 3)
        self.assertEqual('attempt 3 failed', str(error))
        self.assertEqual(3, step.calls)
        self.assertEqual(2, len(self.waits))

    def test_other_errors_are_not_retried(self):
        step = Flaky(1, error=ValueError)
        self.assertRaises(ValueError, self.call, step, 3)
        self.assertEqual(1, step.calls)

    def test_zero_attempts_still_calls_once(self):
        self.assertEqual('ok', self.call(Flaky(0), 0))
