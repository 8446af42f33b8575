"""The registry's database API: every operation of glance_registry.contract.

Flat functions ``image_*(context, ...)``. Each public function opens its own
transaction (with deadlock retry on writes and oslo.db errors turned into
our exception classes) and calls a private twin that takes the session, so
several steps compose in one transaction. Results are plain dicts in the
shapes of doc/registry-contract.md; datetimes are left as datetime objects
for the dispatcher to serialize.

Which images a caller may see is decided in one place,
:func:`_visibility_condition`.
"""

import contextlib
import hashlib

from oslo_log import log as logging
from oslo_utils import strutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from glance_registry.common import exception
from glance_registry.db import cache
from glance_registry.db import engine
from glance_registry.db import leases
from glance_registry.db import metadef
from glance_registry.db import models
from glance_registry.db.paging import as_list as _as_list
from glance_registry.db.paging import check_limit as _check_limit
from glance_registry.db.paging import normalize_sort
from glance_registry.db.paging import paginate as _paginate
# The metadata definition operations live in their own module; they are
# part of this API (the dispatcher looks every operation up here).
from glance_registry.db.metadef import (  # noqa: F401
    metadef_namespace_create,
    metadef_namespace_get,
    metadef_namespace_get_all,
    metadef_namespace_update,
    metadef_namespace_delete,
    metadef_object_create,
    metadef_object_get,
    metadef_object_get_all,
    metadef_object_update,
    metadef_object_delete,
    metadef_object_delete_namespace_content,
    metadef_property_create,
    metadef_property_get,
    metadef_property_get_all,
    metadef_property_update,
    metadef_property_delete,
    metadef_property_delete_namespace_content,
    metadef_tag_create,
    metadef_tag_create_tags,
    metadef_tag_get,
    metadef_tag_get_all,
    metadef_tag_update,
    metadef_tag_delete,
    metadef_tag_delete_namespace_content,
    metadef_resource_type_create,
    metadef_resource_type_get,
    metadef_resource_type_get_all,
    metadef_resource_type_delete,
    metadef_resource_type_association_create,
    metadef_resource_type_association_get,
    metadef_resource_type_association_get_by_namespace,
    metadef_resource_type_association_delete,
)
# So do the image cache's records (glance_registry.db.cache).
from glance_registry.db.cache import (  # noqa: F401
    cached_image_create,
    cached_image_hit,
    cached_image_get_all,
    cached_image_delete,
    cached_image_delete_all,
)

# So are the upload lease operations.
from glance_registry.db.leases import (  # noqa: F401,E402
    image_lease_acquire,
    image_lease_renew,
    image_lease_release,
    image_lease_get_all,
    image_lease_expire,
    task_lease_expire,
)

LOG = logging.getLogger(__name__)

list_opts = engine.list_opts
read_operation = engine.read_operation
write_operation = engine.write_operation

Image = models.Image
ImageProperty = models.ImageProperty
ImageTag = models.ImageTag
ImageLocation = models.ImageLocation
ImageMember = models.ImageMember
Task = models.Task
TaskInfo = models.TaskInfo

IMAGE_COLUMNS = tuple(c.name for c in Image.__table__.columns)
DATETIME_KEYS = frozenset(('created_at', 'updated_at', 'deleted_at',
                           'expires_at', 'lease_expires_at'))
IN_FILTERS = ('name', 'status', 'disk_format', 'container_format', 'id',
              'owner')
EQ_FILTERS = ('checksum', 'os_hash_value')
BOOL_FILTERS = ('protected', 'os_hidden', 'deleted')
DATE_FILTERS = ('created_at', 'updated_at')
IMAGE_FILTERS = frozenset(
    IN_FILTERS + EQ_FILTERS + BOOL_FILTERS + DATE_FILTERS + (
        'visibility', 'tags', 'size_min', 'size_max', 'changes-since',
        'properties'))
DATE_OPERATORS = {
    'gt': lambda col, v: col > v, 'gte': lambda col, v: col >= v,
    'lt': lambda col, v: col < v, 'lte': lambda col, v: col <= v,
    'eq': lambda col, v: col == v, 'neq': lambda col, v: col != v,
}


def _image_sort_expression(key):
    """The value images are ordered by for ``key``.

    NULLs sort differently on each engine, so nullable columns are ordered
    by a coalesced value; the keyset (marker) comparison uses the same
    expression, which keeps pages consistent everywhere.
    """
    column = Image.__table__.c
    return {
        'id': column.id,
        'name': sa.func.coalesce(column.name, ''),
        'status': column.status,
        'disk_format': sa.func.coalesce(column.disk_format, ''),
        'container_format': sa.func.coalesce(column.container_format, ''),
        'size': sa.func.coalesce(column.size, -1),
        'virtual_size': sa.func.coalesce(column.virtual_size, -1),
        'min_disk': column.min_disk,
        'min_ram': column.min_ram,
        'owner': sa.func.coalesce(column.owner, ''),
        'visibility': sa.cast(column.visibility, sa.String(16)),
        'protected': column.protected,
        'created_at': column.created_at,
        'updated_at': sa.func.coalesce(column.updated_at, column.created_at),
    }.get(key)


IMAGE_SORT_KEYS = ('id', 'name', 'status', 'disk_format', 'container_format',
                   'size', 'virtual_size', 'min_disk', 'min_ram', 'owner',
                   'visibility', 'protected', 'created_at', 'updated_at')


# Helpers ------------------------------------------------------------------

def _now():
    return timeutils.utcnow()


def _to_datetime(value, what):
    if value is None or not isinstance(value, str):
        return value
    try:
        return _utc_time(value)
    except ValueError:
        raise exception.Invalid(reason='%s is not an ISO 8601 time: %r'
                                % (what, value)) from None


def _utc_time(value):
    """The naive UTC datetime of an ISO 8601 string; ValueError when it
    is not one or its UTC time is outside the years 1-9999
    (9999-12-31T23:59:59-23:00 is)."""
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value))
    except OverflowError as e:
        raise ValueError(str(e)) from None


def _parse_datetimes(values):
    for key in DATETIME_KEYS & set(values):
        values[key] = _to_datetime(values[key], key)
    return values


def _is_admin(context):
    return context is None or bool(getattr(context, 'is_admin', False))


def _project(context):
    if context is None:
        return None
    owner = getattr(context, 'owner', None)
    return owner if owner is not None else getattr(context, 'project_id',
                                                   None)


def _show_deleted(context):
    return bool(context is not None and
                getattr(context, 'show_deleted', False))


# Visibility ---------------------------------------------------------------

