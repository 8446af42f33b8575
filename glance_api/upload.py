"""Image data upload as named steps.

An upload reads: enforce policy -> check the chosen store -> unified
limits -> registry CAS queued->saving -> remaining quota -> store.add with
one reader (which also inspects the disk format) -> registry CAS
saving->active with the virtual size -> notify.
Any failure after the first CAS removes the partial data (the store does
that when the reader raises) and puts the image back to ``queued``. The
first CAS takes an upload lease (``glance_api.leases``), renewed while the
upload runs; a body that stalls for ``upload_lease_timeout`` fails with 408.
"""

import hashlib
import re
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from glance_api import images
from glance_api import inspection
from glance_api import leases
from glance_api import limits
from glance_api import reader as reader_module
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)

upload_opts = [
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1,
               max=9223372036854775808,
               help='Maximum size in bytes of the data of one image. '
                    'Uploads past it fail with 413 and keep no data. '
                    'The default is 1 TiB.'),
    cfg.StrOpt('user_storage_quota', default='0',
               help='Most image data one owner (project) may store, '
                    'summed over all its images and locations. A number '
                    'of bytes, optionally with a B, KB, MB, GB or TB '
                    'suffix (powers of 1024). 0 means unlimited.'),
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm of the multihash computed while '
                    'uploading (os_hash_algo / os_hash_value). The md5 '
                    '"checksum" is always computed as well.'),
]

# How long an activation that got no answer waits for the registry to say
# whether it recorded the data, retrying with back-off.
SETTLE_TIMEOUT = 3600
SETTLE_FIRST_DELAY = 0.5
SETTLE_MAX_DELAY = 30

_QUOTA_UNITS = {'': 1, 'B': 1, 'KB': 1024, 'MB': 1024 ** 2,
                'GB': 1024 ** 3, 'TB': 1024 ** 4}
_QUOTA_PATTERN = re.compile(r'^\s*(\d+)\s*(B|KB|MB|GB|TB)?\s*$')


def list_opts():
    return [(None, upload_opts)]


def parse_storage_quota(value):
    """Bytes of a user_storage_quota value such as '0', '500', '10GB'."""
    match = _QUOTA_PATTERN.match(str(value))
    if not match:
        raise ValueError('Invalid user_storage_quota %r: expected a number '
                         'of bytes with an optional B, KB, MB, GB or TB '
                         'suffix' % value)
    number, unit = match.groups()
    return int(number) * _QUOTA_UNITS[unit or '']


