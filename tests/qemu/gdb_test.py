#!/usr/bin/env python3
"""gdb with tools/pagoda_gdb.py attached to a boot of Pagoda in QEMU, reported as TAP.

Each case boots `mode=boot crash=pf paging=FORMAT` (the kernel writes into its boot stack's guard
page, prints the decoded #PF report with its own walk of CR2, and halts) with QEMU's gdb stub,
starts stopped, and runs one gdb in batch mode through the script's commands:

  - attach, the i386 register view, the kernel's symbols; hardware breakpoints (`pagoda break`)
    at _start (in .boot, before the loader has copied the kernel there) and kernel_stop (in the
    higher half, before any table maps it); PAE: vm_switch_paging too, across the switch from
    the boot page directory to PAE tables;
  - at _start (paging off): the loader's symbols from the image base on serial; its .text in
    memory matches the debug file; efi_main resolves inside the image;
  - at kernel_stop after the fault: `pagoda walk` of CR2 agrees level by level (table, index,
    raw entry) with the kernel's walk in the #PF report; walks of the start and the last page of
    each region of the kernel's region table (boot log "kernel half") agree with its physical
    address and rights, and with QEMU's `info tlb` (frame and the leaf's bits); unmapped
    addresses have no `info tlb` line; `pagoda maps`, merged by user and write only, is QEMU's
    `info mem` exactly.

    gdb_test.py --list
    gdb_test.py CASE --bootx64 F --bootia32 F --kernel F --build-dir DIR [--log-dir DIR]
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import boot_test  # noqa: E402  (image building, serial cleaning)
import pagoda_gdb  # noqa: E402  (the monitor parsers and the tlb letters)
import qemu  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
from taplib import Tap  # noqa: E402

GDB_TIMEOUT = 300  # seconds for each gdb session (TCG on a shared 2-core machine)
QEMU_TIMEOUT = 2 * GDB_TIMEOUT + 30
MARK = "@@pagoda-test "


def gdb_case(firmware, paging):
    return {"kind": "boot_log", "firmware": firmware, "paging": paging,
            "config": [f"cmdline = mode=boot paging={paging} crash=pf"]}


# The IA32 cases (32-bit code from the firmware on, BOOTIA32.debug.efi) are in the matrix suite,
# not in the default run (tests/qemu/meson.build).
CASES = {
    "gdb-x64-pae": gdb_case("x64", "pae"),
    "gdb-x64-2level": gdb_case("x64", "2level"),
    "gdb-ia32-pae": gdb_case("ia32", "pae"),
    "gdb-ia32-2level": gdb_case("ia32", "2level"),
}
LOADER_DEBUG_FILES = {"x64": "BOOTX64", "ia32": "BOOTIA32"}

TITLES = {"pae": "PAE three-level", "2level": "32-bit two-level"}

# The kernel's own walk (kernel/trap/trap.c, kernel/paging/paging_describe.c).
KERNEL_WALK_HEAD = re.compile(r"walk of 0x([0-9a-f]+) through the (.+) tables "
                              r"\(CR3 0x([0-9a-f]+)\):")
WALK_STEP = re.compile(r"^\s+(PDPT|PD|PT|PML4)\s+table 0x([0-9a-f]+) \[\s*(\d+)\] = "
                       r"0x([0-9a-f]+)\s+(table|page|not present)")
SCRIPT_WALK_HEAD = re.compile(r"^walk of 0x([0-9a-f]+) through the (.+) tables \(CR3 0x([0-9a-f]+)")
SCRIPT_RESULT = re.compile(r"^\s+-> pa 0x([0-9a-f]+), (\d+) (KiB|MiB) page, (R[W-][X-]) "
                           r"(user|supervisor)( global)?")
REGION = re.compile(r"^\s+0x([0-9a-f]+)-0x([0-9a-f]+) (R[W-][X-]) (.+?)\s+phys 0x([0-9a-f]+) \(")
MAPS_LINE = re.compile(r"^\s+0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+ \S+\s+(R[W-][X-]) (user|supervisor)")
IMAGE_BASE = re.compile(r"loader: image base 0x([0-9a-f]+) \((\d+) bytes\)")


def elf_entry(path):
    with open(path, "rb") as f:
        header = f.read(28)
    return struct.unpack_from("<I", header, 24)[0]


def attach_line(case, port, build, serial_log):
    return (f"pagoda attach 127.0.0.1:{port} --firmware {case['firmware']} --build {build} "
            f"--serial-log {serial_log}")


def section(lines, name, *cmds):
    lines.append(f"echo {MARK}{name}\\n")
    lines.extend(cmds)


def boot_session(case, port, build, serial_log):
    """First gdb: breakpoints from the first instruction on, to the kernel's halt; then it
    disconnects and QEMU stays stopped."""
    lines = [attach_line(case, port, build, serial_log), "pagoda break _start"]
    if case["paging"] == "pae":
        lines.append("pagoda break vm_switch_paging")
    lines += ["pagoda break kernel_stop", "continue"]
    section(lines, "at-start", "info registers eip", "pagoda regs", "pagoda loader",
            "info line efi_main")
    if case["paging"] == "pae":
        lines.append("continue")
        section(lines, "switch-entry", "info registers eip", "pagoda regs", "x/2wx $esp+4")
        lines.append("finish")
        section(lines, "switch-done", "pagoda regs")
    lines.append("continue")
    section(lines, "at-stop", "bt", "pagoda regs")
    section(lines, "end")
    lines.append("disconnect")
    return lines


def table_session(case, port, build, serial_log, walks):
    """Second gdb, on the halted kernel: the walks (known once the boot log is), the listing
    and QEMU's own view of the same tables."""
    lines = [attach_line(case, port, build, serial_log)]
    section(lines, "walk-cr2", "pagoda walk $cr2")
    for expression in walks:
        section(lines, f"walk {expression}", f"pagoda walk {expression}")
    section(lines, "maps", "pagoda maps")
    section(lines, "tlb", "monitor info tlb")
    section(lines, "mem", "monitor info mem")
    section(lines, "end")
    lines.append("kill")
    return lines