def _visibility_condition(context, listing=False, member_status='accepted',
                          visibility=None, admin_as_user=False,
                          bind_project=False):
    """The SQL condition on images for what ``context`` may see.

    Returns None when it may see everything (an admin). For one image
    (``listing`` false): owner, public, community, or shared with the
    caller as a non-deleted member of any status. Lists are narrower:
    community images only for their owner or when ``visibility`` (the
    filter) is community; shared ones only when the caller's membership
    status is ``member_status`` ('all' for any). With ``bind_project`` the
    caller's project is the bound parameter ``project``, not a literal.
    """
    if _is_admin(context) and not admin_as_user:
        return None
    project = _project(context)
    if project is not None and bind_project:
        project = sa.bindparam('project')
    member_query = sa.select(ImageMember.id).where(
        ImageMember.image_id == Image.id,
        ImageMember.deleted == sa.false())
    if project is not None:
        member_query = member_query.where(ImageMember.member == project)
    if listing and member_status != 'all':
        member_query = member_query.where(ImageMember.status == member_status)
    conditions = [Image.visibility == 'public']
    if not listing or visibility == 'community':
        conditions.append(Image.visibility == 'community')
    if project is not None:
        conditions.append(Image.owner == project)
        conditions.append(sa.and_(Image.visibility == 'shared',
                                  member_query.exists()))
    return sa.or_(*conditions)


# Images -------------------------------------------------------------------

def _image_query(context, force_show_deleted=False, bind_project=False):
    query = sa.select(Image)
    condition = _visibility_condition(context, bind_project=bind_project)
    if condition is not None:
        query = query.where(condition)
    if not (force_show_deleted or _show_deleted(context)):
        query = query.where(Image.deleted == sa.false())
    return query


def _image_get(context, session, image_id, force_show_deleted=False):
    """The Image row, if it exists and ``context`` may see it."""
    query = _image_query(context, force_show_deleted).where(
        Image.id == image_id)
    image = session.scalars(query).first()
    if image is None:
        raise exception.ImageNotFound(image_id=image_id)
    return image


def _location_to_dict(location):
    return {'id': location.id, 'url': location.value,
            'metadata': location.meta_data or {},
            'status': location.status}


def _children_query(condition, with_tags=True):
    """Non-deleted locations, properties and (``with_tags``) tags of the
    images ``condition(model)`` selects, as one UNION ALL of rows
    (image_id, kind, name, value, location_id, meta_data, status): kind
    'l' a location, 'p' a property, 't' a tag."""
    def null(type_):
        return sa.type_coerce(sa.null(), type_)

    parts = [
        sa.select(ImageLocation.image_id, sa.literal_column("'l'")
                  .label('kind'), null(sa.String).label('name'),
                  ImageLocation.value.label('value'),
                  ImageLocation.id.label('location_id'),
                  ImageLocation.meta_data.label('meta_data'),
                  ImageLocation.status.label('status'))
        .where(condition(ImageLocation),
               ImageLocation.deleted == sa.false()),
        sa.select(ImageProperty.image_id, sa.literal_column("'p'"),
                  ImageProperty.name, ImageProperty.value, sa.null(),
                  sa.null(), sa.null())
        .where(condition(ImageProperty),
               ImageProperty.deleted == sa.false()),
    ]
    if with_tags:
        parts.append(
            sa.select(ImageTag.image_id, sa.literal_column("'t'"), sa.null(),
                      ImageTag.value, sa.null(), sa.null(), sa.null())
            .where(condition(ImageTag), ImageTag.deleted == sa.false()))
    return sa.union_all(*parts)


def _add_child(children, kind, name, value, location_id, meta_data, status):
    if kind == 'p':
        children['properties'][name] = value
    elif kind == 't':
        children['tags'].append(value)
    elif kind == 'l':
        children['locations'].append(
            {'id': location_id, 'url': value, 'metadata': meta_data or {},
             'status': status})


def _no_children():
    return {'properties': {}, 'tags': [], 'locations': []}


def _image_children(session, image_ids, with_tags=True):
    """Non-deleted properties, tags and locations of ``image_ids``, read
    in one statement."""
    children = {image_id: _no_children() for image_id in image_ids}
    if not image_ids:
        return children
    query = _children_query(lambda model: model.image_id.in_(image_ids),
                            with_tags)
    for image_id, *child in session.execute(query):
        _add_child(children[image_id], *child)
    return children


def _image_columns(image):
    return {name: getattr(image, name) for name in IMAGE_COLUMNS}


def _image_to_dict(values, children, with_tags=True):
    """The registry's image dict: the image's column ``values`` and its
    ``children``."""
    values['properties'] = children['properties']
    if with_tags:
        values['tags'] = sorted(set(children['tags']))
    values['locations'] = sorted(children['locations'],
                                 key=lambda location: location['id'])
    return values


# The children of one image (bound as ``child_image_id``) and the columns
# a show selects from them, built once: building them per call cost more
# CPU than running the statement.
_ONE_IMAGES_CHILDREN = _children_query(
    lambda model: model.image_id == sa.bindparam('child_image_id')
).subquery('children')
_CHILD_COLUMNS = tuple(_ONE_IMAGES_CHILDREN.c[name] for name in (
    'kind', 'name', 'value', 'location_id', 'meta_data', 'status'))
_IMAGE_AND_CHILDREN = Image.__table__.outerjoin(_ONE_IMAGES_CHILDREN,
                                                sa.true())


# A show's statement for each kind of caller, built once. A statement
# object run again keeps its cache key (building the key walked the whole
# statement, the union of children included, on every show); run on the
# connection, its rows come back without the ORM's loading.
_IMAGE_GET_STATEMENTS = {}


def _image_get_statement(context, force_show_deleted):
    shape = (_is_admin(context), _project(context) is None,
             bool(force_show_deleted or _show_deleted(context)))
    statement = _IMAGE_GET_STATEMENTS.get(shape)
    if statement is None:
        statement = _image_query(
            context, force_show_deleted, bind_project=True
        ).with_only_columns(
            *Image.__table__.columns, *_CHILD_COLUMNS
        ).select_from(_IMAGE_AND_CHILDREN).where(
            Image.id == sa.bindparam('image_id'))
        _IMAGE_GET_STATEMENTS[shape] = statement
    return statement


def _image_get_dict(context, session, image_id, force_show_deleted=False):
    """The image dict with its properties, tags and locations, if it
    exists and ``context`` may see it: one statement, the image row
    outer-joined to its children (one result row per child)."""
    statement = _image_get_statement(context, force_show_deleted)
    rows = session.connection().execute(statement, {
        'image_id': image_id, 'child_image_id': image_id,
        'project': _project(context)}).all()
    if not rows:
        raise exception.ImageNotFound(image_id=image_id)
    found = _no_children()
    width = len(IMAGE_COLUMNS)
    for row in rows:
        _add_child(found, *row[width:])
    return _image_to_dict(dict(zip(IMAGE_COLUMNS, rows[0][:width])), found)


def _check_image_values(values):
    unknown = set(values) - set(IMAGE_COLUMNS)
    if unknown:
        raise exception.Invalid(reason='unknown image attribute(s): %s'
                                % ', '.join(sorted(unknown)))
    visibility = values.get('visibility')
    if 'visibility' in values and visibility not in models.VISIBILITIES:
        raise exception.Invalid(reason='visibility must be one of %s, not %r'
                                % (', '.join(models.VISIBILITIES),
                                   visibility))
    if 'status' in values and not values['status']:
        raise exception.Invalid(reason='status cannot be empty')
    return _parse_datetimes(values)


