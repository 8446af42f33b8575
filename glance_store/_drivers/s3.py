"""The s3 store: image data as objects in an S3 bucket (boto3).

An image is the object ``<bucket>/<image_id>``. An image of known size under
``s3_store_large_object_size`` is sent with one PUT; any other (larger, or
of unknown size and longer than one part) is sent as a multipart upload of
``s3_store_large_object_chunk_size`` parts, up to ``s3_store_thread_pools``
parts in flight at once, and the upload is aborted when anything fails, so
no part is left billed in the bucket.

Each part (and a single PUT) is held in memory while it is sent: S3 signs
the payload over http and needs to resend it on a retry. Memory per upload
is thus about (thread_pools + 1) x chunk size, or the image size for a
single PUT, which is what the two size options bound.

Locations hold the credentials, as upstream glance_store writes them:
``s3://ACCESS:SECRET@HOST[:PORT]/BUCKET/IMAGE_ID`` (``s3+https://`` when
s3_store_host is https).
"""

import concurrent.futures
import io
import threading
import urllib.parse

import boto3
from botocore import config as botocore_config
from botocore import exceptions as botocore_exceptions
from oslo_config import cfg
from oslo_log import log as logging

from glance_store import driver
from glance_store import exceptions
from glance_store import location as location_mod

LOG = logging.getLogger(__name__)

MiB = 1024 * 1024

OPTIONS = [
    cfg.StrOpt('s3_store_host',
               help='The S3 endpoint, e.g. http://127.0.0.1:8080 or '
                    's3.amazonaws.com (https when no scheme is given).'),
    cfg.StrOpt('s3_store_access_key', secret=True,
               help='Access key of the S3 account.'),
    cfg.StrOpt('s3_store_secret_key', secret=True,
               help='Secret key of the S3 account.'),
    cfg.StrOpt('s3_store_bucket',
               help='Bucket the images are stored in.'),
    cfg.BoolOpt('s3_store_create_bucket_on_put', default=False,
                help='Create the bucket on the first upload when it does '
                     'not exist.'),
    cfg.StrOpt('s3_store_bucket_url_format', default='auto',
               choices=['auto', 'path', 'virtual'],
               help='How the bucket appears in request URLs: "path" '
                    '(http://host/bucket/key), "virtual" '
                    '(http://bucket.host/key) or "auto" (virtual when the '
                    'bucket name allows it).'),
    cfg.IntOpt('s3_store_large_object_size', default=100, min=1,
               help='Images of this size in MB or more, and images of '
                    'unknown size longer than one part, are sent as a '
                    'multipart upload.'),
    cfg.IntOpt('s3_store_large_object_chunk_size', default=10, min=5,
               help='Size in MB of each part of a multipart upload. S3 '
                    'refuses parts under 5 MB except the last.'),
    cfg.IntOpt('s3_store_thread_pools', default=10, min=1,
               help='How many parts of one multipart upload are sent at '
                    'the same time.'),
    cfg.StrOpt('s3_store_region_name', default='',
               help='Region of the bucket (for request signing and bucket '
                    'creation); empty lets boto3 decide (us-east-1).'),
    cfg.StrOpt('s3_store_cacert',
               help='CA bundle to verify an https s3_store_host; the '
                    'system bundle when unset.'),
]

SCHEMES = ('s3', 's3+http', 's3+https')
READ_CHUNK = 64 * 1024
MAX_ATTEMPTS = 3
TIMEOUT = 60

# What botocore raises when it cannot talk to the endpoint at all.
_CONNECTION_ERRORS = (botocore_exceptions.ConnectionError,
                      botocore_exceptions.HTTPClientError)


class S3Location:
    """An image's endpoint, credentials, bucket and key."""

    def __init__(self, endpoint, access_key, secret_key, bucket, key):
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.key = key

    @property
    def uri(self):
        parts = urllib.parse.urlsplit(self.endpoint)
        scheme = 's3+https' if parts.scheme == 'https' else 's3'
        return '%s://%s:%s@%s%s/%s/%s' % (
            scheme, urllib.parse.quote(self.access_key, safe=''),
            urllib.parse.quote(self.secret_key, safe=''), parts.netloc,
            parts.path.rstrip('/'), self.bucket, self.key)

    @property
    def safe_uri(self):
        return location_mod.redact(self.uri)


