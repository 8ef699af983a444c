#!/usr/bin/env python3
"""Host checks of tools/pagoda_gdb.py's pure half, as TAP (suite 'unit'): no gdb, no QEMU.

Synthetic page tables in a dictionary of physical memory, in each format: entry bits to text,
walks (tables, large pages, PSE-36, not present, reserved bits, NX with and without EFER.NXE,
canonical addresses, paging off), the listing of mappings and its runs (merged as `info mem`
merges, and by all rights); the parsers of QEMU's monitor text; the i386 register view made from
an x86-64 target description; the PE reader on a PE built here, and on the build's two loaders
when given (--loaders: the debug link's code is the shipped one's, at the same addresses).

    gdb_script_test.py [--loaders BOOTX64.EFI BOOTX64.debug.efi BOOTIA32.EFI BOOTIA32.debug.efi]
"""

import argparse
import os
import struct
import sys
import xml.etree.ElementTree as ElementTree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.dont_write_bytecode = True
import pagoda_gdb as pg  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
from taplib import Tap  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30


class Memory:
    """Sparse physical memory: entries written at addresses, zero elsewhere."""

    def __init__(self):
        self.values = {}  # (address, size) -> value
        self.reads = 0

    def put(self, address, size, value):
        self.values[(address, size)] = value

    def read_entry(self, address, size):
        self.reads += 1
        return self.values.get((address, size), 0)

    def read_table(self, address, count, size):
        self.reads += 1
        return [self.values.get((address + i * size, size), 0) for i in range(count)]


def cr_state(fmt, cr3, nxe=True, pse=True, pge=True):
    cr0 = pg.CR0_PG | pg.CR0_WP | pg.CR0_PE
    cr4 = (pg.CR4_PSE if pse else 0) | (pg.CR4_PGE if pge else 0)
    efer = pg.EFER_NXE if nxe else 0
    if fmt in ("pae", "4level"):
        cr4 |= pg.CR4_PAE
    if fmt == "4level":
        efer |= pg.EFER_LME | pg.EFER_LMA
    return pg.PagingState(cr0, cr3, cr4, efer)


P, RW, US, A, D, PS, G, NX = pg.PTE_P, pg.PTE_RW, pg.PTE_US, pg.PTE_A, pg.PTE_D, pg.PTE_PS, \
    pg.PTE_G, pg.PTE_NX


def two_level_space():
    """PD at 0x1000: VA 0xc0000000 -> PT at 0x2000 (text page R-X global, data page RW- global,
    a hole, a user page); VA 0xc0400000: a 4 MiB page at 8 MiB; VA 0xc0800000: a PSE-36 4 MiB
    page at 4 GiB; VA 0xc0c00000: a 4 MiB PDE with the reserved bit 21."""
    m = Memory()
    m.put(0x1000 + 768 * 4, 4, 0x2000 | P | RW | A)
    m.put(0x2000 + 0 * 4, 4, 0x00100000 | P | G | A)
    m.put(0x2000 + 1 * 4, 4, 0x00101000 | P | RW | G | A | D)
    m.put(0x2000 + 3 * 4, 4, 0x00300000 | P | RW | US)
    m.put(0x1000 + 769 * 4, 4, 0x00800000 | P | RW | PS | G)
    m.put(0x1000 + 770 * 4, 4, (1 << pg.PTE32_PSE36_SHIFT) | P | RW | PS)
    m.put(0x1000 + 771 * 4, 4, 0x00C00000 | pg.PTE32_PSE36_RESERVED | P | PS)
    return m


