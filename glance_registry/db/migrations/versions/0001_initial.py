"""Initial schema: images, members, locations, tags, tasks, metadefs.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-01 00:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types, so later model edits never change
# what this revision creates.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
              'mysql_collate': 'utf8mb4_bin'}


def _soft_delete_columns():
    return [
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime),
        sa.Column('deleted_at', DateTime),
        sa.Column('deleted', sa.Boolean, nullable=False,
                  server_default=sa.false()),
    ]


def _timestamp_columns():
    return [
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime),
    ]


def _image_child(name, *columns):
    op.create_table(
        name,
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('image_id', sa.String(36), sa.ForeignKey('images.id'),
                  nullable=False),
        *columns,
        *_soft_delete_columns(),
        **TABLE_ARGS)


def upgrade():
    op.create_table(
        'images',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255)),
        sa.Column('disk_format', sa.String(20)),
        sa.Column('container_format', sa.String(20)),
        sa.Column('size', sa.BigInteger),
        sa.Column('virtual_size', sa.BigInteger),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('visibility',
                  sa.Enum('private', 'public', 'shared', 'community',
                          name='image_visibility'),
                  nullable=False, server_default='shared'),
        sa.Column('checksum', sa.String(32)),
        sa.Column('os_hash_algo', sa.String(64)),
        sa.Column('os_hash_value', sa.String(128)),
        sa.Column('min_disk', sa.Integer, nullable=False,
                  server_default='0'),
        sa.Column('min_ram', sa.Integer, nullable=False, server_default='0'),
        sa.Column('owner', sa.String(255)),
        sa.Column('protected', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('os_hidden', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        *_soft_delete_columns(),
        **TABLE_ARGS)
    op.create_index('checksum_image_idx', 'images', ['checksum'])
    op.create_index('visibility_image_idx', 'images', ['visibility'])
    op.create_index('ix_images_deleted', 'images', ['deleted'])
    op.create_index('owner_image_idx', 'images', ['owner'])
    op.create_index('created_at_image_idx', 'images', ['created_at'])
    op.create_index('updated_at_image_idx', 'images', ['updated_at'])
    op.create_index('os_hidden_image_idx', 'images', ['os_hidden'])
    op.create_index('os_hash_value_image_idx', 'images', ['os_hash_value'])

    _image_child('image_properties',
                 sa.Column('name', sa.String(255), nullable=False),
                 sa.Column('value', sa.Text),
                 sa.UniqueConstraint('image_id', 'name',
                                     name='ix_image_properties_image_id_name'))
    op.create_index('ix_image_properties_image_id', 'image_properties',
                    ['image_id'])
    op.create_index('ix_image_properties_deleted', 'image_properties',
                    ['deleted'])

    _image_child('image_tags',
                 sa.Column('value', sa.String(255), nullable=False))
    op.create_index('ix_image_tags_image_id', 'image_tags', ['image_id'])
    op.create_index('ix_image_tags_image_id_tag_value', 'image_tags',
                    ['image_id', 'value'])

    _image_child('image_locations',
                 sa.Column('value', sa.Text, nullable=False),
                 sa.Column('meta_data', sa.Text),
                 sa.Column('status', sa.String(30), nullable=False,
                           server_default='active'))
    op.create_index('ix_image_locations_image_id', 'image_locations',
                    ['image_id'])
    op.create_index('ix_image_locations_deleted', 'image_locations',
                    ['deleted'])

    _image_child('image_members',
                 sa.Column('member', sa.String(255), nullable=False),
                 sa.Column('can_share', sa.Boolean, nullable=False,
                           server_default=sa.false()),
                 sa.Column('status', sa.String(20), nullable=False,
                           server_default='pending'),
                 sa.UniqueConstraint(
                     'image_id', 'member', 'deleted_at',
                     name='image_members_image_id_member_deleted_at_key'))
    op.create_index('ix_image_members_deleted', 'image_members', ['deleted'])
    op.create_index('ix_image_members_image_id', 'image_members',
                    ['image_id'])
    op.create_index('ix_image_members_image_id_member', 'image_members',
                    ['image_id', 'member'])

    op.create_table(
        'tasks',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('type', sa.String(30), nullable=False),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('owner', sa.String(255), nullable=False),
        sa.Column('expires_at', DateTime),
        *_soft_delete_columns(),
        **TABLE_ARGS)
    for column in ('type', 'status', 'owner', 'deleted', 'updated_at'):
        op.create_index('ix_tasks_%s' % column, 'tasks', [column])

    op.create_table(
        'task_info',
        sa.Column('task_id', sa.String(36), sa.ForeignKey('tasks.id'),
                  primary_key=True, nullable=False),
        sa.Column('input', sa.Text),
        sa.Column('result', sa.Text),
        sa.Column('message', sa.Text),
        **TABLE_ARGS)

    op.create_table(
        'metadef_namespaces',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('namespace', sa.String(80), nullable=False),
        sa.Column('display_name', sa.String(80)),
        sa.Column('description', sa.Text),
        sa.Column('visibility', sa.String(32)),
        sa.Column('protected', sa.Boolean),
        sa.Column('owner', sa.String(255), nullable=False),
        *_timestamp_columns(),
        sa.UniqueConstraint('namespace',
                            name='uq_metadef_namespaces_namespace'),
        **TABLE_ARGS)
    op.create_index('ix_metadef_namespaces_owner', 'metadef_namespaces',
                    ['owner'])

    def namespace_child(name, *columns):
        op.create_table(
            name,
            sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
            sa.Column('namespace_id', sa.Integer,
                      sa.ForeignKey('metadef_namespaces.id'),
                      nullable=False),
            sa.Column('name', sa.String(80), nullable=False),
            *columns,
            *_timestamp_columns(),
            sa.UniqueConstraint('namespace_id', 'name',
                                name='uq_%s_namespace_id_name' % name),
            **TABLE_ARGS)
        op.create_index('ix_%s_name' % name, name, ['name'])

    namespace_child('metadef_objects',
                    sa.Column('description', sa.Text),
                    sa.Column('required', sa.Text),
                    sa.Column('json_schema', sa.Text, nullable=False))
    namespace_child('metadef_properties',
                    sa.Column('json_schema', sa.Text, nullable=False))
    namespace_child('metadef_tags')

    op.create_table(
        'metadef_resource_types',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('protected', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        *_timestamp_columns(),
        sa.UniqueConstraint('name', name='uq_metadef_resource_types_name'),
        **TABLE_ARGS)

    op.create_table(
        'metadef_namespace_resource_types',
        sa.Column('resource_type_id', sa.Integer,
                  sa.ForeignKey('metadef_resource_types.id'),
                  primary_key=True, nullable=False),
        sa.Column('namespace_id', sa.Integer,
                  sa.ForeignKey('metadef_namespaces.id'),
                  primary_key=True, nullable=False),
        sa.Column('properties_target', sa.String(80)),
        sa.Column('prefix', sa.String(80)),
        *_timestamp_columns(),
        **TABLE_ARGS)
    op.create_index('ix_metadef_ns_res_types_namespace_id',
                    'metadef_namespace_resource_types', ['namespace_id'])
