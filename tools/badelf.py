#!/usr/bin/env python3
"""Make broken variants of the real kernel ELF, to check the loader refuses each one cleanly.

Every variant starts from the real pagoda.elf and changes as little as possible, so a test of the
loader's "overlapping segments" check fails for that reason and no other.

    badelf.py VARIANT INPUT OUTPUT
    badelf.py --list
"""

import argparse
import struct
import sys

ELF_MAGIC = b"\x7fELF"
EI_CLASS = 4
ELFCLASS64 = 2
EM_X86_64 = 62
PT_LOAD = 1
PF_X = 1

# ELF32 header fields this tool touches: (offset, struct format)
E_MACHINE = (18, "<H")
E_ENTRY = (24, "<I")
E_PHOFF = (28, "<I")
E_PHENTSIZE = (42, "<H")
E_PHNUM = (44, "<H")
# Program header fields, relative to the header's start
P_TYPE, P_OFFSET, P_VADDR, P_PADDR, P_FILESZ, P_MEMSZ, P_FLAGS = 0, 4, 8, 12, 16, 20, 24

# Physical address of the top of the 4 GiB space where firmware flash and the local/IO APIC
# live: never RAM the loader may write.
RESERVED_DESTINATION = 0xFFC00000


class BadElfError(Exception):
    pass


def get(data, field):
    offset, fmt = field
    return struct.unpack_from(fmt, data, offset)[0]


def put(data, field, value):
    offset, fmt = field
    struct.pack_into(fmt, data, offset, value)


def load_segments(data):
    """Returns the offsets of the PT_LOAD program headers, in file order."""
    if data[:4] != ELF_MAGIC or data[EI_CLASS] != 1:
        raise BadElfError("input is not a 32-bit ELF file")
    phoff, phentsize, phnum = get(data, E_PHOFF), get(data, E_PHENTSIZE), get(data, E_PHNUM)
    headers = [phoff + i * phentsize for i in range(phnum)]
    loads = [h for h in headers if struct.unpack_from("<I", data, h + P_TYPE)[0] == PT_LOAD]
    if not loads:
        raise BadElfError("input has no PT_LOAD segment")
    return loads


def ph(data, header, field):
    return struct.unpack_from("<I", data, header + field)[0]


def set_ph(data, header, field, value):
    struct.pack_into("<I", data, header + field, value & 0xFFFFFFFF)


def truncated(data):
    """Cut the file in the middle of its last segment's bytes."""
    loads = load_segments(data)
    end = max(ph(data, h, P_OFFSET) + ph(data, h, P_FILESZ) for h in loads)
    start = min(ph(data, h, P_OFFSET) for h in loads if ph(data, h, P_FILESZ))
    return data[: max(start + (end - start) // 2, 64)]


def truncated_header(data):
    """Only part of the ELF header."""
    return data[:40]


def bad_magic(data):
    """The file does not start with \\x7fELF."""
    data[1:4] = b"ELV"
    return data


def machine_x86_64(data):
    """e_machine says x86-64 (what a 64-bit kernel build would carry)."""
    load_segments(data)
    put(data, E_MACHINE, EM_X86_64)
    return data


def class64(data):
    """e_ident says ELFCLASS64: the header is then read as a 64-bit one by other tools."""
    load_segments(data)
    data[EI_CLASS] = ELFCLASS64
    return data


def overlap(data):
    """The second PT_LOAD's physical range starts inside the first one."""
    loads = load_segments(data)
    if len(loads) < 2:
        raise BadElfError("overlap needs at least two PT_LOAD segments")
    first, second = loads[0], loads[1]
    shift = ph(data, second, P_PADDR) - ph(data, first, P_PADDR)
    set_ph(data, second, P_PADDR, ph(data, first, P_PADDR))
    set_ph(data, second, P_VADDR, ph(data, second, P_VADDR) - shift)
    return data


def entry_outside_code(data):
    """e_entry points into a non-executable segment, or past every segment if all are code."""
    loads = load_segments(data)
    data_segments = [h for h in loads if not ph(data, h, P_FLAGS) & PF_X]
    if data_segments:
        put(data, E_ENTRY, ph(data, data_segments[0], P_VADDR))
    else:
        put(data, E_ENTRY, max(ph(data, h, P_VADDR) + ph(data, h, P_MEMSZ) for h in loads) + 0x1000)
    return data


def reserved_destination(data):
    """All segments moved (physically) to where firmware flash lives below 4 GiB."""
    loads = load_segments(data)
    base = min(ph(data, h, P_PADDR) for h in loads)
    for h in loads:
        set_ph(data, h, P_PADDR, ph(data, h, P_PADDR) - base + RESERVED_DESTINATION)
    return data


VARIANTS = {
    "truncated": truncated,
    "truncated-header": truncated_header,
    "bad-magic": bad_magic,
    "machine-x86-64": machine_x86_64,
    "class64": class64,
    "overlap": overlap,
    "entry-outside-code": entry_outside_code,
    "reserved-destination": reserved_destination,
}


def make_variant(name, data):
    return bytes(VARIANTS[name](bytearray(data)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--list", action="store_true", help="list the variants and exit")
    p.add_argument("variant", nargs="?", choices=sorted(VARIANTS))
    p.add_argument("input", nargs="?")
    p.add_argument("output", nargs="?")
    args = p.parse_args(argv)
    if args.list:
        for name, fn in VARIANTS.items():
            print(f"{name:22} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    if not (args.variant and args.input and args.output):
        p.error("VARIANT INPUT OUTPUT are required")
    try:
        with open(args.input, "rb") as f:
            data = f.read()
        out = make_variant(args.variant, data)
    except (OSError, BadElfError, struct.error) as e:
        print(f"badelf: {e}", file=sys.stderr)
        return 1
    with open(args.output, "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
