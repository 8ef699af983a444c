#!/usr/bin/env python3
"""Build Pagoda's ramdisk: user programs in one POSIX ustar archive (programs.tar).

The loader passes the archive to the kernel as a module, and the kernel starts programs from it
by name (spawn, init= on the command line). Every file is stored under its base name, or under
NAME when given as NAME=PATH, as a regular file with mode 0755, owner 0:0 (root), modification
time 2020-01-01 00:00:00 UTC, in name order: the same programs always give the same bytes,
wherever and whenever they were built. `tar -tvf programs.tar` lists it.

A name is what a program is spawned by: 1 to PAGODA_PROGRAM_NAME_LEN - 1 characters (from
include/pagoda/syscall.h) of letters, digits, '.', '_' and '-', not starting with '.'.

    mkramdisk.py --output programs.tar build/user/programs/hello other=path/to/other ...
    mkramdisk.py --list programs.tar
"""

import argparse
import io
import os
import re
import sys
import tarfile

MTIME = 1577836800  # 2020-01-01 00:00:00 UTC, as tools/mkimage.py dates its files
MODE = 0o755
SYSCALL_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "pagoda",
                         "syscall.h")
NAME_CHARS = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


class RamdiskError(Exception):
    pass


def header_define(name, path=SYSCALL_H):
    """An integer #define of include/pagoda/syscall.h, so the limit is written once."""
    with open(path) as f:
        match = re.search(rf"^#define\s+{name}\s+(\d+)", f.read(), re.MULTILINE)
    if not match:
        raise RamdiskError(f"{path}: no #define {name}")
    return int(match.group(1))


def check_name(name):
    limit = header_define("PAGODA_PROGRAM_NAME_LEN") - 1
    if not NAME_CHARS.match(name):
        raise RamdiskError(f"program name {name!r}: use letters, digits, '.', '_' and '-' only, "
                           "no folder, not starting with '.'")
    if len(name) > limit:
        raise RamdiskError(f"program name {name!r}: {len(name)} characters, at most {limit}")


def build_archive(entries):
    """ENTRIES: {name: bytes}. Returns the archive's bytes."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(entries):
            check_name(name)
            data = entries[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            info.mode = MODE
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def read_archive(data, what="archive"):
    """The {name: bytes} of an archive this tool made (or any flat ustar archive of files)."""
    entries = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                if not info.isreg():
                    raise RamdiskError(f"{what}: {info.name}: not a regular file")
                check_name(info.name)
                entries[info.name] = tar.extractfile(info).read()
    except tarfile.TarError as e:
        raise RamdiskError(f"{what}: not a tar archive: {e}") from e
    return entries


def parse_input(spec):
    """PATH or NAME=PATH -> (name, bytes)."""
    name, sep, path = spec.partition("=")
    if not sep:
        name, path = os.path.basename(spec), spec
    try:
        with open(path, "rb") as f:
            return name, f.read()
    except OSError as e:
        raise RamdiskError(f"{path}: cannot read: {e.strerror}") from e


def collect(specs, base=None):
    """Entries from input specs, added to (or replacing those of) BASE, a {name: bytes}."""
    entries = dict(base or {})
    seen = set()
    for spec in specs:
        name, data = parse_input(spec)
        if name in seen:
            raise RamdiskError(f"program {name!r} given twice")
        seen.add(name)
        check_name(name)
        entries[name] = data
    return entries


def write_file(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", "-o", help="archive to write")
    p.add_argument("--base", metavar="TAR", help="start from this archive's programs")
    p.add_argument("--list", metavar="TAR", help="print the programs of an archive and stop")
    p.add_argument("programs", nargs="*", metavar="[NAME=]PATH", help="programs to store")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.list:
            with open(args.list, "rb") as f:
                entries = read_archive(f.read(), args.list)
            for name in sorted(entries):
                print(f"{len(entries[name]):9d} {name}")
            return 0
        if not args.output:
            p.error("--output is required")
        base = None
        if args.base:
            with open(args.base, "rb") as f:
                base = read_archive(f.read(), args.base)
        write_file(args.output, build_archive(collect(args.programs, base)))
    except (RamdiskError, OSError) as e:
        print(f"mkramdisk: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
