"""gdb commands for Pagoda under QEMU: symbols, breakpoints that survive, and the live page tables.

Loaded into gdb (its embedded Python 3) by the command `tools/pagoda run --gdb` prints:

    gdb -q -x tools/pagoda_gdb.py -ex 'pagoda attach 127.0.0.1:PORT --build build ...'

Commands (`help pagoda` in gdb lists them):

    pagoda attach HOST:PORT [--firmware x64|ia32] [--build DIR] [--serial-log FILE]
                                    connect, pick the register view, load the kernel's symbols
    pagoda view [32|64|auto]        gdb's register view: i386 for 32-bit code, x86-64 for long mode
    pagoda loader [BASE] [--arch x64|ia32]   the loader's symbols, relocated to its image base
    pagoda break LOCATION           a breakpoint, hardware where a software one would be lost
    pagoda regs                     CR0, CR3, CR4, EFER decoded; which paging format runs
    pagoda walk VA [--cr3 X] [--format F]   one address through the tables, level by level
    pagoda maps [START END] [--cr3 X] [--format F]   the mapped ranges as merged runs, like
                                    QEMU's `info mem`

The first half of this file is pure (no gdb): the paging formats and their entry bits, the walk,
the listing and its runs, the loader's PE file, the i386 register view.
tests/qemu/gdb_script_test.py tests it on the host with synthetic tables; tests/qemu/gdb_test.py
drives the commands against a real boot.
"""

import atexit
import os
import re
import shlex
import struct
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

try:
    import gdb  # only inside gdb
except ImportError:
    gdb = None

# ---------------------------------------------------------------------------------------------
# Paging-structure entries: every bit named once (Intel SDM vol. 3A: 4.3 32-bit paging, 4.4 PAE,
# 4.5 4-level), with the names of kernel/arch/pte_bits.h. Nothing below uses a bare bit number.
# ---------------------------------------------------------------------------------------------

PTE_P = 1 << 0  # present
PTE_RW = 1 << 1  # writable
PTE_US = 1 << 2  # user-accessible
PTE_PWT = 1 << 3  # page write-through: PAT index bit 0
PTE_PCD = 1 << 4  # page cache disable: PAT index bit 1
PTE_A = 1 << 5  # accessed
PTE_D = 1 << 6  # dirty (leaf entries only)
PTE_PS = 1 << 7  # in a directory entry: maps a large page
PTE_PAT = 1 << 7  # in a 4 KiB PTE: PAT index bit 2
PTE_G = 1 << 8  # global (leaf entries only; with CR4.PGE)
PTE_PAT_LARGE = 1 << 12  # in a large-page entry: PAT index bit 2
PTE_NX = 1 << 63  # PAE and 4-level: execute-disable with EFER.NXE, reserved without it

# The names the walk prints for each bit, by the kind of entry holding it.
TABLE_ENTRY_BITS = [(PTE_P, "P"), (PTE_RW, "RW"), (PTE_US, "US"), (PTE_PWT, "PWT"),
                    (PTE_PCD, "PCD"), (PTE_A, "A"), (PTE_NX, "NX")]
PAGE_ENTRY_BITS = [(PTE_P, "P"), (PTE_RW, "RW"), (PTE_US, "US"), (PTE_PWT, "PWT"),
                   (PTE_PCD, "PCD"), (PTE_A, "A"), (PTE_D, "D"), (PTE_PAT, "PAT"), (PTE_G, "G"),
                   (PTE_NX, "NX")]
LARGE_ENTRY_BITS = [(PTE_P, "P"), (PTE_RW, "RW"), (PTE_US, "US"), (PTE_PWT, "PWT"),
                    (PTE_PCD, "PCD"), (PTE_A, "A"), (PTE_D, "D"), (PTE_PS, "PS"), (PTE_G, "G"),
                    (PTE_PAT_LARGE, "PAT"), (PTE_NX, "NX")]
# A PAE PDPTE has only P, PWT and PCD: no rights, no accessed bit the walk relies on.
PDPTE_PAE_BITS = [(PTE_P, "P"), (PTE_PWT, "PWT"), (PTE_PCD, "PCD")]

# Address fields.
PTE32_ADDR_MASK = 0xFFFFF000
PTE32_LARGE_ADDR_MASK = 0xFFC00000
# PSE-36: a 4 MiB PDE carries physical bits 39:32 in its bits 20:13; bit 21 stays reserved.
PTE32_PSE36_SHIFT = 13
PTE32_PSE36_HIGH_MASK = 0xFF << PTE32_PSE36_SHIFT
PTE32_PSE36_RESERVED = 1 << 21
PTE64_ADDR_MASK = 0x000FFFFFFFFFF000  # PAE and 4-level: bits 51:12
PTE64_HIGH_RESERVED = 0x7FF0000000000000  # bits 62:52: reserved in every 8-byte entry

# Control registers (x86_bits.h has the same names).
CR0_PE = 1 << 0
CR0_WP = 1 << 16
CR0_PG = 1 << 31
CR3_PWT = 1 << 3
CR3_PCD = 1 << 4
CR4_PSE = 1 << 4
CR4_PAE = 1 << 5
CR4_PGE = 1 << 7
EFER_LME = 1 << 8
EFER_LMA = 1 << 10
EFER_NXE = 1 << 11

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
PAGE_SIZE = 4 * KIB


class Level:
    """One level of a format: which VA bits index it and what its entries may be."""

    def __init__(self, name, shift, index_bits, large_page=0, large_reserved=0, rights=True):
        self.name = name
        self.shift = shift  # the VA bits [shift + index_bits - 1 : shift] index this table
        self.index_bits = index_bits
        self.large_page = large_page  # page size an entry maps with PS=1 here; 0: never
        self.large_reserved = large_reserved  # address bits a large page must leave clear
        self.rights = rights  # whether RW/US/NX of this level count (not in a PAE PDPTE)

    @property
    def entries(self):
        return 1 << self.index_bits

    def index(self, va):
        return (va >> self.shift) & (self.entries - 1)

    @property
    def span(self):
        """Bytes of address space one entry covers."""
        return 1 << self.shift


