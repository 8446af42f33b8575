"""Metadata definitions: namespaces and their objects, properties, tags and
resource type associations.

Everything is keyed by names (namespace name, then object/property/tag or
resource type name). A namespace is visible to admins, its owner, and to
everyone when public; anything else is ``MetadefNotFound``. Only admins and
the owner change a namespace or its content (others: ``Forbidden``), and a
protected namespace (or resource type) cannot be deleted. Rows are deleted
for real, as upstream does.
"""

import sqlalchemy as sa
from oslo_utils import timeutils

from glance_registry.common import exception
from glance_registry.db import engine
from glance_registry.db import models
from glance_registry.db.paging import check_limit
from glance_registry.db.paging import normalize_sort
from glance_registry.db.paging import paginate

Namespace = models.MetadefNamespace
Object = models.MetadefObject
Property = models.MetadefProperty
Tag = models.MetadefTag
ResourceType = models.MetadefResourceType
Association = models.MetadefNamespaceResourceType

__all__ = [
    'metadef_namespace_create', 'metadef_namespace_get',
    'metadef_namespace_get_all', 'metadef_namespace_update',
    'metadef_namespace_delete',
    'metadef_object_create', 'metadef_object_get', 'metadef_object_get_all',
    'metadef_object_update', 'metadef_object_delete',
    'metadef_object_delete_namespace_content',
    'metadef_property_create', 'metadef_property_get',
    'metadef_property_get_all', 'metadef_property_update',
    'metadef_property_delete', 'metadef_property_delete_namespace_content',
    'metadef_tag_create', 'metadef_tag_create_tags', 'metadef_tag_get',
    'metadef_tag_get_all', 'metadef_tag_update', 'metadef_tag_delete',
    'metadef_tag_delete_namespace_content',
    'metadef_resource_type_create', 'metadef_resource_type_get',
    'metadef_resource_type_get_all', 'metadef_resource_type_delete',
    'metadef_resource_type_association_create',
    'metadef_resource_type_association_get',
    'metadef_resource_type_association_get_by_namespace',
    'metadef_resource_type_association_delete',
]

NAMESPACE_KEYS = ('namespace', 'display_name', 'description', 'visibility',
                  'protected', 'owner')
NAMESPACE_SORT_KEYS = ('namespace', 'created_at', 'updated_at', 'id',
                       'display_name')
TAG_SORT_KEYS = ('name', 'created_at', 'updated_at', 'id')


def _now():
    return timeutils.utcnow()


def _is_admin(context):
    return context is None or bool(getattr(context, 'is_admin', False))


def _project(context):
    owner = getattr(context, 'owner', None)
    return owner if owner is not None else getattr(context, 'project_id',
                                                   None)


def _check_keys(values, allowed, what):
    unknown = set(values) - set(allowed)
    if unknown:
        raise exception.Invalid(reason='unknown %s attribute(s): %s'
                                % (what, ', '.join(sorted(unknown))))
    return dict(values)


def _flush(session, what):
    try:
        session.flush()
    except engine.db_exc.DBDuplicateEntry:
        raise exception.Duplicate(reason='%s already exists' % what) from None


# Namespaces ---------------------------------------------------------------

def _namespace_visible(context):
    if _is_admin(context):
        return None
    return sa.or_(Namespace.visibility == 'public',
                  Namespace.owner == _project(context))


def _namespace_get(context, session, namespace_name, for_update=False):
    query = sa.select(Namespace).where(Namespace.namespace == namespace_name)
    visible = _namespace_visible(context)
    if visible is not None:
        query = query.where(visible)
    namespace = session.scalars(query).first()
    if namespace is None:
        raise exception.MetadefNotFound(name=namespace_name)
    if for_update and not (_is_admin(context) or
                           namespace.owner == _project(context)):
        raise exception.Forbidden(
            'Namespace %s belongs to another project' % namespace_name)
    return namespace