def split_sections(output):
    found, name = {}, "preamble"
    for line in output.splitlines():
        if line.startswith(MARK):
            name = line[len(MARK):].strip()
            found[name] = []
        else:
            found.setdefault(name, []).append(line)
    return found


def parse_walk(lines):
    """A walk's text (the script's or the kernel's) -> (head, steps, result)."""
    head, steps, result = None, [], None
    for line in lines:
        m = SCRIPT_WALK_HEAD.match(line.strip()) or KERNEL_WALK_HEAD.search(line)
        if m and head is None:
            head = (int(m.group(1), 16), m.group(2), int(m.group(3), 16))
            continue
        m = WALK_STEP.match(line)
        if m:
            steps.append((m.group(1), int(m.group(2), 16), int(m.group(3)), int(m.group(4), 16),
                          m.group(5)))
            continue
        m = SCRIPT_RESULT.match(line)
        if m:
            size = int(m.group(2)) << (10 if m.group(3) == "KiB" else 20)
            result = (int(m.group(1), 16), size, m.group(4), m.group(5) == "user",
                      bool(m.group(6)))
    return head, steps, result


def kernel_regions(serial):
    """The boot log's kernel-half region table: [(start, end_inclusive, rights, name, phys)]."""
    regions, inside = [], False
    for line in serial.splitlines():
        if re.match(r"^\s+kernel half \(\d+ regions", line):
            inside = True
            continue
        if inside:
            m = REGION.match(line)
            if m:
                regions.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3),
                                m.group(4).strip(), int(m.group(5), 16)))
            elif not re.match(r"^\s+0x", line):
                break
    return regions


def kernel_cr2_walk(serial):
    lines = serial.splitlines()
    for i, line in enumerate(lines):
        if KERNEL_WALK_HEAD.search(line):
            block = [line]
            for following in lines[i + 1:]:
                block.append(following)
                if "-> " in following:
                    break
            return parse_walk(block)
    return None, [], None