class Format:
    """A paging format: its levels, entry size, where CR3 points, which bits it has."""

    def __init__(self, key, title, entry_size, cr3_mask, levels, va_bits, has_nx):
        self.key = key
        self.title = title
        self.entry_size = entry_size
        self.cr3_mask = cr3_mask
        self.levels = levels
        self.va_bits = va_bits
        self.has_nx = has_nx

    def root(self, cr3):
        return cr3 & self.cr3_mask

    def root_entries(self):
        return self.levels[0].entries

    def canonical(self, va):
        """4-level: bits 63:47 all equal. 32-bit formats: the VA fits in 32 bits."""
        if self.va_bits == 32:
            return 0 <= va < (1 << 32)
        top = va >> (self.va_bits - 1)
        return top == 0 or top == (1 << (64 - self.va_bits + 1)) - 1

    def sign_extend(self, va):
        """A 4-level address as the CPU sees it (bits 63:48 copy bit 47)."""
        if self.va_bits == 48 and va & (1 << (self.va_bits - 1)):
            return va | ((1 << 64) - (1 << self.va_bits))
        return va

    def table_address(self, level, entry):
        mask = PTE32_ADDR_MASK if self.entry_size == 4 else PTE64_ADDR_MASK
        return entry & mask

    def page_address(self, level, entry, large):
        """Physical address of the page an entry maps (a PTE, or a PS=1 entry)."""
        if self.entry_size == 4:
            if not large:
                return entry & PTE32_ADDR_MASK
            high = (entry & PTE32_PSE36_HIGH_MASK) >> PTE32_PSE36_SHIFT
            return (entry & PTE32_LARGE_ADDR_MASK) | (high << 32)
        if not large:
            return entry & PTE64_ADDR_MASK
        return entry & PTE64_ADDR_MASK & ~(level.large_page - 1)

    def reserved(self, level, entry, large, nxe):
        """The reserved bits set in an entry (the CPU faults with RSVD=1 on them), as a mask."""
        if self.entry_size == 4:
            return entry & PTE32_PSE36_RESERVED if large else 0
        bad = entry & PTE64_HIGH_RESERVED
        if entry & PTE_NX and (not nxe or not level.rights):
            bad |= PTE_NX
        if large:
            bad |= entry & level.large_reserved
        return bad


TWO_LEVEL = Format("2level", "32-bit two-level", 4, 0xFFFFF000, [
    Level("PD", 22, 10, large_page=4 * MIB),
    Level("PT", 12, 10),
], va_bits=32, has_nx=False)

PAE = Format("pae", "PAE three-level", 8, 0xFFFFFFE0, [
    Level("PDPT", 30, 2, rights=False),
    Level("PD", 21, 9, large_page=2 * MIB, large_reserved=0x1FE000),  # bits 20:13
    Level("PT", 12, 9),
], va_bits=32, has_nx=True)

FOUR_LEVEL = Format("4level", "4-level (long mode)", 8, PTE64_ADDR_MASK, [
    Level("PML4", 39, 9),
    Level("PDPT", 30, 9, large_page=GIB, large_reserved=0x3FFFE000),  # bits 29:13
    Level("PD", 21, 9, large_page=2 * MIB, large_reserved=0x1FE000),
    Level("PT", 12, 9),
], va_bits=48, has_nx=True)

FORMATS = {f.key: f for f in (TWO_LEVEL, PAE, FOUR_LEVEL)}


class PagingState:
    """What the control registers say about paging: the format and its switches."""

    def __init__(self, cr0, cr3, cr4, efer):
        self.cr0, self.cr3, self.cr4, self.efer = cr0, cr3, cr4, efer
        self.enabled = bool(cr0 & CR0_PG)
        if not self.enabled:
            self.format = None
        elif efer & EFER_LMA:
            self.format = FOUR_LEVEL
        elif cr4 & CR4_PAE:
            self.format = PAE
        else:
            self.format = TWO_LEVEL
        self.pse = bool(cr4 & CR4_PSE) or self.format in (PAE, FOUR_LEVEL)
        self.nxe = bool(efer & EFER_NXE) and self.format is not None and self.format.has_nx
        self.pge = bool(cr4 & CR4_PGE)
        self.wp = bool(cr0 & CR0_WP)

    def with_cr3(self, cr3):
        return PagingState(self.cr0, cr3, self.cr4, self.efer)

    def with_format(self, key):
        """The same switches, read as format KEY: tables not loaded yet, or another space's."""
        cr0 = self.cr0 | CR0_PG
        cr4 = self.cr4 & ~CR4_PAE if key == "2level" else self.cr4 | CR4_PAE
        efer = self.efer | EFER_LMA if key == "4level" else self.efer & ~EFER_LMA
        return PagingState(cr0, self.cr3, cr4, efer)

    def switches(self):
        """CR3 and the switches that change what an entry means, in words."""
        fmt = self.format
        nx = ("NX on (EFER.NXE=1)" if self.nxe else "NX off (EFER.NXE=0)") if fmt.has_nx \
            else "no NX in this format"
        parts = [f"CR3 {hex_addr(self.cr3)}", nx,
                 "global pages on" if self.pge else "global pages off (CR4.PGE=0)"]
        if fmt is TWO_LEVEL:
            parts.append("4 MiB pages on (CR4.PSE=1)" if self.pse
                         else "no large pages (CR4.PSE=0)")
        return ", ".join(parts)

    def summary(self):
        if not self.enabled:
            return "paging off (CR0.PG=0): linear addresses are physical"
        return f"{self.format.title}, {self.switches()}"


def hex_addr(value, digits=8):
    return f"0x{value:0{digits}x}"


def bit_names(entry, table):
    return [name for bit, name in table if entry & bit]


def describe_entry(fmt, level, entry, leaf, large):
    """The names of the bits set in an entry, as the walk prints them."""
    if fmt is PAE and level.name == "PDPT":
        table = PDPTE_PAE_BITS
    elif large:
        table = LARGE_ENTRY_BITS
    elif leaf:
        table = PAGE_ENTRY_BITS
    else:
        table = TABLE_ENTRY_BITS
    if not fmt.has_nx:
        table = [(bit, name) for bit, name in table if bit != PTE_NX]
    names = bit_names(entry, table)
    if fmt is TWO_LEVEL and large:
        high = (entry & PTE32_PSE36_HIGH_MASK) >> PTE32_PSE36_SHIFT
        if high:
            names.append(f"PSE-36 phys[39:32]=0x{high:x}")
    return names


class Rights:
    """Effective rights of a page: write, user, execute (AND over the levels), global (leaf)."""

    def __init__(self, write=True, user=True, execute=True, glob=False):
        self.write, self.user, self.execute, self.glob = write, user, execute, glob

    def key(self):
        return (self.write, self.user, self.execute, self.glob)

    def __eq__(self, other):
        return isinstance(other, Rights) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def so_far(self):
        """The walk's running rights, as the kernel's walk prints them: W, U, X or '-'."""
        return ("W" if self.write else "-") + ("U" if self.user else "-") + \
            ("X" if self.execute else "-")

    def text(self):
        """R-X supervisor global, RW- user, ..."""
        rwx = "R" + ("W" if self.write else "-") + ("X" if self.execute else "-")
        words = [rwx, "user" if self.user else "supervisor"]
        if self.glob:
            words.append("global")
        return " ".join(words)

    def narrowed(self, fmt, level, entry, nxe):
        if not level.rights:
            return Rights(self.write, self.user, self.execute, self.glob)
        return Rights(self.write and bool(entry & PTE_RW), self.user and bool(entry & PTE_US),
                      self.execute and not (nxe and entry & PTE_NX), self.glob)


