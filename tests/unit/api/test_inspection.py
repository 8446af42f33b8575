"""Disk-format inspection of streamed data (oslo.utils' inspectors) and the
upload reader that feeds it."""

import io

from oslo_config import cfg
import testtools

from glance_api import inspection
from glance_api import reader as reader_module
from glance_registry.common import exception
from tests import disk_images

MiB = 1024 * 1024


def make_rules(**options):
    conf = cfg.ConfigOpts()
    conf([])
    conf.register_opts(inspection.inspection_opts, group='image_format')
    for name, value in options.items():
        conf.set_override(name, value, group='image_format')
    return inspection.FormatRules(conf)


def inspect(data, disk_format, rules=None, block_size=4 * MiB):
    """Feed ``data`` in blocks; returns (detected format, virtual size)."""
    inspector = (rules or make_rules()).inspector(disk_format)
    for start in range(0, len(data), block_size):
        inspector.feed(data[start:start + block_size])
    virtual_size = inspector.finish(len(data))
    return inspector.format, virtual_size


class CountingSource:
    """A body handing out ``step`` bytes per read and counting what it
    gave."""

    def __init__(self, data, step=MiB):
        self.stream = io.BytesIO(data)
        self.step = step
        self.given = 0

    def read(self, size=-1):
        chunk = self.stream.read(min(size if size > 0 else self.step,
                                     self.step))
        self.given += len(chunk)
        return chunk


class InspectionTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.images = disk_images.Images()
        self.addCleanup(self.images.cleanup)

    def assertRefused(self, check, data, disk_format, **kwargs):
        error = self.assertRaises(exception.ImageFormatCheckFailed,
                                  inspect, data, disk_format, **kwargs)
        self.assertEqual(400, error.http_status)
        self.assertIn('Image format check failed: %s' % check, str(error))
        return error


class TestAcceptedFormats(InspectionTestCase):

    def test_each_format_is_detected_with_its_virtual_size(self):
        cases = [
            ('qcow2', self.images.qcow2(), 10 * MiB),
            ('vmdk', self.images.vmdk('streamOptimized'), 20 * MiB),
            ('vmdk', self.images.vmdk('monolithicSparse'), 20 * MiB),
            ('vhdx', self.images.vhdx(), 20 * MiB),
            ('vdi', self.images.vdi(), 20 * MiB),
            ('iso', self.images.iso(), 256 * 2048),
            ('gpt', self.images.gpt(), MiB),
        ]
        for disk_format, data, virtual_size in cases:
            self.assertEqual((disk_format, virtual_size),
                             inspect(data, disk_format), disk_format)

    def test_vhd_virtual_size_is_the_footer_disk_size(self):
        detected, virtual_size = inspect(self.images.vhd(), 'vhd')
        self.assertEqual('vhd', detected)
        # qemu rounds a VHD up to whole cylinders/heads/sectors.
        self.assertGreaterEqual(virtual_size, 20 * MiB)
        self.assertLess(virtual_size, 21 * MiB)

    def test_raw_virtual_size_is_the_data_size(self):
        data = self.images.random()
        self.assertEqual(('raw', len(data)), inspect(data, 'raw'))
        self.assertEqual(('raw', 0), inspect(b'', 'raw'))

    def test_raw_accepts_a_whole_disk_with_a_partition_table(self):
        self.assertEqual(('gpt', MiB), inspect(self.images.gpt(), 'raw'))

    def test_formats_without_an_inspector_accept_unknown_data(self):
        data = self.images.random()
        for disk_format in ('ami', 'ari', 'aki', 'ploop'):
            self.assertEqual(('raw', len(data)), inspect(data, disk_format))

    def test_bootable_iso_with_an_mbr_is_accepted_as_iso(self):
        self.assertEqual(('iso', 256 * 2048),
                         inspect(self.images.gpt_iso_polyglot(), 'iso'))

    def test_detection_does_not_depend_on_block_sizes(self):
        for data, disk_format in ((self.images.vhdx(), 'vhdx'),
                                  (self.images.vmdk('streamOptimized'),
                                   'vmdk'),
                                  (self.images.qcow2(), 'qcow2')):
            for block_size in (7, 511, 4096, 65537, 3 * MiB):
                self.assertEqual(
                    (disk_format, 20 * MiB if disk_format != 'qcow2'
                     else 10 * MiB),
                    inspect(data, disk_format, block_size=block_size),
                    (disk_format, block_size))

    def test_mismatch_is_allowed_when_the_match_is_not_required(self):
        rules = make_rules(require_image_format_match=False)
        self.assertEqual(('qcow2', 10 * MiB),
                         inspect(self.images.qcow2(), 'raw', rules=rules))

    def test_zero_virtual_size_cap_is_no_limit(self):
        rules = make_rules(virtual_size_cap=0)
        self.assertEqual(('qcow2', 1024 ** 5),
                         inspect(self.images.qcow2_of_one_pib(), 'qcow2',
                                 rules=rules))


