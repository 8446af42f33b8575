"""The swift store: image data as objects in OpenStack Swift.

An image is one object, ``<container>/<image_id>``. An image of unknown
size, or of ``swift_store_large_object_size`` or more, is written as
segments ``<container>_segments/<image_id>-00001, -00002, ...`` of
``swift_store_large_object_chunk_size`` each, then a zero-byte manifest
``<container>/<image_id>`` with ``X-Object-Manifest`` (a Swift Dynamic Large
Object) that reads back as the concatenation. A failed upload deletes every
segment it wrote and never writes the manifest.

Data is streamed: each object PUT reads the caller's reader with chunked
transfer encoding, so the driver holds one chunk in memory at a time.

Credentials come either from the ``swift_store_auth_address`` /
``swift_store_user`` / ``swift_store_key`` options, and are then written
into each location (``swift+http://user:key@host:port/auth/v1.0/glance/ID``,
as upstream glance_store does), or from a reference account in
``swift_store_config_file`` (glance-swift.conf), and locations then name only
the reference (``swift+config://ref1/glance/ID``).
"""

import calendar
import configparser
import threading
import time
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging
import requests
import urllib3
from swiftclient import client as swift_client
from swiftclient import exceptions as swift_exceptions

from glance_store import driver
from glance_store import exceptions
from glance_store import location as location_mod

LOG = logging.getLogger(__name__)

MiB = 1024 * 1024

OPTIONS = [
    cfg.StrOpt('swift_store_auth_address',
               help='Auth URL of the Swift account the store writes to, '
                    'e.g. http://127.0.0.1:8080/auth/v1.0 (tempauth) or '
                    'http://keystone:5000/v3. Ignored when '
                    'swift_store_config_file is set.'),
    cfg.StrOpt('swift_store_user',
               help='User of that account; "project:user" for Keystone, '
                    '"account:user" for tempauth. Ignored when '
                    'swift_store_config_file is set.'),
    cfg.StrOpt('swift_store_key', secret=True,
               help='Password (key) of swift_store_user. Ignored when '
                    'swift_store_config_file is set.'),
    cfg.StrOpt('swift_store_auth_version', default='3',
               choices=['1', '2', '3'],
               help='Auth protocol of swift_store_auth_address: 1 for '
                    'tempauth/swauth style (/auth/v1.0), 2 or 3 for '
                    'Keystone. Also the default of reference accounts '
                    'that do not set auth_version.'),
    cfg.StrOpt('swift_store_config_file',
               help='File of reference accounts (glance-swift.conf): one '
                    'section per reference with user, key, auth_address '
                    'and optionally auth_version, user_domain_id, '
                    'project_domain_id. When set, locations name the '
                    'reference (swift+config://REF/...) instead of '
                    'holding credentials.'),
    cfg.StrOpt('default_swift_reference', default='ref1',
               help='Reference account of swift_store_config_file that new '
                    'image data is written to.'),
    cfg.StrOpt('swift_store_container', default='glance',
               help='Container the images are stored in (the prefix of '
                    'the container names with '
                    'swift_store_multiple_containers_seed).'),
    cfg.BoolOpt('swift_store_create_container_on_put', default=False,
                help='Create the container (and its _segments container) '
                     'on the first upload when it does not exist.'),
    cfg.IntOpt('swift_store_multiple_containers_seed', default=0,
               min=0, max=32,
               help='When above 0, spread images over containers named '
                    '<swift_store_container>_<first N characters of the '
                    'image id>. 0 puts all images in one container.'),
    cfg.IntOpt('swift_store_large_object_size', default=5 * 1024, min=1,
               help='Images of this size in MB or more, and images of '
                    'unknown size, are written as segments plus a '
                    'manifest (Swift Dynamic Large Object).'),
    cfg.IntOpt('swift_store_large_object_chunk_size', default=200, min=1,
               help='Size in MB of each segment of a large object.'),
    cfg.IntOpt('swift_store_retry_get_count', default=0, min=0,
               help='How many times a download that the connection dropped '
                    'is resumed (with a Range request from where it '
                    'stopped) before failing.'),
    cfg.StrOpt('swift_store_endpoint',
               help='Storage URL to use instead of the one the auth '
                    'service returns, e.g. '
                    'http://swift-proxy:8080/v1/AUTH_glance.'),
    cfg.StrOpt('swift_store_region',
               help='Region of the Swift endpoint in the Keystone catalog.'),
    cfg.StrOpt('swift_store_endpoint_type', default='publicURL',
               choices=['publicURL', 'adminURL', 'internalURL'],
               help='Interface of the Swift endpoint in the Keystone '
                    'catalog.'),
    cfg.StrOpt('swift_store_service_type', default='object-store',
               help='Service type of Swift in the Keystone catalog.'),
    cfg.BoolOpt('swift_store_auth_insecure', default=False,
                help='Do not verify the certificates of https auth and '
                     'storage URLs.'),
    cfg.StrOpt('swift_store_cacert',
               help='CA bundle to verify https auth and storage URLs.'),
]

