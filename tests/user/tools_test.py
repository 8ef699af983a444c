#!/usr/bin/env python3
"""The tools around user programs, as TAP (suite 'unit').

mkramdisk.py: `tar -tvf` lists what it writes (names sorted, mode 0755, root/root,
2020-01-01), the bytes depend only on the programs (not on their files' dates or the order
given), bad names are refused with a message; the build's programs.tar holds every program and
is what the tool makes from them again.
pagoda-cc: a newcomer's hello.c becomes a program that passes the user-program checks.
mkimage.py: --programs, --program (add or replace) and --module, read back with mtools.

    tools_test.py BUILD_DIR PROGRAMS_TAR TEST_USER_PROGRAMS PROGRAM...
"""

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import mkimage  # noqa: E402
import mkramdisk  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

HELLO_C = b"""#include <user.h>

int main(int argc, char **argv)
{
    printf("hello from my own program, %s with %d arguments\\n", argv[0], argc - 1);
    return 0;
}
"""


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def tar_listing(path):
    out = run(["tar", "-tvf", path])
    return out.returncode, out.stdout.splitlines(), out.stderr


def test_mkramdisk(tap, tmp):
    a = write(os.path.join(tmp, "alpha"), b"\x7fELF alpha")
    b = write(os.path.join(tmp, "beta"), b"beta" * 300)
    c = write(os.path.join(tmp, "gamma.bin"), b"")
    first = os.path.join(tmp, "first.tar")
    rc = mkramdisk.main(["--output", first, b, a, "g=" + c])
    code, lines, err = tar_listing(first)
    names = [line.split()[-1] for line in lines]
    tap.check(rc == 0 and code == 0 and names == ["alpha", "beta", "g"],
              "tar -tvf lists the archive, names sorted, NAME=PATH renames", lines + [err])
    tap.check(all(line.startswith("-rwxr-xr-x root/root") and "2020-01-01 00:00" in line
                  for line in lines), "entries are 0755 root/root from 2020-01-01", lines)
    with tarfile.open(first) as t:
        formats = {m.name: (m.size, t.extractfile(m).read()) for m in t}
    tap.check(formats["beta"] == (1200, b"beta" * 300) and formats["g"] == (0, b""),
              "the data reads back through Python's tarfile")

    os.utime(a, (0, 0))
    os.utime(b, (1234567890, 1234567890))
    second = os.path.join(tmp, "second.tar")
    mkramdisk.main(["--output", second, a, "g=" + c, b])
    with open(first, "rb") as f1, open(second, "rb") as f2:
        same = f1.read() == f2.read()
    tap.check(same, "other file dates and another order give the same bytes")

    with open(first, "rb") as f:
        raw = f.read()
    tap.check(raw[257:265] == b"ustar\x0000", "POSIX ustar magic")

    refused = []
    for spec, what in [("a/b=" + a, "a folder"), ("x" * 32 + "=" + a, "32 characters"),
                       (".hidden=" + a, "a leading dot"), ("sp ace=" + a, "a space"),
                       ("=" + a, "an empty name")]:
        err = io.StringIO()
        stderr, sys.stderr = sys.stderr, err
        try:
            rc = mkramdisk.main(["--output", os.path.join(tmp, "bad.tar"), spec])
        finally:
            sys.stderr = stderr
        if rc != 1 or "mkramdisk:" not in err.getvalue():
            refused.append(f"{what}: rc {rc}, {err.getvalue()!r}")
    tap.check(not refused, "names with a folder, over 31 characters, a leading dot, a space or "
              "empty are refused with a message", refused)
    tap.check(mkramdisk.main(["--output", os.path.join(tmp, "dup.tar"), a, "alpha=" + b]) == 1,
              "the same name twice is refused")
    tap.check(mkramdisk.header_define("PAGODA_PROGRAM_NAME_LEN") == 32,
              "the name limit comes from include/pagoda/syscall.h")

    third = os.path.join(tmp, "third.tar")
    new_beta = write(os.path.join(tmp, "beta2"), b"new beta")
    mkramdisk.main(["--output", third, "--base", first, "beta=" + new_beta,
                    "delta=" + new_beta])
    entries = mkramdisk.read_archive(open(third, "rb").read())
    tap.check(sorted(entries) == ["alpha", "beta", "delta", "g"] and
              entries["beta"] == b"new beta", "--base keeps an archive's programs, replaces and adds")


