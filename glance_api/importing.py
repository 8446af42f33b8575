"""Interoperable image import: stage, then import with glance-direct,
web-download or copy-image, as named steps.

Stage (PUT /v2/images/{image_id}/stage) is an upload into the staging area:
queued -> uploading, the data capped, hashed and format-inspected by the one
reader on the way, and the image records the worker holding the data.

Import (POST /v2/images/{image_id}/import) checks the request and the image,
records a task, takes the image (``importing``, or a lock on an active image
for copy-image) and answers 202; a background job then runs the steps:
fetch into staging (web-download) -> write to each store through the one
reader (inspecting again) -> record locations and activate -> clean the
staging area. A failed step removes what earlier steps wrote and leaves the
image ``queued`` (active, for copy-image) with ``os_glance_failed_import``
naming the stores that failed.
"""

import json
import os
import threading

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import uuidutils

from glance_api import import_plugins
from glance_api import images
from glance_api import reader as reader_module
from glance_api import staging as staging_module
from glance_api import tasks as task_module
from glance_api import upload
from glance_api import url_filter as url_filter_module
from glance_registry.common import exception
from glance_store._drivers import http as http_driver
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

METHODS = ('glance-direct', 'web-download', 'copy-image', 'glance-download')

import_opts = [
    cfg.ListOpt('enabled_import_methods', default=list(METHODS[:3]),
                item_type=cfg.types.String(choices=METHODS),
                help='Import methods this cloud offers (GET '
                     '/v2/info/import lists them; POST '
                     '/v2/images/{image_id}/import refuses the others).'),
]

download_opts = [
    cfg.ListOpt('extra_properties',
                default=['hw_', 'trait:', 'os_distro', 'os_secure_boot',
                         'os_type'],
                help='Properties of the source image glance-download '
                     'copies besides disk_format, container_format, '
                     'min_ram and min_disk: a name, or a prefix ending in '
                     '_ or :.'),
]
DOWNLOAD_ATTRIBUTES = ('disk_format', 'container_format', 'min_ram',
                       'min_disk')
# Base attributes of an Image API v2 image (not custom properties).
V2_ATTRIBUTES = frozenset((
    'id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
    'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
    'virtual_size', 'container_format', 'disk_format', 'min_ram',
    'min_disk', 'created_at', 'updated_at', 'tags', 'self', 'file',
    'schema', 'locations', 'direct_url', 'stores'))
MAX_METADATA = 1024 * 1024

IMPORT_TASK = 'os_glance_import_task'
IMPORTING_TO = 'os_glance_importing_to_stores'
FAILED_IMPORT = 'os_glance_failed_import'
STAGE_HOST = staging_module.STAGE_HOST
READ_CHUNK = 1024 * 1024


def list_opts():
    return [(None, import_opts), ('glance_download_properties',
                                  download_opts)]


class Stager(upload.Uploader):
    """PUT /v2/images/{image_id}/stage: the upload steps of
    :class:`glance_api.upload.Uploader`, into the staging area, between
    ``queued`` and ``uploading`` (staging twice loses with 409)."""

    receiving_status = 'uploading'

    def __init__(self, registry, conf=CONF, staging=None, notifier=None):
        staging = staging or staging_module.StagingArea(conf)
        # The staging area stands in for the stores: the data goes there.
        super().__init__(registry, staging, conf, notifier=notifier)
        self.staging = staging

    def stage(self, context, image_id, body, content_length=None):
        return self.upload(context, image_id, body, content_length)

    def enforce_limits(self, context, image):
        """Unified limits of staging: image_stage_total, not
        image_size_total."""
        self.limits.enforce_stage(context, image['owner'])

    def activate(self, context, image_id, reader, result,
                 lease_holder=None):
        """Record what was staged (size, checksums, virtual size) and the
        worker holding it; the image stays ``uploading``."""
        values = upload.measured_values(reader)
        if self.staging.self_url:
            values['properties'] = {STAGE_HOST: self.staging.self_url}
        try:
            return self.registry.image_update(
                context, image_id=image_id, values=values,
                from_state='uploading', lease_holder=lease_holder)
        except BaseException:
            self.delete_data(result.location)
            self.restore_queued(context, image_id, lease_holder)
            raise

    def notify_upload(self, context, image):
        """Nothing is stored yet: the import sends the image events."""


