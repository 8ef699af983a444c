#!/usr/bin/env python3
"""Check Pagoda's layers against the build: who includes, calls or references whom.

    tools/layers.py [--build build] [--layers tools/layers.toml]

The facts come from the build, not from reading the sources' intent:
  - the programs are the static libraries the build defines outside tests/
    (meson-info/intro-targets.json), their objects the members of each archive (llvm-ar t);
  - includes: the files each object's compile read (`ninja -t deps`); each file's #include
    directives are resolved the way the compiler does (the including file's folder for "...",
    then the -I folders of that object's command in compile_commands.json) and kept only when
    the file found is one the compile read;
  - calls and references: `llvm-nm` on every object; a global symbol one object leaves undefined
    ties it to the object of the same library that defines it.
A unit is a source with its headers (foo.c, foo.S and foo.h): uses inside a unit are not edges.
Each unit gets its place from tools/layers.toml. It prints every failure and exits 1 when:
  - units form a cycle (a strongly connected component of more than one unit, over includes and
    calls together),
  - a unit uses a higher layer, a sibling part of its own layer, or another program,
  - a file the build read has no place in the layers.
Python standard library only.
"""

import argparse
import collections
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib

TOOLS = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(TOOLS)
DEFAULT_LAYERS = os.path.join(TOOLS, "layers.toml")
BASE = "base"

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)
DEFINED_TYPES = set("ABCDGRSTVW")  # global definitions in llvm-nm -P output
UNDEFINED_TYPES = set("Uvw")


# ---------------------------------------------------------------- places


class Place:
    """Where a unit stands: program, level (0 = its lowest) and part of that level."""

    def __init__(self, program, level, part):
        self.program, self.level, self.part = program, level, part

    def key(self):
        return (self.program, self.level, self.part)

    def __eq__(self, other):
        return isinstance(other, Place) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __str__(self):
        return f"{self.program} {self.part}" if self.program != BASE else self.part


def unit_of(path):
    """kernel/arch/probe.S, kernel/arch/probe.h -> kernel/arch/probe."""
    return os.path.splitext(path)[0]


class Layers:
    """The order written in tools/layers.toml: path patterns -> Place."""

    def __init__(self, table):
        self.patterns = []  # (pattern, is_folder, Place)
        self.programs = []
        for program, levels in table.items():
            if not isinstance(levels, list) or not all(isinstance(l, dict) for l in levels):
                raise ValueError(f"layers: {program} must be a list of tables of parts")
            self.programs.append(program)
            for level, parts in enumerate(levels):
                for part, paths in parts.items():
                    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                        raise ValueError(f"layers: {program} {part} must be a list of paths")
                    for pattern in paths:
                        folder = pattern.endswith("/")
                        key = pattern if folder else unit_of(pattern)
                        if any(p[0] == key for p in self.patterns):
                            raise ValueError(f"layers: {pattern} is named twice")
                        self.patterns.append((key, folder, Place(program, level, part)))

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            return cls(tomllib.load(f))

    def place(self, unit):
        """The Place of the longest pattern matching a unit, or None."""
        best, best_len = None, -1
        for key, folder, place in self.patterns:
            hit = unit.startswith(key) if folder else unit == key
            if hit and len(key) > best_len:
                best, best_len = place, len(key)
        return best


def forbidden(user, used):
    """Why a unit at Place `user` may not use one at Place `used`, or None when it may. The base
    stands below every program; within one program (or the base) only downward or inside the
    same part."""
    if used.program != user.program:
        if used.program == BASE:
            return None
        return "upward" if user.program == BASE else "another program"
    if used.level > user.level:
        return "upward"
    if used.level == user.level and used.part != user.part:
        return "sibling"
    return None


# ---------------------------------------------------------------- the graph


class Graph:
    """Units and the uses between them. uses[(a, b)] = list of (kind, from_file, to_file, name):
    kind "includes" (name = the header) or "uses" (name = the symbol)."""

    def __init__(self):
        self.files = set()
        self.uses = collections.defaultdict(set)

    def add_file(self, path):
        self.files.add(path)

    def add_include(self, from_file, header):
        self.add_file(from_file)
        self.add_file(header)
        if unit_of(from_file) != unit_of(header):
            self.uses[(unit_of(from_file), unit_of(header))].add(
                ("includes", from_file, header, header))

    def add_reference(self, from_file, to_file, symbol):
        self.add_file(from_file)
        self.add_file(to_file)
        if unit_of(from_file) != unit_of(to_file):
            self.uses[(unit_of(from_file), unit_of(to_file))].add(
                ("uses", from_file, to_file, symbol))

    def units(self):
        return sorted({unit_of(f) for f in self.files})


