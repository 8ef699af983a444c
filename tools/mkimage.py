#!/usr/bin/env python3
"""Build Pagoda's boot disk: a GPT image with one FAT32 EFI System Partition.

The ESP holds EFI/BOOT/BOOTX64.EFI, EFI/BOOT/BOOTIA32.EFI, EFI/BOOT/pagoda.elf,
EFI/BOOT/pagoda.cfg and EFI/BOOT/programs.tar, the ramdisk of user programs the loader hands to
the kernel (--programs, with --program adding or replacing programs in it; --module adds other
module files and their `module = NAME` lines), plus any --extra files. Everything is written by this script with the
Python standard library: no root, no loop device, no mtools. The output is a sparse file and is
byte-for-byte deterministic (fixed GUIDs, serial number and timestamps), so the build can compare
images and the tests can make many variants quickly.

FAT32 detail that matters: firmware decides FAT12/16/32 from the CLUSTER COUNT alone, so the
partition must have at least 65525 clusters. A 64 MiB partition with 512-byte clusters has about
130000; the cluster size grows only while the count stays comfortably above the limit.
"""

import argparse
import os

import mkramdisk
import struct
import sys
import uuid
import zlib

SECTOR = 512
MIB = 1024 * 1024
PARTITION_START_LBA = MIB // SECTOR  # 1 MiB aligned
GPT_ENTRY_COUNT = 128
GPT_ENTRY_SIZE = 128
GPT_ENTRIES_SECTORS = GPT_ENTRY_COUNT * GPT_ENTRY_SIZE // SECTOR
ESP_TYPE_GUID = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
# Fixed identities keep the image reproducible; uuid5 just gives them a documented origin.
DISK_GUID = uuid.uuid5(uuid.NAMESPACE_URL, "https://pagoda.invalid/disk")
ESP_GUID = uuid.uuid5(uuid.NAMESPACE_URL, "https://pagoda.invalid/esp")
VOLUME_ID = 0x50474441
VOLUME_LABEL = b"PAGODA ESP "

FAT32_MIN_CLUSTERS = 65525
FAT_RESERVED_SECTORS = 32
FAT_COUNT = 2
FAT_FSINFO_SECTOR = 1
FAT_BACKUP_BOOT_SECTOR = 6
FAT_ROOT_CLUSTER = 2
FAT_END_OF_CHAIN = 0x0FFFFFFF
FAT_MEDIA = 0xF8

ATTR_VOLUME_ID = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20
ATTR_LONG_NAME = 0x0F
CASE_LOWER_BASE = 0x08  # NTRes bits honoured by Windows, Linux and EDK2's FAT driver
CASE_LOWER_EXT = 0x10
DIR_ENTRY_SIZE = 32
LFN_CHARS_PER_ENTRY = 13

# 2020-01-01 00:00:00 in FAT's packed date/time format.
FAT_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1
FAT_TIME = 0

DEFAULT_CONFIG_LINES = ["cmdline = mode=boot"]
SHORT_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%'-_@~`!(){}^#&")


class ImageError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# The file tree


class Node:
    def __init__(self, name, data=None):
        self.name = name
        self.data = data  # bytes for a file, None for a directory
        self.children = {}  # upper-cased name -> Node (FAT names are case-insensitive)
        self.first_cluster = 0
        self.cluster_count = 0
        self.short_name = None
        self.case_bits = 0
        self.lfn = False

    @property
    def is_dir(self):
        return self.data is None


def tree_add(root, dest, data):
    parts = [p for p in dest.replace("\\", "/").split("/") if p]
    if not parts:
        raise ImageError(f"empty destination path {dest!r}")
    node = root
    for part in parts[:-1]:
        child = node.children.get(part.upper())
        if child is None:
            child = node.children[part.upper()] = Node(part)
        elif not child.is_dir:
            raise ImageError(f"{dest}: {part} is a file, not a directory")
        node = child
    leaf = node.children.get(parts[-1].upper())
    if leaf is not None and leaf.is_dir:
        raise ImageError(f"{dest}: is a directory")
    node.children[parts[-1].upper()] = Node(parts[-1], data)  # replaces an existing file


# ---------------------------------------------------------------------------------------------
# Names: plain 8.3 where possible (with case bits for all-lower parts), long names otherwise


