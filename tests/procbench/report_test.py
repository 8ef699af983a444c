#!/usr/bin/env python3
"""Unit test of tools/procbench-report (tools/procbench_report/) without QEMU, as TAP, on two
serial logs captured from real boots of procbench (data/: one in PAE, one in two-level paging,
QEMU TCG): records finds every metric and the facts of each boot; a malformed line, a missing
metric, too few samples and an unfinished run are each named as problems; the summary takes the
median of the boots' medians, the least minimum and the ratios PAE / two-level; report.md has
both formats side by side and the timing label; the CSV files read back as the records; the
command writes every file from saved logs and fails on an incomplete one; the boots alternate
the formats."""

import contextlib
import csv
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(HERE, ".."))
from procbench_report import boot, cli, report  # noqa: E402
from procbench_report.records import METRICS, MIN_SAMPLES, parse_log  # noqa: E402
from taplib import Tap  # noqa: E402  (tests/taplib.py)

LOGS = {mode: os.path.join(HERE, "data", f"{mode}.serial.log") for mode in ("pae", "2level")}


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def replace_line(text, prefix, new):
    """TEXT with its first line starting with PREFIX replaced by NEW (None: removed)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            if new is None:
                del lines[i]
            else:
                lines[i] = new
            break
    else:
        raise AssertionError(f"no line starts with {prefix!r}")
    return "\n".join(lines) + "\n"


def check_records(tap, texts):
    for mode, text in texts.items():
        run = parse_log(text)
        tap.check(run.mode == mode, f"{mode} log: paging {run.mode!r}")
        tap.check(all(m in run.metrics for m in METRICS),
                  f"{mode} log: every metric ({len(run.metrics)} of {len(METRICS)})",
                  [f"missing: {[m for m in METRICS if m not in run.metrics]}"])
        tap.check(all(run.metrics[m]["samples"] >= MIN_SAMPLES for m in run.metrics),
                  f"{mode} log: at least {MIN_SAMPLES} samples per metric")
        tap.check(run.problems() == [], f"{mode} log: a complete run", run.problems())
        tap.check(run.end == "ok" and run.init_status == 0,
                  f"{mode} log: PROCBENCHEND,ok and init exited with status 0")
        tap.check("emulator figure (QEMU TCG)" == run.info.get("timing_label"),
                  f"{mode} log: labelled an emulator figure")
        tap.check(all(run.about(m) for m in METRICS), f"{mode} log: each metric says what one "
                  "sample is")
        tap.check(run.kernel_counters and "switches to processes" in run.kernel_counters,
                  f"{mode} log: the kernel's counters at the end were read")
    pae = parse_log(texts["pae"])
    m = pae.metrics["getpid"]
    line = next(l for l in texts["pae"].splitlines() if l.startswith("PROCBENCH,getpid,"))
    fields = line.split(",")
    tap.check([m["samples"], m["min"], m["median"], m["p99"], m["mad"]] ==
              [int(v) for v in fields[3:8]], "getpid's fields read in order")


def check_damage(tap, text):
    line = next(l for l in text.splitlines() if l.startswith("PROCBENCH,fault,"))
    cases = [
        ("a malformed line", replace_line(text, "PROCBENCH,fault,", line.rsplit(",", 1)[0]),
         "malformed line"),
        ("a non-number",
         replace_line(text, "PROCBENCH,fault,", line.replace(",cycles", "x,cycles")),
         "malformed line"),
        ("a missing metric", replace_line(text, "PROCBENCH,uptime,", None),
         "no PROCBENCH line for uptime"),
        ("too few samples", replace_line(text, "PROCBENCH,fault,", ",".join(
            line.split(",")[:3] + ["999"] + line.split(",")[4:])), "fewer than 1000"),
        ("min above the median", replace_line(text, "PROCBENCH,fault,", ",".join(
            line.split(",")[:4] + ["999999999"] + line.split(",")[5:])), "does not hold"),
        ("an unfinished run", replace_line(text, "PROCBENCHEND,", None), "PROCBENCHEND,ok"),
        ("a failed measurement", text + "procbench: fault not measured: sbrk(4096): ENOMEM\n",
         "not measured"),
        ("init's failure", text.replace("init exited with status 0", "init exited with status 1"),
         "exit status 1"),
    ]
    for what, damaged, expect in cases:
        problems = parse_log(damaged).problems()
        tap.check(any(expect in p for p in problems), f"problem named: {what}", problems)


def check_summary(tap, texts):
    pae, two = parse_log(texts["pae"]), parse_log(texts["2level"])
    table = report.summary([("1-pae", pae), ("2-2level", two)])
    ok = all(table[m]["pae"] == pae.metrics[m]["median"] and
             table[m]["2level"] == two.metrics[m]["median"] for m in METRICS)
    tap.check(ok, "one boot per format: the summary is each boot's median")
    ratio_ok = all(abs(table[m]["ratio"] - pae.metrics[m]["median"] / two.metrics[m]["median"])
                   < 1e-9 for m in METRICS if two.metrics[m]["median"])
    tap.check(ratio_ok, "ratio = PAE median / two-level median")
    # Three PAE boots with different medians: the median of the three.
    boots = []
    for k, scale in enumerate((1, 3, 2)):
        run = parse_log(texts["pae"])
        for m in run.metrics.values():
            m["median"] *= scale
        boots.append((f"{k}-pae", run))
    table = report.summary(boots + [("x-2level", two)])
    tap.check(table["getpid"]["pae"] == 2 * pae.metrics["getpid"]["median"],
              "several boots of a format: the median of their medians")
    boots[1][1].metrics["getpid"]["min"] = 1
    table = report.summary(boots + [("x-2level", two)])
    tap.check(table["getpid"]["pae_min"] == 1 and
              table["getpid"]["ratio_min"] == 1 / two.metrics["getpid"]["min"],
              "several boots of a format: the least minimum, and its ratio")
    table = report.summary([("1-pae", pae)])
    tap.check(table["getpid"]["2level"] is None and table["getpid"]["ratio"] is None,
              "a format without boots has no figure and no ratio")


def check_outputs(tap, texts):
    runs = [("1-pae", parse_log(texts["pae"])), ("2-2level", parse_log(texts["2level"]))]
    md = report.markdown(runs, dict(command="tools/procbench-report --x", where="here"))
    tap.check("**Timings: emulator figure (QEMU TCG)**" in md, "report.md: the timing label")
    tap.check("| metric | one sample | two-level median | PAE median | PAE / two-level | "
              "two-level min | PAE min | PAE / two-level (min) |" in md,
              "report.md: both formats side by side with the ratios")
    two = runs[1][1].metrics["getpid"]["median"]
    pae = runs[0][1].metrics["getpid"]["median"]
    row = next((l for l in md.splitlines() if l.startswith("| getpid |")), "")
    two_min = runs[1][1].metrics["getpid"]["min"]
    pae_min = runs[0][1].metrics["getpid"]["min"]
    tap.check(f"| {two:,} | {pae:,} | {pae / two:.2f} | {two_min:,} | {pae_min:,} | "
              f"{pae_min / two_min:.2f} |" in row, "report.md: the getpid row", [row])
    tap.check("`tools/procbench-report --x`" in md, "report.md: the command")
    tap.check("incomplete" not in md, "report.md: no problem noted for complete boots")
    with tempfile.TemporaryDirectory() as out:
        report.write_csvs(runs, out)
        with open(os.path.join(out, "procbench.csv")) as f:
            rows = list(csv.DictReader(f))
        tap.check(len(rows) == 2 * len(METRICS), f"procbench.csv: {len(rows)} rows")
        back = all(int(r["median"]) == dict(runs)[r["boot"]].metrics[r["metric"]]["median"]
                   and int(r["p99"]) == dict(runs)[r["boot"]].metrics[r["metric"]]["p99"]
                   for r in rows)
        tap.check(back, "procbench.csv reads back as the records")
        with open(os.path.join(out, "summary.csv")) as f:
            rows = {r["metric"]: r for r in csv.DictReader(f)}
        tap.check(set(rows) == set(METRICS) and
                  float(rows["getpid"]["pae_over_2level"]) == round(pae / two, 3),
                  "summary.csv: every metric with its ratio")


def check_command(tap):
    with tempfile.TemporaryDirectory() as out:
        with contextlib.redirect_stdout(io.StringIO()) as stdout, \
                contextlib.redirect_stderr(io.StringIO()):
            rc = cli.main(["--from-log", LOGS["pae"], LOGS["2level"], "--output", out])
        files = [f for f in ("report.md", "procbench.csv", "summary.csv")
                 if os.path.exists(os.path.join(out, f))]
        tap.check(rc == 0 and len(files) == 3, f"--from-log: exit {rc}, wrote {files}")
        tap.check(stdout.getvalue().startswith("# Processes in two-level and PAE paging"),
                  "--from-log: prints report.md")
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()) as stderr:
            rc = cli.main(["--from-log", LOGS["pae"], "--output", out])
        tap.check(rc == 1 and "no boot in 2level paging" in stderr.getvalue(),
                  "--from-log: a format missing is a failure", [stderr.getvalue()])
        broken = os.path.join(out, "broken.serial.log")
        with open(broken, "w") as f:
            f.write(replace_line(read(LOGS["2level"]), "PROCBENCHEND,", None))
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()) as stderr:
            rc = cli.main(["--from-log", LOGS["pae"], broken, "--output", out])
        tap.check(rc == 1 and "broken: procbench did not end" in stderr.getvalue(),
                  "--from-log: an unfinished boot is a failure", [stderr.getvalue()])
    tap.check(cli.boot_order("pae", 2) == ["pae", "2level", "pae", "2level"] and
              cli.boot_order("2level", 1) == ["2level", "pae"], "boots alternate the formats")
    tap.check(boot.cmdline("pae", None) == "mode=test paging=pae init=procbench" and
              boot.cmdline("2level", 2000).endswith("init=procbench --samples 2000"),
              "the kernel command line of a boot")


def main():
    tap = Tap()
    texts = {mode: read(path) for mode, path in LOGS.items()}
    check_records(tap, texts)
    check_damage(tap, texts["pae"])
    check_summary(tap, texts)
    check_outputs(tap, texts)
    check_command(tap)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
