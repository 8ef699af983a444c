"""What a comparison run must show, as (ok, what, details) results, and their TAP form."""

from .arithmetic import (expected_layout_bytes, expected_write, flat_table_bytes,
                         kernel_change_copies, kernel_root_entries, process_tables, replay_churn)
from .records import (CHASE_FULL, CHASE_SHORT, FRAG_CHECKS, FRAG_COUNTS, FRAG_KINDS, INFO_KEYS,
                      INVAL_KS, LAYOUTS, MIN_SAMPLES, MODES, PAGES, PROC_METRICS, PROC_TIMINGS,
                      REQUIRED_LAYOUTS, SHARE_USERS, WRITE_NS)

# Derived timing records: one value each, not a series of samples.
DERIVED = ("inval_breakeven", "spawn_marginal")


def check(rec):
    """Returns a list of (ok, description, details)."""
    results = []

    def add(ok, what, details=""):
        results.append((bool(ok), what, details))

    add(rec.end is not None, "the kernel finished the comparison (CMPEND)")
    add(rec.end is not None and rec.end[0] == "pass",
        "the kernel reports no failure", f"CMPEND {rec.end}")
    add(not rec.malformed, "every CMP record has 12 well-formed fields",
        "; ".join(rec.malformed[:3]))
    missing = [k for k in INFO_KEYS if k not in rec.info]
    add(not missing, "machine info recorded (CPU signature, TSC, hypervisor)", f"missing {missing}")
    short = rec.info.get("run") == "short"
    chase = CHASE_SHORT if short else CHASE_FULL
    for mode in MODES:
        want = []
        for layout in LAYOUTS:
            for page in PAGES:
                for metric in ("pt_bytes", "pt_pages", "pt_pages_leaf", "pt_pages_mid"):
                    want.append(("structural", metric, page, layout))
        for n in WRITE_NS:
            for metric in ("write_entries", "write_lines", "write_tables"):
                want.append(("structural", metric, "4k", n))
        want += [("structural", "levels_walked", p, 1) for p in PAGES]
        want += [("structural", m, "-", 1) for m in
                 ("phys_limit", "highest_frame", "usable_ram", "ram_out_of_reach")]
        want.append(("structural", "nx_enforced", "4k", 1))
        want += [("timing", "tsc_bracket", "-", 0), ("timing", "map", "4k", 1),
                 ("timing", "unmap", "4k", 1), ("timing", "cr3_refill", "4k", 256),
                 ("timing", "window_remap", "4k", 1), ("timing", "window_hit", "4k", 1),
                 ("timing", "inval_breakeven", "4k", 256)]
        want += [("timing", "invlpg_refill", "4k", k) for k in INVAL_KS]
        want += [("timing", "chase", p, n) for p in PAGES for n in chase]
        absent = [w for w in want if rec.find(w[0], w[1], mode, w[2], w[3]) is None]
        add(not absent, f"{mode}: all {len(want)} metrics present", f"missing {absent[:5]}")
        bad = [r for r in rec.structural if r["mode"] == mode and
               (r["ok"] != "ok" or r["value"] != r["expected"])]
        add(not bad, f"{mode}: structural values equal the kernel's arithmetic",
            "; ".join(f"{r['metric']} {r['page']} {r['n']}: {r['value']} != {r['expected']}"
                      for r in bad[:5]))
        wrong = []
        for layout in ("direct1g", "sparse4g", "all4g"):
            for page in PAGES:
                r = rec.find("structural", "pt_bytes", mode, page, layout)
                want_bytes = expected_layout_bytes(mode, layout, page == "large")
                if r is None or r["value"] != want_bytes:
                    wrong.append(f"pt_bytes {layout} {page}: {r and r['value']} != {want_bytes}")
        for n in WRITE_NS:
            for metric, value in expected_write(mode, n).items():
                r = rec.find("structural", metric, mode, "4k", n)
                if r is None or r["value"] != value:
                    wrong.append(f"{metric} {n}: {r and r['value']} != {value}")
        add(not wrong, f"{mode}: structural values equal this tool's own arithmetic",
            "; ".join(wrong[:5]))
        r4 = rec.find("structural", "pt_bytes", mode, "4k", "all4g")
        classic = {"2level": 4100 * 1024, "pae": 8208 * 1024 + 32}[mode]
        add(r4 is not None and r4["value"] == classic,
            f"{mode}: all of 4 GiB in 4 KiB pages costs {classic // 1024} KiB of tables",
            f"got {r4 and r4['value']}")
        badt = [r for r in rec.timing if r["mode"] == mode and not (
            r["min"] <= r["median"] <= r["p99"] and r["mad"] >= 0 and
            (r["samples"] >= MIN_SAMPLES or r["metric"] in DERIVED))]
        add(not badt, f"{mode}: timing records have >= {MIN_SAMPLES} samples and "
            "min <= median <= p99", "; ".join(f"{r['metric']} {r['page']} {r['n']}"
                                              for r in badt[:5]))
    nx = {m: rec.find("structural", "nx_enforced", m, "4k", 1) for m in MODES}
    add(nx["2level"] is not None and nx["2level"]["value"] == 0,
        "two-level paging cannot enforce no-execute")
    bad = [r for r in rec.structural if r["mode"] not in MODES and
           (r["ok"] != "ok" or r["value"] != r["expected"])]
    add(not bad, "structural values of neither format equal the kernel's expectation",
        "; ".join(f"{r['metric']} {r['page']}: {r['value']} != {r['expected']}" for r in bad[:5]))
    check_processes(rec, add)
    check_fragmentation(rec, add)
    return results


