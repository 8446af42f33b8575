"""Image API v1 images: /v1/images, /v1/images/detail, /v1/images/{id}.

Metadata travels in ``x-image-meta-*`` headers (:mod:`glance_api.v1.headers`);
data is stored by the one upload path (:mod:`glance_api.upload`) with v1's
rule for failures: the image goes to ``killed``. Lists and metadata changes
go through :class:`glance_api.images.ImageService` as v2's do (policy,
protections, quotas, ``image.update``); v1 shaping happens in this package.
"""

import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import strutils
import webob

from glance_api.cache import image_cache
from glance_api import download as download_module
from glance_api import http_helpers
from glance_api import images as image_service
from glance_api import reader as reader_module
from glance_api import upload as upload_module
from glance_api import url_filter as url_filter_module
from glance_api.v1 import headers as v1_headers
from glance_registry.common import exception
from glance_registry.common import paging
from glance_store import exceptions as store_exceptions

LOG = logging.getLogger(__name__)

CONF = cfg.CONF

EXTERNAL_SCHEMES = ('http', 'https')
# Changing these once an image has data would make them lie about it.
DATA_FIELDS = ('size', 'checksum', 'disk_format', 'container_format')


# -- named checks --------------------------------------------------------

def check_external_url(url, header):
    """Only http(s) URLs may name data outside the stores."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in EXTERNAL_SCHEMES or not parts.hostname:
        raise exception.InvalidParameterValue(
            value=url, param=header, extra='expected an http(s) URL')
    return parts


def has_body(req):
    if req.content_length:
        return True
    return 'chunked' in req.headers.get('Transfer-Encoding', '').lower()


class V1Uploader(upload_module.Uploader):
    """The upload path with v1's rules: data goes to the store the request
    names, a declared size or checksum must match the data, and a failed
    upload leaves the image ``killed`` (not ``queued`` as in v2)."""

    api_version = 'v1'
    # v1 marks a failed upload killed.
    failed_status = 'killed'

    def __init__(self, registry, stores, conf, expected_size=None,
                 expected_checksum=None):
        super().__init__(registry, stores, conf)
        self.expected_size = expected_size
        self.expected_checksum = expected_checksum

    def activate(self, context, image_id, reader, result,
                 lease_holder=None):
        problem = None
        if (self.expected_size is not None and
                reader.size != self.expected_size):
            problem = ('x-image-meta-size', self.expected_size,
                       'the data has %d bytes' % reader.size)
        elif (self.expected_checksum is not None and
                reader.checksum != self.expected_checksum):
            problem = ('x-image-meta-checksum', self.expected_checksum,
                       'the data has checksum %s' % reader.checksum)
        if problem is not None:
            LOG.info('Image %s killed: %s %s but %s', image_id, *problem)
            self.delete_data(result.location)
            self.restore_queued(context, image_id, lease_holder)
            raise exception.InvalidParameterValue(
                value=problem[1], param=problem[0], extra=problem[2])
        return super().activate(context, image_id, reader, result,
                                lease_holder)


class ImagesController:

    def __init__(self, registry, stores, conf):
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.service = image_service.ImageService(registry, stores, conf)
        self.downloader = download_module.Downloader(registry, stores, conf)
        self.image_size_cap = upload_module.Uploader(
            registry, stores, conf).image_size_cap
        self.url_filter = url_filter_module.URLFilter(conf)

    # -- lists -----------------------------------------------------------

    def index(self, req):
        """GET /v1/images: the summary fields of each image."""
        images = self._list(req)
        return http_helpers.json_response(
            {'images': [v1_headers.summary_view(i) for i in images]})

    def detail(self, req):
        """GET /v1/images/detail: every v1 field of each image."""
        images = self._list(req)
        return http_helpers.json_response(
            {'images': [v1_headers.image_view(i) for i in images]})

    def _list(self, req):
        context = http_helpers.request_context(req)
        images, _ = self.service.list(context,
                                      **list_params(req, context, self.conf))
        return images

    # -- one image -------------------------------------------------------

    def meta(self, req, image_id):
        """HEAD /v1/images/{image_id}: the metadata as headers."""
        image = self.service.show(http_helpers.request_context(req), image_id)
        resp = webob.Response(status=200)
        resp.headerlist.extend(v1_headers.image_headers(image))
        return resp

    def show(self, req, image_id):
        """GET /v1/images/{image_id}: metadata headers and the data."""
        context = http_helpers.request_context(req)
        image = self.service.show(context, image_id)
        data = self.downloader.download(
            context, image_id, destination_ip=req.remote_addr,
            use_cache=image_cache.ENV_CACHE in req.environ)
        resp = webob.Response(status=200,
                              content_type='application/octet-stream',
                              charset=None)
        resp.headerlist.extend(v1_headers.image_headers(image))
        if data.iterator is None:
            resp.content_length = 0
            return resp
        resp.app_iter = data.iterator
        resp.content_length = data.stop - data.start
        if data.image.get('checksum'):
            # Upstream sends the md5 hex digest here (not base64).
            resp.headers['Content-MD5'] = data.image['checksum']
        return resp

    def create(self, req):
        """POST /v1/images: register an image and, with a body, a
        copy-from URL or a location, its data; 201 with the image."""
        context = http_helpers.request_context(req)
        meta = v1_headers.parse_image_meta(
            v1_headers.request_headers(req), self.conf, creating=True)
        source = self._data_source(req, meta)
        self.check_declared_size(req, meta)
        if source is not None and source != 'location':
            missing = [h for h in ('disk_format', 'container_format')
                       if h not in meta]
            if missing:
                raise exception.InvalidRequest(
                    reason='%s required when uploading image data' % ', '
                    .join('x-image-meta-' + h for h in missing))
        values = v1_headers.contract_values(meta)
        values.setdefault('visibility', 'shared')
        location_values = None
        if source == 'location':
            location_values = self._location_values(context, meta)
        image = self.service.create(context, values, meta['properties'], [])
        if location_values:
            image = self._set_location(context, image, location_values)
        elif source is not None:
            image = self._store_data(req, context, image, meta, source)
        LOG.info('Created image %s (status %s) with Image API v1',
                 image['id'], image['status'])
        image = self.service.readable(context, image)
        resp = http_helpers.json_response(
            {'image': v1_headers.image_view(image)}, 201)
        resp.location = '%s/v1/images/%s' % (req.host_url, image['id'])
        if image.get('checksum'):
            resp.etag = image['checksum']
        return resp

    def update(self, req, image_id):
        """PUT /v1/images/{image_id}: change metadata; with data (body,
        copy-from or location) for a queued image, store it."""
        context = http_helpers.request_context(req)
        image = self.service.get_for_change(context, image_id)
        meta = v1_headers.parse_image_meta(
            v1_headers.request_headers(req), self.conf, creating=False)
        source = self._data_source(req, meta)
        if source is not None and image['status'] != 'queued':
            raise exception.Conflict(
                'Image %s is %s: data can only be added to a queued image'
                % (image_id, image['status']))
        if source is None and image['status'] != 'queued':
            for field in DATA_FIELDS:
                if field in meta and meta[field] != image.get(field):
                    raise exception.Forbidden(
                        "Cannot change x-image-meta-%s of an image in "
                        "status %s" % (field, image['status']))
        self.check_declared_size(req, meta)
        values = v1_headers.contract_values(meta)
        purge = strutils.bool_from_string(
            req.headers.get(v1_headers.PURGE_PROPS_HEADER, 'false'))
        if source == 'location':
            values.update(self._location_values(context, meta, image_id))
        image = self.service.update_attributes(
            context, image, values, meta['properties'], purge_props=purge,
            from_state='queued' if source == 'location' else None)
        if source is not None and source != 'location':
            image = self._store_data(req, context, image, meta, source)
        image = self.service.readable(context, image)
        return http_helpers.json_response(
            {'image': v1_headers.image_view(image)})

    def delete(self, req, image_id):
        """DELETE /v1/images/{image_id}: data first, then the record."""
        self.service.delete(http_helpers.request_context(req), image_id)
        return webob.Response(status=204)

    # -- data ------------------------------------------------------------

    def _data_source(self, req, meta):
        """'body', 'copy-from', 'location' or None; at most one."""
        sources = []
        if has_body(req):
            sources.append('body')
        copy_from = req.headers.get(v1_headers.COPY_FROM_HEADER)
        if copy_from is not None:
            check_external_url(copy_from, v1_headers.COPY_FROM_HEADER)
            # Refused before the image exists; the store checks again on
            # every connection it opens.
            self.url_filter.check(copy_from)
            meta['copy_from'] = copy_from
            sources.append('copy-from')
        if 'location' in meta:
            check_external_url(meta['location'], 'x-image-meta-location')
            sources.append('location')
        if 'store' in meta:
            try:
                store = self.stores.get_store(meta['store'])
            except store_exceptions.StoreError as e:
                raise exception.InvalidParameterValue(
                    value=meta['store'], param='x-image-meta-store',
                    extra=str(e))
            if not store.writable:
                raise exception.InvalidParameterValue(
                    value=meta['store'], param='x-image-meta-store',
                    extra='the store is read-only')
        if len(sources) > 1:
            raise exception.InvalidRequest(
                reason='give image data one way only, not %s'
                       % ' and '.join(sources))
        return sources[0] if sources else None

    def check_declared_size(self, req, meta):
        """413 before reading a body declared larger than the cap."""
        for declared in (req.content_length if has_body(req) else None,
                         meta.get('size')):
            if declared is not None and declared > self.image_size_cap:
                raise exception.ImageSizeLimitExceeded(
                    limit=self.image_size_cap)

    def _location_values(self, context, meta, image_id=None):
        """Values making a queued image active with its data at an
        external URL, checked as every location from the API is; the size
        comes from the server (HEAD)."""
        url = meta['location']
        size = self.service.check_new_location(context, url, image_id)
        if meta.get('size') is not None and size and size != meta['size']:
            raise exception.InvalidParameterValue(
                value=meta['size'], param='x-image-meta-size',
                extra='the data at the location has %d bytes' % size)
        values = {'status': 'active',
                  'size': meta.get('size') or size,
                  'locations': [{'url': url,
                                 'metadata': self.service.location_metadata(
                                     url),
                                 'status': 'active'}]}
        if meta.get('checksum'):
            values['checksum'] = meta['checksum']
        return values

    def _set_location(self, context, image, location_values):
        """Give the image created for a location its data; when the
        registry refuses the location (another image records it), the new
        image is removed again so the refused request leaves nothing."""
        try:
            return self.registry.image_update(
                context, image_id=image['id'], values=location_values,
                from_state='queued')
        except exception.LocationInUse:
            self.registry.image_destroy(context, image_id=image['id'],
                                        status='deleted')
            raise

    def _store_data(self, req, context, image, meta, source):
        uploader = V1Uploader(self.registry, self.stores, self.conf,
                              expected_size=meta.get('size'),
                              expected_checksum=meta.get('checksum'))
        store = meta.get('store')
        if source == 'body':
            return uploader.upload(context, image['id'], req.body_file_raw,
                                   req.content_length, store=store)
        url = meta['copy_from']
        try:
            iterator, length = self.stores.get(
                url, chunk_size=download_module.CHUNK_SIZE)
        except exception.URLRefused:
            # A redirect to a host the filter refuses.
            self._kill(context, image['id'])
            raise
        except store_exceptions.StoreError as e:
            self._kill(context, image['id'])
            raise url_filter_module.unreadable(url, e)
        body = reader_module.IteratorReader(iterator)
        try:
            return uploader.upload(context, image['id'], body,
                                   length or None, store=store)
        finally:
            body.close()

    def _kill(self, context, image_id):
        try:
            self.registry.image_update(context, image_id=image_id,
                                       values={'status': 'killed'},
                                       from_state='queued')
        except exception.GlanceException as e:
            LOG.warning('Could not mark image %s killed: %s', image_id, e)


# -- list parameters -------------------------------------------------------

def list_params(req, context, conf):
    """Keyword arguments of the contract's ``image_get_all`` for a v1
    list.

    Kilo's rule for is_public: without it, an administrator lists like a
    user (public, own and shared images); ``is_public=none`` lists every
    image; true/false keeps public/non-public ones.
    """
    kwargs = paging.classic_list_params(req.GET, context.is_admin, conf)
    is_public = paging.classic_is_public(req.GET)
    if is_public is None:
        kwargs['admin_as_user'] = bool(context.is_admin)
    elif is_public != 'none':
        kwargs['is_public'] = is_public
    return kwargs
