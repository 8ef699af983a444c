#!/usr/bin/env python3
"""One whole-system boot of Pagoda in QEMU, reported as TAP.

Each case builds its own disk image in a temporary directory (tools/mkimage.py), possibly with a
broken kernel made from the real one (tools/badelf.py), boots it on OVMF with tools/qemu.py and
checks the serial output:

  - kernel boots (`boot-*`): the loader banner, the hand-off line, every TAP line the kernel
    prints in `mode=test` (relayed, renumbered, prefixed "kernel:"), the complete plan, QEMU's exit
    status 33 (isa-debug-exit: kernel self-tests passed) and no timeout. The kernel's benchmark
    lines ("# phase ... ms=...") are copied into the log as TAP comments.
  - normal boots (`boot-x64-no-config`, `boot-ia32-boot-log`): `mode=boot`, the kernel prints
    its boot log and halts; the test stops QEMU at "pagoda: halted".
  - CPU exceptions on purpose (`crash-*`, cmdline `crash=gp|df|idt|de`): the kernel's decoded
    report, a TAP bail-out and exit status 35 (a triple fault would reset: exit status 0).
  - paging (`paging-*`, `crash-x64-pf`): `paging=pae|2level` on both firmware widths, 512M and
    6G; the boot log must say which format runs and what happens to RAM above 4 GiB, the kernel's
    fallback without PAE must be visible, and the #PF report must walk the tables.
  - bad input (`bad-*`): the loader's specific message, no attempt to leave boot services, no
    kernel output, and control back in the firmware ("BdsDxe: failed to start Boot....").
  - processes (`user-*`, `crashme-*`, `isolation-*`): the image carries programs.tar and the
    command line names the first process (`init=usertests`, `init=crashme N SEED`,
    `init=isolation`); the program's TAP lines (when it prints TAP) are relayed, and the run
    passes when it says so, init exits with status 0 and QEMU exits with status 33.

    boot_test.py --list
    boot_test.py CASE --bootx64 F --bootia32 F --kernel F [--programs TAR] [--log-dir DIR]
"""

import argparse
import json
import os
import re
import sys
import tempfile

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import badelf  # noqa: E402
import mkimage  # noqa: E402
import qemu  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

BOOT_TIMEOUT = {"x64": 150, "ia32": 240}  # seconds; TCG on a shared 2-core machine
USER_TIMEOUT = {"x64": 420, "ia32": 540}
FAIL_TIMEOUT = {"x64": 90, "ia32": 150}

RETURNED_TO_FIRMWARE = r"BdsDxe: failed to start Boot\d+[^\n]*\n"
HANDOFF = r"exiting boot services"
KERNEL_HALTED = r"pagoda: halted"
KERNEL_BOOT_COMPLETE = r"pagoda: boot complete"
KERNEL_SIGN_OF_LIFE = r"pagoda kernel|Pagoda kernel"
LOADER_GIVES_UP = r"pagoda: .* failed \(.*\), returning to the firmware"
KERNEL_TAP = re.compile(r"^(ok|not ok) (\d+)(?: - (.*))?$")
KERNEL_PLAN = re.compile(r"^1\.\.(\d+)$")
PHASE_LINE = re.compile(r"^# phase (\S+) ms=([0-9.]+)")
KERNEL_PATH = r"pagoda\.elf"
ESCAPES = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")


def boot(firmware, disk="ahci", memory="256M", config=(), expect=(), extras=()):
    """A kernel self-test boot; EXPECT: (regex, what) the serial log must also show; EXTRAS:
    (file name, bytes) put next to the kernel."""
    return {"kind": "boot", "firmware": firmware, "disk": disk, "memory": memory,
            "config": ["cmdline = mode=test"] + list(config), "expect": list(expect),
            "extras": list(extras)}


def boot_log(firmware, config=None, expect=(), extras=()):
    """A normal boot (boot log, then halt); CONFIG None means no pagoda.cfg at all."""
    return {"kind": "boot_log", "firmware": firmware, "config": config, "expect": list(expect),
            "extras": list(extras)}


def crash(firmware, exception, expect):
    """cmdline crash=EXCEPTION in mode=test: a decoded report, then exit 35, never a reset."""
    return {"kind": "crash", "firmware": firmware, "exception": exception,
            "config": [f"cmdline = mode=test crash={exception}"], "expect": list(expect)}


def bad(firmware, variant, message):
    return {"kind": "bad", "firmware": firmware, "variant": variant, "message": message}


