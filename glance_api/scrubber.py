"""glance-scrubber: removes the data of images deleted with
``delayed_delete``, or brings one back with ``--restore``.

A pass reads: list the deleted ``pending_delete`` images whose delete is
older than ``scrub_time`` -> for each, delete the data of every
``pending_delete`` location from its store and mark that location
``deleted`` -> mark the image ``deleted``. An image that fails stays
``pending_delete`` and is tried again by the next pass; the pass goes on
with the others. Like glance-api it reaches the registry through
:mod:`glance_registry.client` and the data through glance_store.

Run once (from cron) or with ``--daemon`` every ``wakeup_time`` seconds.
"""

import datetime
import sys
import time

from oslo_config import cfg
from oslo_log import log as logging

import glance_store
from glance_registry import client as registry_client
from glance_registry.common import config
from glance_registry.common import context as context_module
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

scrubber_opts = [
    cfg.IntOpt('scrub_time', default=0, min=0,
               help='Seconds a deleted image stays pending_delete (its '
                    'data restorable) before the scrubber removes its '
                    'data.'),
    cfg.IntOpt('wakeup_time', default=300, min=1,
               help='Seconds between two passes of the scrubber run with '
                    '--daemon.'),
    cfg.IntOpt('scrub_pool_size', default=1, min=1,
               help='Accepted for compatibility; images are scrubbed one '
                    'after the other.'),
]

cli_opts = [
    cfg.BoolOpt('daemon', short='D', default=False,
                help='Run forever, one pass every wakeup_time seconds. '
                     'Without it, run one pass and exit (for cron).'),
    cfg.StrOpt('restore', metavar='IMAGE_ID',
               help='Bring the pending_delete image IMAGE_ID back to active '
                    'and exit.'),
]

CONF.register_opts(scrubber_opts)

# The registry lists this many images per call.
PAGE_SIZE = 100


def list_opts():
    return scrubber_opts


def list_scrubber_opts():
    """Options of glance-scrubber for oslo-config-generator (setup.cfg's
    ``glance.scrubber`` entry point): its own, the registry client's and
    the delayed delete switch it serves."""
    from glance_api import images
    from glance_registry import client
    return [('DEFAULT', scrubber_opts + cli_opts + client.list_opts() +
             [o for o in images.image_opts if o.name == 'delayed_delete'])]


def isotime(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S.%f')


class Scrubber:
    """One registry client, one Stores, an administrator context."""

    def __init__(self, registry, stores, conf=CONF, context=None):
        self.registry = registry
        self.stores = stores
        self.scrub_time = conf.scrub_time
        self.context = context or context_module.get_admin_context(
            show_deleted=True)

    def pending_images(self, now=None):
        """Deleted pending_delete images whose delete is older than
        scrub_time, oldest first."""
        now = now or datetime.datetime.utcnow()
        before = now - datetime.timedelta(seconds=self.scrub_time)
        filters = {'deleted': True, 'status': 'pending_delete',
                   'updated_at': 'lte:%s' % isotime(before)}
        images, marker = [], None
        while True:
            page = self.registry.image_get_all(
                self.context, filters=filters, marker=marker,
                limit=PAGE_SIZE, sort_key=['updated_at'], sort_dir=['asc'])
            images.extend(page)
            if len(page) < PAGE_SIZE:
                return images
            marker = page[-1]['id']

    def run_once(self):
        """One pass; returns (scrubbed, failed) counts."""
        try:
            images = self.pending_images()
        except exception.GlanceException as e:
            LOG.error('Cannot list images to scrub: %s', e)
            return 0, 0
        scrubbed = failed = 0
        for image in images:
            try:
                self.scrub_image(image['id'])
                scrubbed += 1
            except Exception as e:
                failed += 1
                LOG.warning('Could not scrub image %s (it stays '
                            'pending_delete, retried next pass): %s',
                            image['id'], e)
        LOG.info('Scrubber pass: %d image(s) scrubbed, %d failed',
                 scrubbed, failed)
        return scrubbed, failed

    def scrub_image(self, image_id):
        """Delete the data of each pending_delete location, then mark the
        image deleted. A location whose data is gone already counts as
        done; data another image still records (``referenced_elsewhere``)
        is kept, and so is data outside the stores' own space. The answer
        holds until the location is marked deleted: a pending_delete
        location keeps its claim on the URL, so no image can take the URL
        in between."""
        locations = self.registry.image_location_find(
            self.context, image_id=image_id, status='pending_delete')
        for location in locations:
            try:
                if location.get('referenced_elsewhere'):
                    LOG.warning('Kept the data of image %s at location %s: '
                                'another image records it', image_id,
                                location['id'])
                elif not self.stores.manages(location['url']):
                    LOG.info('Kept the data of image %s at location %s: '
                             'it lies outside the stores', image_id,
                             location['id'])
                else:
                    self.stores.delete(location['url'])
            except store_exceptions.NotFound:
                LOG.info('Data of image %s at location %s was already '
                         'gone', image_id, location['id'])
            except store_exceptions.StoreDeleteNotSupported:
                LOG.info('Data of image %s is kept in a read-only store',
                         image_id)
            self.registry.image_location_set_status(
                self.context, image_id=image_id,
                location_id=location['id'], status='deleted')
        self.registry.image_mark_deleted(self.context, image_id=image_id)
        LOG.info('Scrubbed image %s', image_id)

    def restore(self, image_id):
        """pending_delete -> active, data and metadata kept."""
        return self.registry.image_restore(self.context, image_id=image_id)

    def run_forever(self, wakeup_time):
        while True:
            self.run_once()
            time.sleep(wakeup_time)


def main():
    CONF.register_cli_opts(cli_opts)
    glance_store.register_opts(CONF)
    try:
        config.parse_args(sys.argv[1:], prog='glance-scrubber')
        config.setup_logging('glance-scrubber')
    except RuntimeError as e:
        sys.exit('ERROR: %s' % e)
    registry = registry_client.RegistryClient(CONF)
    if CONF.restore:
        scrubber = Scrubber(registry, None, CONF)
        try:
            image = scrubber.restore(CONF.restore)
        except exception.GlanceException as e:
            sys.exit('Cannot restore image %s: %s' % (CONF.restore, e))
        print('Restored image %s (status %s)'
              % (image['id'], image['status']))
        return 0
    try:
        stores = glance_store.Stores(CONF)
    except store_exceptions.StoreError as e:
        sys.exit('ERROR: %s' % e)
    scrubber = Scrubber(registry, stores, CONF)
    if CONF.daemon:
        scrubber.run_forever(CONF.wakeup_time)
    else:
        scrubbed, failed = scrubber.run_once()
        return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
