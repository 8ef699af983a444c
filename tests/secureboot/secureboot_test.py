#!/usr/bin/env python3
"""Secure Boot end to end on OVMF with Debian's snakeoil keys enrolled, reported as TAP.

The firmware is OVMF_CODE_4M.snakeoil.fd (the Secure Boot build) with OVMF_VARS_4M.snakeoil.fd,
whose PK, KEK and db hold /usr/share/ovmf/PkKek-1-snakeoil.pem; Secure Boot needs SMM and an
SMM-only flash, so QEMU gets `-machine smm=on -global driver=cfi.pflash01,property=secure,value=on`
on top of tools/qemu.py's usual command. Images are made by tools/mkimage.py, QEMU is run by
tools/qemu.py, and the TAP helpers come from tests/qemu/boot_test.py.

  sb-ARCH-signed-boots            loaders signed with the snakeoil key: the firmware starts the
                                 loader, the loader sees Secure Boot on, the kernel matches the
                                 built-in SHA-256, kernel self-tests pass (QEMU exit 33)
  sb-ARCH-unsigned-refused        lld-link's unsigned loader: the firmware refuses to load it
                                 ("BdsDxe: failed to load Boot.... ...: Access Denied")
  sb-ARCH-tampered-kernel-refused signed loader, kernel with one byte of a string changed (still
                                 a valid ELF): the loader names both hashes and returns
                                 EFI_SECURITY_VIOLATION before the ELF parser sees the file
  sb-ARCH-off-tampered-warns      firmware without keys (Secure Boot off): the same tampered
                                 kernel is only a warning and the kernel runs its self-tests

  sb-x64-programs-trusted         signed loader, the build's programs.tar: the loader finds its
                                 SHA-256 among the trusted modules and usertests' TAP runs from it
  sb-x64-programs-swapped-refused the same archive with one byte of a program changed (still a
                                 valid archive): the loader names its hash, refuses it and
                                 returns to the firmware; the kernel never starts

  sb-x64-own-key                  the whole user path with a fresh key: tools/make-secure-boot-key,
                                 enrolment of its db/KEK/PK .auth files into OVMF in Setup Mode
                                 (enroll_keys.c, through SetVariable, as KeyTool does), then on
                                 the same variable store: the loader signed with the new db key
                                 boots with Secure Boot on, the snakeoil-signed one is refused

ARCH is x64 or ia32. Debian ships snakeoil variables only for x64 OVMF, but the variable store
format does not depend on the CPU, so the IA32 Secure Boot firmware (OVMF32_CODE_4M.secboot.fd)
boots with OVMF_VARS_4M.snakeoil.fd too. Without keys, x64 uses the Secure Boot code with
OVMF_VARS_4M.fd (Setup Mode) and IA32 its usual OVMF32_VARS_4M.fd.

    secureboot_test.py --list
    secureboot_test.py CASE --signed-bootx64 F --signed-bootia32 F --unsigned-bootx64 F
                       --unsigned-bootia32 F --kernel F --cert PEM [--log-dir DIR]
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import boot_test  # noqa: E402  (puts tools/ on sys.path too)
import mkimage  # noqa: E402
import qemu  # noqa: E402

OVMF = "/usr/share/OVMF/"
SNAKEOIL_VARS = OVMF + "OVMF_VARS_4M.snakeoil.fd"
# (code, vars, extra QEMU arguments) per firmware width, with and without keys enrolled.
# qemu.py already gives IA32 the SMM machine and secure flash its only OVMF build needs.
SECURE_FLASH = ["-machine", "smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on"]
FIRMWARE = {
    ("x64", True): (OVMF + "OVMF_CODE_4M.snakeoil.fd", SNAKEOIL_VARS, SECURE_FLASH),
    ("x64", False): (OVMF + "OVMF_CODE_4M.secboot.fd", OVMF + "OVMF_VARS_4M.fd", SECURE_FLASH),
    ("ia32", True): (OVMF + "OVMF32_CODE_4M.secboot.fd", SNAKEOIL_VARS, []),
    ("ia32", False): (OVMF + "OVMF32_CODE_4M.secboot.fd", OVMF + "OVMF32_VARS_4M.fd", []),
}

BOOT_TIMEOUT = {"x64": 150, "ia32": 240}
FAIL_TIMEOUT = 90

# OVMF's BdsDxe when LoadImage() fails the signature check (EFI_ACCESS_DENIED from
# DxeImageVerificationLib); "failed to start" is what it says when a started image returns.
FIRMWARE_REFUSED = r"BdsDxe: failed to load Boot\d+ [^\n]*: Access Denied"
LOADER_BANNER = r"Pagoda loader (x64|ia32)"
SB_ON = r"loader: Secure Boot is on \(SecureBoot=1, SetupMode=0"
SB_OFF = r"loader: Secure Boot is off \(SecureBoot=0"
HASH_MATCH = re.compile(r"loader: kernel SHA-256 ([0-9a-f]{64}) matches the one built into this loader")
KERNEL_OPENED = r"loader: kernel ok:"  # printed only after elf_check accepted the file
TAMPER_FROM, TAMPER_TO = b"Pagoda kernel (", b"pagoda kernel ("  # the kernel's banner string

KINDS = {  # case kind -> whether the snakeoil keys are enrolled
    "signed-boots": True,
    "unsigned-refused": True,
    "tampered-kernel-refused": True,
    "off-tampered-warns": False,
}
CASES = {f"sb-{arch}-{kind}": {"firmware": arch, "secure": secure, "kind": kind}
         for arch in ("x64", "ia32") for kind, secure in KINDS.items()}
CASES["sb-x64-own-key"] = {"firmware": "x64", "secure": False, "kind": "own-key"}
CASES["sb-x64-programs-trusted"] = {"firmware": "x64", "secure": True, "kind": "programs-trusted"}
CASES["sb-x64-programs-swapped-refused"] = {"firmware": "x64", "secure": True,
                                            "kind": "programs-swapped"}
PROGRAMS_PATH = "\\EFI\\BOOT\\programs.tar"
USERTESTS_CASE = "null_read"  # one quick usertests case, enough to show programs ran
AUTH_FILES = ("db.auth", "KEK.auth", "PK.auth")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tamper_kernel(kernel, output):
    """Changes one byte of a string inside a PT_LOAD segment; the ELF headers stay intact."""
    with open(kernel, "rb") as f:
        data = bytearray(f.read())
    at = data.find(TAMPER_FROM)
    if at < 0:
        raise RuntimeError(f"string {TAMPER_FROM!r} not found in {kernel}")
    data[at] = TAMPER_TO[0]
    with open(output, "wb") as f:
        f.write(data)
    return at


def make_image(workdir, bootx64, bootia32, kernel, name="disk.img", programs=None,
               cmdline="mode=test"):
    image = os.path.join(workdir, name)
    argv = ["--output", image, "--bootx64", bootx64, "--bootia32", bootia32, "--kernel", kernel,
            "--config-line", f"cmdline = {cmdline}"]
    if programs:
        argv += ["--programs", programs]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return image


def boot(image, case, serial_log, timeout, stop_on, vars_file=None):
    argv = [image, "--firmware", case["firmware"], "--display", "none",
            "--serial-log", serial_log, "--timeout", str(timeout)]
    if vars_file:  # one variable store kept across the boots of a case
        argv += ["--vars-file", vars_file]
    code, variables, extra = FIRMWARE[(case["firmware"], case["secure"])]
    argv += ["--firmware-code", code, "--firmware-vars", variables]
    for pattern in stop_on:
        argv += ["--stop-on", pattern]
    if extra:
        argv += ["--"] + extra
    result = qemu.run(qemu.parse_args(argv))
    with open(serial_log, "rb") as f:
        return result, boot_test.clean_serial(f.read())


def sbverify(path, cert):
    """True when sbverify accepts path's signature against cert."""
    done = subprocess.run(["sbverify", "--cert", cert, path], capture_output=True, text=True)
    return done.returncode == 0


