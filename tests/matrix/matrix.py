#!/usr/bin/env python3
"""The wide boot matrix: Pagoda's self-tests on many firmware, disk, paging, RAM and CPU setups.

Every cell builds a disk image (tools/mkimage.py) whose pagoda.cfg asks for `mode=test` and a
paging mode, boots it on OVMF with tools/qemu.py and passes when QEMU exits with status 33 (the
kernel's self-tests passed, isa-debug-exit), the kernel's TAP plan is complete and the kernel
used the paging mode the cell expects. Each cell writes CELL.json next to its serial log; the
summary reads them all, prints a table and writes matrix-summary.md.

Axes: firmware x64 / IA32; disks AHCI, USB (qemu-xhci + usb-storage), NVMe, virtio-blk; paging
2level / pae; RAM 64M, 512M, 3.5G, 6G. Extra cells: machines with little RAM below 4 GiB
(max-ram-below-4g with 6G), CPUs without NX, CPUs without PAE, and the kernel's clearcpuid=pae
knob. A cell whose firmware cannot start on the CPU it asks for (IA32 OVMF resets before any
output on a CPU without PAE) is reported as "cannot run" with the reason, never dropped.

    matrix.py --list                                   cell names (meson uses this)
    matrix.py CELL --bootx64 F --bootia32 F --kernel F --result-dir D    one cell, TAP
    matrix.py --summary --result-dir D [--summary-file F] [artifacts]    the table, TAP
    matrix.py --all -j 2 --bootx64 F --bootia32 F --kernel F --result-dir D   everything
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import mkimage  # noqa: E402
import qemu  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

FIRMWARES = ("x64", "ia32")
DISKS = ("ahci", "usb", "nvme", "virtio")
PAGINGS = ("2level", "pae")
MEMORIES = ("64M", "512M", "3.5G", "6G")
TIMEOUT = {"x64": 180, "ia32": 300}  # seconds; TCG on a shared machine, 6G boots clear RAM

EXIT_PASSED = 33  # isa-debug-exit: the kernel wrote 0x10
ESCAPES = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")
KERNEL_TAP = re.compile(r"^(ok|not ok) (\d+)(?: - (.*))?$", re.M)
KERNEL_PLAN = re.compile(r"^1\.\.(\d+)$", re.M)
# "... PAT=1: 32-bit two-level (asked for: ...)" or "...: 32-bit two-level (paging=pae asked ..."
PAGING_LINE = re.compile(r"# asked paging=(\S+), CPU PAE=(\d) NX=(\d)[^:]*: ([^(]+?) \(")
BOOT_PHASE = re.compile(r"^# phase loader_entry->kernel_ready ms=([0-9.]+)", re.M)
LOADER_BANNER = r"Pagoda loader {firmware}\b"
FRAMEBUFFER = re.compile(r"loader: GOP mode \d+, (\d+x\d+)")
USABLE_PAGES = re.compile(r"^# \d+ descriptors, (\d+) usable pages", re.M)
PAGE = 4096
# How OVMF names the device it started the loader from ("BdsDxe: loading Boot0001 ... from ...").
BOOT_DEVICE = {
    "ahci": r"/Sata\(",
    "usb": r"/USB\(",
    "nvme": r"/NVMe\(",
    "virtio": r'"UEFI Misc Device" from PciRoot\(0x0\)/Pci\(0x[0-9A-Fa-f]+,0x0\)\s*$',
}


def cell(firmware, disk, paging, memory, *, tag="", machine=(), cpu=None, cmdline=(),
         expect_paging=None, note="", name=None, config=(), qemu_args=(), expect=()):
    """EXPECT: (regex, what) pairs the serial log must also show (the graphics cells)."""
    tag = tag or ("gop" if name else "")
    name = name or f"{firmware}-{disk}-{paging}-{memory}" + (f"-{tag}" if tag else "")
    return {"name": name, "firmware": firmware, "disk": disk, "paging": paging,
            "memory": memory, "machine": list(machine), "cpu": cpu, "cmdline": list(cmdline),
            "expect_paging": expect_paging or paging, "tag": tag, "note": note,
            "config": list(config), "qemu_args": list(qemu_args), "expect": list(expect)}


def kernel_screen(size):
    width, height = size.split("x")
    return (rf"== Framebuffer ==\n  {width}x{height}, 32 bits per pixel",
            f"kernel draws on the {size} framebuffer")


def gop_cells():
    """The loader's graphics-mode choice (loader/gop.c) on OVMF's mode list."""
    largest = (r"loader: GOP mode \d+, 2560x1600: the largest mode up to 3840x2160",
               "no EDID, no config: the widest mode up to 4K (2560x1600 in 16 MiB of VRAM)")
    listed = (r"loader: GOP modes \(\* = current.*\n.*\*\s*0 ", "mode list printed, current marked")
    return [
        cell("x64", "ahci", "pae", "512M", name="gop-x64-auto", note="std VGA, no pagoda.cfg key",
             expect=[listed, largest, kernel_screen("2560x1600")]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-vga-xres-1920x1080",
             note="-device VGA,xres=1920,yres=1080 (OVMF's first mode), no key",
             qemu_args=["-vga", "none", "-device", "VGA,xres=1920,yres=1080"],
             expect=[(r"\*\s*0 1920x1080", "QEMU's xres/yres is OVMF's current mode 0"),
                     largest]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-config-1920x1080",
             note="resolution = 1920x1080", config=["resolution = 1920x1080"],
             expect=[(r"loader: GOP mode \d+, 1920x1080: resolution from pagoda\.cfg",
                      "configured mode chosen"), kernel_screen("1920x1080")]),
        cell("ia32", "ahci", "2level", "512M", name="gop-ia32-config-1024x768",
             note="resolution = 1024x768", config=["resolution = 1024x768"],
             expect=[(r"loader: GOP mode \d+, 1024x768: resolution from pagoda\.cfg",
                      "configured mode chosen"), kernel_screen("1024x768")]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-config-not-offered",
             note="resolution = 1234x567 (valid, not offered)", config=["resolution = 1234x567"],
             expect=[(r"resolution 1234x567 from pagoda\.cfg is not offered by the firmware: "
                      r"choosing automatically", "loader says the size is not offered"), largest]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-config-invalid",
             note="resolution = 1920x (a bad line)", config=["resolution = 1920x"],
             expect=[(r"pagoda\.cfg:3: resolution must be auto or WIDTHxHEIGHT from 320x200 to "
                      r"7680x4320, not '1920x' \(line ignored\)", "bad line 3 named, ignored"),
                     largest]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-virtio-gpu-blit-only",
             note="-device virtio-gpu-pci: every GOP mode is blit-only",
             qemu_args=["-vga", "none", "-device", "virtio-gpu-pci"],
             expect=[(r"\*b\s*\d+ 1280x800", "blit-only modes marked in the list"),
                     (r"loader: no GOP mode has a linear framebuffer \(all blit-only\): the "
                      r"kernel gets no screen, serial only", "loader says there is no framebuffer"),
                     (r"console: no framebuffer from the loader: serial only",
                      "kernel keeps serial only")]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-ramfb",
             note="-device ramfb: the framebuffer is ordinary RAM",
             qemu_args=["-vga", "none", "-device", "ramfb"],
             expect=[(r"loader: GOP mode \d+, 1024x768: the largest mode",
                      "largest of ramfb's modes"), kernel_screen("1024x768")]),
        cell("x64", "ahci", "pae", "512M", name="gop-x64-no-display",
             note="-vga none: no GOP at all", qemu_args=["-vga", "none"],
             expect=[(r"loader: no GOP \(Not Found\): no framebuffer", "loader: no GOP"),
                     (r"console: no framebuffer from the loader: serial only",
                      "kernel keeps serial only")]),
    ]


def all_cells():
    cells = [cell(f, d, p, m) for f in FIRMWARES for d in DISKS for p in PAGINGS for m in MEMORIES]
    for f in FIRMWARES:
        for p in PAGINGS:
            cells.append(cell(f, "ahci", p, "6G", tag="below4g-1G",
                              machine=["max-ram-below-4g=1G"],
                              note="q35 with 1 GiB below 4 GiB, 5 GiB above"))
    for p in PAGINGS:
        cells.append(cell("x64", "ahci", p, "6G", tag="below4g-512M",
                          machine=["max-ram-below-4g=512M"],
                          note="q35 with 512 MiB below 4 GiB, 5.5 GiB above"))
    for f, model in (("x64", "qemu64"), ("ia32", "qemu32")):
        for p in PAGINGS:
            cells.append(cell(f, "ahci", p, "512M", tag="cpu-nonx", cpu=f"{model},-nx",
                              note=f"-cpu {model},-nx: PAE without the NX bit"))
            # Without PAE, paging=pae must fall back to two-level.
            cells.append(cell(f, "ahci", p, "512M", tag="cpu-nopae", cpu=f"{model},-pae",
                              expect_paging="2level", note=f"-cpu {model},-pae"))
    for f in FIRMWARES:
        cells.append(cell(f, "ahci", "pae", "512M", tag="clearcpuid-pae",
                          cmdline=["clearcpuid=pae"], expect_paging="2level",
                          note="kernel knob clearcpuid=pae: the kernel acts as if CPUID lacked PAE"))
    return cells + gop_cells()


CELLS = {c["name"]: c for c in all_cells()}


# ---------------------------------------------------------------------------------------------
# One cell


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def artifact_digests(args):
    return {"bootx64": file_digest(args.bootx64), "bootia32": file_digest(args.bootia32),
            "kernel": file_digest(args.kernel)}


def config_lines(c):
    return [" ".join(["cmdline = mode=test"] + c["cmdline"]), f"paging = {c['paging']}"] + \
        c["config"]


def make_image(workdir, c, args):
    image = os.path.join(workdir, "disk.img")
    argv = ["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32,
            "--kernel", args.kernel]
    for line in config_lines(c):
        argv += ["--config-line", line]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return image


def boot(image, c, serial_log):
    extra = []
    if c["machine"]:
        extra += ["-machine", ",".join(c["machine"])]  # QEMU merges it into qemu.py's -machine
    if c["cpu"]:
        extra += ["-cpu", c["cpu"]]
    extra += c["qemu_args"]
    argv = [image, "--firmware", c["firmware"], "--disk", c["disk"], "--memory", c["memory"],
            "--display", "none", "--serial-log", serial_log,
            "--timeout", str(TIMEOUT[c["firmware"]])]
    result = qemu.run(qemu.parse_args(argv + (["--"] + extra if extra else [])))
    with open(serial_log, "rb") as f:
        serial = ESCAPES.sub("", f.read().decode("utf-8", errors="replace")).replace("\r", "")
    return result, serial


def paging_used(description):
    if "PAE" in description:
        return "pae"
    return "2level" if "two-level" in description else description


def tail(serial, lines=30):
    return ["serial log (last lines):"] + ["  " + l for l in serial.splitlines()[-lines:]]


def memory_bytes(text):
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1]])


def check_memory(tap, c, serial, record):
    """The firmware's map must fit in the RAM asked for, and hold most of it from 512M up."""
    m = USABLE_PAGES.search(serial)
    usable = int(m.group(1)) * PAGE if m else 0
    ram = memory_bytes(c["memory"])
    floor = ram // 2 if ram >= memory_bytes("512M") else 1
    record["usable_mib"] = usable >> 20
    return tap.check(floor <= usable <= ram,
                     f"memory map: {usable >> 20} MiB usable of {c['memory']} RAM",
                     [f"expected {floor >> 20}..{ram >> 20} MiB"])


