"""The image service: what glance-api does to images' metadata, as named
steps (authorize -> check -> registry call -> store clean-up).

Every function takes the request context and works on registry-shaped
image dicts (see doc/registry-contract.md). Upload and download of image
data live in :mod:`glance_api.upload` / the image data controller.
"""

import copy
import hashlib

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import uuidutils

from glance_api import limits as limits_module
from glance_api import notifier as notifier_module
from glance_api import policy as policy_module
from glance_api import property_protections
from glance_api import staging
from glance_api import url_filter
from glance_registry.common import exception
from glance_store import exceptions as store_exceptions
from glance_store import location as store_location

LOG = logging.getLogger(__name__)

image_opts = [
    cfg.IntOpt('image_property_quota', default=128,
               help='Maximum number of custom properties an image may '
                    'have; negative means unlimited.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Maximum number of tags an image may have; negative '
                    'means unlimited.'),
    cfg.IntOpt('image_location_quota', default=10,
               help='Maximum number of locations an image may have; '
                    'negative means unlimited.'),
    cfg.BoolOpt('show_multiple_locations', default=False,
                help='Show all image locations in image responses and allow '
                     'changing them with PATCH. Exposes store URLs: only '
                     'for trusted deployments.'),
    cfg.BoolOpt('show_image_direct_url', default=False,
                help='Show the first image location as direct_url in image '
                     'responses.'),
    cfg.BoolOpt('delayed_delete', default=False,
                help='Delete image data later: a deleted image becomes '
                     'pending_delete and glance-scrubber removes its data '
                     'after scrub_time.'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Maximum number of members an image may have; '
                    'negative means unlimited.'),
]

# Read by both API versions' request checks (v1 headers, the v2 schema).
format_opts = [
    cfg.ListOpt('disk_formats',
                default=['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw',
                         'qcow2', 'vdi', 'iso', 'ploop', 'gpt'],
                help='Disk formats images may have. "gpt" is a whole-disk '
                     'image with an MBR or GPT partition table.'),
    cfg.ListOpt('container_formats',
                default=['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker',
                         'compressed'],
                help='Container formats images may have.'),
]

CONF = cfg.CONF
CONF.register_opts(image_opts)
CONF.register_opts(format_opts, group='image_format')

# Attributes a request may change with PATCH (the registry's columns).
MUTABLE_ATTRIBUTES = ('name', 'visibility', 'protected', 'os_hidden',
                      'owner', 'container_format', 'disk_format', 'min_ram',
                      'min_disk')
# Attributes that exist on every image; removing them is refused.
BASE_ATTRIBUTES = MUTABLE_ATTRIBUTES + (
    'id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
    'virtual_size', 'created_at', 'updated_at', 'tags', 'locations')
# Only changeable while the image has no data, as upstream.
FORMAT_ATTRIBUTES = ('container_format', 'disk_format')
MAX_PROPERTY_KEY_LENGTH = 255
MAX_TAG_LENGTH = 255
LOCATION_STATUSES = ('queued', 'active')


def list_opts():
    return image_opts


def list_format_opts():
    return format_opts


# -- named checks --------------------------------------------------------

def check_valid_id(image_id):
    """A malformed id names no image: 404, not an error of the server."""
    if not uuidutils.is_uuid_like(image_id):
        raise exception.ImageNotFound(image_id=image_id)


def check_can_modify(context, image):
    """Only the owner or an administrator changes an image."""
    if context.is_admin or (image.get('owner') is not None and
                            image.get('owner') == context.owner):
        return
    raise exception.Forbidden('You are not permitted to modify image %s.'
                              % image['id'])


def check_owner(context, owner):
    if owner is not None and owner != context.owner and not context.is_admin:
        raise exception.Forbidden('You are not permitted to set the owner of '
                                  'an image to %r.' % owner)


