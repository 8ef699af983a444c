"""The kernel's comparison records as the serial port carries them, and their vocabulary.

    CMPINFO,key,value                                   one fact about the machine or the run
    CMP,metric,mode,page,n,structural,value,expected,ok,-,unit,samples
    CMP,metric,mode,page,n,timing,min,median,p99,mad,unit,samples
    CMPEND,pass|fail,failures                           the last line of a finished comparison
    CMPRUN,layout,mode,start,pages                      a run of mapped pages of a process layout
    CMPFRAG,contig|paged,step,live,free,hole,failed,failed_with_room,waste
                                                        one sample of the fragmentation churn

parse_log() keeps every well-formed record and lists the malformed CMP lines.
"""

MODES = ("2level", "pae")
MODE_TITLES = {"2level": "two-level", "pae": "PAE"}
PAGES = ("4k", "large")
LAYOUTS = ("kernel", "direct1g", "sparse4g", "all4g")
LAYOUT_TITLES = {
    "kernel": "kernel space (as booted)",
    "direct1g": "1 GiB direct map",
    "sparse4g": "sparse 4 GiB user layout",
    "all4g": "all of 4 GiB",
}
WRITE_NS = (1, 16, 512, 1024, 4096)
INVAL_KS = (1, 4, 16, 32, 64, 128, 256)
CHASE_FULL = (16, 64, 256, 1024, 4096)
CHASE_SHORT = (16, 256)
MIN_SAMPLES = 1000
INFO_KEYS = ("cpu_vendor", "cpu_brand", "cpu_signature", "hypervisor", "timing_label",
             "invariant_tsc", "tsc_hz", "max_phys_bits", "booted_in", "run", "serialization",
             "processes", "pge_2level", "pge_pae", "frag_arena_frames", "frag_seed", "frag_steps",
             "frag_lifetime_max", "frag_sample_every", "elapsed_ms")

# Processes (kernel/compare/compare_proc.c).
PROC_METRICS = ("proc_pt_bytes", "proc_pt_pages", "proc_pt_leaf", "proc_pt_mid", "proc_mapped")
USERTESTS_LAYOUTS = ("usertests/stack_grow", "usertests/stack_object_64k", "usertests/sbrk_grow",
                     "usertests/sbrk_limits", "usertests/exhaust_memory")
# Layouts every run has: programs of this tree's ramdisk, usertests grown, the sparse layout.
REQUIRED_LAYOUTS = ("sh", "demo", "hello", "isolation", "stackexec", "usertests", "cmpbench",
                    "cmpload") + USERTESTS_LAYOUTS + ("sparse",)
SHARE_USERS = (1, 8, 64)
PROC_TIMINGS = (("user_bracket", "-", 0), ("syscall", "-", 1), ("ctx_switch", "global", 2),
                ("ctx_switch", "noglobal", 2), ("fault", "4k", 1), ("touch", "4k", 1))
STACK_OUTCOMES = {0: "ran (no NX bit)", 1: "stopped by NX (#PF)", 2: "something else (a bug)",
                  3: "not run"}
# Segmentation against paging (kernel/compare/compare_frag.c, compare_churn.h).
FRAG_KINDS = ("contig", "paged")
FRAG_TITLES = {"contig": "contiguous (as segments)", "paged": "pages"}
FRAG_COUNTS = ("frag_requests", "frag_served", "frag_failed", "frag_failed_with_room",
               "frag_bytes_served", "frag_waste_bytes", "frag_peak_frames")
FRAG_CHECKS = ("frag_misses", "frag_count_mismatches", "frag_clean")
FRAG_FIELDS = ("step", "live", "free_frames", "largest_hole", "failed", "failed_with_room",
               "waste_live")


class Records:
    """Everything parse_log() found; find() looks one record up by its key fields."""

    def __init__(self):
        self.info = {}
        self.structural = []  # dicts
        self.timing = []
        self.end = None  # (status, failures)
        self.malformed = []
        self.runs = {}  # (layout, mode) -> [(start, pages)], in address order
        self.frag = {k: [] for k in FRAG_KINDS}  # kind -> [dict of FRAG_FIELDS]

    def find(self, kind, metric, mode, page, n):
        rows = self.structural if kind == "structural" else self.timing
        for r in rows:
            if (r["metric"], r["mode"], r["page"], r["n"]) == (metric, mode, page, str(n)):
                return r
        return None

    def layouts(self):
        """Every process layout with page-table records, in the kernel's order."""
        seen = []
        for r in self.structural:
            if r["metric"] == "proc_pt_bytes" and r["n"] not in seen:
                seen.append(r["n"])
        return seen


def parse_run(rec, line):
    f = line.split(",")
    try:
        if len(f) != 5:
            raise ValueError
        rec.runs.setdefault((f[1], f[2]), []).append((int(f[3], 16), int(f[4])))
    except ValueError:
        rec.malformed.append(line)


def parse_frag(rec, line):
    f = line.split(",")
    try:
        if len(f) != 2 + len(FRAG_FIELDS) or f[1] not in FRAG_KINDS:
            raise ValueError
        rec.frag[f[1]].append(dict(zip(FRAG_FIELDS, (int(v) for v in f[2:]))))
    except ValueError:
        rec.malformed.append(line)


def parse_log(text):
    rec = Records()
    for raw in text.splitlines():
        line = raw.strip("\r")
        if line.startswith("CMPINFO,"):
            _, key, value = line.split(",", 2)
            rec.info[key] = value
        elif line.startswith("CMPRUN,"):
            parse_run(rec, line)
        elif line.startswith("CMPFRAG,"):
            parse_frag(rec, line)
        elif line.startswith("CMPEND,"):
            parts = line.split(",")
            rec.end = (parts[1], parts[2] if len(parts) > 2 else "?")
        elif line.startswith("CMP,"):
            f = line.split(",")
            if len(f) != 12 or f[5] not in ("structural", "timing"):
                rec.malformed.append(line)
                continue
            row = dict(metric=f[1], mode=f[2], page=f[3], n=f[4], kind=f[5], unit=f[10],
                       samples=f[11])
            try:
                if f[5] == "structural":
                    row.update(value=int(f[6]), expected=int(f[7]), ok=f[8])
                    rec.structural.append(row)
                else:
                    row.update(min=float(f[6]), median=float(f[7]), p99=float(f[8]),
                               mad=float(f[9]), samples=int(f[11]))
                    rec.timing.append(row)
            except ValueError:
                rec.malformed.append(line)
    return rec
