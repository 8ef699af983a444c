"""What procbench prints on the console (user/programs/procbench.c), as the serial log holds it.

    PROCBENCHINFO,key,value                                  a fact about the machine or the run
    PROCBENCH,metric,paging,samples,min,median,p99,mad,unit  one metric: TSC cycles per sample
    PROCBENCHEND,ok|fail                                     the last line of a finished run
    pagoda: init exited with status N                        the kernel, once procbench ended

parse_log() keeps every well-formed record of one boot and lists the malformed PROCBENCH lines.
"""

import re

MODES = ("2level", "pae")
MODE_TITLES = {"2level": "two-level", "pae": "PAE"}
# The metrics in the order procbench measures them; a run must have each.
METRICS = ("getpid", "uptime", "yield_self", "yield_pingpong", "fault", "spawn_wait",
           "spawn_wait_big", "spawn_page")
MIN_SAMPLES = 1000

INIT_EXIT = re.compile(r"^pagoda: init exited with status (\d+)")
KERNEL_COUNTERS = re.compile(r"^pagoda: user pages mapped: (.*)$")
ESCAPES = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")


class Run:
    """One boot of procbench: its info lines, its metrics (name -> dict), how it ended."""

    def __init__(self):
        self.info = {}
        self.metrics = {}
        self.end = None  # "ok" or "fail"
        self.init_status = None
        self.kernel_counters = None
        self.malformed = []
        self.notes = []  # procbench's own "procbench: X not measured: why" lines

    @property
    def mode(self):
        return self.info.get("paging")

    def about(self, metric):
        return self.info.get(f"about_{metric}", "")

    def problems(self):
        """What keeps this run from being a complete measurement: a list of sentences."""
        found = []
        if self.mode not in MODES:
            found.append(f"no paging format recorded (PROCBENCHINFO,paging: {self.mode!r})")
        for metric in METRICS:
            m = self.metrics.get(metric)
            if m is None:
                found.append(f"no PROCBENCH line for {metric}")
            elif m["samples"] < MIN_SAMPLES:
                found.append(f"{metric}: {m['samples']} samples, fewer than {MIN_SAMPLES}")
            elif not m["min"] <= m["median"] <= m["p99"]:
                found.append(f"{metric}: min {m['min']} <= median {m['median']} <= p99 "
                             f"{m['p99']} does not hold")
            elif m["paging"] != self.mode:
                found.append(f"{metric}: recorded for {m['paging']}, the run is {self.mode}")
        found += [f"malformed line: {line}" for line in self.malformed]
        found += self.notes
        if self.end != "ok":
            found.append(f"procbench did not end with PROCBENCHEND,ok (got {self.end!r})")
        if self.init_status != 0:
            found.append(f"init (procbench) exit status {self.init_status!r}, not 0")
        return found


def clean(raw):
    return ESCAPES.sub("", raw).replace("\r", "")


def parse_log(text):
    run = Run()
    for line in clean(text).splitlines():
        if line.startswith("PROCBENCHINFO,"):
            parts = line.split(",", 2)
            if len(parts) == 3:
                run.info[parts[1]] = parts[2]
            else:
                run.malformed.append(line)
        elif line.startswith("PROCBENCHEND,"):
            run.end = line.split(",", 1)[1].strip()
        elif line.startswith("PROCBENCH,"):
            f = line.split(",")
            if len(f) != 9 or f[8] != "cycles":
                run.malformed.append(line)
                continue
            try:
                values = [int(v) for v in f[3:8]]
            except ValueError:
                run.malformed.append(line)
                continue
            run.metrics[f[1]] = dict(metric=f[1], paging=f[2], samples=values[0], min=values[1],
                                     median=values[2], p99=values[3], mad=values[4], unit=f[8])
        elif line.startswith("procbench: ") and " not measured: " in line:
            run.notes.append(line)
        elif m := INIT_EXIT.match(line):
            run.init_status = int(m.group(1))
        elif m := KERNEL_COUNTERS.match(line):
            run.kernel_counters = m.group(1)
    return run