def _check_not_protected(namespace):
    if namespace.protected:
        raise exception.Forbidden(
            'Namespace %s is protected; unprotect it first'
            % namespace.namespace)


def _namespace_to_dict(namespace):
    values = {key: getattr(namespace, key) for key in NAMESPACE_KEYS}
    values.update(id=namespace.id, created_at=namespace.created_at,
                  updated_at=namespace.updated_at)
    return values


def _check_name(kind, name):
    """Every metadef is addressed by its name as one URL path segment: a
    name must be a non-empty string without '/', and not '.' or '..'
    (which clients resolve away), or it could never be read or deleted."""
    if not isinstance(name, str) or not name:
        raise exception.Invalid(reason='a metadef %s needs a name' % kind)
    if '/' in name or name in ('.', '..'):
        raise exception.Invalid(
            reason="metadef %s name %r cannot be used in a URL: it may not "
                   "contain '/' or be '.' or '..'" % (kind, name))


def _check_visibility(values):
    if values.get('visibility') not in (None, 'public', 'private'):
        raise exception.Invalid(reason='visibility must be public or '
                                'private, not %r' % values['visibility'])


@engine.write_operation
def metadef_namespace_create(context, values):
    values = _check_keys(values, NAMESPACE_KEYS, 'namespace')
    _check_name('namespace', values.get('namespace'))
    _check_visibility(values)
    values.setdefault('visibility', 'private')
    values['protected'] = bool(values.get('protected'))
    if values.get('owner') is None:
        values['owner'] = _project(context)
    if values['owner'] is None:
        raise exception.Invalid(reason='a namespace needs an owner')
    now = _now()
    with engine.writer() as session:
        namespace = Namespace(created_at=now, updated_at=now, **values)
        session.add(namespace)
        _flush(session, 'namespace %s' % values['namespace'])
        return _namespace_to_dict(namespace)


@engine.read_operation
def metadef_namespace_get(context, namespace_name):
    with engine.reader() as session:
        return _namespace_to_dict(
            _namespace_get(context, session, namespace_name))


@engine.read_operation
def metadef_namespace_get_all(context, marker=None, limit=None,
                              sort_key='created_at', sort_dir='desc',
                              filters=None, with_associations=False):
    """Visible namespaces; filters: visibility, resource_types (any of).

    With ``with_associations`` each namespace also carries its
    ``resource_type_associations`` (one call lists what the API shows).
    """
    filters = dict(filters or {})
    unknown = set(filters) - {'visibility', 'resource_types'}
    if unknown:
        raise exception.InvalidFilter(
            reason='unknown filter(s) %s' % ', '.join(sorted(unknown)))
    limit = check_limit(limit)
    column = Namespace.__table__.c
    sort = [(column[key] if key != 'display_name'
             else sa.func.coalesce(column.display_name, ''), direction)
            for key, direction in normalize_sort(
                sort_key, sort_dir, NAMESPACE_SORT_KEYS)]
    query = sa.select(Namespace)
    visible = _namespace_visible(context)
    if visible is not None:
        query = query.where(visible)
    if filters.get('visibility'):
        query = query.where(Namespace.visibility == filters['visibility'])
    resource_types = filters.get('resource_types')
    if resource_types:
        if isinstance(resource_types, str):
            resource_types = resource_types.split(',')
        query = query.where(sa.select(Association.namespace_id).join(
            ResourceType, ResourceType.id == Association.resource_type_id
        ).where(Association.namespace_id == Namespace.id,
                ResourceType.name.in_(resource_types)).exists())
    with engine.reader() as session:
        marker_values = None
        if marker is not None:
            marker_query = sa.select(*[e for e, _ in sort]).where(
                Namespace.namespace == marker)
            if visible is not None:
                marker_query = marker_query.where(visible)
            row = session.execute(marker_query).first()
            if row is None:
                raise exception.InvalidMarker(marker=marker)
            marker_values = list(row)
        query = paginate(query, sort, marker_values)
        if limit is not None:
            query = query.limit(limit)
        namespaces = list(session.scalars(query))
        result = [_namespace_to_dict(n) for n in namespaces]
        if with_associations and namespaces:
            by_id = {}
            for association, name in session.execute(
                    sa.select(Association, ResourceType.name)
                    .join(ResourceType,
                          ResourceType.id == Association.resource_type_id)
                    .where(Association.namespace_id.in_(
                        [n.id for n in namespaces]))
                    .order_by(ResourceType.name)):
                by_id.setdefault(association.namespace_id, []).append(
                    (association, name))
            for namespace, values in zip(namespaces, result):
                values['resource_type_associations'] = [
                    _association_to_dict(a, namespace.namespace, name)
                    for a, name in by_id.get(namespace.id, [])]
        return result