def pae_space():
    """PDPT at 0x1020 (32-byte aligned, not page-aligned): entry 3 -> PD at 0x3000 (kernel half),
    entry 0 -> PD at 0x5000 (user: one page). PD[0] -> PT at 0x4000; PD[1]: 2 MiB page at
    0x200000; PD[2]: 2 MiB page with reserved address bits; PT: text, rodata (NX), data (NX),
    a page with bits 62:52 set."""
    m = Memory()
    m.put(0x1020 + 3 * 8, 8, 0x3000 | P)
    m.put(0x1020 + 0 * 8, 8, 0x5000 | P)
    m.put(0x3000 + 0 * 8, 8, 0x4000 | P | RW | A)
    m.put(0x3000 + 1 * 8, 8, 0x200000 | P | RW | PS | G | NX)
    m.put(0x3000 + 2 * 8, 8, 0x400000 | 0x2000 | P | PS)
    m.put(0x4000 + 0 * 8, 8, 0x100000 | P | G)
    m.put(0x4000 + 1 * 8, 8, 0x101000 | P | G | NX)
    m.put(0x4000 + 2 * 8, 8, 0x102000 | P | RW | G | NX)
    m.put(0x4000 + 3 * 8, 8, 0x103000 | P | (1 << 52))
    m.put(0x5000 + 2 * 8, 8, 0x6000 | P | RW | US)
    m.put(0x6000 + 0 * 8, 8, 0x7000 | P | RW | US | NX)
    return m


def check_two_level(tap):
    m = two_level_space()
    s = cr_state("2level", 0x1000)
    tap.check(s.format is pg.TWO_LEVEL and not s.nxe, "CR0.PG, CR4.PAE=0: the two-level format")
    w = pg.walk(s, 0xC0000123, m.read_entry)
    tap.check(w.mapped and w.pa == 0x100123 and w.page_size == 4096 and len(w.steps) == 2 and
              w.rights.text() == "R-X supervisor global" and
              [st.level.name for st in w.steps] == ["PD", "PT"] and w.steps[0].index == 768 and
              w.steps[1].table == 0x2000 and w.steps[1].index == 0,
              "two-level: a PT page, every level's table and index; no NX in the format",
              pg.describe_walk(w))
    text = pg.describe_walk(w)
    tap.check(text[1].startswith("  PD   table 0x000001000 [ 768] = 0x00002023  table  "
                                 "so far W-X") and
              text[1].endswith("P RW A -> 0x000002000") and
              text[2].startswith("  PT   table 0x000002000 [   0] = 0x00100121  page   "
                                 "so far --X") and
              text[2].endswith("P A G") and
              text[3] == "  -> pa 0x000100123, 4 KiB page, R-X supervisor global, PAT index 0",
              "two-level walk text: 8-digit entries, decoded bits, the next table, the result",
              text)
    w = pg.walk(s, 0xC0003000, m.read_entry)
    tap.check(w.mapped and w.rights.user is False and w.rights.write is True,
              "a user PTE under a supervisor PDE is supervisor (rights AND over the levels)")
    w = pg.walk(s, 0xC0002000, m.read_entry)
    tap.check(not w.mapped and "PT entry 2 is not present" in w.stop, "a hole: PT entry 2",
              [w.stop])
    w = pg.walk(s, 0xC0512345, m.read_entry)
    tap.check(w.mapped and w.page_size == 4 * MIB and w.pa == 0x800000 + 0x112345 and
              len(w.steps) == 1 and w.steps[0].leaf, "a 4 MiB page ends the walk at the PD")
    w = pg.walk(s, 0xC0801234, m.read_entry)
    tap.check(w.mapped and w.pa == 0x100001234 and
              "PSE-36 phys[39:32]=0x1" in pg.describe_walk(w)[1],
              "PSE-36: PDE bits 20:13 are physical bits 39:32 (0x100001234)", pg.describe_walk(w))
    w = pg.walk(s, 0xC0C00000, m.read_entry)
    tap.check(not w.mapped and "reserved bits" in w.stop and "0x200000" in w.stop,
              "a 4 MiB PDE with bit 21 set stops the walk: reserved", [w.stop])
    no_pse = cr_state("2level", 0x1000, pse=False)
    w = pg.walk(no_pse, 0xC0400000, m.read_entry)
    tap.check(len(w.steps) == 2 and not w.steps[0].leaf and w.steps[1].table == 0x800000,
              "with CR4.PSE=0 the PS bit is ignored: the PDE points to a page table")
    w = pg.walk(s, 0x1_0000_0000, m.read_entry)
    tap.check(not w.mapped and "32-bit linear address" in w.stop, "a VA above 4 GiB is refused")