def check_kernel_ran(tap, result, serial, timeout):
    plan, seen, _ = boot_test.relay_kernel_tap(tap, serial)
    tap.check(plan is not None and plan == seen and seen > 0,
              f"kernel TAP complete ({seen} results, plan {plan})")
    tap.check(not result.timed_out, f"finished before the {timeout} s timeout")
    tap.check(result.exit_code == 33, "QEMU exit status 33 (kernel self-tests passed)",
              [f"exit status {result.exit_code}"] + boot_test.tail(serial)
              if result.exit_code != 33 else [])


def loader_under_test(case, args, signed):
    """The loader file the firmware of this case will start."""
    if case["firmware"] == "x64":
        return args.signed_bootx64 if signed else args.unsigned_bootx64
    return args.signed_bootia32 if signed else args.unsigned_bootia32


def case_signed_boots(tap, case, args, workdir, serial_log):
    tap.check(sbverify(loader_under_test(case, args, True), args.cert),
              "sbverify: the signed loader verifies against the snakeoil certificate")
    image = make_image(workdir, args.signed_bootx64, args.signed_bootia32, args.kernel)
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot(image, case, serial_log, timeout, [boot_test.RETURNED_TO_FIRMWARE])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    tap.check(re.search(rf"Pagoda loader {case['firmware']}\b", serial) is not None,
              "the firmware started the signed loader", boot_test.tail(serial))
    tap.check(re.search(SB_ON, serial) is not None, "loader reports Secure Boot on",
              boot_test.tail(serial))
    match = HASH_MATCH.search(serial)
    expected = sha256_file(args.kernel)
    tap.check(match is not None and match.group(1) == expected,
              "loader's built-in SHA-256 is the kernel file's",
              [f"kernel file {expected}", f"loader said {match.group(1) if match else None}"])
    check_kernel_ran(tap, result, serial, timeout)


