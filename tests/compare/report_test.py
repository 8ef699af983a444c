#!/usr/bin/env python3
"""Unit test of the report tool (tools/compare_report/, behind tools/compare-report) without QEMU,
part by part, as TAP: records parses every kind of line and names the malformed ones;
arithmetic gives the page-table costs worked out by hand here, per mapping and per process, and
replays a churn whose outcome is worked out by hand; checks passes a synthetic log built from
the package's own lists and fails each kind of damage (a wrong structural value, a missing
record, a malformed line, too few samples, a failed run, a wrong process table, a missing
layout, a churn count or sample that differs from the replay, a paged refusal with room); the
CSV files read back as the records; the SVG charts parse as XML; report.md holds the tables,
the process and fragmentation sections and marks emulator timings; the command writes every
file and prints TAP with --check."""

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
from compare_report.records import (CHASE_SHORT, FRAG_FIELDS, FRAG_KINDS,  # noqa: E402
                                    INFO_KEYS, INVAL_KS, LAYOUTS, MODES, PAGES,
                                    REQUIRED_LAYOUTS, SHARE_USERS, WRITE_NS)
from taplib import Tap  # noqa: E402  (tests/taplib.py)

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30


# A small churn, quick to replay: 2048 frames, 400 requests.
FRAG_INFO = dict(frag_arena_frames="2048", frag_seed="0x63", frag_steps="400",
                 frag_lifetime_max="20", frag_sample_every="8")
SPAWN_PAGES = (6, 22)


def layout_runs(name):
    if name == "sparse":
        return [(0x08000000, 2048), (0x10000000, 16384), (0xBF800000, 2048)]
    if name.startswith("usertests/"):
        return [(0x00400000, 17), (0xBFF00000, 256)]
    return [(0x00400000, 5), (0xBFFFF000, 1)]


def synthetic_log():
    values = dict(run="short", timing_label="emulator figure (QEMU TCG)", processes="yes",
                  pge_2level="yes",
                  pge_pae="yes", **FRAG_INFO)
    lines = [f"CMPINFO,{k},{values.get(k, 'x')}" for k in INFO_KEYS]
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
        for name in REQUIRED_LAYOUTS:
            runs = layout_runs(name)
            lines.extend(f"CMPRUN,{name},{mode},{va:#010x},{pages}" for va, pages in runs)
            for metric, v in arithmetic.process_tables(mode, runs).items():
                s(metric, "4k", name, v, "pages")
        s("flat_bytes", "4k", "4g", arithmetic.flat_table_bytes(mode))
        entry = 4 if mode == "2level" else 8
        s("kshare_spawn_copied", "-", 1, arithmetic.kernel_root_entries(mode), "entries")
        s("kshare_spawn_bytes", "-", 1, arithmetic.kernel_root_entries(mode) * entry)
        s("kshare_spawn_synced", "-", 1, 0, "entries")
        for users in SHARE_USERS:
            s("kshare_change_tables", "-", users, 1, "tables")
            for metric in ("kshare_change_synced", "kshare_free_synced"):
                s(metric, "-", users, arithmetic.kernel_change_copies(mode, users), "entries")
        s("nx_stack_code", "4k", "stackexec", 1 if mode == "pae" else 0, "outcome")
        t("user_bracket", "-", 0, 40)
        t("syscall", "-", 1, 1400)
        t("ctx_switch", "global", 2, 20000)
        t("ctx_switch", "noglobal", 2, 21000)
        t("fault", "4k", 1, 45000)
        t("touch", "4k", 1, 250)
        for pages in SPAWN_PAGES:
            t("spawn", "-", pages, 150000)
        lines.append(f"CMP,spawn_marginal,{mode},-,{SPAWN_PAGES[1] - SPAWN_PAGES[0]},timing,"
                     "150000.00,150000.00,150000.00,0.00,cycles/page,1")
    params = [int(v, 0) for v in FRAG_INFO.values()]
    for kind in FRAG_KINDS:
        totals, samples = arithmetic.replay_churn(*params, contiguous=kind == "contig")
        for metric, v in totals.items():
            lines.append(f"CMP,{metric},-,{kind},churn,structural,{v},{v},ok,-,requests,1")
        for metric, v in (("frag_misses", 0), ("frag_count_mismatches", 0), ("frag_clean", 1)):
            lines.append(f"CMP,{metric},-,{kind},churn,structural,{v},{v},ok,-,requests,1")
        lines.extend(f"CMPFRAG,{kind}," + ",".join(str(x[f]) for f in FRAG_FIELDS)
                     for x in samples)
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
    rec = records.parse_log("CMPRUN,init,pae,0x00400000,5\nCMPRUN,init,pae,0xbffff000,1\n"
                            "CMPRUN,init,pae,nothex,1\nCMPFRAG,paged,8,3,100,0,0,0,6000\n"
                            "CMPFRAG,elsewhere,8,3,100,0,0,0,6000\nCMPFRAG,contig,8,3\n")
    tap.check(rec.runs == {("init", "pae"): [(0x400000, 5), (0xBFFFF000, 1)]},
              "records: CMPRUN lines give each layout's runs of mapped pages", [str(rec.runs)])
    tap.check(rec.frag["paged"] == [dict(step=8, live=3, free_frames=100, largest_hole=0,
                                         failed=0, failed_with_room=0, waste_live=6000)] and
              rec.frag["contig"] == [] and len(rec.malformed) == 3,
              "records: CMPFRAG samples by kind; bad runs and samples are malformed",
              rec.malformed)


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


