#!/usr/bin/env python3
"""Multiboot kernels booted by Pagoda's loader in QEMU, reported as TAP.

Each case builds a disk image (tools/mkimage.py) with one of the test kernels (tests/multiboot/
kernel: Multiboot 1 or 2, ELF or flat binary with address fields), a command line and three
modules (one empty), boots it on OVMF with tools/qemu.py and reads the serial log:

  - boots (`mb*-FIRMWARE-DISK-MEMORY`): the loader names the protocol and leaves boot services;
    the test kernel relays its own checks as TAP (machine state, every field or tag, memory map
    against basic meminfo and the EFI map, the framebuffer drawn and read back) and exits QEMU
    with status 33; what it printed must be what the image holds: the command line, the loader's
    name, each module's size, FNV-1a hash and string; at 6 GiB the map must reach above 4 GiB.
  - bad kernels (`bad-*`, tests/multiboot/bad_headers.py) and bad configurations: the loader's
    message for exactly that problem, no attempt to leave boot services, control back in the
    firmware.
  - Secure Boot (`sb-*`, with --signed-bootx64 and a loader that trusts the test kernels and
    modules): a trusted Multiboot kernel boots, an untrusted one and a swapped module are
    refused with the file named.

    multiboot_test.py --list [--suite default|matrix]
    multiboot_test.py CASE --bootx64 F --bootia32 F --kernel-dir D --module-dir D [--log-dir D]
                           [--trusted-bootx64 F --signed-bootx64 F]
"""

