"""Migrations, db_sync, purge and the glance-manage command line."""

import datetime
import os
import sqlite3
import subprocess
import sys

from alembic import autogenerate
from alembic import migration as alembic_migration
import fixtures
import sqlalchemy as sa
import testtools

from glance_registry.db import api
from glance_registry.db import engine
from glance_registry.db import migration
from glance_registry.db import models
from tests.unit.registry.db import base

P1 = base.make_context('p1')
GLANCE_MANAGE = os.path.join(os.path.dirname(sys.executable), 'glance-manage')
TABLES = {'images', 'image_properties', 'image_locations', 'image_members',
          'image_tags', 'tasks', 'task_info', 'metadef_namespaces',
          'metadef_objects', 'metadef_properties', 'metadef_resource_types',
          'metadef_namespace_resource_types', 'metadef_tags',
          'node_reference', 'cached_images', 'image_leases',
          'alembic_version'}


class MigrationTests(base.DBTestCase):

    def test_migrations_create_every_table_at_the_head_revision(self):
        self.assertEqual(TABLES, set(sa.inspect(engine.get_engine())
                                     .get_table_names()))
        self.assertEqual(migration.head_revision(),
                         migration.current_revision())

    def test_db_sync_again_is_a_no_op_and_keeps_data(self):
        image = api.image_create(P1, {'owner': 'p1', 'name': 'kept'})
        self.assertEqual(migration.head_revision(), migration.upgrade())
        self.assertEqual('kept', api.image_get(P1, image['id'])['name'])

    def test_models_match_what_the_migrations_created(self):
        with engine.get_engine().connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection, opts={'compare_type': True})
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
        self.assertEqual([], diff)

    def test_upstream_indexes_and_unique_keys_exist(self):
        inspector = sa.inspect(engine.get_engine())
        indexes = {i['name'] for i in inspector.get_indexes('images')}
        self.assertTrue({'ix_images_deleted', 'checksum_image_idx',
                         'owner_image_idx', 'visibility_image_idx',
                         'created_at_image_idx', 'os_hidden_image_idx',
                         'os_hash_value_image_idx'} <= indexes, indexes)
        uniques = {tuple(u['column_names']) for u in
                   inspector.get_unique_constraints('image_members')}
        self.assertIn(('image_id', 'member', 'deleted_at'), uniques)


class PurgeTests(base.DBTestCase):

    def age(self, table, days, **where):
        table = models.Base.metadata.tables[table]
        old = datetime.datetime.utcnow() - datetime.timedelta(days=days)
        statement = table.update().where(table.c.deleted == sa.true())
        for column, value in where.items():
            statement = statement.where(table.c[column] == value)
        self.execute(statement.values(deleted_at=old))

    def make_deleted_image(self, days):
        image = api.image_create(P1, {
            'owner': 'p1', 'properties': {'a': '1'}, 'tags': ['t'],
            'locations': [{'url': 'file:///x'}]})
        api.image_member_create(P1, {'image_id': image['id'],
                                     'member': 'p2'})
        api.image_destroy(P1, image['id'])
        for table in ('images', 'image_properties', 'image_tags',
                      'image_members', 'image_locations'):
            key = 'id' if table == 'images' else 'image_id'
            self.age(table, days, **{key: image['id']})
        return image['id']

    def test_purge_removes_old_deleted_images_with_their_children(self):
        old = self.make_deleted_image(days=40)
        recent = self.make_deleted_image(days=1)
        live = api.image_create(P1, {'owner': 'p1',
                                     'properties': {'a': '1'}})
        counts = migration.purge(age_in_days=30)
        self.assertEqual(1, counts['images'])
        self.assertEqual(1, counts['image_properties'])
        for table in ('image_properties', 'image_tags', 'image_members',
                      'image_locations'):
            self.assertEqual(0, self.count_rows(table, image_id=old), table)
            self.assertEqual(1, self.count_rows(table, image_id=recent),
                             table)
        self.assertEqual({recent, live['id']},
                         {r['id'] for r in self.rows('images')})

    def test_purge_removes_deleted_rows_of_live_images(self):
        image = api.image_create(P1, {'owner': 'p1',
                                      'properties': {'a': '1', 'b': '2'}})
        api.image_update(P1, image['id'], {'properties': {'b': '2'}},
                         purge_props=True)
        self.age('image_properties', 40)
        migration.purge(age_in_days=30)
        self.assertEqual(['b'], [r['name'] for r in
                                 self.rows('image_properties')])
        self.assertEqual({'b': '2'},
                         api.image_get(P1, image['id'])['properties'])

    def test_max_rows_bounds_each_table(self):
        for _ in range(3):
            self.make_deleted_image(days=40)
        self.assertEqual(2, migration.purge(30, max_rows=2)['images'])
        self.assertEqual(1, self.count_rows('images'))
        self.assertEqual(1, migration.purge(30, max_rows=2)['images'])

    def test_purge_removes_old_deleted_tasks_and_their_info(self):
        task = api.task_create(P1, {'type': 'import', 'input': {}})
        kept = api.task_create(P1, {'type': 'import'})
        api.task_delete(P1, task['id'])
        self.age('tasks', 40)
        counts = migration.purge(30)
        self.assertEqual(1, counts['tasks'])
        self.assertEqual(1, counts['task_info'])
        self.assertEqual([kept['id']], [r['id'] for r in self.rows('tasks')])