# What the loader must say for each broken kernel (its text comes from lib/elf_check.c,
# loader/placement.c and loader/kernel_file.c).
MISSING = rf"pagoda: cannot open kernel \S*{KERNEL_PATH}: Not Found"
TRUNCATED = rf"pagoda: \S*{KERNEL_PATH}: segment \d+ file range .* runs past the end of the \d+-byte file"
TRUNCATED_HEADER = rf"pagoda: \S*{KERNEL_PATH}: (file is \d+ bytes, smaller than the 52-byte ELF header|size \d+ bytes)"
BAD_MAGIC = rf"pagoda: \S*{KERNEL_PATH}: bad magic .*not an ELF file"
MACHINE = rf"pagoda: \S*{KERNEL_PATH}: machine 62 \(.*\), expected 3 \(i386\)"
CLASS64 = rf"pagoda: \S*{KERNEL_PATH}: ELF class 2 \(ELF64\), expected 1"
OVERLAP = rf"pagoda: \S*{KERNEL_PATH}: segment \d+ \[0x[0-9a-f]+-0x[0-9a-f]+\) overlaps segment \d+"
ENTRY = rf"pagoda: \S*{KERNEL_PATH}: entry 0x[0-9a-f]+ (lies in segment \d+ .* which is not executable|is not inside any PT_LOAD)"
RESERVED = rf"pagoda: \S*{KERNEL_PATH}: segment \d+ .*cannot be loaded: .*overlaps \w+ memory"

CASES = {
    "boot-x64-ahci": boot("x64"),
    "boot-ia32-ahci": boot("ia32"),
    "boot-x64-usb": boot("x64", disk="usb"),
    "boot-ia32-usb": boot("ia32", disk="usb"),
    "boot-x64-nvme": boot("x64", disk="nvme"),
    "boot-x64-6G": boot("x64", memory="6G"),
    "boot-x64-occupied": boot("x64", config=["debug_occupy_kernel_range = yes"], expect=[
        (r"occupied [1-9]\d* of \d+ kernel pages",
         "loader occupied the kernel range first (the staging copy is what loads the kernel)")]),
    "boot-x64-bad-config-line": boot("x64", config=["this line is not key = value", "colour = blue"],
                                     expect=[(r"pagoda\.cfg:2: .*\(line ignored\)",
                                              "bad line 2 of pagoda.cfg reported and ignored"),
                                             (r"pagoda\.cfg:3: .*\(line ignored\)",
                                              "bad line 3 of pagoda.cfg reported and ignored")]),
    "boot-x64-no-config": boot_log("x64", expect=[
        (r"pagoda\.cfg not found, using defaults", "missing pagoda.cfg: loader uses defaults"),
        (r'cmdline=""', "default command line is empty"),
        (r"no module named in pagoda\.cfg and no \S*programs\.tar: booting without modules",
         "no module lines and no programs.tar: one line, no error")]),
    "boot-ia32-boot-log": boot_log("ia32", config=["cmdline = mode=boot memmap=full"], expect=[
        (r'"mode=boot memmap=full" -> mode=boot paging=auto memmap=full',
         "kernel parsed the command line"),
        (r"loader: module 1: \S*programs\.tar \(10240 bytes\) at 0x[0-9a-f]+000, SHA-256 "
         r"[0-9a-f]{8}\.\.\.\n", "no module lines: the default programs.tar is loaded")],
        extras=[("programs.tar", bytes(10240))]),
    # The byte-order mark a Windows editor writes must come first: this case's own config.
    "boot-x64-modules": dict(boot("x64", extras=[("notes.txt", b"a module for the kernel\n"),
                                                 ("sub/empty.bin", b"")], expect=[
        (r'loader: kernel=pagoda\.elf cmdline="mode=test"',
         "a UTF-8 byte-order mark before the first line is skipped: the line is read"),
        (r'loader: module 1: \S*notes\.txt \(24 bytes\) at 0x[0-9a-f]+000, SHA-256 '
         r'[0-9a-f]{8}\.\.\. "two words"', "module 1 read, page-aligned, with its string"),
        (r"loader: module 2: \S*sub\\empty\.bin \(0 bytes\) at 0x[0-9a-f]+000",
         "an empty module in a subfolder gets a page of its own"),
        (r"(module +0x[0-9a-f]+-0x[0-9a-f]+ +4 KiB\n\s*){3}",
         "the kernel sees both modules and the modules block as ranges")]),
        config=["\ufeffcmdline = mode=test", "module = notes.txt two words",
                "module = sub/empty.bin"]),
    "boot-x64-virtio": boot("x64", disk="virtio"),
    "crash-x64-gp": crash("x64", "gp", [
        (r"CPU exception 13: #GP General Protection", "report names the vector: #GP"),
        (r"error code 0x00000038: ext=0 idt=0 ti=0 index=7", "selector error code decoded")]),
    "crash-x64-df": crash("x64", "df", [
        (r"CPU exception 8: #DF Double Fault", "report names the vector: #DF"),
        (r"interrupted task: EIP=", "double fault handled on its own task")]),
    "crash-ia32-idt": crash("ia32", "idt", [
        (r"CPU exception 13: #GP", "report names the vector: #GP"),
        (r"idt=1 .*IDT vector 0x81", "error code decoded as an IDT entry")]),
    "crash-ia32-de": crash("ia32", "de", [
        (r"CPU exception 0: #DE Divide Error", "report names the vector: #DE"),
        (r"EIP=[0-9a-f]{8} +CS=0008", "registers printed")]),
    "bad-x64-missing-kernel": bad("x64", None, MISSING),
    "bad-x64-truncated": bad("x64", "truncated", TRUNCATED),
    "bad-x64-truncated-header": bad("x64", "truncated-header", TRUNCATED_HEADER),
    "bad-x64-bad-magic": bad("x64", "bad-magic", BAD_MAGIC),
    "bad-x64-machine": bad("x64", "machine-x86-64", MACHINE),
    "bad-x64-class64": bad("x64", "class64", CLASS64),
    "bad-x64-overlap": bad("x64", "overlap", OVERLAP),
    "bad-x64-entry-outside-code": bad("x64", "entry-outside-code", ENTRY),
    "bad-x64-reserved-destination": bad("x64", "reserved-destination", RESERVED),
    "bad-ia32-missing-kernel": bad("ia32", None, MISSING),
    "bad-ia32-machine": bad("ia32", "machine-x86-64", MACHINE),
    "bad-ia32-overlap": bad("ia32", "overlap", OVERLAP),
}


