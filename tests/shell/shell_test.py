#!/usr/bin/env python3
"""The shell in a whole boot, driven like a person at a terminal, reported as TAP.

Each case makes its own disk image (tools/mkimage.py, with programs.tar) and boots it with
tools/qemu.py, the serial port on a unix socket (--serial-socket) and the monitor on another.
The test types into the serial port and waits for what the shell prints, each wait with its own
deadline (expect-style); a missing answer fails the point and ends the case, never hangs it.

  - session (`shell-*-pae`, `shell-*-2level`): sh as the default first process in mode=boot; every
    command of the shell, each checked against numbers the kernel reports by other means: the
    boot log's frame pool and kernel-half table, the kernel's own symbol table, the page-table
    entries as QEMU's monitor reads them from guest memory (`xp`), the kernel's fault line, and
    its end-of-run line; bad input lines; a program in the background; Ctrl-C of a program that
    runs and at the prompt; line editing and history over serial; Ctrl-D ends the shell.
  - keyboard (`shell-x64-ps2`): the same shell typed on the emulated PS/2 keyboard with the
    monitor's `sendkey` (Shift, Caps Lock, arrows, Backspace, history, Ctrl-C, Ctrl-D), each
    result read on serial; the text cursor on the framebuffer, found in the monitor's
    `screendump`, moving with the keys and back over Backspace.
  - no keyboard (`shell-x64-no-i8042`): QEMU without an i8042 (-machine i8042=off): the kernel
    says so on the screen and the serial port still drives the shell.

    shell_test.py --list
    shell_test.py CASE --bootx64 F --bootia32 F --kernel F --programs TAR [--log-dir DIR]
"""

import argparse
import os
import re
import socket
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import mkimage  # noqa: E402
import qemu  # noqa: E402
from taplib import Tap  # noqa: E402  (tests/taplib.py)

BOOT_TIMEOUT = {"x64": 180, "ia32": 300}  # seconds to the first prompt; TCG on a shared machine
COMMAND_TIMEOUT = 45
PROMPT = "pagoda$ "
PROMPT_AT_END = re.compile(r"(?:^|\n)pagoda\$ $")
ESCAPES = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")
KERNEL_BASE = 0xC0000000
STACK_TOP_PAGE = 0xBFFFF000
NOTHING_THERE = 0x10000000  # between the program image and the heap: in no region

CASES = {
    "shell-x64-pae": {"kind": "session", "firmware": "x64", "paging": "pae"},
    "shell-x64-2level": {"kind": "session", "firmware": "x64", "paging": "2level"},
    "shell-ia32-pae": {"kind": "session", "firmware": "ia32", "paging": "pae"},
    "shell-ia32-2level": {"kind": "session", "firmware": "ia32", "paging": "2level"},
    "shell-x64-ps2": {"kind": "keyboard", "firmware": "x64", "paging": "pae"},
    "shell-x64-no-i8042": {"kind": "no_keyboard", "firmware": "x64", "paging": "2level"},
}
# The default qemu suite runs these; the rest go to the matrix suite.
DEFAULT = ["shell-x64-pae", "shell-x64-2level", "shell-x64-ps2",
           "shell-x64-no-i8042"]


class Timeout(Exception):
    pass


def clean(raw):
    return ESCAPES.sub("", raw.decode("utf-8", errors="replace")).replace("\r", "")


