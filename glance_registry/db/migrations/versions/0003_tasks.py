"""Tasks of image imports: which image, request and user a task serves,
and which glance-api process runs it until when.

``image_id``, ``request_id`` and ``user_id`` answer GET
/v2/images/{image_id}/tasks (Image API 2.12). ``holder`` names the
glance-api process running the task and ``lease_expires_at`` the time it
last promised to be alive until: a task whose holder stopped renewing is
failed by whoever next looks at it, so an image never stays ``importing``
because its worker died.

Revision ID: 0003_tasks
Revises: 0002_location_claims
Create Date: 2026-12-05 00:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0003_tasks'
down_revision = '0002_location_claims'
branch_labels = None
depends_on = None

# Microseconds on MySQL, as every time column of the schema.
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.add_column('tasks', sa.Column('image_id', sa.String(36)))
    op.add_column('tasks', sa.Column('request_id', sa.String(64)))
    op.add_column('tasks', sa.Column('user_id', sa.String(64)))
    op.add_column('tasks', sa.Column('holder', sa.String(255)))
    op.add_column('tasks', sa.Column('lease_expires_at', DATETIME))
    op.create_index('ix_tasks_image_id', 'tasks', ['image_id'])