class WalkStep:
    def __init__(self, level, table, index, entry, present, leaf, large, rights, reserved):
        self.level = level
        self.table = table  # physical address of the table read
        self.index = index
        self.entry = entry
        self.present = present
        self.leaf = leaf
        self.large = large
        self.rights = rights  # after this level
        self.reserved = reserved


class Walk:
    """A walk of one address: the steps taken and how it ended."""

    def __init__(self, state, va):
        self.state = state
        self.va = va
        self.steps = []
        self.mapped = False
        self.pa = None
        self.page_size = None
        self.rights = None
        self.pat_index = None
        self.stop = None  # why the walk did not reach a page, in words


def walk(state, va, read_entry):
    """Walks VA through the tables CR3 (state.cr3) points to.

    read_entry(physical_address, entry_size) -> int reads one entry. Raises nothing for a bad
    address: a walk that cannot finish says where and why (walk.stop).
    """
    result = Walk(state, va)
    if not state.enabled:
        result.mapped, result.pa, result.page_size = True, va, None
        result.rights = Rights()
        result.stop = None
        return result
    fmt = state.format
    if not fmt.canonical(va):
        result.stop = (f"{hex_addr(va)} does not fit in a 32-bit linear address"
                       if fmt.va_bits == 32 else
                       f"{hex_addr(va, 16)} is not canonical (bits 63:{fmt.va_bits - 1} differ)")
        return result
    table = fmt.root(state.cr3)
    rights = Rights()
    for depth, level in enumerate(fmt.levels):
        index = level.index(va)
        entry = read_entry(table + index * fmt.entry_size, fmt.entry_size)
        present = bool(entry & PTE_P)
        last = depth == len(fmt.levels) - 1
        large = present and not last and level.large_page and bool(entry & PTE_PS) and \
            (fmt is not TWO_LEVEL or state.pse)
        leaf = present and (last or bool(large))
        reserved = fmt.reserved(level, entry, bool(large), state.nxe) if present else 0
        if present:
            rights = rights.narrowed(fmt, level, entry, state.nxe)
        step = WalkStep(level, table, index, entry, present, leaf, bool(large), rights, reserved)
        result.steps.append(step)
        if not present:
            result.stop = f"the {level.name} entry {index} is not present (P=0)"
            return result
        if reserved:
            result.stop = (f"the {level.name} entry {index} has reserved bits set "
                           f"(0x{reserved:x}): the CPU raises #PF with RSVD=1")
            return result
        if leaf:
            size = level.large_page if large else PAGE_SIZE
            base = fmt.page_address(level, entry, bool(large))
            result.mapped = True
            result.page_size = size
            result.pa = base + (va & (size - 1))
            result.rights = Rights(rights.write, rights.user, rights.execute,
                                   bool(entry & PTE_G))
            pat_bit = PTE_PAT_LARGE if large else PTE_PAT
            result.pat_index = (4 if entry & pat_bit else 0) | (2 if entry & PTE_PCD else 0) | \
                (1 if entry & PTE_PWT else 0)
            return result
        table = fmt.table_address(level, entry)
    raise AssertionError("a walk always ends at a leaf or a non-present entry")


def size_text(size):
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f} {name}" if value == int(value) else f"{value:.1f} {name}"
    return f"{size} B"


def describe_walk(w):
    """The walk as text lines: one per level, then the result (the kernel's walk has the same
    columns: kernel/paging/paging_describe.c)."""
    state = w.state
    if not state.enabled:
        return [f"walk of {hex_addr(w.va)}: {state.summary()}",
                f"  -> pa {hex_addr(w.pa, 9)} (no tables are read)"]
    fmt = state.format
    digits = 16 if fmt.va_bits > 32 else 8
    lines = [f"walk of {hex_addr(fmt.sign_extend(w.va), digits)} through the {fmt.title} tables "
             f"({state.switches()}):"]
    width = fmt.entry_size * 2
    for step in w.steps:
        kind = "not present" if not step.present else "page" if step.leaf else "table"
        text = (f"  {step.level.name:<4} table {hex_addr(step.table, 9)} [{step.index:4}] = "
                f"{hex_addr(step.entry, width)}  {kind:<5}")
        if step.present:
            text += f"  so far {step.rights.so_far()}"
            text += "  " + " ".join(describe_entry(fmt, step.level, step.entry, step.leaf,
                                                   step.large))
            if not step.leaf:
                text += f" -> {hex_addr(fmt.table_address(step.level, step.entry), 9)}"
        lines.append(text.rstrip())
    if w.mapped:
        lines.append(f"  -> pa {hex_addr(w.pa, 9)}, {size_text(w.page_size)} page, "
                     f"{w.rights.text()}, PAT index {w.pat_index}")
    else:
        lines.append(f"  -> not mapped: {w.stop}")
    return lines


class Mapping:
    """One leaf: a page (4 KiB or large) at va, backed by pa, with its effective rights."""

    def __init__(self, va, size, pa, rights):
        self.va, self.size, self.pa, self.rights = va, size, pa, rights


def mappings(state, read_table, start=0, end=None):
    """Every leaf mapping of the tables, in VA order, within [start, end).

    read_table(physical_address, count, entry_size) -> list of ints reads a whole table at once.
    Entries with reserved bits are not mappings (the CPU faults on them).
    """
    fmt = state.format
    if end is None:
        end = 1 << fmt.va_bits

    def visit(depth, table, base, rights):
        level = fmt.levels[depth]
        entries = fmt.root_entries() if depth == 0 else level.entries
        first = max(0, (start - base) >> level.shift) if start > base else 0
        last = min(entries, ((end - base + level.span - 1) >> level.shift)) if end > base else 0
        if first >= last:
            return
        values = read_table(table, entries, fmt.entry_size)
        for index in range(first, last):
            entry = values[index]
            if not entry & PTE_P:
                continue
            va = base + (index << level.shift)
            is_last = depth == len(fmt.levels) - 1
            large = not is_last and level.large_page and bool(entry & PTE_PS) and \
                (fmt is not TWO_LEVEL or state.pse)
            if fmt.reserved(level, entry, bool(large), state.nxe):
                continue
            now = rights.narrowed(fmt, level, entry, state.nxe)
            if is_last or large:
                size = level.large_page if large else PAGE_SIZE
                yield Mapping(va, size, fmt.page_address(level, entry, bool(large)),
                              Rights(now.write, now.user, now.execute, bool(entry & PTE_G)))
            else:
                yield from visit(depth + 1, fmt.table_address(level, entry), va, now)

    yield from visit(0, fmt.root(state.cr3), 0, Rights())