def value(rec, metric, mode, page, n):
    r = rec.find("structural", metric, mode, page, n)
    return None if r is None else r["value"]


def check_processes(rec, add):
    """Page tables per process, the kernel half's sharing, the NX row, the process timings."""
    add(rec.info.get("processes") == "yes", "processes: the ramdisk had the programs they run "
        "(cmpbench, cmpload, usertests, stackexec)", f"processes: {rec.info.get('processes')}")
    layouts = rec.layouts()
    missing = [name for name in REQUIRED_LAYOUTS if name not in layouts]
    add(not missing, f"processes: page tables of {len(layouts)} layouts, among them every one "
        "this tree must have", f"missing {missing}")
    absent, wrong, differ = [], [], []
    for name in layouts:
        runs = {m: rec.runs.get((name, m)) for m in MODES}
        if runs["2level"] != runs["pae"]:
            differ.append(name)
        for m in MODES:
            want = process_tables(m, runs[m] or [])
            for metric in PROC_METRICS:
                got = value(rec, metric, m, "4k", name)
                if got is None or runs[m] is None:
                    absent.append(f"{metric} {m} {name}")
                elif got != want[metric]:
                    wrong.append(f"{metric} {m} {name}: {got} != {want[metric]}")
    add(not absent, "processes: every layout has its tables, per level, and its runs in both "
        "modes", "; ".join(absent[:5]))
    add(not differ, "processes: each layout maps the same pages in both formats",
        f"differ: {differ[:5]}")
    add(not wrong, "processes: page tables per process equal this tool's arithmetic from the "
        "mapped runs", "; ".join(wrong[:5]))
    flat = {m: value(rec, "flat_bytes", m, "4k", "4g") for m in MODES}
    add(flat == {"2level": 4 << 20, "pae": 8 << 20} and
        all(flat[m] == flat_table_bytes(m) for m in MODES),
        "processes: the flat single-level table is 4 MiB with 4-byte entries, 8 MiB with 8-byte "
        "ones", f"got {flat}")
    share = []
    for m in MODES:
        entry = 4 if m == "2level" else 8
        want = {("kshare_spawn_copied", 1): kernel_root_entries(m),
                ("kshare_spawn_bytes", 1): kernel_root_entries(m) * entry,
                ("kshare_spawn_synced", 1): 0}
        for users in SHARE_USERS:
            want[("kshare_change_tables", users)] = 1
            want[("kshare_change_synced", users)] = kernel_change_copies(m, users)
            want[("kshare_free_synced", users)] = kernel_change_copies(m, users)
        for (metric, n), v in want.items():
            got = value(rec, metric, m, "-", n)
            if got != v:
                share.append(f"{metric} {m} {n}: {got} != {v}")
    add(not share, "processes: kernel-half copies per spawn (256 PDEs / 1 PDPTE) and per "
        "kernel-half change (one per process / none) as the formats say", "; ".join(share[:5]))
    stack = {m: value(rec, "nx_stack_code", m, "4k", "stackexec") for m in MODES}
    nx = value(rec, "nx_enforced", "pae", "4k", 1)
    add(stack["2level"] == 0 and stack["pae"] == (1 if nx else 0),
        "processes: code on the stack ran under two-level paging and was stopped under PAE "
        "with NX", f"got {stack} (PAE NX enforced: {nx})")
    gone = []
    for m in MODES:
        for metric, page, n in PROC_TIMINGS:
            if metric == "ctx_switch" and page == "global" and rec.info.get(f"pge_{m}") != "yes":
                continue  # clearcpuid=pge: no global pages to keep
            if rec.find("timing", metric, m, page, n) is None:
                gone.append(f"{metric} {m} {page}")
        spawns = [r for r in rec.timing if r["metric"] == "spawn" and r["mode"] == m]
        marginal = [r for r in rec.timing if r["metric"] == "spawn_marginal" and r["mode"] == m]
        if len(spawns) != 2 or len(marginal) != 1:
            gone.append(f"spawn {m}: {len(spawns)} series, {len(marginal)} marginal")
        elif int(marginal[0]["n"]) != abs(int(spawns[0]["n"]) - int(spawns[1]["n"])):
            gone.append(f"spawn_marginal {m}: n {marginal[0]['n']} is not the page difference")
    add(not gone, "processes: system call, switch (with and without global pages), fault, touch "
        "and spawn timings in both modes", "; ".join(gone[:5]))