class Console:
    """The serial port: what was read so far, and waits for a pattern with a deadline."""

    def __init__(self, path, deadline):
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise Timeout(f"QEMU made no serial socket {path}")
            time.sleep(0.1)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.raw = b""
        self.seen = 0  # how much of the cleaned text earlier waits consumed

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def text(self):
        return clean(self.raw)

    def expect(self, pattern, timeout, at_end=False):
        """Waits for pattern in what came since the last wait; returns that text up to the match
        (and moves past it). at_end: the match must end the text read so far."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()[self.seen:]
            for m in rx.finditer(text):
                if not at_end or m.end() == len(text):
                    self.seen += m.end()
                    return text[:m.end()]
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"no /{rx.pattern}/ within {timeout} s; the console shows:\n"
                              + "\n".join(text.splitlines()[-15:]))
            self.sock.settimeout(min(left, 1.0))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                raise Timeout(f"the serial socket closed while waiting for /{rx.pattern}/")
            self.raw += chunk


class Shell:
    def __init__(self, console, monitor):
        self.console = console
        self.monitor = monitor

    def prompt(self, timeout=COMMAND_TIMEOUT):
        return self.console.expect(PROMPT_AT_END, timeout, at_end=True)

    def run(self, line, timeout=COMMAND_TIMEOUT):
        """Types line and Enter; the output between the echoed line and the next prompt."""
        self.console.send(line + "\r")
        text = self.prompt(timeout)
        first, _, rest = text.partition("\n")
        if line.isprintable() and line not in first:
            raise Timeout(f"the shell echoed {first!r} for {line!r}")
        return rest[: -len(PROMPT)]

    def monitor_command(self, command):
        return qemu.monitor_command(self.monitor, command)


# ---- what the kernel says elsewhere ----

def kernel_symbol(path, name):
    """The value of an ELF32 symbol in the kernel's .symtab."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
                for i in range(shnum)]
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 16):
            st_name, st_value = struct.unpack_from("<II", data, off)
            end = data.index(b"\0", strtab[4] + st_name)
            if data[strtab[4] + st_name:end].decode() == name:
                return st_value
    raise RuntimeError(f"no symbol {name} in {path}")


def boot_log_number(text, pattern, what):
    m = re.search(pattern, text, re.M)
    if not m:
        raise RuntimeError(f"the boot log has no {what} (/{pattern}/)")
    return m


WALK_STEP = re.compile(r"^walk:\s+(PDPT|PD|PT)\s+table 0x([0-9a-f]+) \[\s*(\d+)\] = 0x([0-9a-f]+)"
                       r"\s+(.*?)(  \(maps the page\))?$", re.M)
BIT_NAMES = [(0, "P"), (1, "W"), (2, "U"), (3, "PWT"), (4, "PCD"), (5, "A"), (6, "D"), (8, "G")]


def decode_bits(entry, pae, directory):
    names = [n for bit, n in BIT_NAMES if entry >> bit & 1]
    if directory and entry >> 7 & 1:
        names.insert(names.index("G") if "G" in names else len(names), "PS")
    if pae and entry >> 63 & 1:
        names.append("NX")
    return names


def expected_indices(va, pae):
    if pae:
        return [va >> 30, (va >> 21) & 511, (va >> 12) & 511]
    return [va >> 22, (va >> 12) & 1023]


class Walk:
    def __init__(self, text, pae):
        self.text = text
        self.steps = [(m.group(1), int(m.group(2), 16), int(m.group(3)), int(m.group(4), 16),
                       m.group(5).split() if m.group(5) != "-" else [], bool(m.group(6)))
                      for m in WALK_STEP.finditer(text)]
        m = re.search(r"CR3 0x([0-9a-f]+)", text)
        self.cr3 = int(m.group(1), 16) if m else None
        m = re.search(r"-> frame 0x([0-9a-f]+) \+ offset 0x([0-9a-f]+) = pa 0x([0-9a-f]+); "
                      r"(\d+ [KM]iB) page, (\S+) (user|supervisor only)(, global)?", text)
        self.mapped = m is not None
        if m:
            self.frame, self.pa = int(m.group(1), 16), int(m.group(3), 16)
            self.page, self.prot, self.user, self.glob = (m.group(4), m.group(5),
                                                           m.group(6) == "user", bool(m.group(7)))
        self.stop = re.search(r"-> stops at (\w+)\[(\d+)\]", text)
        self.pae = pae

    def names(self):
        return [s[0] for s in self.steps]

    def chain_problems(self):
        """The tables must chain: CR3 -> root, each entry's address -> the next table, the leaf's
        address -> the frame; the printed bits must be the raw entry's."""
        problems = []
        addr_mask = 0x000FFFFFFFFFF000 if self.pae else 0xFFFFF000
        if self.steps and self.cr3 is not None:
            root = self.cr3 & (0xFFFFFFE0 if self.pae else 0xFFFFF000)
            if self.steps[0][1] != root:
                problems.append(f"root table 0x{self.steps[0][1]:x} is not CR3's 0x{root:x}")
        for i, (name, table, index, entry, bits, leaf) in enumerate(self.steps):
            want = decode_bits(entry, self.pae, name != "PT")
            if bits != want:
                problems.append(f"{name}: bits {bits} printed, the entry 0x{entry:x} has {want}")
            if i + 1 < len(self.steps) and entry & addr_mask != self.steps[i + 1][1]:
                problems.append(f"{name}[{index}] points at 0x{entry & addr_mask:x}, the next "
                                f"table read is 0x{self.steps[i + 1][1]:x}")
        if self.mapped and self.steps and self.steps[-1][3] & addr_mask != self.frame:
            problems.append(f"the leaf entry's frame 0x{self.steps[-1][3] & addr_mask:x} is not "
                            f"the frame 0x{self.frame:x} printed")
        return problems