# Paging: one kernel binary, page-table format chosen on the command line.
# The kernel's own TAP covers map/unmap/protect, the INVLPG remap, WP, NX, null, the window and
# the allocator audit; these expectations pin what the boot log must say about each mode.
def paging_boot(firmware, memory, paging, expect=(), extra=""):
    """A kernel self-test boot with paging=PAGING (and EXTRA tokens) on the command line."""
    cmdline = f"mode=test paging={paging}" + (f" {extra}" if extra else "")
    return {"kind": "boot", "firmware": firmware, "disk": "ahci", "memory": memory,
            "config": [f"cmdline = {cmdline}"], "expect": list(expect)}


PAE_MODE = (r"mode: PAE three-level", "kernel runs on PAE page tables")
TWO_LEVEL_MODE = (r"mode: 32-bit two-level", "kernel runs on two-level page tables")
NX_CAUGHT = (r"ok \d+ - paging: execute from an NX page caught\n",
             "execute from an NX page caught (not skipped)")
HIGH_FRAME = (r"ok \d+ - paging: frame above 4 GiB through the temporary window\n",
              "a frame above 4 GiB written and read back through the window (not skipped)")
HIGH_USABLE = (r"usable above 4 GiB: [0-9.]+ GiB \(\d+ frames\), in the pool",
               "PAE: the RAM above 4 GiB is usable")
HIGH_WITHHELD = (r"two-level paging cannot use the [0-9.]+ GiB of RAM at or above 4 GiB",
                 "two-level: says it cannot use the RAM above 4 GiB")
HIGH_MEMORY = (r"ok \d+ - paging: high memory outside the direct map through the window\n",
               "a frame outside the direct map reached through the window (not skipped)")
PAE_FALLBACK = (r"paging=pae asked for, but PAE is hidden by clearcpuid=pae: falling back to "
                r"two-level paging", "paging=pae without PAE: visible fallback message")
PF_WALK = [(r"CPU exception 14: #PF Page Fault", "report names the vector: #PF"),
           (r"error code 0x00000002: page not present, write, supervisor mode",
            "page-fault error code decoded"),
           (r"walk of 0x[0-9a-f]{8} through the PAE three-level tables",
            "the report walks CR2 through the tables"),
           (r"PT +table 0x[0-9a-f]+ \[ *\d+\] = 0x0{16} +not present",
            "walk shows every level down to the empty PT entry")]

