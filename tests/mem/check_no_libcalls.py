#!/usr/bin/env python3
"""Compile kernel C sources for i686 (freestanding, -O0 and -O2) and fail if any object needs a
compiler-runtime helper: the kernel links no libgcc/compiler-rt, so __udivdi3 & co. would not link.

usage: check_no_libcalls.py CLANG LLVM_NM [clang flags...] -- SOURCES...
"""
import os
import re
import subprocess
import sys
import tempfile

# Symbols the kernel itself provides (lib/pg_string.c, kernel/panic.c, lib/fmt.c).
PROVIDED = {"memcpy", "memmove", "memset", "memcmp", "strlen", "strcmp", "strncmp",
            "panic", "pg_vsnprintf", "pg_snprintf", "pg_vformat"}
RUNTIME = re.compile(r"^__(u?(div|mod)[sdt]i3|u?divmod[sdt]i4|(ash|lsh)[lr]di3|muldi3|mulodi4|"
                     r"popcount[sdt]i2|clz[sdt]i2|ctz[sdt]i2|ffs[sdt]i2|.*[sd]f[23].*)$")


def main():
    sep = sys.argv.index("--")
    clang, nm = sys.argv[1], sys.argv[2]
    flags, sources = sys.argv[3:sep], sys.argv[sep + 1:]
    base = ["--target=i686-unknown-none-elf", "-ffreestanding", "-nostdlib", "-nostdlibinc",
            "-fno-builtin", "-fno-stack-protector", "-fno-pic", "-mno-sse", "-mno-mmx",
            "-mno-80387", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-c"]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for opt in ("-O0", "-O2"):
            objects = []
            for src in sources:
                obj = os.path.join(tmp, os.path.basename(src) + opt + ".o")
                subprocess.run([clang, *base, opt, *flags, src, "-o", obj], check=True)
                objects.append((src, obj))
            # Symbols defined by the checked sources themselves count as provided.
            defined = set()
            for _, obj in objects:
                out = subprocess.run([nm, "--defined-only", "-j", obj], check=True,
                                     capture_output=True, text=True).stdout.split()
                defined.update(out)
            for src, obj in objects:
                out = subprocess.run([nm, "-u", "-j", obj], check=True, capture_output=True,
                                     text=True).stdout.split()
                external = sorted(set(out) - defined)
                bad = [s for s in external if RUNTIME.match(s) or s not in PROVIDED]
                print(f"{os.path.basename(src)} {opt}: needs from the rest of the kernel {external}")
                if bad:
                    print(f"  NOT PROVIDED BY THE KERNEL: {bad}")
                    failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
