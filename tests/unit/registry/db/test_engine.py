"""Engine set-up: options, unreachable databases, recovery, retries."""

import os

import fixtures
from oslo_config import cfg
from oslo_db import exception as db_exc
import testtools

from glance_registry.common import exception
from glance_registry.db import api
from glance_registry.db import engine
from glance_registry.db import migration
from tests.unit.registry.db import base


class EngineTests(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(engine.dispose)

    def test_default_connection_is_a_sqlite_file_under_state_path(self):
        self.assertEqual('sqlite:////var/lib/glance/glance.sqlite',
                         cfg.CONF.database.connection)
        groups = dict((group, {o.name: o for o in opts})
                      for group, opts in api.list_opts())
        self.assertIn('state_path', groups['DEFAULT'])
        self.assertIn('max_pool_size', groups['database'])
        self.assertEqual(engine.DEFAULT_CONNECTION,
                         groups['database']['connection'].default)

    def test_unreachable_server_raises_database_unavailable_at_once(self):
        engine.configure('mysql+pymysql://root@127.0.0.1:1/glance')
        error = self.assertRaises(exception.DatabaseUnavailable,
                                  api.image_get, base.ADMIN, 'x')
        self.assertEqual(503, error.http_status)
        self.assertEqual('database_unavailable', error.code)
        self.assertNotIn('SELECT', str(error))
        self.assertRaises(exception.DatabaseUnavailable, api.image_create,
                          base.ADMIN, {'owner': 'p1'})

    def test_database_that_comes_back_is_used_without_a_restart(self):
        root = self.useFixture(fixtures.TempDir()).path
        folder = os.path.join(root, 'not-yet')
        engine.configure('sqlite:///%s' % os.path.join(folder, 'g.sqlite'))
        self.assertRaises(exception.DatabaseUnavailable, api.image_get_all,
                          base.ADMIN)
        os.mkdir(folder)
        migration.upgrade()
        image = api.image_create(base.ADMIN, {'owner': 'p1'})
        self.assertEqual([image['id']],
                         [i['id'] for i in api.image_get_all(base.ADMIN)])

    def test_wait_for_database_gives_up_with_database_unavailable(self):
        engine.configure('mysql+pymysql://root@127.0.0.1:1/glance')
        self.assertRaises(exception.DatabaseUnavailable,
                          engine.wait_for_database, 2, 0)

    def test_writes_are_retried_on_deadlock(self):
        calls = []

        @engine.write_operation
        def write():
            calls.append(1)
            if len(calls) < 3:
                raise db_exc.DBDeadlock()
            return 'done'

        self.assertEqual('done', write())
        self.assertEqual(3, len(calls))

    def test_persistent_deadlock_becomes_database_unavailable(self):
        @engine.write_operation
        def write():
            raise db_exc.DBDeadlock()

        self.assertRaises(exception.DatabaseUnavailable, write)

    def test_duplicate_entry_becomes_duplicate(self):
        @engine.write_operation
        def write():
            raise db_exc.DBDuplicateEntry(columns=['whatever'])

        self.assertRaises(exception.Duplicate, write)