SCHEMES = ('swift', 'swift+http', 'swift+https', 'swift+config')
WRITE_CHUNK_SIZE = 64 * 1024
TIMEOUT = 60

# Errors of the HTTP connection itself: Swift is down or unreachable.
_CONNECTION_ERRORS = (requests.RequestException, OSError)


class Account:
    """Where and as whom to authenticate."""

    def __init__(self, auth_address, user, key, auth_version,
                 user_domain_id=None, project_domain_id=None,
                 reference=None):
        self.auth_address = auth_address
        self.user = user
        self.key = key
        self.auth_version = str(auth_version)
        self.user_domain_id = user_domain_id or 'default'
        self.project_domain_id = project_domain_id or 'default'
        self.reference = reference

    @property
    def cache_key(self):
        return (self.auth_address, self.user, self.key, self.auth_version)


class SwiftLocation:
    """An image's account, container and object."""

    def __init__(self, account, container, obj):
        self.account = account
        self.container = container
        self.obj = obj

    @property
    def uri(self):
        if self.account.reference:
            return 'swift+config://%s/%s/%s' % (
                urllib.parse.quote(self.account.reference, safe=''),
                self.container, self.obj)
        parts = urllib.parse.urlsplit(self.account.auth_address)
        scheme = 'swift+https' if parts.scheme == 'https' else 'swift+http'
        return '%s://%s:%s@%s%s/%s/%s' % (
            scheme, urllib.parse.quote(self.account.user, safe=''),
            urllib.parse.quote(self.account.key, safe=''),
            parts.netloc, parts.path.rstrip('/'), self.container, self.obj)

    @property
    def safe_uri(self):
        return location_mod.redact(self.uri)

    @property
    def segments_container(self):
        return self.container + '_segments'

    @property
    def segment_prefix(self):
        return self.obj + '-'


