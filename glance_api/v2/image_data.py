"""Image API v2 image data: PUT and GET /v2/images/{image_id}/file."""

import webob

from glance_api.cache import image_cache
from glance_api import download as download_module
from glance_api import http_helpers
from glance_api import upload as upload_module
from glance_api import faults
from glance_registry.common import exception

STORE_HEADER = 'X-Image-Meta-Store'


class ImageDataController:

    def __init__(self, registry, stores, conf):
        self.uploader = upload_module.Uploader(registry, stores, conf)
        self.downloader = download_module.Downloader(registry, stores, conf)

    def upload(self, req, image_id):
        """Store the request body as the image's data, in the store the
        ``X-Image-Meta-Store`` header names (else the default store); 204
        when active."""
        if req.content_type != 'application/octet-stream':
            raise exception.UnsupportedMediaType(
                content_type=req.content_type or '(none)')
        # Chunked transfer has no Content-Length; eventlet's wsgi.input
        # decodes the chunks and returns b'' at the end.
        self.uploader.upload(http_helpers.request_context(req), image_id,
                             req.body_file_raw, req.content_length,
                             store=req.headers.get(STORE_HEADER))
        return webob.Response(status=204)

    def download(self, req, image_id):
        """Stream the image's data: 200, 206 for a range, 204 without
        data."""
        try:
            data = self.downloader.download(
                http_helpers.request_context(req), image_id,
                range_header=req.headers.get('Range'),
                content_range_header=req.headers.get('Content-Range'),
                destination_ip=req.remote_addr,
                use_cache=image_cache.ENV_CACHE in req.environ)
        except exception.RangeNotSatisfiable as e:
            headers = {}
            if e.kwargs.get('size') is not None:
                headers['Content-Range'] = 'bytes */%d' % e.kwargs['size']
            return faults.error_response(e.http_status, str(e), headers,
                                         req)
        if data.iterator is None:
            return webob.Response(status=204)
        response = webob.Response(
            status=206 if data.partial else 200,
            content_type='application/octet-stream', charset=None,
            app_iter=data.iterator,
            content_length=data.stop - data.start)
        if data.partial:
            response.headers['Content-Range'] = 'bytes %d-%d/%d' % (
                data.start, data.stop - 1, data.size)
        elif data.image.get('checksum'):
            # Upstream sends the md5 hex digest here (not base64).
            response.headers['Content-MD5'] = data.image['checksum']
        return response
