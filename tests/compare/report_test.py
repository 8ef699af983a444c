#!/usr/bin/env python3
"""Unit test of the report tool (tools/compare_report/, behind tools/compare-report) without QEMU,
part by part, as TAP: records parses every kind of line and names the malformed ones;
arithmetic gives the page-table costs worked out by hand here; checks passes a synthetic log
built from the package's own lists and fails each kind of damage (a wrong structural value, a
missing record, a malformed line, too few samples, a failed run); the CSV files read back as the
records; the SVG charts parse as XML; report.md holds the tables and marks emulator timings; the
command writes every file and prints TAP with --check."""

import contextlib
import csv
import io
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(HERE, ".."))
from compare_report import arithmetic, checks, cli, csv_files, markdown, records, svg  # noqa: E402
from compare_report.records import (CHASE_SHORT, INFO_KEYS, INVAL_KS, LAYOUTS, MODES,  # noqa: E402
                                    PAGES, WRITE_NS)
from taplib import Tap  # noqa: E402  (tests/taplib.py)

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


def synthetic_log():
    lines = [f"CMPINFO,{k},x" for k in INFO_KEYS]
    lines = [line.replace("run,x", "run,short").replace("timing_label,x", "timing_label,"
                                                        "emulator figure (QEMU TCG)")
             for line in lines]
    for mode in MODES:
        def s(metric, page, n, value, unit="bytes"):
            lines.append(f"CMP,{metric},{mode},{page},{n},structural,{value},{value},ok,-,{unit},1")

        def t(metric, page, n, base):
            lines.append(f"CMP,{metric},{mode},{page},{n},timing,{base:.2f},{base + 1:.2f},"
                         f"{base + 5:.2f},0.50,cycles,1000")

        for layout in LAYOUTS:
            for page in PAGES:
                v = arithmetic.expected_layout_bytes(mode, layout, page == "large") or 12288
                s("pt_bytes", page, layout, v)
                for metric in ("pt_pages", "pt_pages_leaf", "pt_pages_mid"):
                    s(metric, page, layout, 3, "pages")
        for n in WRITE_NS:
            for metric, value in arithmetic.expected_write(mode, n).items():
                s(metric, "4k", n, value, "entries")
        s("levels_walked", "4k", 1, 2, "levels")
        s("levels_walked", "large", 1, 1, "levels")
        s("nx_enforced", "4k", 1, 1 if mode == "pae" else 0, "bool")
        for metric in ("phys_limit", "highest_frame", "usable_ram", "ram_out_of_reach"):
            s(metric, "-", 1, 4096)
        t("tsc_bracket", "-", 0, 30)
        t("map", "4k", 1, 2000)
        t("unmap", "4k", 1, 3000)
        t("cr3_refill", "4k", 256, 30000)
        t("window_remap", "4k", 1, 400)
        t("window_hit", "4k", 1, 20)
        lines.append(f"CMP,inval_breakeven,{mode},4k,256,timing,64.00,64.00,64.00,0.00,pages,1")
        for k in INVAL_KS:
            t("invlpg_refill", "4k", k, 1000 + k * 100)
        for page in PAGES:
            for n in CHASE_SHORT:
                t("chase", page, n, 5 + n / 100)
    lines.append("CMPEND,pass,0")
    return "\n".join(lines) + "\n"


def test_records(tap):
    rec = records.parse_log("boot noise\r\nCMPINFO,cpu_brand,Some CPU, with a comma\r\n"
                            "CMP,pt_bytes,pae,4k,all4g,structural,8405024,8405024,ok,-,bytes,1\r\n"
                            "CMP,chase,2level,large,16,timing,5.00,6.00,9.00,0.50,cycles,1000\n"
                            "CMP,chase,pae,4k,16,timing,1,2\n"
                            "CMP,map,pae,4k,1,timing,a,b,c,d,cycles,1000\n"
                            "CMP,map,pae,4k,1,elsewhere,1,2,3,4,cycles,1000\n"
                            "CMPEND,fail,2\n")
    tap.check(rec.info == {"cpu_brand": "Some CPU, with a comma"},
              "records: CMPINFO keeps commas in the value and drops the CR", [str(rec.info)])
    s = rec.find("structural", "pt_bytes", "pae", "4k", "all4g")
    tap.check(s is not None and s["value"] == 8405024 and s["expected"] == 8405024 and
              s["ok"] == "ok" and s["unit"] == "bytes",
              "records: a structural record, found by metric, mode, page and n", [str(s)])
    t = rec.find("timing", "chase", "2level", "large", 16)
    tap.check(t is not None and (t["min"], t["median"], t["p99"], t["mad"], t["samples"]) ==
              (5.0, 6.0, 9.0, 0.5, 1000), "records: a timing record with its statistics",
              [str(t)])
    tap.check(len(rec.malformed) == 3 and "timing,1,2" in rec.malformed[0],
              "records: short, non-numeric and unknown-kind lines are listed as malformed",
              rec.malformed)
    tap.check(rec.end == ("fail", "2"), "records: CMPEND gives status and failure count",
              [str(rec.end)])
    tap.check(records.parse_log("").end is None, "records: a log without CMPEND has no end")