def tlb_line_for(tlb, va, large_size):
    """The `info tlb` line whose page holds VA: (va, pa, flags, size) or None."""
    for line_va, pa, flags in tlb:
        size = large_size if flags[2] == "P" else 4096
        if line_va <= va < line_va + size:
            return line_va, pa, flags, size
    return None


def run_gdb(gdb_binary, lines, log_path):
    argv = [gdb_binary, "-q", "-nx", "-batch", "-x", os.path.join(TOOLS, "pagoda_gdb.py")]
    for line in lines:
        argv += ["-ex", line]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=GDB_TIMEOUT, stdin=subprocess.DEVNULL)
    output = proc.stdout.decode(errors="replace")
    with open(log_path, "a") as f:
        f.write(output)
    return proc.returncode, output


def region_walks(regions):
    """The first and the last page of every region of the kernel's table."""
    walks = []
    for start, last, _, _, _ in regions:
        walks += [f"0x{start:08x}", f"0x{last & ~0xFFF:08x}"]
    return walks


# Besides the regions: the stack in use, the code, the window (its slots are not mapped while
# unused), page 0 and the first page of the user half (never mapped in the kernel's space).
FIXED_WALKS = ["$esp", "$pc", "0xffe00000", "0", "0x00400000"]


def check_case(tap, name, case, args, workdir, serial_log):
    gdb_binary = shutil.which("gdb")
    if not gdb_binary:
        tap.skip(f"{name}: gdb sessions", "gdb not installed (tools/pagoda setup installs it)")
        return
    image = boot_test.make_image(workdir, case, args, case["config"])
    port = qemu.free_port()
    opts = qemu.parse_args([image, "--firmware", case["firmware"], "--display", "none",
                            "--serial-log", serial_log, "--timeout", str(QEMU_TIMEOUT),
                            "--gdb", str(port)])
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=qemu.run(opts)))
    runner.start()
    log_path = os.path.join(args.log_dir or workdir, f"{name}.gdb.log")
    open(log_path, "w").close()
    try:
        _, boot_output = run_gdb(gdb_binary, boot_session(case, port, args.build_dir, serial_log),
                                 log_path)
        with open(serial_log, "rb") as f:
            serial = boot_test.clean_serial(f.read())
        regions = kernel_regions(serial)
        _, table_output = run_gdb(gdb_binary, table_session(case, port, args.build_dir, serial_log,
                                                            region_walks(regions) + FIXED_WALKS),
                                  log_path)
    except subprocess.TimeoutExpired:
        tap.check(False, f"gdb finished within {GDB_TIMEOUT} s", [f"gdb log: {log_path}"])
        runner.join()
        return
    runner.join(QEMU_TIMEOUT + 10)
    result = outcome.get("result")
    tap.comment(f"{name}: QEMU ran {result.seconds if result else float('nan'):.1f} s; "
                f"gdb log {log_path}")
    check_boot_session(tap, case, args, split_sections(boot_output), serial)
    check_table_session(tap, case, split_sections(table_output), serial, regions)
    tap.check(result is not None and not result.timed_out,
              "QEMU ended by gdb's kill, before its timeout")


