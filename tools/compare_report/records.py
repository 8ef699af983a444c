"""The kernel's comparison records as the serial port carries them, and their vocabulary.

    CMPINFO,key,value                                   one fact about the machine or the run
    CMP,metric,mode,page,n,structural,value,expected,ok,-,unit,samples
    CMP,metric,mode,page,n,timing,min,median,p99,mad,unit,samples
    CMPEND,pass|fail,failures                           the last line of a finished comparison

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
             "elapsed_ms")


class Records:
    """Everything parse_log() found; find() looks one record up by its key fields."""

    def __init__(self):
        self.info = {}
        self.structural = []  # dicts
        self.timing = []
        self.end = None  # (status, failures)
        self.malformed = []

    def find(self, kind, metric, mode, page, n):
        rows = self.structural if kind == "structural" else self.timing
        for r in rows:
            if (r["metric"], r["mode"], r["page"], r["n"]) == (metric, mode, page, str(n)):
                return r
        return None


def parse_log(text):
    rec = Records()
    for raw in text.splitlines():
        line = raw.strip("\r")
        if line.startswith("CMPINFO,"):
            _, key, value = line.split(",", 2)
            rec.info[key] = value
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