CASES.update({
    "paging-x64-pae-6G": paging_boot("x64", "6G", "pae",
                                     [PAE_MODE, NX_CAUGHT, HIGH_USABLE, HIGH_FRAME, HIGH_MEMORY]),
    "paging-x64-2level-6G": paging_boot("x64", "6G", "2level",
                                        [TWO_LEVEL_MODE, HIGH_WITHHELD, HIGH_MEMORY]),
    "paging-ia32-pae-512M": paging_boot("ia32", "512M", "pae", [PAE_MODE, NX_CAUGHT]),
    "paging-ia32-2level-512M": paging_boot("ia32", "512M", "2level", [TWO_LEVEL_MODE]),
    "paging-ia32-pae-fallback": paging_boot("ia32", "512M", "pae", [PAE_FALLBACK, TWO_LEVEL_MODE],
                                            extra="clearcpuid=pae"),
    "crash-x64-pf": crash("x64", "pf", PF_WALK),
})

# Two-level paging reaches above 4 GiB only through PSE-36 4 MiB pages. QEMU's
# OVMF display devices (VGA, bochs-display, virtio-vga, ramfb) all put the GOP framebuffer below
# 4 GiB (32-bit BARs, even with X-PciMmio64Mb), so the mechanism is proven on RAM instead.
PSE36_RAM = (r"ok \d+ - paging: 4 MiB of RAM above 4 GiB through a PSE-36 page \(two-level\)\n",
             "two-level: RAM above 4 GiB written and read back through a PSE-36 page (not skipped)")
PSE36_PDE = (r"PDE 0x[0-9a-f]+: bits 20:13 = 0x1 -> phys 0x100001234",
             "the PSE-36 PDE carries physical bits 39:32 in bits 20:13")
CASES.update({
    "paging-x64-2level-pse36-6G": paging_boot("x64", "6G", "2level",
                                              [TWO_LEVEL_MODE, PSE36_RAM, PSE36_PDE]),
    "paging-ia32-2level-pse36-6G": paging_boot("ia32", "6G", "2level",
                                               [TWO_LEVEL_MODE, PSE36_RAM, PSE36_PDE]),
    # mode=boot: after the log the screen is redrawn with a one-page summary (serial keeps all).
    "summary-x64-boot": boot_log("x64", config=["cmdline = mode=boot", "resolution = 1024x768"],
                                 expect=[(r"console: the screen now shows a one-page summary",
                                          "the screen is redrawn with the one-page summary"),
                                         (r"== Boot phases \(ms\) ==",
                                          "serial still has the full log")]),
})


# Processes: a program of the ramdisk is the first process; it prints its own TAP (usertests,
# crashme) or a verdict line (isolation), and its exit status is the run's.
def user(firmware, paging, init, memory="256M", tap=True, expect=(), absent=(), timeout=None):
    return {"kind": "user", "firmware": firmware, "memory": memory, "paging": paging,
            "config": [f"cmdline = mode=test paging={paging} init={init}"], "tap": tap,
            "expect": list(expect), "absent": list(absent),
            "timeout": timeout or USER_TIMEOUT[firmware]}


INIT_EXIT0 = (r"pagoda: init exited with status 0\n", "init exited with status 0")
USERTESTS_PAE = (r"# usertests: process \d+, PAE paging .*NX enforced",
                 "usertests runs under PAE with NX")
USERTESTS_2LEVEL = (r"# usertests: process \d+, two-level paging",
                    "usertests runs under two-level paging")
FRAMES_BACK = (r"# usertests: \d+ of \d+ passed; free frames (\d+) at the start, \1 at the end",
               "every frame came back once the processes were reaped")
HIGH_USER_FRAMES = (r"^pagoda: user pages mapped: .*; user frames above 4 GiB: [1-9]\d*",
                    "PAE at 6 GiB: user pages lived in frames above 4 GiB")
ISOLATION_PASS = (r"^isolation: PASS: ", "isolation: both browsers killed, the reader finished")
KILL_LINE = (r"pagoda: process \d+ \(browser\) killed: #PF Page Fault at 0x[0-9a-f]{8}",
             "the browser's fault is one decoded kill line")
STACKEXEC_NX = (r"pagoda: process \d+ \(stackexec\) killed: #PF .*instruction fetch",
                "PAE: code copied to the stack is stopped by NX")
STACKEXEC_RUNS = (r"isolation: stackexec \(pid \d+\) exited with status 0",
                  "two-level: code copied to the stack runs (no execute-disable bit)")
NO_EXHAUST = (r"^# usertests: left out \(--except\): exhaust_memory$",
              "usertests leaves out exhaust_memory, as --except asks")