def first_difference(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def check_fragmentation(rec, add):
    info = rec.info
    try:
        params = [int(info["frag_arena_frames"]), int(info["frag_seed"], 0),
                  int(info["frag_steps"]), int(info["frag_lifetime_max"]),
                  int(info["frag_sample_every"])]
    except (KeyError, ValueError):
        add(False, "fragmentation: the churn's parameters are recorded", str(info))
        return
    absent, wrong = [], []
    for kind in FRAG_KINDS:
        totals, samples = replay_churn(*params, contiguous=kind == "contig")
        for metric in FRAG_COUNTS + FRAG_CHECKS:
            got = value(rec, metric, "-", kind, "churn")
            if got is None:
                absent.append(f"{metric} {kind}")
            elif metric in totals and got != totals[metric]:
                wrong.append(f"{metric} {kind}: {got} != {totals[metric]}")
        if rec.frag[kind] != samples:
            wrong.append(f"{kind}: the samples over time differ from the replay's from sample "
                         f"{first_difference(rec.frag[kind], samples)} on")
    add(not absent, "fragmentation: every count of both runs recorded", "; ".join(absent[:5]))
    add(not wrong, "fragmentation: counts and the samples over time equal this tool's replay of "
        "the churn", "; ".join(wrong[:5]))
    paged = value(rec, "frag_failed_with_room", "-", "paged", "churn")
    add(paged == 0, "fragmentation: in pages, no request is refused while enough memory is free",
        f"got {paged}")
    served = value(rec, "frag_served", "-", "paged", "churn")
    waste = value(rec, "frag_waste_bytes", "-", "paged", "churn")
    average = waste / served if served and waste is not None else None
    add(average is not None and abs(average - 2048) < 2048 * 0.1,
        "fragmentation: the last page wastes about half a page per allocation, as the seed "
        "says (within 10%)", f"average {average}")


def print_tap(results):
    print(f"1..{len(results)}")
    for i, (ok, what, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
        if not ok and details:
            print(f"# {details}")
    return all(ok for ok, _, _ in results)
