"""The image cache's metadata: which glance-api node holds which image.

``node_reference`` names each glance-api node by its
``worker_self_reference_url``; ``cached_images`` has one row per image a
node holds in its ``image_cache_dir`` (size, checksum, hits, last access,
the file's mtime when committed).

Revision ID: 0004_cache
Revises: 0003_tasks
Create Date: 2026-12-05 00:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0004_cache'
down_revision = '0003_tasks'
branch_labels = None
depends_on = None

# Frozen copies of the column types (see 0001_initial).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
              'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'node_reference',
        sa.Column('node_reference_id', sa.Integer, primary_key=True,
                  autoincrement=True),
        sa.Column('node_reference_url', sa.String(255), nullable=False),
        sa.UniqueConstraint('node_reference_url',
                            name='uq_node_reference_node_reference_url'),
        **TABLE_ARGS)
    op.create_table(
        'cached_images',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('image_id', sa.String(36), nullable=False),
        sa.Column('last_accessed', DateTime, nullable=False),
        sa.Column('last_modified', DateTime, nullable=False),
        sa.Column('size', sa.BigInteger, nullable=False),
        sa.Column('hits', sa.Integer, nullable=False, server_default='0'),
        sa.Column('checksum', sa.String(32)),
        sa.Column('node_reference_id', sa.Integer,
                  sa.ForeignKey('node_reference.node_reference_id'),
                  nullable=False),
        sa.UniqueConstraint(
            'image_id', 'node_reference_id',
            name='uq_cached_images_image_id_node_reference_id'),
        **TABLE_ARGS)
    op.create_index('ix_cached_images_image_id', 'cached_images',
                    ['image_id'])