class TestRefusedData(InspectionTestCase):

    def test_qcow2_with_backing_file_is_refused(self):
        self.assertRefused('backing_file',
                           self.images.qcow2_with_backing_file(), 'qcow2')

    def test_qcow2_with_external_data_file_is_refused(self):
        self.assertRefused('data_file', self.images.qcow2_with_data_file(),
                           'qcow2')

    def test_vmdk_flat_descriptor_naming_a_host_file_is_refused(self):
        for disk_format in ('vmdk', 'raw'):
            self.assertRefused('descriptor',
                               self.images.vmdk_flat_descriptor(),
                               disk_format)

    def test_vmdk_type_outside_vmdk_allowed_types_is_refused(self):
        rules = make_rules(vmdk_allowed_types=['monolithicSparse'])
        self.assertRefused('vmdk_allowed_types',
                           self.images.vmdk('streamOptimized'), 'vmdk',
                           rules=rules)

    def test_qcow2_declared_raw_is_refused(self):
        error = self.assertRefused('disk_format', self.images.qcow2(), 'raw')
        self.assertIn('the data is qcow2', str(error))

    def test_unknown_data_declared_qcow2_is_refused(self):
        for disk_format in ('qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso',
                            'gpt'):
            self.assertRefused('disk_format', self.images.random(),
                               disk_format)

    def test_polyglots_are_refused(self):
        self.assertRefused('multiple_formats',
                           self.images.gpt_iso_polyglot(), 'raw')
        self.assertRefused('multiple_formats',
                           self.images.gpt_iso_polyglot(), 'gpt')
        for disk_format in ('qcow2', 'iso'):
            self.assertRefused('multiple_formats',
                               self.images.qcow2_iso_polyglot(), disk_format)

    def test_virtual_size_past_the_cap_is_refused(self):
        self.assertRefused('virtual_size_cap',
                           self.images.qcow2_of_one_pib(), 'qcow2')
        rules = make_rules(virtual_size_cap=MiB)
        self.assertRefused('virtual_size_cap', self.images.random(), 'raw',
                           rules=rules)

    def test_safety_checks_run_when_the_match_is_not_required(self):
        rules = make_rules(require_image_format_match=False)
        self.assertRefused('backing_file',
                           self.images.qcow2_with_backing_file(), 'raw',
                           rules=rules)


class TestReaderInspection(InspectionTestCase):

    def make_reader(self, data, disk_format, **kwargs):
        source = CountingSource(data)
        reader = reader_module.ImageReader(
            source, expected_size=len(data), block_size=MiB,
            inspector=make_rules(**kwargs).inspector(disk_format))
        self.addCleanup(reader.close)
        return source, reader

    def drain(self, reader):
        chunks = []
        while True:
            chunk = reader.read(65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)

    def test_reader_refuses_at_the_header_without_reading_the_rest(self):
        header = self.images.qcow2_with_backing_file()
        data = header + bytes(64 * MiB)
        source, reader = self.make_reader(data, 'qcow2')
        error = self.assertRaises(exception.ImageFormatCheckFailed,
                                  self.drain, reader)
        self.assertIn('backing_file', str(error))
        self.assertLessEqual(source.given, MiB)

    def test_reader_hands_out_every_byte_and_gives_virtual_size(self):
        data = self.images.vmdk('streamOptimized')
        source, reader = self.make_reader(data, 'vmdk')
        self.assertEqual(data, self.drain(reader))
        reader.finish()
        self.assertEqual(20 * MiB, reader.virtual_size)
        self.assertEqual(len(data), reader.size)

    def test_reader_refuses_at_finish_what_only_the_end_shows(self):
        # A VMDK header saying "grain directory in the footer" (as VMware's
        # streamOptimized writer does), with no footer at the end.
        data = bytearray(self.images.vmdk('streamOptimized'))
        data[56:64] = b'\xff' * 8
        data = bytes(data)
        source, reader = self.make_reader(data, 'vmdk')
        self.drain(reader)
        error = self.assertRaises(exception.ImageFormatCheckFailed,
                                  reader.finish)
        self.assertIn('Image format check failed: footer', str(error))

    def test_reader_without_inspector_has_no_virtual_size(self):
        reader = reader_module.ImageReader(io.BytesIO(b'data'))
        self.addCleanup(reader.close)
        self.drain(reader)
        reader.finish()
        self.assertIsNone(reader.virtual_size)


class TestPartitionTableChecks(InspectionTestCase):
    """Whole-disk data with a malformed MBR partition entry."""

    @staticmethod
    def bad_mbr_disk():
        data = bytearray(MiB)
        # A partition entry whose boot flag is neither 0x00 nor 0x80.
        data[446] = 0x01
        data[446 + 4] = 0x83
        data[510:512] = b'\x55\xaa'
        return bytes(data)

    def test_bad_partition_entry_declared_raw_is_accepted_by_default(self):
        self.assertEqual(('gpt', MiB), inspect(self.bad_mbr_disk(), 'raw'))

    def test_bad_partition_entry_is_refused_when_gpt_checks_are_fatal(self):
        rules = make_rules(gpt_safety_checks_nonfatal=False)
        self.assertRefused('mbr', self.bad_mbr_disk(), 'raw', rules=rules)
