"""glance_store.Stores: one module API over one store or many."""

import io
import os

import fixtures
from oslo_config import cfg
import testtools

import glance_store
from glance_store import exceptions
from tests.unit.store import helpers


class SingleStoreConfigTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.datadir = self.useFixture(fixtures.TempDir()).path
        self.conf = helpers.make_conf(
            {'filesystem_store_datadir': self.datadir})

    def test_defaults_enable_file_and_http_with_file_as_default(self):
        stores = glance_store.Stores(self.conf)
        self.assertEqual(['file', 'http'], stores.names)
        self.assertIs(stores.get_store('file'), stores.default)
        self.assertEqual('http', stores.get_store('http').type_name)

    def test_add_goes_to_the_default_store_and_reads_back(self):
        stores = glance_store.Stores(self.conf)
        result = stores.add('img', io.BytesIO(b'hello'), 5)
        self.assertEqual(('file://%s/img' % self.datadir, 5,
                          {'store': 'file'}), tuple(result))
        self.assertIsInstance(result, glance_store.AddResult)
        self.assertEqual(5, stores.get_size(result.location))
        iterator, size = stores.get(result.location, offset=1, length=3)
        self.assertEqual((b'ell', 3), (b''.join(iterator), size))
        stores.delete(result.location)
        self.assertRaises(exceptions.NotFound, stores.get, result.location)

    def test_location_with_an_unknown_scheme_is_refused(self):
        stores = glance_store.Stores(self.conf)
        error = self.assertRaises(exceptions.UnknownScheme, stores.get,
                                  'swift://account/container/img')
        self.assertEqual(400, error.http_status)
        self.assertRaises(exceptions.UnknownScheme, stores.for_location,
                          'no-scheme-at-all')

    def test_http_can_be_left_out(self):
        self.conf.set_override('stores', ['file'], group='glance_store')
        stores = glance_store.Stores(self.conf)
        self.assertRaises(exceptions.UnknownScheme, stores.for_location,
                          'http://example.com/img')
        self.assertRaises(exceptions.UnknownStore, stores.get_store, 'http')

    def test_default_store_must_be_enabled(self):
        self.conf.set_override('stores', ['http'], group='glance_store')
        self.assertRaises(exceptions.BadStoreConfiguration,
                          glance_store.Stores, self.conf)

    def test_unknown_store_type_is_a_configuration_error(self):
        self.conf.set_override('stores', ['file', 'floppy'],
                               group='glance_store')
        error = self.assertRaises(exceptions.BadStoreConfiguration,
                                  glance_store.Stores, self.conf)
        self.assertIn('floppy', str(error))

    def test_default_store_may_be_read_only_but_add_is_disabled(self):
        self.conf.set_override('default_store', 'http', group='glance_store')
        stores = glance_store.Stores(self.conf)
        self.assertRaises(exceptions.StoreAddDisabled, stores.add, 'img',
                          io.BytesIO(b'x'), 1)

    def test_register_opts_is_idempotent_and_keeps_values(self):
        glance_store.register_opts(self.conf)
        glance_store.register_opts(self.conf)
        self.assertEqual(self.datadir,
                         self.conf.glance_store.filesystem_store_datadir)

    def test_register_opts_tolerates_enabled_backends_declared_elsewhere(self):
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.DictOpt('enabled_backends', help='other help'))
        glance_store.register_opts(conf)
        conf([], default_config_files=[])
        self.assertEqual('file', conf.glance_store.default_store)

    def test_list_opts_names_every_option_once(self):
        listed = dict(glance_store.list_opts())
        names = [o.name for o in listed['glance_store']]
        self.assertEqual(len(names), len(set(names)))
        for name in ('stores', 'default_store', 'default_backend',
                     'filesystem_store_datadir', 'filesystem_store_datadirs',
                     'filesystem_store_file_perm',
                     'filesystem_store_chunk_size', 'https_insecure',
                     'https_ca_certificates_file', 'http_proxy_information'):
            self.assertIn(name, names)
        self.assertEqual(['enabled_backends'],
                         [o.name for o in listed['DEFAULT']])
        self.assertTrue(all(o.help for opts in listed.values()
                            for o in opts))

    def test_opts_module_is_the_generator_entry_point(self):
        from glance_store import opts
        self.assertIs(glance_store.list_opts, opts.list_opts)


