"""The structural values worked out here from the two entry formats alone.

Independent of the kernel's C arithmetic (kernel/compare/compare_arith.c) on purpose: the checks
hold the kernel's records against both, so an error in either one shows.
"""

GEOMETRY = {
    # entry bytes, entries per table, bytes one PDE covers, root bytes, levels
    "2level": dict(entry=4, entries=1024, large=4 << 20, root=4096, levels=2),
    "pae": dict(entry=8, entries=512, large=2 << 20, root=32, levels=3),
}
GIB = 1 << 30
SPARSE = [(0x08000000, 8 << 20), (0x10000000, 64 << 20), (0x28000000, 64 << 10),
          (0x38000000, 64 << 10), (0x40000000, 32 << 20), (0x48000000, 64 << 10),
          (0x58000000, 64 << 10), (0x68000000, 64 << 10), (0x78000000, 64 << 10),
          (0x88000000, 64 << 10), (0x98000000, 64 << 10), (0xBF800000, 8 << 20),
          (0xC0000000, 64 << 20), (0xFFF00000, 64 << 10)]


def table_bytes(mode, pieces, large):
    """pieces: (va, pa, size). Counts the distinct regions needing a PT (and a PD under PAE)."""
    g = GEOMETRY[mode]
    pts, pds = set(), set()
    for va, pa, size in pieces:
        end = va + size
        L = g["large"]
        lo, hi = -(-va // L) * L, end // L * L
        small = [(va, end)]
        if large and va % L == pa % L and lo < hi:
            small = [(va, lo), (hi, end)]
        for a, b in small:
            if a < b:
                pts.update(range(a // L, (b - 1) // L + 1))
        pds.update(range(va // GIB, (end - 1) // GIB + 1))
    pages = len(pts) + (len(pds) if mode == "pae" else 0)
    return g["root"] + pages * 4096


def expected_layout_bytes(mode, layout, large):
    if layout == "direct1g":
        return table_bytes(mode, [(0xC0000000, 0, GIB)], large)
    if layout == "all4g":
        return table_bytes(mode, [(0, 0, 4 * GIB)], large)
    if layout == "sparse4g":
        return table_bytes(mode, [(va, va, size) for va, size in SPARSE], large)
    return None  # the kernel layout depends on the machine: the kernel checks it


def expected_write(mode, n):
    g = GEOMETRY[mode]
    per_line = 64 // g["entry"]
    pts = -(-n // g["entries"])
    full, rest = divmod(n, g["entries"])
    lines = full * (g["entries"] // per_line) + -(-rest // per_line) + -(-pts // per_line)
    entries = n + pts
    pds = -(-pts // g["entries"]) if mode == "pae" else 0
    return dict(write_entries=entries + pds, write_lines=lines + (1 if pds else 0),
                write_tables=pts + pds)