def check_boot_session(tap, case, args, s, serial):
    pre_lines = s.get("preamble", [])
    pre = "\n".join(pre_lines)
    tap.check(re.search(r"pagoda: attached to 127\.0\.0\.1:\d+; register view i386; kernel "
                        r"symbols from \S*kernel/pagoda\.elf", pre),
              "attached: i386 register view, kernel symbols loaded", pre_lines[-15:])
    hardware = re.findall(r"Hardware assisted breakpoint \d+ at 0x[0-9a-f]+: file ", pre)
    wanted = 3 if case["paging"] == "pae" else 2
    tap.check(len(hardware) == wanted and "pagoda: software breakpoint" not in pre,
              f"pagoda break chose {wanted} hardware breakpoints (.boot, and the higher half "
              "before the kernel's tables)", pre_lines[-15:])

    at_start = "\n".join(s.get("at-start", []))
    entry = elf_entry(args.kernel)
    tap.check(re.search(r"Breakpoint \d+, _start \(\) at \.\./kernel/start\.S", pre) and
              re.search(rf"eip\s+0x{entry:x}\s", at_start),
              f"the breakpoint at _start is hit with EIP = the ELF entry 0x{entry:x}",
              pre_lines[-5:] + s.get("at-start", []))
    tap.check("paging off (CR0.PG=0)" in at_start, "at _start paging is off")
    base = IMAGE_BASE.search(serial)
    loaded = re.search(rf"loader symbols from \S*{LOADER_DEBUG_FILES[case['firmware']]}"
                       r"\.debug\.efi at image base 0x([0-9a-f]+)", at_start)
    tap.check(base and loaded and base.group(1) == loaded.group(1),
              "loader symbols relocated to the image base the loader printed",
              [f"serial: {base.group(0) if base else None}"] + s.get("at-start", []))
    tap.check(re.search(r"the \d+ bytes of \.text at 0x[0-9a-f]+ match the file", at_start),
              "the loader's .text in memory is the debug file's, relocated", s.get("at-start", []))
    line = re.search(r'Line \d+ of "\.\./loader/main\.c" starts at address 0x([0-9a-f]+) '
                     r"<efi_main", at_start)
    inside = bool(base and line and int(base.group(1), 16) <= int(line.group(1), 16) <
                  int(base.group(1), 16) + int(base.group(2)))
    tap.check(inside, "efi_main resolves to loader/main.c inside the loaded image",
              s.get("at-start", []))

    if case["paging"] == "pae":
        entry_lines = s.get("switch-entry", [])
        entry_text = "\n".join(entry_lines)
        done_text = "\n".join(s.get("switch-done", []))
        words = [re.search(r":\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s*$", l) for l in entry_lines]
        words = [m for m in words if m]
        tap.check(re.search(r"Breakpoint \d+, vm_switch_paging \(\)", at_start) and
                  "-> 32-bit two-level" in entry_text,
                  "the breakpoint in .boot at vm_switch_paging is hit on the boot two-level "
                  "directory", entry_lines)
        cr3_after = re.search(r"CR3  0x([0-9a-f]+)", done_text)
        tap.check("-> PAE three-level" in done_text and words and cr3_after and
                  int(words[0].group(1), 16) == int(cr3_after.group(1), 16),
                  "after `finish` the CPU runs the PAE tables vm_switch_paging was given",
                  entry_lines + s.get("switch-done", []))

    at_stop = "\n".join(s.get("at-stop", []))
    tap.check(re.search(r"#0\s+kernel_stop \(", at_stop) and "trap/trap.c" in at_stop,
              "the breakpoint at kernel_stop is hit after the #PF report (bt through trap.c)",
              s.get("at-stop", []))
    tap.check(f"-> {TITLES[case['paging']]}" in at_stop,
              f"pagoda regs at the halt: {TITLES[case['paging']]}", s.get("at-stop", []))


