"""Import plugins: steps an import runs on the staged data before writing
it to the stores, named in ``[image_import_opts] image_import_plugins``.

- ``image_conversion``: converts the staged data to ``[image_conversion]
  output_format`` with qemu-img (under CPU and memory limits), checking
  first that qemu-img reads it as the format the image declares, without a
  backing or data file;
- ``inject_image_metadata``: sets ``[inject_metadata_properties] inject``
  on the image unless the caller has one of ``ignore_user_roles``;
- ``image_decompression``: unpacks gzip and zip data (one file) and, where
  the ``lha`` tool is installed, LHA archives; what would expand past
  ``image_size_cap`` is refused.

A plugin is ``plugin(job)``: it may change the staged file and returns the
image attributes and properties to record with the import.
"""

import gzip
import json
import os
import shutil
import subprocess
import tempfile
import zipfile

from oslo_concurrency import processutils
from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

plugin_opts = [
    cfg.ListOpt('image_import_plugins', default=[],
                item_type=cfg.types.String(choices=(
                    'image_decompression', 'image_conversion',
                    'inject_image_metadata')),
                help='Plugins every glance-direct and web-download import '
                     'runs on the staged data, in this order.'),
]

conversion_opts = [
    cfg.StrOpt('output_format', default='raw',
               choices=('raw', 'qcow2', 'vmdk'),
               help='Disk format the image_conversion plugin converts '
                    'imported images to (raw suits Ceph RBD, which clones '
                    'raw images only).'),
]

inject_opts = [
    cfg.DictOpt('inject', default={},
                help='Properties the inject_image_metadata plugin sets on '
                     'each imported image, as key:value pairs.'),
    cfg.ListOpt('ignore_user_roles', default=['admin'],
                help='Roles whose imports inject_image_metadata leaves '
                     'alone.'),
]

# qemu-img runs under these limits: a hostile image cannot make it eat the
# host (the same figures upstream uses for qemu-img info).
QEMU_IMG_LIMITS = processutils.ProcessLimits(cpu_time=30,
                                             address_space=1024 ** 3)
CONVERT_LIMITS = processutils.ProcessLimits(cpu_time=3600,
                                            address_space=1024 ** 3)
# Image disk_format -> qemu-img's name for it.
QEMU_FORMATS = {'raw': 'raw', 'qcow2': 'qcow2', 'vmdk': 'vmdk',
                'vhd': 'vpc', 'vhdx': 'vhdx', 'vdi': 'vdi', 'qed': 'qed'}


def list_opts():
    return [('image_import_opts', plugin_opts),
            ('image_conversion', conversion_opts),
            ('inject_metadata_properties', inject_opts)]


def register_opts(conf):
    conf.register_opts(plugin_opts, group='image_import_opts')
    conf.register_opts(conversion_opts, group='image_conversion')
    conf.register_opts(inject_opts, group='inject_metadata_properties')


def load(conf):
    """The configured plugins, in order."""
    register_opts(conf)
    builders = {'image_decompression': ImageDecompression,
                'image_conversion': ImageConversion,
                'inject_image_metadata': InjectImageMetadata}
    return [builders[name](conf)
            for name in conf.image_import_opts.image_import_plugins]


def conversion_refused(reason):
    return exception.ImageFormatCheckFailed(check='conversion',
                                            reason=reason)


