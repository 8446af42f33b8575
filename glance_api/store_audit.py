"""glance-store-audit: compares the data the stores hold with the locations
the registry records.

It reports (a) orphans: data in a store's own space (its data
directories, container, bucket or pool) that no location in use records,
such as the file of an upload whose glance-api died between writing the
data and recording it; and (b) missing data: active locations of images
not deleted whose data is gone. With ``--delete-orphans`` it removes the
orphans older than ``--grace-period`` seconds, but never data of an image
that holds an upload lease or is ``saving``/``importing``, and never data
any location records, deleted images' ``pending_delete`` ones included
(the scrubber owns those).

It lives in glance_api, not in glance-manage: the registry owns the
database and glance-api the image data, so like glance-scrubber it reads
the registry through :mod:`glance_registry.client` and the data through
glance_store. The order of its reads keeps a finishing upload safe: the
stores are listed first, then the leases, then the locations (an upload
records its location in the same transaction that ends its lease).
"""

import json
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
from glance_store import location as store_location

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

cli_opts = [
    cfg.BoolOpt('delete-orphans', default=False,
                help='Delete the orphan data older than the grace period. '
                     'Without it, only report.'),
    cfg.IntOpt('grace-period', default=3600, min=0,
               help='Seconds orphan data must be older than (by its '
                    'modification time) before --delete-orphans removes '
                    'it.'),
    cfg.BoolOpt('json', default=False,
                help='Print the report as one JSON document.'),
]

# The registry lists this many locations per call.
PAGE_SIZE = 500
# Image statuses whose data is being written: their data is never an orphan.
WRITING_STATUSES = ('saving', 'importing')


class StoreAudit:
    """One registry client, one Stores, an administrator context."""

    def __init__(self, registry, stores, grace_period=3600, context=None):
        self.registry = registry
        self.stores = stores
        self.grace_period = grace_period
        self.context = context or context_module.get_admin_context(
            show_deleted=True)

    def recorded_locations(self):
        """Every location in use, page by page."""
        locations, marker = [], None
        while True:
            page = self.registry.image_location_get_all(
                self.context, marker=marker, limit=PAGE_SIZE)
            locations.extend(page)
            if len(page) < PAGE_SIZE:
                return locations
            marker = page[-1]['id']

    def leased_images(self):
        return {lease['image_id'] for lease in
                self.registry.image_lease_get_all(self.context)}

    def run(self, delete_orphans=False, now=None):
        """Audit every store; returns the report (a dict of lists)."""
        report = {'stores': [], 'orphans': [], 'missing': []}
        listed = {}
        for store in self.stores:
            if not store.writable:
                continue    # a read-only store (http) has no space of its own
            try:
                listed[store.name] = {obj.key: obj
                                      for obj in store.list_objects()}
            except store_exceptions.StoreError as e:
                # Not listable (StoreListNotSupported) or unreachable: its
                # orphans go unchecked, its locations are still checked.
                report['stores'].append({'store': store.name,
                                         'listed': False, 'objects': 0,
                                         'error': str(e)})
                continue
            report['stores'].append({'store': store.name, 'listed': True,
                                     'objects': len(listed[store.name])})
        leased = self.leased_images()
        locations = self.recorded_locations()
        now = time.time() if now is None else now
        recorded = {name: set() for name in listed}
        for location in locations:
            for store in self.stores:
                key = store.object_key(location['url'])
                if key is not None:
                    recorded.setdefault(store.name, set()).add(key)
                    self._check_present(store, key, location,
                                        listed.get(store.name), report)
                    break
        for store in self.stores:
            for key, obj in sorted(listed.get(store.name, {}).items()):
                if key not in recorded[store.name]:
                    report['orphans'].append(self._orphan(
                        store, obj, leased, now, delete_orphans))
        return report

    def _check_present(self, store, key, location, objects, report):
        """Report an active location of a live image whose data is gone.
        Data not in the listing is asked for once more: it may have been
        written after the listing."""
        if (location['status'] != 'active' or location['deleted']
                or location['image_deleted']):
            return
        if objects is not None and key in objects:
            return
        try:
            store.get_size(location['url'])
            return
        except store_exceptions.NotFound:
            pass
        except store_exceptions.StoreError as e:
            LOG.warning('Could not check the data of image %s at location '
                        '%s: %s', location['image_id'], location['id'], e)
            return
        report['missing'].append({
            'store': store.name, 'image_id': location['image_id'],
            'image_status': location['image_status'],
            'location_id': location['id'],
            'url': store_location.redact(location['url'])})

    def _orphan(self, store, obj, leased, now, delete):
        age = max(0, int(now - obj.modified_at))
        orphan = {'store': store.name, 'uri': obj.uri,
                  'image_id': obj.image_id, 'size': obj.size, 'age': age,
                  'action': 'reported'}
        kept = self._reason_to_keep(store, obj, leased, age)
        if kept:
            orphan['action'] = 'kept: %s' % kept
        elif delete:
            try:
                store.delete_object(obj.key)
                orphan['action'] = 'deleted'
            except store_exceptions.NotFound:
                orphan['action'] = 'gone already'
            except store_exceptions.StoreError as e:
                LOG.warning('Could not delete orphan %s: %s', obj.uri, e)
                orphan['action'] = 'delete failed: %s' % e
        return orphan

    def _reason_to_keep(self, store, obj, leased, age):
        """Why orphan data must stay, None when it may go."""
        if obj.image_id in leased:
            return 'its image holds an upload lease'
        if age < self.grace_period:
            return 'younger than the grace period'
        if obj.image_id is None:
            return None
        try:
            image = self.registry.image_get(self.context,
                                            image_id=obj.image_id,
                                            force_show_deleted=True)
        except exception.ImageNotFound:
            return None
        if image['status'] in WRITING_STATUSES and not image['deleted']:
            return 'its image is %s' % image['status']
        # A location the image recorded since the audit read them all.
        try:
            locations = self.registry.image_location_find(
                self.context, image_id=obj.image_id)
        except exception.ImageNotFound:
            return None
        for location in locations:
            if (location['status'] != 'deleted'
                    and store.object_key(location['url']) == obj.key):
                return 'its image records it now'
        return None