def check_pae(tap):
    m = pae_space()
    s = cr_state("pae", 0x1020)
    tap.check(s.format is pg.PAE and s.nxe, "CR4.PAE=1 with EFER.NXE: PAE, NX on")
    w = pg.walk(s, 0xC0000000, m.read_entry)
    tap.check(w.mapped and [st.table for st in w.steps] == [0x1020, 0x3000, 0x4000] and
              [st.index for st in w.steps] == [3, 0, 0] and
              w.rights.text() == "R-X supervisor global",
              "PAE: PDPT (CR3 bits 31:5) -> PD -> PT", pg.describe_walk(w))
    text = pg.describe_walk(w)
    tap.check(text[1].startswith("  PDPT table 0x000001020 [   3] = 0x0000000000003001  table  "
                                 "so far WUX  P -> 0x000003000"),
              "a PDPTE has no rights: 'so far WUX', only P/PWT/PCD named", text)
    w = pg.walk(s, 0xC0001000, m.read_entry)
    tap.check(w.mapped and w.rights.text() == "R-- supervisor global" and "NX" in
              pg.describe_walk(w)[3], "NX with EFER.NXE: not executable", pg.describe_walk(w))
    w = pg.walk(s, 0xC0002000, m.read_entry)
    tap.check(w.mapped and w.rights.text() == "RW- supervisor global", "RW + NX: RW-")
    w = pg.walk(cr_state("pae", 0x1020, nxe=False), 0xC0001000, m.read_entry)
    tap.check(not w.mapped and "reserved" in w.stop and f"0x{NX:x}" in w.stop,
              "NX without EFER.NXE is a reserved bit: the walk stops", [w.stop])
    w = pg.walk(s, 0xC0003000, m.read_entry)
    tap.check(not w.mapped and "reserved" in w.stop, "bits 62:52 set: reserved", [w.stop])
    w = pg.walk(s, 0xC0234567, m.read_entry)
    tap.check(w.mapped and w.page_size == 2 * MIB and w.pa == 0x234567 and
              w.rights.text() == "RW- supervisor global" and w.steps[-1].large and
              "PS" in pg.describe_walk(w)[2], "a 2 MiB page at the PD", pg.describe_walk(w))
    w = pg.walk(s, 0xC0400000, m.read_entry)
    tap.check(not w.mapped and "reserved" in w.stop, "a 2 MiB page with address bits 20:13 set: "
                                                     "reserved", [w.stop])
    w = pg.walk(s, 0x00400000, m.read_entry)
    tap.check(w.mapped and w.rights.text() == "RW- user" and w.pa == 0x7000,
              "a user page: user rights at every level", pg.describe_walk(w))
    w = pg.walk(s, 0x40000000, m.read_entry)
    tap.check(not w.mapped and w.stop == "the PDPT entry 1 is not present (P=0)",
              "not present at the PDPT", [w.stop])


def four_level_space():
    m = Memory()
    m.put(0x1000 + 0 * 8, 8, 0x2000 | P | RW)
    m.put(0x2000 + 1 * 8, 8, 0x40000000 | P | RW | PS)  # 1 GiB page at VA 1 GiB
    m.put(0x2000 + 2 * 8, 8, 0x80000000 | 0x4000 | P | PS)  # reserved address bits
    m.put(0x1000 + 511 * 8, 8, 0x3000 | P | RW)
    m.put(0x3000 + 511 * 8, 8, 0x4000 | P | RW)
    m.put(0x4000 + 0 * 8, 8, 0x5000 | P | RW)
    m.put(0x5000 + 0 * 8, 8, 0x9000 | P | NX)
    return m