def case_unsigned_refused(tap, case, args, workdir, serial_log):
    tap.check(not sbverify(loader_under_test(case, args, False), args.cert),
              "sbverify: lld-link's loader carries no valid signature")
    image = make_image(workdir, args.unsigned_bootx64, args.unsigned_bootia32, args.kernel)
    result, serial = boot(image, case, serial_log, FAIL_TIMEOUT,
                          [FIRMWARE_REFUSED, LOADER_BANNER])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    refused = re.search(FIRMWARE_REFUSED, serial)
    tap.check(refused is not None, "firmware refused the unsigned loader (Access Denied)",
              boot_test.tail(serial))
    if refused:
        tap.comment("firmware said: " + refused.group(0))
    tap.check(re.search(LOADER_BANNER, serial) is None, "the loader never ran")
    tap.check(not result.timed_out, "no timeout")


def case_tampered_refused(tap, case, args, workdir, serial_log):
    kernel = os.path.join(workdir, "pagoda.elf")
    offset = tamper_kernel(args.kernel, kernel)
    good, bad = sha256_file(args.kernel), sha256_file(kernel)
    tap.comment(f"changed byte at file offset 0x{offset:x}: {good} -> {bad}")
    image = make_image(workdir, args.signed_bootx64, args.signed_bootia32, kernel)
    result, serial = boot(image, case, serial_log, FAIL_TIMEOUT,
                          [boot_test.RETURNED_TO_FIRMWARE, r"\n1\.\.\d+\n"])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    tap.check(re.search(SB_ON, serial) is not None, "loader reports Secure Boot on",
              boot_test.tail(serial))
    message = (f"pagoda: kernel \\EFI\\BOOT\\pagoda.elf does not match the SHA-256 built into this "
               f"loader (expected {good}, got {bad}); refusing to boot with Secure Boot on")
    tap.check(message in serial, "loader refused the kernel, naming both hashes",
              ["expected: " + message] + boot_test.tail(serial))
    tap.check("pagoda: checking the kernel's SHA-256 failed (Security Violation), returning to "
              "the firmware" in serial, "loader returned EFI_SECURITY_VIOLATION")
    tap.check(re.search(KERNEL_OPENED, serial) is None, "the ELF parser never saw the file")
    tap.check(re.search(boot_test.HANDOFF, serial) is None, "loader did not leave boot services")
    returned = re.search(boot_test.RETURNED_TO_FIRMWARE, serial)
    tap.check(returned is not None, "control returned to the firmware", boot_test.tail(serial))
    if returned:
        tap.comment("firmware said: " + returned.group(0).strip())
    tap.check(not result.timed_out and result.exit_code is None, "no hang and no kernel exit")


def case_off_tampered_warns(tap, case, args, workdir, serial_log):
    kernel = os.path.join(workdir, "pagoda.elf")
    tamper_kernel(args.kernel, kernel)
    good, bad = sha256_file(args.kernel), sha256_file(kernel)
    image = make_image(workdir, args.unsigned_bootx64, args.unsigned_bootia32, kernel)
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot(image, case, serial_log, timeout, [boot_test.RETURNED_TO_FIRMWARE])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    tap.check(re.search(SB_OFF, serial) is not None, "loader reports Secure Boot off",
              boot_test.tail(serial))
    warning = (f"loader: warning: kernel \\EFI\\BOOT\\pagoda.elf does not match the SHA-256 built "
               f"into this loader (expected {good}, got {bad}); booting it anyway because Secure "
               f"Boot is off")
    tap.check(warning in serial, "mismatch is a warning naming both hashes",
              ["expected: " + warning] + boot_test.tail(serial))
    check_kernel_ran(tap, result, serial, timeout)