def check_property_names(properties):
    """Names of new custom properties: not reserved, 1 to 255 characters
    (the column's size; an empty name cannot be named by a PATCH path) and
    no NUL character (which PostgreSQL cannot store)."""
    for name in properties:
        if name.startswith('os_glance'):
            raise exception.Forbidden("Attribute '%s' is reserved." % name)
        if not name or '\x00' in name:
            raise exception.Invalid(
                reason='a property name must be non-empty, without NUL '
                       'characters')
        if len(name) > MAX_PROPERTY_KEY_LENGTH:
            raise exception.Invalid(
                reason='property name %s... is longer than %d characters'
                       % (name[:20], MAX_PROPERTY_KEY_LENGTH))


def check_reserved_unchanged(old, new):
    """The os_glance_* properties an import sets are the service's: users
    may neither change nor remove them."""
    for name in set(old) | set(new):
        if name.startswith('os_glance') and old.get(name) != new.get(name):
            raise exception.Forbidden("Attribute '%s' is reserved." % name)


def check_tags(tags):
    """Tags: 1 to 255 characters (as upstream's schema and column; an
    empty tag cannot be named by /tags/{tag}) and no NUL character."""
    for tag in tags:
        if not tag or '\x00' in tag:
            raise exception.InvalidRequest(
                reason='a tag must be non-empty, without NUL characters')
        if len(tag) > MAX_TAG_LENGTH:
            raise exception.InvalidRequest(
                reason='a tag is at most %d characters' % MAX_TAG_LENGTH)


def check_quotas(conf, properties, tags, locations=()):
    for what, count, limit in (
            ('image_property_quota', len(properties),
             conf.image_property_quota),
            ('image_tag_quota', len(tags), conf.image_tag_quota),
            ('image_location_quota', len(locations),
             conf.image_location_quota)):
        if 0 <= limit < count:
            raise exception.LimitExceeded(
                'Maximum number of %s exceeded: %d (limit %d)'
                % (what.replace('image_', '').replace('_quota', 's'),
                   count, limit), limit_name=what, limit=limit)


# -- patch application (pure) -------------------------------------------

def _set(image, name, value, json_schema_version):
    if name in BASE_ATTRIBUTES:
        if name == 'tags':
            image['tags'] = sorted(set(value))
        else:
            image[name] = value
    else:
        image['properties'][name] = value


def apply_changes(image, changes):
    """A copy of ``image`` with the parsed JSON patch ``changes`` applied.

    Follows upstream: ``add`` of an existing attribute replaces it (409 with
    the v2.0 media type), ``replace`` of a missing property and ``remove``
    of a missing property are 409, removing a base attribute is 403.
    Location changes are applied by :func:`apply_location_change`.
    """
    image = copy.deepcopy(image)
    image.setdefault('properties', {})
    image.setdefault('tags', [])
    for change in changes:
        name = change['path'][0]
        op = change['op']
        if name == 'locations':
            apply_location_change(image, change)
            continue
        exists = name in BASE_ATTRIBUTES or name in image['properties']
        if op == 'add':
            if exists and change['json_schema_version'] == 4:
                raise exception.Conflict('Property %s already present.'
                                         % name)
            _set(image, name, change['value'], change['json_schema_version'])
        elif op == 'replace':
            if not exists:
                raise exception.Conflict('Property %s does not exist.'
                                         % name)
            _set(image, name, change['value'], change['json_schema_version'])
        elif name in BASE_ATTRIBUTES:
            raise exception.Forbidden('Property %s may not be removed.'
                                      % name)
        elif name in image['properties']:
            del image['properties'][name]
        else:
            raise exception.Conflict('Property %s does not exist.' % name)
    return image


# What validation_data of a location may give.
VALIDATION_KEYS = ('checksum', 'os_hash_algo', 'os_hash_value')


def _location_entry(value):
    """A location of a JSON patch: url, metadata and, when given, the
    validation_data its image's hashes are set (or checked) from."""
    entry = {'url': value['url'], 'metadata': value.get('metadata', {})}
    if value.get('validation_data') is not None:
        entry['validation_data'] = value['validation_data']
    return entry