def _property_value(value):
    """A property's value as stored: text, or None."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _set_properties(session, image_id, properties, purge, now):
    """Upsert ``properties``; with ``purge`` soft-delete the others."""
    existing = {p.name: p for p in session.scalars(
        sa.select(ImageProperty).where(ImageProperty.image_id == image_id))}
    for name, value in properties.items():
        value = _property_value(value)
        row = existing.get(name)
        if row is None:
            session.add(ImageProperty(image_id=image_id, name=name,
                                      value=value, created_at=now,
                                      updated_at=now, deleted=False))
        elif row.deleted or row.value != value:
            # The unique key (image_id, name) spans deleted rows: revive.
            row.value = value
            row.deleted = False
            row.deleted_at = None
            row.updated_at = now
    if purge:
        for name, row in existing.items():
            if name not in properties and not row.deleted:
                row.deleted = True
                row.deleted_at = now
                row.updated_at = now
    session.flush()


def _swap_properties(session, image_id, expected, properties, remove,
                     now):
    """Compare-and-swap of the properties named in ``expected`` (name ->
    the value it must have, None for absent): each gets its value from
    ``properties``, is deleted if named in ``remove``, or is only checked;
    PropertyConflict when one differs. Then the other names in ``remove``
    are deleted. Returns the properties left to upsert.

    Each step is one conditional UPDATE (or an INSERT the unique key
    guards), so two writers racing for one property cannot both win,
    whatever the database's isolation level."""
    for name, wanted in expected.items():
        match = [ImageProperty.image_id == image_id,
                 ImageProperty.name == name]
        if wanted is None:
            match.append(ImageProperty.deleted == sa.true())
        else:
            match += [ImageProperty.deleted == sa.false(),
                      ImageProperty.value == str(wanted)]
        if name in properties:
            change = {'value': _property_value(properties.pop(name)),
                      'deleted': False, 'deleted_at': None,
                      'updated_at': now}
        elif name in remove:
            change = {'deleted': True, 'deleted_at': now, 'updated_at': now}
        else:
            change = {'value': ImageProperty.value}
        result = session.execute(
            sa.update(ImageProperty).where(*match).values(**change)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            continue
        row = session.execute(sa.select(ImageProperty.id).where(
            *match[:2])).first()
        if wanted is not None or row is not None:
            raise exception.PropertyConflict(image_id=image_id, name=name,
                                             expected=wanted or 'absent')
        if change.get('deleted') is False:
            session.add(ImageProperty(image_id=image_id, name=name,
                                      value=change['value'], created_at=now,
                                      updated_at=now, deleted=False))
            try:
                session.flush()
            except engine.db_exc.DBDuplicateEntry:
                # Another writer inserted it first.
                raise exception.PropertyConflict(
                    image_id=image_id, name=name, expected='absent')
    others = [name for name in remove if name not in expected]
    if others:
        session.execute(
            sa.update(ImageProperty).where(
                ImageProperty.image_id == image_id,
                ImageProperty.name.in_(others),
                ImageProperty.deleted == sa.false())
            .values(deleted=True, deleted_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
    return properties


def _set_tags(session, image_id, tags, now):
    wanted = []
    for tag in tags:
        if tag not in wanted:
            wanted.append(tag)
    current = session.scalars(
        sa.select(ImageTag).where(ImageTag.image_id == image_id,
                                  ImageTag.deleted == sa.false())).all()
    have = set()
    for row in current:
        if row.value in wanted and row.value not in have:
            have.add(row.value)
        else:
            row.deleted = True
            row.deleted_at = now
            row.updated_at = now
    for tag in wanted:
        if tag not in have:
            session.add(ImageTag(image_id=image_id, value=tag,
                                 created_at=now, updated_at=now,
                                 deleted=False))
    session.flush()


def _url_hash(url):
    return hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()


# Data at an http(s) URL is read-only to the service (never written, never
# deleted) and anyone may fetch it, so images may share it as upstream
# allows: a claim protects data a store of the service writes or deletes.
SHARED_URL_SCHEMES = ('http://', 'https://')


def _shared_url(url):
    return url[:8].lower().startswith(SHARED_URL_SCHEMES)


def _claim_url(row):
    """Set the row's ``url_hash`` and its unique ``claim`` on the URL: held
    while the data is in use (not deleted, or pending_delete), released
    once deleted; never for read-only http(s) data. A row recorded twice
    before claims existed keeps no claim until its URL changes (its twin
    holds it)."""
    old_hash = row.url_hash
    row.url_hash = _url_hash(row.value)
    if _shared_url(row.value) or (row.deleted and
                                  row.status != 'pending_delete'):
        row.claim = None
    elif row.claim is not None or old_hash != row.url_hash:
        row.claim = row.url_hash


def _new_location(image_id, location, now):
    if not isinstance(location, dict) or not location.get('url'):
        raise exception.Invalid(reason='a location needs a url')
    if not isinstance(location['url'], str):
        raise exception.Invalid(reason='a location url is a string')
    status = location.get('status') or 'active'
    if status not in models.LOCATION_STATUSES:
        raise exception.Invalid(reason='location status must be one of %s, '
                                'not %r' % (', '.join(
                                    models.LOCATION_STATUSES), status))
    row = ImageLocation(image_id=image_id, value=location['url'],
                        meta_data=location.get('metadata') or {},
                        status=status, created_at=now, updated_at=now,
                        deleted=False)
    _claim_url(row)
    return row


def _soft_delete_location(row, status, now):
    row.deleted = True
    row.deleted_at = now
    row.updated_at = now
    row.status = status
    _claim_url(row)


def _urls_held_elsewhere(session, image_id, urls):
    """Those of ``urls`` that a location of another image records while its
    data is in use (the image not deleted, or pending_delete: restorable).
    Found by ``url_hash``, so rows recorded before claims existed count;
    read-only http(s) URLs are never held."""
    urls = {url for url in urls if not _shared_url(url)}
    if not urls:
        return set()
    rows = session.scalars(
        sa.select(ImageLocation.value).where(
            ImageLocation.url_hash.in_(sorted({_url_hash(u) for u in urls})),
            ImageLocation.image_id != image_id,
            sa.or_(ImageLocation.deleted == sa.false(),
                   ImageLocation.status == 'pending_delete')))
    return urls & set(rows)


def _check_urls_free(session, image_id, urls):
    """Invalid when ``urls`` (an image's new locations) name one URL
    twice; LocationInUse when another image already records one."""
    if len(set(urls)) != len(urls):
        raise exception.Invalid(reason='a location is listed twice')
    if _urls_held_elsewhere(session, image_id, urls):
        raise exception.LocationInUse()


@contextlib.contextmanager
def _claiming():
    """Turn a clash on the unique ``claim`` into LocationInUse: the request
    that lost a race for one URL, after the explicit check passed."""
    try:
        yield
    except engine.db_exc.DBDuplicateEntry:
        raise exception.LocationInUse() from None


def _with_sharing(session, image_id, locations):
    """``locations`` (dicts), each with ``referenced_elsewhere``: whether
    another image still records its URL, so its data must be kept."""
    held = _urls_held_elsewhere(session, image_id,
                                [loc['url'] for loc in locations])
    for location in locations:
        location['referenced_elsewhere'] = location['url'] in held
    return locations


def _set_locations(session, image_id, locations, now, deleted_status):
    """Make ``locations`` the image's locations, keeping rows matched by
    id or url and soft-deleting the rest; refuses a URL another image
    records."""
    urls = [loc['url'] for loc in locations
            if isinstance(loc, dict) and isinstance(loc.get('url'), str)]
    _check_urls_free(session, image_id, urls)
    current = session.scalars(
        sa.select(ImageLocation)
        .where(ImageLocation.image_id == image_id,
               ImageLocation.deleted == sa.false())
        .order_by(ImageLocation.id)).all()
    by_id = {row.id: row for row in current}
    by_url = {row.value: row for row in current}
    kept = set()
    added = []
    for location in locations:
        row = by_id.get(location.get('id')) or by_url.get(location.get('url'))
        if row is not None and row.id not in kept:
            new = _new_location(image_id, location, now)
            row.value = new.value
            row.meta_data = new.meta_data
            row.status = new.status
            row.updated_at = now
            _claim_url(row)
            kept.add(row.id)
        else:
            added.append(_new_location(image_id, location, now))
    for row in current:
        if row.id not in kept:
            _soft_delete_location(row, deleted_status, now)
    # Claims given up are released before new ones are taken.
    session.flush()
    session.add_all(added)
    with _claiming():
        session.flush()


def _image_create(context, session, values):
    values = dict(values)
    properties = values.pop('properties', None) or {}
    tags = values.pop('tags', None) or []
    locations = values.pop('locations', None) or []
    _check_image_values(values)
    now = _now()
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('status', 'queued')
    values.setdefault('visibility', 'shared')
    for key in ('protected', 'os_hidden', 'deleted'):
        if values.get(key) is None:
            values[key] = False
    for key in ('min_disk', 'min_ram'):
        if values.get(key) is None:
            values[key] = 0
    values.setdefault('created_at', now)
    values.setdefault('updated_at', values['created_at'])
    values = dict({name: None for name in IMAGE_COLUMNS}, **values)
    session.add(Image(**values))
    try:
        session.flush()
    except engine.db_exc.DBDuplicateEntry:
        raise exception.Duplicate(
            reason='image %s already exists' % values['id']) from None
    # A new image has no children yet: insert them (one statement per
    # table; a location's row each, for its id) and answer from what was
    # written instead of reading it back.
    image_id = values['id']
    children = _no_children()
    for name, value in properties.items():
        children['properties'][name] = _property_value(value)
    children['tags'] = list(dict.fromkeys(tags))
    for model, rows in (
            (ImageProperty, [{'name': name, 'value': value} for name, value
                             in children['properties'].items()]),
            (ImageTag, [{'value': tag} for tag in children['tags']])):
        if rows:
            session.execute(sa.insert(model), [
                dict(row, image_id=image_id, created_at=now, updated_at=now,
                     deleted=False) for row in rows])
    rows = []
    if locations:
        rows = [_new_location(image_id, loc, now) for loc in locations]
        _check_urls_free(session, image_id, [row.value for row in rows])
        session.add_all(rows)
    with _claiming():
        session.flush()
    children['locations'] = [_location_to_dict(row) for row in rows]
    return _image_to_dict(values, children)


@write_operation
def image_create(context, values):
    """Create an image with its properties, tags and locations."""
    with engine.writer() as session:
        return _image_create(context, session, values)


@read_operation
def image_get(context, image_id, force_show_deleted=False):
    with engine.reader() as session:
        return _image_get_dict(context, session, image_id,
                               force_show_deleted)


def _bool_filter(name, value):
    if isinstance(value, bool):
        return value
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise exception.InvalidFilter(
            reason='%s must be true or false, not %r' % (name, value)
        ) from None


def _int_filter(name, value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exception.InvalidFilter(
            reason='%s must be an integer, not %r' % (name, value)) from None


def _time_filter(name, value):
    try:
        return _utc_time(value)
    except (ValueError, TypeError, AttributeError):
        raise exception.InvalidFilter(
            reason='%s must be an ISO 8601 time, not %r' % (name, value)
        ) from None


def _date_condition(column, name, value):
    """``gt:|gte:|lt:|lte:|eq:|neq:<ISO time>`` (plain time means eq)."""
    operator, sep, when = str(value).partition(':')
    if operator not in DATE_OPERATORS or not sep:
        operator, when = 'eq', value
    return DATE_OPERATORS[operator](column, _time_filter(name, when))


def _in_condition(column, value):
    # A list is the "in:" form for values that themselves hold commas
    # (glance-api sends one for name=in:"a, b",c).
    if isinstance(value, list):
        return column.in_(value)
    if isinstance(value, str) and value.startswith('in:'):
        return column.in_([v for v in value[3:].split(',')])
    if value is None:
        return column.is_(None)
    return column == value


def _filter_conditions(filters, show_deleted):
    """SQL conditions for the ``filters`` of image_get_all."""
    unknown = set(filters) - IMAGE_FILTERS
    if unknown:
        raise exception.InvalidFilter(
            reason='unknown filter(s) %s' % ', '.join(sorted(unknown)))
    conditions = []
    for name in IN_FILTERS:
        if name in filters:
            conditions.append(_in_condition(getattr(Image, name),
                                            filters[name]))
    for name in EQ_FILTERS:
        if name in filters:
            conditions.append(getattr(Image, name) == filters[name])
    visibility = filters.get('visibility')
    if visibility is not None and visibility != 'all':
        if visibility not in models.VISIBILITIES:
            raise exception.InvalidFilter(
                reason='visibility must be one of %s, not %r'
                % (', '.join(models.VISIBILITIES + ('all',)), visibility))
        conditions.append(Image.visibility == visibility)
    if 'protected' in filters:
        conditions.append(Image.protected ==
                          _bool_filter('protected', filters['protected']))
    if filters.get('os_hidden') is not None:
        conditions.append(Image.os_hidden ==
                          _bool_filter('os_hidden', filters['os_hidden']))
    elif 'os_hidden' not in filters:
        conditions.append(Image.os_hidden == sa.false())
    if 'size_min' in filters:
        conditions.append(Image.size >= _int_filter('size_min',
                                                    filters['size_min']))
    if 'size_max' in filters:
        conditions.append(Image.size <= _int_filter('size_max',
                                                    filters['size_max']))
    for name in DATE_FILTERS:
        if name in filters:
            conditions.append(_date_condition(getattr(Image, name), name,
                                              filters[name]))
    for tag in _as_list(filters.get('tags')):
        conditions.append(sa.select(ImageTag.id).where(
            ImageTag.image_id == Image.id, ImageTag.value == tag,
            ImageTag.deleted == sa.false()).exists())
    properties = filters.get('properties') or {}
    if not isinstance(properties, dict):
        raise exception.InvalidFilter(reason='properties must be a dict')
    for name, value in properties.items():
        conditions.append(sa.select(ImageProperty.id).where(
            ImageProperty.image_id == Image.id, ImageProperty.name == name,
            ImageProperty.value == str(value),
            ImageProperty.deleted == sa.false()).exists())
    if 'changes-since' in filters:
        since = _time_filter('changes-since', filters['changes-since'])
        conditions.append(sa.func.coalesce(Image.updated_at,
                                           Image.created_at) > since)
    if 'deleted' in filters:
        conditions.append(Image.deleted ==
                          _bool_filter('deleted', filters['deleted']))
    elif not show_deleted and 'changes-since' not in filters:
        conditions.append(Image.deleted == sa.false())
    return conditions


@read_operation
def image_get_all(context, filters=None, marker=None, limit=None,
                  sort_key=None, sort_dir=None, member_status='accepted',
                  is_public=None, admin_as_user=False, return_tag=True):
    """Images ``context`` may list, filtered, sorted and paged by marker."""
    filters = dict(filters or {})
    limit = _check_limit(limit)
    sort = [(_image_sort_expression(key), direction) for key, direction in
            normalize_sort(sort_key, sort_dir, IMAGE_SORT_KEYS)]
    if member_status not in models.MEMBER_STATUSES + ('all',):
        raise exception.InvalidFilter(
            reason='member_status must be one of pending, accepted, '
                   'rejected, all; not %r' % member_status)
    query = sa.select(Image)
    visible = _visibility_condition(context, listing=True,
                                    member_status=member_status,
                                    visibility=filters.get('visibility'),
                                    admin_as_user=admin_as_user)
    if visible is not None:
        query = query.where(visible)
    query = query.where(*_filter_conditions(filters, _show_deleted(context)))
    if is_public is not None:
        public = _bool_filter('is_public', is_public)
        query = query.where((Image.visibility == 'public') if public
                            else (Image.visibility != 'public'))
    with engine.reader() as session:
        marker_values = None
        if marker is not None:
            row = session.execute(
                sa.select(*[expression for expression, _ in sort])
                .where(Image.id == marker,
                       *_as_list(_visibility_condition(context)))).first()
            if row is None:
                raise exception.InvalidMarker(marker=marker)
            marker_values = list(row)
        query = _paginate(query, sort, marker_values)
        if limit is not None:
            query = query.limit(limit)
        images = session.scalars(query).all()
        children = _image_children(session, [i.id for i in images],
                                   with_tags=return_tag)
        return [_image_to_dict(_image_columns(image), children[image.id],
                               return_tag)
                for image in images]


def _image_update(context, session, image_id, values, purge_props=False,
                  from_state=None, expected_properties=None,
                  remove_properties=None, lease_holder=None):
    values = dict(values)
    properties = values.pop('properties', None)
    expected_properties = expected_properties or {}
    remove_properties = list(remove_properties or ())
    if (expected_properties or remove_properties) and purge_props:
        raise exception.Invalid(reason='purge_props rewrites every '
                                       'property; it does not go with '
                                       'expected_properties or '
                                       'remove_properties')
    if set(remove_properties) & set(properties or {}):
        raise exception.Invalid(reason='a property cannot be both set and '
                                       'removed')
    locations = values.pop('locations', None)
    tags = values.pop('tags', None)
    if values.get('id', image_id) != image_id:
        raise exception.Invalid(reason='an image id cannot change')
    values.pop('id', None)
    _check_image_values(values)
    show_deleted = _show_deleted(context)
    _image_get(context, session, image_id, show_deleted)
    now = _now()
    values['updated_at'] = now
    if lease_holder is not None:
        leases.check_holder(session, image_id, lease_holder, from_state)
    update = sa.update(Image).where(Image.id == image_id)
    if not show_deleted:
        update = update.where(Image.deleted == sa.false())
    if from_state is not None:
        update = update.where(Image.status == from_state)
    # One UPDATE ... WHERE status = from_state decides a racing change.
    result = session.execute(update.values(**values)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        actual = session.execute(sa.select(Image.status).where(
            Image.id == image_id)).scalar()
        if from_state is not None and actual is not None:
            raise exception.InvalidStatusTransition(
                image_id=image_id, actual=actual, expected=from_state,
                new=values.get('status', actual))
        raise exception.ImageNotFound(image_id=image_id)
    if 'status' in values:
        leases.end_lease(session, image_id, values['status'])
    if expected_properties or remove_properties:
        properties = _swap_properties(session, image_id, expected_properties,
                                      dict(properties or {}),
                                      remove_properties, now)
    if properties is not None or purge_props:
        _set_properties(session, image_id, properties or {}, purge_props,
                        now)
    if tags is not None:
        _set_tags(session, image_id, tags, now)
    if locations is not None:
        _set_locations(session, image_id, locations, now, 'deleted')
    # As written, whoever may see it now (the change may have hidden it).
    return _image_get_dict(None, session, image_id, force_show_deleted=True)


@write_operation
def image_update(context, image_id, values, purge_props=False,
                 from_state=None, expected_properties=None,
                 remove_properties=None, lease_holder=None):
    """Update columns, properties, tags, locations; CAS on ``from_state``
    and on ``expected_properties`` ({name: value, or None for absent});
    ``remove_properties`` deletes those properties only; with
    ``lease_holder``, CAS on the upload lease: an upload whose lease was
    healed (and maybe taken by another upload) finishes nothing."""
    with engine.writer() as session:
        return _image_update(context, session, image_id, values,
                             purge_props, from_state, expected_properties,
                             remove_properties, lease_holder)


def _soft_delete_rows(session, model, condition, now, **extra):
    session.execute(
        sa.update(model).where(condition, model.deleted == sa.false())
        .values(deleted=True, deleted_at=now, updated_at=now, **extra)
        .execution_options(synchronize_session=False))


# The statuses a delete may leave an image in.
DELETED_STATUSES = ('deleted', 'pending_delete')


def _image_destroy(context, session, image_id, status=None):
    if status not in (None,) + DELETED_STATUSES:
        raise exception.InvalidParameterValue(
            value=status, param='status',
            extra='one of %s' % ', '.join(DELETED_STATUSES))
    result = _image_get_dict(context, session, image_id)
    if result['protected']:
        raise exception.ProtectedImageDelete(image_id=image_id)
    now = _now()
    status = status or result['status']
    location_status = ('pending_delete' if status == 'pending_delete'
                       else 'deleted')
    # pending_delete locations keep their claim: the data is still there
    # (restorable) until the scrubber removes it.
    _soft_delete_rows(session, ImageLocation,
                      ImageLocation.image_id == image_id, now,
                      status=location_status,
                      **({} if location_status == 'pending_delete'
                         else {'claim': None}))
    for model in (ImageProperty, ImageTag, ImageMember):
        _soft_delete_rows(session, model, model.image_id == image_id, now)
    leases.end_lease(session, image_id)
    _soft_delete_rows(session, Image, Image.id == image_id, now,
                      status=status)
    # No node may serve a deleted image from its cache.
    cache.forget_image(session, image_id)
    result.update(deleted=True, deleted_at=now, updated_at=now,
                  status=status)
    for location in result['locations']:
        location['status'] = location_status
    _with_sharing(session, image_id, result['locations'])
    return result


@write_operation
def image_destroy(context, image_id, status=None):
    """Soft-delete an image and its properties, tags, members, locations,
    setting its ``status`` (deleted or pending_delete) in the same
    transaction when given. Each location of the result says whether its
    data is ``referenced_elsewhere`` (then the caller must not delete
    it)."""
    with engine.writer() as session:
        return _image_destroy(context, session, image_id, status)


@read_operation
def image_location_referenced_elsewhere(context, image_id):
    """URLs of the image's locations that another image also records (see
    :func:`_urls_held_elsewhere`): their data must outlive this image.

    glance-api asks before it deletes data, then removes the record. The
    answer holds until then: the image's own locations keep their claim on
    these URLs, so no other image can start recording them meanwhile."""
    with engine.reader() as session:
        _image_get(context, session, image_id)
        urls = session.scalars(sa.select(ImageLocation.value).where(
            ImageLocation.image_id == image_id,
            ImageLocation.deleted == sa.false()))
        return sorted(_urls_held_elsewhere(session, image_id, urls))


@read_operation
def user_get_storage_usage(context, owner_id, image_id=None):
    """Bytes used by ``owner_id``: image size times active locations."""
    query = (sa.select(sa.func.coalesce(sa.func.sum(Image.size), 0))
             .select_from(Image)
             .join(ImageLocation, ImageLocation.image_id == Image.id)
             .where(Image.owner == owner_id, Image.deleted == sa.false(),
                    ImageLocation.deleted == sa.false(),
                    ImageLocation.status == 'active'))
    if image_id is not None:
        query = query.where(Image.id != image_id)
    with engine.reader() as session:
        return int(session.execute(query).scalar() or 0)


# Statuses whose data is on its way in (a running upload or import), and
# those whose data sits in the staging area.
UPLOADING_STATUSES = ('saving', 'uploading', 'importing')
STAGED_STATUSES = ('uploading', 'importing')


@read_operation
def image_usage_get(context, owner_id):
    """What ``owner_id``'s images use, counted in one query for unified
    limits and GET /v2/info/usage: ``image_size_total`` (bytes, size times
    active locations, as user_get_storage_usage), ``image_stage_total``
    (bytes of staged images), ``image_count_total`` and
    ``image_count_uploading`` (images not deleted / with data coming in).
    A caller other than an administrator asks about its own project only.
    """
    if not _is_admin(context) and owner_id != _project(context):
        raise exception.Forbidden('You may not read the usage of project '
                                  '%s.' % owner_id)
    active_locations = (
        sa.select(sa.func.count(ImageLocation.id))
        .where(ImageLocation.image_id == Image.id,
               ImageLocation.deleted == sa.false(),
               ImageLocation.status == 'active')
        .scalar_subquery())
    size = sa.func.coalesce(Image.size, 0)

    def total(value):
        return sa.func.coalesce(sa.func.sum(value), 0)

    query = (sa.select(
        total(size * active_locations),
        total(sa.case((Image.status.in_(STAGED_STATUSES), size), else_=0)),
        sa.func.count(Image.id),
        total(sa.case((Image.status.in_(UPLOADING_STATUSES), 1), else_=0)))
        .where(Image.owner == owner_id, Image.deleted == sa.false()))
    with engine.reader() as session:
        row = session.execute(query).one()
    return {'image_size_total': int(row[0]),
            'image_stage_total': int(row[1]),
            'image_count_total': int(row[2]),
            'image_count_uploading': int(row[3])}


# Tags ---------------------------------------------------------------------

def _tag_values(session, image_id):
    return sorted(set(session.scalars(
        sa.select(ImageTag.value).where(ImageTag.image_id == image_id,
                                        ImageTag.deleted == sa.false()))))


@read_operation
def image_tag_get_all(context, image_id):
    with engine.reader() as session:
        _image_get(context, session, image_id)
        return _tag_values(session, image_id)


@write_operation
def image_tag_create(context, image_id, value):
    """Add a tag; adding one the image has is a no-op."""
    with engine.writer() as session:
        _image_get(context, session, image_id)
        if value not in _tag_values(session, image_id):
            now = _now()
            session.add(ImageTag(image_id=image_id, value=value,
                                 created_at=now, updated_at=now,
                                 deleted=False))
            session.flush()
        return value


@write_operation
def image_tag_delete(context, image_id, value):
    with engine.writer() as session:
        _image_get(context, session, image_id)
        result = session.execute(
            sa.update(ImageTag)
            .where(ImageTag.image_id == image_id, ImageTag.value == value,
                   ImageTag.deleted == sa.false())
            .values(deleted=True, deleted_at=_now(), updated_at=_now())
            .execution_options(synchronize_session=False))
        if not result.rowcount:
            raise exception.TagNotFound(tag=value, image_id=image_id)


# Members ------------------------------------------------------------------

def _member_to_dict(member):
    return {'id': member.id, 'image_id': member.image_id,
            'member': member.member, 'can_share': member.can_share,
            'status': member.status, 'created_at': member.created_at,
            'updated_at': member.updated_at, 'deleted': member.deleted}


def _check_member_values(values, allowed):
    unknown = set(values) - set(allowed)
    if unknown:
        raise exception.Invalid(reason='unknown member attribute(s): %s'
                                % ', '.join(sorted(unknown)))
    if 'status' in values and values['status'] not in models.MEMBER_STATUSES:
        raise exception.Invalid(
            reason='member status must be one of %s, not %r'
            % (', '.join(models.MEMBER_STATUSES), values['status']))
    return _parse_datetimes(dict(values))


def _member_query(context, include_deleted=False):
    """Members the caller may see: of its own images, or itself."""
    query = sa.select(ImageMember).join(Image,
                                        Image.id == ImageMember.image_id)
    if not include_deleted:
        query = query.where(ImageMember.deleted == sa.false())
    if not _is_admin(context):
        project = _project(context)
        query = query.where(sa.or_(Image.owner == project,
                                   ImageMember.member == project))
    return query


@write_operation
def image_member_create(context, values):
    values = _check_member_values(values, (
        'image_id', 'member', 'can_share', 'status', 'created_at',
        'updated_at'))
    if not values.get('image_id') or not values.get('member'):
        raise exception.Invalid(reason='a member needs image_id and member')
    with engine.writer() as session:
        image_id = values['image_id']
        image = session.scalars(sa.select(Image.id).where(
            Image.id == image_id, Image.deleted == sa.false())).first()
        if image is None:
            raise exception.ImageNotFound(image_id=image_id)
        existing = session.scalars(sa.select(ImageMember.id).where(
            ImageMember.image_id == image_id,
            ImageMember.member == values['member'],
            ImageMember.deleted == sa.false())).first()
        if existing is not None:
            raise exception.Duplicate(
                reason='%s is already a member of image %s'
                % (values['member'], image_id))
        now = _now()
        values.setdefault('created_at', now)
        values.setdefault('updated_at', values['created_at'])
        values.setdefault('status', 'pending')
        if values.get('can_share') is None:
            values['can_share'] = False
        member = ImageMember(deleted=False, **values)
        session.add(member)
        session.flush()
        return _member_to_dict(member)


def _member_get(context, session, member_id):
    member = session.scalars(_member_query(context).where(
        ImageMember.id == member_id)).first()
    if member is None:
        raise exception.MemberNotFound(member_id=member_id, image_id='?')
    return member


@write_operation
def image_member_update(context, member_id, values):
    values = _check_member_values(values, ('can_share', 'status',
                                           'updated_at'))
    with engine.writer() as session:
        member = _member_get(context, session, member_id)
        for key, value in values.items():
            setattr(member, key, value)
        member.updated_at = values.get('updated_at') or _now()
        session.flush()
        return _member_to_dict(member)


@write_operation
def image_member_delete(context, member_id):
    with engine.writer() as session:
        member = _member_get(context, session, member_id)
        now = _now()
        member.deleted = True
        member.deleted_at = now
        member.updated_at = now
        session.flush()


@read_operation
def image_member_find(context, image_id=None, member=None, status=None,
                      include_deleted=False):
    query = _member_query(context, include_deleted)
    if image_id is not None:
        query = query.where(ImageMember.image_id == image_id)
    if member is not None:
        query = query.where(ImageMember.member == member)
    if status is not None:
        query = query.where(ImageMember.status == status)
    with engine.reader() as session:
        return [_member_to_dict(m) for m in
                session.scalars(query.order_by(ImageMember.id))]


@read_operation
def image_member_count(context, image_id):
    with engine.reader() as session:
        return session.execute(
            sa.select(sa.func.count(ImageMember.id))
            .where(ImageMember.image_id == image_id,
                   ImageMember.deleted == sa.false())).scalar()


# Locations ----------------------------------------------------------------

def _location_get(session, image_id, location_id):
    location = session.scalars(sa.select(ImageLocation).where(
        ImageLocation.id == location_id, ImageLocation.image_id == image_id,
        ImageLocation.deleted == sa.false())).first()
    if location is None:
        raise exception.LocationNotFound(location_id=location_id)
    return location


@write_operation
def image_location_add(context, image_id, location):
    with engine.writer() as session:
        _image_get(context, session, image_id)
        row = _new_location(image_id, location, _now())
        _check_urls_free(session, image_id, [row.value])
        session.add(row)
        with _claiming():
            session.flush()
        return _location_to_dict(row)


@write_operation
def image_location_update(context, image_id, location):
    """Change url, metadata or status of the location with ``id``."""
    with engine.writer() as session:
        _image_get(context, session, image_id)
        row = _location_get(session, image_id, location.get('id'))
        new = _new_location(image_id, dict(
            {'url': row.value, 'metadata': row.meta_data,
             'status': row.status}, **{k: v for k, v in location.items()
                                       if k != 'id'}), _now())
        _check_urls_free(session, image_id, [new.value])
        row.value, row.meta_data, row.status = (new.value, new.meta_data,
                                                new.status)
        row.updated_at = new.updated_at
        _claim_url(row)
        with _claiming():
            session.flush()
        return _location_to_dict(row)


@write_operation
def image_location_delete(context, image_id, location_id, status):
    """Soft-delete a location as ``deleted`` or ``pending_delete``."""
    if status not in ('deleted', 'pending_delete'):
        raise exception.Invalid(reason='status must be deleted or '
                                'pending_delete, not %r' % status)
    with engine.writer() as session:
        _image_get(context, session, image_id, _show_deleted(context))
        row = _location_get(session, image_id, location_id)
        _soft_delete_location(row, status, _now())
        with _claiming():
            session.flush()


# Delayed delete (the scrubber) --------------------------------------------

def _deleted_image(session, image_id):
    image = session.scalars(sa.select(Image).where(
        Image.id == image_id)).first()
    if image is None:
        raise exception.ImageNotFound(image_id=image_id)
    return image


@read_operation
def image_location_find(context, image_id, status=None):
    """Every location row of an image, deleted ones included (the scrubber
    reads the ``pending_delete`` locations of deleted images), each saying
    whether its data is ``referenced_elsewhere``. A pending_delete row
    keeps its claim, so no other image can take its URL before the
    scrubber is done. Admin only: others get ImageNotFound."""
    if not _is_admin(context):
        raise exception.ImageNotFound(image_id=image_id)
    query = sa.select(ImageLocation).where(ImageLocation.image_id == image_id)
    if status is not None:
        query = query.where(ImageLocation.status == status)
    with engine.reader() as session:
        _deleted_image(session, image_id)
        return _with_sharing(session, image_id, [
            _location_to_dict(row) for row in
            session.scalars(query.order_by(ImageLocation.id))])


@read_operation
def image_location_get_all(context, marker=None, limit=None):
    """Every location row whose data is in use (not deleted, or
    ``pending_delete``), by id after ``marker``, with its image's status:
    what the store audit compares the stores with. Administrators only."""
    if not _is_admin(context):
        raise exception.Forbidden()
    limit = _check_limit(limit)
    query = (sa.select(ImageLocation, Image.status, Image.deleted)
             .join(Image, Image.id == ImageLocation.image_id)
             .where(sa.or_(ImageLocation.deleted == sa.false(),
                           ImageLocation.status == 'pending_delete'))
             .order_by(ImageLocation.id))
    if marker is not None:
        if isinstance(marker, bool) or not isinstance(marker, int):
            raise exception.InvalidParameterValue(
                value=marker, param='marker', extra='a location id')
        query = query.where(ImageLocation.id > marker)
    if limit is not None:
        query = query.limit(limit)
    with engine.reader() as session:
        return [dict(_location_to_dict(row), image_id=row.image_id,
                     deleted=bool(row.deleted), image_status=status,
                     image_deleted=bool(image_deleted))
                for row, status, image_deleted in session.execute(query)]


@write_operation
def image_location_set_status(context, image_id, location_id, status):
    """Set the status of a location row, deleted or not (admin only)."""
    if status not in models.LOCATION_STATUSES:
        raise exception.Invalid(reason='location status must be one of %s, '
                                'not %r' % (', '.join(
                                    models.LOCATION_STATUSES), status))
    if not _is_admin(context):
        raise exception.ImageNotFound(image_id=image_id)
    with engine.writer() as session:
        row = session.scalars(sa.select(ImageLocation).where(
            ImageLocation.id == location_id,
            ImageLocation.image_id == image_id)).first()
        if row is None:
            raise exception.LocationNotFound(location_id=location_id)
        row.status = status
        row.updated_at = _now()
        _claim_url(row)
        with _claiming():
            session.flush()
        return _location_to_dict(row)


@write_operation
def image_mark_deleted(context, image_id):
    """pending_delete -> deleted on a deleted image once its data is gone
    (admin only; compare-and-swap on the status)."""
    if not _is_admin(context):
        raise exception.ImageNotFound(image_id=image_id)
    with engine.writer() as session:
        _deleted_image(session, image_id)
        result = session.execute(
            sa.update(Image).where(Image.id == image_id,
                                   Image.status == 'pending_delete')
            .values(status='deleted')
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            actual = session.execute(sa.select(Image.status).where(
                Image.id == image_id)).scalar()
            raise exception.InvalidStatusTransition(
                image_id=image_id, actual=actual, expected='pending_delete',
                new='deleted')


@write_operation
def image_restore(context, image_id):
    """Bring a ``pending_delete`` image back to ``active``: the image row,
    its pending_delete locations and the properties, tags and members
    deleted with it are undeleted (admin only)."""
    if not _is_admin(context):
        raise exception.ImageNotFound(image_id=image_id)
    with engine.writer() as session:
        image = _deleted_image(session, image_id)
        if image.status != 'pending_delete':
            raise exception.InvalidStatusTransition(
                image_id=image_id, actual=image.status,
                expected='pending_delete', new='active')
        deleted_at = image.deleted_at
        now = _now()
        result = session.execute(
            sa.update(Image).where(Image.id == image_id,
                                   Image.status == 'pending_delete')
            .values(status='active', deleted=False, deleted_at=None,
                    updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise exception.InvalidStatusTransition(
                image_id=image_id, actual='?', expected='pending_delete',
                new='active')
        session.execute(
            sa.update(ImageLocation)
            .where(ImageLocation.image_id == image_id,
                   ImageLocation.status == 'pending_delete')
            .values(status='active', deleted=False, deleted_at=None,
                    updated_at=now)
            .execution_options(synchronize_session=False))
        if deleted_at is not None:
            for model in (ImageProperty, ImageTag, ImageMember):
                session.execute(
                    sa.update(model)
                    .where(model.image_id == image_id,
                           model.deleted == sa.true(),
                           model.deleted_at == deleted_at)
                    .values(deleted=False, deleted_at=None, updated_at=now)
                    .execution_options(synchronize_session=False))
        return _image_get_dict(None, session, image_id,
                               force_show_deleted=True)


# Tasks --------------------------------------------------------------------

TASK_COLUMNS = tuple(c.name for c in Task.__table__.columns)
TASK_INFO_KEYS = ('input', 'result', 'message')
TASK_SORT_KEYS = ('id', 'type', 'status', 'owner', 'created_at',
                  'updated_at', 'expires_at')
TASK_FILTERS = ('type', 'status', 'owner', 'deleted', 'image_id')


def _task_to_dict(task, info):
    values = {name: getattr(task, name) for name in TASK_COLUMNS}
    for key in TASK_INFO_KEYS:
        values[key] = getattr(info, key) if info is not None else None
    return values


def _task_query(context, force_show_deleted=False):
    query = sa.select(Task, TaskInfo).outerjoin(
        TaskInfo, TaskInfo.task_id == Task.id)
    if not _is_admin(context):
        query = query.where(Task.owner == _project(context))
    if not (force_show_deleted or _show_deleted(context)):
        query = query.where(Task.deleted == sa.false())
    return query


def _task_get(context, session, task_id, force_show_deleted=False):
    row = session.execute(_task_query(context, force_show_deleted).where(
        Task.id == task_id)).first()
    if row is None:
        raise exception.TaskNotFound(task_id=task_id)
    return row


def _split_task_values(values):
    values = _parse_datetimes(dict(values))
    info = {key: values.pop(key) for key in TASK_INFO_KEYS if key in values}
    unknown = set(values) - set(TASK_COLUMNS)
    if unknown:
        raise exception.Invalid(reason='unknown task attribute(s): %s'
                                % ', '.join(sorted(unknown)))
    return values, info


@write_operation
def task_create(context, values):
    values, info = _split_task_values(values)
    now = _now()
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('status', 'pending')
    if values.get('owner') is None:
        values['owner'] = _project(context)
    values.setdefault('created_at', now)
    values.setdefault('updated_at', values['created_at'])
    values.setdefault('deleted', False)
    if not values.get('type'):
        raise exception.Invalid(reason='a task needs a type')
    if values['owner'] is None:
        raise exception.Invalid(reason='a task needs an owner')
    with engine.writer() as session:
        task = Task(**values)
        session.add(task)
        try:
            session.flush()
        except engine.db_exc.DBDuplicateEntry:
            raise exception.Duplicate(
                reason='task %s already exists' % values['id']) from None
        task_info = TaskInfo(task_id=task.id, **info)
        session.add(task_info)
        session.flush()
        return _task_to_dict(task, task_info)


@read_operation
def task_get(context, task_id, force_show_deleted=False):
    with engine.reader() as session:
        return _task_to_dict(*_task_get(context, session, task_id,
                                        force_show_deleted))


@read_operation
def task_get_all(context, filters=None, marker=None, limit=None,
                 sort_key='created_at', sort_dir='desc'):
    filters = dict(filters or {})
    unknown = set(filters) - set(TASK_FILTERS)
    if unknown:
        raise exception.InvalidFilter(
            reason='unknown filter(s) %s' % ', '.join(sorted(unknown)))
    limit = _check_limit(limit)
    column = Task.__table__.c
    sort = [(column[key] if key != 'expires_at' else
             sa.func.coalesce(column.expires_at, column.created_at),
             direction) for key, direction in
            normalize_sort(sort_key, sort_dir, TASK_SORT_KEYS)]
    show_deleted = _show_deleted(context)
    if 'deleted' in filters:
        show_deleted = True
    query = _task_query(context, show_deleted)
    for name in ('type', 'status', 'owner', 'image_id'):
        if name in filters:
            query = query.where(_in_condition(column[name], filters[name]))
    if 'deleted' in filters:
        query = query.where(Task.deleted ==
                            _bool_filter('deleted', filters['deleted']))
    with engine.reader() as session:
        marker_values = None
        if marker is not None:
            visible = _task_query(context, True).where(Task.id == marker)
            row = session.execute(
                sa.select(*[e for e, _ in sort]).where(
                    Task.id.in_(visible.with_only_columns(Task.id)))).first()
            if row is None:
                raise exception.InvalidMarker(marker=marker)
            marker_values = list(row)
        query = _paginate(query, sort, marker_values)
        if limit is not None:
            query = query.limit(limit)
        return [_task_to_dict(task, info)
                for task, info in session.execute(query)]


@write_operation
def task_update(context, task_id, values):
    values, info = _split_task_values(values)
    values.pop('id', None)
    with engine.writer() as session:
        task, task_info = _task_get(context, session, task_id)
        for key, value in values.items():
            setattr(task, key, value)
        task.updated_at = values.get('updated_at') or _now()
        if info:
            if task_info is None:
                task_info = TaskInfo(task_id=task_id)
                session.add(task_info)
            for key, value in info.items():
                setattr(task_info, key, value)
        session.flush()
        return _task_to_dict(task, task_info)


@write_operation
def task_delete(context, task_id):
    with engine.writer() as session:
        task, task_info = _task_get(context, session, task_id)
        now = _now()
        task.deleted = True
        task.deleted_at = now
        task.updated_at = now
        session.flush()
        return _task_to_dict(task, task_info)


__all__ = sorted(
    [name for name, value in list(globals().items())
     if callable(value) and not name.startswith('_') and (
         name.startswith(('image_', 'task_', 'user_'))
         or name in ('list_opts',))] + list(metadef.__all__))