def check_four_level(tap):
    m = four_level_space()
    s = cr_state("4level", 0x1000)
    tap.check(s.format is pg.FOUR_LEVEL, "EFER.LMA: the 4-level format (the x64 firmware)")
    w = pg.walk(s, 0x4123_4567, m.read_entry)
    tap.check(w.mapped and w.page_size == GIB and w.pa == 0x4123_4567 and len(w.steps) == 2,
              "a 1 GiB page at the PDPT")
    w = pg.walk(s, 0x8000_0000, m.read_entry)
    tap.check(not w.mapped and "reserved" in w.stop, "a 1 GiB page with bits 29:13 set: reserved")
    va = 0xFFFF_FFFF_C000_0000
    w = pg.walk(s, va, m.read_entry)
    text = pg.describe_walk(w)
    tap.check(w.mapped and w.pa == 0x9000 and w.rights.text() == "R-- supervisor" and
              [st.index for st in w.steps] == [511, 511, 0, 0] and
              text[0].startswith("walk of 0xffffffffc0000000 through the 4-level"),
              "the top of the canonical high half, printed sign-extended", text)
    w = pg.walk(s, 0x8000_0000_0000_0000, m.read_entry)
    tap.check(not w.mapped and "not canonical" in w.stop and not w.steps,
              "a non-canonical address reads no table", [w.stop])
    runs = pg.merge_runs(pg.mappings(s, m.read_table))
    top = (1 << 48) - GIB
    tap.check([(r.start, r.end) for r in runs] == [(GIB, 2 * GIB), (top, top + 4096)],
              "4-level listing: the 1 GiB page and the high page, in 48-bit VA order",
              [f"{r.start:x}-{r.end:x}" for r in runs])


def check_other_format(tap):
    m = pae_space()
    two = cr_state("2level", 0x1020)
    as_pae = two.with_format("pae")
    w = pg.walk(as_pae, 0xC0000000, m.read_entry)
    tap.check(as_pae.format is pg.PAE and as_pae.nxe and w.mapped and w.pa == 0x100000,
              "--format pae reads the same CR3 as PAE tables (those vm_switch_paging will load)")
    tap.check(as_pae.with_format("2level").format is pg.TWO_LEVEL and
              two.with_format("4level").format is pg.FOUR_LEVEL and
              pg.PagingState(0, 0, 0, 0).with_format("2level").enabled,
              "--format turns on the format asked for, whatever CR0, CR4, EFER say")


def check_paging_off(tap):
    s = pg.PagingState(pg.CR0_PE, 0, 0, 0)
    w = pg.walk(s, 0x100000, lambda a, n: 1 / 0)
    tap.check(s.format is None and w.mapped and w.pa == 0x100000 and
              "paging off" in pg.describe_walk(w)[0], "CR0.PG=0: linear = physical, no table read")


def check_listing(tap):
    m = pae_space()
    s = cr_state("pae", 0x1020)
    maps = list(pg.mappings(s, m.read_table))
    tap.check([(x.va, x.size) for x in maps] ==
              [(0x00400000, 4096), (0xC0000000, 4096), (0xC0001000, 4096), (0xC0002000, 4096),
               (0xC0200000, 2 * MIB)],
              "every present leaf in VA order; entries with reserved bits are left out",
              [f"{x.va:x}+{x.size:x}" for x in maps])
    runs = pg.merge_runs(maps)
    tap.check([(r.start, r.end, r.rights.text()) for r in runs] ==
              [(0x400000, 0x401000, "RW- user"), (0xC0000000, 0xC0001000, "R-X supervisor global"),
               (0xC0001000, 0xC0002000, "R-- supervisor global"),
               (0xC0002000, 0xC0003000, "RW- supervisor global")] +
              [(0xC0200000, 0xC0400000, "RW- supervisor global")],
              "runs: adjacent pages with equal rights merge; a gap ends a run",
              [f"{r.start:x}-{r.end:x} {r.rights.text()}" for r in runs])
    by_user_write = pg.merge_runs(maps, key=lambda r: (r.user, r.write))
    tap.check([(r.start, r.end) for r in by_user_write] ==
              [(0x400000, 0x401000), (0xC0000000, 0xC0002000), (0xC0002000, 0xC0003000),
               (0xC0200000, 0xC0400000)],
              "merged as info mem merges (user, write): R-X and R-- pages join",
              [f"{r.start:x}-{r.end:x}" for r in by_user_write])
    window = Memory()
    window.put(0x1000 + 1023 * 4, 4, 0x2000 | P | RW)
    for slot, frame in enumerate([0x50000, 0x51000, 0x90000]):
        window.put(0x2000 + slot * 4, 4, frame | P | RW | G)
    runs = pg.merge_runs(pg.mappings(cr_state("2level", 0x1000), window.read_table))
    lines = pg.describe_runs(cr_state("2level", 0x1000), runs)
    tap.check(len(runs) == 1 and not runs[0].contiguous and "phys scattered (3 pages)" in lines[1]
              and lines[-1] == "  1 runs; pages: 3 of 4 KiB",
              "a run whose frames are not contiguous says so", lines)
    m2 = two_level_space()
    limited = list(pg.mappings(cr_state("2level", 0x1000), m2.read_table, 0xC0001000, 0xC0002000))
    tap.check([(x.va, x.pa) for x in limited] == [(0xC0001000, 0x101000)],
              "a START END window lists only what lies in it")


