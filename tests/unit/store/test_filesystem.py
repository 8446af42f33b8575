"""The file store: the conformance suite plus its own behaviour."""

import io
import os
import stat
import threading
import uuid

import fixtures
import testtools

from glance_store._drivers import filesystem
from glance_store import exceptions
from tests.unit.store import conformance
from tests.unit.store import helpers

MiB = conformance.MiB


def file_store(datadir=None, datadirs=None, **options):
    overrides = dict(options)
    if datadirs is not None:
        overrides['filesystem_store_datadirs'] = datadirs
    else:
        overrides['filesystem_store_datadir'] = datadir
    return filesystem.Store(helpers.make_conf(overrides))


def listing(store):
    """Everything in every data dir of ``store``, hidden files included."""
    return sorted(name for datadir in store.datadirs
                  for name in os.listdir(datadir.path))


class FileStoreContractTest(conformance.FullStoreContract,
                            conformance.WriteContract, testtools.TestCase):
    """The conformance suite on the file store (O_TMPFILE where available)."""

    def make_store(self):
        self.datadir = self.useFixture(fixtures.TempDir()).path
        return file_store(self.datadir)

    def stored_objects(self, store=None):
        return listing(store or self.store)

    def outside_uri(self):
        other = self.useFixture(fixtures.TempDir()).path
        return 'file://' + os.path.join(other, 'image')

    def make_full_store(self):
        mount = self.useFixture(helpers.Tmpfs(self, size='2m'))
        return file_store(mount.path)


class FileStoreNamedTempContractTest(FileStoreContractTest):
    """The same suite with hidden named temp files instead of O_TMPFILE."""

    def make_store(self):
        store = super().make_store()
        store.o_tmpfile_dirs.clear()
        return store

    def make_full_store(self):
        store = super().make_full_store()
        store.o_tmpfile_dirs.clear()
        return store


class FileStoreWriteTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.datadir = self.useFixture(fixtures.TempDir()).path
        self.store = file_store(self.datadir)

    def test_add_writes_datadir_slash_image_id(self):
        image_id = str(uuid.uuid4())
        result = self.store.add(image_id, io.BytesIO(b'abc'), 3)
        path = os.path.join(self.datadir, image_id)
        self.assertEqual('file://' + path, result.location)
        with open(path, 'rb') as f:
            self.assertEqual(b'abc', f.read())
        self.assertEqual([image_id], os.listdir(self.datadir))

    def test_upload_in_progress_is_invisible_in_the_datadir(self):
        seen = []
        reader = conformance.ShortReader(conformance.payload(MiB), step=4096)
        original_read = reader.read

        def read(n):
            seen.append(sorted(os.listdir(self.datadir)))
            return original_read(n)
        reader.read = read
        self.store.add('image-1', reader, MiB)
        self.assertGreater(len(seen), 100)
        self.assertEqual([[]] * len(seen), seen)
        self.assertEqual(['image-1'], os.listdir(self.datadir))

    def test_named_temp_file_lives_in_the_datadir_and_is_hidden(self):
        self.store.o_tmpfile_dirs.clear()
        seen = []
        reader = conformance.FailingReader(
            b'x' * 100_000, RuntimeError('stop'),
            on_read=lambda: seen.append(os.listdir(self.datadir)))
        self.assertRaises(RuntimeError, self.store.add, 'image-2', reader,
                          None)
        temps = [names for names in seen if names]
        self.assertTrue(temps)
        self.assertTrue(all(n.startswith('.image-2.') and n.endswith('.tmp')
                            for names in temps for n in names), temps)
        self.assertEqual([], os.listdir(self.datadir))

    def test_file_appearing_during_upload_is_duplicate_and_kept(self):
        image_id = 'racing-image'
        path = os.path.join(self.datadir, image_id)

        def other_upload_finishes():
            if not os.path.exists(path):
                with open(path, 'wb') as f:
                    f.write(b'winner')
        data = io.BytesIO(b'loser' * 1000)

        class Reader:
            def read(self, n):
                other_upload_finishes()
                return data.read(n)
        self.assertRaises(exceptions.Duplicate, self.store.add, image_id,
                          Reader(), None)
        with open(path, 'rb') as f:
            self.assertEqual(b'winner', f.read())
        self.assertEqual([image_id], os.listdir(self.datadir))

    def test_image_id_that_is_a_path_is_refused(self):
        for image_id in ('../escape', 'a/b', '.hidden', '', '..', 'nul\x00'):
            self.assertRaises(exceptions.BadStoreUri, self.store.add,
                              image_id, io.BytesIO(b'x'), 1)
        self.assertEqual([], os.listdir(self.datadir))
        self.assertFalse(os.path.exists(
            os.path.join(os.path.dirname(self.datadir), 'escape')))

    def test_missing_datadir_is_created(self):
        datadir = os.path.join(self.datadir, 'a', 'b')
        store = file_store(datadir)
        result = store.add('img', io.BytesIO(b'1'), 1)
        self.assertEqual('file://%s/img' % datadir, result.location)

    def test_relative_datadir_is_a_configuration_error(self):
        self.assertRaises(exceptions.BadStoreConfiguration, file_store,
                          'relative/images')

    def test_download_chunks_are_1_mib(self):
        result = self.store.add('big', io.BytesIO(b'\0' * (2 * MiB + 1)),
                                None)
        iterator, size = self.store.get(result.location)
        self.assertEqual([MiB, MiB, 1], [len(c) for c in iterator])


