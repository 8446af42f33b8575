"""Schema migrations (alembic) and purge of soft-deleted rows.

Alembic runs programmatically on the engine of
:mod:`glance_registry.db.engine`; no alembic.ini is needed at run time.
"""

import datetime
import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from oslo_log import log as logging
import sqlalchemy as sa

from glance_registry.db import engine as db_engine
from glance_registry.db import models

LOG = logging.getLogger(__name__)
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'migrations')


def _alembic_config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location', MIGRATIONS_DIR)
    config.attributes['connection'] = connection
    return config


def head_revision():
    script = alembic_script.ScriptDirectory(MIGRATIONS_DIR)
    return script.get_current_head()


def current_revision(engine=None):
    """The revision the database is at, or None if never synced."""
    engine = engine or db_engine.get_engine()
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_revision()


def upgrade(version='heads', engine=None):
    """Migrate to ``version``; a database already there is left alone."""
    engine = engine or db_engine.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_alembic_config(connection),
                                version or 'heads')
    if engine.dialect.name == 'sqlite':
        # Without statistics SQLite picks the wrong index for the
        # image/properties join (image get ~11x slower).
        with engine.begin() as connection:
            connection.execute(sa.text('ANALYZE'))
    return current_revision(engine)


def purge(age_in_days, max_rows=None, engine=None, now=None):
    """Hard-delete rows soft-deleted more than ``age_in_days`` days ago.

    Children go before their parents: image tags, properties, members and
    locations (those soft-deleted, and every row of a purged image), then
    the images; task_info then tasks. ``max_rows`` bounds the rows deleted
    per table. Returns {table: rows deleted}.
    """
    if age_in_days < 0:
        raise ValueError('age_in_days must be 0 or more')
    if max_rows is not None and max_rows < 1:
        raise ValueError('max_rows must be 1 or more')
    engine = engine or db_engine.get_engine()
    now = now or datetime.datetime.utcnow()
    cutoff = now - datetime.timedelta(days=age_in_days)
    deleted = {}

    def expired(table):
        return sa.and_(table.c.deleted == sa.true(),
                       table.c.deleted_at < cutoff)

    def purge_ids(connection, table, key, where):
        query = sa.select(table.c[key]).where(where)
        if max_rows:
            query = query.limit(max_rows)
        ids = [row[0] for row in connection.execute(query)]
        return ids

    tables = models.Base.metadata.tables
    images = tables['images']
    tasks = tables['tasks']
    with engine.begin() as connection:
        image_ids = purge_ids(connection, images, 'id', expired(images))
        for name in ('image_tags', 'image_properties', 'image_members',
                     'image_locations'):
            child = tables[name]
            count = 0
            if image_ids:
                count += connection.execute(
                    child.delete().where(child.c.image_id.in_(image_ids))
                ).rowcount
            ids = purge_ids(connection, child, 'id', expired(child))
            if ids:
                count += connection.execute(
                    child.delete().where(child.c.id.in_(ids))).rowcount
            deleted[name] = count
        deleted['images'] = 0
        if image_ids:
            deleted['images'] = connection.execute(
                images.delete().where(images.c.id.in_(image_ids))).rowcount

        task_ids = purge_ids(connection, tasks, 'id', expired(tasks))
        deleted['task_info'] = deleted['tasks'] = 0
        if task_ids:
            task_info = tables['task_info']
            deleted['task_info'] = connection.execute(
                task_info.delete().where(task_info.c.task_id.in_(task_ids))
            ).rowcount
            deleted['tasks'] = connection.execute(
                tasks.delete().where(tasks.c.id.in_(task_ids))).rowcount
    for name, count in deleted.items():
        if count:
            LOG.info('Purged %d rows from %s', count, name)
    return deleted