class ImportRequest:
    """What an import call asks: the method and its arguments, the target
    stores and whether every store must succeed."""

    def __init__(self, method, stores, all_stores_must_succeed=True,
                 uri=None, body=None):
        #: glance-download: the source image's URL (its data is at
        #: ``.../file``) and the token to read it with; or why the source
        #: cannot be found (the task fails with it).
        self.source_image_url = None
        self.source_error = None
        self.token = None
        self.method = method
        self.stores = stores
        self.all_stores_must_succeed = all_stores_must_succeed
        self.uri = uri
        self.body = body or {}


class ImportService:
    """Starts imports (checks, task, image taken) and runs them in the
    background (:class:`ImportJob`)."""

    def __init__(self, registry, stores, conf=CONF, staging=None,
                 url_filter=None, notifier=None, policy=None):
        conf.register_opts(import_opts)
        conf.register_opts(download_opts, group='glance_download_properties')
        self.download_properties = tuple(
            conf.glance_download_properties.extra_properties)
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.enabled_methods = list(conf.enabled_import_methods)
        self.staging = staging or staging_module.StagingArea(conf)
        self.url_filter = url_filter or url_filter_module.URLFilter(conf)
        self.uploader = upload.Uploader(registry, stores, conf,
                                        notifier=notifier)
        self.notifier = self.uploader.notifier
        self.policy = policy or self.uploader.policy
        self.tasks = task_module.TaskService(registry, conf, self.policy,
                                             self_url=self.staging.self_url,
                                             notifier=self.notifier)
        self.web = http_driver.Store(conf, name='web-download',
                                     url_filter=self.url_filter)
        self.plugins = import_plugins.load(conf)

    # -- the request ---------------------------------------------------------

    def check_method(self, name):
        if name not in self.enabled_methods:
            raise exception.InvalidRequest(
                reason='import method %r is not offered here; the methods '
                       'are %s' % (name, ', '.join(self.enabled_methods)))

    def choose_stores(self, image, method, stores, all_stores,
                      store_header):
        """The target store ids: ``stores``, every writable store
        (``all_stores``), the ``X-Image-Meta-Store`` header or the
        default store. An unknown or read-only store is 409 (as upstream).
        copy-image skips the stores that already hold the image."""
        if stores is not None and all_stores:
            raise exception.InvalidRequest(
                reason='give either stores or all_stores, not both')
        if all_stores:
            chosen = [s.name for s in self.stores if s.writable]
        elif stores is not None:
            chosen = list(dict.fromkeys(stores))
        elif store_header:
            chosen = [store_header]
        elif method == 'copy-image':
            raise exception.InvalidRequest(
                reason='copy-image needs stores or all_stores')
        else:
            chosen = [self.stores.default.name]
        for name in chosen:
            try:
                store = self.stores.get_store(name)
            except store_exceptions.StoreError:
                raise exception.Conflict('Store %s is not enabled.' % name)
            if not store.writable:
                raise exception.Conflict('Store %s is read-only.' % name)
        if method == 'copy-image':
            holding = set(self.stores_of(image))
            chosen = [name for name in chosen if name not in holding]
            if not chosen and not all_stores:
                raise exception.Conflict(
                    'Image %s is already in every store asked for.'
                    % image['id'])
        return chosen

    def stores_of(self, image):
        return [(loc.get('metadata') or {}).get('store') or
                self.stores.store_of(loc['url'])
                for loc in image.get('locations') or []
                if loc.get('status', 'active') == 'active']

    def get_image(self, context, image_id):
        images.check_valid_id(image_id)
        image = self.registry.image_get(context, image_id=image_id)
        self.policy.enforce(context, 'get_image', image)
        return self.release_if_abandoned(context, image)

    def start(self, context, image_id, request, stores=None,
              all_stores=False, store_header=None,
              task_type=task_module.IMPORT_TASK_TYPE, task_input=None):
        """Check, record the task, take the image, start the job; returns
        the task and the job."""
        self.check_method(request.method)
        image = self.get_image(context, image_id)
        if request.method == 'copy-image':
            self.policy.enforce(context, 'copy_image', image)
        else:
            self.policy.enforce(context, 'modify_image', image)
            images.check_can_modify(context, image)
        if request.method != 'glance-download':
            # (glance-download copies the source image's formats.)
            upload.check_formats_set(image)
        self.check_state(image, request)
        # Unified limits: the stores are written to as by an upload.
        self.uploader.limits.enforce_import(context, image['owner'])
        if request.method == 'web-download':
            self.check_uri(request.uri)
        if request.method == 'glance-download':
            self.find_source_image(context, request)
        request.stores = self.choose_stores(image, request.method, stores,
                                            all_stores, store_header)
        task = self.tasks.create(context, task_type, task_input or {
            'image_id': image_id, 'import_req': request.body,
            'backend': request.stores}, image_id=image_id)
        try:
            image = self.take_image(context, image, task, request)
        except Exception as e:
            self.tasks.fail(context, task['id'], str(e))
            raise
        self.notifier.image(context, 'image.import.start', image)
        job = ImportJob(self, context, image, task, request)
        thread = threading.Thread(target=job.run, daemon=True,
                                  name='import-%s' % image_id)
        thread.start()
        return task, job

    def check_legacy_task(self, context, task_type, task_input):
        """POST /v2/tasks: only the ``import`` type, where policy allows
        (administrators by default), with an ``import_from`` URL the filter
        lets through; returns the image attributes to create."""
        self.policy.enforce(context, 'tasks_api_access')
        self.policy.enforce(context, 'add_task')
        if task_type != 'import':
            raise exception.InvalidParameterValue(
                value=task_type, param='type', extra='the only task type '
                                                     'is import')
        if not isinstance(task_input, dict):
            raise exception.InvalidRequest(reason='input must be an object')
        properties = task_input.get('image_properties') or {}
        if not isinstance(properties, dict):
            raise exception.InvalidRequest(
                reason='input.image_properties must be an object')
        upload.check_formats_set(properties)
        self.check_method('web-download')
        self.check_uri(task_input.get('import_from'))
        return properties

    def check_state(self, image, request):
        wanted = {'glance-direct': 'uploading', 'web-download': 'queued',
                  'glance-download': 'queued',
                  'copy-image': 'active'}[request.method]
        if image['status'] != wanted:
            raise exception.Conflict(
                'Image %s is %s; %s needs it %s.'
                % (image['id'], image['status'], request.method, wanted))
        task_id = (image.get('properties') or {}).get(IMPORT_TASK)
        if request.method == 'copy-image' and task_id:
            raise exception.Conflict(
                'Image %s is being imported by task %s.'
                % (image['id'], task_id))
        if request.method == 'glance-direct' and \
                self.staging.stage_host(image) is None and \
                not self.staged_here(image):
            raise exception.Conflict(
                'The staged data of image %s is not on this host.'
                % image['id'])

    def staged_here(self, image):
        try:
            self.staging.store.get_size(self.staging.location(image['id']))
            return True
        except store_exceptions.StoreError:
            return False

    def find_source_image(self, context, request):
        """glance-download: the URL of the source image in the Image API
        of ``glance_region`` (Keystone's catalog, the interface asked for,
        public by default), checked by the URL filter. As upstream, only
        the arguments are refused here (400); a region or interface the
        catalog lacks fails the task, as an unreachable source would."""
        method = request.body['method']
        image_id = method.get('glance_image_id')
        region = method.get('glance_region')
        interface = method.get('glance_service_interface') or 'public'
        if not isinstance(image_id, str) or not image_id:
            raise exception.InvalidRequest(
                reason='glance-download needs method.glance_image_id')
        if not uuidutils.is_uuid_like(image_id):
            raise exception.InvalidRequest(
                reason='the remote image id does not look like a UUID: %s'
                       % image_id)
        if not isinstance(region, str) or not region:
            raise exception.InvalidRequest(
                reason='glance-download needs method.glance_region')
        request.token = getattr(context, 'auth_token', None)
        endpoint = catalog_endpoint(getattr(context, 'service_catalog', None),
                                    'image', region, interface)
        if endpoint is None:
            request.source_error = (
                'no %s Image API endpoint of region %s in the service '
                'catalog' % (interface, region))
            return
        request.source_image_url = '%s/v2/images/%s' % (
            endpoint.rstrip('/'), image_id)
        self.url_filter.check(request.source_image_url)

    def check_uri(self, uri):
        if not isinstance(uri, str) or not uri:
            raise exception.InvalidRequest(
                reason='web-download needs method.uri, the URL of the data')
        self.url_filter.check(uri)

    def take_image(self, context, image, task, request):
        """The image held by the task: its status (importing, unless it is
        a copy) and the import properties, in one compare-and-swap on the
        status and on the lock property being absent, so of two imports
        racing for one image exactly one wins (the other is 409)."""
        values = {'properties': {IMPORT_TASK: task['id'],
                                 IMPORTING_TO: ','.join(request.stores),
                                 FAILED_IMPORT: ''}}
        if request.method != 'copy-image':
            values['status'] = 'importing'
        try:
            return self.registry.image_update(
                context, image_id=image['id'], values=values,
                from_state=image['status'],
                expected_properties={IMPORT_TASK: None})
        except exception.PropertyConflict:
            raise exception.Conflict(
                'Image %s is being imported by another task.' % image['id'])

    # -- abandoned imports ---------------------------------------------------

    def release_if_abandoned(self, context, image):
        """An image held by a task whose holder stopped renewing is
        released (back to queued, or the copy lock dropped) and its task
        failed; other images are returned unchanged."""
        task_id = (image.get('properties') or {}).get(IMPORT_TASK)
        if not task_id:
            return image
        try:
            task = self.registry.task_get(context, task_id=task_id)
        except exception.NotFound:
            task = None
        if task is not None:
            if self.tasks.abandoned(task):
                self.tasks.fail_if_abandoned(context, task)
            elif task['status'] in ('pending', 'processing'):
                return image
        LOG.warning('Releasing image %s from finished or abandoned import '
                    'task %s', image['id'], task_id)
        values = {}
        if image['status'] == 'importing':
            values.update(status='queued', size=None, virtual_size=None,
                          checksum=None, os_hash_algo=None,
                          os_hash_value=None)
            self.staging.discard(image['id'])
        try:
            return release(self.registry, context, image, values,
                           failed=(image.get('properties') or {}).get(
                               IMPORTING_TO, ''))
        except (exception.InvalidStatusTransition, exception.NotFound,
                exception.LeaseLost):
            return self.registry.image_get(context, image_id=image['id'])