EXHAUST_RAN = (r"^(?:not )?ok \d+ - exhaust_memory:", "exhaust_memory did not run")
CRASHME_RUNS = (r"^ok 1 - crashme: \d+ runs from seed \d+, each ended in an exit or a kill",
                "crashme: every run ended in an exit or a kill")

CASES.update({
    "user-x64-pae": user("x64", "pae", "usertests", expect=[USERTESTS_PAE, FRAMES_BACK]),
    "user-x64-2level": user("x64", "2level", "usertests", expect=[USERTESTS_2LEVEL, FRAMES_BACK]),
    "user-ia32-pae": user("ia32", "pae", "usertests", expect=[USERTESTS_PAE, FRAMES_BACK]),
    "user-ia32-2level": user("ia32", "2level", "usertests",
                             expect=[USERTESTS_2LEVEL, FRAMES_BACK]),
    # At 6 GiB the memory-exhaustion case maps 1.5 million pages one fault at a time: minutes
    # under TCG. It runs at this size in the matrix suite (tests/matrix).
    "user-x64-pae-6G": user("x64", "pae", "usertests --except exhaust_memory", memory="6G",
                            expect=[USERTESTS_PAE, FRAMES_BACK, HIGH_USER_FRAMES, NO_EXHAUST],
                            absent=[EXHAUST_RAN]),
    "isolation-x64-pae": user("x64", "pae", "isolation", tap=False,
                              expect=[ISOLATION_PASS, KILL_LINE, STACKEXEC_NX]),
    "isolation-x64-2level": user("x64", "2level", "isolation", tap=False,
                                 expect=[ISOLATION_PASS, KILL_LINE, STACKEXEC_RUNS]),
    "isolation-ia32-pae": user("ia32", "pae", "isolation", tap=False,
                               expect=[ISOLATION_PASS, KILL_LINE, STACKEXEC_NX]),
    "isolation-ia32-2level": user("ia32", "2level", "isolation", tap=False,
                                  expect=[ISOLATION_PASS, KILL_LINE, STACKEXEC_RUNS]),
    "crashme-x64-pae": user("x64", "pae", "crashme 1000 1", expect=[CRASHME_RUNS]),
    "crashme-x64-2level": user("x64", "2level", "crashme 1000 2", expect=[CRASHME_RUNS]),
})

# Longer process runs: the `matrix` suite (meson registers them there, not in the default run).
MATRIX_CASES = {
    "user-x64-pae-6G-full": user("x64", "pae", "usertests", memory="6G", timeout=1800,
                                 expect=[USERTESTS_PAE, FRAMES_BACK, HIGH_USER_FRAMES]),
    "user-ia32-pae-6G": user("ia32", "pae", "usertests --except exhaust_memory", memory="6G",
                             expect=[USERTESTS_PAE, FRAMES_BACK, HIGH_USER_FRAMES, NO_EXHAUST],
                             absent=[EXHAUST_RAN]),
    "crashme-x64-pae-10000": user("x64", "pae", "crashme 10000 3", timeout=3000,
                                  expect=[CRASHME_RUNS]),
    "crashme-x64-2level-10000": user("x64", "2level", "crashme 10000 4", timeout=3000,
                                     expect=[CRASHME_RUNS]),
    "crashme-ia32-pae-10000": user("ia32", "pae", "crashme 10000 5", timeout=3000,
                                   expect=[CRASHME_RUNS]),
    "crashme-ia32-2level-10000": user("ia32", "2level", "crashme 10000 6", timeout=3000,
                                      expect=[CRASHME_RUNS]),
}
ALL_CASES = {**CASES, **MATRIX_CASES}

# The rest of the RAM x firmware x disk x mode matrix (64M .. 6G, CPUs without NX/PAE) is
# tests/matrix (suite 'matrix', not in the default run).


def clean_serial(raw):
    """Serial text without the firmware's terminal escapes and carriage returns."""
    return ESCAPES.sub("", raw.decode("utf-8", errors="replace")).replace("\r", "")


def tail(text, lines=60):
    return ["serial log (last lines):"] + ["  " + l for l in text.splitlines()[-lines:]]