def strongly_connected(nodes, edges):
    """Tarjan's algorithm, iterative. Returns the components as sorted lists."""
    succ = collections.defaultdict(list)
    for a, b in edges:
        succ[a].append(b)
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(succ[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result


def symbol_names(names):
    """Sorted, with i686 COFF's leading underscore folded into the plain name when both occur."""
    names = set(names)
    return sorted(n for n in names if not (n.startswith("_") and n[1:] in names))


def describe(uses, layers):
    """One line per pair of files: 'a.c [kernel arch] uses x, y of b.c [kernel vm]'."""
    by_files = collections.defaultdict(lambda: collections.defaultdict(set))
    for kind, from_file, to_file, name in uses:
        by_files[(from_file, to_file)][kind].add(name)
    lines = []
    for (from_file, to_file), kinds in sorted(by_files.items()):
        where_from, where_to = layers.place(unit_of(from_file)), layers.place(unit_of(to_file))
        a = f"{from_file} [{where_from}]" if where_from else from_file
        b = f"{to_file} [{where_to}]" if where_to else to_file
        if "includes" in kinds:
            lines.append(f"{a} includes {b}")
        if "uses" in kinds:
            lines.append(f"{a} uses {', '.join(symbol_names(kinds['uses']))} of {b}")
    return lines


def shortest_path(succ, start, goal):
    """Breadth-first: the list of units from start to goal along succ, or None."""
    before = {start: None}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = before[node]
            return path[::-1]
        for child in succ.get(node, ()):
            if child not in before:
                before[child] = node
                queue.append(child)
    return None


def circles(component, graph, layers, unit_place):
    """The circles of one strongly connected component: for every use in it that does not go
    strictly down (only such uses can close a circle), the shortest circle through that use."""
    members = set(component)
    inside = sorted((a, b) for a, b in graph.uses if a in members and b in members)
    succ = collections.defaultdict(list)
    for a, b in inside:
        succ[a].append(b)
    found, texts = set(), []
    for a, b in inside:
        pa, pb = unit_place.get(a), unit_place.get(b)
        if pa and pb and forbidden(pa, pb) is None and (pa.program, pa.level) != (
                pb.program, pb.level):
            continue  # strictly downward
        path = shortest_path(succ, b, a)
        ring = [a] + path[:-1]
        turn = ring.index(min(ring))
        ring = tuple(ring[turn:] + ring[:turn])
        if ring in found:
            continue
        found.add(ring)
        hops = []
        for i, unit in enumerate(ring):
            hops += describe(graph.uses[(unit, ring[(i + 1) % len(ring)])], layers)
        texts.append(f"circle of {len(ring)}: " + " -> ".join(ring) + " -> " + ring[0] +
                     "".join(f"\n    {h}" for h in hops))
    return texts


def check(graph, layers):
    """Returns (places, cycles, wrong_way): lists of failure texts, each naming both files."""
    places = []
    unit_place = {}
    for unit in graph.units():
        place = layers.place(unit)
        if place is None:
            files = sorted(f for f in graph.files if unit_of(f) == unit)
            places.append(f"{', '.join(files)}: no place in the layers")
        else:
            unit_place[unit] = place

    cycles = []
    for component in strongly_connected(graph.units(), graph.uses.keys()):
        if len(component) > 1:
            cycles.append(f"{len(component)} units call or include each other: "
                          f"{', '.join(component)}\n  " +
                          "\n  ".join(circles(component, graph, layers, unit_place)))

    wrong_way = []
    for (a, b), uses in sorted(graph.uses.items()):
        if a not in unit_place or b not in unit_place:
            continue
        why = forbidden(unit_place[a], unit_place[b])
        if why:
            for line in describe(uses, layers):
                wrong_way.append(f"{why}: {line}")
    return places, cycles, wrong_way


# ---------------------------------------------------------------- reading the build


def tree_path(build, path):
    """A build-relative path as a source-tree path; None for files outside the project (system
    and subproject headers). Generated files stand where the build mirrors the tree."""
    full = os.path.normpath(os.path.join(build, path))
    build = os.path.normpath(os.path.abspath(build))
    if full == build or full.startswith(build + os.sep):
        return os.path.relpath(full, build)
    rel = os.path.relpath(full, SOURCE_ROOT)
    if rel.startswith("..") or rel.startswith("subprojects" + os.sep):
        return None
    return rel


def product_libraries(build):
    """Static libraries the build defines outside tests/ (the loader's, the kernel's, ...)."""
    with open(os.path.join(build, "meson-info", "intro-targets.json")) as f:
        targets = json.load(f)
    tests = os.path.join(SOURCE_ROOT, "tests") + os.sep
    return sorted(name for t in targets if t["type"] == "static library"
                  and not os.path.abspath(t["defined_in"]).startswith(tests)
                  for name in t["filename"])


# The programs read_build runs; the meson test passes the ones meson found.
PROGRAMS = {"ninja": "ninja", "llvm-ar": "llvm-ar", "llvm-nm": "llvm-nm"}


def run(cmd, cwd):
    cmd = [PROGRAMS.get(cmd[0], cmd[0]), *cmd[1:]]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def ninja_deps(build):
    """object (build-relative) -> list of the files its compile read (build-relative)."""
    deps, current = {}, None
    for line in run(["ninja", "-C", build, "-t", "deps"], None).splitlines():
        if not line.strip():
            current = None
        elif not line.startswith(" "):
            current = line.split(":", 1)[0]
            deps[current] = []
        elif current is not None:
            deps[current].append(line.strip())
    return deps


def search_dirs(command, directory):
    """The -I folders of one compile command, in order, absolute."""
    args = shlex.split(command) if isinstance(command, str) else command
    dirs = []
    for i, a in enumerate(args):
        if a == "-I" and i + 1 < len(args):
            dirs.append(args[i + 1])
        elif a.startswith("-I"):
            dirs.append(a[2:])
    return [os.path.normpath(os.path.join(directory, d)) for d in dirs]


def read_includes(path):
    try:
        with open(path, errors="replace") as f:
            return INCLUDE_RE.findall(f.read())
    except OSError:
        return []


def add_includes(graph, build, read, dirs):
    """The direct includes among the files one compile read (absolute paths in `read`)."""
    read_set = set(read)
    for including in read:
        for quote, name in read_includes(including):
            candidates = ([os.path.dirname(including)] if quote == '"' else []) + dirs
            for folder in candidates:
                found = os.path.normpath(os.path.join(folder, name))
                if os.path.isfile(found):
                    break
            else:
                continue
            if found not in read_set:
                continue  # a directive this compile skipped (#if) or a system header
            a, b = tree_path(build, including), tree_path(build, found)
            if a and b:
                graph.add_include(a, b)


def nm_symbols(build, objects):
    """object -> (defined global symbols, undefined symbols)."""
    out = run(["llvm-nm", "-P", "-A", *objects], build)
    result = {o: (set(), set()) for o in objects}
    for line in out.splitlines():
        head, _, rest = line.rpartition(": ")
        fields = rest.split()
        if head not in result or len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind in DEFINED_TYPES:
            result[head][0].add(name)
        elif kind in UNDEFINED_TYPES:
            result[head][1].add(name)
    return result


def read_build(build, libraries=None):
    """The Graph of the product's files, from the build directory. Raises on missing facts."""
    build = os.path.abspath(build)
    libraries = libraries or product_libraries(build)
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = {os.path.normpath(os.path.join(c["directory"], c["output"])): c
                    for c in json.load(f)}
    deps = {os.path.normpath(os.path.join(build, o)): files
            for o, files in ninja_deps(build).items()}
    graph = Graph()
    for library in libraries:
        members = [os.path.normpath(os.path.join(build, m))
                   for m in run(["llvm-ar", "t", library], build).split()]
        source_of = {}
        for obj in members:
            if obj not in commands or obj not in deps:
                raise RuntimeError(f"layers: no compile command or dependency data for {obj}: "
                                   "build first (ninja -C BUILD)")
            cmd = commands[obj]
            read = [os.path.normpath(os.path.join(build, p)) for p in deps[obj]]
            source = tree_path(build, os.path.join(cmd["directory"], cmd["file"]))
            source_of[obj] = source
            graph.add_file(source)
            add_includes(graph, build, read,
                         search_dirs(cmd.get("command") or cmd.get("arguments"),
                                     cmd["directory"]))
        symbols = nm_symbols(build, members)
        definers = collections.defaultdict(set)
        for obj, (defined, _) in symbols.items():
            for name in defined:
                definers[name].add(source_of[obj])
        for obj, (_, undefined) in symbols.items():
            for name in undefined:
                for source in definers.get(name, ()):
                    graph.add_reference(source_of[obj], source, name)
    return graph


def report(graph, layers, out=sys.stdout):
    """Prints every failure; returns the three lists of check()."""
    results = check(graph, layers)
    for title, items in zip(("files without a place", "cycles", "uses against the order"),
                            results):
        print(f"{title}: {len(items)}", file=out)
        for item in items:
            print(f"  {item}", file=out)
    return results


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"),
                   help="the meson build directory, already built")
    p.add_argument("--layers", default=DEFAULT_LAYERS, help="the layer order (TOML)")
    for program in PROGRAMS:
        p.add_argument("--" + program, metavar="PATH", help=f"the {program} to run")
    args = p.parse_args(argv)
    for program in PROGRAMS:
        PROGRAMS[program] = getattr(args, program.replace("-", "_")) or PROGRAMS[program]
    return args


def main(argv=None):
    args = parse_args(argv)
    layers = Layers.load(args.layers)
    results = report(read_build(args.build), layers)
    return 1 if any(results) else 0


if __name__ == "__main__":
    sys.exit(main())