def check_text_helpers(tap):
    tap.check(pg.describe_entry(pg.PAE, pg.PAE.levels[2], 0x80 | P, True, False) == ["P", "PAT"]
              and pg.describe_entry(pg.PAE, pg.PAE.levels[1], 0x1080 | P, True, True) ==
              ["P", "PS", "PAT"],
              "bit 7 is PAT in a PTE, PS in a large PDE, whose PAT is bit 12")
    tap.check(pg.describe_entry(pg.TWO_LEVEL, pg.TWO_LEVEL.levels[1], NX | P, True, False) == ["P"],
              "the two-level format has no NX bit to name")
    tap.check(pg.tlb_flags(P | RW | US | A | D | G | NX, False) == "XG-DA--UW" and
              pg.tlb_flags(P | PS | pg.PTE_PCD | pg.PTE_PWT, True) == "--P--CT--",
              "QEMU's info tlb letters from an entry (X G P D A C T U W)")
    tap.check(pg.size_text(4096) == "4 KiB" and pg.size_text(3 * MIB // 2) == "1.5 MiB" and
              pg.size_text(GIB) == "1 GiB", "sizes in KiB, MiB, GiB")


def check_parsers(tap):
    xp = ("0000000000001000: 0x0000000000003001 0x0000000000000000\n"
          "0000000000001010: 0x0000000000000000 0x8000000000100003\n")
    tap.check(pg.parse_xp(xp) == [0x3001, 0, 0, 0x8000000000100003], "xp /4gx output parsed")
    tlb = ("00000000c0000000: 8000000000000000 XG------W\n"
           "00000000c0200000: 0000000000200000 XGPDA---W\n")
    tap.check(pg.parse_info_tlb(tlb) == [(0xC0000000, 0x8000000000000000, "XG------W"),
                                         (0xC0200000, 0x200000, "XGPDA---W")],
              "info tlb output parsed")
    mem = ("00000000c0000000-00000000c0101000 0000000000101000 -rw\n"
           "0000000000400000-0000000000401000 0000000000001000 urw\n"
           "0000000000100000-0000000000101000 0000000000001000 -r-\n")
    tap.check(pg.parse_info_mem(mem) == [(0xC0000000, 0xC0101000, False, True),
                                         (0x400000, 0x401000, True, True),
                                         (0x100000, 0x101000, False, False)],
              "info mem output parsed")
    regs = ("EAX=00000000 EBX=00000000\n"
            "CS =0038 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]\n"
            "CR0=80010033 CR2=0000000000000000 CR3=000000000f801000 CR4=00000668\n"
            "EFER=0000000000000d00\n")
    found = pg.parse_info_registers(regs)
    tap.check(found.get("CR3") == 0xF801000 and found.get("EFER") == 0xD00 and
              found.get("CS_FLAGS", 0) & pg.DESC_L and found.get("CR4") == 0x668,
              "info registers: control registers, EFER and the CS descriptor's L bit")


QEMU_LIKE_XML = """<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target>
  <architecture>i386:x86-64</architecture>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="x64_eflags" size="4"><field name="CF" start="0" end="0"/></flags>
    <reg name="rax" bitsize="64" type="int64" regnum="0"/>
    <reg name="rbx" bitsize="64" type="int64" regnum="1"/>
    <reg name="rcx" bitsize="64" type="int64" regnum="2"/>
    <reg name="rdx" bitsize="64" type="int64" regnum="3"/>
    <reg name="rsi" bitsize="64" type="int64" regnum="4"/>
    <reg name="rdi" bitsize="64" type="int64" regnum="5"/>
    <reg name="rbp" bitsize="64" type="data_ptr" regnum="6"/>
    <reg name="rsp" bitsize="64" type="data_ptr" regnum="7"/>
    <reg name="r8" bitsize="64" type="int64" regnum="8"/>
    <reg name="rip" bitsize="64" type="code_ptr" regnum="9"/>
    <reg name="eflags" bitsize="32" type="x64_eflags" regnum="10"/>
    <reg name="cs" bitsize="32" type="int32" regnum="11"/>
    <reg name="cr3" bitsize="64" type="int64" regnum="12"/>
    <reg name="st0" bitsize="80" type="i387_ext" regnum="13"/>
  </feature>
</target>
"""


def check_i386_view(tap):
    view = pg.i386_view_xml(QEMU_LIKE_XML)
    root = ElementTree.fromstring(view.split("\n", 2)[2])
    regs = [(r.get("name"), int(r.get("bitsize")), int(r.get("regnum")), r.get("type"))
            for r in root.iter("reg")]
    original = [(r.get("name"), int(r.get("bitsize")))
                for r in ElementTree.fromstring(QEMU_LIKE_XML.split("\n", 2)[2]).iter("reg")]
    tap.check(root.find("architecture").text == "i386", "the view is an i386 target")
    tap.check(sum(b for _, b, _, _ in regs) == sum(b for _, b in original),
              "the same register bytes: the 'g' packet layout does not change")
    names = [n for n, _, _, _ in regs]
    tap.check(names[:4] == ["eax", "rax_high", "ebx", "rbx_high"] and "eip" in names and
              names[names.index("eip") + 1] == "rip_high" and "r8" in names and "cr3" in names,
              "64-bit registers split into the i386 name (low half) and a high half", names)
    tap.check([n for _, _, n, _ in regs] == list(range(len(regs))),
              "register numbers consecutive in document order")
    types = {n: t for n, _, _, t in regs}
    tap.check(types["eip"] == "code_ptr" and types["esp"] == "data_ptr" and
              types["eax"] == "int32", "eip a code pointer, esp/ebp data pointers")
    try:
        pg.i386_view_xml(QEMU_LIKE_XML.replace("i386:x86-64", "i386"))
        refused = False
    except ValueError:
        refused = True
    tap.check(refused, "a description that is not x86-64 is refused")


def make_pe(image_base, text, relocations, pe32plus=True):
    """A minimal PE: headers, .text at RVA 0x1000, .reloc at 0x2000 (DIR64 or HIGHLOW)."""
    kind = pg.PeImage.IMAGE_REL_BASED_DIR64 if pe32plus else pg.PeImage.IMAGE_REL_BASED_HIGHLOW
    items = [(kind << 12) | (rva - 0x1000) for rva in relocations]
    items.append(0)  # padding entry (ABSOLUTE)
    reloc = struct.pack("<II", 0x1000, 8 + 2 * len(items)) + b"".join(struct.pack("<H", i)
                                                                      for i in items)
    optional_size = 240 if pe32plus else 224
    dos = bytearray(0x80)
    dos[:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x80)
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x8664 if pe32plus else 0x14C, 2, 0, 0, 0,
                       optional_size, 0x22)
    optional = bytearray(optional_size)
    struct.pack_into("<H", optional, 0, 0x20B if pe32plus else 0x10B)
    if pe32plus:
        struct.pack_into("<Q", optional, 24, image_base)
        directories = 112
    else:
        struct.pack_into("<I", optional, 28, image_base)
        directories = 96
    struct.pack_into("<I", optional, 56, 0x3000)
    struct.pack_into("<II", optional, directories + 5 * 8, 0x2000, len(reloc))
    headers_end = 0x80 + len(coff) + optional_size + 2 * 40
    text_at, reloc_at = 0x200, 0x400
    sections = struct.pack("<8sIIII12xI", b".text", len(text), 0x1000, len(text), text_at,
                           0x60000020)
    sections += struct.pack("<8sIIII12xI", b".reloc", len(reloc), 0x2000, len(reloc), reloc_at,
                            0x42000040)
    data = bytearray(0x600)
    head = bytes(dos) + coff + bytes(optional) + sections
    assert len(head) == headers_end <= text_at
    data[:len(head)] = head
    data[text_at:text_at + len(text)] = text
    data[reloc_at:reloc_at + len(reloc)] = reloc
    return bytes(data)


