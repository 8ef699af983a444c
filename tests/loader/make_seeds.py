#!/usr/bin/env python3
"""Writes the seed corpora for the loader fuzz targets into the build directory.

libFuzzer adds the inputs it discovers to the first corpus directory it is given, so the seeds
are generated at build time into build-dir folders rather than committed to the source tree.

  make_seeds.py --elf-dir DIR --placement-dir DIR --config-dir DIR --stamp FILE
"""
import argparse
import os
import struct

PT_LOAD, PT_DYNAMIC, PT_GNU_STACK = 1, 2, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4


def elf(segments, entry, machine=3, elf_type=2, extra_phdrs=()):
    """A minimal i686 executable: header, program headers, then each segment's bytes."""
    phdrs = list(segments) + list(extra_phdrs)
    data_start = 52 + 32 * len(phdrs)
    body = bytearray()
    table = bytearray()
    for p_type, vaddr, paddr, filesz, memsz, flags in phdrs:
        offset = data_start + len(body) if filesz else 0
        body += bytes((i * 13 + 1) & 0xFF for i in range(filesz))
        table += struct.pack("<8I", p_type, offset, vaddr, paddr, filesz, memsz, flags, 0x1000)
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    header = ident + struct.pack(
        "<HHIIIIIHHHHHH", elf_type, machine, 1, entry, 52, 0, 0, 52, 32, len(phdrs), 40, 0, 0
    )
    return header + bytes(table) + bytes(body)


def elf_seeds():
    text = (PT_LOAD, 0x100000, 0x100000, 0x60, 0x60, PF_R | PF_X)
    rodata = (PT_LOAD, 0x101000, 0x101000, 0x20, 0x20, PF_R)
    data = (PT_LOAD, 0x102000, 0x102000, 0x10, 0x2000, PF_R | PF_W)
    stack = (PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W)
    high = [(t, v + 0xC0000000, p, f, m, fl) for t, v, p, f, m, fl in (text, rodata, data)]
    user = [(t, v + 0x300000, 0, f, m, fl) for t, v, p, f, m, fl in (text, rodata, data)]
    return {
        "valid_three_segments": elf([text, rodata, data], 0x100000, extra_phdrs=[stack]),
        "valid_single_segment": elf([text], 0x100010),
        "valid_higher_half": elf(high, 0xC0100000),
        "valid_bss_only_tail": elf([text, (PT_LOAD, 0x104000, 0x104000, 0, 0x1000, PF_R | PF_W)],
                                   0x100000),
        "bad_machine_x86_64": elf([text], 0x100000, machine=62),
        "bad_overlap": elf([text, (PT_LOAD, 0x100040, 0x100040, 0x10, 0x10, PF_R)], 0x100000),
        "bad_dynamic": elf([text], 0x100000, extra_phdrs=[(PT_DYNAMIC, 0, 0, 0x10, 0x10, PF_R)]),
        "valid_user_program": elf(user, 0x400000, extra_phdrs=[stack]),
        "bad_user_write_execute": elf(user[:2] + [(PT_LOAD, 0x402000, 0, 0x10, 0x2000,
                                                   PF_R | PF_W | PF_X)], 0x400000),
    }


def placement_input(stride, base, size, descriptors, ragged=False):
    """Layout read by fuzz_placement.c: selector byte, base, size, raw map."""
    selector = ((stride - 40) // 8) | (0x80 if ragged else 0)
    out = bytearray(struct.pack("<BQQ", selector, base, size))
    for mem_type, start, pages in descriptors:
        raw = struct.pack("<IIQQQQ", mem_type, 0, start, 0, pages, 0xF)
        out += raw + bytes(stride - len(raw))
    return bytes(out)


def placement_seeds():
    ovmf_like = [
        (7, 0x0, 0xA0),           # Conventional below 640 KiB
        (7, 0x100000, 0x700),     # Conventional from 1 MiB
        (10, 0x800000, 0x8),      # ACPI NVS
        (7, 0x808000, 0x8),
        (4, 0x810000, 0xF0),      # boot services data
        (10, 0x900000, 0x100),
        (2, 0x1000000, 0x100),    # loader data
        (3, 0x1100000, 0x200),    # boot services code
        (6, 0x1300000, 0x80),     # runtime data
        (0, 0xFFC00000, 0x400),   # reserved (flash)
    ]
    reversed_map = list(reversed(ovmf_like))
    return {
        "ok_kernel_at_1mib_stride48": placement_input(48, 0x100000, 0x10000, ovmf_like),
        "ok_kernel_at_1mib_stride40": placement_input(40, 0x100000, 0x10000, reversed_map),
        "acpi_nvs_in_the_way": placement_input(48, 0x7F0000, 0x20000, ovmf_like),
        "hole_at_640k": placement_input(48, 0x9F000, 0x2000, ovmf_like),
        "touching_descriptors": placement_input(48, 0x1000000, 0x300000, ovmf_like),
        "ragged_map_size": placement_input(48, 0x100000, 0x1000, ovmf_like, ragged=True)[:-5],
        "top_of_memory": placement_input(56, 0xFFFFFFFFFFFFF000, 0x1000,
                                         [(7, 0xFFFFFFFFFFFFF000, 1)]),
    }


def config_seeds():
    return {
        "typical": b"kernel = pagoda.elf\ncmdline = mode=test\nprotocol = auto\n"
                   b"module = programs.tar\nmodule = initrd.img root=/dev/ram0\n",
        "bom_crlf": b"\xef\xbb\xbfcmdline = mode=boot\r\nresolution = 1024x768\r\n",
        "utf16": "cmdline = x\n".encode("utf-16"),
        "bad_lines": b"colour = blue\nprotocol = multiboot3\nmodule =\nmenu_timeout = 99999\n",
        "multiboot": b"kernel = mb2.elf\nprotocol = multiboot2\ndefault = test\npaging = pae\n",
    }


def write_all(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, blob in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(blob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elf-dir", required=True)
    parser.add_argument("--placement-dir", required=True)
    parser.add_argument("--config-dir", required=True)
    parser.add_argument("--stamp", required=True)
    args = parser.parse_args()
    write_all(args.elf_dir, elf_seeds())
    write_all(args.placement_dir, placement_seeds())
    write_all(args.config_dir, config_seeds())
    with open(args.stamp, "w") as f:
        f.write("seeds written\n")


if __name__ == "__main__":
    main()