def check_walk_in_memory(tap, shell, walk, what):
    """Each entry the walk printed, read again from guest memory by QEMU (the A and D bits the
    CPU may set in between aside)."""
    size = 8 if walk.pae else 4
    bad = []
    for name, table, index, entry, _, _ in walk.steps:
        address = table + index * size
        reply = shell.monitor_command(f"xp /1{'g' if size == 8 else 'w'}x 0x{address:x}")
        m = re.search(r"[0-9a-f]+:\s+0x([0-9a-f]+)", reply)
        if not m:
            bad.append(f"{name}: the monitor answered {reply!r}")
        elif int(m.group(1), 16) & ~0x60 != entry & ~0x60:
            bad.append(f"{name} entry at 0x{address:x}: memory holds 0x{m.group(1)}, the walk "
                       f"printed 0x{entry:x}")
    tap.check(walk.steps and not bad, f"{what}: every entry printed is the one in guest memory "
              "(QEMU's xp)", bad)


# ---- the session ----

def check_ps(tap, out, sh_tables):
    rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)(.*)$", out, re.M)
    sh = [r for r in rows if r[6] == "sh"]
    tap.check(len(sh) == 1 and sh[0][0] == "1" and sh[0][2] == "running" and
              "(console)" in sh[0][7], "ps: the shell is process 1, running, holding the console",
              out)
    if sh:
        tap.check(int(sh[0][4]) == sh_tables, f"ps: the shell owns {sh_tables} page-table pages "
                  "(the image and the stack in their own tables)", out)
    return rows