class FileStoreLocationSafetyTest(testtools.TestCase):
    """Odd paths into the data directories are refused; files wholly
    outside them may be read (an administrator's location) but are never
    deleted."""

    def setUp(self):
        super().setUp()
        root = self.useFixture(fixtures.TempDir()).path
        self.datadir = os.path.join(root, 'images')
        self.outside = os.path.join(root, 'secret')
        with open(self.outside, 'wb') as f:
            f.write(b'not an image')
        self.store = file_store(self.datadir)
        self.image = self.store.add('img', io.BytesIO(b'image'), 5)

    def assertRefused(self, uri, calls=None):
        for call in calls or (self.store.get, self.store.get_size,
                              self.store.delete):
            error = self.assertRaises(exceptions.Forbidden, call, uri)
            self.assertEqual(403, error.http_status)
            self.assertIn('outside the data directories', str(error))
        self.assertTrue(os.path.exists(self.outside))

    def assertReadableButNeverDeleted(self, uri):
        self.assertEqual(12, self.store.get_size(uri))
        self.assertEqual(b'not an image', b''.join(self.store.get(uri)[0]))
        self.assertRefused(uri, calls=(self.store.delete,))

    def test_file_outside_the_datadir_is_read_but_never_deleted(self):
        self.assertReadableButNeverDeleted('file://' + self.outside)
        self.assertRefused('file:///etc/passwd', calls=(self.store.delete,))

    def test_dot_dot_traversal_out_of_the_datadir_is_outside(self):
        self.assertReadableButNeverDeleted('file://%s/../secret'
                                           % self.datadir)

    def test_percent_encoded_traversal_is_outside(self):
        self.assertReadableButNeverDeleted('file://%s/%%2e%%2e/secret'
                                           % self.datadir)

    def test_symlink_escaping_the_datadir_is_refused(self):
        os.symlink(self.outside, os.path.join(self.datadir, 'link'))
        self.assertRefused('file://%s/link' % self.datadir)

    def test_the_datadir_itself_and_subdirectories_are_refused(self):
        os.mkdir(os.path.join(self.datadir, 'sub'))
        self.assertRefused('file://%s' % self.datadir)
        self.assertRefused('file://%s/' % self.datadir)
        self.assertRefused('file://%s/sub/x' % self.datadir)

    def test_temp_files_are_not_readable_as_images(self):
        with open(os.path.join(self.datadir, '.img.1234.tmp'), 'wb'):
            pass
        self.assertRefused('file://%s/.img.1234.tmp' % self.datadir)

    def test_file_location_with_a_host_is_a_bad_uri(self):
        self.assertRaises(exceptions.BadStoreUri, self.store.get,
                          'file://otherhost%s/img' % self.datadir)

    def test_outside_special_files_are_not_images(self):
        self.assertRaises(exceptions.NotFound, self.store.get_size,
                          'file:///dev/null')

    def test_localhost_and_dot_segments_inside_the_datadir_are_fine(self):
        iterator, size = self.store.get(
            'file://localhost%s/./img' % self.datadir)
        self.assertEqual(b'image', b''.join(iterator))

    def test_datadir_reached_through_a_symlink_is_accepted(self):
        link = self.datadir + '-link'
        os.symlink(self.datadir, link)
        self.assertEqual(5, self.store.get_size('file://%s/img' % link))

    def test_owns_tells_apart_inside_and_outside(self):
        from glance_store import location
        self.assertTrue(self.store.owns(location.parse(self.image.location)))
        self.assertFalse(self.store.owns(
            location.parse('file://' + self.outside)))


