"""glance-replicator: copy images, metadata and data, from one Glance to
another (compare, dump, load, livecopy, size), as Kilo's tool did.

Kilo's tool spoke Image API v1; this one speaks Image API v2, the version
every cloud serves today. It is a plain HTTP client of glance-api.
"""

import argparse
import hashlib
import http.client
import json
import logging
import logging.handlers
import os
import ssl
import sys
import time
import urllib.parse

from oslo_utils import uuidutils

from glance_api.v2 import schemas
from glance_registry.common import exception

LOG = logging.getLogger('glance-replicator')

COMMANDS = """commands:
  help <command>                       show the help of one command
  compare <fromserver:port> <toserver:port>
                                       list what the target lacks or has
                                       different from the source
  dump <server:port> <path>            save every image of a Glance in a
                                       local directory
  load <server:port> <path>            put the images of a dump into a Glance
  livecopy <fromserver:port> <toserver:port>
                                       copy every image of one Glance into
                                       another
  size <server:port>                   total size of the active images

A server is host:port (plain HTTP) or an http:// or https:// URL. The tool
speaks Image API v2 to both sides (Kilo's tool spoke v1).
"""

# Kilo's default list of fields never copied.
DEFAULT_DONTREPLICATE = 'created_at date deleted_at location updated_at'
# Fields each server makes for itself: never copied, never compared.
SERVER_MADE = ('self', 'file', 'schema', 'locations', 'direct_url',
               'stores', 'virtual_size')
# Fields that describe the data: the target computes them from the bytes,
# so they are compared, never sent.
DATA_FIELDS = ('status', 'size', 'checksum', 'os_hash_algo',
               'os_hash_value')
PATCH_MEDIA_TYPE = 'application/openstack-images-v2.1-json-patch'
PAGE_SIZE = 100
ERRORS_BY_STATUS = {400: exception.Invalid,
                    401: exception.NotAuthenticated,
                    403: exception.Forbidden,
                    404: exception.NotFound,
                    409: exception.Conflict,
                    413: exception.RequestEntityTooLarge,
                    415: exception.UnsupportedMediaType,
                    503: exception.ServiceUnavailable}

# What replicate_image did with one image.
COPIED, UPDATED, UNCHANGED, SKIPPED, FAILED = (
    'copied', 'updated', 'unchanged', 'skipped', 'failed')
OUTCOMES = (COPIED, UPDATED, UNCHANGED, SKIPPED, FAILED)


class ReplicationError(exception.GlanceException):
    """One image could not be replicated; the message says why."""

    code = 'replication_failed'


# -- endpoints and HTTP ---------------------------------------------------

def parse_server(value):
    """'host:port', '[v6addr]:port' or an http(s) URL -> an Endpoint."""
    text = value if '://' in value else 'http://' + value
    parts = urllib.parse.urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if (parts is None or parts.scheme not in ('http', 'https') or
            not parts.hostname or
            (port is None and '://' not in value)):
        raise ValueError('%r is not a server: expected server:port or an '
                         'http(s):// URL' % value)
    if port is None:
        port = 443 if parts.scheme == 'https' else 80
    return Endpoint(parts.scheme, parts.hostname, port,
                    parts.path.rstrip('/'))


class Endpoint:
    """Where one glance-api listens."""

    def __init__(self, scheme, host, port, prefix=''):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.prefix = prefix

    def __str__(self):
        host = '[%s]' % self.host if ':' in self.host else self.host
        return '%s://%s:%d%s' % (self.scheme, host, self.port, self.prefix)


def http_error(method, url, status, body):
    """The shared exception class for an error answer, with the server's
    message."""
    try:
        message = json.loads(body).get('message')
    except (ValueError, AttributeError):
        message = None
    if not message:
        message = body.decode('utf-8', 'replace').strip()[:500]
    error_class = ERRORS_BY_STATUS.get(status, exception.GlanceException)
    return error_class('%s %s answered %d: %s' % (method, url, status,
                                                  message))


def unreachable(url, error):
    return exception.ServiceUnavailable('cannot reach %s: %s' % (url, error))


class Download:
    """The body of one image download, on its own connection."""

    def __init__(self, connection, response):
        self.connection = connection
        self.response = response

    def read(self, size):
        if self.response is None:
            return b''
        return self.response.read(size)

    def close(self):
        self.connection.close()