class Run:
    """Adjacent mappings with the same rights: one line of the listing."""

    def __init__(self, first):
        self.start = first.va
        self.end = first.va + first.size
        self.rights = first.rights
        self.pa_start = first.pa
        self.contiguous = True
        self.sizes = {first.size: 1}

    def extend(self, m):
        if m.pa != self.pa_start + (self.end - self.start):
            self.contiguous = False
        self.end = m.va + m.size
        self.sizes[m.size] = self.sizes.get(m.size, 0) + 1


def merge_runs(maps, key=lambda rights: rights):
    """Merges adjacent mappings whose key(rights) is equal, as QEMU's `info mem` does (there the
    key is user and write; here by default all of write, user, execute and global)."""
    runs = []
    for m in maps:
        if runs and runs[-1].end == m.va and key(runs[-1].rights) == key(m.rights):
            runs[-1].extend(m)
        else:
            runs.append(Run(m))
    return runs


def describe_runs(state, runs):
    fmt = state.format
    digits = 16 if fmt.va_bits > 32 else 8
    lines = [f"mapped ranges through the {fmt.title} tables ({state.switches()}):"]
    pages = {}
    for run in runs:
        for size, count in run.sizes.items():
            pages[size] = pages.get(size, 0) + count
        if run.contiguous:
            last = run.pa_start + run.end - run.start - 1
            where = f"phys {hex_addr(run.pa_start, 9)}-{hex_addr(last, 9)}"
        else:
            count = sum(run.sizes.values())
            where = f"phys scattered ({count} pages)"
        lines.append(f"  {hex_addr(fmt.sign_extend(run.start), digits)}-"
                     f"{hex_addr(fmt.sign_extend(run.end - 1), digits)} "
                     f"{size_text(run.end - run.start):>9}  {run.rights.text():<24} {where}")
    counts = ", ".join(f"{count} of {size_text(size)}" for size, count in sorted(pages.items()))
    lines.append(f"  {len(runs)} runs; pages: {counts or 'none'}")
    return lines


# ---------------------------------------------------------------------------------------------
# QEMU's monitor text, parsed: `xp` dumps, `info registers`, `info tlb`, `info mem`.
# ---------------------------------------------------------------------------------------------

def matching_lines(pattern, text):
    """The matches of PATTERN against each line of TEXT, in order; other lines are skipped."""
    for line in text.splitlines():
        m = pattern.match(line.strip())
        if m:
            yield m


XP_LINE = re.compile(r"^([0-9a-fA-F]+):((?:\s+0x[0-9a-fA-F]+)+)\s*$")


def parse_xp(text):
    """`xp /Nwx ADDR` or `/Ngx` output -> the values in order."""
    return [int(v, 16) for m in matching_lines(XP_LINE, text) for v in m.group(2).split()]


REGISTER_FIELD = re.compile(r"\b(CR0|CR2|CR3|CR4|EFER)=([0-9a-fA-F]+)")
CS_LINE = re.compile(r"^CS =([0-9a-fA-F]+) ([0-9a-fA-F]+) ([0-9a-fA-F]+) ([0-9a-fA-F]+)", re.M)
DESC_L = 1 << 21  # code segment descriptor: 64-bit code (QEMU prints the descriptor's flags)


def parse_info_registers(text):
    """`info registers` -> {'CR0': int, ..., 'CS_FLAGS': int}."""
    found = {name: int(value, 16) for name, value in REGISTER_FIELD.findall(text)}
    m = CS_LINE.search(text)
    if m:
        found["CS_FLAGS"] = int(m.group(4), 16)
    return found


TLB_LINE = re.compile(r"^([0-9a-fA-F]+): ([0-9a-fA-F]+) ([-XGPDACTUW]{9})$")
TLB_FLAGS = "XGPDACTUW"  # QEMU's letters, in its order: NX G PS D A PCD PWT US RW


def parse_info_tlb(text):
    """`info tlb` -> [(va, pa, flags string)] (leaf entries only, flags of the leaf)."""
    return [(int(m.group(1), 16), int(m.group(2), 16), m.group(3))
            for m in matching_lines(TLB_LINE, text)]


def tlb_flags(entry, large):
    """The nine letters `info tlb` prints for a leaf entry, from its bits."""
    marks = [(PTE_NX, "X"), (PTE_G, "G"), (PTE_PS if large else 0, "P"), (PTE_D, "D"),
             (PTE_A, "A"), (PTE_PCD, "C"), (PTE_PWT, "T"), (PTE_US, "U"), (PTE_RW, "W")]
    return "".join(letter if bit and entry & bit else "-" for bit, letter in marks)


MEM_LINE = re.compile(r"^([0-9a-fA-F]+)-([0-9a-fA-F]+) ([0-9a-fA-F]+) ([u-])r([w-])$")


def parse_info_mem(text):
    """`info mem` -> [(start, end, user, write)], end exclusive."""
    return [(int(m.group(1), 16), int(m.group(2), 16), m.group(4) == "u", m.group(5) == "w")
            for m in matching_lines(MEM_LINE, text)]


# ---------------------------------------------------------------------------------------------
# The loader's debug file: a PE image with DWARF (loader/meson.build links it with /debug:dwarf
# beside the shipped BOOT*.EFI). Enough of PE/COFF to relocate and compare it.
# ---------------------------------------------------------------------------------------------

class PeError(Exception):
    pass


