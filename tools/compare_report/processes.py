"""The report's sections on processes and on segmentation against paging: the numbers derived
from the records (each layout's saving against the flat table, spawn cost per page, refusal
shares) and the Markdown of those sections of report.md."""

from .records import (FRAG_KINDS, FRAG_TITLES, MODE_TITLES, MODES, SHARE_USERS, STACK_OUTCOMES)

LEVELS = {"2level": ("PD", "PT"), "pae": ("PDPT", "PD", "PT")}


def value(rec, metric, mode, page, n):
    r = rec.find("structural", metric, mode, page, n)
    return None if r is None else r["value"]


def kib(v):
    return "-" if v is None else f"{v / 1024:,.2f}".rstrip("0").rstrip(".")


def pct(part, whole):
    return f"{100 * part / whole:.2f}%" if whole else "-"


def cycles(v):
    return "-" if v is None else f"{v:,.0f}"


def count(v):
    return "-" if v is None else f"{v:,}"


def table_rows(rec):
    """One row per layout and mode: pages mapped, tables per level, bytes, the flat table of the
    format's entry size and what the multi-level tables save against it."""
    rows = []
    for name in rec.layouts():
        for m in MODES:
            flat = value(rec, "flat_bytes", m, "4k", "4g")
            own = value(rec, "proc_pt_bytes", m, "4k", name)
            mid = value(rec, "proc_pt_mid", m, "4k", name)
            rows.append(dict(layout=name, mode=m,
                             mapped=value(rec, "proc_mapped", m, "4k", name),
                             root=1, mid=mid if m == "pae" else None,
                             leaf=value(rec, "proc_pt_leaf", m, "4k", name),
                             pages=value(rec, "proc_pt_pages", m, "4k", name),
                             bytes=own, flat=flat,
                             saving=None if own is None or flat is None else flat - own))
    return rows


def spawn_costs(rec, mode):
    """(pages, min, median) of the two spawn series (cycles per page of the program), smaller
    program first, and the marginal cost of a page (the kernel's, from the medians)."""
    series = sorted((int(r["n"]), r["min"], r["median"]) for r in rec.timing
                    if r["metric"] == "spawn" and r["mode"] == mode)
    marginal = next((r["median"] for r in rec.timing
                     if r["metric"] == "spawn_marginal" and r["mode"] == mode), None)
    return series, marginal


def frag_summary(rec, kind):
    get = {m: value(rec, m, "-", kind, "churn") for m in (
        "frag_requests", "frag_served", "frag_failed", "frag_failed_with_room",
        "frag_bytes_served", "frag_waste_bytes", "frag_peak_frames")}
    served = get["frag_served"] or 0
    get["waste_per_allocation"] = get["frag_waste_bytes"] / served if served else None
    return get