def format_report(report):
    lines = []
    for store in report['stores']:
        if store['listed']:
            lines.append('store %s: %d object(s) listed'
                         % (store['store'], store['objects']))
        else:
            lines.append('store %s: orphans not checked: %s'
                         % (store['store'], store['error']))
    for orphan in report['orphans']:
        lines.append('orphan %s (store %s, image %s, %d bytes, %d s old): %s'
                     % (orphan['uri'], orphan['store'],
                        orphan['image_id'] or '-', orphan['size'],
                        orphan['age'], orphan['action']))
    for missing in report['missing']:
        lines.append('missing data of image %s (%s) at location %s %s '
                     '(store %s)' % (missing['image_id'],
                                     missing['image_status'],
                                     missing['location_id'], missing['url'],
                                     missing['store']))
    deleted = sum(1 for o in report['orphans'] if o['action'] == 'deleted')
    lines.append('%d orphan(s), %d deleted, %d location(s) with missing data'
                 % (len(report['orphans']), deleted, len(report['missing'])))
    return '\n'.join(lines)


def main(argv=None):
    CONF.register_cli_opts(cli_opts)
    glance_store.register_opts(CONF)
    try:
        config.parse_args(sys.argv[1:] if argv is None else argv,
                          prog='glance-store-audit')
        config.setup_logging('glance-store-audit')
        stores = glance_store.Stores(CONF)
    except (RuntimeError, store_exceptions.StoreError) as e:
        sys.exit('ERROR: %s' % e)
    audit = StoreAudit(registry_client.RegistryClient(CONF), stores,
                       grace_period=CONF.grace_period)
    try:
        report = audit.run(delete_orphans=CONF.delete_orphans)
    except exception.GlanceException as e:
        sys.exit('ERROR: cannot read the registry: %s' % e)
    if CONF.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(format_report(report))
    left = [o for o in report['orphans'] if o['action'] != 'deleted']
    return 1 if left or report['missing'] else 0


if __name__ == '__main__':
    sys.exit(main())