def make_image(workdir, case, args, config_lines):
    """CONFIG_LINES None: no pagoda.cfg on the image."""
    kernel = args.kernel
    no_kernel = False
    extras = []
    for name, data in case.get("extras", []):
        path = os.path.join(workdir, name.replace("/", "_"))
        with open(path, "wb") as f:
            f.write(data)
        extras += ["--extra", f"{path}:EFI/BOOT/{name}"]
    if case["kind"] == "bad":
        if case["variant"] is None:
            no_kernel = True
        else:
            with open(args.kernel, "rb") as f:
                broken = badelf.make_variant(case["variant"], f.read())
            kernel = os.path.join(workdir, "pagoda.elf")
            with open(kernel, "wb") as f:
                f.write(broken)
    image = os.path.join(workdir, "disk.img")
    argv = ["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32]
    argv += ["--no-kernel"] if no_kernel else ["--kernel", kernel]
    if case["kind"] == "user":
        if not args.programs:
            raise RuntimeError("this case needs --programs (programs.tar)")
        argv += ["--programs", args.programs]
    if config_lines is None:
        argv += ["--no-config"]
    for line in config_lines or []:
        argv += ["--config-line", line]
    argv += extras
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return image


def boot_image(image, case, serial_log, timeout, stop_on):
    argv = [image, "--firmware", case["firmware"], "--disk", case.get("disk", "ahci"),
            "--memory", case.get("memory", "256M"), "--display", "none",
            "--serial-log", serial_log, "--timeout", str(timeout)]
    for pattern in stop_on:
        argv += ["--stop-on", pattern]
    result = qemu.run(qemu.parse_args(argv))
    with open(serial_log, "rb") as f:
        return result, clean_serial(f.read())


def relay_kernel_tap(tap, serial):
    """Re-emits the kernel's TAP results as ours; returns (plan, results seen, phase lines)."""
    plan, seen, phases = None, 0, []
    for line in serial.splitlines():
        line = line.rstrip()
        if m := KERNEL_PLAN.match(line):
            plan = int(m.group(1))
        elif m := KERNEL_TAP.match(line):
            seen += 1
            tap.check(m.group(1) == "ok", f"kernel: {m.group(3) or 'test ' + m.group(2)}")
        elif PHASE_LINE.match(line):
            phases.append(line)
            tap.comment(line[2:])
        elif line.startswith("# ") and seen:
            tap.comment("kernel: " + line[2:])
    return plan, seen, phases


def relay_phase_table(tap, serial):
    """Copies the boot log's "== Boot phases (ms) ==" table into the test log."""
    lines = serial.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("== Boot phases"):
            tap.comment(line)
            for row in lines[i + 1:]:
                if not row.startswith("  "):
                    break
                tap.comment(row)


def check_loader_banner(tap, serial, firmware):
    tap.check(re.search(rf"Pagoda loader {firmware}\b", serial) is not None,
              f"loader banner 'Pagoda loader {firmware}' on serial")


MAP_HEADER = re.compile(r"^  (\d+) raw descriptors of \d+ bytes \(descriptor version \d+\), "
                        r"(\d+) runs of one type$", re.M)
MAP_GROUPED = re.compile(r"^  below: (\d+) runs, boot-services and loader code joined with their "
                         r"data \(memmap=full: all (\d+)\)$", re.M)
MAP_ROW = re.compile(r"^  (\S+) +0x([0-9a-f]{16}) 0x([0-9a-f]{16}) +(\d+) +\S+ \S+  (.*?)"
                     r"(?: \((\d+) entries\))?$")
MAP_TYPE_TOTAL = re.compile(r"^    (\S+) +(\d+) entries +(\d+) pages")
MAP_USE = {"BS_Code": "boot services", "BS_Data": "boot services", "BS_Code+Data": "boot services",
           "LoaderCode": "loader", "LoaderData": "loader", "LoaderCode+Data": "loader"}


def check_memory_map(tap, serial, full):
    """The boot log's firmware map table against its own heading and per-type totals: as many rows
    as it says, every descriptor and page in exactly one row, and no two rows that should have
    been one (same type with memmap=full; same use, code and data joined, by default)."""
    start = serial.find("== Memory map ==")
    section = serial[start:serial.find("\n== ", start + 1)] if start >= 0 else ""
    header, grouped = MAP_HEADER.search(section), MAP_GROUPED.search(section)
    lines = section.splitlines()
    rows = [m for m in map(MAP_ROW.match, lines) if m]
    totals = [m for m in map(MAP_TYPE_TOTAL.match, lines) if m]
    how = "memmap=full: every run of one type" if full else "code and data joined"
    found = header is not None and (full or grouped is not None) and rows and totals
    tap.check(found, f"memory map: heading, table and totals in the boot log ({how})",
              section.splitlines()[:5] or ["no '== Memory map ==' section"])
    if not found:
        return
    descriptors, by_type = int(header[1]), int(header[2])
    want = by_type if full else int(grouped[1])
    tap.check(len(rows) == want and (full or int(grouped[2]) == by_type),
              f"memory map: {len(rows)} rows, as the heading says ({how})",
              [f"heading says {want}"])
    entries = sum(int(r[6] or 1) for r in rows)
    pages = sum(int(r[4]) for r in rows)
    type_pages = sum(int(t[3]) for t in totals)
    tap.check(entries == descriptors and pages == type_pages,
              f"memory map: the rows hold all {descriptors} descriptors and {type_pages} pages",
              [f"rows: {entries} descriptors, {pages} pages"])
    same = (lambda t: t) if full else (lambda t: MAP_USE.get(t, t))
    unjoined = [f"{a[1]} at 0x{a[2]} and {b[1]} at 0x{b[2]}" for a, b in zip(rows, rows[1:])
                if a[3] == b[2] and a[5] == b[5] and same(a[1]) == same(b[1])]
    mixed = [r[1] for r in rows if "+" in r[1]]
    tap.check(not unjoined and (not full or not mixed),
              "memory map: no two touching rows with the same attributes and the same "
              + ("type" if full else "use (boot-services or loader code and data as one)"),
              unjoined + mixed)


def check_expected(tap, serial, case):
    for pattern, what in case["expect"]:
        tap.check(re.search(pattern, serial) is not None, what, [f"expected /{pattern}/"])


def run_boot_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args, case["config"])
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot_image(image, case, serial_log, timeout, [RETURNED_TO_FIRMWARE])
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    check_loader_banner(tap, serial, case["firmware"])
    tap.check(re.search(HANDOFF, serial) is not None, "loader left boot services and jumped",
              [] if re.search(HANDOFF, serial) else tail(serial))
    check_expected(tap, serial, case)
    check_memory_map(tap, serial, "memmap=full" in " ".join(case["config"]))
    plan, seen, phases = relay_kernel_tap(tap, serial)
    tap.check(plan is not None and plan == seen and seen > 0,
              f"kernel TAP complete ({seen} results, plan {plan})")
    tap.check(not result.timed_out, f"finished before the {timeout} s timeout")
    tap.check(result.exit_code == 33, "QEMU exit status 33 (kernel self-tests passed)",
              [f"exit status {result.exit_code}, stopped on {result.stopped_on!r}"] +
              tail(serial) if result.exit_code != 33 else [])
    tap.check(len(phases) > 0, "kernel printed its phase timings")
    if args.log_dir and phases:
        write_bench(args.log_dir, name, case, result, phases)