class FileStoreManagesTest(testtools.TestCase):
    """Every spelling of a path into a data directory is managed."""

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.datadirs = [os.path.join(self.root, name)
                         for name in ('images', 'more')]
        self.store = file_store(datadirs=self.datadirs)
        self.outside = os.path.join(self.root, 'outside')
        os.mkdir(self.outside)
        self.image = os.path.join(self.datadirs[0], 'image-a')
        with open(self.image, 'wb') as f:
            f.write(b'data of image a')

    def test_paths_into_any_data_directory_are_managed(self):
        spellings = [
            self.image,
            os.path.join(self.datadirs[1], 'image-b'),
            self.datadirs[0],
            self.datadirs[0] + '/',
            os.path.join(self.datadirs[0], 'sub', 'deeper'),
            os.path.join(self.datadirs[0], '.hidden.tmp'),
            os.path.join(self.outside, '..', 'images', 'image-a'),
            '/' + self.image,
            self.image.replace('/images/', '//images//'),
            self.image.replace('/images/', '/./images/./'),
        ]
        for path in spellings:
            self.assertTrue(self.store.manages('file://' + path), path)
        self.assertTrue(self.store.manages('file://localhost' + self.image))

    def test_percent_encoded_paths_are_managed(self):
        encoded = self.image.replace('/images/', '/%69mages/').replace(
            'image-a', 'image%2Da')
        self.assertTrue(self.store.manages('file://' + encoded))
        dotted = os.path.join(self.outside, '%2E%2E', 'images', 'image-a')
        self.assertTrue(self.store.manages('file://' + dotted))

    def test_symlinks_into_a_data_directory_are_managed(self):
        to_file = os.path.join(self.outside, 'link-to-image')
        os.symlink(self.image, to_file)
        to_dir = os.path.join(self.outside, 'link-to-dir')
        os.symlink(self.datadirs[0], to_dir)
        self.assertTrue(self.store.manages('file://' + to_file))
        self.assertTrue(self.store.manages(
            'file://' + os.path.join(to_dir, 'image-a')))

    def test_data_directory_reached_through_a_symlinked_parent(self):
        alias = os.path.join(self.root, 'alias-of-root')
        os.symlink(self.root, alias)
        self.assertTrue(self.store.manages(
            'file://' + os.path.join(alias, 'images', 'image-a')))

    def test_paths_outside_every_data_directory_are_not_managed(self):
        outside_file = os.path.join(self.outside, 'image-a')
        with open(outside_file, 'wb') as f:
            f.write(b'an administrator\'s own file')
        for path in (outside_file, self.root,
                     self.datadirs[0] + '-sibling/image-a',
                     os.path.join(self.outside, 'missing')):
            self.assertFalse(self.store.manages('file://' + path), path)

    def test_the_images_own_file_is_not_managed_for_that_image(self):
        uri = 'file://' + self.image
        self.assertFalse(self.store.manages(uri, image_id='image-a'))
        self.assertFalse(self.store.manages(
            'file://' + os.path.join(self.datadirs[1], 'image-a'),
            image_id='image-a'))
        self.assertTrue(self.store.manages(uri, image_id='image-b'))
        # A symlink named after the image but pointing at another's data.
        os.symlink(self.image, os.path.join(self.datadirs[1], 'image-b'))
        self.assertTrue(self.store.manages(
            'file://' + os.path.join(self.datadirs[1], 'image-b'),
            image_id='image-b'))

    def test_unreadable_or_foreign_locations_are_not_managed(self):
        for uri in ('file://otherhost' + self.image, 'http://h' + self.image,
                    'file:relative/path'):
            self.assertFalse(self.store.manages(uri), uri)


