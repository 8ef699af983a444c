#!/usr/bin/env python3
"""The layer test (suite 'unit'), as TAP: first tools/layers.py on small synthetic graphs (an
upward use, a cycle, a sibling use, another program's file and a file without a place must each
fail; a clean graph must pass; includes resolve the compiler's way), then on the build: every
file the kernel and loader compiles read has a place in tools/layers.toml, no units include or
call each other in a circle, and no unit uses a higher layer, a sibling part or another program.
Every failure is printed under its point, naming both files, the header or symbols, the layers.

    layers_test.py --build BUILD [--ninja PATH] [--llvm-ar PATH] [--llvm-nm PATH]
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, os.path.join(HERE, ".."))
import layers  # noqa: E402  (tools/layers.py)
from taplib import Tap  # noqa: E402  (tests/taplib.py)

SYNTHETIC = layers.Layers({
    "base": [{"runtime": ["rt/"]}, {"lib": ["lib/"]}],
    "prog": [{"low": ["p/low/"]}, {"left": ["p/left/"], "right": ["p/right/"]},
             {"top": ["p/top.c"]}],
    "other": [{"other": ["q/"]}],
})


def clean_graph():
    """Only downward uses, uses inside one part, and uses inside one unit."""
    g = layers.Graph()
    g.add_include("p/top.c", "p/left/a.h")
    g.add_reference("p/top.c", "p/left/a.c", "a_run")
    g.add_reference("p/top.c", "p/right/b.S", "b_entry")
    g.add_include("p/left/a.c", "p/left/a.h")  # the same unit: no edge
    g.add_reference("p/left/a.c", "p/left/c.c", "c_help")  # the same part
    g.add_include("p/left/c.c", "p/low/d.h")
    g.add_reference("p/right/b.S", "lib/l.c", "l_print")
    g.add_reference("lib/l.c", "rt/div.c", "__udivdi3")  # lower base layer
    g.add_include("q/o.c", "lib/l.h")
    return g


def failures(graph):
    places, cycles, wrong_way = layers.check(graph, SYNTHETIC)
    return places, cycles, wrong_way


def self_test(tap):
    places, cycles, wrong_way = failures(clean_graph())
    tap.check(not (places or cycles or wrong_way), "self-test: a clean graph passes",
              places + cycles + wrong_way)

    g = clean_graph()
    g.add_reference("p/low/d.c", "p/left/a.c", "a_state")
    _, cycles, wrong_way = failures(g)
    tap.check(cycles and len(wrong_way) == 1 and "upward: p/low/d.c [prog low] uses a_state of "
              "p/left/a.c [prog left]" in wrong_way[0],
              "self-test: an upward use fails, naming both files, the symbol and the layers",
              wrong_way)
    tap.check(len(cycles) == 1 and "p/left/a, p/left/c, p/low/d" in cycles[0],
              "self-test: the circle it closes (a -> c -> d -> a) fails", cycles)

    g = clean_graph()
    g.add_include("p/low/d.c", "p/top.h")
    _, _, wrong_way = failures(g)
    tap.check(wrong_way == ["upward: p/low/d.c [prog low] includes p/top.h [prog top]"],
              "self-test: an upward include fails, naming the header", wrong_way)

    g = clean_graph()
    g.add_reference("p/left/c.c", "p/left/a.c", "a_back")  # a <-> c, one part
    _, cycles, wrong_way = failures(g)
    tap.check(not wrong_way and len(cycles) == 1 and "p/left/a, p/left/c" in cycles[0]
              and "a_back" in cycles[0] and "c_help" in cycles[0],
              "self-test: a cycle inside one part fails and names the symbols both ways",
              cycles + wrong_way)

    g = clean_graph()
    g.add_include("p/left/a.c", "p/right/b.h")
    _, _, wrong_way = failures(g)
    tap.check(len(wrong_way) == 1 and wrong_way[0].startswith("sibling: "),
              "self-test: a use of a sibling part fails", wrong_way)

    g = clean_graph()
    g.add_reference("q/o.c", "p/low/d.c", "d_value")
    g.add_reference("lib/l.c", "p/low/d.c", "d_value")
    g.add_reference("rt/div.c", "lib/l.c", "l_print")
    _, _, wrong_way = failures(g)
    tap.check(sorted(w.split(":")[0] for w in wrong_way) ==
              ["another program", "upward", "upward"],
              "self-test: another program's file, and the base using a program or a higher "
              "base layer, fail", wrong_way)

    g = clean_graph()
    g.add_include("p/top.c", "elsewhere/e.h")
    places, _, _ = failures(g)
    tap.check(places == ["elsewhere/e.h: no place in the layers"],
              "self-test: a file without a place fails", places)

    components = layers.strongly_connected(
        ["a", "b", "c", "d", "e"], [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"),
                                    ("e", "d")])
    tap.check(sorted(components) == [["a", "b", "c"], ["d", "e"]],
              "self-test: strongly connected components of a known graph", [str(components)])

    with tempfile.TemporaryDirectory() as tmp:
        def write(rel, text):
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            return path

        src = write("src/a/a.c", '#include "b.h"\n#include "c.h"\n#include <d.h>\n'
                                 '#if 0\n#include "skipped.h"\n#endif\n')
        b_local = write("src/a/b.h", "")
        write("src/inc/b.h", "")  # shadowed by the includer's folder
        c = write("src/inc/c.h", "")
        d = write("src/inc/d.h", "")
        write("src/a/skipped.h", "")  # exists, but the compile did not read it
        g = layers.Graph()
        build = os.path.join(tmp, "src", "build")
        old_root, layers.SOURCE_ROOT = layers.SOURCE_ROOT, os.path.join(tmp, "src")
        try:
            layers.add_includes(g, build, [src, b_local, c, d], [os.path.join(tmp, "src", "inc")])
        finally:
            layers.SOURCE_ROOT = old_root
        got = sorted((a, b) for (a, b) in g.uses)
        tap.check(got == [("a/a", "a/b"), ("a/a", "inc/c"), ("a/a", "inc/d")],
                  "self-test: includes resolve the compiler's way (the includer's folder first, "
                  "then -I) and only to files the compile read", [str(got)])


def build_test(tap, args):
    try:
        graph = layers.read_build(args.build)
    except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", None) or ""
        tap.check(False, "read the build", [str(e), *detail.splitlines()])
        return
    units = graph.units()
    uses = sum(len(u) for u in graph.uses.values())
    tap.check({"kernel/main", "loader/main", "kernel/paging/paging_core", "lib/fmt"} <= set(units)
              and uses > 100,
              f"read the build: {len(graph.files)} files in {len(units)} units, {uses} uses "
              "(includes and symbols) between units")
    places, cycles, wrong_way = layers.check(graph, layers.Layers.load(args.layers))
    tap.check(not places, "every file the build read has a place in tools/layers.toml", places)
    tap.check(not cycles, f"no units include or call each other in a circle "
              f"({len(cycles)} groups found)", cycles)
    tap.check(not wrong_way, "no unit uses a higher layer, a sibling part or another program "
              f"({len(wrong_way)} uses found)", wrong_way)


def main():
    args = layers.parse_args()
    tap = Tap()
    self_test(tap)
    build_test(tap, args)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