class PeImage:
    IMAGE_REL_BASED_ABSOLUTE = 0
    IMAGE_REL_BASED_HIGHLOW = 3
    IMAGE_REL_BASED_DIR64 = 10

    def __init__(self, data, name="image"):
        self.data = data
        self.name = name
        try:
            self._parse()
        except struct.error:
            raise PeError(f"{name}: truncated ({len(data)} bytes)") from None

    def _parse(self):
        data, name = self.data, self.name
        if data[:2] != b"MZ":
            raise PeError(f"{name}: no MZ header")
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        if data[pe:pe + 4] != b"PE\0\0":
            raise PeError(f"{name}: no PE signature at 0x{pe:x}")
        self.machine, sections, _, _, _, optional_size, _ = struct.unpack_from("<HHIIIHH", data,
                                                                              pe + 4)
        optional = pe + 24
        magic = struct.unpack_from("<H", data, optional)[0]
        if magic == 0x20B:
            self.image_base = struct.unpack_from("<Q", data, optional + 24)[0]
            directories = optional + 112
        elif magic == 0x10B:
            self.image_base = struct.unpack_from("<I", data, optional + 28)[0]
            directories = optional + 96
        else:
            raise PeError(f"{name}: optional header magic 0x{magic:x}")
        self.size_of_image = struct.unpack_from("<I", data, optional + 56)[0]
        self.reloc_rva, self.reloc_size = struct.unpack_from("<II", data, directories + 5 * 8)
        self.sections = []
        table = optional + optional_size
        for i in range(sections):
            raw = data[table + i * 40:table + (i + 1) * 40]
            name_bytes, vsize, rva, raw_size, raw_ptr = struct.unpack_from("<8sIIII", raw)
            sname = name_bytes.rstrip(b"\0").decode(errors="replace")
            if sname.startswith("/"):  # long names live in the COFF string table
                sname = self._long_name(pe, int(sname[1:]))
            self.sections.append((sname, rva, vsize, raw_ptr, raw_size))

    def _long_name(self, pe, offset):
        symbols, count = struct.unpack_from("<II", self.data, pe + 12)
        strings = symbols + count * 18
        end = self.data.index(b"\0", strings + offset)
        return self.data[strings + offset:end].decode(errors="replace")

    def section(self, name):
        for entry in self.sections:
            if entry[0] == name:
                return entry
        raise PeError(f"{self.name}: no section {name}")

    def section_bytes(self, name):
        _, rva, vsize, raw_ptr, raw_size = self.section(name)
        data = self.data[raw_ptr:raw_ptr + min(vsize, raw_size)]
        return rva, data + bytes(vsize - len(data))

    def rva_bytes(self, rva, size):
        for _, srva, vsize, raw_ptr, raw_size in self.sections:
            if srva <= rva and rva + size <= srva + vsize:
                offset = rva - srva
                chunk = self.data[raw_ptr + offset:raw_ptr + min(offset + size, raw_size)]
                return chunk + bytes(size - len(chunk))
        raise PeError(f"{self.name}: RVA 0x{rva:x} is in no section")

    def relocations(self):
        """[(rva, width)] of every base relocation."""
        found = []
        if not self.reloc_size:
            return found
        block = self.rva_bytes(self.reloc_rva, self.reloc_size)
        pos = 0
        while pos + 8 <= len(block):
            page, size = struct.unpack_from("<II", block, pos)
            if size < 8:
                break
            for i in range((size - 8) // 2):
                item = struct.unpack_from("<H", block, pos + 8 + 2 * i)[0]
                kind, offset = item >> 12, item & 0xFFF
                if kind == self.IMAGE_REL_BASED_HIGHLOW:
                    found.append((page + offset, 4))
                elif kind == self.IMAGE_REL_BASED_DIR64:
                    found.append((page + offset, 8))
                elif kind != self.IMAGE_REL_BASED_ABSOLUTE:
                    raise PeError(f"{self.name}: base relocation type {kind} not handled")
            pos += size
        return found

    def relocated_section(self, name, base):
        """A section's bytes as the firmware leaves them once the image is loaded at BASE."""
        rva, data = self.section_bytes(name)
        data = bytearray(data)
        delta = base - self.image_base
        for where, width in self.relocations():
            if rva <= where and where + width <= rva + len(data):
                fmt = "<I" if width == 4 else "<Q"
                value = struct.unpack_from(fmt, data, where - rva)[0]
                struct.pack_into(fmt, data, where - rva, (value + delta) % (1 << (8 * width)))
        return rva, bytes(data)


# ---------------------------------------------------------------------------------------------
# The i386 register view. QEMU's x86_64 gdbstub describes the CPU as x86-64 in every mode, so
# gdb would disassemble and unwind 32-bit code as 64-bit code. The view gdb gets for 32-bit code
# is QEMU's own description with each 64-bit general register split into its low half, named
# like the i386 register, and a high half: the register packets are the same bytes, but gdb
# now runs its i386 code (disassembly, frames, calling convention).
# ---------------------------------------------------------------------------------------------

I386_SPLIT = {"rax": "eax", "rbx": "ebx", "rcx": "ecx", "rdx": "edx", "rsi": "esi",
              "rdi": "edi", "rbp": "ebp", "rsp": "esp", "rip": "eip"}
POINTER_TYPES = {"rbp": "data_ptr", "rsp": "data_ptr", "rip": "code_ptr"}


def i386_view_xml(qemu_xml):
    """QEMU's x86-64 target description -> the same register layout as an i386 target."""
    root = ElementTree.fromstring(qemu_xml)
    arch = root.find("architecture")
    if arch is None or arch.text != "i386:x86-64":
        raise ValueError("not QEMU's x86-64 target description "
                         f"(architecture {arch.text if arch is not None else 'missing'})")
    arch.text = "i386"
    features = root.findall("feature")
    if not any(f.get("name") == "org.gnu.gdb.i386.core" for f in features):
        raise ValueError("no org.gnu.gdb.i386.core feature in the target description")
    for feature in features:
        for element in list(feature):
            name = element.get("name")
            if element.tag != "reg" or name not in I386_SPLIT:
                continue
            if element.get("bitsize") != "64":
                raise ValueError(f"register {name} is {element.get('bitsize')} bits, expected 64")
            element.set("name", I386_SPLIT[name])
            element.set("bitsize", "32")
            element.set("type", POINTER_TYPES.get(name, "int32"))
            high = ElementTree.Element("reg", {"name": f"{name}_high", "bitsize": "32",
                                               "type": "int32", "group": "system"})
            feature.insert(list(feature).index(element) + 1, high)
    # Register numbers: consecutive in document order (the split added registers), so
    # the 'g' packet offsets follow the sizes; single-register packets are switched off.
    number = 0
    for feature in root.findall("feature"):
        for element in feature:
            if element.tag == "reg":
                element.set("regnum", str(number))
                number += 1
    return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n' +
            ElementTree.tostring(root, encoding="unicode") + "\n")


# ---------------------------------------------------------------------------------------------
# Inside gdb.
# ---------------------------------------------------------------------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADER_FILES = {"x64": "loader/BOOTX64.debug.efi", "ia32": "loader/BOOTIA32.debug.efi"}
KERNEL_FILE = "kernel/pagoda.elf"
IMAGE_BASE_LINE = re.compile(r"loader: image base (0x[0-9a-fA-F]+) \((\d+) bytes\)")
LOADER_BANNER = re.compile(r"Pagoda loader (x64|ia32)\b")
KERNEL_VIRT_BASE = 0xC0000000


class PagodaError(Exception):
    pass


class Session:
    """What `pagoda attach` learnt: where QEMU listens, the build, the serial log, the view."""

    def __init__(self):
        self.address = None
        self.build = os.environ.get("PAGODA_BUILD_DIR") or os.path.join(REPO, "build")
        self.serial_log = None
        self.firmware = None  # "x64" or "ia32": which loader runs
        self.view = None  # "32" or "64"
        self.view_choice = "auto"
        self.i386_xml_path = None
        self.loader = None  # (arch, base, size, PeImage)
        self.loader_checked = False  # its .text compared with memory
        self.kernel_loaded = False
        self.switching = False