class Store(driver.Store):
    """Stores each image as a Swift object (or a DLO of segments)."""

    type_name = 'swift'
    schemes = SCHEMES
    capabilities = frozenset([driver.READ, driver.RANDOM_READ,
                              driver.WRITE, driver.DELETE])
    OPTIONS = OPTIONS

    def configure(self):
        options = self.options
        self.container = options.swift_store_container
        self.create_container_on_put = (
            options.swift_store_create_container_on_put)
        self.containers_seed = options.swift_store_multiple_containers_seed
        self.large_object_size = options.swift_store_large_object_size * MiB
        self.large_object_chunk_size = (
            options.swift_store_large_object_chunk_size * MiB)
        self.write_chunk_size = WRITE_CHUNK_SIZE
        self.retry_get_count = options.swift_store_retry_get_count
        self.endpoint = options.swift_store_endpoint
        self.os_options = {
            'region_name': options.swift_store_region,
            'endpoint_type': options.swift_store_endpoint_type,
            'service_type': options.swift_store_service_type,
        }
        self.insecure = options.swift_store_auth_insecure
        self.cacert = options.swift_store_cacert
        self.references = {}
        if options.swift_store_config_file:
            self.references = self._read_references(
                options.swift_store_config_file)
            reference = options.default_swift_reference
            if reference not in self.references:
                raise self._bad_config(
                    'default_swift_reference %r is not a section of %s'
                    % (reference, options.swift_store_config_file))
            self.account = self.references[reference]
        else:
            missing = [name for name in ('swift_store_auth_address',
                                         'swift_store_user',
                                         'swift_store_key')
                       if not options[name]]
            if missing:
                raise self._bad_config(
                    '%s not set (and no swift_store_config_file)'
                    % ', '.join(missing))
            self.account = Account(
                _with_scheme(options.swift_store_auth_address),
                options.swift_store_user, options.swift_store_key,
                options.swift_store_auth_version)
        # (auth_address, user, key, version) -> (storage url, token), so
        # each request does not authenticate again.
        self._tokens = {}
        self._tokens_lock = threading.Lock()

    def properties(self):
        return {'container': self.container,
                'large_object_size': self.large_object_size,
                'large_object_chunk_size': self.large_object_chunk_size}

    def _bad_config(self, reason):
        return exceptions.BadStoreConfiguration(store=self.name, reason=reason)

    def _read_references(self, path):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path) as f:
                parser.read_file(f)
        except (OSError, configparser.Error) as e:
            raise self._bad_config('cannot read swift_store_config_file '
                                   '%s: %s' % (path, e))
        references = {}
        for name in parser.sections():
            section = parser[name]
            missing = [k for k in ('user', 'key', 'auth_address')
                       if not section.get(k)]
            if missing:
                raise self._bad_config('reference %r in %s lacks %s'
                                       % (name, path, ', '.join(missing)))
            references[name] = Account(
                _with_scheme(section['auth_address']), section['user'],
                section['key'],
                section.get('auth_version',
                            self.options.swift_store_auth_version),
                user_domain_id=section.get('user_domain_id'),
                project_domain_id=section.get('project_domain_id'),
                reference=name)
        return references

    # -- locations ---------------------------------------------------------

    def container_for(self, image_id):
        if self.containers_seed:
            return '%s_%s' % (self.container, image_id[:self.containers_seed])
        return self.container

    def _location(self, uri):
        """The SwiftLocation of ``uri`` (a string or parsed Location)."""
        location = self.parse(uri)
        path = location.path.strip('/')
        head, _, obj = path.rpartition('/')
        auth_path, _, container = head.rpartition('/')
        if not obj or not container:
            raise exceptions.BadStoreUri(
                uri=location.safe_uri,
                reason='a swift location ends in /CONTAINER/OBJECT')
        if location.scheme == 'swift+config':
            reference = urllib.parse.unquote(location.netloc)
            if auth_path or reference not in self.references:
                raise exceptions.BadStoreUri(
                    uri=location.safe_uri,
                    reason='reference %r is not in swift_store_config_file'
                    % reference)
            return SwiftLocation(self.references[reference], container, obj)
        if not location.username or location.password is None:
            raise exceptions.BadStoreUri(
                uri=location.safe_uri,
                reason='a swift location holds user:key@ credentials')
        host = location.netloc.rsplit('@', 1)[1]
        scheme = 'http' if location.scheme == 'swift+http' else 'https'
        auth_address = '%s://%s/%s' % (scheme, host, auth_path)
        if auth_address.rstrip('/') == self.account.auth_address.rstrip('/'):
            version = self.account.auth_version
        else:
            version = self.options.swift_store_auth_version
        return SwiftLocation(
            Account(auth_address, location.username, location.password,
                    version), container, obj)

    def owns(self, location):
        try:
            self._location(location)
        except exceptions.StoreError:
            return False
        return True

    def manages(self, location, image_id=None):
        """Any ``swift+config`` location (its reference is one of the
        store's own accounts), and a location in any account whose
        container is the store's container or one named after it
        (``<container>_<prefix>`` of swift_store_multiple_containers_seed,
        ``<container>_segments``); a location the driver cannot parse is
        unreadable, not managed. The object ``image_id`` in the container
        the store writes ``image_id`` to is that image's own."""
        try:
            location = self.parse(location)
        except exceptions.StoreError:
            return False
        try:
            swift_location = self._location(location)
        except exceptions.StoreError:
            return location.scheme == 'swift+config'
        container = swift_location.container
        if image_id and swift_location.obj == image_id and (
                container in (self.container, self.container_for(image_id))):
            return False
        return (location.scheme == 'swift+config' or
                container == self.container or
                container.startswith(self.container + '_'))

    # -- connections -------------------------------------------------------

    def _check_foreign_account(self, account):
        """An auth address a location names, other than the store's own
        accounts, is a URL fetched on a user's behalf: it goes through the
        embedding service's url_filter. (swiftclient resolves and connects
        by itself, so the check cannot pin the address, and the storage URL
        the auth server answers is not checked.)"""
        if self.url_filter is None:
            return
        own = {self.account.auth_address.rstrip('/')} | {
            reference.auth_address.rstrip('/')
            for reference in self.references.values()}
        if account.auth_address.rstrip('/') not in own:
            self.url_filter(account.auth_address)

    def _connect(self, account, retries=0):
        """A new swiftclient Connection (they are not thread-safe), reusing
        the token an earlier request got for ``account``."""
        self._check_foreign_account(account)
        with self._tokens_lock:
            url, token = self._tokens.get(account.cache_key, (None, None))
        os_options = dict(self.os_options)
        user = account.user
        if account.auth_version in ('2', '3') and ':' in user:
            project, user = user.split(':', 1)
            os_options['project_name'] = os_options['tenant_name'] = project
            os_options['user_domain_id'] = account.user_domain_id
            os_options['project_domain_id'] = account.project_domain_id
        if self.endpoint:
            os_options['object_storage_url'] = self.endpoint
        return swift_client.Connection(
            authurl=account.auth_address, user=user, key=account.key,
            auth_version=account.auth_version, os_options=os_options,
            preauthurl=self.endpoint or url, preauthtoken=token,
            retries=retries, starting_backoff=0.5, timeout=TIMEOUT,
            insecure=self.insecure, cacert=self.cacert)

    def _remember(self, account, connection):
        if connection.url and connection.token:
            with self._tokens_lock:
                self._tokens[account.cache_key] = (connection.url,
                                                   connection.token)

    def _error(self, error, location=None):
        """The StoreError for a swiftclient or connection ``error``."""
        uri = location.safe_uri if location else self.name
        if isinstance(error, swift_exceptions.ClientException):
            status = error.http_status
            if status == 404:
                return exceptions.NotFound(uri=uri)
            if status == 413:
                return exceptions.StorageFull(
                    'Swift refused the image data as too large for store '
                    '%s (over its max_file_size or a quota)' % self.name)
            if status in (401, 403):
                return exceptions.Forbidden(
                    uri=uri, reason='Swift refused the credentials (%s)'
                    % status)
            if status == 416:
                return exceptions.RangeNotSatisfiable(
                    offset='?', length='?', size='?')
            reason = 'Swift answered %s %s' % (
                status, error.http_reason or '')
            if status is None or status >= 500 or status == 408:
                return exceptions.BackendUnavailable(store=self.name,
                                                     reason=reason)
            return exceptions.StoreError(
                'Swift request for %s failed: %s' % (uri, reason))
        return exceptions.BackendUnavailable(
            store=self.name, reason='cannot reach Swift: %s' % error)

    def _call(self, connection, location, method, *args, **kwargs):
        """connection.METHOD(*args), errors translated."""
        try:
            return getattr(connection, method)(*args, **kwargs)
        except (swift_exceptions.ClientException,) + _CONNECTION_ERRORS as e:
            raise self._error(e, location) from e
        finally:
            self._remember(location.account, connection)

    def check_health(self):
        """The store's account authenticates and answers a HEAD."""
        connection = self._connect(self.account)
        try:
            connection.head_account()
        except (swift_exceptions.ClientException,) + _CONNECTION_ERRORS as e:
            return str(self._error(e))
        finally:
            self._remember(self.account, connection)
            connection.close()
        return None

    # -- the audit's view: what the containers hold -------------------------

    def _data_containers(self, connection):
        """The containers the store writes image objects to (not their
        ``_segments`` twins)."""
        if not self.containers_seed:
            return [self.container]
        _, listing = self._call(connection, _AccountPlace(self.account),
                                'get_account', prefix=self.container + '_',
                                full_listing=True)
        return [entry['name'] for entry in listing
                if not entry['name'].endswith('_segments')]

    def _listing(self, connection, container):
        """The entries of ``container`` ([] when it does not exist)."""
        try:
            _, listing = self._call(connection, _AccountPlace(self.account),
                                    'get_container', container,
                                    full_listing=True)
        except exceptions.NotFound:
            return []
        return listing

    def list_objects(self):
        """One StoreObject per image in each data container of the store's
        own account: a plain object, or a manifest together with the
        segments ``<image_id>-NNNNN`` in ``<container>_segments`` (their
        sizes summed, the newest modification time), or segments whose
        manifest was never written (a cut-off upload). Keys are
        ``<container>/<image_id>``.

        Segments are grouped by cutting the name at its last hyphen, the
        way :meth:`add` names them after the image id. That assumes image
        ids are UUIDs (hyphens, but never a ``-NNNNN`` tail of their own);
        a segment not named so is listed on its own, under its own name."""
        connection = self._connect(self.account)
        try:
            groups = {}
            for container in self._data_containers(connection):
                for entry in self._listing(connection, container):
                    _merge(groups, container, entry['name'], entry)
                for entry in self._listing(connection,
                                           container + '_segments'):
                    name = entry['name']
                    head, _, number = name.rpartition('-')
                    if head and len(number) == 5 and number.isdigit():
                        name = head
                    _merge(groups, container, name, entry)
        finally:
            connection.close()
        for (container, obj), (size, modified) in sorted(groups.items()):
            yield driver.StoreObject(
                '%s/%s' % (container, obj),
                SwiftLocation(self.account, container, obj).safe_uri,
                obj, size, modified)

    def _own_container(self, container):
        if container == self.container:
            return True
        return bool(self.containers_seed and
                    container.startswith(self.container + '_') and
                    not container.endswith('_segments'))

    def object_key(self, location):
        """``<container>/<object>`` for a location in the store's own
        account and one of its data containers."""
        try:
            swift_location = self._location(location)
        except exceptions.StoreError:
            return None
        account = swift_location.account
        if (account.auth_address.rstrip('/') !=
                self.account.auth_address.rstrip('/') or
                account.user != self.account.user):
            return None
        if not self._own_container(swift_location.container):
            return None
        return '%s/%s' % (swift_location.container, swift_location.obj)

    def delete_object(self, key):
        """Remove ``<container>/<object>``: the object (a manifest too) and
        every segment named after it; NotFound when neither is there."""
        container, _, obj = key.partition('/')
        if not obj or not self._own_container(container):
            raise exceptions.Forbidden(
                uri=key, reason='not an object of store %s' % self.name)
        location = SwiftLocation(self.account, container, obj)
        connection = self._connect(self.account)
        try:
            found = self._delete_leftover_segments(connection, location)
            try:
                self._call(connection, location, 'delete_object',
                           container, obj)
                found = True
            except exceptions.NotFound:
                pass
        finally:
            connection.close()
        if not found:
            raise exceptions.NotFound(uri=location.safe_uri)
        LOG.info('Deleted %s from store %s', location.safe_uri, self.name)

    def _delete_leftover_segments(self, connection, location):
        """Delete the segments ``<object>-NNNNN`` of ``location`` (a failed
        upload's whose clean-up could not reach Swift); whether there
        were any."""
        try:
            _, listing = self._call(connection, location, 'get_container',
                                    location.segments_container,
                                    prefix=location.segment_prefix,
                                    full_listing=True)
        except exceptions.NotFound:
            return False
        found = False
        for entry in listing:
            number = entry['name'][len(location.segment_prefix):]
            if len(number) != 5 or not number.isdigit():
                continue
            found = True
            try:
                self._call(connection, location, 'delete_object',
                           location.segments_container, entry['name'])
            except exceptions.NotFound:
                pass
        return found

    # -- writing -----------------------------------------------------------

    def add(self, image_id, reader, size):
        if not image_id or '/' in image_id or image_id.startswith('.'):
            raise exceptions.BadStoreUri(uri=repr(image_id),
                                         reason='not a usable image id')
        location = SwiftLocation(self.account, self.container_for(image_id),
                                 image_id)
        connection = self._connect(location.account)
        try:
            try:
                self._call(connection, location, 'head_object',
                           location.container, location.obj)
            except exceptions.NotFound:
                pass
            else:
                raise exceptions.Duplicate(image_id=image_id,
                                           uri=location.safe_uri)
            # Segments a failed upload of this image left behind (Swift
            # was unreachable for its clean-up): a new manifest would
            # otherwise read them after its own.
            if self._delete_leftover_segments(connection, location):
                LOG.warning('Deleted segments a failed upload of image %s '
                            'left in %s', image_id,
                            location.segments_container)
            segmented = not size or size >= self.large_object_size
            self._prepare_container(connection, location, location.container,
                                    0 if segmented else size)
            if segmented:
                self._prepare_container(connection, location,
                                        location.segments_container,
                                        size or 0)
                written = self._add_segmented(connection, location, reader)
            else:
                written = self._put(connection, location, location.container,
                                    location.obj, LimitedReader(reader, None),
                                    {'If-None-Match': '*'})
        finally:
            # Hang up: after a failed streamed PUT this is what tells Swift
            # the body will never complete.
            connection.close()
        LOG.debug('Wrote %d bytes of image %s to %s', written, image_id,
                  location.safe_uri)
        return driver.AddResult(location.uri, written, self.metadata())

    def _prepare_container(self, connection, location, container, size):
        """Make sure ``container`` exists (creating it when allowed) and,
        when it has a byte quota, has room for ``size`` bytes."""
        try:
            headers = self._call(connection, location, 'head_container',
                                 container)
        except exceptions.NotFound:
            if not self.create_container_on_put:
                raise self._bad_config(
                    'container %s does not exist; create it or set '
                    'swift_store_create_container_on_put' % container)
            self._call(connection, location, 'put_container', container)
            return
        quota = headers.get('x-container-meta-quota-bytes')
        if size and quota and quota.isdigit():
            free = int(quota) - int(headers.get('x-container-bytes-used', 0))
            if size > free:
                raise exceptions.StorageFull(
                    'There is not enough free space in store %s for %d '
                    'bytes (container %s has %d bytes left of its quota)'
                    % (self.name, size, container, max(free, 0)))

    def _put(self, connection, location, container, obj, body, headers=None):
        """PUT ``body`` (a LimitedReader) as ``container/obj`` with chunked
        transfer; an exception from the caller's reader propagates
        unchanged. Returns the number of bytes sent."""
        try:
            connection.put_object(container, obj, body,
                                  chunk_size=self.write_chunk_size,
                                  headers=headers)
        except BaseException as e:
            if body.error is not None:
                raise body.error
            if (isinstance(e, swift_exceptions.ClientException)
                    and e.http_status == 412):
                raise exceptions.Duplicate(image_id=location.obj,
                                           uri=location.safe_uri) from e
            if isinstance(e, (swift_exceptions.ClientException,)
                          + _CONNECTION_ERRORS):
                raise self._error(e, location) from e
            raise
        finally:
            self._remember(location.account, connection)
        return body.count

    def _add_segmented(self, connection, location, reader):
        written = 0
        segments = []
        try:
            while True:
                body = LimitedReader(reader, self.large_object_chunk_size)
                if not body.peek():
                    break
                name = '%s%05d' % (location.segment_prefix,
                                   len(segments) + 1)
                segments.append(name)
                written += self._put(connection, location,
                                     location.segments_container, name, body)
                if body.count < self.large_object_chunk_size:
                    break
            headers = {'If-None-Match': '*'}
            if segments:
                headers['X-Object-Manifest'] = '%s/%s' % (
                    urllib.parse.quote(location.segments_container),
                    urllib.parse.quote(location.segment_prefix))
            # Without segments the image is empty: a plain empty object.
            self._put(connection, location, location.container, location.obj,
                      LimitedReader(EmptyReader(), 0), headers)
        except BaseException:
            self._delete_segments(location, segments)
            raise
        return written

    def _delete_segments(self, location, names):
        """Best effort: a new connection, since the upload's may be broken."""
        if not names:
            return
        connection = self._connect(location.account)
        for name in names:
            try:
                connection.delete_object(location.segments_container, name)
            except swift_exceptions.ClientException as e:
                if e.http_status != 404:
                    LOG.error('Could not delete segment %s/%s of a failed '
                              'upload: %s', location.segments_container,
                              name, e)
            except _CONNECTION_ERRORS as e:
                LOG.error('Could not delete segment %s/%s of a failed '
                          'upload: %s', location.segments_container, name, e)
        connection.close()

    # -- reading -----------------------------------------------------------

    def get(self, location, offset=0, length=None, chunk_size=None):
        location = self._location(location)
        offset = offset or 0
        if offset < 0 or (length is not None and length < 0):
            raise exceptions.RangeNotSatisfiable(offset=offset, length=length,
                                                 size='?')
        chunk_size = chunk_size or driver.DEFAULT_READ_CHUNK_SIZE
        connection = self._connect(location.account)
        if length == 0:
            size = self._size(connection, location)
            driver.check_range(offset, length, size)
            connection.close()
            return ObjectIterator(self, location, None, None, 0, 0,
                                  chunk_size), 0
        headers = {}
        if offset or length is not None:
            end = '' if length is None else offset + length - 1
            headers['Range'] = 'bytes=%d-%s' % (offset, end)
        try:
            response_headers, body = connection.get_object(
                location.container, location.obj, resp_chunk_size=chunk_size,
                headers=headers)
        except swift_exceptions.ClientException as e:
            if e.http_status == 416:
                size = self._size(connection, location)
                raise exceptions.RangeNotSatisfiable(
                    offset=offset, length=length, size=size) from e
            raise self._error(e, location) from e
        except _CONNECTION_ERRORS as e:
            raise self._error(e, location) from e
        finally:
            self._remember(location.account, connection)
        count = int(response_headers.get('content-length', 0))
        return ObjectIterator(self, location, connection, body, offset,
                              count, chunk_size), count

    def _size(self, connection, location):
        headers = self._call(connection, location, 'head_object',
                             location.container, location.obj)
        return int(headers.get('content-length', 0))

    def get_size(self, location):
        location = self._location(location)
        connection = self._connect(location.account)
        try:
            return self._size(connection, location)
        finally:
            connection.close()

    def _resume(self, location, position, remaining, chunk_size):
        """A new body from ``position`` for ``remaining`` bytes, after a
        read dropped mid-stream."""
        connection = self._connect(location.account)
        headers = {'Range': 'bytes=%d-%d' % (position,
                                             position + remaining - 1)}
        try:
            _, body = connection.get_object(
                location.container, location.obj, resp_chunk_size=chunk_size,
                headers=headers)
        except (swift_exceptions.ClientException,) + _CONNECTION_ERRORS as e:
            connection.close()
            raise self._error(e, location) from e
        return connection, body

    # -- deleting ----------------------------------------------------------

    def delete(self, location):
        location = self._location(location)
        connection = self._connect(location.account)
        try:
            headers = self._call(connection, location, 'head_object',
                                 location.container, location.obj)
            manifest = headers.get('x-object-manifest')
            if manifest:
                self._delete_large_object_segments(connection, location,
                                                   manifest)
            self._call(connection, location, 'delete_object',
                       location.container, location.obj)
        finally:
            connection.close()
        LOG.debug('Deleted image data %s', location.safe_uri)

    def _delete_large_object_segments(self, connection, location, manifest):
        container, _, prefix = urllib.parse.unquote(manifest).partition('/')
        # Only the segments this driver names after the object: a manifest
        # pointing at anything else is left alone rather than emptied.
        if not prefix.startswith(location.obj):
            LOG.warning('Not deleting segments %s of %s: not named after '
                        'the image', manifest, location.safe_uri)
            return
        _, listing = self._call(connection, location, 'get_container',
                                container, prefix=prefix, full_listing=True)
        for entry in listing:
            try:
                self._call(connection, location, 'delete_object', container,
                           entry['name'])
            except exceptions.NotFound:
                pass


