"""The file store: image data as one file per image in a data directory.

An upload is written to an anonymous temp file inside the chosen data
directory (O_TMPFILE; a hidden named temp file where the filesystem lacks
it), synced, then linked into place as ``<datadir>/<image_id>``. A link,
unlike rename, never replaces an existing file, so two uploads of one image
cannot overwrite each other; and an interrupted upload leaves nothing behind.
"""

import collections
import errno
import os
import secrets
import stat

from oslo_config import cfg
from oslo_log import log as logging

from glance_store import blocking
from glance_store import driver
from glance_store import exceptions
from glance_store import location as location_mod

LOG = logging.getLogger(__name__)

OPTIONS = [
    cfg.StrOpt('filesystem_store_datadir',
               default='/var/lib/glance/images',
               help='Directory where the file store writes image data. '
                    'Ignored when filesystem_store_datadirs is set.'),
    cfg.MultiStrOpt('filesystem_store_datadirs',
                    help='Several data directories, each as "DIR:PRIORITY" '
                         '(priority defaults to 0). An upload goes to the '
                         'highest-priority directory with enough free '
                         'space; among equal priorities, to the one with the '
                         'most free space. Takes precedence over '
                         'filesystem_store_datadir.'),
    cfg.IntOpt('filesystem_store_file_perm',
               default=0,
               help='Permissions of image files, written as octal digits '
                    '(e.g. 640). 0 keeps the default (0666 less the umask). '
                    'When group or others may read, the data directories '
                    'get the matching execute bit so they can reach the '
                    'files.'),
    cfg.IntOpt('filesystem_store_chunk_size',
               default=64 * 1024, min=1,
               help='Size in bytes of each read from the upload stream and '
                    'write to disk. Downloads are read in 1 MiB chunks '
                    'unless the caller asks otherwise.'),
]

DataDir = collections.namedtuple('DataDir', 'path real priority')

