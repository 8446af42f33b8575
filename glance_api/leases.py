"""glance-api's side of upload leases (see ``glance_registry.db.leases``).

An upload takes a lease with its queued -> saving compare-and-swap, keeps
it renewed every ``upload_lease_timeout / 3`` seconds while it runs, and
reads its body with a deadline of ``upload_lease_timeout`` per read, so an
upload whose client stopped sending fails with 408 on its own and the image
is released at once. If this process dies, its leases stop being renewed
and the registry heals the images when they expire; when glance-api starts
again it releases at once what its previous run held on this host and
port.

A holder is ``host:port/generation/pid``: the generation (the pid and start
time of the process that loaded the app, the parent of any workers) tells
this run's leases from those of a previous one.
"""

import copy
import os
import socket
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from glance_registry import client_auth
from glance_registry.common import context as context_module
from glance_registry.common import exception
from glance_registry.common import wsgi

LOG = logging.getLogger(__name__)

lease_opts = [
    cfg.IntOpt('upload_lease_timeout', default=300, min=3,
               help='Seconds an upload holds its image in saving without '
                    'renewal. The upload renews its lease every third of '
                    'this while it runs; an upload that receives no data '
                    'for this long fails with 408; an image whose '
                    'glance-api died mid-upload goes back to queued (v2) '
                    'or killed (v1) when the lease expires.'),
]

CONF = cfg.CONF
CONF.register_opts(lease_opts)

DEFAULT_PORT = 9292


def _new_generation():
    return '%d-%d' % (os.getpid(), int(time.time() * 1000))


# glance-api's main() sets it again before forking workers, which share it.
GENERATION = _new_generation()


def start_generation():
    """A new generation of holders: this process and those it forks."""
    global GENERATION
    GENERATION = _new_generation()


def list_opts():
    return lease_opts


def holder_prefix():
    """What every holder of this glance-api service starts with."""
    return '%s:%s/' % (socket.gethostname(), CONF.bind_port or DEFAULT_PORT)


def generation_prefix():
    """What every holder of this run of glance-api starts with."""
    return '%s%s/' % (holder_prefix(), GENERATION)


def holder():
    """The holder id of this process."""
    return '%s%d' % (generation_prefix(), os.getpid())


def has_service_credentials(conf):
    """Whether glance-api has its own credentials for the registry."""
    conf.register_opts(client_auth.auth_opts)
    return client_auth.ServiceCredentials(conf).configured()


def renewal_context(context, as_service):
    """The context lease renewals are sent with: glance-api's own service
    credentials when it has them (``as_service``; the user's token may
    expire during a long upload), else the user's."""
    if as_service:
        renewal = copy.copy(context)
        renewal.auth_token = None
        return renewal
    return context


class Lease:
    """The lease of one upload: acquired by :meth:`acquire`, renewed by a
    thread of this process until :meth:`stop`."""

    def __init__(self, registry, context, image_id, api_version, timeout,
                 renew_as_service=False):
        self.registry = registry
        self.context = context
        self.image_id = image_id
        self.api_version = api_version
        self.timeout = timeout
        self.holder = holder()
        self.renewal_context = renewal_context(context, renew_as_service)
        self.stopped = threading.Event()
        self.lost = None
        self.thread = None

    def acquire(self, from_state='queued', to_state='saving'):
        """``from_state`` -> ``to_state`` with this lease; returns the
        image. A second upload of the image loses here with 409."""
        image = self.registry.image_lease_acquire(
            self.context, image_id=self.image_id, holder=self.holder,
            api_version=self.api_version, duration=self.timeout,
            from_state=from_state, to_state=to_state)
        # A thread of the process: a green thread under glance-api's
        # eventlet patching.
        self.thread = threading.Thread(target=self._renew_until_stopped,
                                       daemon=True,
                                       name='lease-%s' % self.image_id)
        self.thread.start()
        return image

    def _renew_until_stopped(self):
        while not self.stopped.wait(self.timeout / 3.0):
            try:
                self.registry.image_lease_renew(
                    self.renewal_context, image_id=self.image_id,
                    holder=self.holder, duration=self.timeout)
            except exception.LeaseLost as e:
                LOG.warning('Upload of image %s lost its lease: %s',
                            self.image_id, e)
                self.lost = e
                return
            except Exception as e:
                # The registry may be back before the lease runs out.
                LOG.warning('Could not renew the lease of image %s: %s',
                            self.image_id, e)

    def check(self):
        """Raise LeaseLost when the registry gave the image up."""
        if self.lost is not None:
            raise exception.LeaseLost(image_id=self.image_id,
                                      status='saving')

    def stop(self):
        self.stopped.set()

    def release(self):
        """Stop renewing and end the lease while the image keeps its
        status (a finished stage)."""
        self.stop()
        self.registry.image_lease_release(self.context,
                                          image_id=self.image_id,
                                          holder=self.holder)


class DeadlineReader:
    """``read(n)`` of ``source`` (a request's ``wsgi.input``) where a wait
    of more than ``seconds`` for data fails the upload with 408: a client
    that stops sending releases the image at once. The answer says
    ``Connection: close``: the rest of the body is never read."""

    def __init__(self, source, seconds, lease=None):
        self.source = source
        self.seconds = seconds
        self.lease = lease

    def __getattr__(self, name):
        # What else the reader asks of wsgi.input (set_max_length of a
        # chunked body).
        return getattr(self.source, name)

    def read(self, size=-1):
        if self.lease is not None:
            self.lease.check()
        try:
            with wsgi.read_timeout(self.source, self.seconds):
                return self.source.read(size)
        except socket.timeout:
            raise exception.UploadTimeout(
                seconds=self.seconds,
                headers={'Connection': 'close'}) from None


def release_previous(registry_factory):
    """Release what previous runs of this glance-api (same host and port)
    still hold: their images go back to queued (v2) or killed (v1), and
    their import tasks fail, now, not when the leases expire. Partial
    data: the file store keeps none of an upload that never finished."""
    registry = registry_factory()
    healed = []
    try:
        for what, expire in (('upload leases', registry.image_lease_expire),
                             ('import tasks', registry.task_lease_expire)):
            try:
                healed.extend(expire(context_module.get_admin_context(),
                                     holder_prefix=holder_prefix(),
                                     keep_prefix=generation_prefix()))
            except Exception as e:
                LOG.warning('Could not release the %s of a previous run: '
                            '%s; the registry heals them when they expire',
                            what, e)
    finally:
        registry.close()
    for lease in healed:
        LOG.warning('Released image %s, held by a previous run (%s): now %s',
                    lease['image_id'], lease['holder'],
                    lease['image_status'] or 'unchanged')
    return healed
