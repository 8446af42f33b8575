"""Disk-format inspection of image data while it streams in.

The one upload reader hands the first bytes of every upload to oslo.utils'
format inspectors (all of them at once, as upstream Glance does). Once the
format is known the data must pass the inspector's safety checks (no backing
file, no external data file, no VMDK extents naming other files, one format
only), be what its ``disk_format`` says (``[image_format]
require_image_format_match``) and have a virtual size within
``[image_format] virtual_size_cap``. The inspectors stop seeing data as soon
as they have what they need, a few hundred KiB for most formats.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils.imageutils import format_inspector

from glance_registry.common import exception

LOG = logging.getLogger(__name__)

inspection_opts = [
    cfg.BoolOpt('require_image_format_match', default=True,
                help='Refuse image data whose format, as the format '
                     'inspectors detect it, is not the disk_format of the '
                     'image. "raw" (and the formats no inspector knows: '
                     'ami, ari, aki, ploop) accepts data in no known format '
                     'and whole-disk data with an MBR or GPT partition '
                     'table; "iso" accepts a bootable ISO that also carries '
                     'an MBR. The safety checks run whatever this says.'),
    cfg.ListOpt('vmdk_allowed_types',
                default=['streamOptimized', 'monolithicSparse'],
                help='VMDK create-types (subformats) accepted in uploaded '
                     'data. Only single-file types with a sparse header are '
                     'safe: the others name extent files that a hypervisor '
                     'would open on its own host. The inspector refuses '
                     'every other type whatever this lists; an empty list '
                     'refuses all VMDK data.'),
    cfg.IntOpt('virtual_size_cap', default=16 * 1024 ** 4, min=0,
               help='Largest virtual size in bytes (the size of the disk a '
                    'hypervisor sees) that uploaded data may declare; data '
                    'declaring more is refused with 400 before it is '
                    'stored. A small qcow2 can declare a disk of many '
                    'petabytes that compute hosts would then try to create '
                    'or convert. 0 means no limit. Default 16 TiB.'),
    cfg.BoolOpt('gpt_safety_checks_nonfatal', default=True,
                help='Log, rather than refuse, data detected as a whole '
                     'disk with an MBR/GPT partition table whose partition '
                     'entries fail the inspector\'s sanity check. Such a '
                     'table names no other file, so the check guards '
                     'against nothing a hypervisor would act on, while '
                     'real disks (and raw data that happens to end its '
                     'first sector with 55 AA) often fail it.'),
]

# The inspectors see the data in slices this small, so that a region one
# region locates (VHDX's virtual size after its metadata table) is still to
# come when the inspector asks for it. The first slice is gathered to this
# full size even from a source that trickles a few bytes per read: some
# regions (a VMDK text descriptor) keep only the first slice they see.
SLICE_SIZE = 64 * 1024
# Only crafted data makes an inspector that has not matched wait for a
# region this far in; past it that inspector no longer holds up the
# decision, as at the end of the data.
DETECT_LIMIT = 16 * 1024 * 1024
# Formats whose virtual size is the size of the data itself.
WHOLE_DATA_FORMATS = ('raw', 'gpt')
# LUKS derives its virtual size from the whole stream, which the inspector
# no longer sees once the header is read: left unknown.
UNKNOWN_SIZE_FORMATS = ('luks',)
# Data claimed by these two at once is a bootable (hybrid) ISO: accepted
# when the image says "iso", a polyglot otherwise.
HYBRID_ISO = frozenset(('iso', 'gpt'))


def list_opts():
    return inspection_opts


class FormatRules:
    """The ``[image_format]`` inspection options, read once; makes one
    :class:`ImageInspector` per upload."""

    def __init__(self, conf):
        conf.register_opts(inspection_opts, group='image_format')
        options = conf.image_format
        self.require_match = options.require_image_format_match
        self.vmdk_allowed_types = frozenset(
            name.lower() for name in options.vmdk_allowed_types)
        self.virtual_size_cap = options.virtual_size_cap
        self.gpt_checks_nonfatal = options.gpt_safety_checks_nonfatal

    def inspector(self, disk_format):
        return ImageInspector(disk_format, self)


def refusal(check, reason):
    return exception.ImageFormatCheckFailed(check=check, reason=reason)


def _safely(inspector, attribute):
    """An inspector property, False when the inspector cannot answer
    (it raises on some partial or malformed data)."""
    try:
        return getattr(inspector, attribute)
    except Exception:
        return False


class ImageInspector:
    """Inspects the data of one upload for an image of ``disk_format``.

    :meth:`feed` takes the blocks in order and raises ImageFormatCheckFailed
    (400) as soon as the data is known to be refused; :meth:`finish`, after
    the last block, makes the checks left and returns the virtual size.
    ``format`` is the detected format once known ('raw' for none).
    """

    def __init__(self, disk_format, rules):
        self.disk_format = disk_format
        self.rules = rules
        self.format = None
        self.virtual_size = None
        self._inspectors = {
            name: inspector_class()
            for name, inspector_class in format_inspector.ALL_FORMATS.items()
            if name != 'raw'}
        self._head = []
        self._head_size = 0
        self._position = 0
        self._feeding = True
        self._settled = False

    def feed(self, block):
        """Inspect the next block of data (a no-op once the inspectors
        have all they need)."""
        if not self._feeding or not block:
            return
        if self._head is not None:
            self._head.append(block)
            self._head_size += len(block)
            if self._head_size < SLICE_SIZE:
                return
            block = b''.join(self._head)
            self._head = None
        self._inspect(block)

    def finish(self, size):
        """The data ended after ``size`` bytes: decide what is still open;
        returns the virtual size (None when the format has none)."""
        if self._head:
            self._inspect(b''.join(self._head))
        self._head = None
        for inspector in self._inspectors.values():
            inspector.finish()
        if self.format is None:
            self._decide({name for name, inspector
                          in self._inspectors.items()
                          if _safely(inspector, 'complete')}, at_end=True)
        if not self._settled:
            self._settle()
        if self.format in WHOLE_DATA_FORMATS:
            self.virtual_size = size
            self._check_virtual_size()
        return self.virtual_size

    # -- steps -------------------------------------------------------------

    def _inspect(self, chunk):
        for start in range(0, len(chunk), SLICE_SIZE):
            if not self._feeding:
                return
            self._inspect_slice(chunk[start:start + SLICE_SIZE])

    def _inspect_slice(self, piece):
        complete_before = {name for name, inspector
                           in self._inspectors.items()
                           if _safely(inspector, 'complete')}
        for name, inspector in list(self._inspectors.items()):
            try:
                inspector.eat_chunk(piece)
            except Exception as e:
                # The inspector cannot parse the data: it is not its format.
                LOG.debug('Data is not %s: %s', name, e)
                del self._inspectors[name]
        self._position += len(piece)
        # An inspector adds some regions only on the slice after the one
        # completing the region that locates them (VHDX's virtual size):
        # it is done when it stays complete over one more slice.
        done = {name for name in complete_before
                if name in self._inspectors
                and _safely(self._inspectors[name], 'complete')}
        if self.format is None:
            self._decide(done)
        elif self.format not in self._inspectors:
            raise refusal('format', 'the %s data is malformed' % self.format)
        elif self.format in done:
            self._settle()

    def _decide(self, done, at_end=False):
        """Name the format once every inspector has matched, completed or
        given up; then run the checks that can run now."""
        waiting = [name for name, inspector in self._inspectors.items()
                   if name not in done
                   and not _safely(inspector, 'format_match')]
        if waiting and not at_end and self._position < DETECT_LIMIT:
            return
        matches = sorted(name for name, inspector in self._inspectors.items()
                         if _safely(inspector, 'format_match'))
        self.format = self._choose(matches)
        chosen = self._inspectors.get(self.format)
        # Only the chosen inspector may still need data (a VMDK footer).
        self._inspectors = {} if chosen is None else {self.format: chosen}
        if chosen is None or self.format in done:
            self._settle()
        self._check_disk_format()

    def _choose(self, matches):
        if not matches:
            return 'raw'
        if len(matches) == 1:
            return matches[0]
        if set(matches) == HYBRID_ISO and self.disk_format == 'iso':
            return 'iso'
        raise refusal('multiple_formats',
                      'the data is at once %s' % ' and '.join(matches))

    def _settle(self):
        """Checks that need the chosen inspector complete: safety, VMDK
        subformat, virtual size. Afterwards no inspector needs data."""
        self._settled = True
        self._feeding = False
        inspector = self._inspectors.get(self.format)
        if inspector is None:
            return
        self._check_safety(inspector)
        if self.format == 'vmdk':
            self._check_vmdk_subformat(inspector)
        if self.format not in WHOLE_DATA_FORMATS + UNKNOWN_SIZE_FORMATS:
            self.virtual_size = _safely(inspector, 'virtual_size') or None
            self._check_virtual_size()

    def _check_safety(self, inspector):
        try:
            inspector.safety_check()
        except format_inspector.SafetyCheckFailed as e:
            names = sorted(e.failures)
            if self.format == 'gpt' and self.rules.gpt_checks_nonfatal:
                LOG.warning('Accepting %s data that fails the checks %s '
                            '(gpt_safety_checks_nonfatal): %s', self.format,
                            ', '.join(names), e.failures)
                return
            raise refusal(', '.join(names), '; '.join(
                '%s data: %s' % (self.format, e.failures[name])
                for name in names))
        except format_inspector.ImageFormatError as e:
            raise refusal('format', '%s data: %s' % (self.format, e))

    def _check_vmdk_subformat(self, inspector):
        subformat = getattr(inspector, 'vmdktype', None)
        if subformat not in self.rules.vmdk_allowed_types:
            raise refusal('vmdk_allowed_types',
                          'VMDK create-type %s is not allowed' % subformat)

    def _check_disk_format(self):
        if not self.rules.require_match or self._accepts(self.format):
            return
        found = self.format
        if found == 'raw':
            found = 'in no format the inspectors know'
        raise refusal('disk_format', 'the image disk_format is %s but the '
                      'data is %s' % (self.disk_format, found))

    def _accepts(self, detected):
        """Whether data detected as ``detected`` may be stored as
        ``disk_format``."""
        if detected == self.disk_format:
            return True
        if (self.disk_format == 'raw' or
                self.disk_format not in format_inspector.ALL_FORMATS):
            # "raw" always meant a whole disk too, partition table or not.
            return detected in WHOLE_DATA_FORMATS
        return False

    def _check_virtual_size(self):
        cap = self.rules.virtual_size_cap
        if cap and self.virtual_size is not None and \
                self.virtual_size > cap:
            raise refusal('virtual_size_cap',
                          'the %s data declares a virtual size of %d bytes, '
                          'more than %d' % (self.format, self.virtual_size,
                                            cap))