def write_bench(log_dir, name, case, result, phase_lines):
    """CASE.bench.json next to the serial log: the phase timings, for comparing runs."""
    record = {
        "case": name, "firmware": case["firmware"], "disk": case.get("disk"),
        "memory": case.get("memory"), "qemu_seconds": round(result.seconds, 2),
        "phases_ms": {m.group(1): float(m.group(2))
                      for m in (PHASE_LINE.match(l) for l in phase_lines)},
    }
    with open(os.path.join(log_dir, f"{name}.bench.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


def run_boot_log_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args, case["config"])
    timeout = BOOT_TIMEOUT[case["firmware"]]
    # In mode=boot the kernel halts for good: the last line it prints is the end of the run.
    result, serial = boot_image(image, case, serial_log, timeout,
                                [RETURNED_TO_FIRMWARE, KERNEL_HALTED])
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    check_loader_banner(tap, serial, case["firmware"])
    tap.check(re.search(HANDOFF, serial) is not None, "loader left boot services and jumped",
              tail(serial))
    check_expected(tap, serial, case)
    check_memory_map(tap, serial, "memmap=full" in " ".join(case["config"] or []))
    tap.check(re.search(KERNEL_BOOT_COMPLETE, serial) is not None, "kernel finished its boot log",
              tail(serial))
    tap.check(KERNEL_PLAN.search(serial) is None, "no self-tests in mode=boot")
    relay_phase_table(tap, serial)
    tap.check(result.stopped_on == KERNEL_HALTED, "kernel halted (no reset, no hang, no exit)",
              [f"timed out={result.timed_out} exit status={result.exit_code} "
               f"stopped on {result.stopped_on!r}"])


def run_user_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args, case["config"])
    timeout = case["timeout"]
    result, serial = boot_image(image, case, serial_log, timeout, [RETURNED_TO_FIRMWARE])
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    check_loader_banner(tap, serial, case["firmware"])
    tap.check(re.search(HANDOFF, serial) is not None, "loader left boot services and jumped",
              [] if re.search(HANDOFF, serial) else tail(serial))
    for pattern, what in case["expect"] + [INIT_EXIT0]:
        tap.check(re.search(pattern, serial, re.M) is not None, what,
                  [f"expected /{pattern}/"] + tail(serial, 20))
    for pattern, what in case["absent"]:
        found = re.search(pattern, serial, re.M)
        tap.check(found is None, what, [f"found /{pattern}/: {found.group(0)!r}"] if found else [])
    if case["tap"]:
        plan, seen, _ = relay_kernel_tap(tap, serial)
        tap.check(plan is not None and plan == seen and seen > 0,
                  f"the program's TAP is complete ({seen} results, plan {plan})")
    tap.check(re.search(r"PANIC|CPU exception \d+:", serial) is None,
              "no kernel panic and no kernel-mode exception")
    tap.check(not result.timed_out, f"finished before the {timeout} s timeout")
    tap.check(result.exit_code == 33, "QEMU exit status 33 (init exited with status 0)",
              [f"exit status {result.exit_code}"] + tail(serial) if result.exit_code != 33 else [])