def catalog_endpoint(catalog, service_type, region, interface):
    """The URL of ``service_type`` in ``region`` for ``interface`` in a
    service catalog (list of services), None if absent. Both shapes are
    read: Keystone v3's (one endpoint per interface, ``interface`` and
    ``url``) and the one keystonemiddleware's X-Service-Catalog carries
    (one entry per region with ``publicURL``, ``internalURL``,
    ``adminURL``)."""
    for service in catalog or []:
        if not isinstance(service, dict) or \
                service.get('type') != service_type:
            continue
        for endpoint in service.get('endpoints') or []:
            if not isinstance(endpoint, dict) or region not in (
                    endpoint.get('region'), endpoint.get('region_id')):
                continue
            if endpoint.get('interface') == interface:
                return endpoint.get('url')
            if endpoint.get(interface + 'URL'):
                return endpoint[interface + 'URL']
    return None


def release(registry, context, image, values, failed=None, drop=(),
            properties=None, task_id=None):
    """Drop the import lock of task ``task_id`` (by default the one
    ``image`` records) and the properties in ``drop``, with ``values`` and
    ``properties``. One registry call: a compare-and-swap on the lock (and
    on ``image``'s status when ``values`` changes it) that deletes only the
    properties it drops, so a PATCH made meanwhile is kept. LeaseLost (409)
    when that task no longer holds the image (the registry releases the
    image of a task whose lease expired)."""
    if task_id is None:
        task_id = (image.get('properties') or {}).get(IMPORT_TASK)
    properties = dict(properties or {}, **{IMPORTING_TO: ''})
    if failed is not None:
        properties[FAILED_IMPORT] = failed
    try:
        return registry.image_update(
            context, image_id=image['id'],
            values=dict(values, properties=properties),
            from_state=image['status'] if 'status' in values else None,
            expected_properties={IMPORT_TASK: task_id},
            remove_properties=[IMPORT_TASK] + [
                name for name in drop if name not in properties])
    except exception.PropertyConflict:
        raise exception.LeaseLost(image_id=image['id'], status='importing')


