"""Booting the comparison: build, make the disk image (tools/mkimage.py), run QEMU (tools/qemu.py)
and say where it ran."""

import os
import platform
import subprocess
import sys

import mkimage  # tools/mkimage.py
import qemu  # tools/qemu.py


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def qemu_version():
    try:
        out = subprocess.run([qemu.qemu_binary(), "--version"], capture_output=True, text=True,
                             check=False).stdout
        return out.splitlines()[0] if out else "unknown"
    except OSError:
        return "unknown"


def find_artifacts(args):
    if args.build:
        subprocess.run(["ninja", "-C", args.build], check=True, stdout=subprocess.DEVNULL)
        args.bootx64 = args.bootx64 or os.path.join(args.build, "loader", "BOOTX64.EFI")
        args.bootia32 = args.bootia32 or os.path.join(args.build, "loader", "BOOTIA32.EFI")
        args.kernel = args.kernel or os.path.join(args.build, "kernel", "pagoda.elf")
        args.programs = args.programs or os.path.join(args.build, "user", "programs.tar")
    for name in ("bootx64", "bootia32", "kernel", "programs"):
        if not getattr(args, name) or not os.path.exists(getattr(args, name)):
            sys.exit(f"compare-report: --{name} (or --build) must name an existing file")


def boot(args, out):
    image = os.path.join(out, "compare.img")
    cmdline = f"mode=compare compare={'short' if args.short else 'full'} paging={args.paging}"
    if args.clearcpuid:
        cmdline += f" clearcpuid={args.clearcpuid}"
    if mkimage.main(["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32,
                     "--kernel", args.kernel, "--programs", args.programs,
                     "--config-line", f"cmdline = {cmdline}"]) != 0:
        sys.exit("compare-report: tools/mkimage.py could not make the disk image")
    log = os.path.join(out, "serial.log")
    screen = os.path.join(out, "screen.png")
    monitor = os.path.join(out, "monitor.sock")
    qargs = [image, "--firmware", args.firmware, "--memory", args.memory, "--display", "none",
             "--serial-log", log, "--timeout", str(args.timeout), "--stop-on", "CMPEND,",
             "--monitor", monitor, "--screendump", screen, "--accel", "tcg"]
    result = qemu.run(qemu.parse_args(qargs))
    for path in (image, monitor):
        if os.path.exists(path):
            os.unlink(path)
    where = (f"QEMU TCG ({qemu_version()}) on {host_cpu()}, {os.cpu_count()} host cores; "
             f"{args.firmware} OVMF, {args.memory} RAM")
    meta = dict(where=where, seconds=f"{result.seconds:.1f} s",
                screen=os.path.exists(screen) and os.path.getsize(screen) > 0)
    if result.timed_out:
        print(f"compare-report: QEMU timed out after {args.timeout} s", file=sys.stderr)
    return log, meta
