"""The registry's lease healer: a periodic task in every registry process.

Every ``lease_check_interval`` seconds it heals the upload leases that
expired (their glance-api died or hung; see ``glance_registry.db.leases``):
each image goes back to ``queued`` (v2) or ``killed`` (v1) by
compare-and-swap, so several registry processes running the task at once
heal each lease once. The registry never touches a store: partial data of
the file store never outlives its writer (it is written anonymously and
linked into place when complete), and glance-api cleans what its own
previous run left when it starts (``glance_api.leases``).
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception
from glance_registry.db import leases

LOG = logging.getLogger(__name__)

healer_opts = [
    cfg.IntOpt('lease_check_interval', default=10, min=1,
               help='Seconds between two checks for expired upload leases '
                    '(an image whose glance-api stopped renewing its lease '
                    'goes back to queued, or killed for v1).'),
]

CONF = cfg.CONF
CONF.register_opts(healer_opts)


def list_opts():
    return healer_opts


def heal_once():
    """Heal every expired lease now; returns what was healed."""
    try:
        return leases.image_lease_expire(None)
    except exception.ServiceUnavailable as e:
        LOG.warning('Could not check upload leases: %s', e)
    except Exception:
        LOG.exception('Could not check upload leases')
    return []


class LeaseHealer:
    """Runs :func:`heal_once` every ``interval`` seconds until stopped."""

    def __init__(self, interval=None):
        self.interval = interval or CONF.lease_check_interval
        self.stopped = threading.Event()
        self.thread = None

    def start(self):
        # A thread of the process: under the registry's eventlet patching
        # it is a green thread of the serving hub.
        self.thread = threading.Thread(target=self.run, daemon=True,
                                       name='lease-healer')
        self.thread.start()
        return self

    def run(self):
        while not self.stopped.wait(self.interval):
            heal_once()

    def stop(self):
        self.stopped.set()
