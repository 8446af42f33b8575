"""Indexes on (image_id, deleted) of the image child tables.

Every read and soft-delete of an image's properties, locations and members
asks for ``image_id = ? AND deleted = false``. Without table statistics
(a SQLite database analyzed while it was empty) SQLite picked the
``deleted`` index for that and walked every live row: a show or delete cost
grew with the number of images. An index on both columns is the best match
for it on every engine.

Revision ID: 0006_child_lookup_indexes
Revises: 0005_leases
Create Date: 2026-12-05 00:00:00
"""

from alembic import op

revision = '0006_child_lookup_indexes'
down_revision = '0005_leases'
branch_labels = None
depends_on = None

TABLES = ('image_properties', 'image_locations', 'image_members')


def upgrade():
    for table in TABLES:
        op.create_index('ix_%s_image_id_deleted' % table, table,
                        ['image_id', 'deleted'])