def test_arithmetic(tap):
    # Worked out by hand from the entry formats. Two-level: a 4 KiB directory of 1024 PDEs, one
    # 4 KiB page table per 4 MiB. PAE: a 32-byte PDPT, one 4 KiB directory per GiB, one page table
    # per 2 MiB.
    cases = [
        ("2level", "all4g", False, 4096 + 1024 * 4096),  # 4100 KiB
        ("pae", "all4g", False, 32 + 4 * 4096 + 2048 * 4096),  # 8208 KiB + 32
        ("2level", "all4g", True, 4096),  # 4 MiB pages: the directory alone
        ("pae", "all4g", True, 32 + 4 * 4096),
        ("2level", "direct1g", False, 4096 + 256 * 4096),
        ("pae", "direct1g", False, 32 + 4096 + 512 * 4096),
        ("2level", "direct1g", True, 4096),
        ("pae", "direct1g", True, 32 + 4096),
    ]
    wrong = [(m, l, g, arithmetic.expected_layout_bytes(m, l, g), want)
             for m, l, g, want in cases if arithmetic.expected_layout_bytes(m, l, g) != want]
    tap.check(not wrong, "arithmetic: page-table bytes of all 4 GiB and of the 1 GiB direct map "
              "equal the hand-worked values", [str(w) for w in wrong])
    tap.check(arithmetic.expected_layout_bytes("pae", "kernel", False) is None,
              "arithmetic: the booted kernel layout is left to the kernel's own check")
    # 4 MiB + 4 KiB at an address 4 KiB off a 4 MiB boundary, physically aligned the same way:
    # no 4 MiB piece is aligned in both, so two page tables; physically misaligned by 4 KiB from
    # an aligned virtual start, large pages are impossible too.
    tap.check(arithmetic.table_bytes("2level", [(4 * MIB + 4 * KIB, 4 * KIB, 4 * MIB)], True)
              == 4096 + 2 * 4096 and
              arithmetic.table_bytes("2level", [(8 * MIB, 4 * KIB, 4 * MIB)], True)
              == 4096 + 4096 and
              arithmetic.table_bytes("2level", [(8 * MIB, 4 * MIB, 4 * MIB)], True) == 4096,
              "arithmetic: a large page only where virtual and physical addresses align")
    # Mapping 1024 pages at a 1 GiB boundary of an empty space. Two-level: one full page table
    # (1024 PTEs in 64 lines) and one PDE. PAE: two page tables (128 lines of PTEs), two PDEs in
    # one line of a new directory, and one PDPTE.
    got = {m: arithmetic.expected_write(m, 1024) for m in MODES}
    tap.check(got == {"2level": dict(write_entries=1025, write_lines=65, write_tables=1),
                      "pae": dict(write_entries=1027, write_lines=130, write_tables=3)},
              "arithmetic: entries, lines and tables written for 1024 pages", [str(got)])
    got = {m: arithmetic.expected_write(m, 1) for m in MODES}
    tap.check(got == {"2level": dict(write_entries=2, write_lines=2, write_tables=1),
                      "pae": dict(write_entries=3, write_lines=3, write_tables=2)},
              "arithmetic: entries, lines and tables written for one page", [str(got)])


def passes(text):
    return all(c[0] for c in checks.check(records.parse_log(text)))


def test_checks(tap, good):
    tap.check(passes(good), "checks: a complete, consistent log passes every check")
    tap.check(not passes(good.replace("CMP,pt_bytes,pae,4k,all4g,structural,8405024,8405024",
                                      "CMP,pt_bytes,pae,4k,all4g,structural,8405024,8405023")),
              "checks: a structural value that differs from the kernel's arithmetic fails")
    tap.check(not passes(good.replace("structural,4198400,4198400", "structural,4198401,4198401")),
              "checks: a structural value that differs from the package's own arithmetic fails")
    tap.check(not passes("\n".join(line for line in good.splitlines()
                                   if ",window_hit,2level," not in line)),
              "checks: a missing metric fails")
    tap.check(not passes(good + "CMP,chase,pae,4k,16,timing,1,2\n"),
              "checks: a malformed record fails")
    tap.check(not passes(good.replace("cycles,1000", "cycles,999", 1)),
              "checks: too few samples fail")
    tap.check(not passes(good.replace("CMPEND,pass,0", "CMPEND,fail,1")),
              "checks: a failed run fails")
    tap.check(not passes(good.replace("CMPEND,pass,0", "")), "checks: a run that never ended fails")
    results = checks.check(records.parse_log(good.replace("structural,4198400,4198400",
                                                          "structural,4198401,4198401")))
    failed = [r for r in results if not r[0]]
    tap.check(len(failed) == 2 and all("4198401" in r[2] for r in failed),
              "checks: the failures name the value at fault", [str(r) for r in failed])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        all_ok = checks.print_tap([(True, "one", ""), (False, "two", "why")])
    tap.check(not all_ok and out.getvalue() == "1..2\nok 1 - one\nnot ok 2 - two\n# why\n",
              "checks: TAP output, details under the failing point", [out.getvalue()])


