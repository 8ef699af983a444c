"""The raw records as CSV: structural.csv, timing.csv, info.csv."""

import csv
import os


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