import argparse
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
sys.path.insert(0, os.path.join(HERE, "..", "secureboot"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import bad_headers  # noqa: E402
import boot_test  # noqa: E402  (puts tools/ on sys.path too)
import mkimage  # noqa: E402
import qemu  # noqa: E402
from taplib import Tap  # noqa: E402

KERNEL_FILES = {"mb1": "mb1.elf", "mb1-aout": "mb1-aout.bin", "mb2": "mb2.elf",
                "mb2-aout": "mb2-aout.bin"}
MODULES = [("module1.txt", "first module, with a string"), ("module2.bin", ""),
           ("empty.bin", "an empty one")]
CMDLINE = "console=ttyS0 pagoda-multiboot-test a=b"
BOOT_TIMEOUT = {"x64": 150, "ia32": 240}
FAIL_TIMEOUT = {"x64": 90, "ia32": 150}
KERNEL_TAP_END = r"testk: \d+ of \d+ checks failed"


def boot_case(kernel, firmware, disk="ahci", memory="512M"):
    return {"kind": "boot", "kernel": kernel, "firmware": firmware, "disk": disk,
            "memory": memory}


def bad_case(firmware, variant=None, kernel="mb2-aout", config=(), message=None, modules=True):
    return {"kind": "bad", "firmware": firmware, "variant": variant, "kernel": kernel,
            "config": list(config), "message": message, "modules": modules}


def sb_case(kind, kernel="mb2", module_swapped=False, message=None):
    return {"kind": "sb-" + kind, "firmware": "x64", "kernel": kernel, "disk": "ahci",
            "memory": "512M", "swapped": module_swapped, "message": message}


# The default qemu suite (about 80 s of QEMU time on two cores without KVM): both kernels on both
# firmware widths, one USB, one 6 GiB, a refusal for each kind of problem (a checksum, a tag, a
# requirement the loader cannot meet, a missing module) and Secure Boot. The flat-binary
# variants, the rest of the cross product and every refusal on both widths are in the matrix.
DEFAULT = {
    "mb1-x64-ahci-512M": boot_case("mb1", "x64"),
    "mb2-x64-ahci-512M": boot_case("mb2", "x64"),
    "mb1-ia32-ahci-512M": boot_case("mb1", "ia32"),
    "mb2-ia32-ahci-512M": boot_case("mb2", "ia32"),
    "mb2-x64-usb-512M": boot_case("mb2", "x64", disk="usb"),
    "mb1-x64-ahci-6G": boot_case("mb1", "x64", memory="6G"),
    "bad-x64-mb1-bad-checksum": bad_case("x64", "mb1-bad-checksum"),
    "bad-x64-mb2-tag-past-header": bad_case("x64", "mb2-tag-past-header"),
    "bad-ia32-mb2-efi-boot-services": bad_case("ia32", "mb2-efi-boot-services"),
    "bad-x64-missing-module": bad_case("x64", kernel="mb1", modules=False,
                                       config=["module = not-there.bin"],
                                       message=r"pagoda: cannot open module \S*not-there\.bin: "
                                               r"Not Found"),
    "sb-x64-multiboot-trusted": sb_case("trusted"),
}

MATRIX = {}
for _kernel in ("mb1", "mb2", "mb1-aout", "mb2-aout"):
    for _firmware in ("x64", "ia32"):
        for _disk in ("ahci", "usb"):
            for _memory in ("512M", "6G"):
                if _kernel.endswith("-aout") and (_disk, _memory) != ("ahci", "512M"):
                    continue
                _name = f"{_kernel}-{_firmware}-{_disk}-{_memory}"
                if _name not in DEFAULT:
                    MATRIX["matrix-" + _name] = boot_case(_kernel, _firmware, _disk, _memory)
for _variant in bad_headers.VARIANTS:
    for _firmware in ("x64", "ia32"):
        _name = f"bad-{_firmware}-{_variant}"
        if _name not in DEFAULT:
            MATRIX["matrix-" + _name] = bad_case(_firmware, _variant)
MATRIX.update({
    "matrix-bad-x64-protocol-mismatch": bad_case(
        "x64", kernel="mb2-aout", config=["protocol = multiboot1"],
        message=r"protocol = multiboot1, but no Multiboot 1 header \(magic 0x1badb002\)"),
    "matrix-bad-x64-pagoda-forced": bad_case(
        "x64", kernel="mb2-aout", config=["protocol = pagoda"],
        message=r"bad magic .* not an ELF file"),
    "matrix-sb-x64-multiboot-untrusted": sb_case(
        "refused", kernel="mb1",
        message=r"pagoda: kernel \S*mb1\.elf does not match the SHA-256 built into this loader"),
    "matrix-sb-x64-module-swapped": sb_case(
        "refused", module_swapped=True,
        message=r"pagoda: module \S*module2\.bin \(SHA-256 [0-9a-f]+\) does not match any of "
                r"the \d+ module SHA-256 built into this loader"),
})
CASES = {**DEFAULT, **MATRIX}


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def make_image(workdir, case, args, kernel_bytes=None, loaders=None, config=None,
               swapped=False):
    name = KERNEL_FILES[case["kernel"]]
    kernel = os.path.join(args.kernel_dir, name)
    if kernel_bytes is not None:
        kernel = os.path.join(workdir, name)
        with open(kernel, "wb") as f:
            f.write(kernel_bytes)
    bootx64, bootia32 = loaders or (args.bootx64, args.bootia32)
    argv = ["--output", os.path.join(workdir, "disk.img"), "--bootx64", bootx64,
            "--bootia32", bootia32, "--no-kernel", "--extra", f"{kernel}:EFI/BOOT/{name}",
            "--config-line", f"kernel = {name}", "--config-line", f"cmdline = {CMDLINE}"]
    for line in config if config is not None else module_lines():
        argv += ["--config-line", line]
    for module, _ in MODULES:
        source = os.path.join(args.module_dir, module)
        if swapped and module == "module2.bin":
            source = os.path.join(workdir, module)
            with open(source, "wb") as f:
                f.write(b"not the module the loader trusts\n")
        argv += ["--extra", f"{source}:EFI/BOOT/{module}"]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return os.path.join(workdir, "disk.img")


def module_lines():
    return [f"module = {m} {s}".rstrip() for m, s in MODULES]


def check_kernel_output(tap, case, args, serial):
    """What the test kernel printed must be what the image holds."""
    version = case["kernel"][2]
    shown = (re.search(r'mb1: cmdline "(.*)"', serial) if version == "1" else
             re.search(r'mb2: tag 1 \(command line\).*\n.*"(.*)"', serial))
    tap.check(shown is not None and shown.group(1) == CMDLINE,
              f"the kernel got the command line \"{CMDLINE}\"",
              [f"it printed {shown.group(1)!r}" if shown else "no command line printed"])
    name = (re.search(r'mb1: boot_loader_name "(.*)"', serial) if version == "1" else
            re.search(r'mb2: tag 2 \(boot loader name\).*\n.*"(.*)"', serial))
    tap.check(name is not None and name.group(1).startswith(f"Pagoda loader {case['firmware']} "),
              "the kernel got the boot loader's name")
    pattern = (r"mb1: module \d+: \[0x[0-9a-f]+-0x[0-9a-f]+\) (\d+) bytes, fnv1a 0x([0-9a-f]+), "
               r'string "(.*)"' if version == "1" else
               r"mb2:   module \[0x[0-9a-f]+-0x[0-9a-f]+\) (\d+) bytes, fnv1a 0x([0-9a-f]+), "
               r'string "(.*)"')
    got = re.findall(pattern, serial)
    for i, (module, string) in enumerate(MODULES):
        with open(os.path.join(args.module_dir, module), "rb") as f:
            data = f.read()
        want = (str(len(data)), f"{fnv1a(data):08x}", string or module)
        tap.check(i < len(got) and got[i] == want,
                  f"module {i + 1} {module}: {len(data)} bytes, FNV-1a {want[1]}, "
                  f"string \"{want[2]}\"", [f"kernel printed {got[i] if i < len(got) else None}"])
    if case["memory"] == "6G":
        high = [m for m in re.finditer(r"base 0x([0-9a-f]+) length 0x([0-9a-f]+) type 1", serial)
                if int(m.group(1), 16) >= 1 << 32]
        tap.check(len(high) > 0, "the memory map has available RAM above 4 GiB",
                  boot_test.tail(serial))


def relay_kernel_tap(tap, serial):
    plan, seen = None, 0
    for line in serial.splitlines():
        if m := boot_test.KERNEL_PLAN.match(line.rstrip()):
            plan = int(m.group(1))
        elif m := boot_test.KERNEL_TAP.match(line.rstrip()):
            seen += 1
            tap.check(m.group(1) == "ok", f"kernel: {m.group(3) or 'test ' + m.group(2)}")
    tap.check(plan is not None and plan == seen and seen > 0,
              f"the test kernel's TAP is complete ({seen} results, plan {plan})")


def boot(image, case, serial_log, timeout, stop_on, extra=None):
    if extra is None:
        return boot_test.boot_image(image, case, serial_log, timeout, stop_on)
    import secureboot_test  # noqa: E402  (only the Secure Boot cases need it)
    return secureboot_test.boot(image, {**case, "secure": True}, serial_log, timeout, stop_on)


def run_boot(tap, name, case, args, workdir, serial_log, loaders=None):
    image = make_image(workdir, case, args, loaders=loaders)
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot(image, case, serial_log, timeout, [boot_test.RETURNED_TO_FIRMWARE],
                          extra=loaders)
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    boot_test.check_loader_banner(tap, serial, case["firmware"])
    version = case["kernel"][2]
    tap.check(re.search(rf"loader: protocol Multiboot {version} \(found its header\)", serial),
              f"the loader found the Multiboot {version} header", boot_test.tail(serial))
    tap.check(re.search(boot_test.HANDOFF, serial) is not None,
              "the loader left boot services and jumped", boot_test.tail(serial))
    if case["kernel"] == "mb2":
        tap.check(re.search(r"relocatable kernel linked at 0x400000, loaded at 0x[0-9a-f]+ \(the "
                            r"highest usable base\)", serial),
                  "the relocatable kernel was moved to the highest usable base")
    relay_kernel_tap(tap, serial)
    check_kernel_output(tap, case, args, serial)
    tap.check(not result.timed_out and result.exit_code == 33,
              "QEMU exit status 33 (the test kernel's checks passed)",
              [f"exit status {result.exit_code}, timed out {result.timed_out}"] +
              boot_test.tail(serial) if result.exit_code != 33 else [])


def run_refused(tap, name, case, message, serial, result):
    tap.comment(f"{name}: QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    boot_test.check_loader_banner(tap, serial, case["firmware"])
    said = re.search(message, serial)
    tap.check(said is not None, "the loader printed the specific reason",
              [] if said else [f"expected /{message}/"] + boot_test.tail(serial))
    if said:
        tap.comment("loader said: " + serial[said.start():].splitlines()[0])
    tap.check(re.search(boot_test.LOADER_GIVES_UP, serial) is not None,
              "the loader said it returns to the firmware")
    tap.check(re.search(boot_test.HANDOFF, serial) is None, "the loader did not leave boot services")
    tap.check(re.search(r"testk:", serial) is None, "the kernel never ran")
    returned = re.search(boot_test.RETURNED_TO_FIRMWARE, serial)
    tap.check(returned is not None and (said is None or returned.start() > said.start()),
              "control returned to the firmware after the message")
    tap.check(not result.timed_out, "no hang")


def run_bad(tap, name, case, args, workdir, serial_log):
    kernel_bytes, message = None, case["message"]
    if case["variant"]:
        base, _, message = bad_headers.VARIANTS[case["variant"]]
        case = {**case, "kernel": base}
        kernel_bytes = bad_headers.make(case["variant"], {
            k: os.path.join(args.kernel_dir, f) for k, f in KERNEL_FILES.items()})
    config = case["config"] + (module_lines() if case["modules"] else [])
    image = make_image(workdir, case, args, kernel_bytes, config=config)
    result, serial = boot(image, case, serial_log, FAIL_TIMEOUT[case["firmware"]],
                          [boot_test.RETURNED_TO_FIRMWARE, r"testk:"])
    run_refused(tap, name, case, message, serial, result)


def run_secure(tap, name, case, args, workdir, serial_log):
    if not (args.trusted_bootx64 and args.signed_bootx64):
        tap.skip(name, "needs the snakeoil-signed loaders (tests/secureboot)")
        return
    trusted = (args.trusted_bootx64, args.trusted_bootx64)
    if case["kind"] == "sb-trusted":
        run_boot(tap, name, case, args, workdir, serial_log, loaders=trusted)
        tap.check(re.search(r"loader: Secure Boot is on", open(serial_log, errors="replace").read()),
                  "Secure Boot was on")
        return
    loaders = trusted if case["swapped"] else (args.signed_bootx64, args.signed_bootx64)
    image = make_image(workdir, case, args, loaders=loaders, swapped=case["swapped"])
    result, serial = boot(image, case, serial_log, FAIL_TIMEOUT["x64"],
                          [boot_test.RETURNED_TO_FIRMWARE, r"testk:"], extra=loaders)
    tap.check(re.search(r"loader: Secure Boot is on", serial), "Secure Boot is on")
    run_refused(tap, name, case, case["message"], serial, result)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(CASES))
    p.add_argument("--list", action="store_true")
    p.add_argument("--suite", choices=["default", "matrix"], default="default")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel-dir")
    p.add_argument("--module-dir")
    p.add_argument("--trusted-bootx64", help="signed loader that trusts the test files")
    p.add_argument("--signed-bootx64", help="signed loader with the default trusted hashes")
    p.add_argument("--log-dir")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(DEFAULT if args.suite == "default" else MATRIX))
        return 0
    if not (args.case and args.bootx64 and args.bootia32 and args.kernel_dir and args.module_dir):
        p.error("CASE, --bootx64, --bootia32, --kernel-dir and --module-dir are required")
    case, tap = CASES[args.case], Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        serial_log = os.path.join(log_dir, f"{args.case}.serial.log")
        tap.comment(f"serial log: {serial_log}")
        runner = {"boot": run_boot, "bad": run_bad}.get(case["kind"], run_secure)
        try:
            runner(tap, args.case, case, args, workdir, serial_log)
        except (OSError, RuntimeError, bad_headers.BadHeaderError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