class LimitedReader:
    """Reads at most ``limit`` bytes (all when None) from the caller's
    reader for one object PUT. It counts what it passed on and keeps any
    exception the caller's reader raised, which the HTTP library may wrap
    or swallow, so the driver can re-raise that very exception."""

    def __init__(self, reader, limit):
        self.reader = reader
        self.remaining = limit
        self.count = 0
        self.error = None
        self.pending = b''
        self.ended = False

    def _read(self, n):
        if self.ended:
            return b''
        if self.remaining is not None:
            n = min(n, self.remaining)
            if n <= 0:
                return b''
        try:
            chunk = self.reader.read(n)
        except BaseException as e:
            self.error = e
            raise
        if not chunk:
            self.ended = True
        return chunk

    def peek(self):
        """Whether any data is left (reads ahead once)."""
        if not self.pending:
            self.pending = self._read(WRITE_CHUNK_SIZE)
        return bool(self.pending)

    def read(self, n=-1):
        if n is None or n < 0:
            n = WRITE_CHUNK_SIZE
        if self.pending:
            chunk, self.pending = self.pending[:n], self.pending[n:]
        else:
            chunk = self._read(n)
        if self.remaining is not None:
            self.remaining -= len(chunk)
        self.count += len(chunk)
        return chunk

    def __bool__(self):
        # swiftclient sends "Content-Length: 0" for a falsy body.
        return True