def swap_program_byte(programs, output):
    """Changes one byte inside the first member's data; every ustar header stays valid."""
    with open(programs, "rb") as f:
        data = bytearray(f.read())
    size = int(data[124:136].rstrip(b"\0 ") or b"0", 8)  # the first header's octal size
    if size == 0:
        raise RuntimeError(f"{programs}: the first member is empty")
    at = 512 + size // 2
    data[at] ^= 0x01
    with open(output, "wb") as f:
        f.write(data)
    return data[0:100].split(b"\0")[0].decode(), at


def case_programs_trusted(tap, case, args, workdir, serial_log):
    image = make_image(workdir, args.signed_bootx64, args.signed_bootia32, args.kernel,
                       programs=args.programs, cmdline=f"mode=test init=usertests {USERTESTS_CASE}")
    timeout = BOOT_TIMEOUT[case["firmware"]]
    result, serial = boot(image, case, serial_log, timeout, [boot_test.RETURNED_TO_FIRMWARE])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, exit status {result.exit_code}")
    tap.check(re.search(SB_ON, serial) is not None, "loader reports Secure Boot on",
              boot_test.tail(serial))
    trusted = rf"loader: module 1: {re.escape(PROGRAMS_PATH)} \(\d+ bytes\) at 0x[0-9a-f]+, " \
              rf"SHA-256 {sha256_file(args.programs)[:8]}\.\.\. \(trusted by this loader\)"
    tap.check(re.search(trusted, serial) is not None,
              "the build's programs.tar is one of the modules the signed loader trusts",
              boot_test.tail(serial))
    tap.check(re.search(rf"ok \d+ - {USERTESTS_CASE}\b", serial) is not None and
              "pagoda: init exited with status 0" in serial,
              "a program from it ran: usertests passed its case", boot_test.tail(serial))
    tap.check(result.exit_code == 33, "QEMU exit status 33", boot_test.tail(serial))


def case_programs_swapped(tap, case, args, workdir, serial_log):
    programs = os.path.join(workdir, "programs.tar")
    member, offset = swap_program_byte(args.programs, programs)
    good, bad = sha256_file(args.programs), sha256_file(programs)
    tap.comment(f"changed a byte of {member} at archive offset 0x{offset:x}: {good} -> {bad}")
    image = make_image(workdir, args.signed_bootx64, args.signed_bootia32, args.kernel,
                       programs=programs, cmdline="mode=test init=usertests")
    result, serial = boot(image, case, serial_log, FAIL_TIMEOUT,
                          [boot_test.RETURNED_TO_FIRMWARE, r"\n1\.\.\d+\n"])
    tap.comment(f"QEMU ran {result.seconds:.1f} s, stopped on {result.stopped_on!r}")
    tap.check(re.search(SB_ON, serial) is not None, "loader reports Secure Boot on",
              boot_test.tail(serial))
    message = re.compile(rf"pagoda: module {re.escape(PROGRAMS_PATH)} \(SHA-256 {bad}\) does not "
                         r"match any of the \d+ module SHA-256 built into this loader; refusing "
                         r"to boot with Secure Boot on")
    tap.check(message.search(serial) is not None, "loader refused the swapped archive, naming its "
              "hash", boot_test.tail(serial))
    tap.check("pagoda: loading the modules failed (Security Violation), returning to the firmware"
              in serial, "loader returned EFI_SECURITY_VIOLATION", boot_test.tail(serial))
    tap.check(re.search(boot_test.HANDOFF, serial) is None, "loader did not leave boot services")
    tap.check(re.search(boot_test.RETURNED_TO_FIRMWARE, serial) is not None,
              "control returned to the firmware", boot_test.tail(serial))
    tap.check(not result.timed_out and result.exit_code is None, "no hang and no kernel exit")


def make_own_keys(tap, args, workdir):
    """Runs the key tool and signs both loaders with the new db key; returns (x64, ia32)."""
    keys = os.path.join(workdir, "keys")
    made = subprocess.run(["bash", args.key_tool, "--name", "Pagoda test", "--days", "30", keys],
                          capture_output=True, text=True)
    have_auth = all(os.path.exists(os.path.join(keys, n)) for n in AUTH_FILES)
    tap.check(made.returncode == 0 and have_auth,
              "make-secure-boot-key made a key set with signed updates (.auth)", [made.stderr])
    if not have_auth:
        raise RuntimeError("no .auth files: is efitools (sign-efi-sig-list) installed?")
    signed = []
    for arch, unsigned in (("x64", args.unsigned_bootx64), ("ia32", args.unsigned_bootia32)):
        out = os.path.join(workdir, f"own-{arch}.efi")
        subprocess.run(["sbsign", "--key", os.path.join(keys, "db.key"), "--cert",
                        os.path.join(keys, "db.crt"), "--output", out, unsigned],
                       capture_output=True, check=True)
        signed.append(out)
    tap.check(sbverify(signed[0], os.path.join(keys, "db.crt")),
              "loader signed with the new db key verifies against db.crt")
    return keys, signed


