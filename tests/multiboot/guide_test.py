#!/usr/bin/env python3
"""docs/own-kernel.md followed as a reader would: its files and its commands, run as written.

The guide names each file of its minimal kernel ("`mykernel/entry.S`:") just before the code
block that holds it, and gives the commands in ```sh blocks. This test writes those files into
a scratch folder, runs the sh blocks of "A minimal Multiboot kernel" and "An image, and QEMU"
from a scratch copy of the repository's layout (the guide runs from the top folder, with the
build in build/), and checks what the guide says comes out: the kernel's own lines and QEMU's
exit status 33. Nothing is taken from elsewhere: a guide whose code stops compiling, whose
commands lose an option or whose quoted output drifts from the real one fails here.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GUIDE = os.path.join(ROOT, "docs", "own-kernel.md")
RUN_SECTIONS = ("## 1. ", "## 3. ")


def sections(text):
    """{heading line: body} for every '## ' section."""
    parts = re.split(r"^(## .*)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def blocks(body):
    """(the paragraph before the block, language, code) for each fenced block."""
    found = []
    for m in re.finditer(r"^```(\w*)\n(.*?)^```$", body, flags=re.M | re.S):
        paragraphs = body[:m.start()].rstrip("\n").split("\n\n")
        found.append((paragraphs[-1].strip(), m.group(1), m.group(2)))
    return found


def expected_kernel_lines(body):
    """The guide's quoted kernel output: the block after 'and then the kernel's own lines'."""
    for before, _, code in blocks(body):
        if "the kernel's own lines" in before:
            return [line for line in code.splitlines() if line and not line.startswith("QEMU")]
    return []


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", required=True, help="the build folder (the guide's build/)")
    args = p.parse_args()
    tap = Tap()
    text = open(GUIDE, encoding="utf-8").read()
    secs = sections(text)
    wanted = {h: b for h, b in secs.items() if h.startswith(RUN_SECTIONS)}
    if not tap.check(len(wanted) == len(RUN_SECTIONS), "the guide has its build and run sections",
                     sorted(secs)):
        return tap.done()

    with tempfile.TemporaryDirectory(prefix="pagoda-guide-") as top:
        # The guide's top folder: tools/ and build/ as in a clone, mykernel/ written by the test.
        os.symlink(os.path.join(ROOT, "tools"), os.path.join(top, "tools"))
        os.symlink(os.path.abspath(args.build), os.path.join(top, "build"))
        files, commands = [], []
        for heading in sorted(wanted):
            for before, lang, code in blocks(wanted[heading]):
                named = re.match(r"^`(mykernel/[\w.]+)`", before)
                if named:
                    files.append(named.group(1))
                    path = os.path.join(top, named.group(1))
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(code)
                elif lang == "sh":
                    commands.append(code)
        tap.check(sorted(files) == ["mykernel/entry.S", "mykernel/kmain.c", "mykernel/linker.ld"],
                  "the guide gives the kernel's three files", files)
        tap.check(len(commands) == 2, "the guide gives a build and a run block", commands)

        outputs = []
        for i, script in enumerate(commands):
            # The build block stops at its first failure; the run block ends in `echo "QEMU
            # exit status $?"`, so QEMU's status must not stop it.
            strict = ["-e"] if i < len(commands) - 1 else []
            r = subprocess.run(["bash"] + strict + ["-c", script], cwd=top,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=300)
            outputs.append(r.stdout)
            tap.check(r.returncode == 0, f"sh block {i + 1} runs as written",
                      [script] + r.stdout.splitlines()[-20:])

        run_output = outputs[-1] if outputs else ""
        tap.check(re.search(r"^QEMU exit status 33$", run_output, re.M),
                  "QEMU exit status 33, as the guide says", run_output.splitlines()[-20:])
        quoted = expected_kernel_lines(wanted[[h for h in wanted if h.startswith("## 3. ")][0]])
        tap.check(quoted, "the guide quotes the kernel's lines")
        missing = [line for line in quoted if line not in run_output.splitlines()]
        tap.check(quoted and not missing, "every kernel line the guide quotes is in the real output",
                  [f"missing: {line!r}" for line in missing] + run_output.splitlines()[-20:])
        loader_lines = [line for line in run_output.splitlines() if line.startswith("loader: ")]
        tap.check(any(line.startswith("loader: protocol Multiboot 1") for line in loader_lines),
                  "the loader boots it as Multiboot 1", loader_lines[:20])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