class FileStoreDatadirsTest(testtools.TestCase):
    """filesystem_store_datadirs: priority, free space, lookups."""

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path

    def dirs(self, *names):
        paths = [os.path.join(self.root, n) for n in names]
        return paths

    def test_highest_priority_directory_is_used(self):
        low, high = self.dirs('low', 'high')
        store = file_store(datadirs=['%s:1' % low, '%s:200' % high])
        result = store.add('img', io.BytesIO(b'data'), 4)
        self.assertEqual('file://%s/img' % high, result.location)
        self.assertEqual([], os.listdir(low))

    def test_priority_defaults_to_zero(self):
        plain, preferred = self.dirs('plain', 'preferred')
        store = file_store(datadirs=[plain, '%s:1' % preferred])
        result = store.add('img', io.BytesIO(b'data'), 4)
        self.assertEqual('file://%s/img' % preferred, result.location)
        self.assertEqual([0, 1], sorted(d.priority for d in store.datadirs))

    def test_full_high_priority_directory_is_skipped_for_a_known_size(self):
        small = self.useFixture(helpers.Tmpfs(self, size='1m')).path
        (big,) = self.dirs('big')
        store = file_store(datadirs=['%s:100' % small, '%s:1' % big])
        result = store.add('img', io.BytesIO(b'x' * (2 * MiB)), 2 * MiB)
        self.assertEqual('file://%s/img' % big, result.location)
        self.assertEqual([], os.listdir(small))
        small_result = store.add('tiny', io.BytesIO(b'x'), 1)
        self.assertEqual('file://%s/tiny' % small, small_result.location)

    def test_equal_priorities_prefer_the_most_free_space(self):
        smaller = self.useFixture(helpers.Tmpfs(self, size='2m')).path
        larger = self.useFixture(helpers.Tmpfs(self, size='4m')).path
        store = file_store(datadirs=['%s:5' % smaller, '%s:5' % larger])
        result = store.add('img', io.BytesIO(b'x' * 1000), 1000)
        self.assertEqual('file://%s/img' % larger, result.location)

    def test_no_directory_with_room_raises_storage_full(self):
        one = self.useFixture(helpers.Tmpfs(self, size='1m')).path
        two = self.useFixture(helpers.Tmpfs(self, size='1m')).path
        store = file_store(datadirs=['%s:2' % one, '%s:1' % two])
        self.assertRaises(exceptions.StorageFull, store.add, 'img',
                          io.BytesIO(b''), 3 * MiB)
        self.assertEqual([], os.listdir(one) + os.listdir(two))

    def test_images_in_any_directory_are_read_and_deleted(self):
        a, b = self.dirs('a', 'b')
        store = file_store(datadirs=['%s:1' % a, '%s:2' % b])
        os.makedirs(a, exist_ok=True)
        with open(os.path.join(a, 'old'), 'wb') as f:
            f.write(b'old image')
        uri = 'file://%s/old' % a
        self.assertEqual(9, store.get_size(uri))
        store.delete(uri)
        self.assertEqual([], os.listdir(a))

    def test_image_id_present_in_another_directory_is_duplicate(self):
        a, b = self.dirs('a', 'b')
        store = file_store(datadirs=['%s:1' % a, '%s:2' % b])
        with open(os.path.join(a, 'img'), 'wb') as f:
            f.write(b'old')
        self.assertRaises(exceptions.Duplicate, store.add, 'img',
                          io.BytesIO(b'new'), 3)
        self.assertEqual([], os.listdir(b))

    def test_directory_listed_twice_is_a_configuration_error(self):
        (a,) = self.dirs('a')
        self.assertRaises(exceptions.BadStoreConfiguration, file_store,
                          datadirs=['%s:1' % a, '%s:2' % a])

    def test_datadirs_from_a_config_file_with_repeated_option(self):
        a, b = self.dirs('a', 'b')
        path = helpers.write_config_file(self.root, {
            'glance_store': {'filesystem_store_datadirs': a + ':3'}})
        with open(path, 'a') as f:
            f.write('filesystem_store_datadirs = %s:7\n' % b)
        store = filesystem.Store(helpers.conf_from_file(path))
        self.assertEqual([(b, 7), (a, 3)],
                         [(d.path, d.priority) for d in store.datadirs])


class FileStorePermissionsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.datadir = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'images')
        os.makedirs(self.datadir, mode=0o700)
        os.chmod(self.datadir, 0o700)

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def test_file_perm_sets_the_mode_of_stored_files(self):
        for o_tmpfile in (True, False):
            store = file_store(self.datadir, filesystem_store_file_perm=640)
            if not o_tmpfile:
                store.o_tmpfile_dirs.clear()
            image_id = 'img-%s' % o_tmpfile
            store.add(image_id, io.BytesIO(b'x'), 1)
            self.assertEqual(
                0o640, self.mode(os.path.join(self.datadir, image_id)))

    def test_group_readable_files_make_the_datadir_group_searchable(self):
        file_store(self.datadir, filesystem_store_file_perm=640)
        self.assertEqual(0o710, self.mode(self.datadir))
        file_store(self.datadir, filesystem_store_file_perm=644)
        self.assertEqual(0o711, self.mode(self.datadir))

    def test_default_mode_follows_the_umask(self):
        old = os.umask(0o027)
        self.addCleanup(os.umask, old)
        store = file_store(self.datadir)
        store.add('img', io.BytesIO(b'x'), 1)
        self.assertEqual(0o640, self.mode(os.path.join(self.datadir, 'img')))
        self.assertEqual(0o700, self.mode(self.datadir))

    def test_non_octal_or_unreadable_file_perm_is_refused(self):
        for perm in (999, 8, 1000, 40):
            self.assertRaises(exceptions.BadStoreConfiguration, file_store,
                              self.datadir, filesystem_store_file_perm=perm)


class FileStoreConcurrencyTest(testtools.TestCase):

    def test_parallel_uploads_of_different_images_all_land(self):
        datadir = self.useFixture(fixtures.TempDir()).path
        store = file_store(datadir)
        errors = []

        def upload(n):
            try:
                data = conformance.payload(300_000, seed=b'%d' % n)
                result = store.add('img-%d' % n, io.BytesIO(data), None)
                assert b''.join(store.get(result.location)[0]) == data
            except Exception as e:  # collected for the assertion below
                errors.append(e)
        threads = [threading.Thread(target=upload, args=(n,))
                   for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], errors)
        self.assertEqual(sorted('img-%d' % n for n in range(8)),
                         sorted(os.listdir(datadir)))


class FileStoreListingTest(testtools.TestCase):
    """list_objects/object_key/delete_object: what the store audit uses."""

    def setUp(self):
        super().setUp()
        self.datadir = os.path.realpath(
            self.useFixture(fixtures.TempDir()).path)
        self.store = file_store(self.datadir)

    def test_lists_image_files_and_temp_files_with_their_image(self):
        image_id = str(uuid.uuid4())
        result = self.store.add(image_id, io.BytesIO(b'abc'), 3)
        temp = os.path.join(self.datadir, '.%s.00ff.tmp' % image_id)
        with open(temp, 'wb') as f:
            f.write(b'partial')
        os.mkdir(os.path.join(self.datadir, 'a-directory'))
        objects = {obj.key: obj for obj in self.store.list_objects()}
        path = os.path.join(self.datadir, image_id)
        self.assertEqual({path, temp}, set(objects))
        self.assertEqual((image_id, 3, result.location),
                         (objects[path].image_id, objects[path].size,
                          objects[path].uri))
        self.assertEqual((image_id, 7),
                         (objects[temp].image_id, objects[temp].size))
        self.assertEqual(path, self.store.object_key(result.location))
        self.assertIsNone(self.store.object_key('file:///etc/passwd'))
        self.assertIsNone(self.store.object_key('http://example.com/x'))

    def test_delete_object_removes_listed_data_only_in_the_datadirs(self):
        temp = os.path.join(self.datadir, '.abc.00ff.tmp')
        with open(temp, 'wb') as f:
            f.write(b'partial')
        self.store.delete_object(temp)
        self.assertEqual([], list(self.store.list_objects()))
        self.assertRaises(exceptions.NotFound, self.store.delete_object,
                          temp)
        outside = self.useFixture(fixtures.TempDir()).path
        victim = os.path.join(outside, 'keep')
        open(victim, 'wb').close()
        self.assertRaises(exceptions.Forbidden, self.store.delete_object,
                          victim)
        self.assertTrue(os.path.exists(victim))