class Store(driver.Store):
    """Stores each image as an S3 object."""

    type_name = 's3'
    schemes = SCHEMES
    capabilities = frozenset([driver.READ, driver.RANDOM_READ,
                              driver.WRITE, driver.DELETE])
    OPTIONS = OPTIONS

    def configure(self):
        options = self.options
        missing = [name for name in ('s3_store_host', 's3_store_access_key',
                                     's3_store_secret_key', 's3_store_bucket')
                   if not options[name]]
        if missing:
            raise self._bad_config('%s not set' % ', '.join(missing))
        host = options.s3_store_host.strip().rstrip('/')
        self.endpoint = host if '://' in host else 'https://' + host
        self.access_key = options.s3_store_access_key
        self.secret_key = options.s3_store_secret_key
        self.bucket = options.s3_store_bucket
        self.create_bucket_on_put = options.s3_store_create_bucket_on_put
        self.large_object_size = options.s3_store_large_object_size * MiB
        self.large_object_chunk_size = (
            options.s3_store_large_object_chunk_size * MiB)
        self.thread_pools = options.s3_store_thread_pools
        self.region = options.s3_store_region_name or None
        self.client_config = botocore_config.Config(
            s3={'addressing_style': options.s3_store_bucket_url_format},
            retries={'mode': 'standard', 'total_max_attempts': MAX_ATTEMPTS},
            connect_timeout=TIMEOUT, read_timeout=TIMEOUT,
            max_pool_connections=max(10, self.thread_pools))
        self.cacert = options.s3_store_cacert
        # boto3 clients are thread-safe and costly to build: one per
        # (endpoint, credentials).
        self._clients = {}
        self._clients_lock = threading.Lock()

    def properties(self):
        return {'bucket': self.bucket,
                'large_object_size': self.large_object_size,
                'large_object_chunk_size': self.large_object_chunk_size}

    def _bad_config(self, reason):
        return exceptions.BadStoreConfiguration(store=self.name, reason=reason)

    # -- locations ---------------------------------------------------------

    def _location(self, uri):
        location = self.parse(uri)
        path = location.path.strip('/')
        head, _, key = path.rpartition('/')
        prefix, _, bucket = head.rpartition('/')
        if not key or not bucket:
            raise exceptions.BadStoreUri(
                uri=location.safe_uri,
                reason='an s3 location ends in /BUCKET/KEY')
        if not location.username or location.password is None:
            raise exceptions.BadStoreUri(
                uri=location.safe_uri,
                reason='an s3 location holds access:secret@ credentials')
        host = location.netloc.rsplit('@', 1)[1]
        scheme = 'https' if location.scheme == 's3+https' else 'http'
        endpoint = '%s://%s%s' % (scheme, host,
                                  '/' + prefix if prefix else '')
        return S3Location(endpoint, location.username, location.password,
                          bucket, key)

    def owns(self, location):
        """A well-formed s3 location on this store's endpoint (locations
        carry their credentials, so any s3 store could read it, but with
        several s3 backends only one holds it)."""
        try:
            endpoint = self._location(location).endpoint
        except exceptions.StoreError:
            return False
        return endpoint.rstrip('/') == self.endpoint.rstrip('/')

    def manages(self, location, image_id=None):
        """An s3 location in the store's bucket, on any endpoint (one
        service is reachable under several host names), but for the key
        ``image_id``, that image's own."""
        try:
            s3_location = self._location(location)
        except exceptions.StoreError:
            return False
        return s3_location.bucket == self.bucket and not (
            image_id and s3_location.key == image_id)

    # -- clients and errors ------------------------------------------------

    def _client(self, location):
        if (self.url_filter is not None and
                location.endpoint.rstrip('/') != self.endpoint.rstrip('/')):
            # An endpoint a location names, not this store's, is a URL
            # fetched on a user's behalf (boto3 resolves and connects by
            # itself: checked, not pinned).
            self.url_filter(location.endpoint)
        cache_key = (location.endpoint, location.access_key,
                     location.secret_key)
        with self._clients_lock:
            client = self._clients.get(cache_key)
            if client is None:
                client = boto3.session.Session().client(
                    's3', endpoint_url=location.endpoint,
                    aws_access_key_id=location.access_key,
                    aws_secret_access_key=location.secret_key,
                    region_name=self.region, config=self.client_config,
                    verify=self.cacert or None)
                self._clients[cache_key] = client
        return client

    def _error(self, error, location):
        """The StoreError for a boto3 ``error``."""
        if isinstance(error, botocore_exceptions.ClientError):
            code = error.response.get('Error', {}).get('Code', '')
            status = error.response.get('ResponseMetadata', {}).get(
                'HTTPStatusCode', 0)
            if status == 404 or code in ('NoSuchKey', 'NoSuchBucket',
                                         'NotFound', '404'):
                return exceptions.NotFound(uri=location.safe_uri)
            # radosgw answers a bucket or user over quota with 403
            # QuotaExceeded.
            if status == 413 or code in ('EntityTooLarge', 'QuotaExceeded'):
                return exceptions.StorageFull(
                    'S3 refused the image data as too large for store %s '
                    '(%s)' % (self.name, code or status))
            if status == 403:
                return exceptions.Forbidden(
                    uri=location.safe_uri,
                    reason='S3 refused the request (%s)' % code)
            if status >= 500:
                return exceptions.BackendUnavailable(
                    store=self.name, reason='S3 answered %s %s'
                    % (status, code))
            return exceptions.StoreError(
                'S3 request for %s failed: %s %s'
                % (location.safe_uri, status, code))
        return exceptions.BackendUnavailable(
            store=self.name, reason='cannot reach S3: %s' % error)

    def _call(self, location, method, **kwargs):
        try:
            return getattr(self._client(location), method)(**kwargs)
        except (botocore_exceptions.ClientError,) + _CONNECTION_ERRORS as e:
            raise self._error(e, location) from e

    def check_health(self):
        """The store's bucket answers a HEAD (or is missing and would be
        made by the next upload)."""
        location = S3Location(self.endpoint, self.access_key,
                              self.secret_key, self.bucket, '')
        try:
            self._call(location, 'head_bucket', Bucket=self.bucket)
        except exceptions.NotFound:
            if not self.create_bucket_on_put:
                return 'bucket %s does not exist' % self.bucket
        except exceptions.StoreError as e:
            return str(e)
        return None

    # -- the audit's view: what the bucket holds ---------------------------

    def _own(self, key=''):
        return S3Location(self.endpoint, self.access_key, self.secret_key,
                          self.bucket, key)

    def list_objects(self):
        """Every key of the store's bucket (none when the bucket does not
        exist yet), then every multipart upload not completed nor aborted
        (a glance-api killed mid-upload could not abort its own): its
        parts are data the bucket holds, though no key lists them. Such
        an upload's key is ``<key>\\0<upload id>`` (S3 keys never hold a
        NUL), its size that of the parts, its time its start."""
        location = self._own()
        try:
            for page in self._pages('list_objects_v2', 'ContinuationToken',
                                    'NextContinuationToken'):
                for item in page.get('Contents', []):
                    key = item['Key']
                    yield driver.StoreObject(
                        key, self._own(key).safe_uri, key, item['Size'],
                        item['LastModified'].timestamp())
            for page in self._pages('list_multipart_uploads', 'KeyMarker',
                                    'NextKeyMarker', 'UploadIdMarker',
                                    'NextUploadIdMarker'):
                for upload in page.get('Uploads', []):
                    key, upload_id = upload['Key'], upload['UploadId']
                    yield driver.StoreObject(
                        '%s\0%s' % (key, upload_id),
                        '%s?uploadId=%s' % (self._own(key).safe_uri,
                                            upload_id),
                        key, self._parts_size(location, key, upload_id),
                        upload['Initiated'].timestamp())
        except exceptions.NotFound:
            return

    def _pages(self, method, *markers):
        """The pages of a listing of the bucket; ``markers`` are pairs of
        (request argument, response field) that continue it."""
        kwargs = {'Bucket': self.bucket}
        while True:
            page = self._call(self._own(), method, **kwargs)
            yield page
            if not page.get('IsTruncated'):
                return
            for argument, field in zip(markers[::2], markers[1::2]):
                if page.get(field):
                    kwargs[argument] = page[field]

    def _parts_size(self, location, key, upload_id):
        try:
            parts = self._call(location, 'list_parts', Bucket=self.bucket,
                               Key=key, UploadId=upload_id)
        except exceptions.NotFound:
            return 0
        return sum(part['Size'] for part in parts.get('Parts', []))

    def object_key(self, location):
        """The key of a location in the store's bucket on its endpoint."""
        try:
            s3_location = self._location(location)
        except exceptions.StoreError:
            return None
        if (s3_location.endpoint.rstrip('/') != self.endpoint.rstrip('/')
                or s3_location.bucket != self.bucket):
            return None
        return s3_location.key

    def delete_object(self, key):
        """Delete a key, or abort a multipart upload (``<key>\\0<upload
        id>``), which removes its parts."""
        key, _, upload_id = key.partition('\0')
        location = self._own(key)
        if upload_id:
            self._call(location, 'abort_multipart_upload',
                       Bucket=self.bucket, Key=key, UploadId=upload_id)
            LOG.info('Aborted upload %s of %s in store %s', upload_id,
                     location.safe_uri, self.name)
            return
        # S3 answers a DELETE of a missing key with success: ask first.
        self._size(location)
        self._call(location, 'delete_object', Bucket=self.bucket, Key=key)
        LOG.info('Deleted %s from store %s', location.safe_uri, self.name)

    # -- writing -----------------------------------------------------------

    def add(self, image_id, reader, size):
        if not image_id or '/' in image_id or image_id.startswith('.'):
            raise exceptions.BadStoreUri(uri=repr(image_id),
                                         reason='not a usable image id')
        location = S3Location(self.endpoint, self.access_key,
                              self.secret_key, self.bucket, image_id)
        self._prepare_bucket(location)
        try:
            self._call(location, 'head_object', Bucket=location.bucket,
                       Key=location.key)
        except exceptions.NotFound:
            pass
        else:
            raise exceptions.Duplicate(image_id=image_id,
                                       uri=location.safe_uri)
        # A known size under the threshold is one PUT; otherwise one part
        # is read first, and an image that ends within it is one PUT too.
        if size and size < self.large_object_size:
            limit = self.large_object_size
        else:
            limit = self.large_object_chunk_size
        first = _read_up_to(reader, limit)
        if len(first) < limit:
            written = self._put(location, first)
        else:
            written = self._add_multipart(
                location, ChainReader(io.BytesIO(first), reader))
        LOG.debug('Wrote %d bytes of image %s to %s', written, image_id,
                  location.safe_uri)
        return driver.AddResult(location.uri, written, self.metadata())

    def _prepare_bucket(self, location):
        try:
            self._call(location, 'head_bucket', Bucket=location.bucket)
        except exceptions.NotFound:
            if not self.create_bucket_on_put:
                raise self._bad_config(
                    'bucket %s does not exist; create it or set '
                    's3_store_create_bucket_on_put' % location.bucket)
            kwargs = {}
            if self.region and self.region != 'us-east-1':
                kwargs['CreateBucketConfiguration'] = {
                    'LocationConstraint': self.region}
            try:
                self._call(location, 'create_bucket', Bucket=location.bucket,
                           **kwargs)
            except exceptions.StoreError:
                # Another upload may have created it meanwhile.
                self._call(location, 'head_bucket', Bucket=location.bucket)

    def _put(self, location, data):
        self._call(location, 'put_object', Bucket=location.bucket,
                   Key=location.key, Body=data, ContentLength=len(data))
        return len(data)

    def _add_multipart(self, location, reader):
        upload = self._call(location, 'create_multipart_upload',
                            Bucket=location.bucket, Key=location.key)
        upload_id = upload['UploadId']
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.thread_pools,
            thread_name_prefix='s3-upload-%s' % location.key[:8])
        in_flight = []
        parts = []
        written = 0
        try:
            data = _read_up_to(reader, self.large_object_chunk_size)
            while data:
                number = len(parts) + len(in_flight) + 1
                in_flight.append(pool.submit(self._upload_part, location,
                                             upload_id, number, data))
                written += len(data)
                # Bound memory: wait for the oldest part when the pool is
                # busy, so at most thread_pools parts wait in memory.
                while len(in_flight) >= self.thread_pools:
                    parts.append(in_flight.pop(0).result())
                if len(data) < self.large_object_chunk_size:
                    break
                data = _read_up_to(reader, self.large_object_chunk_size)
            parts.extend(f.result() for f in in_flight)
            in_flight = []
            self._call(location, 'complete_multipart_upload',
                       Bucket=location.bucket, Key=location.key,
                       UploadId=upload_id, MultipartUpload={'Parts': parts})
        except BaseException:
            for future in in_flight:
                future.cancel()
            pool.shutdown(wait=True)
            self._abort(location, upload_id)
            raise
        pool.shutdown(wait=True)
        return written

    def _upload_part(self, location, upload_id, number, data):
        response = self._call(location, 'upload_part', Bucket=location.bucket,
                              Key=location.key, UploadId=upload_id,
                              PartNumber=number, Body=data,
                              ContentLength=len(data))
        return {'PartNumber': number, 'ETag': response['ETag']}

    def _abort(self, location, upload_id):
        try:
            self._call(location, 'abort_multipart_upload',
                       Bucket=location.bucket, Key=location.key,
                       UploadId=upload_id)
        except exceptions.StoreError as e:
            LOG.error('Could not abort multipart upload %s of %s: %s',
                      upload_id, location.safe_uri, e)

    # -- reading -----------------------------------------------------------

    def get(self, location, offset=0, length=None, chunk_size=None):
        location = self._location(location)
        offset = offset or 0
        if offset < 0 or (length is not None and length < 0):
            raise exceptions.RangeNotSatisfiable(offset=offset, length=length,
                                                 size='?')
        chunk_size = chunk_size or driver.DEFAULT_READ_CHUNK_SIZE
        if length == 0:
            driver.check_range(offset, length, self._size(location))
            return ObjectIterator(None, 0, chunk_size), 0
        kwargs = {}
        if offset or length is not None:
            end = '' if length is None else offset + length - 1
            kwargs['Range'] = 'bytes=%d-%s' % (offset, end)
        try:
            response = self._client(location).get_object(
                Bucket=location.bucket, Key=location.key, **kwargs)
        except botocore_exceptions.ClientError as e:
            status = e.response.get('ResponseMetadata', {}).get(
                'HTTPStatusCode')
            if status == 416:
                raise exceptions.RangeNotSatisfiable(
                    offset=offset, length=length,
                    size=self._size(location)) from e
            raise self._error(e, location) from e
        except _CONNECTION_ERRORS as e:
            raise self._error(e, location) from e
        count = response['ContentLength']
        return ObjectIterator(response['Body'], count, chunk_size), count

    def _size(self, location):
        return self._call(location, 'head_object', Bucket=location.bucket,
                          Key=location.key)['ContentLength']

    def get_size(self, location):
        return self._size(self._location(location))

    # -- deleting ----------------------------------------------------------

    def delete(self, location):
        location = self._location(location)
        # S3 answers a DELETE of a missing key with success: ask first.
        self._size(location)
        self._call(location, 'delete_object', Bucket=location.bucket,
                   Key=location.key)
        LOG.debug('Deleted image data %s', location.safe_uri)