def process_sections(rec, mark):
    """The Markdown lines of the process sections."""
    L = []
    flat = {m: value(rec, "flat_bytes", m, "4k", "4g") for m in MODES}
    L.append("## Processes: page tables per process (exact)\n")
    L.append("The tables each process owns (its kernel half is shared and not counted), read "
             "from kernel/paging's counters after the kernel built the layout in each format: "
             "every program of the ramdisk as spawned (its segments and first stack page), "
             "usertests grown the way its cases grow it, and the sparse layout's user half. "
             "Beside them the seed's flat single-level table: 2^20 entries, "
             f"{kib(flat['2level'])} KiB of 4-byte entries, {kib(flat['pae'])} KiB of 8-byte "
             "ones, per address space, and what each multi-level format saves against the "
             "flat table of its own entry size. Each value equals the kernel's arithmetic and "
             "this tool's, both from the runs of mapped pages (CMPRUN lines).\n")
    L.append("| layout | pages mapped | two-level PD + PTs | KiB | saves vs 4 MiB flat | "
             "PAE PDPT + PDs + PTs | KiB | saves vs 8 MiB flat |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = {(r["layout"], r["mode"]): r for r in table_rows(rec)}
    for name in rec.layouts():
        a, b = rows[(name, "2level")], rows[(name, "pae")]
        L.append(f"| {name} | {count(a['mapped'])} | 1 + {a['leaf']} | {kib(a['bytes'])} | "
                 f"{pct(a['saving'] or 0, a['flat'])} | 1 + {b['mid']} + {b['leaf']} | "
                 f"{kib(b['bytes'])} | {pct(b['saving'] or 0, b['flat'])} |")
    L.append("\n![page tables per process](proc-pt.svg)\n")
    L.append("A two-level process pays a directory and a page table per 4 MiB it touches; a PAE "
             "process a 32-byte PDPT (Pagoda gives it a page), a directory per GiB and a page "
             "table per 2 MiB: the image at 4 MiB and the stack below 3 GiB lie in different "
             "GiBs, so PAE needs two directories where two-level needs none.\n")

    L.append("## Processes: sharing the kernel half (exact)\n")
    L.append("Counted where kernel/paging makes the copies (`kernel_entries_copied`, "
             "`kernel_entries_synced` in `struct paging_counters`): the root entries a new user "
             "space copies from its kernel space, and the copies into user spaces when the "
             "kernel half gets a new page table (a page mapped into 4 MiB of the kernel half "
             "that had none, then unmapped, which frees the table) while 1, 8 or 64 user "
             "spaces share it.\n")
    L.append("| | two-level | PAE |\n|---|---:|---:|")

    def both(metric, n, render=str):
        return " | ".join(render(value(rec, metric, m, "-", n)) for m in MODES)

    L.append(f"| kernel-half root entries copied per spawn | {both('kshare_spawn_copied', 1)} |")
    L.append(f"| bytes copied per spawn | {both('kshare_spawn_bytes', 1)} |")
    L.append(f"| copies made later during that spawn | {both('kshare_spawn_synced', 1)} |")
    for users in SHARE_USERS:
        L.append(f"| new kernel page table, {users} process(es): copies | "
                 f"{both('kshare_change_synced', users)} |")
        L.append(f"| that page table freed, {users} process(es): copies | "
                 f"{both('kshare_free_synced', users)} |")
    L.append(f"| tables the change allocates | {both('kshare_change_tables', 1)} |")
    L.append("\nTwo-level: the kernel half is 256 PDEs of every page directory; each process "
             "copies them at creation, and kernel/paging writes a changed one into every user "
             "directory. PAE: the fourth PDPT entry of every process points at the one "
             "kernel-half page directory, so a new page table is one PDE in that shared "
             "directory, seen by all at once, and nothing is copied.\n")

    L.append(f"## Processes: timings{mark}\n")
    L.append("Measured in ring 3 by `cmpbench` (TSC reads as the kernel's, its own empty-bracket "
             "median subtracted; 100 warm-up iterations; no timer runs, so no interrupt lands "
             "in a sample) and, for spawn, in the kernel; min / median / p99 in TSC cycles.\n")
    L.append("| metric | two-level min | median | p99 | PAE min | median | p99 |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    labels = [("syscall", "-", 1, "getpid() round trip"),
              ("ctx_switch", "global", 2, "context switch (yield between two processes, per "
               "switch), global kernel pages"),
              ("ctx_switch", "noglobal", 2, "context switch, without global pages (CR4.PGE "
               "clear)"),
              ("fault", "4k", 1, "demand-paging fault, per page (first touch of a heap page)"),
              ("touch", "4k", 1, "the same store to a mapped page")]
    for metric, page, n, label in labels:
        cells = []
        for m in MODES:
            r = rec.find("timing", metric, m, page, n)
            cells += [cycles(r and r["min"]), cycles(r and r["median"]), cycles(r and r["p99"])]
        L.append(f"| {label}{mark} | " + " | ".join(cells) + " |")
    spawns = {m: spawn_costs(rec, m) for m in MODES}
    for i, name in enumerate(("cmpbench", "cmpload")):
        cells = []
        for m in MODES:
            series = spawns[m][0]
            if i < len(series):
                pages, lo, med = series[i]
                r = rec.find("timing", "spawn", m, "-", pages)
                cells += [cycles(lo * pages), cycles(med * pages), cycles(r["p99"] * pages)]
            else:
                cells += ["-"] * 3
        pages = spawns["2level"][0][i][0] if i < len(spawns["2level"][0]) else "?"
        L.append(f"| spawn's address space, {name} ({pages} pages){mark} | " +
                 " | ".join(cells) + " |")
    cells = []
    for m in MODES:
        series, marginal = spawns[m]
        by_min = None
        if len(series) == 2 and series[1][0] != series[0][0]:
            (p0, lo0, _), (p1, lo1, _) = series
            by_min = (lo1 * p1 - lo0 * p0) / (p1 - p0)
        cells += [cycles(by_min), cycles(marginal), ""]
    L.append(f"| spawn, per page of the program (the slope between the two){mark} | " +
             " | ".join(cells) + " |")
    L.append("\nThe switch is cmpbench's yield round trip halved: each sample is two switches, "
             "each with its system call, the scheduler's loop and its stop test. The spawn rows "
             "time `uvm_create_in` (the new space, the program's pages filled from the file, "
             "the first stack page), recorded per page of the program and multiplied back here; "
             "the per-page slope takes the minima or the medians of the two programs.\n")

    L.append("## Security: code on the stack (NX)\n")
    L.append("`stackexec` copies 21 bytes of code onto its stack and calls them, as an exploit "
             "would; cmpbench starts it in each format and reads its wait status.\n")
    L.append("| | two-level | PAE |\n|---|---|---|")
    outcome = {m: value(rec, "nx_stack_code", m, "4k", "stackexec") for m in MODES}
    L.append("| the code on the stack | " + " | ".join(
        STACK_OUTCOMES.get(outcome[m], "-") for m in MODES) + " |")
    L.append("| stackexec's wait status | " + " | ".join(
        rec.info.get(f"stackexec_status_{m}", "-") for m in MODES) + " |")
    L.append("\nTwo-level entries have no execute-disable bit: every page a process can read "
             "it can execute. PAE entries have bit 63 (XD), used once EFER.NXE is set (SDM "
             "vol. 3A 4.6: an instruction fetch from a page with XD = 1 is a page fault with "
             "the I/D bit of the error code set).\n")
    return L


def frag_sections(rec):
    info = rec.info
    L = ["## Segmentation against paging (exact)\n"]
    frames = int(info.get("frag_arena_frames", "0") or 0)
    L.append(f"One arena of real RAM ({frames * 4 // 1024} MiB: {info.get('frag_arena', '?')}), "
             "run by the kernel's own frame allocator code, twice from the same seeded stream "
             f"({info.get('frag_steps', '?')} requests, seed {info.get('frag_seed', '?')}): "
             "once served contiguously (`frames_alloc_run`: first fit, searching down from the "
             "top, where a segment would have to go) and once page by page (`frames_alloc`). "
             "One request per step; its size class is 16 KiB << k with k uniform in 0..8 "
             "(16 KiB to 4 MiB), its size uniform in (class/2, class] bytes, served as whole "
             "4 KiB frames; its lifetime uniform in 1.."
             f"{info.get('frag_lifetime_max', '?')} steps; a request that cannot be served is "
             "dropped. Both runs are replayed by this tool from these rules and must match.\n")
    L.append("| | " + " | ".join(FRAG_TITLES[k] for k in FRAG_KINDS) + " |")
    L.append("|---|---:|---:|")
    s = {k: frag_summary(rec, k) for k in FRAG_KINDS}

    def row(title, render):
        L.append(f"| {title} | " + " | ".join(render(s[k]) for k in FRAG_KINDS) + " |")

    row("requests", lambda d: count(d["frag_requests"]))
    row("served", lambda d: count(d["frag_served"]))
    row("refused", lambda d: count(d["frag_failed"]))
    row("refused although enough memory was free in total (external fragmentation)",
        lambda d: f"{count(d['frag_failed_with_room'])} "
                  f"({pct(d['frag_failed_with_room'] or 0, d['frag_requests'])})")
    row("bytes unused in the last pages (internal fragmentation)",
        lambda d: count(d["frag_waste_bytes"]))
    row("of them per allocation (the seed: half a page, 2,048 bytes)",
        lambda d: f"{d['waste_per_allocation']:,.1f}" if d["waste_per_allocation"] else "-")
    row("highest number of frames held", lambda d: count(d["frag_peak_frames"]))
    L.append("\n![segmentation against paging over time](frag.svg)\n")
    L.append("The contiguous allocator also hands out whole frames, so its last-page waste is "
             "the same kind; a byte-granular segment allocator would not have it, but would "
             "fragment the same way. Paging refuses a request only when fewer frames are free "
             "than it needs; contiguous allocation refuses whenever no single hole holds it.\n")
    return L
