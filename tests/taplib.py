"""TAP output for the Python test scripts (meson test protocol: 'tap')."""

import sys


class Tap:
    """Numbered test points; diagnostics are printed only under a failing point."""

    def __init__(self):
        self.count = 0
        self.failures = 0

    def check(self, ok, name, diagnostics=()):
        ok = bool(ok)
        self.count += 1
        self.failures += 0 if ok else 1
        print(f"{'ok' if ok else 'not ok'} {self.count} - {name}")
        if not ok:
            lines = diagnostics.splitlines() if isinstance(diagnostics, str) else diagnostics
            for line in lines:
                self.comment(line)
        sys.stdout.flush()
        return ok

    def skip(self, name, reason):
        self.count += 1
        print(f"ok {self.count} - {name} # SKIP {reason}")
        sys.stdout.flush()

    @staticmethod
    def comment(text):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}")

    def done(self):
        print(f"1..{self.count}")
        return 1 if self.failures else 0
