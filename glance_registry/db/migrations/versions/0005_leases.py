"""Upload leases: which glance-api holds an image in ``saving``, until when.

Revision ID: 0005_leases
Revises: 0004_cache
Create Date: 2026-12-05 00:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0005_leases'
down_revision = '0004_cache'
branch_labels = None
depends_on = None

# Frozen copies of the column types (see 0001_initial).
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4',
              'mysql_collate': 'utf8mb4_bin'}


def upgrade():
    op.create_table(
        'image_leases',
        sa.Column('image_id', sa.String(36), sa.ForeignKey('images.id'),
                  primary_key=True, nullable=False),
        sa.Column('holder', sa.String(255), nullable=False),
        sa.Column('api_version', sa.String(8), nullable=False),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('expires_at', DateTime, nullable=False),
        sa.Column('created_at', DateTime, nullable=False),
        sa.Column('updated_at', DateTime),
        **TABLE_ARGS)
    op.create_index('ix_image_leases_expires_at', 'image_leases',
                    ['expires_at'])
    op.create_index('ix_image_leases_holder', 'image_leases', ['holder'])