class ImageConversion:
    """Convert the staged data to ``output_format`` with qemu-img."""

    name = 'image_conversion'

    def __init__(self, conf):
        self.output_format = conf.image_conversion.output_format

    def __call__(self, job):
        source_format = job.image['disk_format']
        if source_format == self.output_format:
            return {}
        if source_format not in QEMU_FORMATS:
            LOG.info('Image %s (%s) is not converted: qemu-img does not '
                     'convert %s', job.image_id, source_format,
                     source_format)
            return {}
        path = job.staging.path(job.image_id)
        qemu_format = QEMU_FORMATS[source_format]
        self.check(path, qemu_format)
        converted = path + '.converted'
        try:
            processutils.execute(
                'qemu-img', 'convert', '-f', qemu_format,
                '-O', QEMU_FORMATS[self.output_format], path, converted,
                prlimit=CONVERT_LIMITS)
            os.replace(converted, path)
        except processutils.ProcessExecutionError as e:
            raise conversion_refused('qemu-img could not convert the image '
                                     'from %s to %s: %s'
                                     % (source_format, self.output_format,
                                        e.stderr.strip()[:200]))
        finally:
            if os.path.exists(converted):
                os.unlink(converted)
        LOG.info('Converted image %s from %s to %s', job.image_id,
                 source_format, self.output_format)
        return {'disk_format': self.output_format}

    def check(self, path, qemu_format):
        """qemu-img must read the data as the declared format, with no
        backing file and no external data file."""
        try:
            out, _ = processutils.execute(
                'qemu-img', 'info', '--output=json', path,
                prlimit=QEMU_IMG_LIMITS)
        except processutils.ProcessExecutionError as e:
            raise conversion_refused('qemu-img cannot read the image: %s'
                                     % e.stderr.strip()[:200])
        info = json.loads(out)
        if info.get('format') != qemu_format:
            raise conversion_refused('the data is %s, not %s'
                                     % (info.get('format'), qemu_format))
        if info.get('backing-filename') or info.get('full-backing-filename'):
            raise conversion_refused('the image has a backing file')
        data_file = (info.get('format-specific') or {}).get(
            'data', {}).get('data-file')
        if data_file:
            raise conversion_refused('the image has an external data file')


class InjectImageMetadata:
    """Set ``inject`` properties on imported images."""

    name = 'inject_image_metadata'

    def __init__(self, conf):
        options = conf.inject_metadata_properties
        self.inject = dict(options.inject)
        self.ignore_user_roles = set(options.ignore_user_roles)

    def __call__(self, job):
        roles = set(getattr(job.context, 'roles', None) or [])
        if not self.inject or roles & self.ignore_user_roles:
            return {}
        return {'properties': dict(self.inject)}


class ImageDecompression:
    """Unpack compressed staged data; the archive must hold one file and
    expand to at most ``image_size_cap`` bytes."""

    name = 'image_decompression'
    GZIP = b'\x1f\x8b'
    ZIP = b'PK\x03\x04'

    def __init__(self, conf):
        self.size_cap = conf.image_size_cap

    def __call__(self, job):
        path = job.staging.path(job.image_id)
        with open(path, 'rb') as f:
            head = f.read(8)
        if head.startswith(self.GZIP):
            self.unpack(path, lambda: gzip.open(path, 'rb'))
        elif head.startswith(self.ZIP):
            self.unpack(path, lambda: self.open_zip(path))
        elif head[2:5] == b'-lh' and head[6:7] == b'-':
            self.unpack_lha(path)
        else:
            return {}
        LOG.info('Decompressed the staged data of image %s', job.image_id)
        return {}

    @staticmethod
    def open_zip(path):
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise conversion_refused('a zip archive must hold one file, '
                                     'not %d' % len(members))
        return archive.open(members[0])

    def unpack(self, path, open_source):
        unpacked = path + '.unpacked'
        try:
            with open_source() as source, open(unpacked, 'wb') as target:
                self.copy_capped(source, target)
            os.replace(unpacked, path)
        except (OSError, EOFError, zipfile.BadZipFile) as e:
            raise conversion_refused('the compressed data cannot be '
                                     'unpacked: %s' % e)
        finally:
            if os.path.exists(unpacked):
                os.unlink(unpacked)

    def copy_capped(self, source, target):
        written = 0
        while True:
            chunk = source.read(1024 * 1024)
            if not chunk:
                return written
            written += len(chunk)
            if written > self.size_cap:
                raise exception.ImageSizeLimitExceeded(limit=self.size_cap)
            target.write(chunk)

    def unpack_lha(self, path):
        if shutil.which('lha') is None:
            raise conversion_refused('LHA archives need the lha tool, '
                                     'which this host lacks')
        folder = tempfile.mkdtemp(dir=os.path.dirname(path))
        try:
            subprocess.run(['lha', '-xqw=' + folder, path], check=True,
                           capture_output=True, timeout=3600)
            files = [os.path.join(root, name)
                     for root, _, names in os.walk(folder) for name in names]
            if len(files) != 1:
                raise conversion_refused('an LHA archive must hold one '
                                         'file, not %d' % len(files))
            if os.path.getsize(files[0]) > self.size_cap:
                raise exception.ImageSizeLimitExceeded(limit=self.size_cap)
            os.replace(files[0], path)
        except subprocess.SubprocessError as e:
            raise conversion_refused('the LHA archive cannot be unpacked: '
                                     '%s' % e)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