class ObjectIterator:
    """Yields ``count`` bytes of a boto3 StreamingBody in chunks;
    ``close()`` hangs up."""

    def __init__(self, body, count, chunk_size):
        self.body = body
        self.remaining = count
        self.chunk_size = chunk_size

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining > 0 and self.body is not None:
            try:
                chunk = self.body.read(min(self.chunk_size, self.remaining))
            except _CONNECTION_ERRORS + (OSError,) as e:
                self.close()
                raise exceptions.BackendUnavailable(
                    store='s3', reason='download stopped early: %s' % e)
            if chunk:
                self.remaining -= len(chunk)
                return chunk
        self.close()
        raise StopIteration

    def close(self):
        body, self.body = self.body, None
        self.remaining = 0
        if body is not None:
            body.close()


class ChainReader:
    """Reads ``first`` to its end, then ``rest``."""

    def __init__(self, first, rest):
        self.readers = [first, rest]

    def read(self, n):
        while self.readers:
            chunk = self.readers[0].read(n)
            if chunk:
                return chunk
            self.readers.pop(0)
        return b''


def _read_up_to(reader, count):
    """Up to ``count`` bytes from ``reader``, fewer only at its end.
    Exceptions from the reader propagate unchanged."""
    buffer = io.BytesIO()
    remaining = count
    while remaining > 0:
        chunk = reader.read(min(remaining, READ_CHUNK))
        if not chunk:
            break
        buffer.write(chunk)
        remaining -= len(chunk)
    return buffer.getvalue()
