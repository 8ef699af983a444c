"""The raw records as CSV: structural.csv, timing.csv, info.csv, and two derived tables:
proc-tables.csv (page tables per process against the flat table) and frag.csv (the
fragmentation churn over time)."""

import csv
import os

from .processes import table_rows
from .records import FRAG_FIELDS, FRAG_KINDS


def write_csvs(rec, out):
    with open(os.path.join(out, "structural.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "mode", "page", "n", "value", "expected", "check", "unit"])
        for r in rec.structural:
            w.writerow([r["metric"], r["mode"], r["page"], r["n"], r["value"], r["expected"],
                        r["ok"], r["unit"]])
    with open(os.path.join(out, "timing.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "mode", "page", "n", "min", "median", "p99", "mad", "unit",
                    "samples", "label"])
        label = rec.info.get("timing_label", "")
        for r in rec.timing:
            w.writerow([r["metric"], r["mode"], r["page"], r["n"], r["min"], r["median"],
                        r["p99"], r["mad"], r["unit"], r["samples"], label])
    with open(os.path.join(out, "info.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "value"])
        for k, v in rec.info.items():
            w.writerow([k, v])
    with open(os.path.join(out, "proc-tables.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["layout", "mode", "pages_mapped", "root_tables", "mid_tables", "leaf_tables",
                    "table_pages", "table_bytes", "flat_table_bytes", "saving_bytes"])
        for r in table_rows(rec):
            w.writerow([r["layout"], r["mode"], r["mapped"], r["root"],
                        "" if r["mid"] is None else r["mid"], r["leaf"], r["pages"], r["bytes"],
                        r["flat"], r["saving"]])
    with open(os.path.join(out, "frag.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind"] + list(FRAG_FIELDS))
        for kind in FRAG_KINDS:
            for sample in rec.frag[kind]:
                w.writerow([kind] + [sample[k] for k in FRAG_FIELDS])