def test_programs_tar(tap, tmp, programs_tar, programs):
    code, lines, err = tar_listing(programs_tar)
    listed = sorted(line.split()[-1] for line in lines)
    expected = sorted(os.path.basename(p) for p in programs)
    tap.check(code == 0 and listed == expected,
              f"tar -tvf build/user/programs.tar lists the {len(expected)} programs",
              lines + [err])
    again = os.path.join(tmp, "again.tar")
    mkramdisk.main(["--output", again, *reversed(programs)])
    with open(programs_tar, "rb") as f1, open(again, "rb") as f2:
        tap.check(f1.read() == f2.read(), "programs.tar is reproducible from the programs")


def test_pagoda_cc(tap, tmp, build_dir, checker):
    work = os.path.join(tmp, "newcomer")
    os.makedirs(work)
    write(os.path.join(work, "hello.c"), HELLO_C)
    env = dict(os.environ, PAGODA_BUILD_DIR=build_dir)
    out = run([os.path.join(TOOLS, "pagoda-cc"), "hello.c", "-o", "hello"], cwd=work, env=env)
    program = os.path.join(work, "hello")
    tap.check(out.returncode == 0 and os.path.isfile(program),
              "tools/pagoda-cc hello.c -o hello builds a program", [out.stdout, out.stderr])
    check = run([checker, program])
    tap.check(check.returncode == 0, "the newcomer's program passes the ELF check and user rules",
              check.stdout.splitlines())
    out = run([os.path.join(TOOLS, "pagoda-cc"), "hello.c"], cwd=work,
              env=dict(os.environ, PAGODA_BUILD_DIR=os.path.join(tmp, "nowhere")))
    tap.check(out.returncode == 1 and "tools/pagoda build" in out.stderr,
              "without a build, pagoda-cc says to run tools/pagoda build", [out.stderr])
    broken = write(os.path.join(work, "broken.c"), b"int main(void) { return x; }\n")
    out = run([os.path.join(TOOLS, "pagoda-cc"), broken], cwd=work, env=env)
    tap.check(out.returncode == 1 and "compilation failed" in out.stderr and "error" in out.stderr,
              "a compile error is shown and the status is 1", [out.stderr])
    return program


def mtools_read(image, path):
    out = subprocess.run(["mtype", "-i", image + "@@1M", "::" + path], capture_output=True)
    return out.stdout if out.returncode == 0 else None


def test_mkimage(tap, tmp, programs_tar, newcomer):
    blob = write(os.path.join(tmp, "blob"), b"not really a loader or kernel\n")
    image = os.path.join(tmp, "my.img")
    module = write(os.path.join(tmp, "notes.txt"), b"a module\n")
    base_args = ["--output", image, "--bootx64", blob, "--bootia32", blob, "--kernel", blob,
                 "--programs", programs_tar]
    if shutil.which("mtype") is None:
        for name in ("--programs", "--program", "--module"):
            tap.skip(f"mkimage {name}", "mtools not installed")
        return
    rc = mkimage.main(base_args + ["--program", newcomer, "--program", "mine=" + newcomer,
                                   "--config-line", "cmdline = init=mine"])
    stored = mtools_read(image, "/EFI/BOOT/programs.tar")
    entries = mkramdisk.read_archive(stored) if stored else {}
    with open(newcomer, "rb") as f:
        mine = f.read()
    originals = mkramdisk.read_archive(open(programs_tar, "rb").read())
    tap.check(rc == 0 and entries.get("mine") == mine and entries.get("hello") == mine and
              set(entries) == set(originals) | {"mine"},
              "--program adds 'mine' and replaces 'hello' in EFI/BOOT/programs.tar")
    cfg = mtools_read(image, "/EFI/BOOT/pagoda.cfg") or b""
    tap.check(cfg == b"cmdline = init=mine\n", "pagoda.cfg is the lines given, no module line",
              [repr(cfg)])
    rc = mkimage.main(base_args + ["--module", module, "--config-line", "cmdline = mode=boot"])
    cfg = mtools_read(image, "/EFI/BOOT/pagoda.cfg") or b""
    tap.check(rc == 0 and mtools_read(image, "/EFI/BOOT/notes.txt") == b"a module\n" and
              cfg == b"cmdline = mode=boot\nmodule = programs.tar\nmodule = notes.txt\n",
              "--module stores the file and lists it after programs.tar", [repr(cfg)])
    err = io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        rc = mkimage.main(base_args + ["--program", "a/b=" + newcomer])
    finally:
        sys.stderr = stderr
    tap.check(rc == 1 and "program name" in err.getvalue(),
              "a bad --program name stops mkimage with the reason", [err.getvalue()])


def main():
    build_dir, programs_tar, checker, programs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        test_mkramdisk(tap, tmp)
        test_programs_tar(tap, tmp, programs_tar, programs)
        newcomer = test_pagoda_cc(tap, tmp, build_dir, checker)
        test_mkimage(tap, tmp, programs_tar, newcomer)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