def split_name(name):
    if name.startswith(".") or name.count(".") > 1:
        return None
    base, _, ext = name.partition(".")
    return base, ext


def uniform_case(part):
    return part == part.upper() or part == part.lower()


def plain_short_name(name):
    """Returns (11-byte name, case bits) if NAME is a valid 8.3 name, else None."""
    parts = split_name(name)
    if parts is None:
        return None
    base, ext = parts
    if not (1 <= len(base) <= 8 and len(ext) <= 3):
        return None
    if not all(c.upper() in SHORT_NAME_CHARS for c in base + ext):
        return None
    if not (uniform_case(base) and uniform_case(ext)):
        return None
    bits = 0
    if base != base.upper():
        bits |= CASE_LOWER_BASE
    if ext != ext.upper():
        bits |= CASE_LOWER_EXT
    return (base.upper().ljust(8) + ext.upper().ljust(3)).encode("ascii"), bits


def short_name_part(text):
    return "".join(c if c in SHORT_NAME_CHARS else "_" for c in text.upper().replace(" ", ""))


def generated_short_name(name, taken):
    """NAME~N.EXT, the way Windows makes short aliases for long names."""
    base, _, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    base, ext = short_name_part(base) or "_", short_name_part(ext)[:3]
    for n in range(1, 1000000):
        tail = f"~{n}"
        candidate = (base[: 8 - len(tail)] + tail).ljust(8) + ext.ljust(3)
        if candidate.encode("ascii") not in taken:
            return candidate.encode("ascii")
    raise ImageError(f"no free short name for {name}")


