"""Retry an idempotent step with exponential back-off, shared by both daemons.

Used for registry reads (glance_registry.client) and for glance-api's reads of
store data (glance_api.locations). A plain loop rather than a retry library:
the registry client runs it on every read, where a call costs ~0.33 ms.
"""

import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

FIRST_DELAY = 0.2
MAX_DELAY = 5.0


def call_with_retries(step, attempts, retry_on, what,
                      first_delay=FIRST_DELAY, max_delay=MAX_DELAY,
                      sleep=time.sleep):
    """Return ``step()``, calling it up to ``attempts`` times while it
    raises ``retry_on``; waits ``first_delay`` seconds, then twice as long
    each time (at most ``max_delay``). The last error propagates."""
    attempts = max(attempts, 1)
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except retry_on as e:
            if attempt >= attempts:
                raise
            delay = min(first_delay * 2 ** (attempt - 1), max_delay)
            LOG.warning('%s failed (attempt %d of %d: %s); retrying in '
                        '%.1f s', what, attempt, attempts, e, delay)
            sleep(delay)