@engine.write_operation
def metadef_namespace_update(context, namespace_name, values):
    values = _check_keys(values, NAMESPACE_KEYS + ('id', 'created_at',
                                                   'updated_at'), 'namespace')
    for key in ('id', 'created_at', 'updated_at'):
        values.pop(key, None)
    if 'namespace' in values:
        _check_name('namespace', values['namespace'])
    _check_visibility(values)
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        for key, value in values.items():
            setattr(namespace, key, value)
        namespace.updated_at = _now()
        _flush(session, 'namespace %s' % namespace.namespace)
        return _namespace_to_dict(namespace)


def _delete_namespace_content(session, namespace_id, model):
    return session.execute(sa.delete(model).where(
        model.namespace_id == namespace_id)).rowcount


@engine.write_operation
def metadef_namespace_delete(context, namespace_name):
    """Delete a namespace with all its content and associations."""
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        _check_not_protected(namespace)
        result = _namespace_to_dict(namespace)
        for model in (Association, Tag, Property, Object):
            _delete_namespace_content(session, namespace.id, model)
        session.execute(sa.delete(Namespace).where(
            Namespace.id == namespace.id))
        return result


# Objects, properties and tags (rows named inside a namespace) -------------

def _child_to_dict(row, namespace_name, keys):
    values = {key: getattr(row, key) for key in keys}
    values.update(id=row.id, namespace=namespace_name, name=row.name,
                  created_at=row.created_at, updated_at=row.updated_at)
    return values


OBJECT_KEYS = ('name', 'description', 'required', 'json_schema')
PROPERTY_KEYS = ('name', 'json_schema')
TAG_KEYS = ('name',)
_KINDS = {
    # model: (kind, keys, defaults)
    Object: ('object', OBJECT_KEYS, {'json_schema': {}}),
    Property: ('property', PROPERTY_KEYS, {'json_schema': {}}),
    Tag: ('tag', TAG_KEYS, {}),
}


def _child_get(context, session, model, namespace_name, name,
               for_update=False):
    namespace = _namespace_get(context, session, namespace_name, for_update)
    row = session.scalars(sa.select(model).where(
        model.namespace_id == namespace.id, model.name == name)).first()
    if row is None:
        raise exception.MetadefNotFound(
            name='%s %s in namespace %s' % (_KINDS[model][0], name,
                                            namespace_name))
    return namespace, row


def _child_values(model, values):
    kind, keys, _defaults = _KINDS[model]
    values = _check_keys(values, keys + ('id', 'namespace', 'created_at',
                                         'updated_at'), kind)
    for key in ('id', 'namespace', 'created_at', 'updated_at'):
        values.pop(key, None)
    return values


def _child_create(context, model, namespace_name, values):
    kind, keys, defaults = _KINDS[model]
    values = _child_values(model, values)
    _check_name(kind, values.get('name'))
    for key, default in defaults.items():
        if values.get(key) is None:
            values[key] = default
    now = _now()
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        row = model(namespace_id=namespace.id, created_at=now,
                    updated_at=now, **values)
        session.add(row)
        _flush(session, '%s %s in namespace %s' % (kind, values['name'],
                                                   namespace_name))
        return _child_to_dict(row, namespace_name, keys)


