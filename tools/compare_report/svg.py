"""The charts, hand-written SVG: latency.svg (pointer chase), pt-bytes.svg (tables per
mapping), proc-pt.svg (tables per process against the flat table) and frag.svg (segmentation
against paging over time)."""

import html
import math

from .records import FRAG_TITLES, LAYOUT_TITLES, LAYOUTS, MODE_TITLES, MODES, PAGES

COLORS = {("2level", "4k"): "#1f77b4", ("2level", "large"): "#6baed6",
          ("pae", "4k"): "#d62728", ("pae", "large"): "#ff9896"}
PAGE_TITLES = {("2level", "4k"): "4 KiB", ("2level", "large"): "4 MiB",
               ("pae", "4k"): "4 KiB", ("pae", "large"): "2 MiB"}


def svg_text(x, y, text, size=12, anchor="start", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="sans-serif" font-size="{size}" '
            f'text-anchor="{anchor}" {extra}>{html.escape(str(text))}</text>')


def nice_ticks(lo, hi):
    """Powers of ten (and 2x, 5x) spanning [lo, hi] for a log axis."""
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo / 1.0001 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def binary_ticks(lo, hi):
    """Powers of four in [lo, hi]: round figures (4 KiB, 16 KiB, ... 16 MiB) on a bytes axis."""
    v = 1
    while v * 4 <= lo:
        v *= 4
    ticks = []
    while v <= hi:
        if v >= lo:
            ticks.append(v)
        v *= 4
    return ticks


def byte_label(v):
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= size:
            return f"{v / size:g} {unit}"
    return f"{v:g} B"


def chart_latency(rec, path):
    series = {}
    for r in rec.timing:
        if r["metric"] == "chase":
            series.setdefault((r["mode"], r["page"]), []).append((int(r["n"]), r["median"],
                                                                 r["p99"]))
    W, H, L, R, T, B = 720, 420, 70, 170, 40, 60
    pts = [p for s in series.values() for p in s]
    if not pts:
        return False
    xs = [n * 4 for n, _, _ in pts]
    ys = [max(m, 0.01) for _, m, _ in pts]
    x0, x1 = math.log2(min(xs)), math.log2(max(xs))
    y0, y1 = math.log10(min(ys) / 1.5), math.log10(max(ys) * 1.5)
    x1 = x1 if x1 > x0 else x0 + 1

    def X(kib):
        return L + (math.log2(kib) - x0) / (x1 - x0) * (W - L - R)

    def Y(v):
        return H - B - (math.log10(max(v, 0.01)) - y0) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}">', f'<rect width="{W}" height="{H}" fill="white"/>',
           svg_text(W / 2, 22, "Pointer chase: median cycles per access vs working set; "
                    f"{rec.info.get('timing_label', 'timing')}", 13, "middle")]
    for kib in sorted(set(xs)):
        out.append(f'<line x1="{X(kib):.1f}" y1="{T}" x2="{X(kib):.1f}" y2="{H - B}" '
                   'stroke="#ddd"/>')
        out.append(svg_text(X(kib), H - B + 16, f"{kib} KiB", 11, "middle"))
    for v in nice_ticks(10 ** y0, 10 ** y1):
        out.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{W - R}" y2="{Y(v):.1f}" stroke="#eee"/>')
        out.append(svg_text(L - 6, Y(v) + 4, f"{v:g}", 11, "end"))
    out.append(svg_text(W / 2 - R / 2 + L / 2, H - 18, "working set (KiB, log scale; one line "
                        "touched per 4 KiB page)", 12, "middle"))
    out.append(svg_text(18, H / 2, "cycles / access (log)", 12, "middle",
                        f'transform="rotate(-90 18 {H / 2})"'))
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" '
               'stroke="#444"/>')
    for i, key in enumerate(sorted(series)):
        s = sorted(series[key])
        color = COLORS[key]
        dash = ' stroke-dasharray="6 3"' if key[1] == "large" else ""
        path_d = " ".join(f"{'M' if j == 0 else 'L'}{X(n * 4):.1f},{Y(m):.1f}"
                          for j, (n, m, _) in enumerate(s))
        out.append(f'<path d="{path_d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for n, m, _ in s:
            out.append(f'<circle cx="{X(n * 4):.1f}" cy="{Y(m):.1f}" r="3" fill="{color}"/>')
        ly = T + 14 + i * 20
        out.append(f'<line x1="{W - R + 12}" y1="{ly}" x2="{W - R + 40}" y2="{ly}" '
                   f'stroke="{color}" stroke-width="2"{dash}/>')
        out.append(svg_text(W - R + 46, ly + 4, f"{MODE_TITLES[key[0]]}, {PAGE_TITLES[key]}", 11))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def chart_bytes(rec, path):
    W, H, L, R, T, B = 790, 420, 100, 170, 40, 70
    groups = LAYOUTS
    keys = [(m, p) for m in MODES for p in PAGES]
    vals = {}
    for layout in groups:
        for m, p in keys:
            r = rec.find("structural", "pt_bytes", m, p, layout)
            if r:
                vals[(layout, m, p)] = r["value"]
    if not vals:
        return False
    lo, hi = min(vals.values()), max(vals.values())
    y0, y1 = math.log10(max(lo, 16) / 2), math.log10(hi * 2)

    def Y(v):
        return H - B - (math.log10(max(v, 1)) - y0) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}">', f'<rect width="{W}" height="{H}" fill="white"/>',
           svg_text(W / 2, 22, "Page-table bytes per mapping (structural: exact)", 13, "middle")]
    for v in binary_ticks(10 ** y0, 10 ** y1):
        out.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{W - R}" y2="{Y(v):.1f}" stroke="#eee"/>')
        out.append(svg_text(L - 6, Y(v) + 4, byte_label(v), 10, "end"))
    gw = (W - L - R) / len(groups)
    bw = gw / (len(keys) + 1)
    for gi, layout in enumerate(groups):
        gx = L + gi * gw + bw / 2
        for ki, (m, p) in enumerate(keys):
            v = vals.get((layout, m, p))
            if v is None:
                continue
            x, y = gx + ki * bw, Y(v)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" '
                       f'height="{H - B - y:.1f}" fill="{COLORS[(m, p)]}"><title>'
                       f'{layout} {m} {p}: {v} bytes</title></rect>')
        out.append(svg_text(L + gi * gw + gw / 2, H - B + 16, LAYOUT_TITLES[layout], 11,
                            "middle"))
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" '
               'stroke="#444"/>')
    out.append(svg_text(18, H / 2, "bytes of page tables (log)", 12, "middle",
                        f'transform="rotate(-90 18 {H / 2})"'))
    for i, (m, p) in enumerate(keys):
        ly = T + 14 + i * 20
        out.append(f'<rect x="{W - R + 12}" y="{ly - 8}" width="22" height="10" '
                   f'fill="{COLORS[(m, p)]}"/>')
        out.append(svg_text(W - R + 40, ly + 1, f"{MODE_TITLES[m]}, {PAGE_TITLES[(m, p)]} pages",
                            11))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def svg_head(W, H, title):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}">', f'<rect width="{W}" height="{H}" fill="white"/>',
            svg_text(W / 2, 22, title, 13, "middle")]


