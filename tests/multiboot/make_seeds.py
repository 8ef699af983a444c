#!/usr/bin/env python3
"""Seed corpora for the Multiboot fuzz targets, written into the build directory.

The header target starts from the four test kernels the build makes and hand-made headers of
both versions; the information target from OVMF-like raw memory maps behind its selector byte
(see fuzz_mb_info.c).

  make_seeds.py --header-dir DIR --info-dir DIR --stamp FILE KERNEL...
"""
import argparse
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "loader"))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
from make_seeds import write_all  # noqa: E402  (tests/loader/make_seeds.py)


def mb1(flags, fields=b"", at=0x40, size=0x1000):
    data = bytearray(size)
    header = struct.pack("<III", 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xFFFFFFFF) + fields
    data[at:at + len(header)] = header
    return bytes(data)


def mb2(tags, at=0x80, size=0x2000):
    body = b""
    for tag_type, flags, payload in tags + [(0, 0, b"")]:
        tag = struct.pack("<HHI", tag_type, flags, 8 + len(payload)) + payload
        body += tag + bytes(-len(tag) % 8)
    length = 16 + len(body)
    header = struct.pack("<IIII", 0xE85250D6, 0, length,
                         (-(0xE85250D6 + length)) & 0xFFFFFFFF) + body
    data = bytearray(size)
    data[at:at + len(header)] = header
    return bytes(data)


def header_seeds():
    kludge1 = struct.pack("<5I", 0x100040, 0x100000, 0x100800, 0x101000, 0x100100)
    address = struct.pack("<4I", 0x200080, 0x200000, 0, 0x203000)
    entry = struct.pack("<I", 0x200100)
    return {
        "mb1_kludge": mb1(0x00010003, kludge1),
        "mb1_video": mb1(0x00010007, kludge1 + struct.pack("<4I", 0, 1024, 768, 32)),
        "mb2_kludge": mb2([(2, 0, address), (3, 0, entry)]),
        "mb2_everything": mb2([(1, 0, struct.pack("<4I", 1, 2, 6, 17)), (2, 0, address),
                               (3, 0, entry), (4, 0, struct.pack("<I", 1)),
                               (5, 0, struct.pack("<3I", 800, 600, 32)), (6, 0, b""),
                               (7, 1, b""), (8, 1, entry), (9, 1, entry),
                               (10, 0, struct.pack("<4I", 0x1000000, 0x40000000, 0x1000, 2))]),
    }


def info_seeds():
    def desc(mem_type, start, pages, stride=48):
        raw = struct.pack("<IIQQQQ", mem_type, 0, start, 0, pages, 0xF)
        return raw + bytes(stride - len(raw))
    ovmf = [(7, 0, 0xA0), (7, 0x100000, 0x700), (10, 0x800000, 8), (4, 0x808000, 8),
            (2, 0x900000, 0x100), (3, 0xA00000, 0x100), (6, 0xB00000, 0x10), (9, 0xB10000, 4),
            (0, 0xFFC00000, 0x400), (7, 0x100000000, 0x10000), (8, 0x200000000, 1)]
    overlapping = [(7, 0x100000, 0x100), (0, 0x140000, 0x10), (9, 0x130000, 0x20)]
    seeds = {}
    for select in (0x00, 0x01, 0x0F, 0x6E, 0x13):
        stride = 40 if select & 0x10 else 48
        seeds[f"ovmf_{select:02x}"] = bytes([select]) + b"".join(
            desc(*d, stride=stride) for d in ovmf)
    seeds["overlapping"] = bytes([0x01]) + b"".join(desc(*d) for d in overlapping)
    return seeds


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--header-dir", required=True)
    p.add_argument("--info-dir", required=True)
    p.add_argument("--stamp", required=True)
    p.add_argument("kernels", nargs="*")
    args = p.parse_args()
    write_all(args.header_dir, header_seeds())
    for kernel in args.kernels:
        shutil.copyfile(kernel, os.path.join(args.header_dir, os.path.basename(kernel)))
    write_all(args.info_dir, info_seeds())
    with open(args.stamp, "w") as f:
        f.write("seeds written\n")


if __name__ == "__main__":
    main()