def case_own_key(tap, case, args, workdir, serial_log):
    keys, (own_x64, own_ia32) = make_own_keys(tap, args, workdir)
    vars_file = os.path.join(workdir, "vars.fd")
    log_base = serial_log[:-len(".serial.log")]

    # Boot 1: Setup Mode, the enrolment application writes db, KEK and PK, then resets.
    argv = ["--output", os.path.join(workdir, "enroll.img"), "--bootx64", args.enroll_efi,
            "--no-kernel", "--no-config"]
    for name in AUTH_FILES:
        argv += ["--extra", f"{os.path.join(keys, name)}:EFI/BOOT/{name}"]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    result, serial = boot(os.path.join(workdir, "enroll.img"), case, log_base + ".1.serial.log",
                          FAIL_TIMEOUT, [r"enroll: SetupMode=\d+ after"], vars_file)
    tap.comment(f"boot 1 (enrol): QEMU ran {result.seconds:.1f} s")
    for name in ("db", "KEK", "PK"):
        tap.check(f"enroll: {name}: Success" in serial, f"firmware accepted {name}.auth",
                  boot_test.tail(serial, 12))
    tap.check("enroll: SetupMode=1 before" in serial and "enroll: SetupMode=0 after" in serial,
              "Setup Mode before, User Mode after enrolling PK")

    # Boot 2: the same variables; the loader signed with the new db key boots with Secure Boot on.
    image = make_image(workdir, own_x64, own_ia32, args.kernel, "own.img")
    timeout = BOOT_TIMEOUT["x64"]
    result, serial = boot(image, case, log_base + ".2.serial.log", timeout,
                          [boot_test.RETURNED_TO_FIRMWARE, FIRMWARE_REFUSED], vars_file)
    tap.comment(f"boot 2 (own key): QEMU ran {result.seconds:.1f} s, exit {result.exit_code}")
    tap.check(re.search(SB_ON, serial) is not None,
              "loader signed with the new key started, Secure Boot on", boot_test.tail(serial))
    check_kernel_ran(tap, result, serial, timeout)

    # Boot 3: the snakeoil-signed loader is not trusted by this machine.
    image = make_image(workdir, args.signed_bootx64, args.signed_bootia32, args.kernel, "oil.img")
    result, serial = boot(image, case, log_base + ".3.serial.log",
                          FAIL_TIMEOUT, [FIRMWARE_REFUSED, LOADER_BANNER], vars_file)
    tap.check(re.search(FIRMWARE_REFUSED, serial) is not None and
              re.search(LOADER_BANNER, serial) is None,
              "a loader signed with another key (snakeoil) is refused", boot_test.tail(serial))


RUNNERS = {
    "own-key": case_own_key,
    "signed-boots": case_signed_boots,
    "unsigned-refused": case_unsigned_refused,
    "tampered-kernel-refused": case_tampered_refused,
    "off-tampered-warns": case_off_tampered_warns,
    "programs-trusted": case_programs_trusted,
    "programs-swapped": case_programs_swapped,
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(CASES))
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    for name in ("signed-bootx64", "signed-bootia32", "unsigned-bootx64", "unsigned-bootia32",
                 "kernel", "cert", "programs"):
        p.add_argument("--" + name)
    p.add_argument("--enroll-efi", help="enroll_keys.c built as an x64 EFI application")
    p.add_argument("--key-tool", help="tools/make-secure-boot-key")
    p.add_argument("--log-dir", help="keep the serial log here as CASE.serial.log")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(CASES))
        return 0
    needed = (args.signed_bootx64, args.signed_bootia32, args.unsigned_bootx64,
              args.unsigned_bootia32, args.kernel, args.cert) + \
        ((args.programs,) if args.case and "programs" in args.case else ())
    if not args.case or not all(needed):
        p.error("CASE and every file option are required")
    tap = boot_test.Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        serial_log = os.path.join(log_dir, f"{args.case}.serial.log")
        if args.log_dir:
            tap.comment(f"serial log: {serial_log}")
        try:
            case = CASES[args.case]
            RUNNERS[case["kind"]](tap, case, args, workdir, serial_log)
        except (OSError, RuntimeError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