def check_pe(tap):
    text = struct.pack("<QQ", 0x140001010, 0x1122334455667788) + b"\x90" * 16
    image = pg.PeImage(make_pe(0x140000000, text, [0x1000]), "x64 test image")
    rva, relocated = image.relocated_section(".text", 0xDD90000)
    tap.check(image.image_base == 0x140000000 and rva == 0x1000 and
              struct.unpack_from("<QQ", relocated) == (0xDD91010, 0x1122334455667788),
              "PE32+: a DIR64 relocation moves by base - ImageBase; other bytes stay")
    text32 = struct.pack("<II", 0x401020, 0xAABBCCDD) + b"\xCC" * 8
    image32 = pg.PeImage(make_pe(0x400000, text32, [0x1000], pe32plus=False), "ia32 test image")
    _, relocated32 = image32.relocated_section(".text", 0x7E00000)
    tap.check(image32.image_base == 0x400000 and
              struct.unpack_from("<II", relocated32) == (0x7E01020, 0xAABBCCDD),
              "PE32: a HIGHLOW relocation")
    try:
        pg.PeImage(b"MZ" + bytes(0x3E) + struct.pack("<I", 0x40) + b"XX\0\0", "bad")
        refused = False
    except pg.PeError as e:
        refused = "no PE signature" in str(e)
    tap.check(refused, "a file without the PE signature is refused by name")