def session(tap, shell, case, boot_log, args, workdir):
    pae = case["paging"] == "pae"
    fmt = "PAE" if pae else "two-level"
    levels = ["PDPT", "PD", "PT"] if pae else ["PD", "PT"]
    own_tables = 5 if pae else 3
    tap.check(f"process 1, {fmt} paging" in boot_log, f"sh is the first process, {fmt} paging")

    out = shell.run("help")
    missing = [w for w in ["ps", "vm PID", "walk PID VA", "pt PID", "tlb", "mem", "kill PID",
                           "help", "exit"] if w not in out]
    tap.check(not missing, "help lists every command", [f"missing: {missing}"])

    rows = check_ps(tap, shell.run("ps"), own_tables)

    out = shell.run("vm 1")
    regions = re.findall(r"^vm:\s+0x([0-9a-f]+) 0x([0-9a-f]+)\s+(\w+)\s+([r-][w-][x-])\s+(\d+)"
                         r"\s+(\d+)$", out, re.M)
    m = re.search(r"page-table pages of its own: (.*) = (\d+); kernel-half tables shared with "
                  r"every process: (\d+)", out)
    resident = re.search(r"resident user pages: (\d+)", out)
    ok = bool(regions and m and resident)
    tap.check(ok and all(int(r[4]) == (int(r[1], 16) - int(r[0], 16)) // 4096 for r in regions),
              "vm 1: each region's reserved pages are its size in pages", out)
    kinds = {r[2]: r[3] for r in regions}
    tap.check(kinds.get("code") == "r-x" and kinds.get("stack") == "rw-" and
              kinds.get("guard") == "---", "vm 1: code r-x, stack rw-, guard ---", out)
    if ok:
        tap.check(sum(int(r[5]) for r in regions) == int(resident.group(1)) and
                  rows and int(resident.group(1)) == int([r for r in rows if r[0] == "1"][0][3]),
                  "vm 1: mapped pages add up to the resident pages, which ps reports too", out)
        tap.check(int(m.group(2)) == own_tables and
                  [x for x in m.group(1).split() if not x.isdigit()] == levels,
                  f"vm 1: {own_tables} table pages of its own over the levels {levels}", out)
        kernel_half = int(m.group(3))

    out = shell.run("pt 1")
    per_level = re.findall(r"^pt:\s+(PDPT|PD|PT)\s+(\d+)\s+(\d+)\s+(\d+ [KMG]iB)$", out, re.M)
    total = re.search(r"^pt:\s+total\s+(\d+)\s+(\d+)\s+\(and (\d+) kernel-half tables", out, re.M)
    spans = ["1 GiB", "2 MiB", "4 KiB"] if pae else ["4 MiB", "4 KiB"]
    tap.check([p[0] for p in per_level] == levels and [p[3] for p in per_level] == spans and
              all(int(p[2]) == int(p[1]) * 4096 for p in per_level) and total and
              int(total.group(1)) == own_tables and int(total.group(2)) == own_tables * 4096,
              f"pt 1: pages and bytes per level, one entry maps {spans}", out)
    tap.check(f"{512 if pae else 1024} entries of {8 if pae else 4} bytes" in out,
              f"pt 1: {512 if pae else 1024} entries of {8 if pae else 4} bytes per table", out)
    if ok and total:
        tap.check(int(total.group(3)) == kernel_half, "pt and vm agree on the kernel-half tables")

    out = shell.run("mem")
    zones = re.findall(r"^mem:\s+(below|above) 4 GiB\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.M)
    pool = int(boot_log_number(boot_log, r"allocator: (\d+) frames in the pool", "frame pool")
               .group(1))
    tap.check(len(zones) == 2 and sum(int(z[1]) for z in zones) == pool,
              f"mem: the zones' frames add up to the pool the boot log reported ({pool})", out)
    tap.check(all(int(z[2]) + int(z[3]) == int(z[1]) for z in zones), "mem: free + used = total")
    tables = re.search(r"page tables \(\S+\): .* = (\d+) pages, (\d+) of them the kernel space's "
                       r"own", out)
    tap.check(tables and int(tables.group(1)) == int(tables.group(2)) + own_tables,
              "mem: page tables in use = the kernel space's + the shell's, the only process", out)
    if ok and tables:
        tap.check(int(tables.group(2)) == kernel_half + 1,
                  "mem: the kernel space's tables are the kernel half's and its own root")
    tap.check(re.search(r"^mem:\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$", out, re.M) and
              "large blocks:" in out, "mem: the heap's size classes in use, and large blocks", out)

    # A known kernel address: kernel_main, from the kernel's own symbol table.
    va = kernel_symbol(args.kernel, "kernel_main")
    text = boot_log_number(boot_log, r"^\s+0x([0-9a-f]{8})-0x([0-9a-f]{8}) R-X kernel text\s+phys "
                           r"0x([0-9a-f]+)", "kernel text region")
    start, end, phys = (int(text.group(i), 16) for i in (1, 2, 3))
    walk = Walk(shell.run(f"walk 1 0x{va:x}"), pae)
    want_pa = phys + (va - start)
    tap.check(start <= va <= end and walk.mapped and walk.pa == want_pa and walk.prot == "r-x"
              and not walk.user and walk.glob,
              f"walk of kernel_main 0x{va:x}: pa 0x{want_pa:x} (the boot log's kernel text region), "
              "r-x, supervisor only, global", walk.text)
    tap.check(walk.names() == levels and [s[2] for s in walk.steps] == expected_indices(va, pae),
              f"walk of kernel_main: levels {levels}, indices {expected_indices(va, pae)}",
              walk.text)
    tap.check(not walk.chain_problems(), "walk of kernel_main: the tables chain from CR3 and the "
              "bits printed are the raw entries'", walk.chain_problems())
    check_walk_in_memory(tap, shell, walk, "walk of kernel_main")

    # The shell's own stack: its top page is mapped at spawn.
    walk = Walk(shell.run(f"walk 0 0x{STACK_TOP_PAGE:x}"), pae)
    leaf_bits = walk.steps[-1][4] if walk.steps else []
    tap.check(walk.mapped and walk.prot == ("rw-" if pae else "rwx") and walk.user and
              not walk.glob and "region: stack rw-" in walk.text,
              f"walk of the stack's top page: user, writable, {'no-execute' if pae else 'exec'}, "
              "region stack", walk.text)
    tap.check(("NX" in leaf_bits) == pae and [s[2] for s in walk.steps] ==
              expected_indices(STACK_TOP_PAGE, pae), "walk of the stack: NX bit "
              f"{'set' if pae else 'absent (two-level has none)'}, indices as the address says",
              walk.text)
    tap.check(not walk.chain_problems(), "walk of the stack: the tables chain, bits are the "
              "entries'", walk.chain_problems())
    check_walk_in_memory(tap, shell, walk, "walk of the stack")

    # An unmapped address: the walk stops, and a touch faults where the walk said.
    walk = Walk(shell.run(f"walk 1 0x{NOTHING_THERE:x}"), pae)
    stop_level = "PD"
    stop_index = expected_indices(NOTHING_THERE, pae)[1 if pae else 0]
    tap.check(not walk.mapped and walk.stop and walk.stop.group(1) == stop_level and
              int(walk.stop.group(2)) == stop_index and "region: none" in walk.text,
              f"walk of 0x{NOTHING_THERE:x}: stops at {stop_level}[{stop_index}], no region",
              walk.text)
    out = shell.run(f"poke read 0x{NOTHING_THERE:x}")
    kernel_walk = ("PDPT[0] " if pae else "") + f"PD[{stop_index}] not present"
    tap.check(re.search(rf"pagoda: process \d+ \(poke\) killed: #PF Page Fault at 0x{NOTHING_THERE:08x}"
                        rf".*walk: {re.escape(kernel_walk)}", out) and
              re.search(r"sh: poke \(pid \d+\) killed by #PF \(vector 14\)", out),
              f"poke read: the kernel's fault line walks to the same {stop_level}[{stop_index}], "
              "only poke dies", out)
    out = shell.run(f"poke write 0x{va:x}")
    tap.check(re.search(r"killed: #PF .*protection violation.*a user access to a kernel page", out),
              "poke write into the kernel's code: a protection fault, contained", out)

    # TLB counters move with switches between address spaces.
    first = re.search(r"(\d+) INVLPG, (\d+) CR3 reloads, (\d+) global flushes", shell.run("tlb"))
    out = shell.run("hello one two")
    tap.check('hello: argument 2 is "two"' in out, "a program with arguments", out)
    second = re.search(r"(\d+) INVLPG, (\d+) CR3 reloads, (\d+) global flushes", shell.run("tlb"))
    tap.check(first and second and int(second.group(2)) >= int(first.group(2)) + 2 and
              int(second.group(3)) == 0, "tlb: a program's run reloads CR3 (to it and back), "
              "no global flush (every space shares the kernel half)",
              [f"before {first and first.group(0)}, after {second and second.group(0)}"])

    # Bad input: one line each, and the shell goes on.
    bad_lines = {
        "nosuchprogram": r"sh: nosuchprogram: no such command",
        "walk": r"sh: walk: missing PID",
        "walk 1": r"sh: walk: missing VA",
        "vm abc": r"sh: vm: PID \"abc\" is not a number",
        "walk 1 0x100000000": r"sh: walk: VA 0x100000000 is out of range",
        "walk 1 12zz": r"sh: walk: VA \"12zz\" is not a number",
        "vm 4242": r"sh: vm: process 4242: ESRCH",
        "kill 4242": r"sh: kill: process 4242: ESRCH",
        "kill 1": r"sh: kill: process 1: EPERM",
        "ps now": r"sh: ps: too many arguments",
        "sleep 1 & ps": r"sh: \"&\" must come last",
        "hello \"open": r"sh: a quote",
    }
    for line, pattern in bad_lines.items():
        out = shell.run(line)
        tap.check(re.fullmatch(pattern + r"[^\n]*\n", out), f"bad input {line!r}: one line",
                  [f"got {out!r}"])

    # The background, kill, and the report at the next prompt.
    out = shell.run("sleep 60000 &")
    m = re.search(r"sh: sleep \(pid (\d+)\) runs in the background", out)
    tap.check(m, "sleep 60000 &: started in the background, the prompt is back", out)
    if m:
        pid = m.group(1)
        # Until the scheduler first runs it, the new process is "runnable" (it has not called
        # sleep yet): ask again, a few times, rather than race it.
        for _ in range(10):
            out = shell.run("ps")
            if not re.search(rf"^\s*{pid}\s+1\s+runnable\s.*\ssleep$", out, re.M):
                break
        tap.check(re.search(rf"^\s*{pid}\s+1\s+sleeping\s.*\ssleep$", out, re.M),
                  "ps: the background sleep is the shell's child, sleeping, without the console",
                  out)
        # The killed process ends when it next runs; the shell reports it at a prompt after that.
        out = shell.run(f"kill {pid}")
        for _ in range(5):
            if "in the background" in out:
                break
            time.sleep(0.5)
            out += shell.run("")
        tap.check(f"sh: sleep (pid {pid}) in the background killed by kill()" in out,
                  "kill: the shell reports the background job's end at the next prompt", out)

    # Ctrl-C of a program in the foreground, and at the prompt.
    shell.console.send("sleep 60000\r")
    shell.console.expect(r"sleep 60000\n", COMMAND_TIMEOUT)
    time.sleep(1.0)
    shell.console.send("\x03")
    out = shell.prompt()
    tap.check(re.search(r"\^C\nsh: sleep \(pid \d+\) killed by Ctrl-C\n", out),
              "Ctrl-C ends the program in the foreground; the shell survives", out)
    shell.console.send("some half line\x03")
    out = shell.prompt()
    tap.check(out.endswith("some half line^C\n" + PROMPT), "Ctrl-C at the prompt: the line is "
              "dropped and a fresh prompt comes", out)
    rows = check_ps(tap, shell.run("ps"), own_tables)
    tap.check(len(rows) == 1, "ps: only the shell is left", [str(rows)])

    # Line editing over serial: insertion after moving left, backspace, history.
    out = shell.run("hllo edit\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x1b[De\x1b[F\x7fx")
    tap.check('hello: argument 1 is "edix"' in out, "left arrows, an insert, End, backspace: "
              "the program got the edited line", out)
    out = shell.run("\x1b[A")
    tap.check('hello: argument 1 is "edix"' in out, "up arrow: the last line again", out)

    # Ctrl-D: the end of input ends the shell, the kernel reports its last counters.
    shell.console.send("\x04")
    end = shell.console.expect(r"pagoda: halted", COMMAND_TIMEOUT)
    tap.check("exit\n" in end and "pagoda: init exited with status 0" in end,
              "Ctrl-D ends the shell (exit status 0)", end)
    last = re.search(r"(\d+) CR3 reloads, (\d+) global flushes", end)
    tap.check(last and second and int(last.group(1)) >= int(second.group(2)),
              "the kernel's end-of-run count of CR3 reloads is at least the last tlb", end)


KEYS = {" ": "spc", "-": "minus", "_": "shift-minus", "\"": "shift-apostrophe", ".": "dot",
        "\r": "ret", "/": "slash", "!": "shift-1"}


def type_keys(shell, keys):
    for key in keys:
        shell.monitor_command(f"sendkey {key}")


def type_text(shell, text):
    keys = []
    for c in text:
        if c in KEYS:
            keys.append(KEYS[c])
        elif c.isupper():
            keys.append("shift-" + c.lower())
        else:
            keys.append(c)
    type_keys(shell, keys)


FOREGROUND = (0xD0, 0xD0, 0xD0)  # kernel/console/console.c CONSOLE_NORMAL
SCREEN_MARGIN = 8  # kernel/console/fb_text.h FB_TEXT_MARGIN_PIXELS


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not fields:
        raise ValueError(f"{path}: not a binary PPM")
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[fields.end():]


def solid_cells(path):
    """Grid cells whose every pixel is the text colour: a cursor on a blank cell. (col, row)s."""
    width, height, pixels = read_ppm(path)
    fw, fh = (16, 32) if width >= 1600 else (8, 16)  # fb_text_plan's choice
    want = bytes(FOREGROUND) * fw
    found = []
    for row in range((height - 2 * SCREEN_MARGIN) // fh):
        for col in range((width - 2 * SCREEN_MARGIN) // fw):
            x, y = SCREEN_MARGIN + col * fw, SCREEN_MARGIN + row * fh
            if all(pixels[((y + line) * width + x) * 3:][:fw * 3] == want for line in range(fh)):
                found.append((col, row))
    return found


def cursor_cells(shell, workdir, expected=None, timeout=10):
    """The solid cells on the screen; waits (the screen follows the serial echo: a print call
    draws once its bytes are out on serial) until they are [expected] when given, else until
    there is exactly one."""
    path = os.path.join(workdir, "screen.ppm")
    deadline = time.monotonic() + timeout
    while True:
        if os.path.exists(path):
            os.unlink(path)
        qemu.screendump(shell.monitor, path)
        cells = solid_cells(path) if os.path.exists(path) else []
        done = len(cells) == 1 if expected is None else cells == [expected]
        if done or time.monotonic() > deadline:
            return cells
        time.sleep(0.5)


def check_cursor(tap, shell, workdir):
    """The text cursor on the framebuffer: one cell in the colours swapped, moving with the
    echo, back over Backspace, drawn without reading the screen (fb_text.c)."""
    at_prompt = cursor_cells(shell, workdir)
    if not tap.check(len(at_prompt) == 1, "the screen shows one cursor cell after the prompt",
                     at_prompt[:5]):
        return
    col, row = at_prompt[0]
    type_text(shell, "ab")
    shell.console.expect(r"ab", COMMAND_TIMEOUT)
    typed = cursor_cells(shell, workdir, (col + 2, row))
    tap.check(typed == [(col + 2, row)], "two keys move the cursor two cells right",
              f"at the prompt {at_prompt}, after two keys {typed}")
    type_keys(shell, ["backspace", "backspace"])
    back = cursor_cells(shell, workdir, (col, row))
    tap.check(back == [(col, row)], "two Backspaces bring it back to the prompt's end",
              f"at the prompt {at_prompt}, after Backspace {back}")


def keyboard(tap, shell, case, boot_log, args, workdir):
    tap.check(re.search(r"input: PS/2 keyboard on IRQ 1 \(scan code set [12]", boot_log),
              "the kernel found the PS/2 keyboard", boot_log.splitlines()[-5:])
    check_cursor(tap, shell, workdir)
    type_text(shell, "hello Pagoda a-b_c!\r")
    out = shell.prompt()
    tap.check('argument 1 is "Pagoda"' in out and 'argument 2 is "a-b_c!"' in out,
              "keys with Shift: capitals, - _ !", out)
    type_text(shell, "hello ")
    type_keys(shell, ["caps_lock", "a", "b", "shift-c", "caps_lock", "d", "ret"])
    out = shell.prompt()
    tap.check('argument 1 is "ABcd"' in out, "Caps Lock: capitals, Shift inverts it, off again",
              out)
    type_text(shell, "hellx")
    type_keys(shell, ["backspace", "o", "spc", "1", "left", "2", "ret"])
    out = shell.prompt()
    tap.check('argument 1 is "21"' in out, "Backspace, and an insert after the left arrow", out)
    type_keys(shell, ["up", "ret"])
    out = shell.prompt()
    tap.check('argument 1 is "21"' in out, "up arrow: history", out)
    type_text(shell, "sleep 60000\r")
    shell.console.expect(r"sleep 60000\n", COMMAND_TIMEOUT)
    time.sleep(1.0)
    type_keys(shell, ["ctrl-c"])
    out = shell.prompt()
    tap.check(re.search(r"sh: sleep \(pid \d+\) killed by Ctrl-C", out),
              "Ctrl-C on the keyboard ends the program", out)
    type_keys(shell, ["ctrl-d"])
    end = shell.console.expect(r"pagoda: halted", COMMAND_TIMEOUT)
    tap.check("pagoda: init exited with status 0" in end, "Ctrl-D on the keyboard ends the shell",
              end)


def no_keyboard(tap, shell, case, boot_log, args, workdir):
    tap.check(re.search(r"input: no PS/2 keyboard: no i8042 controller \(its status port reads "
                        r"0xff\); type on the serial port", boot_log),
              "without an i8042 the kernel says so (on every console: the screen too)",
              boot_log.splitlines()[-5:])
    out = shell.run("ps")
    tap.check(re.search(r"^\s*1\s+0\s+running", out, re.M), "the serial port still drives the "
              "shell", out)
    shell.console.send("exit 3\r")
    end = shell.console.expect(r"pagoda: halted", COMMAND_TIMEOUT)
    tap.check("pagoda: init exited with status 3" in end, "exit 3: the shell's status", end)


def make_image(workdir, case, args):
    image = os.path.join(workdir, "disk.img")
    argv = ["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32,
            "--kernel", args.kernel, "--programs", args.programs,
            "--config-line", f"cmdline = mode=boot paging={case['paging']}"]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return image


def run_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args)
    serial, monitor = os.path.join(workdir, "serial.sock"), os.path.join(workdir, "monitor.sock")
    argv = [image, "--firmware", case["firmware"], "--display", "none", "--serial-log", serial_log,
            "--serial-socket", serial, "--monitor", monitor]
    if case["kind"] == "no_keyboard":
        argv += ["--", "-machine", "i8042=off"]
    started = time.monotonic()
    with qemu.running(qemu.parse_args(argv)) as proc:
        try:
            console = Console(serial, started + 30)
            shell = Shell(console, monitor)
            boot_log = console.expect(PROMPT_AT_END, BOOT_TIMEOUT[case["firmware"]], at_end=True)
            tap.comment(f"{name}: first prompt after {time.monotonic() - started:.1f} s")
            runner = {"session": session, "keyboard": keyboard, "no_keyboard": no_keyboard}
            runner[case["kind"]](tap, shell, case, boot_log, args, workdir)
        except Timeout as e:
            tap.check(False, f"{name}: the console answered in time", str(e))
        finally:
            tap.comment(f"{name}: QEMU ran {time.monotonic() - started:.1f} s"
                        + ("" if proc.poll() is None else f", exit status {proc.returncode}"))
    text = clean(open(serial_log, "rb").read())
    tap.check(re.search(r"PANIC|CPU exception \d+:", text) is None,
              "no kernel panic and no kernel-mode exception")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(CASES))
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--default", action="store_true", help="with --list: the default suite's")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--programs")
    p.add_argument("--log-dir", help="keep the serial log here as CASE.serial.log")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(DEFAULT if args.default else [c for c in CASES if c not in DEFAULT]))
        return 0
    if not (args.case and args.bootx64 and args.bootia32 and args.kernel and args.programs):
        p.error("CASE, --bootx64, --bootia32, --kernel and --programs are required")
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        serial_log = os.path.join(log_dir, f"{args.case}.serial.log")
        if args.log_dir:
            tap.comment(f"serial log: {serial_log}")
        try:
            run_case(tap, args.case, CASES[args.case], args, workdir, serial_log)
        except (OSError, RuntimeError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