def judge(tap, c, result, serial):
    """Checks one boot; returns the record fields that describe it."""
    record = {"qemu_s": round(result.seconds, 2), "exit": result.exit_code,
              "timed_out": result.timed_out}
    banner = re.search(LOADER_BANNER.format(firmware=c["firmware"]), serial) is not None
    if not banner and not result.timed_out and result.exit_code == 0 and not serial.strip():
        # -no-reboot turns a reset into exit 0: the firmware died before printing anything.
        record["status"] = "cannot-run"
        record["reason"] = (f"{c['firmware']} OVMF resets before any output on this CPU "
                            f"({c['cpu'] or 'default CPU'}); the loader never runs")
        tap.skip(f"{c['name']}: firmware starts", record["reason"])
        return record
    ok = tap.check(banner, f"loader banner 'Pagoda loader {c['firmware']}'", tail(serial))
    if m := FRAMEBUFFER.search(serial):
        record["gop"] = m.group(1)
    loading = re.search(r"^BdsDxe: loading Boot\S+ (.*)$", serial, re.M)
    ok &= tap.check(loading is not None and re.search(BOOT_DEVICE[c["disk"]], loading.group(1)),
                    f"firmware started the loader from the {c['disk']} disk",
                    [f"firmware said: {loading.group(0) if loading else 'nothing'}"])
    ok &= check_memory(tap, c, serial, record)
    results = KERNEL_TAP.findall(serial)
    plan = KERNEL_PLAN.search(serial)
    failed = [f"{n} {what}" for status, n, what in results if status != "ok"]
    ok &= tap.check(plan is not None and int(plan.group(1)) == len(results) and not failed,
                    f"kernel self-tests: {len(results)} results, plan "
                    f"{plan.group(1) if plan else 'missing'}, {len(failed)} failed",
                    [f"failed: {f}" for f in failed] + (tail(serial) if not plan else []))
    record["self_tests"] = len(results)
    m = PAGING_LINE.search(serial)
    used = paging_used(m.group(4)) if m else None
    if m:
        record.update({"cpu_pae": int(m.group(2)), "cpu_nx": int(m.group(3)),
                       "paging_used": used, "paging_text": m.group(4)})
    ok &= tap.check(used == c["expect_paging"],
                    f"kernel used {c['expect_paging']} paging (asked {c['paging']}"
                    f"{', ' + ' '.join(c['cmdline']) if c['cmdline'] else ''})",
                    [f"kernel said: {m.group(0) if m else 'nothing about paging'}"])
    ok &= tap.check(result.exit_code == EXIT_PASSED and not result.timed_out,
                    f"QEMU exit status {EXIT_PASSED} within {TIMEOUT[c['firmware']]} s",
                    [f"exit status {result.exit_code}, timed out {result.timed_out}"] +
                    tail(serial))
    for pattern, what in c["expect"]:
        ok &= tap.check(re.search(pattern, serial) is not None, what, [f"expected /{pattern}/"])
    if m := BOOT_PHASE.search(serial):
        record["boot_ms"] = float(m.group(1))
    record["status"] = "pass" if ok else "fail"
    return record


