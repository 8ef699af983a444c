#!/usr/bin/env python3
"""Fails if an archive needs symbols outside its own objects and an allowed list.

usage: check_undefined.py LLVM_NM ARCHIVE ALLOWED_SYMBOL...
The i686 kernel has no libgcc: a stray 64-bit division (__udivdi3, __umoddi3, ...) or an
__atomic_* libcall would only show up at link time, so catch it here.
"""
import subprocess
import sys

nm, archive, allowed = sys.argv[1], sys.argv[2], set(sys.argv[3:])
out = subprocess.run([nm, '--format=just-symbols', '-u', archive], check=True,
                     capture_output=True, text=True).stdout
defined = subprocess.run([nm, '--format=just-symbols', '--defined-only', archive], check=True,
                         capture_output=True, text=True).stdout
needed = {s for s in out.split() if s and not s.endswith(':')} - set(defined.split())
bad = sorted(needed - allowed)
print('undefined:', ' '.join(sorted(needed)) or '(none)')
if bad:
    print('NOT allowed in the freestanding i686 kernel:', ' '.join(bad))
    sys.exit(1)
print('ok: only', ' '.join(sorted(needed & allowed)) or 'nothing', 'needed')