def location_validation_values(image, locations, hashing_algorithm):
    """The hashes the ``validation_data`` of a patch's ``locations`` set
    on ``image``, as upstream decides them: values equal to the image's
    are fine; a different value where the image has one, values that
    disagree, new values for an image that is not queued, or values that
    are malformed (not hex, wrong size, another os_hash_algo than
    ``hashing_algorithm``) are 409."""
    given = {}
    for location in locations:
        data = location.get('validation_data')
        if data is None:
            continue
        if not isinstance(data, dict) or set(data) - set(VALIDATION_KEYS):
            raise exception.InvalidRequest(
                reason='validation_data takes only %s'
                       % ', '.join(VALIDATION_KEYS))
        for key, value in data.items():
            if given.get(key, value) != value:
                raise exception.Conflict(
                    'Conflicting values for %s in validation_data' % key)
            given[key] = value
    new = {key: value for key, value in given.items()
           if value != image.get(key)}
    for key in new:
        if image.get(key):
            raise exception.Conflict(
                '%s is already set with a different value' % key)
    if not new:
        return {}
    if image['status'] != 'queued':
        raise exception.Conflict(
            'New values for %s may be given only while the image is queued'
            % ', '.join(sorted(new)))
    checksum = new.get('checksum')
    if checksum is not None and not _is_hex(checksum, 16):
        raise exception.Conflict(
            'checksum %r is not 32 hex digits (md5)' % (checksum,))
    algo = new.get('os_hash_algo', image.get('os_hash_algo'))
    if algo != hashing_algorithm:
        raise exception.Conflict('os_hash_algo must be %s, not %s'
                                 % (hashing_algorithm, algo))
    value = new.get('os_hash_value')
    size = hashlib.new(algo).digest_size
    if value is not None and not _is_hex(value, size):
        raise exception.Conflict('os_hash_value %r is not %d hex digits of '
                                 '%s' % (value, size * 2, algo))
    return new


def _is_hex(value, size):
    """``value`` is ``size`` bytes written as hex digits (and nothing
    else: bytes.fromhex alone would let spaces through)."""
    try:
        return (isinstance(value, str) and len(value) == size * 2
                and len(bytes.fromhex(value)) == size)
    except ValueError:
        return False


def apply_location_change(image, change):
    """Apply one change of ``/locations`` to ``image['locations']``."""
    locations = image.setdefault('locations', [])
    path = change['path']
    op = change['op']
    if op == 'replace':
        if len(path) != 1:
            raise exception.InvalidRequest(
                reason='replace applies to /locations as a whole')
        new = [_location_entry(loc) for loc in change['value']]
        old_urls = sorted(loc['url'] for loc in locations)
        if locations and sorted(loc['url'] for loc in new) != old_urls:
            # 400 as upstream answers it (a bad request, not a policy).
            raise exception.InvalidRequest(
                reason='the locations of an image with data may only be '
                       'reordered, not replaced or removed (remove one '
                       'with a remove operation)')
        image['locations'] = new
        image['_locations_changed'] = True
        return
    if len(path) != 2:
        raise exception.InvalidRequest(
            reason='%s applies to /locations/<index>' % op)
    index = len(locations) if path[1] == '-' else int(path[1])
    if op == 'add':
        if index > len(locations):
            raise exception.InvalidRequest(
                reason='location index %d out of range' % index)
        locations.insert(index, _location_entry(change['value']))
    else:
        if index >= len(locations):
            raise exception.InvalidRequest(
                reason='location index %d out of range' % index)
        if len(locations) == 1:
            raise exception.Forbidden('Cannot remove last location in the '
                                      'image.')
        del locations[index]
    image['_locations_changed'] = True


# -- the service ---------------------------------------------------------

