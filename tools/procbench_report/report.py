"""The report of a set of procbench boots: report.md (both paging formats side by side, the
ratio PAE / two-level, what the timings are) and two CSV files, procbench.csv (every boot's
figures) and summary.csv (the side-by-side table)."""

import csv
import os
import statistics

from .records import METRICS, MODE_TITLES, MODES

EMULATOR_NOTE = (
    "QEMU TCG translates the guest's code and emulates its MMU in software: it models no caches "
    "and no hardware TLB, a CR3 load empties its software TLB, and its TSC counts the host's "
    "time, so a host busy with other work stretches every figure. They show what TCG does, not "
    "what a CPU does; the same command on a PC (or procbench booted from a USB stick) gives real "
    "ones.")


def number(value):
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def summary(runs):
    """metric -> for each mode, the median of its boots' medians and the least of their minima
    (None without a boot), and the ratios PAE / two-level of both."""
    table = {}
    for metric in METRICS:
        row = {}
        for mode in MODES:
            figures = [r.metrics[metric] for _, r in runs if r.mode == mode and metric in r.metrics]
            row[mode] = statistics.median(m["median"] for m in figures) if figures else None
            row[mode + "_min"] = min(m["min"] for m in figures) if figures else None
        row["ratio"] = ratio(row["pae"], row["2level"])
        row["ratio_min"] = ratio(row["pae_min"], row["2level_min"])
        table[metric] = row
    return table


def ratio(pae, two):
    return pae / two if two and pae is not None else None


def ratio_text(value):
    return f"{value:.2f}" if value is not None else "-"


def about(runs, metric):
    for _, r in runs:
        if r.about(metric):
            return r.about(metric)
    return ""


def labels(runs):
    return sorted({r.info.get("timing_label", "?") for _, r in runs})


def write_csvs(runs, out):
    with open(os.path.join(out, "procbench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["boot", "paging", "metric", "samples", "min", "median", "p99", "mad", "unit",
                    "timing_label"])
        for name, r in runs:
            for metric in METRICS:
                m = r.metrics.get(metric)
                if m:
                    w.writerow([name, r.mode, metric, m["samples"], m["min"], m["median"],
                                m["p99"], m["mad"], m["unit"], r.info.get("timing_label", "")])
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "2level_median", "pae_median", "pae_over_2level", "2level_min",
                    "pae_min", "pae_over_2level_min", "unit"])
        for metric, row in summary(runs).items():
            w.writerow([metric] + ["" if row[k] is None else row[k] for k in ("2level", "pae")] +
                       ["" if row["ratio"] is None else f"{row['ratio']:.3f}"] +
                       ["" if row[k] is None else row[k] for k in ("2level_min", "pae_min")] +
                       ["" if row["ratio_min"] is None else f"{row['ratio_min']:.3f}", "cycles"])


def markdown(runs, meta):
    """runs: [(boot name, Run)] in boot order; meta: where, command, date, boots."""
    L = ["# Processes in two-level and PAE paging (procbench)", ""]
    label = ", ".join(labels(runs))
    hypervisors = ", ".join(sorted({r.info.get("hypervisor", "?") for _, r in runs}))
    L.append(f"**Timings: {label}** (CPUID leaf 0x40000000 read in ring 3: {hypervisors}).")
    if any("emulator" in lab for lab in labels(runs)):
        L += ["", EMULATOR_NOTE]
    first = runs[0][1] if runs else None
    L += ["", f"- Command: `{meta.get('command', '?')}`",
          f"- Where: {meta.get('where', '?')}; {meta.get('date', '')}",
          f"- Boots, in order: {', '.join(name for name, _ in runs)}"
          f"{' (A/B interleaved)' if meta.get('interleaved') else ''}, each "
          "`mode=test paging=MODE init=procbench`"]
    if first:
        overheads = sorted({r.info.get("tsc_overhead", "?").split(" ")[0] for _, r in runs})
        L.append(f"- Method: TSC read as `{first.info.get('serialization', '?')}` from ring 3, "
                 f"the median of 1000 empty brackets subtracted ({' or '.join(overheads)} "
                 f"cycles), {first.info.get('samples', '?')}; min, median, p99 (nearest rank), "
                 f"MAD; CPU {first.info.get('cpu_vendor', '?')} "
                 f"{first.info.get('cpu_brand', '')}, TSC {first.info.get('tsc_mhz', '?')}")
    L += ["", "TSC cycles per sample. Median: with several boots of a format, the median of "
          "their medians; min: the least sample of all its boots, the figure a busy host "
          "disturbs least (each boot is in the table after this one).", "",
          "| metric | one sample | two-level median | PAE median | PAE / two-level "
          "| two-level min | PAE min | PAE / two-level (min) |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for metric, row in summary(runs).items():
        L.append(f"| {metric} | {about(runs, metric)} | {number(row['2level'])} | "
                 f"{number(row['pae'])} | {ratio_text(row['ratio'])} | "
                 f"{number(row['2level_min'])} | {number(row['pae_min'])} | "
                 f"{ratio_text(row['ratio_min'])} |")
    L += ["", "## Every boot", "",
          "| boot | paging | metric | samples | min | median | p99 | MAD |",
          "|---|---|---|---:|---:|---:|---:|---:|"]
    for name, r in runs:
        for metric in METRICS:
            m = r.metrics.get(metric)
            if m:
                L.append(f"| {name} | {MODE_TITLES.get(r.mode, r.mode)} | {metric} | "
                         f"{m['samples']:,} | {m['min']:,} | {m['median']:,} | {m['p99']:,} | "
                         f"{m['mad']:,} |")
    L += ["", "## The boots", ""]
    for name, r in runs:
        facts = [f"{r.info.get('paging_levels', '?')}", f"NX {r.info.get('nx', '?')}",
                 f"spawnee {r.info.get('spawnee_pages', '?')}",
                 f"spawnee_big {r.info.get('spawnee_big_pages', '?')}",
                 f"procbench ran {r.info.get('run_ms', '?')} ms"]
        L.append(f"- {name}: " + "; ".join(facts))
        if r.kernel_counters:
            L.append(f"  - kernel at the end: user pages mapped: {r.kernel_counters}")
        for problem in r.problems():
            L.append(f"  - **incomplete**: {problem}")
    return "\n".join(L) + "\n"


def write_report(runs, out, meta):
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write(markdown(runs, meta))
    write_csvs(runs, out)
    return path
