"""The structural values worked out here from the two entry formats alone, and the replay of the
segmentation-against-paging churn from its documented rules.

Independent of the kernel's C (kernel/compare/compare_arith.c, compare_churn.c) on purpose: the
checks hold the kernel's records against both, so an error in either one shows.
"""

GEOMETRY = {
    # entry bytes, entries per table, bytes one PDE covers, root bytes, levels
    "2level": dict(entry=4, entries=1024, large=4 << 20, root=4096, levels=2),
    "pae": dict(entry=8, entries=512, large=2 << 20, root=32, levels=3),
}
GIB = 1 << 30
PAGE = 4096
KERNEL_BASE = 3 * GIB  # the 3 GiB / 1 GiB split
ROOT_SPAN = {"2level": 4 << 20, "pae": GIB}  # what one root entry (PDE, PDPTE) covers
SPARSE = [(0x08000000, 8 << 20), (0x10000000, 64 << 20), (0x28000000, 64 << 10),
          (0x38000000, 64 << 10), (0x40000000, 32 << 20), (0x48000000, 64 << 10),
          (0x58000000, 64 << 10), (0x68000000, 64 << 10), (0x78000000, 64 << 10),
          (0x88000000, 64 << 10), (0x98000000, 64 << 10), (0xBF800000, 8 << 20),
          (0xC0000000, 64 << 20), (0xFFF00000, 64 << 10)]


def regions(mode, pieces, large):
    """pieces: (va, pa, size). The distinct regions needing a PT, and the GiBs needing a PD."""
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
    return pts, pds


def table_bytes(mode, pieces, large):
    pts, pds = regions(mode, pieces, large)
    pages = len(pts) + (len(pds) if mode == "pae" else 0)
    return GEOMETRY[mode]["root"] + pages * 4096


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


# ---- processes ----

def process_tables(mode, runs):
    """runs: (start, pages) of 4 KiB pages in a process's user half. The tables the process owns:
    its root, under PAE a PD per GiB it touches (the kernel half's PD is shared), and a PT per
    PDE region it touches. The root counts its format's bytes (32 for the PDPT)."""
    pts, pds = regions(mode, [(va, va, pages * PAGE) for va, pages in runs], False)
    mid = len(pds) if mode == "pae" else 0
    return dict(proc_pt_bytes=GEOMETRY[mode]["root"] + (mid + len(pts)) * PAGE,
                proc_pt_pages=1 + mid + len(pts), proc_pt_leaf=len(pts), proc_pt_mid=mid,
                proc_mapped=sum(pages for _, pages in runs))


def flat_table_bytes(mode):
    """The seed's flat table: an entry per 4 KiB page of 4 GiB, 2^20 of them."""
    return (1 << 32) // PAGE * GEOMETRY[mode]["entry"]


def kernel_root_entries(mode):
    """Root entries of the kernel half that every new user space copies."""
    return ((1 << 32) - KERNEL_BASE) // ROOT_SPAN[mode]


def kernel_change_copies(mode, users):
    """Copies into user spaces of one new kernel-half page table: two-level puts its PDE, a root
    entry, into every user directory; PAE puts it in the one PD they all point at."""
    return users if mode == "2level" else 0


# ---- segmentation against paging: the churn, replayed ----

SIZE_CLASSES = 9  # 16 KiB << k, k in 0..8
SMALLEST = 16 << 10
MAX_SAMPLES = 64


def xorshift32(x):
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    return x


def churn_stream(seed, steps, lifetime_max):
    """(bytes, lifetime) of each step's request: class, bytes, lifetime drawn in that order."""
    x = seed
    for _ in range(steps):
        x = xorshift32(x)
        size_class = SMALLEST << (x % SIZE_CLASSES)
        x = xorshift32(x)
        nbytes = size_class // 2 + 1 + x % (size_class // 2)
        x = xorshift32(x)
        yield nbytes, 1 + x % lifetime_max


def holes(live, frames):
    """Free runs (start, length) between the live (start, pages) segments, lowest first."""
    out, cursor = [], 0
    for start, pages in sorted(live):
        if start > cursor:
            out.append((cursor, start - cursor))
        cursor = max(cursor, start + pages)
    if cursor < frames:
        out.append((cursor, frames - cursor))
    return out


def replay_churn(frames, seed, steps, lifetime_max, sample_every, contiguous):
    """The churn of compare_churn.h over `frames` frames: contiguous requests placed at the top of
    the highest hole that holds them (first fit searching down), or pages anywhere. Returns the
    totals under the kernel's record names and the samples (dicts of records.FRAG_FIELDS)."""
    live = []  # [start, pages, bytes, expires]
    free = frames
    t = dict(frag_requests=0, frag_served=0, frag_failed=0, frag_failed_with_room=0,
             frag_bytes_served=0, frag_waste_bytes=0, frag_peak_frames=0)
    waste_live = 0
    samples = []
    for step, (nbytes, lifetime) in enumerate(churn_stream(seed, steps, lifetime_max)):
        for r in [r for r in live if r[3] <= step]:
            live.remove(r)
            free += r[1]
            waste_live -= r[1] * PAGE - r[2]
        pages = -(-nbytes // PAGE)
        t["frag_requests"] += 1
        start = 0
        if contiguous:
            fit = [(s, n) for s, n in holes([(r[0], r[1]) for r in live], frames) if n >= pages]
            start = fit[-1][0] + fit[-1][1] - pages if fit else None
        else:
            start = 0 if free >= pages else None
        if start is None:
            t["frag_failed"] += 1
            t["frag_failed_with_room"] += free >= pages
        else:
            live.append([start, pages, nbytes, step + lifetime])
            free -= pages
            waste_live += pages * PAGE - nbytes
            t["frag_served"] += 1
            t["frag_bytes_served"] += nbytes
            t["frag_waste_bytes"] += pages * PAGE - nbytes
            t["frag_peak_frames"] = max(t["frag_peak_frames"], frames - free)
        if (step + 1) % sample_every == 0 and len(samples) < MAX_SAMPLES:
            largest = 0
            if contiguous:
                largest = max((n for _, n in holes([(r[0], r[1]) for r in live], frames)),
                              default=0)
            samples.append(dict(step=step + 1, live=len(live), free_frames=free,
                                largest_hole=largest, failed=t["frag_failed"],
                                failed_with_room=t["frag_failed_with_room"],
                                waste_live=waste_live))
    return t, samples
