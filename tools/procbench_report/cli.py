"""tools/procbench-report's command line: boot procbench in both paging formats, A/B
interleaved (or read saved serial logs), and write report.md, procbench.csv and summary.csv."""

import argparse
import datetime
import os
import shlex
import sys

import qemu  # tools/qemu.py

from . import boot
from .records import MODES, parse_log
from .report import write_report

DESCRIPTION = ("Boot Pagoda's process benchmark (user program procbench) in QEMU in two-level "
               "and PAE paging and write a side-by-side report.")


def boot_order(first, rounds):
    """A/B interleaved: pae, 2level, pae, 2level, ... (FIRST first), ROUNDS boots of each."""
    second = MODES[0] if first == MODES[1] else MODES[1]
    return [mode for _ in range(rounds) for mode in (first, second)]


def read_log(path):
    with open(path, errors="replace") as f:
        return parse_log(f.read())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument("--build", help="meson build dir: build it, take the boot files there")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--programs", help="programs.tar, the ramdisk holding procbench")
    p.add_argument("--output", "-o", default="procbench-report", help="folder for the results")
    p.add_argument("--firmware", choices=sorted(qemu.FIRMWARE), default="x64")
    p.add_argument("--memory", default="256M")
    p.add_argument("--accel", choices=["tcg", "auto", "kvm"], default="tcg")
    p.add_argument("--rounds", type=int, default=2, help="boots per paging format (2)")
    p.add_argument("--first", choices=MODES, default="pae", help="the format booted first")
    p.add_argument("--samples", type=int, help="procbench --samples N (1000 to 4096)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    p.add_argument("--from-log", metavar="FILE", nargs="+",
                   help="no QEMU: read these saved serial logs, in boot order")
    args = p.parse_args(argv)
    out = args.output
    os.makedirs(out, exist_ok=True)
    runs, failures = [], []
    if args.from_log:
        meta = dict(where="(read from saved logs)")
        for path in args.from_log:
            runs.append((os.path.basename(path).replace(".serial.log", ""), read_log(path)))
    else:
        boot.find_artifacts(args)
        meta = dict(where=boot.where(args), interleaved=True)
        for i, mode in enumerate(boot_order(args.first, args.rounds)):
            name = f"{i + 1}-{mode}"
            print(f"procbench-report: boot {name} ...", file=sys.stderr, flush=True)
            log, result = boot.boot(args, mode, name, out)
            run = read_log(log)
            if result.exit_code != boot.QEMU_PASS:
                failures.append(f"{name}: QEMU exit status {result.exit_code} "
                                f"(timed out: {result.timed_out}), not {boot.QEMU_PASS}")
            print(f"procbench-report: boot {name}: {result.seconds:.0f} s", file=sys.stderr)
            runs.append((name, run))
    meta["command"] = "tools/procbench-report " + " ".join(shlex.quote(a) for a in argv)
    meta["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for name, run in runs:
        failures += [f"{name}: {problem}" for problem in run.problems()]
    modes = {run.mode for _, run in runs}
    failures += [f"no boot in {mode} paging" for mode in MODES if mode not in modes]
    path = write_report(runs, out, meta)
    with open(path) as f:
        sys.stdout.write(f.read())
    for failure in failures:
        print(f"procbench-report: {failure}", file=sys.stderr)
    print(f"procbench-report: {len(runs)} boots, {len(failures)} problems; wrote {path}, "
          f"{out}/procbench.csv, {out}/summary.csv", file=sys.stderr)
    return 1 if failures else 0
