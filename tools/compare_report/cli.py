"""tools/compare-report's command line: boot (or read a saved log), check, write every file."""

import argparse
import datetime
import os
import sys

import qemu  # tools/qemu.py

from .boot import boot, find_artifacts
from .checks import check, print_tap
from .csv_files import write_csvs
from .markdown import write_report
from .records import parse_log
from .svg import chart_bytes, chart_frag, chart_latency, chart_proc_tables

DESCRIPTION = ("Boot Pagoda's two-level vs PAE comparison (kernel mode=compare) in QEMU and write "
               "a report.")


def main(argv=None):
    p = argparse.ArgumentParser(description=DESCRIPTION)
    p.add_argument("--build", help="meson build dir: build it, take the loader and kernel there")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--programs", help="the ramdisk of user programs (cmpbench runs from it)")
    p.add_argument("--output", "-o", default="compare-report", help="folder for the results")
    p.add_argument("--firmware", choices=sorted(qemu.FIRMWARE), default="x64")
    p.add_argument("--memory", default="512M")
    p.add_argument("--paging", choices=["pae", "2level"], default="pae",
                   help="the format the kernel boots in (the other is built at runtime)")
    p.add_argument("--short", action="store_true", help="compare=short: fewer sizes, 2 rounds")
    p.add_argument("--clearcpuid", metavar="LIST",
                   help="hide CPU features from the kernel (clearcpuid=LIST), e.g. pge: no global "
                        "pages at all")
    p.add_argument("--timeout", type=float, default=170)
    p.add_argument("--from-log", metavar="FILE", help="no QEMU: read this serial log")
    p.add_argument("--check", action="store_true", help="validate and print TAP (exit 1 on fail)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    out = args.output
    os.makedirs(out, exist_ok=True)
    if args.from_log:
        log, meta = args.from_log, dict(where="(read from a saved log)", seconds="?")
    else:
        find_artifacts(args)
        log, meta = boot(args, out)
    meta["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(log, errors="replace") as f:
        rec = parse_log(f.read())
    checks = check(rec)
    write_csvs(rec, out)
    chart_latency(rec, os.path.join(out, "latency.svg"))
    chart_bytes(rec, os.path.join(out, "pt-bytes.svg"))
    chart_proc_tables(rec, os.path.join(out, "proc-pt.svg"))
    chart_frag(rec, os.path.join(out, "frag.svg"))
    write_report(rec, out, meta, checks)
    if args.check:
        return 0 if print_tap(checks) else 1
    failed = [c for c in checks if not c[0]]
    print(f"compare-report: {len(rec.structural)} structural and {len(rec.timing)} timing "
          f"records, {len(failed)} failed checks; wrote {out}/report.md", file=sys.stderr)
    return 1 if failed else 0
