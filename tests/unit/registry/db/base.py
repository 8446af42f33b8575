"""A real database per test class, built by the migrations.

The unit tests use a temp-file SQLite database. tests/integration runs the
very same test classes against MariaDB and PostgreSQL by mixing in a
different :meth:`DBTestCase.create_database` / ``drop_database``.
"""

import datetime
import os
import shutil
import tempfile

import sqlalchemy as sa
import testtools

from glance_registry.common import context
from glance_registry.db import engine
from glance_registry.db import migration
from glance_registry.db import models


def make_context(project='p1', admin=False, show_deleted=False):
    # Roles as Keystone implies them (admin -> member -> reader).
    roles = (['admin'] if admin else []) + ['member', 'reader']
    return context.RequestContext(project_id=project, user_id='u-%s' % project,
                                  is_admin=admin, show_deleted=show_deleted,
                                  roles=roles, overwrite=False)


ADMIN = make_context('admin-project', admin=True)
T0 = datetime.datetime(2020, 1, 1, 12, 0, 0)


def at(seconds):
    """A fixed time ``seconds`` after T0."""
    return T0 + datetime.timedelta(seconds=seconds)


class SQLiteDatabase:
    """Temp-file SQLite, one per test class."""

    @classmethod
    def create_database(cls):
        cls._sqlite_dir = tempfile.mkdtemp(prefix='glance-db-test-')
        return 'sqlite:///%s' % os.path.join(cls._sqlite_dir, 'glance.sqlite')

    @classmethod
    def drop_database(cls):
        shutil.rmtree(cls._sqlite_dir, ignore_errors=True)


class DBTestCase(SQLiteDatabase, testtools.TestCase):
    """Creates and migrates the database once per class, empties it before
    every test and points the db layer at it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection_url = cls.create_database()
        try:
            engine.configure(cls.connection_url)
            migration.upgrade()
        except Exception:
            engine.dispose()
            cls.drop_database()
            raise

    @classmethod
    def tearDownClass(cls):
        engine.dispose()
        cls.drop_database()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        # Another class may have configured the engine since ours ran.
        if str(engine.get_engine().url) != str(
                sa.engine.make_url(self.connection_url)):
            engine.configure(self.connection_url)
        self.empty_tables()

    def empty_tables(self):
        with engine.get_engine().begin() as connection:
            for name in models.TABLES_CHILDREN_FIRST:
                connection.execute(models.Base.metadata.tables[name].delete())

    def count_rows(self, table, **where):
        table = models.Base.metadata.tables[table]
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with engine.get_engine().connect() as connection:
            return connection.execute(query).scalar()

    def rows(self, table, **where):
        table = models.Base.metadata.tables[table]
        query = sa.select(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        with engine.get_engine().connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def execute(self, statement):
        with engine.get_engine().begin() as connection:
            return connection.execute(statement)