def write_svg(path, out):
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True


def chart_proc_tables(rec, path):
    """Own page-table bytes of each process layout per format (log scale), with the flat
    single-level tables as dashed lines."""
    names = rec.layouts()
    vals = {}
    for name in names:
        for m in MODES:
            r = rec.find("structural", "proc_pt_bytes", m, "4k", name)
            if r:
                vals[(name, m)] = r["value"]
    flat = {m: rec.find("structural", "flat_bytes", m, "4k", "4g") for m in MODES}
    if not vals:
        return False
    L, R, T, B = 90, 180, 40, 150
    gw = 34
    W, H = L + R + gw * len(names), 480
    top = max(list(vals.values()) + [f["value"] for f in flat.values() if f])
    y0, y1 = math.log10(min(vals.values()) / 2), math.log10(top * 2)

    def Y(v):
        return H - B - (math.log10(max(v, 1)) - y0) / (y1 - y0) * (H - T - B)

    out = svg_head(W, H, "Page tables each process owns, against the flat single-level table "
                   "(structural: exact)")
    for v in binary_ticks(10 ** y0, 10 ** y1):
        out.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{W - R}" y2="{Y(v):.1f}" stroke="#eee"/>')
        out.append(svg_text(L - 6, Y(v) + 4, byte_label(v), 10, "end"))
    bw = (gw - 6) / 2
    for i, name in enumerate(names):
        for k, m in enumerate(MODES):
            v = vals.get((name, m))
            if v is None:
                continue
            x, y = L + i * gw + 3 + k * bw, Y(v)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw - 1:.1f}" '
                       f'height="{H - B - y:.1f}" fill="{COLORS[(m, "4k")]}"><title>{name} '
                       f'{m}: {v} bytes</title></rect>')
        cx = L + i * gw + gw / 2
        out.append(svg_text(cx, H - B + 10, name, 10, "end",
                            f'transform="rotate(-60 {cx:.1f} {H - B + 10})"'))
    for m in MODES:
        if flat[m]:
            y = Y(flat[m]["value"])
            out.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" '
                       f'stroke="{COLORS[(m, "4k")]}" stroke-dasharray="6 3"/>')
    out.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" '
               'stroke="#444"/>')
    out.append(svg_text(18, (H - B + T) / 2, "bytes of page tables (log)", 12, "middle",
                        f'transform="rotate(-90 18 {(H - B + T) / 2})"'))
    for i, m in enumerate(MODES):
        ly = T + 14 + i * 40
        out.append(f'<rect x="{W - R + 12}" y="{ly - 8}" width="22" height="10" '
                   f'fill="{COLORS[(m, "4k")]}"/>')
        out.append(svg_text(W - R + 40, ly + 1, f"{MODE_TITLES[m]}, own tables", 11))
        out.append(f'<line x1="{W - R + 12}" y1="{ly + 16}" x2="{W - R + 34}" y2="{ly + 16}" '
                   f'stroke="{COLORS[(m, "4k")]}" stroke-dasharray="6 3"/>')
        size = byte_label(flat[m]["value"]) if flat[m] else "?"
        out.append(svg_text(W - R + 40, ly + 20, f"flat table, {size}", 11))
    return write_svg(path, out)


