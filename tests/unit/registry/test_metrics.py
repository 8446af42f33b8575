"""The registry's database pool as /metrics reports it, from a real
SQLAlchemy pool."""

import os
import tempfile

import sqlalchemy as sa
from sqlalchemy import pool
import testtools

from glance_registry import metrics


class DatabasePoolCollectorTest(testtools.TestCase):

    def test_reports_size_and_checked_out_connections(self):
        fd, path = tempfile.mkstemp(suffix='.sqlite')
        os.close(fd)
        self.addCleanup(os.unlink, path)
        engine = sa.create_engine('sqlite:///%s' % path,
                                  poolclass=pool.QueuePool, pool_size=3)
        self.addCleanup(engine.dispose)
        collector = metrics.DatabasePoolCollector(lambda: engine)
        with engine.connect():
            family, = collector.collect()
            values = {s.labels['state']: s.value for s in family.samples}
        self.assertEqual(3, values['size'])
        self.assertEqual(1, values['checked_out'])

    def test_a_pool_without_counters_reports_nothing(self):
        engine = sa.create_engine('sqlite://', poolclass=pool.NullPool)
        family, = metrics.DatabasePoolCollector(lambda: engine).collect()
        self.assertEqual([], family.samples)