session = Session()


def run(command):
    return gdb.execute(command, to_string=True)


def monitor(command):
    text = run(f"monitor {command}")
    if "unknown command" in text:
        raise PagodaError(f"QEMU's monitor does not know `{command}`")
    return text


def read_phys_table(address, count, entry_size):
    """COUNT entries from physical memory, through QEMU's `xp` (any physical address, whatever
    the register view; gdb's own memory reads go through the CPU's current tables)."""
    letter = "w" if entry_size == 4 else "g"
    values = parse_xp(monitor(f"xp /{count}{letter}x 0x{address:x}"))
    if len(values) != count:
        raise PagodaError(f"xp at 0x{address:x} gave {len(values)} of {count} values")
    return values


def read_phys_entry(address, entry_size):
    return read_phys_table(address, 1, entry_size)[0]


def read_phys_bytes(address, size):
    words = read_phys_table(address, (size + 7) // 8, 8)
    return b"".join(struct.pack("<Q", w) for w in words)[:size]


def register(name):
    """A control register: gdb's register when QEMU describes it, else `info registers`."""
    try:
        return int(gdb.parse_and_eval(f"${name.lower()}")) & ((1 << 64) - 1)
    except gdb.error:
        found = parse_info_registers(monitor("info registers"))
        if name.upper() not in found:
            raise PagodaError(f"QEMU reports no {name}")
        return found[name.upper()]


def paging_state():
    return PagingState(register("cr0"), register("cr3"), register("cr4"), register("efer"))


def cpu_in_64bit_code():
    found = parse_info_registers(monitor("info registers"))
    return bool(found.get("EFER", 0) & EFER_LMA) and bool(found.get("CS_FLAGS", 0) & DESC_L)


def parse_number(text):
    """A number or any gdb expression (a symbol, $cr2, &var)."""
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        value = gdb.parse_and_eval(text)
        if value.type.code == gdb.TYPE_CODE_FUNC:
            value = value.address
        return int(value) & ((1 << 64) - 1)
    except gdb.error as e:
        raise PagodaError(f"{text}: {e}")


def split_options(argument, options):
    """'X --cr3 Y' -> (['X'], {'--cr3': 'Y'}); OPTIONS: the names that take a value."""
    words = shlex.split(argument)
    plain, found = [], {}
    i = 0
    while i < len(words):
        if words[i] in options:
            if i + 1 >= len(words):
                raise PagodaError(f"{words[i]} needs a value")
            found[words[i]] = words[i + 1]
            i += 2
        elif words[i].startswith("--"):
            raise PagodaError(f"unknown option {words[i]} (known: {', '.join(options)})")
        else:
            plain.append(words[i])
            i += 1
    return plain, found


def connect(view):
    """(Re)connects to QEMU with the register view VIEW ("32" or "64"). QEMU keeps the CPU
    stopped while no debugger is connected, so this loses nothing."""
    if view == "32" and session.i386_xml_path is None:
        raise PagodaError("the i386 view is made from QEMU's description: attach first")
    session.switching = True  # the stop a connection reports is not the CPU changing mode
    try:
        connect_now(view)
    finally:
        session.switching = False


def connect_now(view):
    if gdb.selected_inferior().pid:
        run("disconnect")
    if view == "32":
        run(f"set tdesc filename {session.i386_xml_path}")
        run("set architecture i386")
    else:
        run("unset tdesc filename")
        run("set architecture i386:x86-64")
    # The i386 view numbers its registers differently from QEMU: whole-file packets only.
    run(f"set remote fetch-register-packet {'off' if view == '32' else 'auto'}")
    run(f"set remote set-register-packet {'off' if view == '32' else 'auto'}")
    run(f"target remote {session.address}")
    session.view = view


def wanted_view():
    if session.view_choice != "auto":
        return session.view_choice
    return "64" if cpu_in_64bit_code() else "32"


def on_stop(event):
    """After every stop: the register view follows the CPU between long mode and 32-bit code,
    and the loader's code is compared with its file once it is in memory."""
    if session.address is None or session.switching:
        return
    if session.loader and not session.loader_checked:
        check_loader_text()
    if session.view_choice != "auto":
        return
    try:
        view = wanted_view()
    except (gdb.error, PagodaError):
        return
    if view != session.view:
        switch_view(view)


def cpu_stopped():
    thread = gdb.selected_thread()
    return thread is not None and thread.is_stopped()


def switch_view(view):
    """Runs from gdb's event loop after a stop: only if the CPU is still stopped and in a mode
    the view does not fit."""
    try:
        if not cpu_stopped() or session.view == view or wanted_view() != view:
            return
        connect(view)
    except (gdb.error, PagodaError) as e:
        gdb.write(f"pagoda: could not switch the register view: {e}\n")
        return
    gdb.write(f"pagoda: the CPU runs {'64-bit' if view == '64' else '32-bit'} code: register "
              f"view {'x86-64' if view == '64' else 'i386'} from here (the stop above was read "
              f"in the {'i386' if view == '64' else 'x86-64'} view)\n")


def build_file(relative):
    path = os.path.join(session.build, relative)
    if not os.path.exists(path):
        raise PagodaError(f"{path} not found (build first: tools/pagoda build; "
                          "or pagoda attach --build DIR)")
    return path


def load_kernel_symbols():
    path = build_file(KERNEL_FILE)
    # The ELF's own addresses are right: .boot at its physical address (it runs there), the
    # rest in the higher half (kernel/linker.ld).
    run(f"symbol-file {shlex.quote(path)}")
    session.kernel_loaded = True
    return path


def serial_text():
    if not session.serial_log:
        return ""
    try:
        with open(session.serial_log, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def loader_from_serial():
    text = serial_text()
    bases = IMAGE_BASE_LINE.findall(text)
    if not bases:
        return None
    banners = LOADER_BANNER.findall(text)
    base, size = bases[-1]
    return (banners[-1] if banners else None), int(base, 16), int(size)


class PagodaCommand(gdb.Command if gdb else object):
    """Pagoda under QEMU: symbols, breakpoints, page tables. `help pagoda SUBCOMMAND` for one.

pagoda attach HOST:PORT [--firmware x64|ia32] [--build DIR] [--serial-log FILE]
pagoda view [32|64|auto]
pagoda loader [BASE] [--arch x64|ia32]
pagoda break LOCATION
pagoda regs
pagoda walk VA [--cr3 CR3] [--format 2level|pae|4level]
pagoda maps [START END] [--cr3 CR3] [--format 2level|pae|4level]"""

    def __init__(self):
        super().__init__("pagoda", gdb.COMMAND_USER, prefix=True)


class Subcommand(gdb.Command if gdb else object):
    name = None

    def __init__(self):
        super().__init__(f"pagoda {self.name}", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        try:
            self.act(argument)
        except PagodaError as e:
            raise gdb.GdbError(f"pagoda {self.name}: {e}")


class AttachCommand(Subcommand):
    """Connect to QEMU's gdb stub: pagoda attach HOST:PORT [--firmware x64|ia32] [--build DIR]
[--serial-log FILE]

Connects, makes the i386 register view from QEMU's description, picks the view the CPU needs
(x86-64 in long mode, i386 otherwise; it follows the CPU at every stop), loads the kernel's
symbols, and the loader's if the serial log already shows its image base. --firmware says which
loader runs (BOOTX64.EFI or BOOTIA32.EFI) before its banner is on serial."""
    name = "attach"

    def act(self, argument):
        plain, options = split_options(argument, ["--firmware", "--build", "--serial-log"])
        if len(plain) != 1:
            raise PagodaError("usage: pagoda attach HOST:PORT [--firmware x64|ia32] "
                              "[--build DIR] [--serial-log FILE]")
        if options.get("--firmware") not in (None, "x64", "ia32"):
            raise PagodaError("--firmware is x64 or ia32")
        session.firmware = options.get("--firmware")
        session.address = plain[0]
        session.build = os.path.abspath(options.get("--build", session.build))
        session.serial_log = options.get("--serial-log")
        run("set pagination off")
        run("set confirm off")
        connect("64")
        xml = run("maint print xml-tdesc")
        xml = xml[xml.index("<?xml"):] if "<?xml" in xml else xml
        if session.i386_xml_path is None:
            handle, session.i386_xml_path = tempfile.mkstemp(prefix="pagoda-i386-",
                                                             suffix=".xml")
            os.close(handle)
            atexit.register(os.unlink, session.i386_xml_path)
        with open(session.i386_xml_path, "w") as f:
            f.write(i386_view_xml(xml))
        view = wanted_view()
        if view != "64":
            connect(view)
        kernel = load_kernel_symbols()
        gdb.write(f"pagoda: attached to {session.address}; register view "
                  f"{'x86-64' if view == '64' else 'i386'}; kernel symbols from {kernel}\n")
        found = loader_from_serial()
        if found:
            load_loader(found[0], found[1], found[2])
        gdb.write(f"pagoda: {paging_state().summary()}\n")


class ViewCommand(Subcommand):
    """Register view: pagoda view [32|64|auto]

32: i386 (32-bit code: the IA32 firmware and loader, the trampoline's end, the kernel); 64:
x86-64 (the x64 firmware and loader in long mode); auto (default): follow the CPU at every
stop. Without an argument: reconnect with the view the CPU needs now."""
    name = "view"

    def act(self, argument):
        choice = argument.strip() or "auto"
        if choice not in ("32", "64", "auto"):
            raise PagodaError("usage: pagoda view [32|64|auto]")
        session.view_choice = choice
        view = wanted_view()
        if view != session.view:
            connect(view)
        gdb.write(f"pagoda: register view {'x86-64' if view == '64' else 'i386'} "
                  f"({'follows the CPU' if choice == 'auto' else 'fixed'})\n")


def load_loader(arch, base, size=None):
    arch = arch or session.firmware
    if arch is None:
        raise PagodaError("which loader: x64 or ia32? (--arch, or pagoda attach --firmware)")
    path = build_file(LOADER_FILES[arch])
    with open(path, "rb") as f:
        image = PeImage(f.read(), path)
    offset = base - image.image_base
    if session.loader:
        _, old_base, _, old_image = session.loader
        run(f"remove-symbol-file -a 0x{old_base + old_image.section('.text')[1]:x}")
    run(f"add-symbol-file {shlex.quote(path)} -o {offset:#x}")
    session.loader = (arch, base, size or image.size_of_image, image)
    session.loader_checked = False
    gdb.write(f"pagoda: loader symbols from {path} at image base 0x{base:x} "
              f"(linked at 0x{image.image_base:x})\n")
    check_loader_text()


def check_loader_text():
    """Once the image is in memory: is its code this file's code, relocated to its base?"""
    _, base, _, image = session.loader
    try:
        if read_phys_bytes(base, 2) != b"MZ":
            gdb.write(f"pagoda: no image at 0x{base:x} yet (the firmware loads the loader "
                      "later); its code is compared with the file at a stop once it is there\n")
            return
        rva, expected = image.relocated_section(".text", base)
        actual = read_phys_bytes(base + rva, len(expected))
    except PagodaError as e:
        gdb.write(f"pagoda: could not read the loader's image: {e}\n")
        return
    session.loader_checked = True
    if actual == expected:
        gdb.write(f"pagoda: the {len(expected)} bytes of .text at 0x{base + rva:x} match the "
                  "file\n")
        return
    differing = sum(1 for a, b in zip(actual, expected) if a != b)
    gdb.write(f"pagoda: WARNING: {differing} of {len(expected)} bytes of .text at "
              f"0x{base + rva:x} differ from the file: another loader than this build's (rebuilt "
              "since the image was made?), or its memory was reused\n")


class LoaderCommand(Subcommand):
    """The loader's symbols: pagoda loader [BASE] [--arch x64|ia32]

BASE is the image base the loader prints ("loader: image base 0x..."); without it the serial
log given to `pagoda attach` is read. The firmware puts the loader at the same base on every
boot with the same QEMU options, so a base from an earlier boot lets you stop at efi_main:
`pagoda loader 0x...`, `pagoda break efi_main`, `continue`. The symbols come from
build/loader/BOOT*.debug.efi (the same link as BOOT*.EFI, with DWARF); the code in memory is
compared with the file."""
    name = "loader"

    def act(self, argument):
        plain, options = split_options(argument, ["--arch"])
        arch = options.get("--arch")
        if arch not in (None, "x64", "ia32"):
            raise PagodaError("--arch is x64 or ia32")
        if plain:
            base, size = parse_number(plain[0]), None
            found = loader_from_serial()
            arch = arch or (found[0] if found else None)
        else:
            found = loader_from_serial()
            if not found:
                raise PagodaError("no 'loader: image base' line in the serial log yet "
                                  f"({session.serial_log or 'no --serial-log given'}): give the "
                                  "base, or continue until the loader prints it")
            arch, base, size = arch or found[0], found[1], found[2]
        load_loader(arch, base, size)


def symbol_range(name):
    try:
        return int(gdb.parse_and_eval(f"(unsigned long)&{name}"))
    except gdb.error:
        return None


def breakpoint_reason(address):
    """Why a breakpoint at ADDRESS must be a hardware one, or None if a software one is safe.

    A software breakpoint is an int3 written into memory (under KVM; TCG keeps them aside, but
    gdb and the script do not depend on which), through the tables live when gdb inserts it."""
    boot_start, boot_end = symbol_range("kernel_boot_start"), symbol_range("kernel_boot_end")
    if boot_start is not None and boot_start <= address < boot_end:
        return ("in .boot: it runs at its physical address with paging off and across the "
                "paging switch, and the loader copies the kernel there only after "
                "ExitBootServices")
    if session.loader and session.loader[1] <= address < session.loader[1] + session.loader[2]:
        return ("in the loader: the firmware's tables map it until the trampoline turns paging "
                "off, around ExitBootServices")
    state = paging_state()
    if not state.enabled:
        return "paging is off now: the address means something else once the kernel's tables run"
    w = walk(state, address, read_phys_entry)
    if not w.mapped:
        return f"{hex_addr(address)} is not mapped yet ({w.stop})"
    if address >= KERNEL_VIRT_BASE and state.format is not FOUR_LEVEL and \
            w.pa != address - KERNEL_VIRT_BASE:
        return "the kernel's own tables are not live yet"
    if state.format is FOUR_LEVEL and address >= KERNEL_VIRT_BASE:
        return "the kernel's own tables are not live yet (the CPU is in long mode)"
    return None


class BreakCommand(Subcommand):
    """A breakpoint that survives: pagoda break LOCATION

LOCATION as for `break` (a function, FILE:LINE, *ADDRESS). A hardware breakpoint (a debug
register matches the linear address) where a software one would be lost: in .boot, in the
loader, before the kernel's tables are live; a software one otherwise. Under KVM there are 4
debug registers; under TCG (the default without KVM) no limit."""
    name = "break"

    def act(self, argument):
        if not argument.strip():
            raise PagodaError("usage: pagoda break LOCATION")
        spec = argument.strip()
        try:
            _, sals = gdb.decode_line(spec)
        except gdb.error as e:
            raise PagodaError(str(e))
        if not sals:
            raise PagodaError(f"{spec}: no code address")
        address = sals[0].pc
        reason = breakpoint_reason(address)
        if reason:
            gdb.execute(f"hbreak {spec}")
            gdb.write(f"pagoda: hardware breakpoint: {reason}\n")
        else:
            gdb.execute(f"break {spec}")
            gdb.write("pagoda: software breakpoint: the kernel's tables map it to its code\n")


class RegsCommand(Subcommand):
    """CR0, CR3, CR4 and EFER, decoded, and the paging format they select: pagoda regs"""
    name = "regs"

    def act(self, argument):
        s = paging_state()
        cr0, cr3, cr4, efer = s.cr0, s.cr3, s.cr4, s.efer

        def flags(value, names):
            return " ".join(f"{name}={int(bool(value & bit))}" for bit, name in names)

        cr0_bits = [(CR0_PE, "PE"), (CR0_WP, "WP"), (CR0_PG, "PG")]
        cr4_bits = [(CR4_PSE, "PSE"), (CR4_PAE, "PAE"), (CR4_PGE, "PGE")]
        efer_bits = [(EFER_LME, "LME"), (EFER_LMA, "LMA"), (EFER_NXE, "NXE")]
        gdb.write(f"CR0  0x{cr0:08x}  {flags(cr0, cr0_bits)}\n")
        root = s.format.root(cr3) if s.format else cr3 & ~0xFFF
        gdb.write(f"CR3  0x{cr3:08x}  {'PDPT' if s.format is PAE else 'root table'} at "
                  f"0x{root:x}  {flags(cr3, [(CR3_PWT, 'PWT'), (CR3_PCD, 'PCD')])}\n")
        gdb.write(f"CR4  0x{cr4:08x}  {flags(cr4, cr4_bits)}\n")
        gdb.write(f"EFER 0x{efer:08x}  {flags(efer, efer_bits)}\n")
        gdb.write(f"-> {s.summary()}\n")


def state_for(options):
    """The CPU's paging state, or the one --cr3 and --format describe."""
    state = paging_state()
    if "--cr3" in options:
        state = state.with_cr3(parse_number(options["--cr3"]))
    if "--format" in options:
        if options["--format"] not in FORMATS:
            raise PagodaError(f"--format is one of {', '.join(FORMATS)}")
        state = state.with_format(options["--format"])
    return state


class WalkCommand(Subcommand):
    """One address through the live tables: pagoda walk VA [--cr3 CR3] [--format F]

VA: a number or an expression ($pc, $cr2, &variable, a function). Every level: the table's
physical address, the index, the raw entry, its bits; then the frame and the rights, or the
level where the walk stops and why. --cr3 walks another address space's tables; --format
(2level, pae, 4level) reads them in another format than the CPU's, e.g. the tables
vm_switch_paging is about to load."""
    name = "walk"

    def act(self, argument):
        plain, options = split_options(argument, ["--cr3", "--format"])
        if len(plain) != 1:
            raise PagodaError("usage: pagoda walk VA [--cr3 CR3] [--format 2level|pae|4level]")
        va = parse_number(plain[0])
        state = state_for(options)
        if state.format is not None and state.format.va_bits > 32:
            va &= (1 << 64) - 1
        gdb.write("\n".join(describe_walk(walk(state, va, read_phys_entry))) + "\n")


class MapsCommand(Subcommand):
    """The mapped ranges: pagoda maps [START END] [--cr3 CR3] [--format F]

Every present leaf of the tables, merged into runs of adjacent pages with the same rights
(write, user, execute: NX under PAE with EFER.NXE; global), as QEMU's `info mem` merges them
(it keeps only user and write); with the physical range when the run is contiguous. --cr3 and
--format as for `pagoda walk`."""
    name = "maps"

    def act(self, argument):
        plain, options = split_options(argument, ["--cr3", "--format"])
        if len(plain) not in (0, 2):
            raise PagodaError("usage: pagoda maps [START END] [--cr3 CR3] [--format F]")
        state = state_for(options)
        if not state.enabled:
            raise PagodaError(state.summary())
        start, end = (parse_number(plain[0]), parse_number(plain[1])) if plain else (0, None)
        if plain and state.format.va_bits == 48:  # canonical addresses -> the 48-bit space
            start, end = start & ((1 << 48) - 1), end & ((1 << 48) - 1)
        runs = merge_runs(mappings(state, read_phys_table, start, end))
        gdb.write("\n".join(describe_runs(state, runs)) + "\n")


if gdb is not None:
    PagodaCommand()
    for command in (AttachCommand, ViewCommand, LoaderCommand, BreakCommand, RegsCommand,
                    WalkCommand, MapsCommand):
        command()
    gdb.events.stop.connect(on_stop)