class ImageService:
    """Image metadata operations of glance-api.

    Each operation reads as its steps: read the image -> enforce the
    policy rule -> ownership/state checks -> property protections ->
    quotas (and unified limits) -> one registry write -> store clean-up.
    """

    def __init__(self, registry, stores, conf=CONF, policy=None,
                 protections=None, notifier=None):
        self.registry = registry
        self.stores = stores
        self.conf = conf
        self.policy = policy or policy_module.get_enforcer(conf)
        self.notifier = notifier or notifier_module.get_notifier(conf)
        self.limits = limits_module.Limits(registry, conf)
        if protections is None:
            protections = property_protections.PropertyProtections.from_conf(
                conf, self.policy)
        self.protections = protections
        self.staging = staging.StagingArea(conf)

    # -- reads -----------------------------------------------------------

    def readable(self, context, image):
        """``image`` as ``context`` may read it: properties it may not read
        removed, locations only with get_image_location."""
        image = dict(image)
        if self.protections is not None:
            image['properties'] = self.protections.readable(
                context, image.get('properties') or {})
        if image.get('locations') and (
                self.conf.show_multiple_locations or
                self.conf.show_image_direct_url) and not self.policy.check(
                    context, 'get_image_location',
                    policy_module.target_of(image)):
            image['locations'] = []
        return image

    def get(self, context, image_id):
        """The image as the registry has it (visibility applies)."""
        check_valid_id(image_id)
        return self.registry.image_get(context, image_id=image_id)

    def get_for_change(self, context, image_id, rule='modify_image'):
        """The image, once policy ``rule`` allows the change and the caller
        owns the image (or is an administrator)."""
        image = self.get(context, image_id)
        self.policy.enforce(context, rule, image)
        check_can_modify(context, image)
        return image

    def show(self, context, image_id):
        image = self.get(context, image_id)
        self.policy.enforce(context, 'get_image', image)
        return self.readable(context, image)

    def list(self, context, filters, marker=None, limit=None,
             sort_key=None, sort_dir=None, member_status='accepted',
             **classic):
        """One page of images and the marker of the next page (or None).

        One more image than asked is fetched to know whether a next page
        exists, so the last page has no ``next`` link. ``classic`` holds
        Image API v1's ``is_public``/``admin_as_user`` (see
        :func:`glance_api.v1.images.list_params`).
        """
        self.policy.enforce(context, 'get_images')
        images = self.registry.image_get_all(
            context, filters=filters, marker=marker, limit=limit + 1,
            sort_key=sort_key, sort_dir=sort_dir,
            member_status=member_status, **classic)
        next_marker = None
        if len(images) > limit:
            images = images[:limit]
            if images:
                next_marker = images[-1]['id']
        return [self.readable(context, i) for i in images], next_marker

    # -- writes ----------------------------------------------------------

    def check_visibility(self, context, visibility, image=None):
        """public needs publicize_image, community communitize_image."""
        if visibility == 'public':
            self.policy.enforce(context, 'publicize_image', image)
        elif visibility == 'community':
            self.policy.enforce(context, 'communitize_image', image)

    def create(self, context, attributes, properties, tags):
        """Register a new queued image in one registry call."""
        self.policy.enforce(context, 'add_image', target={
            'project_id': context.project_id,
            'owner': attributes.get('owner') or context.owner})
        check_owner(context, attributes.get('owner'))
        self.check_visibility(context, attributes.get('visibility'))
        check_property_names(properties)
        if self.protections is not None:
            self.protections.check_changes(context, {}, properties)
        tags = sorted(set(tags))
        check_tags(tags)
        check_quotas(self.conf, properties, tags)
        values = dict(attributes)
        values.setdefault('owner', context.owner)
        self.limits.enforce_image_create(context, values['owner'])
        values['status'] = 'queued'
        values['properties'] = properties
        values['tags'] = tags
        image = self.registry.image_create(context, values=values)
        self.notifier.image(context, 'image.create', image)
        return self.readable(context, image)

    def update(self, context, image_id, changes):
        """Apply a JSON patch: read -> authorize -> apply -> check -> write.

        The patch applies to the image as the caller reads it; properties
        it may not read are kept as they are. A format change is written
        with ``from_state='queued'`` so it cannot race an upload that makes
        the image active.
        """
        stored = self.get_for_change(context, image_id)
        self._authorize_location_changes(context, stored, changes)
        image = self.readable(context, stored)
        new = apply_changes(image, changes)
        values = {name: new[name] for name in MUTABLE_ATTRIBUTES
                  if new.get(name) != image.get(name)}
        from_state = self._check_attribute_changes(context, stored, values)
        self._check_property_and_tag_changes(context, image, new)
        hidden = {name: value for name, value in
                  (stored.get('properties') or {}).items()
                  if name not in image['properties']}
        properties = dict(hidden, **new['properties'])
        check_quotas(self.conf, properties, new['tags'],
                     new.get('locations') or ())
        if new.pop('_locations_changed', False):
            from_state = self._location_values(
                context, image, new, values) or from_state
        # Only the properties the patch changes are written, so a
        # concurrent change of another one (an import dropping its lock,
        # another PATCH) is kept.
        old = stored.get('properties') or {}
        changed = {name: value for name, value in properties.items()
                   if name not in old or old[name] != value}
        removed = sorted(set(old) - set(properties))
        if changed:
            values['properties'] = changed
        if new['tags'] != image.get('tags', []):
            values['tags'] = new['tags']
        if values or removed:
            stored = self._write_update(context, image_id, values, False,
                                        from_state, removed)
        return self.readable(context, stored)

    def _authorize_location_changes(self, context, image, changes):
        """Locations change only where they are shown, each change by its
        policy rule."""
        location_changes = [c for c in changes
                            if c['path'][0] == 'locations']
        if location_changes and not self.conf.show_multiple_locations:
            raise exception.Forbidden(
                'It is not allowed to change locations when locations are '
                'not shown (show_multiple_locations is off).')
        for change in location_changes:
            rule = ('delete_image_location' if change['op'] == 'remove'
                    else 'set_image_location')
            self.policy.enforce(context, rule, image)

    def _check_attribute_changes(self, context, image, values):
        """Check changed columns ``values``; return the status the write
        must find (``queued`` for a format change), or None."""
        if 'visibility' in values:
            self.check_visibility(context, values['visibility'], image)
        if 'owner' in values:
            check_owner(context, values['owner'])
        from_state = None
        for name in FORMAT_ATTRIBUTES:
            if name not in values:
                continue
            if image['status'] != 'queued':
                raise exception.Forbidden(
                    'Attribute %s can be only replaced for a queued image.'
                    % name)
            from_state = 'queued'
        return from_state

    def _check_property_and_tag_changes(self, context, image, new):
        """New property names and tags are valid; property protections
        allow the change from ``image`` to ``new``."""
        check_property_names(set(new['properties']) -
                             set(image.get('properties', {})))
        check_reserved_unchanged(image.get('properties') or {},
                                 new['properties'])
        check_tags(set(new['tags']) - set(image.get('tags') or []))
        if self.protections is not None:
            self.protections.check_changes(context, image['properties'],
                                           new['properties'])

    def update_attributes(self, context, image, values, properties=None,
                          purge_props=False, from_state=None):
        """Image API v1's update of ``image`` (from
        :meth:`get_for_change`): registry ``values`` and custom
        ``properties``, merged into the image's or, with ``purge_props``,
        replacing them; checked as :meth:`update` checks a JSON patch."""
        values = dict(values)
        if 'owner' in values:
            check_owner(context, values['owner'])
        if 'visibility' in values:
            self.check_visibility(context, values['visibility'], image)
        properties = properties or {}
        if properties or purge_props:
            old = image.get('properties') or {}
            merged = properties if purge_props else dict(old, **properties)
            check_property_names(set(properties) - set(old))
            if self.protections is not None:
                self.protections.check_changes(context, old, merged)
            check_quotas(self.conf, merged, image.get('tags') or [])
            values['properties'] = properties
        if not values:
            return image
        return self._write_update(context, image['id'], values, purge_props,
                                  from_state)

    def _write_update(self, context, image_id, values, purge_props,
                      from_state, remove_properties=None):
        """One registry call, one transaction: columns, properties, tags
        and locations change together or not at all; then image.update."""
        extra = {'remove_properties': remove_properties} \
            if remove_properties else {}
        image = self.registry.image_update(
            context, image_id=image_id, values=values,
            purge_props=purge_props, from_state=from_state, **extra)
        self.notifier.image(context, 'image.update', image)
        return image

    def _location_values(self, context, image, new, values):
        """Values for a change of locations, each new one checked
        (:meth:`check_new_location`); adding the first location of a queued
        image makes it active with the size the store reports."""
        if image['status'] not in LOCATION_STATUSES:
            raise exception.Conflict(
                reason='Cannot change locations of an image in status %s'
                % image['status'])
        known = {loc['url'] for loc in image.get('locations') or []}
        size = image.get('size')
        for location in new['locations']:
            if location['url'] not in known:
                size = self.check_new_location(context, location['url'],
                                               image['id'])
        # (hashing_algorithm is glance_api.upload's option, registered by
        # the uploader the server builds beside this service.)
        values.update(location_validation_values(
            image, new['locations'],
            getattr(self.conf, 'hashing_algorithm', 'sha512')))
        values['locations'] = [
            {'url': loc['url'],
             'metadata': self.location_metadata(loc['url'],
                                                loc.get('metadata')),
             'status': 'active'} for loc in new['locations']]
        if image['status'] == 'queued' and new['locations']:
            values['status'] = 'active'
            values['size'] = size
            return 'queued'
        return None

    def location_metadata(self, url, metadata=None):
        """``metadata`` of a location with ``store`` set to the id of the
        store holding ``url`` (as upstream records it), whatever the
        request said."""
        metadata = dict(metadata or {})
        store = self.stores.store_of(url)
        if store is not None:
            metadata['store'] = store
        return metadata

    def check_new_location(self, context, url, image_id=None):
        """Check a location handed in through the API for ``image_id``;
        return the size of its data.

        A location names data of its own, never data a store keeps for an
        image (400: it would let this image read, and on delete remove,
        another's data; even administrators), but for the place a store
        keeps ``image_id``'s own data (a copy made there). ``file://``
        reads the server's disk: administrators only (403). A URL another image
        already records is refused by the registry when it is written.
        """
        try:
            location = store_location.parse(url)
        except store_exceptions.StoreError as e:
            raise exception.InvalidRequest(
                reason='the location %s is not usable: %s'
                % (store_location.redact(url), e))
        if location.scheme == 'file' and not context.is_admin:
            raise exception.Forbidden(
                'Only administrators may give a file:// location.')
        if self.stores.manages(location.uri, image_id):
            raise exception.InvalidRequest(
                reason='the location %s points into the data a store of '
                       'this service keeps for images; a location must '
                       'name data of its own' % location.safe_uri)
        return self.check_location(url)

    def check_location(self, url):
        """The size of the data at ``url``: 400 unless a known store can
        read it (URLRefused when the url filter refuses it; one message for
        every other failure, see url_filter.unreadable)."""
        try:
            return self.stores.get_size(url)
        except store_exceptions.UnknownScheme:
            raise exception.InvalidRequest(
                reason='no known store handles the location %s' % url)
        except (store_exceptions.StoreError, ValueError) as e:
            raise url_filter.unreadable(url, e)

    def delete(self, context, image_id):
        """Delete an image: its data now, or, with ``delayed_delete``, by
        the scrubber later (status ``pending_delete``, data kept).

        Data another image also records (rows from before one URL could
        belong to one image only) is kept; the registry says which. Data
        goes first: if a store fails (or the data is in use, e.g. an RBD
        clone) the image stays listed and the delete can be retried,
        instead of leaving data no record points to.
        """
        image = self.get_for_change(context, image_id, 'delete_image')
        if image.get('protected'):
            raise exception.ProtectedImageDelete(image_id=image_id)
        if image['status'] in ('deleted', 'pending_delete'):
            raise exception.ImageNotFound(image_id=image_id)
        if self.conf.delayed_delete and image.get('locations'):
            status = 'pending_delete'
        else:
            status = 'deleted'
            self.delete_unreferenced_data(context, image_id,
                                          image.get('locations') or [])
        # Staged import data on this host (the v2 controller sends the
        # delete of an image staged elsewhere to that worker).
        self.staging.discard(image_id)
        deleted = self.registry.image_destroy(context, image_id=image_id,
                                              status=status)
        self.notifier.image(context, 'image.delete', deleted)

    def delete_from_store(self, context, store_id, image_id):
        """Remove one store's copy of an image: its data (unless another
        image also records it, as in :meth:`delete`), then its location.
        The last location of an image is never removed this way (delete
        the image instead)."""
        image = self.get_for_change(context, image_id,
                                    'delete_image_from_store')
        if store_id not in self.stores.names:
            raise exception.NotFound('Store %s is not enabled.' % store_id)
        if image['status'] != 'active':
            raise exception.Conflict(
                'Image data can be removed from a store only while the '
                'image is active; image %s is %s.'
                % (image_id, image['status']))
        locations = image.get('locations') or []
        doomed = [loc for loc in locations
                  if self.store_of_location(loc) == store_id]
        if not doomed:
            raise exception.NotFound('Image %s has no data in store %s.'
                                     % (image_id, store_id))
        kept = [loc for loc in locations if loc not in doomed]
        if not kept:
            raise exception.Conflict(
                'Store %s holds the only copy of image %s; delete the image '
                'instead.' % (store_id, image_id))
        self.delete_unreferenced_data(context, image_id, doomed)
        self.registry.image_update(
            context, image_id=image_id, from_state='active',
            values={'locations': [
                {'url': loc['url'], 'metadata': loc.get('metadata') or {},
                 'status': loc.get('status', 'active')} for loc in kept]})

    def store_of_location(self, location):
        """The store id a location records, else the store that reads its
        URL (locations added before stores were recorded)."""
        return ((location.get('metadata') or {}).get('store') or
                self.stores.store_of(location['url']))

    def delete_unreferenced_data(self, context, image_id, locations):
        """Delete the data of ``locations`` of the image, but for the URLs
        another image also records (the registry decides; see
        image_location_referenced_elsewhere for why the answer holds until
        the records go) and data outside the stores' own space (an
        administrator's file, a web server), which is never ours to
        delete."""
        if not locations:
            return
        shared = set(self.registry.image_location_referenced_elsewhere(
            context, image_id=image_id))
        for location in locations:
            safe_url = store_location.redact(location['url'])
            if location['url'] in shared:
                LOG.warning('Kept the data of image %s at %s: another image '
                            'records that location', image_id, safe_url)
            elif not self.stores.manages(location['url']):
                LOG.info('Kept the data of image %s at %s: it lies outside '
                         'the stores', image_id, safe_url)
            else:
                self.delete_data(location['url'], image_id)

    def delete_data(self, url, image_id):
        try:
            self.stores.delete(url)
        except store_exceptions.NotFound:
            LOG.info('Data of image %s was already gone from %s',
                     image_id, url)
        except store_exceptions.StoreDeleteNotSupported:
            LOG.info('Data of image %s is kept in read-only store at %s',
                     image_id, url)

    # -- actions ---------------------------------------------------------

    def deactivate(self, context, image_id):
        """active -> deactivated (a no-op when already deactivated)."""
        image = self.get_for_change(context, image_id, 'deactivate')
        self._change_status(context, image, 'active', 'deactivated')

    def reactivate(self, context, image_id):
        """deactivated -> active (a no-op when already active)."""
        image = self.get_for_change(context, image_id, 'reactivate')
        self._change_status(context, image, 'deactivated', 'active')

    def _change_status(self, context, image, from_state, to_state):
        if image['status'] == to_state:
            return
        if image['status'] != from_state:
            raise exception.Forbidden(
                'Not allowed to %s image in status %s.'
                % ('deactivate' if to_state == 'deactivated'
                   else 'reactivate', image['status']))
        image = self.registry.image_update(context, image_id=image['id'],
                                           values={'status': to_state},
                                           from_state=from_state)
        self.notifier.image(context, 'image.update', image)

    # -- tags ------------------------------------------------------------

    def add_tag(self, context, image_id, tag):
        image = self.get_for_change(context, image_id)
        check_tags([tag])
        tags = set(image.get('tags') or [])
        if tag in tags:
            return
        check_quotas(self.conf, {}, tags | {tag})
        self.registry.image_tag_create(context, image_id=image_id,
                                       value=tag)
        self.notifier.image(context, 'image.update',
                            dict(image, tags=sorted(tags | {tag})))

    def delete_tag(self, context, image_id, tag):
        image = self.get_for_change(context, image_id)
        self.registry.image_tag_delete(context, image_id=image_id,
                                       value=tag)
        tags = set(image.get('tags') or []) - {tag}
        self.notifier.image(context, 'image.update',
                            dict(image, tags=sorted(tags)))
