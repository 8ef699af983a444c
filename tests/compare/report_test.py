#!/usr/bin/env python3
"""Unit test of tools/compare-report without QEMU: a synthetic serial log built from the tool's
own lists passes --check, and each kind of damage (a wrong structural value, a missing record,
a malformed line, too few samples, a failed run) makes it fail. The report, CSV and SVG files
must be written and the SVGs must parse as XML. Prints TAP."""

import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

tool_path = sys.argv[1]
loader = importlib.machinery.SourceFileLoader("compare_report", tool_path)
spec = importlib.util.spec_from_loader("compare_report", loader)
cr = importlib.util.module_from_spec(spec)
loader.exec_module(cr)

count = 0
failed = 0


def ok(cond, what):
    global count, failed
    count += 1
    failed += not cond
    print(f"{'ok' if cond else 'not ok'} {count} - {what}")


def synthetic_log():
    lines = [f"CMPINFO,{k},x" for k in cr.INFO_KEYS]
    lines = [line.replace("run,x", "run,short").replace("timing_label,x", "timing_label,"
                                                        "emulator figure (QEMU TCG)")
             for line in lines]
    for mode in cr.MODES:
        def s(metric, page, n, value, unit="bytes"):
            lines.append(f"CMP,{metric},{mode},{page},{n},structural,{value},{value},ok,-,{unit},1")

        def t(metric, page, n, base):
            lines.append(f"CMP,{metric},{mode},{page},{n},timing,{base:.2f},{base + 1:.2f},"
                         f"{base + 5:.2f},0.50,cycles,1000")

        for layout in cr.LAYOUTS:
            for page in cr.PAGES:
                v = cr.expected_layout_bytes(mode, layout, page == "large") or 12288
                s("pt_bytes", page, layout, v)
                for metric in ("pt_pages", "pt_pages_leaf", "pt_pages_mid"):
                    s(metric, page, layout, 3, "pages")
        for n in cr.WRITE_NS:
            for metric, value in cr.expected_write(mode, n).items():
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
        for k in cr.INVAL_KS:
            t("invlpg_refill", "4k", k, 1000 + k * 100)
        for page in cr.PAGES:
            for n in cr.CHASE_SHORT:
                t("chase", page, n, 5 + n / 100)
    lines.append("CMPEND,pass,0")
    return "\n".join(lines) + "\n"


def passes(text):
    return all(c[0] for c in cr.check(cr.parse_log(text)))


good = synthetic_log()
ok(passes(good), "a complete, consistent log passes every check")
ok(not passes(good.replace("CMP,pt_bytes,pae,4k,all4g,structural,8405024,8405024",
                           "CMP,pt_bytes,pae,4k,all4g,structural,8405024,8405023")),
   "a structural value that differs from the kernel's arithmetic fails")
ok(not passes(good.replace("structural,4198400,4198400", "structural,4198401,4198401")),
   "a structural value that differs from the tool's own arithmetic fails")
ok(not passes("\n".join(l for l in good.splitlines() if ",window_hit,2level," not in l)),
   "a missing metric fails")
ok(not passes(good + "CMP,chase,pae,4k,16,timing,1,2\n"), "a malformed record fails")
ok(not passes(good.replace("cycles,1000", "cycles,999", 1)), "too few samples fail")
ok(not passes(good.replace("CMPEND,pass,0", "CMPEND,fail,1")), "a failed run fails")
ok(not passes(good.replace("CMPEND,pass,0", "")), "a run that never ended fails")

with tempfile.TemporaryDirectory() as out:
    log = os.path.join(out, "serial.log")
    with open(log, "w") as f:
        f.write(good)
    rc = cr.main(["--from-log", log, "--output", out])
    ok(rc == 0, "the tool exits 0 on a good log")
    for name in ("report.md", "structural.csv", "timing.csv", "info.csv", "latency.svg",
                 "pt-bytes.svg"):
        ok(os.path.getsize(os.path.join(out, name)) > 0, f"{name} written")
    for name in ("latency.svg", "pt-bytes.svg"):
        try:
            ET.parse(os.path.join(out, name))
            parsed = True
        except ET.ParseError:
            parsed = False
        ok(parsed, f"{name} is well-formed XML")
    with open(os.path.join(out, "report.md")) as f:
        report = f.read()
    ok("emulator figure" in report and "(emulator)" in report,
       "the report marks the emulator timings")

print(f"1..{count}")
sys.exit(1 if failed else 0)
