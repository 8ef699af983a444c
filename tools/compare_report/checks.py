"""What a comparison run must show, as (ok, what, details) results, and their TAP form."""

from .arithmetic import expected_layout_bytes, expected_write
from .records import (CHASE_FULL, CHASE_SHORT, INFO_KEYS, INVAL_KS, LAYOUTS, MIN_SAMPLES, MODES,
                      PAGES, WRITE_NS)


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
            (r["samples"] >= MIN_SAMPLES or r["metric"] == "inval_breakeven"))]
        add(not badt, f"{mode}: timing records have >= {MIN_SAMPLES} samples and "
            "min <= median <= p99", "; ".join(f"{r['metric']} {r['page']} {r['n']}"
                                              for r in badt[:5]))
    nx = {m: rec.find("structural", "nx_enforced", m, "4k", 1) for m in MODES}
    add(nx["2level"] is not None and nx["2level"]["value"] == 0,
        "two-level paging cannot enforce no-execute")
    return results


def print_tap(results):
    print(f"1..{len(results)}")
    for i, (ok, what, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
        if not ok and details:
            print(f"# {details}")
    return all(ok for ok, _, _ in results)
