"""The registry's lease healer: a periodic task in every registry process.

Every ``lease_check_interval`` seconds it heals the upload leases that
expired (their glance-api died or hung; see ``glance_registry.db.leases``):
each image goes back to ``queued`` (v2) or ``killed`` (v1) by
compare-and-swap; it also fails the import tasks whose lease expired and
returns their images to their status before the import. Several registry
processes running the task at once heal each lease once. The registry
never touches a store: partial data of the file store never outlives its
writer (it is written anonymously and linked into place when complete),
and glance-api cleans what its own previous run left when it starts
(``glance_api.leases``).
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
                    'goes back to queued, or killed for v1) and import '
                    'task leases (the task fails, its image goes back to '
                    'its status before the import).'),
]

CONF = cfg.CONF
CONF.register_opts(healer_opts)


def list_opts():
    return healer_opts


def heal_once():
    """Heal every expired upload lease and import task lease now; returns
    what was healed."""
    healed = []
    for what, expire in (('upload leases', leases.image_lease_expire),
                         ('import task leases', leases.task_lease_expire)):
        try:
            healed.extend(expire(None))
        except exception.ServiceUnavailable as e:
            LOG.warning('Could not check %s: %s', what, e)
        except Exception:
            LOG.exception('Could not check %s', what)
    return healed


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
