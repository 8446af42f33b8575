"""Location claims: one live location per URL, across all images.

``url_hash`` (sha256 of the URL, every row, indexed) finds the rows naming
a URL; ``claim`` (the same hash, only on rows whose data is still in use:
not deleted, or pending_delete) is unique, so two requests can never both
record one URL for two images. URLs already recorded more than once before
this revision keep their rows; only the oldest row of each gets the claim.

Revision ID: 0002_location_claims
Revises: 0001_initial
Create Date: 2026-02-01 00:00:00
"""

import hashlib

from alembic import op
import sqlalchemy as sa

revision = '0002_location_claims'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def _hash(url):
    # Frozen copy of glance_registry.db.api's hash of a location URL.
    return hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()


def upgrade():
    op.add_column('image_locations',
                  sa.Column('url_hash', sa.String(64)))
    op.add_column('image_locations',
                  sa.Column('claim', sa.String(64)))
    locations = sa.table('image_locations', sa.column('id', sa.Integer),
                         sa.column('value', sa.Text),
                         sa.column('deleted', sa.Boolean),
                         sa.column('status', sa.String(30)),
                         sa.column('url_hash', sa.String(64)),
                         sa.column('claim', sa.String(64)))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(locations.c.id, locations.c.value, locations.c.deleted,
                  locations.c.status).order_by(locations.c.id)).all()
    claimed = set()
    for row_id, value, deleted, status in rows:
        url_hash = _hash(value)
        claim = None
        if (not deleted or status == 'pending_delete') and (
                url_hash not in claimed):
            claim = url_hash
            claimed.add(url_hash)
        connection.execute(
            locations.update().where(locations.c.id == row_id)
            .values(url_hash=url_hash, claim=claim))
    op.create_index('ix_image_locations_url_hash', 'image_locations',
                    ['url_hash'])
    op.create_index('uq_image_locations_claim', 'image_locations',
                    ['claim'], unique=True)