# Errors from writing that mean "no room": the upload is refused with 413.
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class Store(driver.Store):
    """Stores each image as one file, ``<datadir>/<image_id>``."""

    type_name = 'file'
    schemes = ('file',)
    capabilities = frozenset([driver.READ, driver.RANDOM_READ,
                              driver.WRITE, driver.DELETE])
    OPTIONS = OPTIONS

    def configure(self):
        self.datadirs = self._parse_datadirs()
        self.write_chunk_size = self.options.filesystem_store_chunk_size
        self.file_perm = self._parse_file_perm()
        # Data directories where an O_TMPFILE file can be linked into place.
        self.o_tmpfile_dirs = set()
        for datadir in self.datadirs:
            self._prepare_datadir(datadir)
            if _o_tmpfile_works(datadir.path):
                self.o_tmpfile_dirs.add(datadir.path)

    def properties(self):
        return {'data_dirs': [d.path for d in self.datadirs],
                'chunk_size': self.write_chunk_size}

    def check_health(self):
        """Each data directory takes a small file and gives it back."""
        for datadir in self.datadirs:
            probe = os.path.join(datadir.path,
                                 '.healthcheck.%s' % secrets.token_hex(8))
            try:
                with open(probe, 'wb') as f:
                    f.write(b'ok')
                with open(probe, 'rb') as f:
                    if f.read() != b'ok':
                        return 'data directory %s gave back other bytes' % (
                            datadir.path)
            except OSError as e:
                return 'data directory %s: %s' % (datadir.path, e.strerror)
            finally:
                try:
                    os.unlink(probe)
                except OSError:
                    pass
        return None

    # -- configuration -----------------------------------------------------

    def _bad_config(self, reason):
        return exceptions.BadStoreConfiguration(store=self.name, reason=reason)

    def _parse_datadirs(self):
        entries = self.options.filesystem_store_datadirs
        if not entries:
            entries = [self.options.filesystem_store_datadir or '']
        datadirs = []
        for entry in entries:
            path, priority = entry.strip(), 0
            head, sep, tail = path.rpartition(':')
            if sep and tail.strip().lstrip('-').isdigit():
                path, priority = head.strip(), int(tail)
            if not path:
                raise self._bad_config('empty data directory in %r' % entry)
            if not os.path.isabs(path):
                raise self._bad_config(
                    'data directory %r is not an absolute path' % path)
            path = os.path.normpath(path)
            if any(d.path == path for d in datadirs):
                raise self._bad_config(
                    'data directory %r is listed twice' % path)
            datadirs.append(DataDir(path, os.path.realpath(path), priority))
        datadirs.sort(key=lambda d: -d.priority)
        return datadirs

    def _parse_file_perm(self):
        perm = self.options.filesystem_store_file_perm
        if not perm:
            return 0
        try:
            mode = int(str(perm), 8)
        except ValueError:
            mode = -1
        if not 0 < mode <= 0o777:
            raise self._bad_config(
                'filesystem_store_file_perm %r is not an octal mode such as '
                '640' % perm)
        if not mode & stat.S_IRUSR:
            raise self._bad_config(
                'filesystem_store_file_perm %r does not let the owner read '
                'the files' % perm)
        return mode

    def _prepare_datadir(self, datadir):
        try:
            os.makedirs(datadir.path, exist_ok=True)
        except OSError as e:
            raise self._bad_config('cannot create data directory %s: %s'
                                   % (datadir.path, e.strerror))
        if not os.access(datadir.path, os.W_OK | os.X_OK):
            raise self._bad_config('data directory %s is not writable'
                                   % datadir.path)
        if self.file_perm:
            extra = 0
            if self.file_perm & stat.S_IRGRP:
                extra |= stat.S_IXGRP
            if self.file_perm & stat.S_IROTH:
                extra |= stat.S_IXOTH
            mode = stat.S_IMODE(os.stat(datadir.path).st_mode)
            if extra and mode & extra != extra:
                os.chmod(datadir.path, mode | extra)

    # -- locations ---------------------------------------------------------

    def _resolve(self, location, reading=False):
        """The real path of an image file named by ``location``: a file
        directly inside a configured data directory (not ``..``, a symlink
        pointing elsewhere, a temp file or the directory itself). With
        ``reading``, also a file wholly outside the data directories (an
        administrator's location; the API lets nobody else give a file
        location); such a file is never deleted."""
        location = self.parse(location)
        path = location_mod.file_path(location)
        real = os.path.realpath(path)
        parent, name = os.path.split(real)
        if name and not name.startswith('.'):
            for datadir in self.datadirs:
                if parent == datadir.real:
                    return real
        if reading and not self.manages(location):
            return real
        raise exceptions.Forbidden(
            uri=location.safe_uri,
            reason='the path is outside the data directories of store %s'
            % self.name)

    def owns(self, location):
        try:
            self._resolve(location)
        except exceptions.StoreError:
            return False
        return True

    def manages(self, location, image_id=None):
        """A file location whose path lies in a data directory: as written
        (``..`` and ``//`` folded), with every symlink resolved, or through
        another mount of the same directory (a bind mount: same device and
        inode). The file ``<datadir>/<image_id>``, as written and resolved,
        is the image's own."""
        try:
            path = location_mod.file_path(self.parse(location))
        except exceptions.StoreError:
            return False
        path = '/' + path.lstrip('/')
        candidates = (os.path.normpath(path), os.path.realpath(path))
        if image_id and all(self._is_slot_of(candidate, image_id)
                            for candidate in candidates):
            return False
        for datadir in self.datadirs:
            for root in (datadir.path, datadir.real):
                if any(_is_within(candidate, root)
                       for candidate in candidates):
                    return True
        return self._reaches_datadir(candidates[1])

    def _is_slot_of(self, path, image_id):
        """Whether ``path`` is where this store keeps ``image_id``'s data."""
        parent, name = os.path.split(path)
        return name == image_id and any(
            parent in (datadir.path, datadir.real)
            for datadir in self.datadirs)

    def _reaches_datadir(self, path):
        """Whether ``path`` or one of its parents is a data directory seen
        through another name (same device and inode)."""
        datadirs = set()
        for datadir in self.datadirs:
            try:
                st = os.stat(datadir.real)
            except OSError:
                continue
            datadirs.add((st.st_dev, st.st_ino))
        while True:
            try:
                st = os.stat(path)
            except OSError:
                pass
            else:
                if (st.st_dev, st.st_ino) in datadirs:
                    return True
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent

    # -- listing (the store audit) -----------------------------------------

    def list_objects(self):
        """Every regular file directly in a data directory: image files and
        the hidden temp files of uploads (``.<image_id>.<random>.tmp``)."""
        seen = set()
        for datadir in self.datadirs:
            if datadir.real in seen:
                continue
            seen.add(datadir.real)
            try:
                entries = os.scandir(datadir.real)
            except FileNotFoundError:
                continue
            except OSError as e:
                raise exceptions.BackendUnavailable(
                    store=self.name, reason='cannot list %s: %s'
                    % (datadir.path, e.strerror))
            with entries:
                for entry in entries:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    path = os.path.join(datadir.real, entry.name)
                    yield driver.StoreObject(
                        path, location_mod.file_uri(path),
                        _image_id_of(entry.name), st.st_size, st.st_mtime)

    def object_key(self, location):
        try:
            path = location_mod.file_path(self.parse(location))
        except exceptions.StoreError:
            return None
        real = os.path.realpath(path)
        if os.path.dirname(real) in {d.real for d in self.datadirs}:
            return real
        return None

    def delete_object(self, key):
        if os.path.dirname(key) not in {d.real for d in self.datadirs}:
            raise exceptions.Forbidden(
                uri=location_mod.file_uri(key),
                reason='the path is outside the data directories of store '
                       '%s' % self.name)
        try:
            os.unlink(key)
        except FileNotFoundError:
            raise exceptions.NotFound(uri=location_mod.file_uri(key))
        LOG.info('Deleted %s from store %s', key, self.name)

    # -- writing -----------------------------------------------------------

    def add(self, image_id, reader, size):
        _check_image_id(image_id)
        for datadir in self.datadirs:
            existing = os.path.join(datadir.path, image_id)
            if os.path.lexists(existing):
                raise exceptions.Duplicate(
                    image_id=image_id, uri=location_mod.file_uri(existing))
        datadir = self._choose_datadir(size or 0)
        path = os.path.join(datadir.path, image_id)
        fd, temp_path = self._open_temp(datadir, image_id)
        published = False
        try:
            written = self._write(fd, reader)
            try:
                if self.file_perm:
                    os.fchmod(fd, self.file_perm)
                # Flushing a large file takes seconds: not on the hub.
                blocking.call(os.fdatasync, fd)
            except OSError as e:
                raise self._write_error(e, datadir) from e
            self._publish(fd, temp_path, path, image_id)
            published = True
            try:
                blocking.call(_fsync_dir, datadir.path)
            except OSError as e:
                raise self._write_error(e, datadir) from e
        except BaseException:
            os.close(fd)
            for leftover in (temp_path, path if published else None):
                if leftover:
                    try:
                        os.unlink(leftover)
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        LOG.error('Could not remove partial image data %s: '
                                  '%s', leftover, e)
            raise
        os.close(fd)
        LOG.debug('Wrote %d bytes of image %s to %s', written, image_id, path)
        return driver.AddResult(location_mod.file_uri(path), written,
                                self.metadata())

    def _choose_datadir(self, size):
        """The highest-priority directory with ``size`` bytes free; among
        equal priorities the one with the most free space."""
        best = None
        for datadir in self.datadirs:
            if best is not None and datadir.priority < best[1].priority:
                break
            try:
                st = os.statvfs(datadir.path)
            except OSError as e:
                LOG.warning('Skipping data directory %s: %s',
                            datadir.path, e)
                continue
            free = st.f_bavail * st.f_frsize
            if free >= size and (best is None or free > best[0]):
                best = (free, datadir)
        if best is None:
            raise exceptions.StorageFull(
                'There is not enough free space in store %s for %d bytes'
                % (self.name, size))
        return best[1]

    def _open_temp(self, datadir, image_id):
        flags = os.O_WRONLY | os.O_CLOEXEC
        try:
            if datadir.path in self.o_tmpfile_dirs:
                return os.open(datadir.path, flags | os.O_TMPFILE,
                               0o666), None
            temp_path = os.path.join(
                datadir.path, '.%s.%s.tmp' % (image_id, secrets.token_hex(8)))
            return os.open(temp_path, flags | os.O_CREAT | os.O_EXCL,
                           0o666), temp_path
        except OSError as e:
            raise self._write_error(e, datadir) from e

    def _write(self, fd, reader):
        """Copy ``reader`` to ``fd``. Exceptions from the reader propagate
        unchanged; only write errors are translated."""
        chunk_size = self.write_chunk_size
        written = 0
        while True:
            chunk = reader.read(chunk_size)
            if not chunk:
                return written
            try:
                # pwrite, not write: eventlet's green os.write stats the
                # file before every write.
                count = os.pwrite(fd, chunk, written)
                while count < len(chunk):
                    count += os.pwrite(fd, memoryview(chunk)[count:],
                                       written + count)
            except OSError as e:
                raise self._write_error(e, None) from e
            written += len(chunk)

    def _publish(self, fd, temp_path, path, image_id):
        try:
            if temp_path is None:
                _link_fd(fd, path)
            else:
                os.link(temp_path, path)
                os.unlink(temp_path)
        except FileExistsError:
            raise exceptions.Duplicate(image_id=image_id,
                                       uri=location_mod.file_uri(path))
        except OSError as e:
            raise self._write_error(e, None) from e

    def _write_error(self, error, datadir):
        if error.errno in _FULL_ERRNOS:
            return exceptions.StorageFull(
                'There is not enough free space in store %s%s'
                % (self.name, ' (%s)' % datadir.path if datadir else ''))
        return exceptions.BackendUnavailable(
            store=self.name, reason='error writing image data: %s'
            % error.strerror)

    # -- reading -----------------------------------------------------------

    def get(self, location, offset=0, length=None, chunk_size=None):
        path = self._resolve(location, reading=True)
        fd = self._open_read(path, location)
        try:
            size = os.fstat(fd).st_size
            count = driver.check_range(offset, length, size)
            if count:
                os.posix_fadvise(fd, offset or 0, count,
                                 os.POSIX_FADV_SEQUENTIAL)
        except BaseException:
            os.close(fd)
            raise
        chunk_size = chunk_size or driver.DEFAULT_READ_CHUNK_SIZE
        return FileIterator(fd, offset or 0, count, chunk_size), count

    def _open_read(self, path, location):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise exceptions.NotFound(uri=_safe(location))
        except PermissionError:
            raise exceptions.Forbidden(uri=_safe(location),
                                       reason='permission denied')
        except OSError as e:
            raise exceptions.BackendUnavailable(store=self.name,
                                                reason=e.strerror)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise exceptions.NotFound(uri=_safe(location))
        return fd

    def get_size(self, location):
        path = self._resolve(location, reading=True)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise exceptions.NotFound(uri=_safe(location))
        if not stat.S_ISREG(st.st_mode):
            raise exceptions.NotFound(uri=_safe(location))
        return st.st_size

    # -- deleting ----------------------------------------------------------

    def delete(self, location):
        path = self._resolve(location)
        if os.path.isdir(path):
            raise exceptions.NotFound(uri=_safe(location))
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            raise exceptions.NotFound(uri=_safe(location))
        except PermissionError:
            raise exceptions.Forbidden(uri=_safe(location),
                                       reason='permission denied')
        LOG.debug('Deleted image data %s', path)