def _child_get_dict(context, model, namespace_name, name):
    with engine.reader() as session:
        _namespace, row = _child_get(context, session, model,
                                     namespace_name, name)
        return _child_to_dict(row, namespace_name, _KINDS[model][1])


def _child_get_all(context, model, namespace_name):
    with engine.reader() as session:
        namespace = _namespace_get(context, session, namespace_name)
        rows = session.scalars(sa.select(model).where(
            model.namespace_id == namespace.id).order_by(model.name))
        return [_child_to_dict(r, namespace_name, _KINDS[model][1])
                for r in rows]


def _child_update(context, model, namespace_name, name, values):
    kind, keys, _defaults = _KINDS[model]
    values = _child_values(model, values)
    if 'name' in values:
        _check_name(kind, values['name'])
    with engine.writer() as session:
        _namespace, row = _child_get(context, session, model,
                                     namespace_name, name, True)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = _now()
        _flush(session, '%s %s in namespace %s' % (kind, row.name,
                                                   namespace_name))
        return _child_to_dict(row, namespace_name, keys)


def _child_delete(context, model, namespace_name, name):
    with engine.writer() as session:
        namespace, row = _child_get(context, session, model,
                                    namespace_name, name, True)
        _check_not_protected(namespace)
        result = _child_to_dict(row, namespace_name, _KINDS[model][1])
        session.delete(row)
        session.flush()
        return result


def _child_delete_all(context, model, namespace_name):
    """Delete every row of ``model`` in the namespace; returns the count."""
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        _check_not_protected(namespace)
        return _delete_namespace_content(session, namespace.id, model)


@engine.write_operation
def metadef_object_create(context, namespace_name, values):
    return _child_create(context, Object, namespace_name, values)


@engine.read_operation
def metadef_object_get(context, namespace_name, object_name):
    return _child_get_dict(context, Object, namespace_name, object_name)


@engine.read_operation
def metadef_object_get_all(context, namespace_name):
    return _child_get_all(context, Object, namespace_name)


@engine.write_operation
def metadef_object_update(context, namespace_name, object_name, values):
    return _child_update(context, Object, namespace_name, object_name,
                         values)


@engine.write_operation
def metadef_object_delete(context, namespace_name, object_name):
    return _child_delete(context, Object, namespace_name, object_name)


@engine.write_operation
def metadef_object_delete_namespace_content(context, namespace_name):
    return _child_delete_all(context, Object, namespace_name)


@engine.write_operation
def metadef_property_create(context, namespace_name, values):
    return _child_create(context, Property, namespace_name, values)


@engine.read_operation
def metadef_property_get(context, namespace_name, property_name):
    return _child_get_dict(context, Property, namespace_name, property_name)


@engine.read_operation
def metadef_property_get_all(context, namespace_name):
    return _child_get_all(context, Property, namespace_name)


@engine.write_operation
def metadef_property_update(context, namespace_name, property_name, values):
    return _child_update(context, Property, namespace_name, property_name,
                         values)


@engine.write_operation
def metadef_property_delete(context, namespace_name, property_name):
    return _child_delete(context, Property, namespace_name, property_name)


@engine.write_operation
def metadef_property_delete_namespace_content(context, namespace_name):
    return _child_delete_all(context, Property, namespace_name)


@engine.write_operation
def metadef_tag_create(context, namespace_name, values):
    return _child_create(context, Tag, namespace_name, values)