def check_table_session(tap, case, s, serial, regions):
    mine = parse_walk(s.get("walk-cr2", []))
    kernel = kernel_cr2_walk(serial)
    tap.check(kernel[0] is not None and kernel[0] == mine[0] and kernel[1] == mine[1] and
              len(mine[1]) > 0,
              f"pagoda walk $cr2 = the kernel's walk of CR2 in its #PF report, level by level "
              f"({len(mine[1])} levels: table, index, raw entry)",
              [f"kernel: {kernel}", f"script: {mine}"] + s.get("walk-cr2", []))
    tap.check(mine[2] is None and any("not present" in l for l in s.get("walk-cr2", [])),
              "the walk of CR2 (the guard page) stops at a not-present entry",
              s.get("walk-cr2", []))

    tlb = pagoda_gdb.parse_info_tlb("\n".join(s.get("tlb", [])))
    tap.check(len(tlb) > 0, f"QEMU info tlb parsed ({len(tlb)} leaf entries)", s.get("tlb", [])[:5])
    large = (2 << 20) if case["paging"] == "pae" else (4 << 20)
    walked = {}
    for name in [k for k in s if k.startswith("walk ")]:
        lines = s[name]
        head, steps, result = parse_walk(lines)
        expression = name[len("walk "):]
        if head is None:
            tap.check(False, f"pagoda walk {expression} printed a walk", lines)
            continue
        va = head[0]
        walked[va] = result
        line = tlb_line_for(tlb, va, large)
        if result is None:
            tap.check(line is None, f"walk {expression}: not mapped, and info tlb has no entry",
                      lines + [f"info tlb: {line}"])
            continue
        pa, size, _, _, _ = result
        flags = pagoda_gdb.tlb_flags(steps[-1][3], size > 4096)
        frame = pa & ~(size - 1)
        ok = (line is not None and line[0] == va & ~(size - 1) and line[3] == size and
              line[1] & pagoda_gdb.PTE64_ADDR_MASK & ~(size - 1) == frame and line[2] == flags)
        tap.check(ok, f"walk {expression} = info tlb: frame 0x{frame:x}, {size >> 10} KiB page, "
                      f"leaf bits {flags}", lines + [f"info tlb: {line}"])

    for start, last, rights, name, phys in regions:
        ends = [(start, phys), (last & ~0xFFF, phys + (last & ~0xFFF) - start)]
        for va, want_pa in ends:
            result = walked.get(va)
            want_exec = rights[2] == "X" or case["paging"] == "2level"  # two-level: no NX
            ok = (result is not None and result[0] == want_pa and result[3] is False and
                  result[4] is True and (result[2][1] == "W") == (rights[1] == "W") and
                  (result[2][2] == "X") == want_exec)
            tap.check(ok, f"region {name}, page 0x{va:08x}: pa 0x{want_pa:x}, {rights} "
                          f"supervisor global, as the kernel's region table says",
                      [f"walk: {result}"])

    maps = parse_maps(s.get("maps", []))
    mem = pagoda_gdb.parse_info_mem("\n".join(s.get("mem", [])))
    merged = merge_user_write(maps)
    tap.check(len(mem) > 0 and merged == mem,
              f"pagoda maps merged by user/write = QEMU info mem ({len(mem)} ranges; "
              f"{len(maps)} runs with NX and global)",
              ["pagoda maps (merged):"] + [f"  {a:x}-{b:x} u={u} w={w}" for a, b, u, w in merged]
              + ["info mem:"] + s.get("mem", []))


def parse_maps(lines):
    maps = []
    for line in lines:
        m = MAPS_LINE.match(line)
        if m:
            maps.append((int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3),
                         m.group(4) == "user"))
    return maps


def merge_user_write(maps):
    """The listing's runs merged as `info mem` merges: by user and write only."""
    merged = []
    for start, end, rights, user in maps:
        write = rights[1] == "W"
        if merged and merged[-1][1] == start and merged[-1][2:] == (user, write):
            merged[-1] = (merged[-1][0], end, user, write)
        else:
            merged.append((start, end, user, write))
    return merged


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(CASES))
    p.add_argument("--list", action="store_true")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--build-dir", help="the build with kernel/pagoda.elf and loader/*.debug.efi")
    p.add_argument("--log-dir")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(CASES))
        return 0
    if not (args.case and args.bootx64 and args.bootia32 and args.kernel and args.build_dir):
        p.error("CASE, --bootx64, --bootia32, --kernel and --build-dir are required")
    args.programs = None
    case, tap = CASES[args.case], Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        serial_log = os.path.join(log_dir, f"{args.case}.serial.log")
        try:
            check_case(tap, args.case, case, args, workdir, serial_log)
        except (OSError, RuntimeError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
