#!/usr/bin/env python3
"""Write the module files the Multiboot boots load: deterministic, so that a loader built with
their SHA-256 (the Secure Boot cases) trusts exactly these bytes.

  module1.txt  a line of text
  module2.bin  10000 pseudo-random bytes (SHA-256 in counter mode)
  empty.bin    0 bytes: a module still gets an address of its own

    make_modules.py OUTPUT_DIR
"""
import hashlib
import os
import sys

MODULES = {
    "module1.txt": b"Pagoda Multiboot test module 1\n",
    "module2.bin": b"".join(hashlib.sha256(f"pagoda module 2 block {i}".encode()).digest()
                            for i in range(313))[:10000],
    "empty.bin": b"",
}


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in MODULES.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
