"""Disk images for the format-inspection tests, built when a test runs:
with qemu-img for the formats it writes, by hand for ISO 9660 and MBR/GPT
(a few header fields), never stored in the repository."""

import os
import shutil
import struct
import subprocess
import tempfile

MiB = 1024 * 1024
ISO_BLOCK = 2048


def qemu_img_create(folder, name, disk_format, size, *options):
    """The bytes of ``qemu-img create -f disk_format [options] name size``."""
    path = os.path.join(folder, name)
    subprocess.run(['qemu-img', 'create', '-q', '-f', disk_format]
                   + list(options) + [path, str(size)],
                   check=True, capture_output=True)
    with open(path, 'rb') as f:
        return f.read()


def iso9660(blocks=256):
    """An ISO 9660 volume of ``blocks`` 2 KiB blocks: an empty system area
    and a primary volume descriptor giving its size."""
    data = bytearray(blocks * ISO_BLOCK)
    descriptor = bytearray(ISO_BLOCK)
    descriptor[0] = 1
    descriptor[1:6] = b'CD001'
    descriptor[6] = 1
    descriptor[80:88] = struct.pack('<I', blocks) + struct.pack('>I', blocks)
    descriptor[128:132] = (struct.pack('<H', ISO_BLOCK)
                           + struct.pack('>H', ISO_BLOCK))
    data[16 * ISO_BLOCK:17 * ISO_BLOCK] = descriptor
    return data


def with_protective_mbr(data):
    """``data`` with a GPT protective MBR in its first sector: one 0xEE
    partition from LBA 1 over the rest of the disk."""
    data = bytearray(data)
    entry = struct.pack('<B3BB3BII', 0x00, 0x00, 0x02, 0x00, 0xEE,
                        0xFF, 0xFF, 0xFF, 1, len(data) // 512 - 1)
    data[446:462] = entry
    data[510:512] = b'\x55\xaa'
    return bytes(data)


def vmdk_flat_descriptor(extent_path):
    """A monolithicFlat VMDK descriptor whose one extent is ``extent_path``
    (a file on the host that would open it)."""
    return ('# Disk DescriptorFile\n'
            'version=1\n'
            'CID=fffffffe\n'
            'parentCID=ffffffff\n'
            'createType="monolithicFlat"\n'
            '\n'
            '# Extent description\n'
            'RW 2048 FLAT "%s" 0\n'
            '\n'
            '# The Disk Data Base\n'
            '#DDB\n'
            'ddb.virtualHWVersion = "4"\n'
            'ddb.adapterType = "ide"\n' % extent_path).encode()


class Images:
    """Builds the test images in one temp folder; ``cleanup`` removes it."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix='glance-disk-images-')

    def cleanup(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def qcow2(self, size=10 * MiB):
        return qemu_img_create(self.folder, 'plain.qcow2', 'qcow2', size)

    def qcow2_with_backing_file(self):
        return qemu_img_create(self.folder, 'backing.qcow2', 'qcow2', MiB,
                               '-b', '/etc/passwd', '-F', 'raw')

    def qcow2_with_data_file(self):
        return qemu_img_create(
            self.folder, 'data-file.qcow2', 'qcow2', MiB,
            '-o', 'data_file=%s' % os.path.join(self.folder, 'external'))

    def qcow2_of_one_pib(self):
        return qemu_img_create(self.folder, 'huge.qcow2', 'qcow2',
                               1024 ** 5)

    def vmdk(self, subformat):
        return qemu_img_create(self.folder, subformat + '.vmdk', 'vmdk',
                               20 * MiB, '-o', 'subformat=' + subformat)

    def vhd(self):
        # qemu calls VHD "vpc"; the dynamic subformat starts with its footer.
        return qemu_img_create(self.folder, 'disk.vhd', 'vpc', 20 * MiB)

    def vhdx(self):
        return qemu_img_create(self.folder, 'disk.vhdx', 'vhdx', 20 * MiB)

    def vdi(self):
        return qemu_img_create(self.folder, 'disk.vdi', 'vdi', 20 * MiB)

    def iso(self):
        return bytes(iso9660())

    def gpt(self, size=MiB):
        return with_protective_mbr(bytes(size))

    def gpt_iso_polyglot(self):
        """An ISO whose system area also holds a GPT protective MBR."""
        return with_protective_mbr(iso9660())

    def qcow2_iso_polyglot(self):
        """A qcow2 whose first cluster also holds an ISO 9660 volume
        descriptor."""
        data = bytearray(self.qcow2())
        start = 16 * ISO_BLOCK
        data[start:start + ISO_BLOCK] = iso9660(17)[start:]
        return bytes(data)

    def vmdk_flat_descriptor(self):
        return vmdk_flat_descriptor('/etc/shadow')

    def random(self, size=3 * MiB):
        """Random bytes; bytes 510-511 are not the MBR signature (1 time in
        65536 they would be, and the data would be inspected as an MBR)."""
        data = bytearray(os.urandom(size))
        data[510:512] = b'\0\0'
        return bytes(data)
