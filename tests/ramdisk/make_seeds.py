#!/usr/bin/env python3
"""Seed archives for fuzz_ustar: small ustar archives made by Python's tarfile (POSIX and GNU
formats, a directory entry, an empty file, data of 1, 512 and 513 bytes), in DIR.

usage: make_seeds.py DIR STAMP
"""
import io
import os
import sys
import tarfile


def archive(members, fmt=tarfile.USTAR_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            info.mtime = 1577836800
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return out.getvalue()


def main():
    directory, stamp = sys.argv[1], sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    reg = tarfile.REGTYPE
    seeds = {
        "three.tar": archive([("a", b"x", reg), ("bb", b"y" * 512, reg), ("ccc", b"z" * 513, reg)]),
        "empty-file.tar": archive([("empty", b"", reg)]),
        "gnu.tar": archive([("gnu", b"hello\n", reg)], tarfile.GNU_FORMAT),
        "directory.tar": archive([("dir", b"", tarfile.DIRTYPE), ("file", b"1", reg)]),
        "duplicate.tar": archive([("same", b"1", reg), ("same", b"2", reg)]),
        "nothing.tar": archive([]),
    }
    for name, data in seeds.items():
        # Trailing record padding is cut to keep the seeds short: two end blocks stay.
        end = len(data.rstrip(b"\0"))
        keep = min(len(data), (end + 511) // 512 * 512 + 1024)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data[:keep])
    with open(stamp, "w") as f:
        f.write("\n".join(sorted(seeds)) + "\n")


if __name__ == "__main__":
    main()
