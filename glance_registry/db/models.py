"""SQLAlchemy models of the Glance database, table by table.

The tables, columns and index names are those an operator of a Kilo-era
Glance finds with ``show tables;`` (plus the columns later releases added
to ``images``: visibility, os_hidden, os_hash_algo, os_hash_value). Image
rows are soft-deleted (``deleted``/``deleted_at``); oslo.db's SoftDeleteMixin
is not used because it assumes integer primary keys and image ids are UUIDs.
Metadata definition rows are hard-deleted, as upstream does.

The migrations under ``db/migrations`` create the same schema; a unit test
compares the two.
"""

import json

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy import orm

# Microsecond timestamps on every engine so that ordering by created_at and
# "changes-since" behave the same on SQLite, MariaDB and PostgreSQL.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')

# Binary collation: names, tags and property keys compare case-sensitively
# on MariaDB as they do on SQLite and PostgreSQL.
TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
              'mysql_collate': 'utf8mb4_bin'}

VISIBILITIES = ('private', 'public', 'shared', 'community')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
LOCATION_STATUSES = ('active', 'pending_delete', 'deleted')


class JSONEncodedDict(sa.types.TypeDecorator):
    """A dict kept as JSON text (upstream's type for JSON columns)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return json.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None or value == '':
            return None
        return json.loads(value)


class Base(orm.DeclarativeBase):
    pass


class SoftDelete:
    """created/updated/deleted columns shared by the image and task tables."""

    created_at = sa.Column(DateTime, nullable=False)
    updated_at = sa.Column(DateTime)
    deleted_at = sa.Column(DateTime)
    deleted = sa.Column(sa.Boolean, nullable=False, default=False,
                        server_default=sa.false())


class Timestamps:
    created_at = sa.Column(DateTime, nullable=False)
    updated_at = sa.Column(DateTime)


class Image(SoftDelete, Base):
    __tablename__ = 'images'
    __table_args__ = (
        sa.Index('checksum_image_idx', 'checksum'),
        sa.Index('visibility_image_idx', 'visibility'),
        sa.Index('ix_images_deleted', 'deleted'),
        sa.Index('owner_image_idx', 'owner'),
        sa.Index('created_at_image_idx', 'created_at'),
        sa.Index('updated_at_image_idx', 'updated_at'),
        sa.Index('os_hidden_image_idx', 'os_hidden'),
        sa.Index('os_hash_value_image_idx', 'os_hash_value'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255))
    disk_format = sa.Column(sa.String(20))
    container_format = sa.Column(sa.String(20))
    size = sa.Column(sa.BigInteger)
    virtual_size = sa.Column(sa.BigInteger)
    status = sa.Column(sa.String(30), nullable=False)
    visibility = sa.Column(sa.Enum(*VISIBILITIES, name='image_visibility'),
                           nullable=False, server_default='shared')
    checksum = sa.Column(sa.String(32))
    os_hash_algo = sa.Column(sa.String(64))
    os_hash_value = sa.Column(sa.String(128))
    min_disk = sa.Column(sa.Integer, nullable=False, default=0,
                         server_default='0')
    min_ram = sa.Column(sa.Integer, nullable=False, default=0,
                        server_default='0')
    owner = sa.Column(sa.String(255))
    protected = sa.Column(sa.Boolean, nullable=False, default=False,
                          server_default=sa.false())
    os_hidden = sa.Column(sa.Boolean, nullable=False, default=False,
                          server_default=sa.false())


class ImageProperty(SoftDelete, Base):
    __tablename__ = 'image_properties'
    __table_args__ = (
        sa.UniqueConstraint('image_id', 'name',
                            name='ix_image_properties_image_id_name'),
        sa.Index('ix_image_properties_image_id', 'image_id'),
        sa.Index('ix_image_properties_deleted', 'deleted'),
        sa.Index('ix_image_properties_image_id_deleted', 'image_id',
                 'deleted'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    image_id = sa.Column(sa.String(36), sa.ForeignKey('images.id'),
                         nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    value = sa.Column(sa.Text)


class ImageTag(SoftDelete, Base):
    __tablename__ = 'image_tags'
    __table_args__ = (
        sa.Index('ix_image_tags_image_id', 'image_id'),
        sa.Index('ix_image_tags_image_id_tag_value', 'image_id', 'value'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    image_id = sa.Column(sa.String(36), sa.ForeignKey('images.id'),
                         nullable=False)
    value = sa.Column(sa.String(255), nullable=False)


class ImageLocation(SoftDelete, Base):
    __tablename__ = 'image_locations'
    __table_args__ = (
        sa.Index('ix_image_locations_image_id', 'image_id'),
        sa.Index('ix_image_locations_deleted', 'deleted'),
        sa.Index('ix_image_locations_image_id_deleted', 'image_id',
                 'deleted'),
        sa.Index('ix_image_locations_url_hash', 'url_hash'),
        sa.Index('uq_image_locations_claim', 'claim', unique=True),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    image_id = sa.Column(sa.String(36), sa.ForeignKey('images.id'),
                         nullable=False)
    value = sa.Column(sa.Text, nullable=False)
    meta_data = sa.Column(JSONEncodedDict)
    status = sa.Column(sa.String(30), nullable=False, default='active',
                       server_default='active')
    # sha256 of ``value``: finds every row naming a URL.
    url_hash = sa.Column(sa.String(64))
    # ``url_hash`` while the row's data is in use (not deleted, or
    # pending_delete), else NULL; unique, so no two such rows share a URL.
    claim = sa.Column(sa.String(64))


class ImageMember(SoftDelete, Base):
    __tablename__ = 'image_members'
    __table_args__ = (
        sa.UniqueConstraint(
            'image_id', 'member', 'deleted_at',
            name='image_members_image_id_member_deleted_at_key'),
        sa.Index('ix_image_members_deleted', 'deleted'),
        sa.Index('ix_image_members_image_id', 'image_id'),
        sa.Index('ix_image_members_image_id_member', 'image_id', 'member'),
        sa.Index('ix_image_members_image_id_deleted', 'image_id', 'deleted'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    image_id = sa.Column(sa.String(36), sa.ForeignKey('images.id'),
                         nullable=False)
    member = sa.Column(sa.String(255), nullable=False)
    can_share = sa.Column(sa.Boolean, nullable=False, default=False,
                          server_default=sa.false())
    status = sa.Column(sa.String(20), nullable=False, default='pending',
                       server_default='pending')


class Task(SoftDelete, Base):
    __tablename__ = 'tasks'
    __table_args__ = (
        sa.Index('ix_tasks_type', 'type'),
        sa.Index('ix_tasks_status', 'status'),
        sa.Index('ix_tasks_owner', 'owner'),
        sa.Index('ix_tasks_deleted', 'deleted'),
        sa.Index('ix_tasks_updated_at', 'updated_at'),
        sa.Index('ix_tasks_image_id', 'image_id'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    type = sa.Column(sa.String(30), nullable=False)
    status = sa.Column(sa.String(30), nullable=False)
    owner = sa.Column(sa.String(255), nullable=False)
    expires_at = sa.Column(DateTime)
    # The image, request and user an image import task serves (API 2.12).
    image_id = sa.Column(sa.String(36))
    request_id = sa.Column(sa.String(64))
    user_id = sa.Column(sa.String(64))
    # The glance-api process running the task, alive until
    # lease_expires_at unless it renews (see migration 0003_tasks).
    holder = sa.Column(sa.String(255))
    lease_expires_at = sa.Column(DateTime)


class TaskInfo(Base):
    __tablename__ = 'task_info'
    __table_args__ = (TABLE_ARGS,)

    task_id = sa.Column(sa.String(36), sa.ForeignKey('tasks.id'),
                        primary_key=True, nullable=False)
    input = sa.Column(JSONEncodedDict)
    result = sa.Column(JSONEncodedDict)
    message = sa.Column(sa.Text)


class MetadefNamespace(Timestamps, Base):
    __tablename__ = 'metadef_namespaces'
    __table_args__ = (
        sa.UniqueConstraint('namespace',
                            name='uq_metadef_namespaces_namespace'),
        sa.Index('ix_metadef_namespaces_owner', 'owner'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    namespace = sa.Column(sa.String(80), nullable=False)
    display_name = sa.Column(sa.String(80))
    description = sa.Column(sa.Text)
    visibility = sa.Column(sa.String(32))
    protected = sa.Column(sa.Boolean)
    owner = sa.Column(sa.String(255), nullable=False)


class MetadefObject(Timestamps, Base):
    __tablename__ = 'metadef_objects'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name',
                            name='uq_metadef_objects_namespace_id_name'),
        sa.Index('ix_metadef_objects_name', 'name'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id = sa.Column(sa.Integer,
                             sa.ForeignKey('metadef_namespaces.id'),
                             nullable=False)
    name = sa.Column(sa.String(80), nullable=False)
    description = sa.Column(sa.Text)
    required = sa.Column(JSONEncodedDict)
    json_schema = sa.Column(JSONEncodedDict, nullable=False)


class MetadefProperty(Timestamps, Base):
    __tablename__ = 'metadef_properties'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name',
                            name='uq_metadef_properties_namespace_id_name'),
        sa.Index('ix_metadef_properties_name', 'name'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id = sa.Column(sa.Integer,
                             sa.ForeignKey('metadef_namespaces.id'),
                             nullable=False)
    name = sa.Column(sa.String(80), nullable=False)
    json_schema = sa.Column(JSONEncodedDict, nullable=False)


class MetadefResourceType(Timestamps, Base):
    __tablename__ = 'metadef_resource_types'
    __table_args__ = (
        sa.UniqueConstraint('name', name='uq_metadef_resource_types_name'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(80), nullable=False)
    protected = sa.Column(sa.Boolean, nullable=False, default=False,
                          server_default=sa.false())


class MetadefNamespaceResourceType(Timestamps, Base):
    __tablename__ = 'metadef_namespace_resource_types'
    __table_args__ = (
        sa.Index('ix_metadef_ns_res_types_namespace_id', 'namespace_id'),
        TABLE_ARGS,
    )

    resource_type_id = sa.Column(sa.Integer,
                                 sa.ForeignKey('metadef_resource_types.id'),
                                 primary_key=True, nullable=False)
    namespace_id = sa.Column(sa.Integer,
                             sa.ForeignKey('metadef_namespaces.id'),
                             primary_key=True, nullable=False)
    properties_target = sa.Column(sa.String(80))
    prefix = sa.Column(sa.String(80))


class MetadefTag(Timestamps, Base):
    __tablename__ = 'metadef_tags'
    __table_args__ = (
        sa.UniqueConstraint('namespace_id', 'name',
                            name='uq_metadef_tags_namespace_id_name'),
        sa.Index('ix_metadef_tags_name', 'name'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    namespace_id = sa.Column(sa.Integer,
                             sa.ForeignKey('metadef_namespaces.id'),
                             nullable=False)
    name = sa.Column(sa.String(80), nullable=False)


class ImageLease(Base):
    """Who holds an image in ``saving`` and until when (see
    ``glance_registry.db.leases``). One row per image at most; the row goes
    when the upload ends, the image is deleted, or the lease expires."""

    __tablename__ = 'image_leases'
    __table_args__ = (
        sa.Index('ix_image_leases_expires_at', 'expires_at'),
        sa.Index('ix_image_leases_holder', 'holder'),
        TABLE_ARGS,
    )

    image_id = sa.Column(sa.String(36), sa.ForeignKey('images.id'),
                         primary_key=True, nullable=False)
    holder = sa.Column(sa.String(255), nullable=False)
    # The API version that started the upload decides where an expired
    # lease sends the image: v1 to killed, v2 back to queued.
    api_version = sa.Column(sa.String(8), nullable=False)
    # The status the image held the lease in (saving, or importing).
    status = sa.Column(sa.String(30), nullable=False)
    expires_at = sa.Column(DateTime, nullable=False)
    created_at = sa.Column(DateTime, nullable=False)
    updated_at = sa.Column(DateTime)


# Children first: the order db purge and test truncation delete in.
TABLES_CHILDREN_FIRST = (
    'image_leases', 'image_tags', 'image_properties', 'image_members',
    'image_locations',
    'images', 'task_info', 'tasks', 'metadef_namespace_resource_types',
    'metadef_tags', 'metadef_properties', 'metadef_objects',
    'metadef_resource_types', 'metadef_namespaces', 'cached_images',
    'node_reference',
)


class NodeReference(Base):
    """A glance-api host (its ``worker_self_reference_url``) that keeps an
    image cache."""

    __tablename__ = 'node_reference'
    __table_args__ = (
        sa.UniqueConstraint('node_reference_url',
                            name='uq_node_reference_node_reference_url'),
        TABLE_ARGS,
    )

    node_reference_id = sa.Column(sa.Integer, primary_key=True,
                                  autoincrement=True)
    node_reference_url = sa.Column(sa.String(255), nullable=False)


class CachedImage(Base):
    """An image whose data one node holds in its ``image_cache_dir``.
    ``last_modified`` is the cache file's mtime when it was committed, so a
    file changed since is recognised. Rows are deleted for real."""

    __tablename__ = 'cached_images'
    __table_args__ = (
        sa.UniqueConstraint(
            'image_id', 'node_reference_id',
            name='uq_cached_images_image_id_node_reference_id'),
        sa.Index('ix_cached_images_image_id', 'image_id'),
        TABLE_ARGS,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    image_id = sa.Column(sa.String(36), nullable=False)
    last_accessed = sa.Column(DateTime, nullable=False)
    last_modified = sa.Column(DateTime, nullable=False)
    size = sa.Column(sa.BigInteger, nullable=False)
    hits = sa.Column(sa.Integer, nullable=False, default=0,
                     server_default='0')
    checksum = sa.Column(sa.String(32))
    node_reference_id = sa.Column(
        sa.Integer, sa.ForeignKey('node_reference.node_reference_id'),
        nullable=False)