class FileIterator:
    """Yields ``count`` bytes of an open file from ``offset`` in chunks;
    closes the file at the end or on ``close()`` (a client that hung up)."""

    def __init__(self, fd, offset, count, chunk_size):
        self.fd = fd
        self.position = offset
        self.remaining = count
        self.chunk_size = chunk_size

    def __iter__(self):
        return self

    def __next__(self):
        if self.remaining <= 0 or self.fd is None:
            self.close()
            raise StopIteration
        chunk = os.pread(self.fd, min(self.chunk_size, self.remaining),
                         self.position)
        if not chunk:
            # The file shrank under us; stop rather than loop.
            LOG.warning('Image file ended %d bytes early', self.remaining)
            self.close()
            raise StopIteration
        self.position += len(chunk)
        self.remaining -= len(chunk)
        return chunk

    def close(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def __del__(self):
        self.close()


def _check_image_id(image_id):
    if (not isinstance(image_id, str) or not image_id
            or image_id.startswith('.') or '/' in image_id
            or '\x00' in image_id):
        raise exceptions.BadStoreUri(uri=repr(image_id),
                                     reason='not a valid image id')


def _image_id_of(name):
    """The image an entry of a data directory was written for: its name,
    or for a temp file ``.<image_id>.<random>.tmp`` the part in between;
    None for other hidden files."""
    if not name.startswith('.'):
        return name
    parts = name[1:].rsplit('.', 2)
    if len(parts) == 3 and parts[2] == 'tmp' and parts[0]:
        return parts[0]
    return None


def _link_fd(fd, path):
    """Give the anonymous (O_TMPFILE) file open on ``fd`` the name
    ``path``: linkat(2) of the /proc/self/fd entry with AT_SYMLINK_FOLLOW.
    (os.link only calls linkat when a dir_fd is given.)"""
    proc_fd = os.open('/proc/self/fd', os.O_RDONLY | os.O_DIRECTORY |
                      os.O_CLOEXEC)
    try:
        os.link(str(fd), path, src_dir_fd=proc_fd, follow_symlinks=True)
    finally:
        os.close(proc_fd)


def _o_tmpfile_works(directory):
    """Whether an O_TMPFILE file can be created in ``directory`` and
    linked into place (kernel, filesystem and /proc all allow it)."""
    if not hasattr(os, 'O_TMPFILE'):
        return False
    probe = os.path.join(directory, '.o_tmpfile_probe.%s'
                         % secrets.token_hex(8))
    try:
        fd = os.open(directory, os.O_WRONLY | os.O_TMPFILE | os.O_CLOEXEC,
                     0o600)
    except OSError:
        return False
    try:
        _link_fd(fd, probe)
    except OSError:
        return False
    finally:
        os.close(fd)
    os.unlink(probe)
    return True


def _is_within(path, root):
    """Whether the normalized ``path`` is ``root`` or below it."""
    root = root.rstrip('/') or '/'
    return path == root or path.startswith(root.rstrip('/') + '/')


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(location):
    if isinstance(location, location_mod.Location):
        return location.safe_uri
    return location_mod.redact(location)