@engine.write_operation
def metadef_tag_create_tags(context, namespace_name, tags, can_append=False):
    """Create many tags at once; without ``can_append`` they replace the
    namespace's tags. ``tags`` is a list of {"name"} (or of names)."""
    names = []
    for tag in tags or []:
        name = tag.get('name') if isinstance(tag, dict) else tag
        _check_name('tag', name)
        if name in names:
            raise exception.Duplicate(reason='tag %s given twice' % name)
        names.append(name)
    now = _now()
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        if not can_append:
            _delete_namespace_content(session, namespace.id, Tag)
        rows = [Tag(namespace_id=namespace.id, name=name, created_at=now,
                    updated_at=now) for name in names]
        session.add_all(rows)
        _flush(session, 'a tag of namespace %s' % namespace_name)
        return [_child_to_dict(r, namespace_name, TAG_KEYS) for r in rows]


@engine.read_operation
def metadef_tag_get(context, namespace_name, name):
    return _child_get_dict(context, Tag, namespace_name, name)


@engine.read_operation
def metadef_tag_get_all(context, namespace_name, filters=None, marker=None,
                        limit=None, sort_key='created_at', sort_dir='desc'):
    """Tags of a namespace, sorted and paged by tag name markers."""
    if filters:
        raise exception.InvalidFilter(
            reason='unknown filter(s) %s' % ', '.join(sorted(filters)))
    limit = check_limit(limit)
    column = Tag.__table__.c
    sort = [(column[key], direction) for key, direction in
            normalize_sort(sort_key, sort_dir, TAG_SORT_KEYS)]
    with engine.reader() as session:
        namespace = _namespace_get(context, session, namespace_name)
        query = sa.select(Tag).where(Tag.namespace_id == namespace.id)
        marker_values = None
        if marker is not None:
            row = session.execute(sa.select(*[e for e, _ in sort]).where(
                Tag.namespace_id == namespace.id, Tag.name == marker)).first()
            if row is None:
                raise exception.InvalidMarker(marker=marker)
            marker_values = list(row)
        query = paginate(query, sort, marker_values)
        if limit is not None:
            query = query.limit(limit)
        return [_child_to_dict(r, namespace_name, TAG_KEYS)
                for r in session.scalars(query)]


@engine.write_operation
def metadef_tag_update(context, namespace_name, name, values):
    return _child_update(context, Tag, namespace_name, name, values)


@engine.write_operation
def metadef_tag_delete(context, namespace_name, name):
    return _child_delete(context, Tag, namespace_name, name)


@engine.write_operation
def metadef_tag_delete_namespace_content(context, namespace_name):
    return _child_delete_all(context, Tag, namespace_name)


# Resource types and their associations with namespaces --------------------

def _resource_type_to_dict(row):
    return {'id': row.id, 'name': row.name, 'protected': row.protected,
            'created_at': row.created_at, 'updated_at': row.updated_at}


def _resource_type_get(session, name):
    row = session.scalars(sa.select(ResourceType).where(
        ResourceType.name == name)).first()
    if row is None:
        raise exception.MetadefNotFound(name='resource type %s' % name)
    return row


def _resource_type_create(session, values):
    values = _check_keys(values, ('name', 'protected'), 'resource type')
    _check_name('resource type', values.get('name'))
    now = _now()
    row = ResourceType(name=values['name'],
                       protected=bool(values.get('protected')),
                       created_at=now, updated_at=now)
    session.add(row)
    _flush(session, 'resource type %s' % values['name'])
    return row


@engine.write_operation
def metadef_resource_type_create(context, values):
    with engine.writer() as session:
        return _resource_type_to_dict(_resource_type_create(session, values))


@engine.read_operation
def metadef_resource_type_get(context, resource_type_name):
    with engine.reader() as session:
        return _resource_type_to_dict(
            _resource_type_get(session, resource_type_name))


@engine.read_operation
def metadef_resource_type_get_all(context):
    with engine.reader() as session:
        return [_resource_type_to_dict(r) for r in session.scalars(
            sa.select(ResourceType).order_by(ResourceType.name))]