class EmptyReader:
    def read(self, n):
        return b''


class ObjectIterator:
    """Yields ``count`` bytes of an object in chunks; resumes a dropped
    read up to ``swift_store_retry_get_count`` times; ``close()`` hangs up."""

    def __init__(self, store, location, connection, body, offset, count,
                 chunk_size):
        self.store = store
        self.location = location
        self.connection = connection
        self.body = body
        self.position = offset
        self.remaining = count
        self.chunk_size = chunk_size
        self.retries_left = store.retry_get_count

    def __iter__(self):
        return self

    def __next__(self):
        while self.remaining > 0 and self.body is not None:
            try:
                chunk = self.body.read(min(self.chunk_size, self.remaining))
            except _CONNECTION_ERRORS + (urllib3.exceptions.HTTPError,) as e:
                chunk = None
                error = e
            else:
                if chunk:
                    self.position += len(chunk)
                    self.remaining -= len(chunk)
                    return chunk
                error = None
            self._close_body()
            if self.retries_left <= 0:
                raise exceptions.BackendUnavailable(
                    store=self.store.name,
                    reason='download of %s stopped %d bytes early: %s'
                    % (self.location.safe_uri, self.remaining,
                       error or 'connection closed'))
            self.retries_left -= 1
            LOG.warning('Resuming download of %s at byte %d',
                        self.location.safe_uri, self.position)
            self.connection, self.body = self.store._resume(
                self.location, self.position, self.remaining,
                self.chunk_size)
        self.close()
        raise StopIteration

    def _close_body(self):
        body, connection = self.body, self.connection
        self.body = self.connection = None
        for thing in (body, connection):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # hanging up; nothing left to report
                    pass

    def close(self):
        self._close_body()
        self.remaining = 0


class _AccountPlace:
    """Stands for a location in error messages about the account."""

    def __init__(self, account):
        self.account = account
        self.safe_uri = location_mod.redact(account.auth_address)


def _merge(groups, container, name, entry):
    """Add a listing ``entry`` to the group of ``container/name``: sizes
    summed, the newest modification time kept."""
    size, modified = groups.get((container, name), (0, 0.0))
    groups[(container, name)] = (size + int(entry.get('bytes', 0)),
                                 max(modified,
                                     _timestamp(entry.get('last_modified'))))


def _timestamp(value):
    """A listing's ``last_modified`` (UTC, ISO 8601 without a zone) as a
    POSIX timestamp; 0 when absent or unreadable."""
    if not value:
        return 0.0
    whole, _, fraction = value.partition('.')
    try:
        seconds = calendar.timegm(time.strptime(whole, '%Y-%m-%dT%H:%M:%S'))
    except ValueError:
        return 0.0
    return seconds + (float('0.' + fraction) if fraction.isdigit() else 0)


def _with_scheme(address):
    address = address.strip()
    if '://' not in address:
        address = 'https://' + address
    return address