class Uploader:
    """Stores the data of one image per call to :meth:`upload`."""

    #: The status of an image while its data arrives.
    receiving_status = 'saving'
    #: Where a failed upload leaves the image.
    failed_status = 'queued'
    # The API version whose rules apply when the upload's lease expires
    # (v1: the image is killed; v2: it goes back to queued).
    api_version = 'v2'

    def __init__(self, registry, stores, conf=None, notifier=None):
        conf = conf if conf is not None else cfg.CONF
        conf.register_opts(upload_opts)
        conf.register_opts(leases.lease_opts)
        self.upload_lease_timeout = conf.upload_lease_timeout
        self.renew_as_service = leases.has_service_credentials(conf)
        self.registry = registry
        self.stores = stores
        if notifier is None:
            from glance_api import notifier as notifier_module
            notifier = notifier_module.get_notifier(conf)
        self.notifier = notifier
        self.image_size_cap = conf.image_size_cap
        self.user_storage_quota = parse_storage_quota(
            conf.user_storage_quota)
        self.hashing_algorithm = conf.hashing_algorithm
        self.format_rules = inspection.FormatRules(conf)
        self.limits = limits.Limits(registry, conf)
        from glance_api import policy
        self.policy = policy.get_enforcer(conf)
        # Fail at start-up, not on the first upload.
        hashlib.new(self.hashing_algorithm)

    def upload(self, context, image_id, body, content_length=None,
               store=None):
        """Stream ``body`` (``read(n)``) into ``store`` (a store id; None:
        the default store) as the data of ``image_id``;
        ``content_length`` is None for chunked transfer. Returns the
        active image."""
        image = self.registry.image_get(context, image_id=image_id)
        self.enforce_policy(context, image)
        images.check_can_modify(context, image)
        check_formats_set(image)
        self.check_declared_size(content_length)
        self.check_store(store)
        self.enforce_limits(context, image)
        lease = leases.Lease(self.registry, context, image_id,
                             self.api_version, self.upload_lease_timeout,
                             self.renew_as_service)
        saving = self.start_saving(context, image_id, lease)
        try:
            return self._upload_saving(context, image, saving, lease, body,
                                       content_length, store)
        finally:
            lease.stop()

    def _upload_saving(self, context, image, saving, lease, body,
                       content_length, store):
        image_id = image['id']
        self.notifier.image(context, 'image.prepare', saving)
        reader = None
        try:
            max_size, too_large = self.remaining_size(context, image,
                                                      content_length)
            body = leases.DeadlineReader(body, self.upload_lease_timeout,
                                         lease)
            reader = reader_module.ImageReader(
                body, hashing_algorithm=self.hashing_algorithm,
                expected_size=content_length, max_size=max_size,
                too_large=too_large,
                inspector=self.format_rules.inspector(image['disk_format']))
            result = self.write_data(image_id, reader, content_length,
                                     store)
        except BaseException as e:
            lease.stop()
            LOG.info('Upload of image %s failed after %d bytes: %s',
                     image_id, reader.size if reader is not None else 0, e)
            self.restore_queued(context, image_id, lease.holder)
            self.notifier.error(context, 'image.upload',
                                'Upload of image %s failed: %s'
                                % (image_id, e))
            raise
        finally:
            if reader is not None:
                reader.close()
        image = self.activate(context, image_id, reader, result,
                              lease_holder=lease.holder)
        if image.get('status') == self.receiving_status:
            # The data is all here but the image keeps its status (a
            # stage): no one holds it any more.
            lease.release()
        self.notify_upload(context, image)
        return image

    def enforce_limits(self, context, image):
        """Unified limits before data comes in (off without
        use_keystone_limits)."""
        self.limits.enforce_upload(context, image['owner'])

    def enforce_policy(self, context, image):
        """The upload_image policy rule."""
        self.policy.enforce(context, 'upload_image', image)

    def check_declared_size(self, content_length):
        """Refuse before reading a body whose Content-Length exceeds the
        cap."""
        if content_length is not None and \
                content_length > self.image_size_cap:
            raise exception.ImageSizeLimitExceeded(limit=self.image_size_cap)

    def check_store(self, store):
        """An unknown (400) or read-only (410) store is refused before the
        image changes state or a byte is read."""
        if store is None:
            return
        if not self.stores.get_store(store).writable:
            raise store_exceptions.StoreAddDisabled(store=store)

    def start_saving(self, context, image_id, lease):
        """queued -> saving (``receiving_status``) with the upload's
        lease; a second upload of the same image loses here with 409."""
        return lease.acquire(from_state='queued',
                             to_state=self.receiving_status)

    def remaining_size(self, context, image, content_length):
        """The most bytes this upload may write and the error past it:
        the smaller of image_size_cap and the owner's remaining quota."""
        cap = self.image_size_cap

        def cap_exceeded():
            return exception.ImageSizeLimitExceeded(limit=cap)

        if not self.user_storage_quota:
            return cap, cap_exceeded
        used = self.registry.user_get_storage_usage(
            context, owner_id=image['owner'], image_id=image['id'])
        remaining = max(0, self.user_storage_quota - used)

        def quota_exceeded():
            return exception.StorageQuotaFull(remaining=remaining)

        if remaining == 0 or (content_length is not None
                              and content_length > remaining):
            raise quota_exceeded()
        if remaining < cap:
            return remaining, quota_exceeded
        return cap, cap_exceeded

    def write_data(self, image_id, reader, content_length, store=None):
        """store.add with the one reader; the store removes partial data
        when the reader raises."""
        result = self.stores.add(image_id, reader, content_length or 0,
                                 store=store)
        try:
            reader.finish()
        except BaseException:
            self.delete_data(result.location)
            raise
        return result

    def activate(self, context, image_id, reader, result,
                 lease_holder=None):
        """saving -> active with size, virtual size, checksums and the
        location, if ``lease_holder`` still holds the upload's lease (an
        upload whose lease was healed must not activate the image with its
        stale data). If the image was deleted or taken by another upload
        meanwhile, the data just written is removed."""
        values = dict(measured_values(reader), status='active',
                      locations=[location_value(result)])
        try:
            return self.registry.image_update(
                context, image_id=image_id, values=values,
                from_state='saving', lease_holder=lease_holder)
        except (exception.ImageNotFound, exception.InvalidStatusTransition,
                exception.LeaseLost) as e:
            self.delete_data(result.location)
            current = self._get_or_none(context, image_id)
            gone = ('deleted', 'pending_delete')
            if current is None or current['status'] in gone:
                raise exception.ImageDeletedDuringUpload(image_id=image_id)
            LOG.warning('Image %s left saving while uploading (now %s): %s',
                        image_id, current['status'], e)
            raise
        except exception.RegistryNoAnswer:
            # The registry got the activation and may apply it yet: the
            # data stays until the registry says whether it records it.
            LOG.warning('Activation of image %s got no answer from the '
                        'registry; its data stays until the registry '
                        'answers', image_id)
            self.settle_in_background(context, image_id, result.location,
                                      lease_holder)
            raise
        except BaseException:
            # The update may have been applied before the error (a lost
            # answer): keep the data if the image does point at it.
            current = self._get_or_none(context, image_id)
            if current is not None and current['status'] == 'active' and \
                    any(loc['url'] == result.location
                        for loc in current.get('locations') or []):
                return current
            self.delete_data(result.location)
            self.restore_queued(context, image_id, lease_holder)
            raise

    def settle_in_background(self, context, image_id, location,
                             lease_holder):
        """Run :meth:`settle_activation` in a thread of its own (a green
        thread in glance-api)."""
        context = leases.renewal_context(context, self.renew_as_service)
        threading.Thread(target=self.settle_activation,
                         args=(context, image_id, location, lease_holder),
                         daemon=True,
                         name='settle-%s' % image_id).start()

    def settle_activation(self, context, image_id, location, lease_holder,
                          give_up_after=SETTLE_TIMEOUT):
        """After an activation got no answer: once the registry answers,
        keep the data at ``location`` if the image records it, else delete
        it. While the image is still ``saving`` under this upload's lease
        the activation may still be applied, so the image is first put
        back (a compare-and-swap on the status and the lease that loses to
        the activation); once the lease is gone, the activation can no
        longer be applied. Data left when the registry stays silent for
        ``give_up_after`` seconds is for ``glance-manage store_audit``."""
        give_up_at = time.monotonic() + give_up_after
        delay = SETTLE_FIRST_DELAY
        final = False
        while True:
            try:
                image = self.registry.image_get(context, image_id=image_id)
            except exception.ImageNotFound:
                image = None
            except Exception as e:
                if time.monotonic() > give_up_at:
                    LOG.error('Gave up settling the data of image %s at %s '
                              '(%s); the store audit will find it if it is '
                              'an orphan', image_id, location, e)
                    return
                time.sleep(delay)
                delay = min(delay * 2, SETTLE_MAX_DELAY)
                continue
            if image is not None and any(
                    loc['url'] == location
                    for loc in image.get('locations') or []):
                LOG.info('Image %s records its data after all', image_id)
                return
            if (final or image is None or
                    image['status'] != self.receiving_status):
                LOG.info('Image %s does not record the data of its '
                         'unanswered activation: deleting it', image_id)
                self.delete_data(location)
                return
            try:
                self.registry.image_update(
                    context, image_id=image_id,
                    values={'status': self.failed_status},
                    from_state=self.receiving_status,
                    lease_holder=lease_holder)
            except (exception.ImageNotFound,
                    exception.InvalidStatusTransition,
                    exception.LeaseLost):
                final = True
            except Exception as e:
                LOG.warning('Could not put image %s back after its '
                            'unanswered activation: %s', image_id, e)
                time.sleep(delay)
                delay = min(delay * 2, SETTLE_MAX_DELAY)
            else:
                # The lease went with the status: the activation can no
                # longer be applied. Delete at once, before a new upload
                # of the image meets the old data.
                LOG.info('Image %s put back to %s after its unanswered '
                         'activation: deleting its data', image_id,
                         self.failed_status)
                self.delete_data(location)
                return

    def notify_upload(self, context, image):
        """image.upload (the data is stored), then image.activate."""
        self.notifier.image(context, 'image.upload', image)
        self.notifier.image(context, 'image.activate', image)

    def restore_queued(self, context, image_id, lease_holder=None):
        """saving -> ``failed_status`` (queued; killed in v1) after a failed
        upload; nothing to do if the image was deleted or moved on
        meanwhile. A registry that is down leaves it to the lease. With
        ``lease_holder`` (the failed upload's), only while that upload
        still holds the image: once its lease was healed the image may be
        another upload's, which a late failure must not flip."""
        try:
            self.registry.image_update(
                context, image_id=image_id,
                values={'status': self.failed_status},
                from_state=self.receiving_status, lease_holder=lease_holder)
        except (exception.ImageNotFound, exception.InvalidStatusTransition,
                exception.LeaseLost):
            pass
        except exception.ServiceUnavailable as e:
            LOG.warning('Could not put image %s back to %s: %s', image_id,
                        self.failed_status, e)
        except Exception:
            LOG.exception('Could not put image %s back to %s', image_id,
                          self.failed_status)

    def delete_data(self, location):
        try:
            self.stores.delete(location)
        except Exception:
            LOG.exception('Could not delete uploaded data at %s', location)

    def _get_or_none(self, context, image_id):
        try:
            return self.registry.image_get(context, image_id=image_id)
        except exception.ImageNotFound:
            return None
        except exception.ServiceUnavailable as e:
            LOG.warning('Could not read image %s: %s', image_id, e)
            return None
        except Exception:
            LOG.exception('Could not read image %s', image_id)
            return None


def measured_values(reader):
    """The image attributes a finished reader measured."""
    return {'size': reader.size, 'virtual_size': reader.virtual_size,
            'checksum': reader.checksum, 'os_hash_algo': reader.os_hash_algo,
            'os_hash_value': reader.os_hash_value}


def location_value(result):
    """The active location of a store's AddResult."""
    return {'url': result.location, 'metadata': result.metadata or {},
            'status': 'active'}


def check_formats_set(image):
    missing = [name for name in ('disk_format', 'container_format')
               if not image.get(name)]
    if missing:
        raise exception.Invalid(
            reason='%s must be set before uploading image data'
                   % ' and '.join(missing))