class MultiStoreConfigTest(testtools.TestCase):
    """enabled_backends: N named backends through the same code path."""

    def setUp(self):
        super().setUp()
        root = self.useFixture(fixtures.TempDir()).path
        self.fast = os.path.join(root, 'fast')
        self.cheap = os.path.join(root, 'cheap')
        path = helpers.write_config_file(root, {
            'DEFAULT': {'enabled_backends': 'fast:file, cheap:file, web:http'},
            'glance_store': {'default_backend': 'fast'},
            'fast': {'filesystem_store_datadir': self.fast},
            'cheap': {'filesystem_store_datadir': self.cheap,
                      'filesystem_store_file_perm': '600',
                      'store_description': 'Slow but roomy'},
        })
        self.conf = helpers.conf_from_file(path)
        self.stores = glance_store.Stores(self.conf)

    def test_each_backend_reads_its_own_group(self):
        self.assertEqual(['fast', 'cheap', 'web'], self.stores.names)
        self.assertEqual('fast', self.stores.default.name)
        self.assertEqual(self.cheap,
                         self.stores.get_store('cheap').datadirs[0].path)
        self.assertEqual(0o600, self.stores.get_store('cheap').file_perm)
        self.assertEqual(0, self.stores.default.file_perm)

    def test_add_to_a_named_backend_and_read_back_by_location(self):
        default = self.stores.add('one', io.BytesIO(b'1'), 1)
        cheap = self.stores.add('two', io.BytesIO(b'22'), 2, store='cheap')
        self.assertEqual({'store': 'fast'}, default.metadata)
        self.assertEqual({'store': 'cheap'}, cheap.metadata)
        self.assertEqual(['one'], os.listdir(self.fast))
        self.assertEqual(['two'], os.listdir(self.cheap))
        self.assertEqual('cheap', self.stores.for_location(
            cheap.location).name)
        self.assertEqual(2, self.stores.get_size(cheap.location))
        self.stores.delete(cheap.location)
        self.assertEqual([], os.listdir(self.cheap))

    def test_get_store_by_type_needs_a_unique_type(self):
        self.assertEqual('web', self.stores.get_store('http').name)
        self.assertRaises(exceptions.UnknownStore, self.stores.get_store,
                          'file')

    def test_file_outside_every_backend_is_never_deleted(self):
        self.assertRaises(exceptions.Forbidden, self.stores.delete,
                          'file:///etc/passwd')
        self.assertTrue(os.path.exists('/etc/passwd'))

    def test_manages_asks_every_backend(self):
        fast = self.stores.add('one', io.BytesIO(b'1'), 1)
        cheap = self.stores.add('two', io.BytesIO(b'2'), 1, store='cheap')
        self.assertTrue(self.stores.manages(fast.location))
        self.assertTrue(self.stores.manages(cheap.location))
        self.assertTrue(self.stores.manages(
            'file://' + os.path.join(self.cheap, 'not-yet-there')))
        for uri in ('file:///etc/passwd', 'http://example.com/image',
                    'no scheme at all', ''):
            self.assertFalse(self.stores.manages(uri), uri)

    def test_missing_default_backend_is_a_configuration_error(self):
        self.conf.clear_override('default_backend', group='glance_store')
        self.conf.set_override('default_backend', None, group='glance_store')
        self.assertRaises(exceptions.BadStoreConfiguration,
                          glance_store.Stores, self.conf)

    def test_description_comes_from_the_backend_group(self):
        self.assertEqual('Slow but roomy',
                         self.stores.get_store('cheap').description)
        self.assertIsNone(self.stores.get_store('fast').description)

    def test_store_of_names_the_backend_holding_a_location(self):
        cheap = self.stores.add('img', io.BytesIO(b'x'), 1, store='cheap')
        self.assertEqual('cheap', self.stores.store_of(cheap.location))
        self.assertEqual('web', self.stores.store_of('http://example.com/x'))
        self.assertIsNone(self.stores.store_of('rbd://a/b/c/d'))

    def test_properties_show_settings_but_no_credentials(self):
        self.assertEqual({'data_dirs': [self.cheap], 'chunk_size': 65536},
                         self.stores.get_store('cheap').properties())
        self.assertEqual({}, self.stores.get_store('web').properties())

    def test_store_ids_with_the_reserved_prefix_are_refused(self):
        self.conf.set_override('enabled_backends',
                               {'fast': 'file', 'os_glance_staging': 'file'})
        error = self.assertRaises(exceptions.BadStoreConfiguration,
                                  glance_store.Stores, self.conf)
        self.assertIn('os_glance_', str(error))
