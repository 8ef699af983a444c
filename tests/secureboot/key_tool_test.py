#!/usr/bin/env python3
"""tools/make-secure-boot-key on the host, reported as TAP.

Makes a key set in a temporary directory and checks what a user relies on: every file is there,
private keys are 0600, each .esl is a well-formed EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1)
carrying exactly the DER certificate and the recorded owner GUID, the db key signs a loader that
sbverify accepts with db.crt (and rejects with PK.crt), .auth files appear when efitools is
installed, and existing keys are not overwritten without --force.

    key_tool_test.py --tool tools/make-secure-boot-key --loader BOOTX64.EFI
"""

import argparse
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import uuid
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

EFI_CERT_X509_GUID = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
ESL_HEADER_SIZE = 28
ROLES = ("PK", "KEK", "db")


def run(argv, text=True, **kw):
    return subprocess.run(argv, capture_output=True, text=text, **kw)


def parse_esl(data):
    """Returns (type GUID, owner GUID, signature data) or raises ValueError."""
    if len(data) < ESL_HEADER_SIZE + 16:
        raise ValueError(f"{len(data)} bytes is too short")
    sig_type = uuid.UUID(bytes_le=data[:16])
    list_size, header_size, sig_size = struct.unpack_from("<III", data, 16)
    if list_size != len(data):
        raise ValueError(f"SignatureListSize {list_size} but the file has {len(data)} bytes")
    if header_size != 0 or ESL_HEADER_SIZE + sig_size != list_size:
        raise ValueError(f"header size {header_size}, signature size {sig_size}")
    owner = uuid.UUID(bytes_le=data[ESL_HEADER_SIZE:ESL_HEADER_SIZE + 16])
    return sig_type, owner, data[ESL_HEADER_SIZE + 16:]


def check_role(tap, keys, role, owner):
    key = os.path.join(keys, role + ".key")
    mode = stat.S_IMODE(os.stat(key).st_mode) if os.path.exists(key) else None
    tap.check(mode == 0o600, f"{role}.key exists and is mode 0600", [f"mode {mode and oct(mode)}"])
    with open(os.path.join(keys, role + ".cer"), "rb") as f:
        der = f.read()
    pem_to_der = run(["openssl", "x509", "-in", os.path.join(keys, role + ".crt"), "-outform",
                      "DER"], stdin=subprocess.DEVNULL, text=False)
    tap.check(pem_to_der.returncode == 0 and pem_to_der.stdout == der,
              f"{role}.cer is {role}.crt in DER")
    subject = run(["openssl", "x509", "-in", os.path.join(keys, role + ".crt"), "-noout",
                   "-subject"]).stdout
    tap.check(f"Test Machine {role}" in subject, f"{role}.crt subject names the role",
              [subject.strip()])
    with open(os.path.join(keys, role + ".esl"), "rb") as f:
        esl = f.read()
    try:
        sig_type, esl_owner, data = parse_esl(esl)
        problem = None
    except ValueError as e:
        sig_type = esl_owner = data = None
        problem = str(e)
    tap.check(problem is None and sig_type == EFI_CERT_X509_GUID and esl_owner == owner and
              data == der, f"{role}.esl: one X.509 entry, owner {owner}, the DER certificate",
              [f"problem {problem}, type {sig_type}, owner {esl_owner}"])
    if shutil.which("cert-to-efi-sig-list"):
        with tempfile.NamedTemporaryFile(suffix=".esl") as ref:
            made = run(["cert-to-efi-sig-list", "-g", str(owner),
                        os.path.join(keys, role + ".crt"), ref.name])
            tap.check(made.returncode == 0 and open(ref.name, "rb").read() == esl,
                      f"{role}.esl is byte-identical to efitools' cert-to-efi-sig-list output")


def check_signing(tap, keys, loader, workdir):
    signed = os.path.join(workdir, "BOOTX64.EFI")
    done = run(["sbsign", "--key", os.path.join(keys, "db.key"), "--cert",
                os.path.join(keys, "db.crt"), "--output", signed, loader])
    tap.check(done.returncode == 0, "sbsign signs the loader with db.key", [done.stderr])
    good = run(["sbverify", "--cert", os.path.join(keys, "db.crt"), signed])
    tap.check(good.returncode == 0, "sbverify accepts it against db.crt", [good.stderr])
    wrong = run(["sbverify", "--cert", os.path.join(keys, "PK.crt"), signed])
    tap.check(wrong.returncode != 0, "sbverify rejects it against PK.crt (a different key)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tool", required=True)
    p.add_argument("--loader", required=True, help="an unsigned BOOTX64.EFI")
    args = p.parse_args(argv)
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="pagoda-keys-") as workdir:
        keys = os.path.join(workdir, "keys")
        made = run(["bash", args.tool, "--name", "Test Machine", "--days", "30", keys])
        tap.check(made.returncode == 0, "make-secure-boot-key succeeds", [made.stderr])
        tap.check("efi-updatevar" in made.stdout and "-Dsign_key=" + keys + "/db.key" in made.stdout,
                  "it prints how to build signed and how to enrol", [made.stdout[-400:]])
        with open(os.path.join(keys, "owner.guid")) as f:
            owner = uuid.UUID(f.read().strip())
        for role in ROLES:
            check_role(tap, keys, role, owner)
        if shutil.which("sign-efi-sig-list"):
            auth = [n for n in ("PK.auth", "KEK.auth", "db.auth", "noPK.auth")
                    if os.path.getsize(os.path.join(keys, n)) > 0]
            tap.check(len(auth) == 4, "efitools present: PK, KEK, db and noPK .auth written", auth)
        check_signing(tap, keys, args.loader, workdir)
        with open(os.path.join(keys, "db.key"), "rb") as f:
            before = f.read()
        again = run(["bash", args.tool, keys])
        with open(os.path.join(keys, "db.key"), "rb") as f:
            after = f.read()
        tap.check(again.returncode != 0 and "--force" in again.stderr and before == after,
                  "a second run without --force refuses and keeps the keys", [again.stderr])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
