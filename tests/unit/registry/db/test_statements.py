"""How many SQL statements each image operation sends (not how long they
take): a show is one round trip, a list two, and a create, update or
delete one statement per table it writes."""

import contextlib
import re

import sqlalchemy as sa

from glance_registry.db import api
from glance_registry.db import engine
from tests.unit.registry.db import base

# Transaction control is not a query of the operation.
CONTROL = re.compile(r'^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b',
                     re.IGNORECASE)
TABLE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)',
                   re.IGNORECASE)


class StatementCountTests(base.DBTestCase):

    @contextlib.contextmanager
    def statements(self):
        """Collects the statements sent to the database in the block."""
        sent = []

        def note(connection, cursor, statement, parameters, context,
                 executemany):
            if not CONTROL.match(statement):
                sent.append(statement)

        target = engine.get_engine()
        sa.event.listen(target, 'before_cursor_execute', note)
        try:
            yield sent
        finally:
            sa.event.remove(target, 'before_cursor_execute', note)

    def writes_by_table(self, sent):
        tables = {}
        for statement in sent:
            match = TABLE.match(statement)
            if match:
                tables[match.group(1)] = tables.get(match.group(1), 0) + 1
        return tables

    def create_full_image(self, name='full'):
        return api.image_create(base.ADMIN, {
            'name': name, 'owner': 'p1', 'visibility': 'private',
            'properties': {'os_distro': 'cirros', 'hw_disk_bus': 'scsi'},
            'tags': ['b', 'a', 'b'],
            'locations': [
                {'url': 'file:///var/lib/glance/images/%s-1' % name,
                 'metadata': {'store': 'file'}},
                {'url': 'file:///var/lib/glance/images/%s-2' % name}]})

    def test_show_of_an_image_with_children_is_one_statement(self):
        image = self.create_full_image()
        with self.statements() as sent:
            shown = api.image_get(base.make_context('p1'), image['id'])
        self.assertEqual(1, len(sent), sent)
        self.assertEqual({'os_distro': 'cirros', 'hw_disk_bus': 'scsi'},
                         shown['properties'])
        self.assertEqual(['a', 'b'], shown['tags'])
        self.assertEqual(
            [('file:///var/lib/glance/images/full-1', {'store': 'file'}),
             ('file:///var/lib/glance/images/full-2', {})],
            [(loc['url'], loc['metadata']) for loc in shown['locations']])
        self.assertEqual(image, shown)

    def test_show_of_an_image_without_children_is_one_statement(self):
        image = api.image_create(base.ADMIN, {'owner': 'p1'})
        with self.statements() as sent:
            shown = api.image_get(base.ADMIN, image['id'])
        self.assertEqual(1, len(sent), sent)
        self.assertEqual(({}, [], []), (shown['properties'], shown['tags'],
                                        shown['locations']))

    def test_show_of_an_image_the_caller_may_not_see_is_not_found(self):
        image = self.create_full_image()
        self.assertRaises(api.exception.ImageNotFound, api.image_get,
                          base.make_context('p2'), image['id'])

    def test_list_page_is_two_statements(self):
        for index in range(5):
            self.create_full_image('i%d' % index)
        with self.statements() as sent:
            images = api.image_get_all(base.ADMIN, limit=3)
        self.assertEqual(2, len(sent), sent)
        self.assertEqual(3, len(images))
        for image in images:
            self.assertEqual(['a', 'b'], image['tags'])
            self.assertEqual(2, len(image['locations']))

    def test_create_writes_one_statement_per_table(self):
        with self.statements() as sent:
            image = self.create_full_image()
        writes = self.writes_by_table(sent)
        # Locations are inserted with their ids returned: one statement
        # where the engine batches that (MariaDB, PostgreSQL), else one
        # per location (SQLite).
        self.assertIn(writes.pop('image_locations'), (1, 2))
        self.assertEqual({'images': 1, 'image_properties': 1,
                          'image_tags': 1}, writes)
        # and one read: whether another image records the file URLs.
        self.assertEqual(1, len([s for s in sent if s.lstrip().upper()
                                 .startswith('SELECT')]), sent)
        self.assertEqual(image, api.image_get(base.ADMIN, image['id']))

    def test_update_of_columns_tags_and_a_property(self):
        image = self.create_full_image()
        with self.statements() as sent:
            updated = api.image_update(base.ADMIN, image['id'], {
                'name': 'renamed', 'tags': ['a', 'c'],
                'properties': {'bench': 'yes'}})
        self.assertEqual({'images': 1, 'image_properties': 1,
                          'image_tags': 2}, self.writes_by_table(sent))
        # Reads: the image (visibility), the properties and tags to
        # change, the image as written.
        self.assertEqual(8, len(sent), sent)
        self.assertEqual(['a', 'c'], updated['tags'])
        self.assertEqual('yes', updated['properties']['bench'])
        self.assertEqual(updated, api.image_get(base.ADMIN, image['id']))

    def test_destroy_writes_one_statement_per_table(self):
        image = self.create_full_image()
        with self.statements() as sent:
            deleted = api.image_destroy(base.ADMIN, image['id'],
                                        status='deleted')
        self.assertEqual({'images': 1, 'image_properties': 1,
                          'image_tags': 1, 'image_locations': 1,
                          'image_members': 1, 'image_leases': 1,
                          'cached_images': 1}, self.writes_by_table(sent))
        # Reads: the image with its children; who else records its URLs.
        self.assertEqual(9, len(sent), sent)
        self.assertEqual('deleted', deleted['status'])
        self.assertEqual('deleted', self.rows('images')[0]['status'])
        self.assertEqual(0, self.count_rows('image_properties',
                                            deleted=False))