def lfn_checksum(short_name):
    total = 0
    for byte in short_name:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def lfn_entry_count(node):
    return -(-len(node.name) // LFN_CHARS_PER_ENTRY) if node.lfn else 0


def assign_short_names(directory):
    taken = set()
    pending = []
    for child in directory.children.values():
        plain = plain_short_name(child.name)
        if plain is not None and plain[0] not in taken:
            child.short_name, child.case_bits = plain
            taken.add(child.short_name)
        else:
            pending.append(child)
    for child in pending:
        child.short_name = generated_short_name(child.name, taken)
        child.lfn = True
        taken.add(child.short_name)


# ---------------------------------------------------------------------------------------------
# FAT32 geometry and cluster allocation


class Geometry:
    def __init__(self, total_sectors):
        self.total_sectors = total_sectors
        # Bigger clusters only while the count stays well clear of the FAT16 boundary.
        spc = 1
        while spc < 8 and self._solve(spc * 2)[1] >= 2 * FAT32_MIN_CLUSTERS:
            spc *= 2
        self.sectors_per_cluster = spc
        self.fat_sectors, self.cluster_count = self._solve(spc)
        if self.cluster_count < FAT32_MIN_CLUSTERS + 16:
            raise ImageError("partition too small for FAT32")
        self.cluster_bytes = self.sectors_per_cluster * SECTOR
        self.data_start_sector = FAT_RESERVED_SECTORS + FAT_COUNT * self.fat_sectors

    def _solve(self, spc):
        fat_sectors = 1
        while True:
            data = self.total_sectors - FAT_RESERVED_SECTORS - FAT_COUNT * fat_sectors
            clusters = data // spc
            needed = -(-(clusters + 2) * 4 // SECTOR)
            if needed <= fat_sectors:
                return fat_sectors, clusters
            fat_sectors = needed

    def cluster_offset(self, cluster):
        return (self.data_start_sector + (cluster - 2) * self.sectors_per_cluster) * SECTOR


def directory_entry_count(node, is_root):
    count = 1 if is_root else 2  # volume label, or "." and ".."
    for child in node.children.values():
        count += 1 + lfn_entry_count(child)
    return count


def allocate(root, geometry):
    """Gives every directory and non-empty file a contiguous run of clusters, root first."""
    next_cluster = FAT_ROOT_CLUSTER
    queue = [(root, True)]
    order = []
    while queue:
        node, is_root = queue.pop(0)
        if node.is_dir:
            assign_short_names(node)
            size = directory_entry_count(node, is_root) * DIR_ENTRY_SIZE
        else:
            size = len(node.data)
        clusters = -(-size // geometry.cluster_bytes)
        node.cluster_count = max(1, clusters) if node.is_dir else clusters  # empty file: none
        if node.cluster_count:
            node.first_cluster = next_cluster
            next_cluster += node.cluster_count
            order.append(node)
        if node.is_dir:
            queue.extend((c, False) for c in sorted(node.children.values(), key=lambda n: n.name))
    used = next_cluster - FAT_ROOT_CLUSTER
    if used > geometry.cluster_count:
        raise ImageError(f"files need {used} clusters, the partition has {geometry.cluster_count}")
    return order, next_cluster


# ---------------------------------------------------------------------------------------------
# FAT32 structures


def boot_sector(geometry):
    s = bytearray(SECTOR)
    s[0:3] = b"\xEB\x58\x90"
    s[3:11] = b"PAGODA  "
    struct.pack_into("<HBHBHHBHHHII", s, 11, SECTOR, geometry.sectors_per_cluster,
                     FAT_RESERVED_SECTORS, FAT_COUNT, 0, 0, FAT_MEDIA, 0, 32, 64,
                     PARTITION_START_LBA, geometry.total_sectors)
    struct.pack_into("<IHHIHH", s, 36, geometry.fat_sectors, 0, 0, FAT_ROOT_CLUSTER,
                     FAT_FSINFO_SECTOR, FAT_BACKUP_BOOT_SECTOR)
    struct.pack_into("<BBBI", s, 64, 0x80, 0, 0x29, VOLUME_ID)
    s[71:82] = VOLUME_LABEL
    s[82:90] = b"FAT32   "
    s[510:512] = b"\x55\xAA"
    return bytes(s)


def fsinfo_sector(free_clusters, next_free):
    s = bytearray(SECTOR)
    struct.pack_into("<I", s, 0, 0x41615252)
    struct.pack_into("<IIII", s, 484, 0x61417272, free_clusters, next_free, 0)
    struct.pack_into("<I", s, 508, 0xAA550000)
    return bytes(s)


def fat_table(geometry, order):
    table = bytearray(geometry.fat_sectors * SECTOR)
    struct.pack_into("<II", table, 0, 0x0FFFFF00 | FAT_MEDIA, FAT_END_OF_CHAIN)
    for node in order:
        last = node.first_cluster + node.cluster_count - 1
        for cluster in range(node.first_cluster, last):
            struct.pack_into("<I", table, cluster * 4, cluster + 1)
        struct.pack_into("<I", table, last * 4, FAT_END_OF_CHAIN)
    return table


def short_entry(name11, attr, cluster, size, case_bits=0):
    return struct.pack("<11sBBBHHHHHHHI", name11, attr, case_bits, 0, FAT_TIME, FAT_DATE,
                       FAT_DATE, cluster >> 16, FAT_TIME, FAT_DATE, cluster & 0xFFFF, size)


def lfn_entries(node):
    units = list(struct.unpack(f"<{len(node.name)}H", node.name.encode("utf-16-le")))
    if len(units) != len(node.name):
        raise ImageError(f"{node.name}: characters outside the BMP are not supported")
    count = lfn_entry_count(node)
    units += [0x0000] + [0xFFFF] * (count * LFN_CHARS_PER_ENTRY - len(units) - 1)
    units = units[: count * LFN_CHARS_PER_ENTRY]
    checksum = lfn_checksum(node.short_name)
    entries = []
    for seq in range(count, 0, -1):  # stored last part first
        part = units[(seq - 1) * LFN_CHARS_PER_ENTRY: seq * LFN_CHARS_PER_ENTRY]
        order_byte = seq | (0x40 if seq == count else 0)
        entries.append(struct.pack("<B5HBBB6HH2H", order_byte, *part[0:5], ATTR_LONG_NAME, 0,
                                   checksum, *part[5:11], 0, *part[11:13]))
    return b"".join(entries)


def directory_bytes(node, parent, is_root, geometry):
    out = bytearray()
    if is_root:
        out += short_entry(VOLUME_LABEL, ATTR_VOLUME_ID, 0, 0)
    else:
        out += short_entry(b".          ", ATTR_DIRECTORY, node.first_cluster, 0)
        parent_cluster = 0 if parent is None or parent.first_cluster == FAT_ROOT_CLUSTER \
            else parent.first_cluster
        out += short_entry(b"..         ", ATTR_DIRECTORY, parent_cluster, 0)
    for child in sorted(node.children.values(), key=lambda n: n.name):
        if child.lfn:
            out += lfn_entries(child)
        attr = ATTR_DIRECTORY if child.is_dir else ATTR_ARCHIVE
        size = 0 if child.is_dir else len(child.data)
        out += short_entry(child.short_name, attr, child.first_cluster, size, child.case_bits)
    return bytes(out.ljust(node.cluster_count * geometry.cluster_bytes, b"\0"))


def write_fat32(image, part_offset, part_sectors, root):
    geometry = Geometry(part_sectors)
    order, next_free = allocate(root, geometry)
    free = geometry.cluster_count - (next_free - FAT_ROOT_CLUSTER)

    boot = boot_sector(geometry)
    info = fsinfo_sector(free, next_free)
    for base in (0, FAT_BACKUP_BOOT_SECTOR):
        image.seek(part_offset + base * SECTOR)
        image.write(boot + info)
    fat = fat_table(geometry, order)
    for copy in range(FAT_COUNT):
        image.seek(part_offset + (FAT_RESERVED_SECTORS + copy * geometry.fat_sectors) * SECTOR)
        image.write(fat)

    parents = {id(root): None}
    for node in order:
        if node.is_dir:
            for child in node.children.values():
                parents[id(child)] = node
    for node in order:
        image.seek(part_offset + geometry.cluster_offset(node.first_cluster))
        if node.is_dir:
            image.write(directory_bytes(node, parents.get(id(node)), node is root, geometry))
        else:
            image.write(node.data)
    return geometry


# ---------------------------------------------------------------------------------------------
# GPT


def protective_mbr(total_sectors):
    s = bytearray(SECTOR)
    struct.pack_into("<BBBBBBBBII", s, 446, 0x00, 0x00, 0x02, 0x00, 0xEE, 0xFF, 0xFF, 0xFF,
                     1, min(total_sectors - 1, 0xFFFFFFFF))
    s[510:512] = b"\x55\xAA"
    return bytes(s)


def gpt_entries(first_lba, last_lba):
    entries = bytearray(GPT_ENTRY_COUNT * GPT_ENTRY_SIZE)
    name = "EFI System Partition".encode("utf-16-le")
    struct.pack_into("<16s16sQQQ72s", entries, 0, ESP_TYPE_GUID.bytes_le, ESP_GUID.bytes_le,
                     first_lba, last_lba, 0, name)
    return bytes(entries)


def gpt_header(my_lba, alternate_lba, entries_lba, total_sectors, entries_crc):
    fields = lambda crc: struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, crc, 0,
                                     my_lba, alternate_lba, 34, total_sectors - 34,
                                     DISK_GUID.bytes_le, entries_lba, GPT_ENTRY_COUNT,
                                     GPT_ENTRY_SIZE, entries_crc)
    header = fields(zlib.crc32(fields(0)))
    return header.ljust(SECTOR, b"\0")


def write_gpt(image, total_sectors, first_lba, last_lba):
    entries = gpt_entries(first_lba, last_lba)
    crc = zlib.crc32(entries)
    last = total_sectors - 1
    backup_entries_lba = last - GPT_ENTRIES_SECTORS
    image.seek(0)
    image.write(protective_mbr(total_sectors))
    image.write(gpt_header(1, last, 2, total_sectors, crc))
    image.write(entries)
    image.seek(backup_entries_lba * SECTOR)
    image.write(entries)
    image.write(gpt_header(last, 1, backup_entries_lba, total_sectors, crc))


# ---------------------------------------------------------------------------------------------
# Command line


def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ImageError(f"{what}: cannot read {path}: {e.strerror}") from e


PROGRAMS_NAME = "programs.tar"  # the loader's default module, next to it in EFI/BOOT/


def programs_archive(args):
    """The ramdisk's bytes: --programs with --program entries added or replaced, or None."""
    if not args.programs and not args.program:
        return None
    base = None
    if args.programs:
        base = mkramdisk.read_archive(read_file(args.programs, "--programs"), args.programs)
    try:
        return mkramdisk.build_archive(mkramdisk.collect(args.program, base))
    except mkramdisk.RamdiskError as e:
        raise ImageError(f"--program: {e}") from e


def module_lines(args, has_programs):
    """`module = NAME` lines: once any --module is given the loader loads only what is listed,
    so the ramdisk is listed first."""
    if not args.module:
        return []
    names = ([PROGRAMS_NAME] if has_programs else []) + [os.path.basename(m) for m in args.module]
    return [f"module = {name}" for name in names]


def build_tree(args):
    root = Node("")
    if args.bootx64:
        tree_add(root, "EFI/BOOT/BOOTX64.EFI", read_file(args.bootx64, "--bootx64"))
    if args.bootia32:
        tree_add(root, "EFI/BOOT/BOOTIA32.EFI", read_file(args.bootia32, "--bootia32"))
    if args.kernel:
        tree_add(root, "EFI/BOOT/pagoda.elf", read_file(args.kernel, "--kernel"))
    programs = programs_archive(args)
    if programs is not None:
        tree_add(root, "EFI/BOOT/" + PROGRAMS_NAME, programs)
    for module in args.module:
        tree_add(root, "EFI/BOOT/" + os.path.basename(module), read_file(module, "--module"))
    if args.config:
        if args.module:
            raise ImageError("--module with --config: put the module lines in that file")
        tree_add(root, "EFI/BOOT/pagoda.cfg", read_file(args.config, "--config"))
    elif not args.no_config:
        lines = args.config_line if args.config_line else DEFAULT_CONFIG_LINES
        lines = lines + module_lines(args, programs is not None)
        tree_add(root, "EFI/BOOT/pagoda.cfg", "".join(l + "\n" for l in lines).encode("utf-8"))
    for extra in args.extra:
        src, sep, dest = extra.rpartition(":")
        if not sep or not src or not dest:
            raise ImageError(f"--extra {extra!r}: expected SRC:DEST")
        tree_add(root, dest, read_file(src, "--extra"))
    return root


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", "-o", required=True, help="disk image to write")
    p.add_argument("--bootx64", help="BOOTX64.EFI to put in EFI/BOOT/")
    p.add_argument("--bootia32", help="BOOTIA32.EFI to put in EFI/BOOT/")
    k = p.add_mutually_exclusive_group(required=True)
    k.add_argument("--kernel", help="kernel ELF, stored as EFI/BOOT/pagoda.elf")
    k.add_argument("--no-kernel", action="store_true", help="leave the kernel out")
    c = p.add_mutually_exclusive_group()
    c.add_argument("--config", help="file to store as EFI/BOOT/pagoda.cfg")
    c.add_argument("--config-line", action="append", default=[], metavar="LINE",
                   help="a line of pagoda.cfg (repeatable; default: 'cmdline = mode=boot')")
    c.add_argument("--no-config", action="store_true", help="leave pagoda.cfg out")
    p.add_argument("--programs", metavar="TAR",
                   help="the ramdisk of user programs (build/user/programs.tar), stored as "
                        "EFI/BOOT/programs.tar")
    p.add_argument("--program", action="append", default=[], metavar="[NAME=]PATH",
                   help="add a user program to that ramdisk, or replace the one of that name "
                        "(repeatable; tools/pagoda-cc builds one)")
    p.add_argument("--module", action="append", default=[], metavar="FILE",
                   help="another module file for EFI/BOOT/, with its 'module = NAME' line "
                        "(repeatable)")
    p.add_argument("--extra", action="append", default=[], metavar="SRC:DEST",
                   help="add or replace DEST (path inside the ESP) with file SRC (repeatable)")
    p.add_argument("--esp-size", type=int, default=64, metavar="MIB",
                   help="ESP size in MiB (default and minimum 64)")
    args = p.parse_args(argv)
    if args.esp_size < 64:
        p.error("--esp-size must be at least 64 (FAT32 needs 65525 clusters)")
    return args


def make_image(args):
    root = build_tree(args)
    part_sectors = args.esp_size * MIB // SECTOR
    first_lba = PARTITION_START_LBA
    last_lba = first_lba + part_sectors - 1
    total_sectors = first_lba + part_sectors + PARTITION_START_LBA  # 1 MiB tail for backup GPT
    tmp = args.output + ".tmp"
    try:
        with open(tmp, "wb") as image:
            image.truncate(total_sectors * SECTOR)  # sparse: only metadata and files take space
            write_gpt(image, total_sectors, first_lba, last_lba)
            write_fat32(image, first_lba * SECTOR, part_sectors, root)
        os.replace(tmp, args.output)  # never a half-written image under the real name
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        make_image(args)
    except ImageError as e:
        print(f"mkimage: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