def run_cell(name, args):
    c, tap = CELLS[name], Tap()
    os.makedirs(args.result_dir, exist_ok=True)
    serial_log = os.path.join(args.result_dir, f"{name}.serial.log")
    record = {"cell": name, "firmware": c["firmware"], "disk": c["disk"], "paging": c["paging"],
              "memory": c["memory"], "tag": c["tag"], "note": c["note"],
              "expect_paging": c["expect_paging"], "artifacts": artifact_digests(args),
              "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    tap.comment(f"{name}: pagoda.cfg {config_lines(c)}; machine {c['machine'] or 'q35'}; "
                f"cpu {c['cpu'] or 'default'}; serial log {serial_log}")
    with tempfile.TemporaryDirectory(prefix=f"pagoda-matrix-{name}-") as workdir:
        try:
            result, serial = boot(make_image(workdir, c, args), c, serial_log)
            record.update(judge(tap, c, result, serial))
        except (OSError, RuntimeError, ValueError) as e:
            tap.check(False, f"{name} could not run: {e}")
            record.update({"status": "fail", "reason": str(e)})
    record["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    tap.comment(f"{name}: {record['status']}, QEMU {record.get('qemu_s', '?')} s, "
                f"loader entry -> kernel ready {record.get('boot_ms', '?')} ms")
    with open(os.path.join(args.result_dir, f"{name}.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    return tap.done()


# ---------------------------------------------------------------------------------------------
# The summary


def load_records(result_dir, digests):
    records = {}
    for name in CELLS:
        path = os.path.join(result_dir, f"{name}.json")
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            records[name] = {"cell": name, "status": "missing", "reason": "no result file"}
            continue
        if digests and r.get("artifacts") != digests:
            r = dict(r, status="stale", reason="ran with other loader or kernel binaries")
        records[name] = r
    return records


def cell_text(r):
    status = r.get("status", "missing")
    if status == "pass":
        return f"pass {r['boot_ms']:.0f} ms" if "boot_ms" in r else "pass"
    return {"cannot-run": "cannot run", "fail": "**FAIL**"}.get(status, f"**{status}**")


def grid(records):
    head = "| firmware | disk | paging | " + " | ".join(MEMORIES) + " |"
    lines = [head, "|" + "---|" * (3 + len(MEMORIES))]
    for f in FIRMWARES:
        for d in DISKS:
            for p in PAGINGS:
                row = [cell_text(records[f"{f}-{d}-{p}-{m}"]) for m in MEMORIES]
                lines.append(f"| {f} | {d} | {p} | " + " | ".join(row) + " |")
    return lines


def extras(records, graphics):
    lines = ["| cell | setup | paging asked -> used | result | QEMU s |", "|---|---|---|---|---|"]
    for name, c in CELLS.items():
        if not c["tag"] or (c["tag"] == "gop") != graphics:
            continue
        r = records[name]
        used = r.get("paging_used", "-")
        result = cell_text(r)
        if r.get("status") in ("cannot-run", "fail", "missing", "stale") and r.get("reason"):
            result += f": {r['reason']}"
        lines.append(f"| {name} | {c['note']} | {c['paging']} -> {used} | {result} | "
                     f"{r.get('qemu_s', '-')} |")
    return lines


def summary_text(records):
    counts = {}
    for r in records.values():
        counts[r.get("status", "missing")] = counts.get(r.get("status", "missing"), 0) + 1
    total = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    qemu_total = sum(r.get("qemu_s", 0) for r in records.values())
    return "\n".join(
        ["# Pagoda wide boot matrix", "",
         f"{len(records)} cells: {total}. QEMU time summed over cells: {qemu_total:.0f} s.",
         "Each cell boots `mode=test` on OVMF (TCG) and passes when the firmware started the "
         "loader from the cell's disk, the memory map fits the cell's RAM, the kernel's TAP plan "
         "is complete with no failure, the expected paging mode is in use and QEMU exits 33. "
         "Times: loader entry -> kernel ready (ms), from the TSC stamps in the boot info.", "",
         "## Firmware x disk x paging x RAM", ""] + grid(records) +
        ["", "## Small RAM below 4 GiB, CPUs without NX or PAE, clearcpuid", ""] +
        extras(records, graphics=False) +
        ["", "## Graphics mode choice (loader/gop.c)", ""] + extras(records, graphics=True) + [""])


def run_summary(args):
    tap = Tap()
    digests = artifact_digests(args) if args.kernel else None
    records = load_records(args.result_dir, digests)
    text = summary_text(records)
    target = args.summary_file or os.path.join(args.result_dir, "matrix-summary.md")
    with open(target, "w") as f:
        f.write(text)
    for line in text.splitlines():
        tap.comment(line)
    tap.comment(f"written to {target}")
    for name, r in records.items():
        status = r.get("status", "missing")
        if status == "cannot-run":
            tap.skip(name, r.get("reason", "cannot run"))
        else:
            tap.check(status == "pass", f"{name}: {status}",
                      [r.get("reason", f"see {name}.serial.log")])
    return tap.done()


def run_all(args):
    """Every cell, JOBS at a time, each in its own process (as meson would), then the summary."""
    me = os.path.abspath(__file__)
    common = ["--bootx64", args.bootx64, "--bootia32", args.bootia32, "--kernel", args.kernel,
              "--result-dir", args.result_dir]
    names = [n for n in CELLS if not args.only or re.search(args.only, n)]

    def one(name):
        with open(os.path.join(args.result_dir, f"{name}.tap"), "w") as out:
            rc = subprocess.call([sys.executable, me, name] + common, stdout=out)
        print(f"matrix: {name}: {'ok' if rc == 0 else 'FAILED'}", file=sys.stderr, flush=True)

    os.makedirs(args.result_dir, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, names))
    return run_summary(args)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cell", nargs="?", choices=sorted(CELLS))
    p.add_argument("--list", action="store_true", help="print the cell names and exit")
    p.add_argument("--summary", action="store_true", help="print and write the summary table")
    p.add_argument("--all", action="store_true", help="run every cell, then the summary")
    p.add_argument("--only", metavar="REGEX", help="with --all: only cells matching REGEX")
    p.add_argument("--jobs", "-j", type=int, default=2, help="with --all: QEMUs at a time")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--result-dir", default=".", help="CELL.json and serial logs go here")
    p.add_argument("--summary-file", help="where matrix-summary.md goes (default: result dir)")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(CELLS))
        return 0
    have_artifacts = args.bootx64 and args.bootia32 and args.kernel
    if args.summary:
        return run_summary(args)
    if not have_artifacts:
        p.error("--bootx64, --bootia32 and --kernel are required")
    if args.all:
        return run_all(args)
    if not args.cell:
        p.error("name a CELL, or use --list, --summary or --all")
    return run_cell(args.cell, args)


if __name__ == "__main__":
    sys.exit(main())