FRAG_COLORS = {"contig": "#d62728", "paged": "#1f77b4"}


def chart_frag(rec, path):
    """Three panels over the steps of the churn: free memory and the largest hole (% of the
    arena), requests refused although enough memory was free, and the bytes wasted in the last
    pages of the requests held against the seed's half a page each."""
    if not rec.frag["contig"] and not rec.frag["paged"]:
        return False
    frames = int(rec.info.get("frag_arena_frames", "0") or 0) or 1
    steps = max(s["step"] for k in rec.frag for s in rec.frag[k])
    W, L, R, T, PH, GAP = 760, 80, 210, 40, 150, 40
    H = T + 3 * PH + 2 * GAP + 50

    def X(step):
        return L + step / steps * (W - L - R)

    out = svg_head(W, H, "Segmentation against paging: the same requests, the same RAM, over "
                   "time")
    def free(s):
        return 100 * s["free_frames"] / frames

    def hole(s):
        return 100 * s["largest_hole"] / frames

    panels = [  # (axis label, fixed top, [(kind, legend, dash, value of a sample)])
        ("% of the arena", 100.0,
         [("contig", "free (contiguous)", "", free), ("paged", "free (pages)", "", free),
          ("contig", "largest hole (contiguous)", ' stroke-dasharray="6 3"', hole)]),
        ("refused with room (count)", None,
         [(k, FRAG_TITLES[k], "", lambda s: s["failed_with_room"]) for k in ("contig", "paged")]),
        ("KiB wasted in last pages", None,
         [("paged", "pages: held requests", "", lambda s: s["waste_live"] / 1024),
          ("paged", "half a page per request", ' stroke-dasharray="2 3"',
           lambda s: s["live"] * 2048 / 1024)]),
    ]
    for p, (label, fixed_top, lines) in enumerate(panels):
        top_y = T + p * (PH + GAP)
        series = [(kind, name, dash, [(s["step"], get(s)) for s in rec.frag[kind]])
                  for kind, name, dash, get in lines]
        vmax = fixed_top or max([v for *_, pts in series for _, v in pts] + [1]) * 1.1

        def Y(v, top_y=top_y, vmax=vmax):
            return top_y + PH - v / vmax * PH

        out.append(f'<rect x="{L}" y="{top_y}" width="{W - L - R}" height="{PH}" fill="none" '
                   'stroke="#444"/>')
        for frac in (0, 0.5, 1):
            v = vmax * frac
            out.append(f'<line x1="{L}" y1="{Y(v):.1f}" x2="{W - R}" y2="{Y(v):.1f}" '
                       'stroke="#eee"/>')
            out.append(svg_text(L - 6, Y(v) + 4, f"{v:,.0f}", 10, "end"))
        out.append(svg_text(14, top_y + PH / 2, label, 11, "middle",
                            f'transform="rotate(-90 14 {top_y + PH / 2})"'))
        for i, (kind, name, dash, pts) in enumerate(series):
            if not pts:
                continue
            d = " ".join(f"{'M' if j == 0 else 'L'}{X(st):.1f},{Y(v):.1f}"
                         for j, (st, v) in enumerate(pts))
            color = "#888" if "half a page" in name else FRAG_COLORS[kind]
            out.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            ly = top_y + 14 + i * 18
            out.append(f'<line x1="{W - R + 10}" y1="{ly}" x2="{W - R + 36}" y2="{ly}" '
                       f'stroke="{color}" stroke-width="2"{dash}/>')
            out.append(svg_text(W - R + 42, ly + 4, name, 11))
    axis_y = T + 3 * PH + 2 * GAP
    for frac in (0, 0.25, 0.5, 0.75, 1):
        st = steps * frac
        out.append(svg_text(X(st), axis_y + 16, f"{st:,.0f}", 10, "middle"))
    out.append(svg_text((L + W - R) / 2, axis_y + 34, "requests so far (one per step)", 12,
                        "middle"))
    return write_svg(path, out)
