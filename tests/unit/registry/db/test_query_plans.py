"""SQLite's plans for an image's children: found through an index on
image_id, never by walking every live row (the cost of a show or delete
would grow with the number of images). A database migrated while empty has
no statistics, so this is what a fresh registry runs with."""

import re

import sqlalchemy as sa

from glance_registry.db import api
from glance_registry.db import engine
from tests.unit.registry.db import base

CHILD_TABLES = ('image_properties', 'image_locations', 'image_members',
                'image_tags')


class ChildLookupPlanTests(base.DBTestCase):

    def plans_of(self, operation, *args, **kwargs):
        """{statement: [plan details]} of what ``operation`` sends."""
        sent = []

        def note(connection, cursor, statement, parameters, context,
                 executemany):
            if re.match(r'\s*(SELECT|UPDATE|DELETE)', statement):
                sent.append((statement, parameters))

        target = engine.get_engine()
        sa.event.listen(target, 'before_cursor_execute', note)
        try:
            operation(*args, **kwargs)
        finally:
            sa.event.remove(target, 'before_cursor_execute', note)
        connection = target.raw_connection()
        try:
            cursor = connection.cursor()
            plans = {}
            for statement, parameters in sent:
                cursor.execute('EXPLAIN QUERY PLAN ' + statement, parameters)
                plans[statement] = [row[3] for row in cursor.fetchall()]
            return plans
        finally:
            connection.close()

    def assert_children_found_by_image_id(self, plans):
        checked = 0
        for statement, details in plans.items():
            for detail in details:
                table = detail.split()[1] if ' ' in detail else ''
                if table in CHILD_TABLES and 'url_hash' not in detail:
                    checked += 1
                    self.assertIn('(image_id=?', detail, statement)
        self.assertGreater(checked, 0)

    def create_image(self):
        return api.image_create(base.ADMIN, {
            'owner': 'p1', 'properties': {'a': '1'}, 'tags': ['t'],
            'locations': [{'url': 'file:///var/lib/glance/images/x'}]})

    def test_show_finds_children_by_image_id(self):
        image = self.create_image()
        self.assert_children_found_by_image_id(
            self.plans_of(api.image_get, base.ADMIN, image['id']))

    def test_destroy_finds_children_by_image_id(self):
        image = self.create_image()
        self.assert_children_found_by_image_id(
            self.plans_of(api.image_destroy, base.ADMIN, image['id'],
                          status='deleted'))