class ImageClient:
    """Image API v2 calls to one glance-api, with the token it wants.

    Metadata calls share one keep-alive connection; each download and
    upload has its own, so a stream never blocks the listing that
    surrounds it.
    """

    def __init__(self, endpoint, token=None, ssl_context=None,
                 timeout=600):
        self.endpoint = endpoint
        self.token = token
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.connection = None

    def connect(self):
        if self.endpoint.scheme == 'https':
            return http.client.HTTPSConnection(
                self.endpoint.host, self.endpoint.port,
                timeout=self.timeout, context=self.ssl_context)
        return http.client.HTTPConnection(
            self.endpoint.host, self.endpoint.port, timeout=self.timeout)

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def headers(self, extra=None):
        headers = {'Accept': 'application/json',
                   'User-Agent': 'glance-replicator'}
        if self.token:
            headers['X-Auth-Token'] = self.token
        headers.update(extra or {})
        return headers

    def url(self, path):
        return '%s%s' % (self.endpoint, path)

    def call(self, method, path, body=None, headers=None, ok=(200,)):
        """One request on the kept connection; the decoded JSON answer
        (None when empty). A GET is retried once on a connection the
        server closed while idle."""
        headers = self.headers(headers)
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault('Content-Type', 'application/json')
        attempts = 2 if method == 'GET' else 1
        for attempt in range(attempts):
            if self.connection is None:
                self.connection = self.connect()
            try:
                self.connection.request(method, self.endpoint.prefix + path,
                                        body, headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException) as e:
                self.close()
                if attempt + 1 == attempts:
                    raise unreachable(self.url(path), e)
        LOG.debug('%s %s: %d', method, self.url(path), response.status)
        if response.will_close:
            self.close()
        if response.status not in ok:
            raise http_error(method, self.url(path), response.status, data)
        return json.loads(data) if data else None

    def list_images(self):
        """Every image the token may see, hidden ones included (a list
        leaves them out unless asked), page by page."""
        for hidden in ('false', 'true'):
            path = '/v2/images?' + urllib.parse.urlencode(
                {'limit': PAGE_SIZE, 'os_hidden': hidden})
            while path:
                page = self.call('GET', path)
                yield from page.get('images', [])
                path = page.get('next')

    def get_image(self, image_id):
        """The image, or None when the server has no image of this id."""
        try:
            return self.call('GET', '/v2/images/%s' % image_id)
        except exception.NotFound:
            return None

    def create_image(self, body):
        return self.call('POST', '/v2/images', body, ok=(201,))

    def update_image(self, image_id, changes):
        return self.call('PATCH', '/v2/images/%s' % image_id, changes,
                         headers={'Content-Type': PATCH_MEDIA_TYPE})

    def delete_image(self, image_id):
        self.call('DELETE', '/v2/images/%s' % image_id, ok=(204,))

    def download(self, image_id):
        """A Download of the image's data (empty for an image of 0
        bytes, which the API answers with 204)."""
        path = '/v2/images/%s/file' % image_id
        connection = self.connect()
        try:
            connection.request('GET', self.endpoint.prefix + path,
                               headers=self.headers(
                                   {'Accept': 'application/octet-stream'}))
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as e:
            connection.close()
            raise unreachable(self.url(path), e)
        if response.status == 204:
            response.read()
            return Download(connection, None)
        if response.status != 200:
            data = response.read()
            connection.close()
            raise http_error('GET', self.url(path), response.status, data)
        return Download(connection, response)

    def upload(self, image_id, chunks, size):
        """PUT ``size`` bytes, given as an iterable of chunks, as the
        image's data."""
        path = '/v2/images/%s/file' % image_id
        connection = self.connect()
        headers = self.headers({'Content-Type': 'application/octet-stream',
                                'Content-Length': str(size)})
        try:
            try:
                connection.request('PUT', self.endpoint.prefix + path,
                                   chunks, headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server answered before taking everything (a size
                # cap, a quota): its answer says why.
                pass
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise unreachable(self.url(path), e)
        finally:
            connection.close()
        if response.status not in (200, 204):
            raise http_error('PUT', self.url(path), response.status, data)


# -- progress ---------------------------------------------------------------

class Progress:
    """A one-line progress bar on stderr for one copy, drawn only on a
    terminal, at most a few times a second."""

    WIDTH = 30
    INTERVAL = 0.25

    def __init__(self, label, total, stream=None, enabled=None,
                 clock=time.monotonic):
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty()
        self.enabled = enabled
        self.clock = clock
        self.started = clock()
        self.drawn_at = None

    def update(self, count, final=False):
        if not self.enabled:
            return
        now = self.clock()
        if (not final and self.drawn_at is not None and
                now - self.drawn_at < self.INTERVAL):
            return
        self.drawn_at = now
        fraction = count / self.total if self.total else 1.0
        filled = int(self.WIDTH * fraction)
        rate = count / max(now - self.started, 1e-6)
        self.stream.write('\r%s [%s%s] %3d%% %s/%s %s/s' % (
            self.label, '#' * filled, '.' * (self.WIDTH - filled),
            int(fraction * 100), human_size(count), human_size(self.total),
            human_size(rate)))
        if final:
            self.stream.write('\n')
        self.stream.flush()


def human_size(count):
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if count < 1024 or unit == 'TiB':
            break
        count /= 1024.0
    return '%.1f %s' % (count, unit) if unit != 'B' else '%d B' % count


def read_chunks(stream, size, chunk_size, progress=None, hashes=()):
    """The bytes of ``stream`` in chunks, exactly ``size`` of them: a
    source that ends early or gives more raises (the target would wait for
    bytes never sent, or store too many)."""
    if size is None:
        raise ReplicationError('the source shows no size for its data')
    count = 0
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        count += len(chunk)
        if count > size:
            raise ReplicationError('the source sent more than the %d bytes '
                                   'it announced' % size)
        for digest in hashes:
            digest.update(chunk)
        if progress is not None:
            progress.update(count)
        yield chunk
    if count != size:
        raise ReplicationError('the source ended after %d of %d bytes'
                               % (count, size))
    if progress is not None:
        progress.update(count, final=True)


# -- what is replicated ---------------------------------------------------

def replicated_view(image, dontreplicate):
    """The fields replication copies and compares: attributes, tags and
    custom properties, without server-made fields, reserved ``os_glance``
    properties and the names in ``dontreplicate``."""
    view = {}
    for name, value in image.items():
        if (name in SERVER_MADE or name in dontreplicate or
                name.startswith(schemas.RESERVED_PREFIX)):
            continue
        view[name] = sorted(value) if name == 'tags' else value
    return view


def differences(source_view, target_view):
    """(field, source value, target value) for each field that differs;
    a field one side lacks counts as None there."""
    names = sorted(set(source_view) | set(target_view))
    return [(name, source_view.get(name), target_view.get(name))
            for name in names
            if source_view.get(name) != target_view.get(name)]


def pointer(name):
    """The JSON pointer of an attribute or property (RFC 6901)."""
    return '/' + name.replace('~', '~0').replace('/', '~1')


def metadata_changes(view, target_image, dontreplicate, skip=()):
    """The JSON patch that makes the target's metadata that of ``view``:
    attributes and properties replaced or added, properties the source
    lacks removed; data fields and ``skip`` left alone."""
    target_view = replicated_view(target_image, dontreplicate)
    changes = []
    for name, source_value, target_value in differences(view,
                                                        target_view):
        if name in DATA_FIELDS or name == 'id' or name in skip:
            continue
        if name not in view:
            if name not in schemas.BASE_ATTRIBUTES:
                changes.append({'op': 'remove', 'path': pointer(name)})
            continue
        op = 'replace' if name in target_image else 'add'
        changes.append({'op': op, 'path': pointer(name),
                        'value': source_value})
    return changes


def create_body(view):
    """The POST /v2/images body of a copy: the source's id and metadata,
    unprotected until its data is in (a failed copy must be deletable)."""
    body = {name: value for name, value in view.items()
            if name not in DATA_FIELDS and value is not None}
    body.pop('protected', None)
    return body


def without_owner(changes):
    return [c for c in changes if c['path'] != '/owner']


def data_mismatches(source_image, target_image):
    """How the target's data differs from the source's, as text (empty
    when it holds the same bytes): size, and where the source has them
    the md5 checksum and the multihash."""
    fields = ['status', 'size', 'checksum']
    if source_image.get('os_hash_algo') == target_image.get('os_hash_algo'):
        fields.append('os_hash_value')
    return ', '.join(
        '%s %s on the target, %s on the source' % (
            name, target_image.get(name), source_image.get(name))
        for name in fields
        if source_image.get(name) is not None and
        target_image.get(name) != source_image.get(name))


# -- one image ------------------------------------------------------------

class Replicator:
    """Makes a target Glance hold the images it is given."""

    def __init__(self, target, options, progress_stream=None):
        self.target = target
        self.options = options
        self.dontreplicate = options.dontreplicate.split()
        self.progress_stream = progress_stream

    def replicate_image(self, image, open_data):
        """Copy ``image`` (metadata, and its data unless --metaonly) to the
        target; ``open_data()`` gives a readable source of the data, or
        None when there is none. Returns the outcome."""
        image_id = image['id']
        if image.get('status') != 'active':
            LOG.info('%s is %s on the source: skipped', image_id,
                     image.get('status'))
            return SKIPPED
        view = replicated_view(image, self.dontreplicate)
        existing = self.target.get_image(image_id)
        if existing is None or existing['status'] == 'queued':
            if not self.options.metaonly and open_data is None:
                LOG.warning('%s: no data to copy (the dump holds '
                            'metadata only): skipped', image_id)
                return SKIPPED
        created = existing is None
        if created:
            existing = self.create_image(view)
        elif existing['status'] not in ('active', 'queued'):
            raise ReplicationError('it is %s on the target: left alone'
                                   % existing['status'])
        if existing['status'] == 'active':
            mismatches = data_mismatches(image, existing)
            if mismatches:
                raise ReplicationError('the target holds other data under '
                                       'this id (%s): left alone'
                                       % mismatches)
            changed = self.update_metadata(existing, view)
            return COPIED if created else (UPDATED if changed else
                                           UNCHANGED)
        if self.options.metaonly:
            changed = self.update_metadata(existing, view)
            return COPIED if created else (UPDATED if changed else
                                           UNCHANGED)
        existing = self.update_metadata_of(existing, view,
                                           skip=('protected',))
        self.copy_data(image, existing, open_data)
        self.update_metadata(self.target.get_image(image_id), view)
        return COPIED

    def create_image(self, view):
        """A queued copy with the source's id; without the owner when the
        target refuses to let this token set it."""
        body = create_body(view)
        try:
            return self.target.create_image(body)
        except exception.Forbidden:
            if 'owner' not in body:
                raise
            LOG.warning('%s: the target refused owner %s; copied with the '
                        'owner it gives', view['id'], body['owner'])
            body.pop('owner')
            return self.target.create_image(body)
        except exception.Conflict as e:
            raise ReplicationError(
                'the target already used this id (a deleted image, or one '
                'this token may not see): %s' % e)

    def update_metadata_of(self, target_image, view, skip=()):
        """The target image after a PATCH that gives it ``view``'s
        metadata (unchanged when nothing differs)."""
        changes = metadata_changes(view, target_image, self.dontreplicate,
                                   skip)
        if not changes:
            return target_image
        LOG.info('%s: updating %s', view['id'],
                 ', '.join(c['path'][1:] for c in changes))
        try:
            return self.target.update_image(view['id'], changes)
        except exception.Forbidden:
            if without_owner(changes) == changes:
                raise
            LOG.warning('%s: the target refused owner %s; the rest is '
                        'updated', view['id'], view.get('owner'))
            changes = without_owner(changes)
            if not changes:
                return target_image
            return self.target.update_image(view['id'], changes)

    def update_metadata(self, target_image, view):
        """True when the target's metadata had to change."""
        updated = self.update_metadata_of(target_image, view)
        return updated is not target_image

    def copy_data(self, image, target_image, open_data):
        """Stream the data into the queued target image and check that the
        target computed the source's checksums; a copy that differs is
        deleted, so that a next run copies it again."""
        image_id = image['id']
        size = image['size']
        progress = Progress(image_id, size, stream=self.progress_stream,
                            enabled=self.options.progress)
        source = open_data()
        try:
            self.target.upload(image_id, read_chunks(
                source, size, self.options.chunksize, progress), size)
        finally:
            source.close()
        mismatches = data_mismatches(image,
                                     self.target.get_image(image_id))
        if mismatches:
            self.delete_copy(image_id)
            raise ReplicationError('the copy differs (%s): deleted'
                                   % mismatches)
        LOG.info('%s: %d bytes copied, checksums verified', image_id, size)

    def delete_copy(self, image_id):
        try:
            self.target.delete_image(image_id)
        except exception.GlanceException as e:
            LOG.error('%s: could not delete the bad copy: %s', image_id, e)


def replicate_all(replicator, images, open_data_for):
    """Replicate each image, one failure never stopping the others;
    prints what changed and returns the count of each outcome."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for image in images:
        LOG.info('Considering %s', image['id'])
        try:
            outcome = replicator.replicate_image(image,
                                                 open_data_for(image))
        except exception.NotAuthenticated:
            raise
        except exception.GlanceException as e:
            LOG.error('%s: %s', image['id'], e)
            outcome = FAILED
        counts[outcome] += 1
        if outcome in (COPIED, UPDATED, FAILED):
            print('%s %s' % (outcome, image['id']))
    return counts


def summary(command, counts):
    return '%s: %s' % (command, ', '.join(
        '%d %s' % (counts[outcome], outcome) for outcome in OUTCOMES))


# -- the commands ---------------------------------------------------------

def command_size(options, clients, args):
    """size <server:port>

    The total size of the active images of a Glance: what a dump of it
    takes on disk.
    """
    source = clients.source(args[0])
    total = count = 0
    for image in source.list_images():
        if image.get('status') == 'active':
            total += image.get('size') or 0
            count += 1
    print('Total size is %d bytes (%s) across %d images'
          % (total, human_size(total), count))
    return 0


def command_dump(options, clients, args):
    """dump <server:port> <path>

    Save every image of a Glance in a directory: <id> holds the metadata
    (JSON), <id>.img the data of an active image (not with --metaonly).
    Data already dumped is not fetched again.
    """
    source = clients.source(args[0])
    path = args[1]
    os.makedirs(path, exist_ok=True)
    failed = 0
    for image in source.list_images():
        image_id = image['id']
        LOG.info('Considering %s', image_id)
        write_atomically(os.path.join(path, image_id),
                         json.dumps(image, indent=2).encode())
        if image.get('status') != 'active' or options.metaonly:
            continue
        data_path = os.path.join(path, image_id + '.img')
        if (os.path.exists(data_path) and
                os.path.getsize(data_path) == image.get('size')):
            continue
        try:
            dump_data(source, image, data_path, options)
        except exception.NotAuthenticated:
            raise
        except exception.GlanceException as e:
            LOG.error('%s: %s', image_id, e)
            failed += 1
            continue
        print('dumped %s' % image_id)
    return 1 if failed else 0


def write_atomically(path, data):
    with open(path + '.part', 'wb') as f:
        f.write(data)
    os.replace(path + '.part', path)


def dump_data(source, image, data_path, options):
    """Write the image's data beside its metadata, checked against the
    source's checksums before it takes its final name."""
    size = image['size']
    md5 = hashlib.md5(usedforsecurity=False)
    hashes = [md5]
    algorithm = image.get('os_hash_algo')
    multihash = None
    if algorithm in hashlib.algorithms_available:
        multihash = hashlib.new(algorithm)
        hashes.append(multihash)
    progress = Progress(image['id'], size, enabled=options.progress)
    part = data_path + '.part'
    download = source.download(image['id'])
    try:
        with open(part, 'wb') as f:
            for chunk in read_chunks(download, size, options.chunksize,
                                     progress, hashes):
                f.write(chunk)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    finally:
        download.close()
    for digest, expected in ((md5, image.get('checksum')),
                             (multihash, image.get('os_hash_value'))):
        if digest is not None and expected and \
                digest.hexdigest() != expected:
            os.unlink(part)
            raise ReplicationError('the data read has %s %s, the source '
                                   'says %s' % (digest.name,
                                                digest.hexdigest(), expected))
    os.replace(part, data_path)


def command_load(options, clients, args):
    """load <server:port> <path>

    Put the images of a dump into a Glance, keeping their ids: missing ones
    are created with their data, changed metadata is updated. Kilo's order
    of arguments; <path> <server:port> is taken too.
    """
    server, path = args
    if os.path.isdir(server):
        server, path = path, server
    if not os.path.isdir(path):
        raise ValueError('%s is not a directory' % path)
    target = clients.target(server)

    def images():
        for name in sorted(os.listdir(path)):
            if uuidutils.is_uuid_like(name):
                with open(os.path.join(path, name)) as f:
                    yield json.load(f)

    def open_data_for(image):
        data_path = os.path.join(path, image['id'] + '.img')
        if not os.path.exists(data_path):
            return None
        return lambda: open(data_path, 'rb')

    counts = replicate_all(Replicator(target, options), images(),
                           open_data_for)
    print(summary('load', counts))
    return 1 if counts[FAILED] else 0


def command_livecopy(options, clients, args):
    """livecopy <fromserver:port> <toserver:port>

    Copy every active image of one Glance into another, keeping the ids:
    missing ones are created with their data (checksums verified), changed
    metadata is updated, the rest is left alone.
    """
    source = clients.source(args[0])
    target = clients.target(args[1])
    counts = replicate_all(
        Replicator(target, options), source.list_images(),
        lambda image: lambda: source.download(image['id']))
    print(summary('livecopy', counts))
    return 1 if counts[FAILED] else 0


def command_compare(options, clients, args):
    """compare <fromserver:port> <toserver:port>

    Print what the target lacks (active images only, as Kilo) or has
    different from the source; nothing when the target is a copy.
    """
    source = clients.source(args[0])
    target = clients.target(args[1])
    dontreplicate = options.dontreplicate.split()
    for image in source.list_images():
        existing = target.get_image(image['id'])
        if existing is None:
            if image.get('status') == 'active':
                print('%s: missing from the target' % image['id'])
            continue
        for name, source_value, target_value in differences(
                replicated_view(image, dontreplicate),
                replicated_view(existing, dontreplicate)):
            print('%s: field %s differs (source: %s, target: %s)' % (
                image['id'], name, json.dumps(source_value),
                json.dumps(target_value)))
    return 0


COMMANDS_BY_NAME = {'compare': (command_compare, 2),
                    'dump': (command_dump, 2),
                    'livecopy': (command_livecopy, 2),
                    'load': (command_load, 2),
                    'size': (command_size, 1)}


# -- clients, options, main -----------------------------------------------

class Clients:
    """Builds the ImageClient of each side with the token for that side:
    the source uses --mastertoken, the target --slavetoken (both default to
    --token, then to a Keystone token when --os-auth-url is given, then to
    none, for servers without authentication)."""

    def __init__(self, options):
        self.options = options
        self._keystone_token = None
        self._ssl_context = None

    def source(self, server):
        return self.client(server, self.options.mastertoken)

    def target(self, server):
        return self.client(server, self.options.slavetoken)

    def client(self, server, token):
        endpoint = parse_server(server)
        token = token or self.options.token or self.keystone_token()
        context = self.ssl_context() if endpoint.scheme == 'https' else None
        return ImageClient(endpoint, token, context)

    def ssl_context(self):
        if self._ssl_context is None:
            context = ssl.create_default_context(
                cafile=self.options.os_cacert or None)
            if self.options.insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._ssl_context = context
        return self._ssl_context

    def keystone_token(self):
        options = self.options
        if not options.os_auth_url:
            return None
        if self._keystone_token is None:
            from keystoneauth1 import identity
            from keystoneauth1 import session
            auth = identity.Password(
                auth_url=options.os_auth_url,
                username=options.os_username,
                password=options.os_password,
                project_name=options.os_project_name,
                user_domain_name=options.os_user_domain_name,
                project_domain_name=options.os_project_domain_name)
            verify = False if options.insecure else (
                options.os_cacert or True)
            self._keystone_token = session.Session(
                auth=auth, verify=verify).get_token()
        return self._keystone_token


def build_parser():
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog='glance-replicator',
        usage='%(prog)s [options] <command> [args]',
        description='Replicate images between two Glance services over '
                    'Image API v2.',
        epilog=COMMANDS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', help=argparse.SUPPRESS)
    parser.add_argument('args', nargs='*', help=argparse.SUPPRESS)
    parser.add_argument('-c', '--chunksize', type=int, default=1024 * 1024,
                        help='Bytes read and written per step of a copy '
                             '(default: 1 MiB).')
    parser.add_argument('-d', '--debug', action='store_true',
                        help='Print debugging information.')
    parser.add_argument('-D', '--dontreplicate', default=DEFAULT_DONTREPLICATE,
                        help='Space-separated fields and properties never '
                             'copied nor compared (default: "%(default)s").')
    parser.add_argument('-m', '--metaonly', action='store_true',
                        help='Replicate metadata only, no image data: '
                             'missing images are created queued.')
    parser.add_argument('-l', '--logfile', default='',
                        help='Log to this file instead of stderr.')
    parser.add_argument('-s', '--syslog', action='store_true',
                        help='Log to syslog instead of stderr.')
    parser.add_argument('-t', '--token', default='',
                        help='Token used for both servers.')
    parser.add_argument('-M', '--mastertoken', default='',
                        help='Token used for the source (master) server.')
    parser.add_argument('-S', '--slavetoken', default='',
                        help='Token used for the target (slave) server.')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='Print more verbose output.')
    parser.add_argument('--no-progress', dest='progress',
                        action='store_false', default=None,
                        help='No progress bar (drawn on stderr when it is a '
                             'terminal).')
    parser.add_argument('--insecure', action='store_true',
                        help='Do not verify the TLS certificates of the '
                             'servers and of Keystone.')
    parser.add_argument('--os-cacert', default=env('OS_CACERT', ''),
                        help='CA bundle for https:// servers and Keystone '
                             '(env OS_CACERT).')
    parser.add_argument('--os-auth-url', default=env('OS_AUTH_URL', ''),
                        help='Keystone URL: get a token for the servers '
                             'that no token option covers (env '
                             'OS_AUTH_URL).')
    parser.add_argument('--os-username', default=env('OS_USERNAME'),
                        help='Keystone user name (env OS_USERNAME).')
    parser.add_argument('--os-password', default=env('OS_PASSWORD'),
                        help='Keystone password (env OS_PASSWORD).')
    parser.add_argument('--os-project-name', default=env('OS_PROJECT_NAME'),
                        help='Keystone project (env OS_PROJECT_NAME).')
    parser.add_argument('--os-user-domain-name',
                        default=env('OS_USER_DOMAIN_NAME', 'Default'),
                        help='Domain of the user (env OS_USER_DOMAIN_NAME).')
    parser.add_argument('--os-project-domain-name',
                        default=env('OS_PROJECT_DOMAIN_NAME', 'Default'),
                        help='Domain of the project (env '
                             'OS_PROJECT_DOMAIN_NAME).')
    return parser


def setup_logging(options):
    if options.syslog:
        handler = logging.handlers.SysLogHandler(address='/dev/log')
    elif options.logfile:
        handler = logging.handlers.WatchedFileHandler(options.logfile)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(levelname)s %(message)s'))
    LOG.addHandler(handler)
    LOG.propagate = False
    if options.debug:
        LOG.setLevel(logging.DEBUG)
    elif options.verbose:
        LOG.setLevel(logging.INFO)
    else:
        LOG.setLevel(logging.WARNING)


def command_usage(function):
    return 'usage: glance-replicator [options] ' + function.__doc__


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        parser.print_help()
        return 2
    options = parser.parse_intermixed_args(argv)
    if options.command == 'help':
        if len(options.args) != 1 or options.args[0] not in \
                COMMANDS_BY_NAME:
            parser.print_help()
            return 2
        print(command_usage(COMMANDS_BY_NAME[options.args[0]][0]))
        return 0
    if options.command not in COMMANDS_BY_NAME:
        parser.print_usage(sys.stderr)
        print('glance-replicator: unknown command %r' % options.command,
              file=sys.stderr)
        return 2
    function, arg_count = COMMANDS_BY_NAME[options.command]
    if len(options.args) != arg_count:
        print(command_usage(function), file=sys.stderr)
        return 2
    setup_logging(options)
    try:
        return function(options, Clients(options), options.args)
    except ValueError as e:
        print(command_usage(function), file=sys.stderr)
        print('ERROR: %s' % e, file=sys.stderr)
        return 2
    except exception.GlanceException as e:
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('Interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
