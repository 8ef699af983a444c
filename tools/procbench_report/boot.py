"""Booting procbench: build, make a disk image with procbench as the first process
(tools/mkimage.py), boot it in QEMU (tools/qemu.py), keep the serial log."""

import os
import subprocess
import sys

import mkimage  # tools/mkimage.py
import qemu  # tools/qemu.py
from compare_report.boot import host_cpu, qemu_version  # tools/compare_report/boot.py

ARTIFACTS = {"bootx64": ("loader", "BOOTX64.EFI"), "bootia32": ("loader", "BOOTIA32.EFI"),
             "kernel": ("kernel", "pagoda.elf"), "programs": ("user", "programs.tar")}
QEMU_PASS = 33  # isa-debug-exit: in mode=test, init exited with status 0


def find_artifacts(args):
    if args.build:
        subprocess.run(["ninja", "-C", args.build], check=True, stdout=subprocess.DEVNULL)
        for name, parts in ARTIFACTS.items():
            if not getattr(args, name):
                setattr(args, name, os.path.join(args.build, *parts))
    for name in ARTIFACTS:
        if not getattr(args, name) or not os.path.exists(getattr(args, name)):
            sys.exit(f"procbench-report: --{name} (or --build) must name an existing file")


def cmdline(mode, samples):
    words = ["mode=test", f"paging={mode}", "init=procbench"]
    if samples:
        words += ["--samples", str(samples)]
    return " ".join(words)


def boot(args, mode, name, out):
    """One boot of procbench in paging format MODE: (serial log path, qemu.RunResult)."""
    image = os.path.join(out, f"{name}.img")
    if mkimage.main(["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32,
                     "--kernel", args.kernel, "--programs", args.programs,
                     "--config-line", f"cmdline = {cmdline(mode, args.samples)}"]) != 0:
        sys.exit("procbench-report: tools/mkimage.py could not make the disk image")
    log = os.path.join(out, f"{name}.serial.log")
    qargs = [image, "--firmware", args.firmware, "--memory", args.memory, "--display", "none",
             "--serial-log", log, "--timeout", str(args.timeout), "--accel", args.accel]
    try:
        result = qemu.run(qemu.parse_args(qargs))
    finally:
        if os.path.exists(image):
            os.unlink(image)
    return log, result


def where(args):
    accel = "QEMU TCG" if args.accel == "tcg" else f"QEMU (accel {args.accel})"
    return (f"{accel} ({qemu_version()}) on {host_cpu()}, {os.cpu_count()} host cores; "
            f"{args.firmware} OVMF, {args.memory} RAM")