class Heartbeat(task_module.Heartbeat):
    """The import's heartbeat: ``check`` stops an import whose task the
    registry failed."""

    def check(self):
        """ImportFailed once the registry failed the task."""
        if self.lost:
            raise ImportFailed(reason='task %s lost its lease and was '
                                      'failed' % self.task_id)


class ImportFailed(exception.GlanceException):
    code = 'import_failed'
    http_status = 500
    message = '%(reason)s'


class ImportJob:
    """One import, run once in the background: the steps in :meth:`run`."""

    def __init__(self, service, context, image, task, request):
        self.service = service
        self.registry = service.registry
        self.stores = service.stores
        self.staging = service.staging
        self.context = context
        self.image = image
        self.image_id = image['id']
        self.task = task
        self.request = request
        self.written = []      # (store id, AddResult, reader)
        self.failed = []
        self.staged = False
        #: The registry released the image (the task's lease expired).
        self.released_elsewhere = False
        self.plugin_values = {}
        self.plugin_properties = {}
        self.done = threading.Event()

    def run(self):
        heartbeat = Heartbeat(self.service.tasks, self.context,
                              self.task['id'])
        try:
            self.service.tasks.start(self.context, self.task['id'])
            heartbeat.start()
            self.fetch()
            self.run_plugins(heartbeat)
            self.write_to_stores(heartbeat)
            image = self.activate()
            self.notify_success(image)
            self.service.tasks.finish(
                self.context, self.task['id'],
                result={'image_id': self.image_id},
                message=self.summary())
        except BaseException as e:
            LOG.warning('Import of image %s (task %s) failed: %s',
                        self.image_id, self.task['id'], e)
            self.roll_back()
            self.service.tasks.fail(self.context, self.task['id'],
                                    str(e) or e.__class__.__name__)
            self.service.notifier.error(
                self.context, 'image.import.error',
                'Import of image %s failed: %s' % (self.image_id, e))
        finally:
            heartbeat.stop()
            self.clean_staging()
            self.done.set()

    def summary(self):
        text = 'Imported to %s' % ', '.join(s for s, _, _ in self.written)
        if self.failed:
            text += '; failed: %s' % ', '.join(self.failed)
        return text

    # -- the steps -----------------------------------------------------------

    def fetch(self):
        """web-download: the data from the URL into staging, through the
        one reader (cap, hashes, format inspection)."""
        headers = {}
        if self.request.method == 'glance-download':
            if self.request.source_error:
                raise ImportFailed(reason=self.request.source_error)
            headers = {'X-Auth-Token': self.request.token or ''}
            self.read_source_metadata(headers)
            url = self.request.source_image_url + '/file'
        elif self.request.method == 'web-download':
            url = self.request.uri
        else:
            return
        iterator, size = self.service.web.get(url, chunk_size=READ_CHUNK,
                                              headers=headers)
        body = reader_module.IteratorReader(iterator)
        reader = self.reader(body, size or None)
        try:
            self.staging.add(self.image_id, reader)
            self.staged = True
            reader.finish()
            self.image = dict(self.image, checksum=reader.checksum)
        finally:
            reader.close()
            body.close()

    def read_source_metadata(self, headers):
        """glance-download: the source image must be active; its formats,
        minimums and the properties of ``extra_properties`` come along."""
        iterator, _ = self.service.web.get(self.request.source_image_url,
                                           headers=headers)
        body = b''
        try:
            for chunk in iterator:
                body += chunk
                if len(body) > MAX_METADATA:
                    raise ImportFailed(reason='the source image record is '
                                              'too large')
        finally:
            iterator.close()
        try:
            source = json.loads(body)
        except ValueError:
            raise ImportFailed(reason='the source Image API answered no '
                                      'JSON')
        if not isinstance(source, dict) or source.get('status') != 'active':
            raise ImportFailed(reason='the source image is not active')
        changes = {name: source[name] for name in DOWNLOAD_ATTRIBUTES
                   if source.get(name) is not None}
        self.plugin_values.update(changes)
        self.plugin_properties.update({
            name: value for name, value in source.items()
            if name not in V2_ATTRIBUTES and isinstance(value, str) and
            not name.startswith('os_glance') and
            any(name == wanted or (wanted.endswith(('_', ':')) and
                                   name.startswith(wanted))
                for wanted in self.service.download_properties)})
        self.image = dict(self.image, **changes)

    def run_plugins(self, heartbeat):
        """The configured plugins on the staged data (not for copies,
        whose data is already the image's)."""
        if self.request.method == 'copy-image':
            return
        for plugin in self.service.plugins:
            heartbeat.message = 'Running %s' % plugin.name
            before = self.staged_file_identity()
            changes = dict(plugin(self))
            self.plugin_properties.update(changes.pop('properties', {}))
            self.plugin_values.update(changes)
            self.image = dict(self.image, **changes)
            if self.staged_file_identity() != before:
                # New data: the stores' writes measure it afresh.
                self.image['checksum'] = None

    def staged_file_identity(self):
        stat = os.stat(self.staging.path(self.image_id))
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def reader(self, body, size):
        uploader = self.service.uploader
        max_size, too_large = uploader.remaining_size(self.context,
                                                      self.image, size)
        return reader_module.ImageReader(
            body, hashing_algorithm=uploader.hashing_algorithm,
            expected_size=size, max_size=max_size, too_large=too_large,
            inspector=uploader.format_rules.inspector(
                self.image['disk_format']))

    def open_source(self):
        """(iterator, size) of the data to write: the staged data, or for
        copy-image the image's first active location."""
        if self.request.method == 'copy-image':
            for location in self.image.get('locations') or []:
                if location.get('status', 'active') == 'active':
                    return self.stores.get(location['url'],
                                           chunk_size=READ_CHUNK)
            raise ImportFailed(reason='image %s has no data to copy'
                               % self.image_id)
        return self.staging.open(self.image_id, chunk_size=READ_CHUNK)

    def write_to_stores(self, heartbeat):
        for store in self.request.stores:
            heartbeat.check()
            heartbeat.message = 'Importing to %s' % store
            try:
                self.write_to_store(store)
            except Exception as e:
                LOG.warning('Import of image %s to store %s failed: %s',
                            self.image_id, store, e)
                self.failed.append(store)
                self.record_progress()
                if self.request.all_stores_must_succeed:
                    raise ImportFailed(
                        reason='import to store %s failed: %s' % (store, e))
        if not self.written and self.request.stores:
            raise ImportFailed(reason='import failed in every store (%s)'
                               % ', '.join(self.failed))

    def write_to_store(self, store):
        iterator, size = self.open_source()
        body = reader_module.IteratorReader(iterator)
        reader = self.reader(body, size or None)
        result = None
        try:
            result = self.stores.add(self.image_id, reader, size or 0,
                                     store=store)
            reader.finish()
            self.check_same_data(reader)
        except BaseException:
            if result is not None:
                self.delete_data(result.location)
            raise
        finally:
            reader.close()
            body.close()
        self.written.append((store, result, reader))
        if self.request.method == 'copy-image':
            self.registry.image_location_add(
                self.context, image_id=self.image_id,
                location=upload.location_value(result))
        self.record_progress()

    def check_same_data(self, reader):
        """Each store gets the bytes that were staged (or copied): the
        checksum recorded before must match."""
        expected = self.image.get('checksum')
        if self.written:
            expected = self.written[0][2].checksum
        if expected and reader.checksum != expected:
            raise ImportFailed(reason='the data changed while importing '
                                      '(checksum %s, expected %s)'
                               % (reader.checksum, expected))

    def record_progress(self):
        done = {s for s, _, _ in self.written} | set(self.failed)
        left = [s for s in self.request.stores if s not in done]
        self.registry.image_update(
            self.context, image_id=self.image_id, values={'properties': {
                IMPORTING_TO: ','.join(left),
                FAILED_IMPORT: ','.join(self.failed)}})

    def activate(self):
        """importing -> active with what the first store write measured and
        every new location; copy-image only drops its lock."""
        if self.request.method == 'copy-image':
            return release(self.registry, self.context, self.image, {},
                           failed=','.join(self.failed),
                           task_id=self.task['id'])
        values = dict(upload.measured_values(self.written[0][2]),
                      status='active',
                      locations=[upload.location_value(result)
                                 for _, result, _ in self.written],
                      **self.plugin_values)
        return release(self.registry, self.context, self.image, values,
                       failed=','.join(self.failed), drop=(STAGE_HOST,),
                       properties=self.plugin_properties,
                       task_id=self.task['id'])

    def roll_back(self):
        """Remove the data this job wrote; the image back to queued (its
        own status, for copy-image) with the failed stores named. An image
        the task no longer holds (the registry released it) is left as it
        is, with the copies it records."""
        held = self.held()
        for _, result, _ in self.written:
            if held or self.request.method != 'copy-image':
                self.delete_data(result.location)
        if not held:
            LOG.warning('Image %s is no longer held by import task %s; left '
                        'as it is', self.image_id, self.task['id'])
            self.released_elsewhere = True
            return
        failed = ','.join(self.failed or self.request.stores)
        try:
            if self.request.method == 'copy-image':
                current = self.registry.image_get(self.context,
                                                  image_id=self.image_id)
                new = {result.location for _, result, _ in self.written}
                kept = [{'url': loc['url'],
                         'metadata': loc.get('metadata') or {},
                         'status': loc.get('status', 'active')}
                        for loc in current.get('locations') or []
                        if loc['url'] not in new]
                release(self.registry, self.context, self.image,
                        {'locations': kept}, failed=failed,
                        task_id=self.task['id'])
            else:
                release(self.registry, self.context, self.image, {
                    'status': 'queued', 'size': None, 'virtual_size': None,
                    'checksum': None, 'os_hash_algo': None,
                    'os_hash_value': None}, failed=failed,
                    drop=(STAGE_HOST,), task_id=self.task['id'])
        except (exception.NotFound, exception.InvalidStatusTransition,
                exception.LeaseLost):
            LOG.info('Image %s changed while its import failed; left as '
                     'it is', self.image_id)
        except Exception:
            LOG.exception('Could not release image %s after its import '
                          'failed', self.image_id)

    def held(self):
        """Whether this job's task still holds the image."""
        try:
            image = self.registry.image_get(self.context,
                                            image_id=self.image_id)
        except exception.NotFound:
            return False
        except Exception:
            return True
        return (image.get('properties') or {}).get(IMPORT_TASK) == \
            self.task['id']

    def clean_staging(self):
        if self.request.method == 'copy-image':
            return
        if self.released_elsewhere and \
                self.request.method == 'glance-direct':
            # The registry put the image back to uploading: the staged
            # data is what a new import reads.
            return
        self.staging.discard(self.image_id)

    def delete_data(self, location):
        try:
            self.stores.delete(location)
        except Exception:
            LOG.exception('Could not delete imported data at %s', location)

    def notify_success(self, image):
        self.service.notifier.image(self.context, 'image.upload', image)
        if self.request.method != 'copy-image':
            self.service.notifier.image(self.context, 'image.activate',
                                        image)