def test_process_arithmetic(tap):
    # A small program: 5 pages at 4 MiB, one stack page below 3 GiB. Two-level: the directory
    # and a page table for each of the two 4 MiB regions. PAE: the 32-byte PDPT, a directory for
    # GiB 0 and one for GiB 2, and a page table for each 2 MiB region.
    small = [(0x400000, 5), (0xBFFFF000, 1)]
    got = {m: arithmetic.process_tables(m, small) for m in MODES}
    tap.check(got["2level"] == dict(proc_pt_bytes=3 * 4096, proc_pt_pages=3, proc_pt_leaf=2,
                                    proc_pt_mid=0, proc_mapped=6) and
              got["pae"] == dict(proc_pt_bytes=32 + 4 * 4096, proc_pt_pages=5, proc_pt_leaf=2,
                                 proc_pt_mid=2, proc_mapped=6),
              "arithmetic: a small process owns 12 KiB of tables two-level, 16 KiB + 32 B PAE",
              [str(got)])
    # Two pages on either side of 6 MiB: one 4 MiB region, two 2 MiB ones.
    across = [(0x5FF000, 2)]
    tap.check(arithmetic.process_tables("2level", across)["proc_pt_leaf"] == 1 and
              arithmetic.process_tables("pae", across)["proc_pt_leaf"] == 2,
              "arithmetic: pages across a 2 MiB boundary need two PAE page tables, one two-level")
    tap.check(arithmetic.flat_table_bytes("2level") == 4 * MIB and
              arithmetic.flat_table_bytes("pae") == 8 * MIB,
              "arithmetic: the flat table, 2^20 entries of 4 or 8 bytes")
    tap.check([arithmetic.kernel_root_entries(m) for m in MODES] == [256, 1] and
              [arithmetic.kernel_change_copies(m, 64) for m in MODES] == [64, 0],
              "arithmetic: 256 kernel PDEs or one PDPTE per process; a kernel PT copied 64 "
              "times or never")
    tap.check(arithmetic.holes([(5, 1), (0, 2)], 8) == [(2, 3), (6, 2)] and
              arithmetic.holes([], 8) == [(0, 8)],
              "arithmetic: the holes between live segments")
    # Lifetime 1: the arena is empty at every step, so a request is refused exactly when it
    # needs more frames than the arena has, both ways, never with room to spare.
    stream = list(arithmetic.churn_stream(7, 300, 1))
    too_big = sum(-(-b // 4096) > 64 for b, _ in stream)
    for contiguous in (True, False):
        totals, _ = arithmetic.replay_churn(64, 7, 300, 1, 10, contiguous)
        how = "contiguous" if contiguous else "pages"
        tap.check(totals["frag_failed"] == too_big and totals["frag_failed_with_room"] == 0 and
                  totals["frag_served"] == 300 - too_big,
                  f"arithmetic: replay, empty arena each step ({how}): {too_big} of 300 "
                  "refused, as their sizes say", [str(totals)])
    sizes = [b for b, _ in stream]
    tap.check(min(sizes) > 8 * KIB and max(sizes) <= 4 * MIB and
              all(life == 1 for _, life in stream),
              "arithmetic: the stream's sizes lie in (8 KiB, 4 MiB], its lifetimes in 1..1")


def bump(text, prefix):
    """The log with the first record starting with prefix one higher, value and expected."""
    out = []
    for line in text.splitlines():
        if line.startswith(prefix) and out is not None:
            f = line.split(",")
            f[6], f[7] = str(int(f[6]) + 1), str(int(f[7]) + 1)
            line, prefix = ",".join(f), "\0"
        out.append(line)
    return "\n".join(out) + "\n"


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
    damage = [
        (good.replace("CMP,proc_pt_bytes,2level,4k,sh,structural,12288,12288",
                      "CMP,proc_pt_bytes,2level,4k,sh,structural,12289,12289"),
         "a page-table count per process that differs from the runs' arithmetic"),
        ("\n".join(line for line in good.splitlines() if ",usertests/sbrk_grow," not in line),
         "a missing process layout"),
        (good.replace("CMPRUN,hello,pae,0x00400000,5", "CMPRUN,hello,pae,0x00400000,6"),
         "a layout that maps other pages in the other format"),
        (good.replace("CMP,kshare_change_synced,pae,-,8,structural,0,0",
                      "CMP,kshare_change_synced,pae,-,8,structural,8,8"),
         "a PAE kernel-half change copied into processes"),
        (good.replace("CMP,nx_stack_code,pae,4k,stackexec,structural,1,1",
                      "CMP,nx_stack_code,pae,4k,stackexec,structural,0,0"),
         "stack code that ran under PAE with NX"),
        ("\n".join(line for line in good.splitlines() if ",ctx_switch,pae,noglobal," not in line),
         "a missing process timing"),
        (good.replace("CMPINFO,processes,yes", "CMPINFO,processes,no (no programs)"),
         "a run without the processes' programs"),
        (bump(good, "CMP,frag_failed,-,contig,churn,"),
         "a churn count that differs from the replay (and agrees with the kernel's)"),
        (good.replace("CMPFRAG,contig,8,", "CMPFRAG,contig,8,1"),
         "a churn sample that differs from the replay"),
        (good.replace("CMP,frag_clean,-,paged,churn,structural,1,1",
                      "CMP,frag_clean,-,paged,churn,structural,0,1"),
         "a churn the kernel found unclean"),
    ]
    for text, what in damage:
        tap.check(text != good and not passes(text), f"checks: {what} fails")
    tap.check(passes("\n".join(line for line in good.replace("pge_pae,yes", "pge_pae,no")
                               .splitlines() if ",ctx_switch,pae,global," not in line)),
              "checks: without PGE (clearcpuid=pge) the global-pages switch is not expected")
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
        with open(os.path.join(out, "proc-tables.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        init = [r for r in rows if r["layout"] == "sh" and r["mode"] == "2level"]
        tap.check(len(rows) == 2 * len(REQUIRED_LAYOUTS) and init and
                  init[0]["table_bytes"] == "12288" and init[0]["flat_table_bytes"] == "4194304"
                  and init[0]["saving_bytes"] == str(4194304 - 12288),
                  "csv_files: proc-tables.csv holds each layout in both modes with its saving")
        with open(os.path.join(out, "frag.csv"), newline="") as f:
            rows = list(csv.reader(f))
        tap.check(rows[0] == ["kind"] + list(FRAG_FIELDS) and
                  len(rows) == 1 + sum(len(v) for v in rec.frag.values()),
                  "csv_files: frag.csv holds every sample of both churns")

        for name, chart in (("latency.svg", svg.chart_latency), ("pt-bytes.svg", svg.chart_bytes),
                            ("proc-pt.svg", svg.chart_proc_tables), ("frag.svg", svg.chart_frag)):
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
                  not svg.chart_bytes(records.parse_log(""), empty) and
                  not svg.chart_proc_tables(records.parse_log(""), empty) and
                  not svg.chart_frag(records.parse_log(""), empty) and not os.path.exists(empty),
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
        tap.check("## Processes: page tables per process (exact)" in report and
                  "| sh | 6 | 1 + 2 | 12 | 99.71% | 1 + 2 + 2 | 16.03 | 99.80% |" in report and
                  "| kernel-half root entries copied per spawn | 256 | 1 |" in report,
                  "markdown: page tables per process against the flat table, the sharing table")
        tap.check("## Processes: timings (emulator)" in report and
                  "| the code on the stack | ran (no NX bit) | stopped by NX (#PF) |" in report,
                  "markdown: the process timings, marked, and the NX row")
        tap.check("## Segmentation against paging (exact)" in report and
                  "![segmentation against paging over time](frag.svg)" in report and
                  "external fragmentation" in report,
                  "markdown: the fragmentation section with its chart")


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
                     "pt-bytes.svg", "proc-pt.svg", "frag.svg", "proc-tables.csv", "frag.csv"):
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
    test_process_arithmetic(tap)
    test_checks(tap, good)
    test_writers(tap, good)
    test_command(tap, good)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
