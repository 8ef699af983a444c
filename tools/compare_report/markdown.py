"""report.md: the machine, the structural and timing tables (emulator figures marked), the
charts and the checks."""

import os

from .processes import frag_sections, process_sections
from .records import LAYOUT_TITLES, LAYOUTS, MODE_TITLES, MODES, PAGES, WRITE_NS


def kib(v):
    return f"{v / 1024:,.2f}".rstrip("0").rstrip(".")


def mhz(text):
    try:
        return f"{int(text) / 1e6:,.1f}"
    except (TypeError, ValueError):
        return "?"


def fmt(v):
    return f"{v:,.2f}"


def write_report(rec, out, meta, checks):
    info = rec.info
    label = info.get("timing_label", "")
    emulated = "emulator" in label
    mark = " (emulator)" if emulated else ""
    L = []
    L.append("# Pagoda: two-level against PAE paging, one boot\n")
    L.append(f"Generated {meta['date']} by `tools/compare-report` "
             f"({info.get('run', '?')} run, booted in {info.get('booted_in', '?')} paging, "
             f"interleaved rounds A/B/A/B: A = two-level, B = PAE, same physical frames).\n")
    L.append("## The machine\n")
    L.append("| | |\n|---|---|")
    rows = [("Guest CPU", f"{info.get('cpu_vendor', '?')} {info.get('cpu_brand', '?')}"),
            ("CPU signature", info.get("cpu_signature", "?")),
            ("Hypervisor (CPUID 0x40000000)", info.get("hypervisor", "?")),
            ("Where it ran", meta.get("where", "?")),
            ("Timing label", label),
            ("TSC frequency", f"{mhz(info.get('tsc_hz'))} MHz "
                              f"(calibrated on the PIT: {info.get('tsc_calibrated', '?')})"),
            ("Invariant TSC", info.get("invariant_tsc", "?")),
            ("MAXPHYADDR", info.get("max_phys_bits", "?")),
            ("TSC reads", info.get("serialization", "?")),
            ("Test frames", info.get("test_frames", "?")),
            ("Kernel time for the comparison", f"{info.get('elapsed_ms', '?')} ms"),
            ("Wall time (firmware + boot + comparison)", meta.get("seconds", "?"))]
    for k, v in rows:
        L.append(f"| {k} | {v} |")
    L.append("")
    if emulated:
        L.append("**Every timing below is an emulator figure**: QEMU TCG models no caches "
                 "and no hardware TLB (its own software TLB is a translation cache of a "
                 "different size), re-reads the PDPT on walks and ignores global pages. "
                 "The structural numbers are exact on any PC.\n")
    L.append("## Structural results (exact)\n")
    L.append("Page-table bytes for the same mappings (PAE's PDPT counts 32 bytes; every other "
             "table 4096). Each value was checked against the arithmetic of the entry formats "
             "in the kernel (compare_arith.c) and again here.\n")
    L.append("| mapping | two-level 4 KiB | two-level 4 MiB | PAE 4 KiB | PAE 2 MiB |")
    L.append("|---|---:|---:|---:|---:|")
    for layout in LAYOUTS:
        cells = []
        for m in MODES:
            for p in PAGES:
                r = rec.find("structural", "pt_bytes", m, p, layout)
                pages = rec.find("structural", "pt_pages", m, p, layout)
                cells.append(f"{kib(r['value'])} KiB ({pages['value']} pages)"
                             if r and pages else "-")
        L.append(f"| {LAYOUT_TITLES[layout]} | " + " | ".join(cells) + " |")
    L.append("\n![page-table bytes](pt-bytes.svg)\n")
    L.append("Entries made present, cache lines holding them, and new tables (each zeroed: "
             "64 lines) when mapping N 4 KiB pages at a 1 GiB boundary of an empty space:\n")
    L.append("| N | two-level entries | lines | tables | PAE entries | lines | tables |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|")
    for n in WRITE_NS:
        cells = []
        for m in MODES:
            for metric in ("write_entries", "write_lines", "write_tables"):
                r = rec.find("structural", metric, m, "4k", n)
                cells.append(str(r["value"]) if r else "-")
        L.append(f"| {n} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("| | two-level | PAE |\n|---|---|---|")

    def pair(metric, page, render=str):
        vals = []
        for m in MODES:
            r = rec.find("structural", metric, m, page, 1)
            vals.append(render(r["value"]) if r else "-")
        return vals

    for title, metric, page, render in (
            ("levels walked, 4 KiB page (A bits set)", "levels_walked", "4k", str),
            ("levels walked, large page", "levels_walked", "large", str),
            ("NX enforced", "nx_enforced", "4k", lambda v: "yes" if v else "no"),
            ("first physical address out of reach", "phys_limit", "-", lambda v: f"{v:#x}"),
            ("highest usable frame (mapped for real)", "highest_frame", "-",
             lambda v: f"{v:#x}"),
            ("usable RAM in reach", "usable_ram", "-", lambda v: f"{v / (1 << 20):,.1f} MiB"),
            ("RAM out of reach", "ram_out_of_reach", "-",
             lambda v: f"{v / (1 << 20):,.1f} MiB")):
        a, b = pair(metric, page, render)
        L.append(f"| {title} | {a} | {b} |")
    L.append("\nPAE also has the 4 PDPTEs, which the CPU loads at CR3 load rather than on a "
             "walk (they have no accessed bit).\n")
    L.append(f"## Timing results{mark}\n")
    L.append("TSC cycles, bracket overhead subtracted; min / median / p99 / MAD over all "
             "samples of both rounds of each mode.\n")
    L.append("![latency](latency.svg)\n")
    L.append("| metric | page | N | mode | min | median | p99 | MAD | unit | samples |")
    L.append("|---|---|---:|---|---:|---:|---:|---:|---|---:|")
    order = ["chase", "map", "unmap", "invlpg_refill", "cr3_refill", "inval_breakeven",
             "window_remap", "window_hit", "tsc_bracket", "syscall", "ctx_switch", "fault",
             "touch", "spawn", "spawn_marginal", "user_bracket"]
    rows = sorted(rec.timing, key=lambda r: (order.index(r["metric"]) if r["metric"] in order
                                             else 99, r["page"], int(r["n"]), r["mode"]))
    for r in rows:
        L.append(f"| {r['metric']}{mark} | {r['page']} | {r['n']} | {MODE_TITLES[r['mode']]} | "
                 f"{fmt(r['min'])} | {fmt(r['median'])} | {fmt(r['p99'])} | {fmt(r['mad'])} | "
                 f"{r['unit']} | {r['samples']} |")
    L.append("\nMetric names: `chase` (one dependent load per step, random page order and line "
             "offset, N pages), `map`/`unmap` (one 4 KiB page per call through kernel/paging), "
             "`invlpg_refill` (N INVLPGs then touching 256 pages), `cr3_refill` (one CR3 "
             "reload then touching 256 pages), `inval_breakeven` (fewest pages, of 1, 4, 16, 32, 64, 128, 256, for which "
             "INVLPGs cost at least the CR3 reload; 0 = never up to 256), `window_remap` "
             "(re-point one PTE, INVLPG, one load), `window_hit` (the load alone), "
             "`tsc_bracket` (the empty measurement, already subtracted elsewhere); from processes: "
             "`syscall` (getpid round trip in ring 3), `ctx_switch` (one switch between two "
             "processes, page `global` or `noglobal` kernel pages), `fault` (a demand-paging "
             "fault, per page), `touch` (a store to a mapped page), `spawn` (a new process's "
             "address space, N its pages), `spawn_marginal` (cycles one more page of the program "
             "adds, N the pages between the two programs), `user_bracket` (ring 3's empty "
             "measurement, subtracted from its samples). See docs/03-pae-vs-2level.md.\n")
    L += process_sections(rec, mark)
    L += frag_sections(rec)
    L.append("## Checks\n")
    for ok, what, details in checks:
        L.append(f"- {'PASS' if ok else 'FAIL'}: {what}" + (f" ({details})" if not ok and details
                                                          else ""))
    if meta.get("screen"):
        L.append("\n## The screen at the end\n\n![screen](screen.png)\n")
    L.append("\nFiles: structural.csv, timing.csv, info.csv, proc-tables.csv, frag.csv, "
             "serial.log.\n")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L))