def run_crash_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args, case["config"])
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot_image(image, case, serial_log, timeout, [RETURNED_TO_FIRMWARE])
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    check_loader_banner(tap, serial, case["firmware"])
    raised = re.search(rf"crash={case['exception']} on the command line", serial)
    tap.check(raised is not None, f"kernel raised crash={case['exception']}", tail(serial))
    check_expected(tap, serial, case)
    tap.check(re.search(r"^Bail out!", serial, re.M) is not None, "kernel bailed out of TAP")
    # A triple fault would reset the machine, which -no-reboot turns into exit status 0.
    tap.check(result.exit_code == 35, "QEMU exit status 35 (kernel reported failure, no reset)",
              [f"exit status {result.exit_code}, timed out {result.timed_out}, "
               f"stopped on {result.stopped_on!r}"] + tail(serial))


def run_bad_case(tap, name, case, args, workdir, serial_log):
    image = make_image(workdir, case, args, ["cmdline = mode=test"])
    timeout = FAIL_TIMEOUT[case["firmware"]]
    # Stop once the firmware has moved on, or at the first kernel sign of life.
    result, serial = boot_image(image, case, serial_log, timeout,
                                [RETURNED_TO_FIRMWARE, KERNEL_SIGN_OF_LIFE])
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    check_loader_banner(tap, serial, case["firmware"])
    message = re.search(case["message"], serial)
    tap.check(message is not None, "loader printed the specific reason",
              [] if message else [f"expected /{case['message']}/"] + tail(serial))
    if message:
        tap.comment("loader said: " + serial[message.start():].splitlines()[0])
    tap.check(re.search(LOADER_GIVES_UP, serial) is not None,
              "loader said it returns to the firmware")
    tap.check(re.search(HANDOFF, serial) is None, "loader did not leave boot services")
    tap.check(KERNEL_PLAN.search(serial) is None and not re.search(r"^ok \d+", serial, re.M)
              and re.search(KERNEL_SIGN_OF_LIFE, serial) is None, "no kernel output")
    returned = re.search(RETURNED_TO_FIRMWARE, serial)
    tap.check(returned is not None and (message is None or returned.start() > message.start()),
              "control returned to the firmware after the message",
              [] if returned else tail(serial))
    if returned:
        tap.comment("firmware said: " + returned.group(0).strip())
    tap.check(not result.timed_out and result.exit_code is None,
              "no hang and no kernel exit (QEMU stopped by the test)",
              [f"timed out={result.timed_out} exit status={result.exit_code}"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(ALL_CASES))
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--list-matrix", action="store_true",
                   help="print the names of the longer cases (the matrix suite) and exit")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--programs", help="programs.tar, for the process cases")
    p.add_argument("--log-dir", help="keep the serial log here as CASE.serial.log")
    args = p.parse_args(argv)
    if args.list or args.list_matrix:
        print("\n".join(MATRIX_CASES if args.list_matrix else CASES))
        return 0
    if not (args.case and args.bootx64 and args.bootia32 and args.kernel):
        p.error("CASE, --bootx64, --bootia32 and --kernel are required")
    case, tap = ALL_CASES[args.case], Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        serial_log = os.path.join(log_dir, f"{args.case}.serial.log")
        if args.log_dir:
            tap.comment(f"serial log: {serial_log}")
        runner = {"boot": run_boot_case, "boot_log": run_boot_log_case,
                  "crash": run_crash_case, "bad": run_bad_case,
                  "user": run_user_case}[case["kind"]]
        try:
            runner(tap, args.case, case, args, workdir, serial_log)
        except (OSError, RuntimeError, badelf.BadElfError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
