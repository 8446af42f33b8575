"""Import plugins: steps an import runs on the staged data before writing
it to the stores, named in ``[image_import_opts] image_import_plugins``.

- ``image_conversion``: converts the staged data to ``[image_conversion]
  output_format`` with qemu-img (under CPU and memory limits), checking
  first that qemu-img reads it as the format the image declares, without a
  backing or data file;
- ``inject_image_metadata``: sets ``[inject_metadata_properties] inject``
  on the image unless the caller has one of ``ignore_user_roles``.

A plugin is ``plugin(job)``: it may change the staged file and returns the
image attributes and properties to record with the import.
"""

import json
import os

from oslo_concurrency import processutils
from oslo_config import cfg
from oslo_log import log as logging

from glance_registry.common import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

plugin_opts = [
    cfg.ListOpt('image_import_plugins', default=[],
                item_type=cfg.types.String(choices=(
                    'image_conversion', 'inject_image_metadata')),
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
    builders = {'image_conversion': ImageConversion,
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