class GlanceManageTests(testtools.TestCase):
    """The real glance-manage command, on SQLite files."""

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.root, 'glance-registry.conf')
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n' % self.root)
        self.db_file = os.path.join(self.root, 'glance.sqlite')

    def manage(self, *args):
        result = subprocess.run(
            [GLANCE_MANAGE, '--config-file', self.conf] + list(args),
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        return result.stdout

    def test_db_sync_creates_the_default_sqlite_under_state_path(self):
        out = self.manage('db_sync')
        self.assertIn(migration.head_revision(), out)
        with sqlite3.connect(self.db_file) as db:
            tables = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        self.assertTrue(TABLES <= tables, tables)
        # ANALYZE ran, so the planner has statistics for the indexes.
        self.assertIn('sqlite_stat1', tables)

    def test_db_sync_twice_is_a_no_op(self):
        self.manage('db_sync')
        before = sqlite3.connect(self.db_file).execute(
            "SELECT sql FROM sqlite_master ORDER BY name").fetchall()
        out = self.manage('db_sync')
        self.assertIn('up to date', out)
        after = sqlite3.connect(self.db_file).execute(
            "SELECT sql FROM sqlite_master ORDER BY name").fetchall()
        self.assertEqual(before, after)

    def test_db_version_before_and_after_sync(self):
        self.assertEqual('None', self.manage('db_version').strip())
        self.manage('db', 'sync')
        self.assertEqual(migration.head_revision(),
                         self.manage('db', 'version').strip())
        self.assertEqual(migration.head_revision(),
                         self.manage('db_version').strip())

    def test_db_upgrade_to_a_version(self):
        self.manage('db_upgrade', migration.head_revision())
        self.assertEqual(migration.head_revision(),
                         self.manage('db_version').strip())

    def test_upgrade_claims_each_url_once_and_keeps_aliases(self):
        self.manage('db_upgrade', '0001_initial')
        with sqlite3.connect(self.db_file) as db:
            for image_id in ('a', 'b'):
                db.execute(
                    "INSERT INTO images (id, status, visibility, min_disk, "
                    "min_ram, protected, os_hidden, created_at, deleted) "
                    "VALUES (?, 'active', 'shared', 0, 0, 0, 0, "
                    "'2020-01-01 00:00:00', 0)", (image_id,))
            for image_id, url, deleted, status in (
                    ('a', 'file:///gone', 1, 'deleted'),
                    ('a', 'file:///shared', 0, 'active'),
                    ('b', 'file:///shared', 0, 'active'),
                    ('b', 'file:///gone', 0, 'active')):
                db.execute(
                    "INSERT INTO image_locations (image_id, value, status, "
                    "created_at, deleted) VALUES (?, ?, ?, "
                    "'2020-01-01 00:00:00', ?)",
                    (image_id, url, status, deleted))
        self.manage('db_sync')
        with sqlite3.connect(self.db_file) as db:
            rows = db.execute(
                'SELECT image_id, value, url_hash IS NOT NULL, claim '
                'IS NOT NULL FROM image_locations ORDER BY id').fetchall()
        self.assertEqual([('a', 'file:///gone', 1, 0),
                          ('a', 'file:///shared', 1, 1),
                          ('b', 'file:///shared', 1, 0),
                          ('b', 'file:///gone', 1, 1)], rows)

    def test_db_purge_command(self):
        self.manage('db_sync')
        with sqlite3.connect(self.db_file) as db:
            db.execute(
                "INSERT INTO images (id, status, visibility, min_disk, "
                "min_ram, protected, os_hidden, created_at, deleted, "
                "deleted_at) VALUES ('old', 'deleted', 'shared', 0, 0, 0, "
                "0, '2000-01-01 00:00:00', 1, '2000-01-02 00:00:00')")
            db.execute(
                "INSERT INTO image_properties (image_id, name, value, "
                "created_at, deleted) VALUES ('old', 'a', 'b', "
                "'2000-01-01 00:00:00', 0)")
        out = self.manage('db', 'purge', '--age_in_days', '10',
                          '--max_rows', '5')
        self.assertIn('images: 1 rows purged', out)
        with sqlite3.connect(self.db_file) as db:
            self.assertEqual(0, db.execute(
                'SELECT count(*) FROM image_properties').fetchone()[0])

    def test_unreachable_database_fails_with_a_clear_message(self):
        with open(self.conf, 'a') as f:
            f.write('[database]\nconnection = '
                    'mysql+pymysql://nobody:secret@127.0.0.1:1/glance\n')
        result = subprocess.run([GLANCE_MANAGE, '--config-file', self.conf,
                                 'db_sync'], capture_output=True, text=True,
                                timeout=120)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('cannot connect to the database', result.stderr)
        self.assertNotIn('secret', result.stderr)