@engine.write_operation
def metadef_resource_type_delete(context, resource_type_name):
    with engine.writer() as session:
        row = _resource_type_get(session, resource_type_name)
        if row.protected:
            raise exception.Forbidden('Resource type %s is protected'
                                      % resource_type_name)
        in_use = session.execute(sa.select(sa.func.count()).where(
            Association.resource_type_id == row.id)).scalar()
        if in_use:
            raise exception.InUse(
                what='Resource type %s' % resource_type_name,
                reason='%d namespace(s) are associated with it' % in_use)
        result = _resource_type_to_dict(row)
        session.delete(row)
        session.flush()
        return result


def _association_to_dict(association, namespace_name, resource_type_name):
    return {'namespace': namespace_name, 'name': resource_type_name,
            'properties_target': association.properties_target,
            'prefix': association.prefix,
            'created_at': association.created_at,
            'updated_at': association.updated_at}


def _association_get(session, namespace, resource_type_name):
    row = session.execute(
        sa.select(Association, ResourceType)
        .join(ResourceType, ResourceType.id == Association.resource_type_id)
        .where(Association.namespace_id == namespace.id,
               ResourceType.name == resource_type_name)).first()
    if row is None:
        raise exception.MetadefNotFound(
            name='resource type %s of namespace %s'
            % (resource_type_name, namespace.namespace))
    return row


@engine.write_operation
def metadef_resource_type_association_create(context, namespace_name,
                                             values):
    """Associate a resource type (created if new) with a namespace."""
    values = _check_keys(values, ('name', 'properties_target', 'prefix'),
                         'resource type association')
    name = values.get('name')
    if not name:
        raise exception.Invalid(reason='an association needs a resource '
                                'type name')
    now = _now()
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        try:
            resource_type = _resource_type_get(session, name)
        except exception.MetadefNotFound:
            resource_type = _resource_type_create(session, {'name': name})
        association = Association(
            namespace_id=namespace.id, resource_type_id=resource_type.id,
            properties_target=values.get('properties_target'),
            prefix=values.get('prefix'), created_at=now, updated_at=now)
        session.add(association)
        _flush(session, 'resource type %s of namespace %s'
               % (name, namespace_name))
        return _association_to_dict(association, namespace_name, name)


@engine.read_operation
def metadef_resource_type_association_get(context, namespace_name,
                                          resource_type_name):
    with engine.reader() as session:
        namespace = _namespace_get(context, session, namespace_name)
        association, _rt = _association_get(session, namespace,
                                            resource_type_name)
        return _association_to_dict(association, namespace_name,
                                    resource_type_name)


@engine.read_operation
def metadef_resource_type_association_get_by_namespace(context,
                                                       namespace_name):
    with engine.reader() as session:
        namespace = _namespace_get(context, session, namespace_name)
        rows = session.execute(
            sa.select(Association, ResourceType.name)
            .join(ResourceType,
                  ResourceType.id == Association.resource_type_id)
            .where(Association.namespace_id == namespace.id)
            .order_by(ResourceType.name))
        return [_association_to_dict(a, namespace_name, name)
                for a, name in rows]


@engine.write_operation
def metadef_resource_type_association_delete(context, namespace_name,
                                             resource_type_name):
    with engine.writer() as session:
        namespace = _namespace_get(context, session, namespace_name, True)
        association, _rt = _association_get(session, namespace,
                                            resource_type_name)
        result = _association_to_dict(association, namespace_name,
                                      resource_type_name)
        session.delete(association)
        session.flush()
        return result


# The catalog tools (glance-manage), not part of the registry contract -----

@engine.write_operation
def metadef_delete_all():
    """Delete every metadata definition, protected or not, and every
    resource type (glance-manage db_unload_metadefs). Returns row counts by
    table."""
    counts = {}
    with engine.writer() as session:
        for model in (Association, Tag, Property, Object, Namespace,
                      ResourceType):
            counts[model.__tablename__] = session.execute(
                sa.delete(model)).rowcount
    return counts