def check_loaders(tap, files):
    """The debug link against the shipped loader: same code, data, relocations, same RVAs."""
    for shipped_path, debug_path in (files[0:2], files[2:4]):
        with open(shipped_path, "rb") as f:
            shipped = pg.PeImage(f.read(), shipped_path)
        with open(debug_path, "rb") as f:
            debug = pg.PeImage(f.read(), debug_path)
        name = os.path.basename(shipped_path)
        same = all(shipped.section_bytes(s) == debug.section_bytes(s)
                   for s in (".text", ".data", ".reloc"))
        rvas = {s[0]: s[1] for s in shipped.sections}
        same_rvas = all(debug.section(s)[1] == rva for s, rva in rvas.items())
        tap.check(same and same_rvas and shipped.image_base == debug.image_base and
                  shipped.relocations() == debug.relocations(),
                  f"{name}: the debug link has the same .text, .data, .reloc at the same RVAs")
        shipped_names = [s[0] for s in shipped.sections]
        debug_names = [s[0] for s in debug.sections]
        tap.check(not any(n.startswith(".debug") for n in shipped_names) and
                  {".debug_info", ".debug_line", ".debug_abbrev"} <= set(debug_names),
                  f"{name} ships no DWARF; its debug link has .debug_info, .debug_line",
                  [f"shipped: {shipped_names}", f"debug: {debug_names}"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--loaders", nargs=4, metavar="FILE")
    args = p.parse_args(argv)
    tap = Tap()
    check_two_level(tap)
    check_pae(tap)
    check_four_level(tap)
    check_other_format(tap)
    check_paging_off(tap)
    check_listing(tap)
    check_text_helpers(tap)
    check_parsers(tap)
    check_i386_view(tap)
    check_pe(tap)
    if args.loaders:
        check_loaders(tap, args.loaders)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
