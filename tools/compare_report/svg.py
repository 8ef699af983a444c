"""The two charts, hand-written SVG: latency.svg (pointer chase) and pt-bytes.svg."""

import html
import math

from .records import LAYOUT_TITLES, LAYOUTS, MODE_TITLES, MODES, PAGES

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
