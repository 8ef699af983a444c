#!/usr/bin/env python3
"""Make user/user.ld from user/user.ld.in: the C preprocessor puts in the addresses of
include/pagoda/user_layout.h, then the integer suffixes C needs (0xC0000000u) are dropped,
since the linker's expressions have none.

usage: ldscript.py CLANG INPUT OUTPUT [-I DIR]...
"""
import re
import subprocess
import sys

SUFFIX = re.compile(r"\b(0[xX][0-9A-Fa-f]+|[0-9]+)[uUlL]+\b")


def main():
    clang, source, output, includes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    # -undef: no predefined macros, so words like "linux" or "i386" stay as they are.
    result = subprocess.run([clang, "-E", "-P", "-undef", "-x", "assembler-with-cpp",
                             "-D__ASSEMBLER__", *includes, source],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        return 1
    text = SUFFIX.sub(r"\1", result.stdout)
    with open(output, "w") as f:
        f.write("/* Generated from user/user.ld.in by user/ldscript.py: edit that file. */\n")
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
