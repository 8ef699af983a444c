#!/usr/bin/env python3
"""Broken Multiboot kernels, made from the test kernels by changing one thing each.

Each variant names the test kernel it starts from and a function that returns the changed bytes;
multiboot_test.py boots them and expects the loader's message for exactly that problem. The
headers are found the way the specification says (magic at an aligned offset), and every field
that a change leaves stale (a checksum) is recomputed unless the change is the checksum.
"""
import struct

MB1_MAGIC, MB2_MAGIC = 0x1BADB002, 0xE85250D6


class BadHeaderError(Exception):
    pass


def find(data, magic, align, limit):
    for at in range(0, min(len(data), limit) - 4, align):
        if struct.unpack_from("<I", data, at)[0] == magic:
            return at
    raise BadHeaderError(f"no header with magic 0x{magic:08x}")


def u32(data, at):
    return struct.unpack_from("<I", data, at)[0]


def put32(data, at, value):
    struct.pack_into("<I", data, at, value & 0xFFFFFFFF)


# ---- Multiboot 1 (mb1-aout.bin: flags, checksum, header/load/load_end/bss_end/entry) ----

def mb1_fields(data):
    at = find(data, MB1_MAGIC, 4, 8192)
    return at, list(struct.unpack_from("<8I", data, at))


def mb1_store(data, at, fields, fix_checksum=True):
    if fix_checksum:
        fields[2] = -(fields[0] + fields[1]) & 0xFFFFFFFF
    struct.pack_into("<8I", data, at, *[f & 0xFFFFFFFF for f in fields])
    return bytes(data)


def mb1_change(data, **changes):
    data = bytearray(data)
    at, f = mb1_fields(data)
    names = ["magic", "flags", "checksum", "header_addr", "load_addr", "load_end_addr",
             "bss_end_addr", "entry_addr"]
    for name, value in changes.items():
        f[names.index(name)] = value(f) if callable(value) else value
    return mb1_store(data, at, f, fix_checksum="checksum" not in changes)


def mb1_moved_to(data, base):
    """Every address field moved so that the image would load at BASE."""
    at, f = mb1_fields(bytearray(data))
    delta = base - f[4]
    return mb1_change(data, header_addr=f[3] + delta, load_addr=f[4] + delta,
                      load_end_addr=f[5] + delta, bss_end_addr=f[6] + delta,
                      entry_addr=f[7] + delta)


# ---- Multiboot 2 (tags) ----

def mb2_tags(data):
    """(header offset, header length, [(offset, type, flags, size)])"""
    at = find(data, MB2_MAGIC, 8, 32768)
    length = u32(data, at + 8)
    tags, off = [], at + 16
    while off + 8 <= at + length:
        tag_type, flags, size = struct.unpack_from("<HHI", data, off)
        tags.append((off, tag_type, flags, size))
        if tag_type == 0:
            break
        off += (size + 7) & ~7
    return at, length, tags


def mb2_tag(data, wanted_type, nth=0):
    for off, tag_type, flags, size in mb2_tags(data)[2]:
        if tag_type == wanted_type:
            if nth == 0:
                return off, flags, size
            nth -= 1
    raise BadHeaderError(f"no header tag of type {wanted_type}")


def mb2_fix_checksum(data, at):
    put32(data, at + 12, -(u32(data, at) + u32(data, at + 4) + u32(data, at + 8)))


def mb2_change_tag(data, wanted_type, tag_type=None, flags=None, size=None, words=(), nth=0):
    data = bytearray(data)
    off, old_flags, old_size = mb2_tag(data, wanted_type, nth)
    struct.pack_into("<HHI", data, off, wanted_type if tag_type is None else tag_type,
                     old_flags if flags is None else flags, old_size if size is None else size)
    for index, value in words:
        put32(data, off + 8 + 4 * index, value)
    return bytes(data)


def mb2_change_header(data, checksum_delta=0, architecture=None):
    data = bytearray(data)
    at = mb2_tags(data)[0]
    if architecture is not None:
        put32(data, at + 4, architecture)
    mb2_fix_checksum(data, at)
    put32(data, at + 12, u32(data, at + 12) + checksum_delta)
    return bytes(data)


# ---- the variants: name -> (base kernel, change, the loader's message) ----

FILE_NAME = r"\S*\.(elf|bin)"

