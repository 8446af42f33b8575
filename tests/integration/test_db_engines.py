"""The db unit tests again, on real MariaDB and PostgreSQL.

Every test class of tests/unit/registry/db that works on a database runs
here once per engine: the class gets its own randomly named database,
migrated by the same alembic revisions, emptied between tests and dropped
at the end. A database server that is down makes these tests fail (the
class set-up raises), never skip.
"""

import threading
import uuid

import sqlalchemy as sa

from glance_registry.db import api
from glance_registry.db import engine
from tests.unit.registry.db import base
from tests.unit.registry.db import test_cache
from tests.unit.registry.db import test_children
from tests.unit.registry.db import test_image_list
from tests.unit.registry.db import test_images
from tests.unit.registry.db import test_metadef
from tests.unit.registry.db import test_migration
from tests.unit.registry.db import test_leases
from tests.unit.registry.db import test_statements
from tests.unit.registry.db import test_task_leases
from tests.unit.registry.db import test_tasks

MYSQL_SERVER = 'mysql+pymysql://root@127.0.0.1'
POSTGRESQL_SERVER = 'postgresql+psycopg2://postgres@127.0.0.1'


class ServerDatabase:
    """Create/drop a randomly named database on a running server."""

    server_url = None
    admin_database = ''
    url_suffix = ''

    @classmethod
    def _admin_engine(cls):
        return sa.create_engine('%s/%s' % (cls.server_url,
                                           cls.admin_database),
                                isolation_level='AUTOCOMMIT',
                                poolclass=sa.pool.NullPool)

    @classmethod
    def create_database(cls):
        cls.database_name = 'glance_test_%s' % uuid.uuid4().hex[:12]
        admin = cls._admin_engine()
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(cls.create_statement %
                                           cls.database_name))
        finally:
            admin.dispose()
        return '%s/%s%s' % (cls.server_url, cls.database_name,
                            cls.url_suffix)

    @classmethod
    def drop_database(cls):
        admin = cls._admin_engine()
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(cls.drop_statement %
                                           cls.database_name))
        finally:
            admin.dispose()


class MySQLDatabase(ServerDatabase):
    server_url = MYSQL_SERVER
    url_suffix = '?charset=utf8mb4'
    create_statement = 'CREATE DATABASE %s CHARACTER SET utf8mb4'
    drop_statement = 'DROP DATABASE IF EXISTS %s'


class PostgreSQLDatabase(ServerDatabase):
    server_url = POSTGRESQL_SERVER
    admin_database = 'postgres'
    create_statement = "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0"
    drop_statement = 'DROP DATABASE IF EXISTS %s WITH (FORCE)'


def _engine_test_classes():
    """Every DBTestCase of the unit modules, once per engine."""
    classes = {}
    for module in (test_images, test_image_list, test_children, test_tasks,
                   test_metadef, test_migration, test_cache, test_leases,
                   test_task_leases, test_statements):
        for name, value in sorted(vars(module).items()):
            if (isinstance(value, type) and
                    issubclass(value, base.DBTestCase) and
                    value.__module__ == module.__name__):
                for prefix, mixin in (('MySQL', MySQLDatabase),
                                      ('PostgreSQL', PostgreSQLDatabase)):
                    new_name = prefix + name
                    classes[new_name] = type(new_name, (mixin, value), {
                        '__module__': __name__})
    return classes


globals().update(_engine_test_classes())


class ServerRestartMixin:
    """Pooled connections the server dropped are replaced transparently."""

    def test_connections_killed_by_the_server_are_replaced(self):
        image = api.image_create(base.ADMIN, {'owner': 'p1'})
        self.assertEqual(image['id'], api.image_get(base.ADMIN,
                                                    image['id'])['id'])
        self.kill_connections()
        self.assertEqual(image['id'], api.image_get(base.ADMIN,
                                                    image['id'])['id'])
        api.image_update(base.ADMIN, image['id'], {'name': 'after'})

    def test_sixteen_concurrent_transactions_reuse_their_connections(self):
        """A registry process serves many requests at once: 16 transactions
        open together, twice over, open 16 connections the first time and
        none the second (oslo.db's default pool kept 5 and opened and
        closed 11 for every such burst)."""
        opened = []
        sa.event.listen(engine.get_engine(), 'connect',
                        lambda *args: opened.append(1))
        all_open = threading.Barrier(16, timeout=30)
        errors = []

        def transaction():
            try:
                with engine.reader() as session:
                    session.execute(sa.text('SELECT 1'))
                    all_open.wait()
            except Exception as e:
                errors.append(e)

        counts = []
        for burst in range(2):
            threads = [threading.Thread(target=transaction)
                       for _ in range(16)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            counts.append(len(opened))
        self.assertEqual([], errors)
        self.assertLessEqual(counts[0], 16)
        self.assertEqual(counts[0], counts[1])


class MySQLEngineTests(ServerRestartMixin, MySQLDatabase, base.DBTestCase):

    def kill_connections(self):
        admin = self._admin_engine()
        try:
            with admin.connect() as connection:
                ids = connection.execute(sa.text(
                    'SELECT id FROM information_schema.processlist '
                    'WHERE db = :db'), {'db': self.database_name}
                ).scalars().all()
                self.assertTrue(ids)
                for connection_id in ids:
                    connection.execute(sa.text('KILL %d' % connection_id))
        finally:
            admin.dispose()

    def test_tables_are_innodb_utf8mb4(self):
        with engine.get_engine().connect() as connection:
            rows = connection.execute(sa.text(
                'SELECT table_name, engine, table_collation FROM '
                'information_schema.tables WHERE table_schema = :schema '
                "AND table_name != 'alembic_version'"),
                {'schema': self.database_name}).all()
        self.assertEqual(16, len(rows))
        for name, table_engine, collation in rows:
            self.assertEqual('InnoDB', table_engine, name)
            self.assertEqual('utf8mb4_bin', collation, name)

    def test_four_byte_characters_round_trip(self):
        image = api.image_create(base.ADMIN, {
            'name': 'snow \u2603 \U0001F600', 'owner': 'p1',
            'properties': {'note': '\U0001F4BE'}})
        got = api.image_get(base.ADMIN, image['id'])
        self.assertEqual('snow \u2603 \U0001F600', got['name'])
        self.assertEqual({'note': '\U0001F4BE'}, got['properties'])

    def test_names_and_tags_are_case_sensitive(self):
        image = api.image_create(base.ADMIN, {
            'name': 'Cirros', 'owner': 'p1', 'tags': ['A', 'a'],
            'properties': {'Key': '1', 'key': '2'}})
        self.assertEqual(['A', 'a'], image['tags'])
        self.assertEqual({'Key': '1', 'key': '2'}, image['properties'])
        self.assertEqual([], api.image_get_all(base.ADMIN,
                                               filters={'name': 'cirros'}))


class PostgreSQLEngineTests(ServerRestartMixin, PostgreSQLDatabase,
                            base.DBTestCase):

    def kill_connections(self):
        admin = self._admin_engine()
        try:
            with admin.connect() as connection:
                killed = connection.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = :db'), {'db': self.database_name}).all()
            self.assertTrue(killed)
        finally:
            admin.dispose()

    def test_visibility_is_a_native_enum(self):
        with engine.get_engine().connect() as connection:
            labels = connection.execute(sa.text(
                "SELECT enumlabel FROM pg_enum JOIN pg_type ON "
                "pg_type.oid = enumtypid WHERE typname = 'image_visibility' "
                "ORDER BY enumsortorder")).scalars().all()
        self.assertEqual(['private', 'public', 'shared', 'community'], labels)