def test_writers(tap, good):
    rec = records.parse_log(good)
    with tempfile.TemporaryDirectory() as out:
        csv_files.write_csvs(rec, out)
        with open(os.path.join(out, "structural.csv"), newline="") as f:
            rows = list(csv.reader(f))
        tap.check(rows[0][:5] == ["metric", "mode", "page", "n", "value"] and
                  len(rows) == 1 + len(rec.structural) and
                  rows[1][4] == str(rec.structural[0]["value"]),
                  "csv_files: structural.csv holds every structural record")
        with open(os.path.join(out, "timing.csv"), newline="") as f:
            rows = list(csv.reader(f))
        tap.check(len(rows) == 1 + len(rec.timing) and
                  all(r[-1] == "emulator figure (QEMU TCG)" for r in rows[1:]),
                  "csv_files: timing.csv holds every timing record with its label")
        with open(os.path.join(out, "info.csv"), newline="") as f:
            rows = list(csv.reader(f))
        tap.check(len(rows) == 1 + len(INFO_KEYS), "csv_files: info.csv holds the machine info")

        for name, chart in (("latency.svg", svg.chart_latency), ("pt-bytes.svg", svg.chart_bytes)):
            path = os.path.join(out, name)
            written = chart(rec, path)
            try:
                root = ET.parse(path).getroot()
                parsed = root.tag.endswith("svg")
            except (OSError, ET.ParseError):
                parsed = False
            tap.check(written and parsed, f"svg: {name} is written and is well-formed SVG")
        empty = os.path.join(out, "empty.svg")
        tap.check(not svg.chart_latency(records.parse_log(""), empty) and
                  not svg.chart_bytes(records.parse_log(""), empty) and not os.path.exists(empty),
                  "svg: no chart without records")
        tap.check(svg.nice_ticks(3, 60) == [5, 10, 20, 50] and
                  svg.binary_ticks(3000, 70000) == [4096, 16384, 65536] and
                  svg.byte_label(4096) == "4 KiB" and svg.byte_label(3 << 20) == "3 MiB",
                  "svg: axis ticks and byte labels")

        meta = dict(date="2000-01-01 00:00 UTC", where="here", seconds="1.0 s")
        bad = records.parse_log(good.replace("CMPEND,pass,0", "CMPEND,fail,1"))
        markdown.write_report(bad, out, meta, checks.check(bad))
        with open(os.path.join(out, "report.md")) as f:
            report = f.read()
        tap.check("emulator figure" in report and "| chase (emulator) |" in report,
                  "markdown: the report marks the emulator timings")
        tap.check("| all of 4 GiB | 4,100 KiB (3 pages) |" in report and
                  "Generated 2000-01-01 00:00 UTC" in report,
                  "markdown: the structural table and the date given")
        tap.check("- FAIL: the kernel reports no failure (CMPEND ('fail', '1'))" in report,
                  "markdown: a failed check is listed with its details")


def test_command(tap, good):
    with tempfile.TemporaryDirectory() as out:
        log = os.path.join(out, "serial.log")
        with open(log, "w") as f:
            f.write(good)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cli.main(["--from-log", log, "--output", out])
        tap.check(rc == 0 and "0 failed checks" in err.getvalue(),
                  "cli: exit 0 on a good log", [err.getvalue()])
        for name in ("report.md", "structural.csv", "timing.csv", "info.csv", "latency.svg",
                     "pt-bytes.svg"):
            tap.check(os.path.getsize(os.path.join(out, name)) > 0, f"cli: {name} written")
        with open(log, "w") as f:
            f.write(good.replace("cycles,1000", "cycles,999", 1))
        tap_out = io.StringIO()
        with contextlib.redirect_stdout(tap_out):
            rc = cli.main(["--from-log", log, "--output", out, "--check"])
        tap.check(rc == 1 and "not ok" in tap_out.getvalue() and
                  tap_out.getvalue().startswith("1.."),
                  "cli: --check prints TAP and exits 1 on a damaged log", [tap_out.getvalue()])


def main():
    tap = Tap()
    good = synthetic_log()
    test_records(tap)
    test_arithmetic(tap)
    test_checks(tap, good)
    test_writers(tap, good)
    test_command(tap, good)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