VARIANTS = {
    "mb1-bad-checksum": ("mb1-aout", lambda d: mb1_change(d, checksum=lambda f: f[2] + 1),
                         r"bad Multiboot 1 header: Multiboot 1 header at offset 0x0 has a bad "
                         r"checksum"),
    "mb1-unknown-flag": ("mb1-aout", lambda d: mb1_change(d, flags=lambda f: f[1] | 0x20),
                         r"Multiboot 1 flags 0x00010027 require bit 5 \(0x20\), which this loader "
                         r"does not know"),
    "mb1-load-past-file": ("mb1-aout",
                           lambda d: mb1_change(d, load_end_addr=lambda f: f[4] + len(d) + 0x1000,
                                                bss_end_addr=lambda f: f[4] + len(d) + 0x2000),
                           r"load range \[0x[0-9a-f]+-0x[0-9a-f]+\) needs file bytes .* past the "
                           r"end of the \d+-byte file"),
    "mb1-entry-outside": ("mb1-aout", lambda d: mb1_change(d, entry_addr=lambda f: f[6] + 0x1000),
                          r"entry 0x[0-9a-f]+ is outside the loaded range"),
    "mb1-past-4g": ("mb1-aout", lambda d: mb1_change(mb1_moved_to(d, 0xFFFFF000), load_end_addr=0,
                                                     bss_end_addr=0),
                    r"loaded range \[0xfffff000-0x[0-9a-f]+\) ends above 4 GiB"),
    "mb1-reserved-destination": ("mb1-aout", lambda d: mb1_moved_to(d, 0xFFC00000),
                                 r"the load range of the address fields cannot be loaded: .*"
                                 r"(overlaps \w+ memory|is not described by the firmware's "
                                 r"memory map)"),
    "mb2-bad-checksum": ("mb2-aout", lambda d: mb2_change_header(d, checksum_delta=1),
                         r"bad Multiboot 2 header: Multiboot 2 header at offset 0x0 has a bad "
                         r"checksum"),
    "mb2-misaligned": ("mb2-aout", lambda d: bytes(4) + d,
                       r"Multiboot 2 header at offset 0x4 is not 8-byte aligned"),
    "mb2-architecture": ("mb2-aout", lambda d: mb2_change_header(d, architecture=4),
                         r"Multiboot 2 architecture 4 \(MIPS32\), expected 0"),
    "mb2-tag-past-header": ("mb2-aout", lambda d: mb2_change_tag(d, 5, size=0x200),
                            r"header tag type 5 at offset 0x[0-9a-f]+ has size 512 and runs past "
                            r"the end of the \d+-byte header"),
    "mb2-unknown-tag": ("mb2-aout", lambda d: mb2_change_tag(d, 6, tag_type=42),
                        r"header tag type 42 \(at offset 0x[0-9a-f]+\) is not one this loader "
                        r"knows, and it is not marked optional"),
    "mb2-unknown-request": ("mb2-aout", lambda d: mb2_change_tag(d, 1, words=[(0, 7)]),
                            r"requires type 7 \(VBE information\), which this loader does not "
                            r"provide"),
    "mb2-efi-boot-services": ("mb2-aout", lambda d: mb2_change_tag(d, 7, flags=0),
                              r"the EFI boot services tag \(type 7\) is required, but this loader "
                              r"always leaves boot services"),
    "mb2-address-without-entry": ("mb2-aout", lambda d: mb2_change_tag(d, 3, tag_type=42, flags=1),
                                  r"the address tag \(type 2\) needs an entry address tag"),
    "mb2-console-ega-only": ("mb2-aout", lambda d: mb2_change_tag(d, 5, tag_type=42, flags=1),
                             r"console flags require a console, but the kernel supports only EGA "
                             r"text"),
    "mb2-relocation-no-room": ("mb2", lambda d: mb2_change_tag(d, 10, words=[(0, 0xFFC00000),
                                                                             (1, 0xFFFFFFFF)]),
                               r"relocatable kernel cannot be placed: no memory the kernel may use "
                               r"holds"),
}


def make(variant, kernels):
    """The bytes of VARIANT; KERNELS maps a base kernel name to its file."""
    base, change, _ = VARIANTS[variant]
    with open(kernels[base], "rb") as f:
        return change(f.read())
