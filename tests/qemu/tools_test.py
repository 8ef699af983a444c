#!/usr/bin/env python3
"""Host checks of the tools the qemu suite stands on, as TAP (suite 'unit').

mkimage.py: the GPT is valid (signatures, CRCs, backup copy, 1 MiB aligned ESP of type EF00),
the FAT is FAT32 by the specification's own cluster-count rule, the image is reproducible, and
independent implementations read it back: mtools gets every file out byte for byte, fsck.fat
finds nothing to fix, sgdisk verifies the table (those three are skipped when not installed).
badelf.py: each variant changes exactly the field it names, on a small ELF built here.
qemu.py: the command line for each firmware and disk, and with --gdb (QEMU is not started).
"""

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import badelf  # noqa: E402
import mkimage  # noqa: E402
import qemu  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

SECTOR = 512
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").bytes_le


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def make_inputs(tmp):
    rng = random.Random(1234)
    blob = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    return {
        "bootx64": write(os.path.join(tmp, "x64.efi"), blob(70000)),
        "bootia32": write(os.path.join(tmp, "ia32.efi"), blob(50001)),
        "kernel": write(os.path.join(tmp, "k.elf"), blob(183136)),
        "long": write(os.path.join(tmp, "long.txt"), b"a file with a long name\n"),
        "empty": write(os.path.join(tmp, "empty"), b""),
    }


def build(tmp, inputs, name, extra_args=()):
    out = os.path.join(tmp, name)
    argv = ["--output", out, "--bootx64", inputs["bootx64"], "--bootia32", inputs["bootia32"],
            "--kernel", inputs["kernel"], "--config-line", "cmdline = mode=test",
            "--config-line", "# comment",
            "--extra", inputs["long"] + ":EFI/BOOT/A file with a long name.txt",
            "--extra", inputs["empty"] + ":empty.bin", *extra_args]
    rc = mkimage.main(argv)
    return out, rc


def check_gpt(tap, image):
    with open(image, "rb") as f:
        data = f.read()
    total = len(data) // SECTOR
    tap.check(len(data) % SECTOR == 0, "image is a whole number of sectors")
    tap.check(data[510:512] == b"\x55\xAA" and data[446 + 4] == 0xEE, "protective MBR (type 0xEE)")

    def header(lba):
        h = data[lba * SECTOR: lba * SECTOR + 92]
        crc = struct.unpack_from("<I", h, 16)[0]
        zeroed = h[:16] + b"\0\0\0\0" + h[20:]
        fields = struct.unpack_from("<QQQQ16sQIII", h, 24)
        return h[:8], crc == zlib.crc32(zeroed), fields

    sig, crc_ok, (my, alt, first, last, _guid, entries_lba, count, size, entries_crc) = header(1)
    tap.check(sig == b"EFI PART" and crc_ok, "primary GPT header signature and CRC32")
    entries = data[entries_lba * SECTOR: entries_lba * SECTOR + count * size]
    tap.check(zlib.crc32(entries) == entries_crc, "partition entry array CRC32")
    tap.check(my == 1 and alt == total - 1, "primary header points at the backup in the last LBA")
    bsig, bcrc_ok, bfields = header(total - 1)
    b_entries = data[bfields[5] * SECTOR: bfields[5] * SECTOR + count * size]
    tap.check(bsig == b"EFI PART" and bcrc_ok and bfields[0] == total - 1 and bfields[1] == 1
              and b_entries == entries, "backup GPT header and entries match")
    ptype, _uniq, start, end = struct.unpack_from("<16s16sQQ", entries, 0)
    tap.check(ptype == ESP_TYPE, "partition 1 is an EFI System Partition (EF00)")
    tap.check(start * SECTOR % (1 << 20) == 0, f"ESP starts 1 MiB aligned (LBA {start})")
    tap.check((end - start + 1) * SECTOR >= 64 << 20, "ESP is at least 64 MiB")
    tap.check(first <= start and end <= last, "ESP inside the usable LBA range")
    return data, start, end


def check_fat32(tap, data, start):
    bs = data[start * SECTOR: start * SECTOR + SECTOR]
    bytes_per_sector, spc, reserved, fats, root_entries, tot16, _media, fat16 = \
        struct.unpack_from("<HBHBHHBH", bs, 11)
    tot32, fat32 = struct.unpack_from("<I", bs, 32)[0], struct.unpack_from("<I", bs, 36)[0]
    fat_size = fat16 or fat32
    total = tot16 or tot32
    # The specification's rule (FAT type from the cluster count only), computed from the BPB.
    root_dir_sectors = (root_entries * 32 + bytes_per_sector - 1) // bytes_per_sector
    clusters = (total - reserved - fats * fat_size - root_dir_sectors) // spc
    tap.check(bs[510:512] == b"\x55\xAA" and bs[82:90] == b"FAT32   ", "FAT32 boot sector")
    tap.check(clusters >= 65525, f"cluster count {clusters} makes it FAT32 (>= 65525)")
    backup = data[(start + 6) * SECTOR: (start + 7) * SECTOR]
    tap.check(backup == bs, "backup boot sector at sector 6")


def check_with_mtools(tap, tmp, image, inputs):
    if not shutil.which("mcopy"):
        tap.skip("mtools reads every file back", "mtools not installed")
        return
    wanted = {
        "::/EFI/BOOT/BOOTX64.EFI": inputs["bootx64"],
        "::/EFI/BOOT/BOOTIA32.EFI": inputs["bootia32"],
        "::/EFI/BOOT/pagoda.elf": inputs["kernel"],
        "::/EFI/BOOT/A file with a long name.txt": inputs["long"],
        "::/empty.bin": inputs["empty"],
    }
    for name, src in wanted.items():
        out = os.path.join(tmp, "readback")
        if os.path.exists(out):
            os.remove(out)
        r = subprocess.run(["mcopy", "-n", "-i", f"{image}@@1M", name, out],
                           capture_output=True, text=True)
        same = r.returncode == 0 and open(out, "rb").read() == open(src, "rb").read()
        tap.check(same, f"mtools reads back {name}", [r.stderr.strip()])
    r = subprocess.run(["mtype", "-i", f"{image}@@1M", "::/EFI/BOOT/pagoda.cfg"],
                       capture_output=True, text=True)
    tap.check(r.stdout == "cmdline = mode=test\n# comment\n", "pagoda.cfg holds the config lines",
              [repr(r.stdout)])


def check_with_fsck(tap, tmp, data, start, end):
    fsck = shutil.which("fsck.fat") or shutil.which("fsck.fat", path="/usr/sbin:/sbin")
    if not fsck:
        tap.skip("fsck.fat finds nothing to fix", "dosfstools not installed")
        return
    part = write(os.path.join(tmp, "esp.img"), data[start * SECTOR:(end + 1) * SECTOR])
    r = subprocess.run([fsck, "-n", part], capture_output=True, text=True)
    tap.check(r.returncode == 0, "fsck.fat -n finds nothing to fix", r.stdout.splitlines()[-5:])


def check_with_sgdisk(tap, image):
    sgdisk = shutil.which("sgdisk") or shutil.which("sgdisk", path="/usr/sbin:/sbin")
    if not sgdisk:
        tap.skip("sgdisk -v finds no problem", "gdisk not installed")
        return
    r = subprocess.run([sgdisk, "-v", image], capture_output=True, text=True)
    tap.check(r.returncode == 0 and "No problems found" in r.stdout, "sgdisk -v finds no problem",
              r.stdout.splitlines())


def check_mkimage(tap, tmp):
    inputs = make_inputs(tmp)
    image, rc = build(tmp, inputs, "a.img")
    tap.check(rc == 0, "mkimage builds an image")
    again, _ = build(tmp, inputs, "b.img")
    tap.check(open(image, "rb").read() == open(again, "rb").read(),
              "two builds are byte-for-byte identical")
    data, start, end = check_gpt(tap, image)
    check_fat32(tap, data, start)
    check_with_mtools(tap, tmp, image, inputs)
    check_with_fsck(tap, tmp, data, start, end)
    check_with_sgdisk(tap, image)
    out = os.path.join(tmp, "bad.img")
    rc = mkimage.main(["--output", out, "--kernel", os.path.join(tmp, "does-not-exist")])
    tap.check(rc == 1 and not os.path.exists(out), "a missing input fails without leaving an image")


def tiny_elf():
    """Three PT_LOADs like the kernel's: r-x at 1 MiB, r-- and rw- (with bss) after it."""
    segments = [(0x1000, 0x100000, 0x40, 0x40, 5), (0x2000, 0x101000, 0x20, 0x20, 4),
                (0x3000, 0x102000, 0x10, 0x200, 6)]
    ehdr = bytearray(52)
    ehdr[0:16] = b"\x7fELF\x01\x01\x01" + bytes(9)
    struct.pack_into("<HHIIIIIHHHHHH", ehdr, 16, 2, 3, 1, 0x100000, 52, 0, 0, 52, 32,
                     len(segments), 0, 0, 0)
    data = bytearray(0x3010)
    data[0:52] = ehdr
    for i, (off, addr, filesz, memsz, flags) in enumerate(segments):
        struct.pack_into("<IIIIIIII", data, 52 + 32 * i, 1, off, addr, addr, filesz, memsz,
                         flags, 0x1000)
    return bytes(data)


def check_badelf(tap):
    elf = tiny_elf()
    ph = lambda d, i, field: struct.unpack_from("<I", d, 52 + 32 * i + field)[0]
    v = lambda name: badelf.make_variant(name, elf)
    tap.check(struct.unpack_from("<H", v("machine-x86-64"), 18)[0] == 62, "badelf machine-x86-64")
    tap.check(v("class64")[4] == 2, "badelf class64")
    tap.check(v("bad-magic")[:4] != b"\x7fELF", "badelf bad-magic")
    tap.check(len(v("truncated-header")) < 52, "badelf truncated-header")
    t = v("truncated")
    tap.check(0x1000 < len(t) < 0x3010 and t == elf[:len(t)], "badelf truncated cuts inside the segments")
    o = v("overlap")
    tap.check(ph(o, 1, badelf.P_PADDR) == ph(o, 0, badelf.P_PADDR), "badelf overlap")
    e = struct.unpack_from("<I", v("entry-outside-code"), 24)[0]
    tap.check(e == 0x101000, "badelf entry-outside-code points into the r-- segment")
    r = v("reserved-destination")
    tap.check([ph(r, i, badelf.P_PADDR) for i in range(3)] == [0xFFC00000, 0xFFC01000, 0xFFC02000],
              "badelf reserved-destination moves every segment, keeping their spacing")
    changed = [n for n in badelf.VARIANTS if v(n) != elf]
    tap.check(changed == list(badelf.VARIANTS), "every variant changes the file")


def check_qemu_command(tap):
    """The runner's command lines, without starting QEMU."""
    if not shutil.which("qemu-system-x86_64"):
        tap.skip("qemu.py command lines", "qemu-system-x86 not installed")
        return
    for firmware in ("x64", "ia32"):
        for disk in sorted(qemu.DISKS):
            opts = qemu.parse_args(["disk.img", "--firmware", firmware, "--disk", disk,
                                    "--serial-log", "s.log", "--", "-d", "int"])
            cmd = qemu.build_command(opts, "vars.fd")
            line = " ".join(cmd)
            code = os.path.join(qemu.OVMF_DIR, qemu.FIRMWARE[firmware]["code"])
            ok = ("-no-reboot" in cmd and "isa-debug-exit,iobase=0xf4,iosize=0x04" in line
                  and f"readonly=on,file={code}" in line and "file=vars.fd" in line
                  and "file=disk.img" in line and "-serial file:s.log" in line
                  and cmd[-2:] == ["-d", "int"] and qemu.DISKS[disk][1] in cmd)
            if firmware == "ia32":
                ok = ok and "smm=on" in line and "property=secure,value=on" in line
            tap.check(ok, f"qemu.py command line for {firmware} over {disk}", [line])
    opts = qemu.parse_args(["disk.img", "--gdb", "4321"])
    opts.gdb_serial_log = "/tmp/x/serial.log"
    cmd = qemu.build_command(opts, "vars.fd")
    line = " ".join(cmd)
    tap.check("-S" in cmd and "-gdb tcp:127.0.0.1:4321" in line and
              "-chardev stdio,id=serial0,mux=on,logfile=/tmp/x/serial.log" in line and
              "-serial chardev:serial0" in line and "-mon chardev=serial0" in line and
              "mon:stdio" not in line and "-action reboot=shutdown,shutdown=pause" in line and
              "-no-reboot" not in cmd,
              "qemu.py --gdb 4321: stopped, gdb stub, serial on the terminal and in a log, "
              "a triple fault pauses", [line])
    tap.check(qemu.parse_args(["disk.img", "--gdb"]).gdb == 0 and
              qemu.parse_args(["disk.img"]).gdb is None and 0 < qemu.free_port() < 65536,
              "qemu.py --gdb without a port: a free one is picked")
    attach = qemu.gdb_attach_command(4321, "/tmp/x/serial.log", "disk.img", "ia32")
    tap.check(attach.startswith("gdb -q -x ") and "pagoda_gdb.py -ex 'pagoda attach "
              "127.0.0.1:4321 --firmware ia32 --serial-log /tmp/x/serial.log'" in attach,
              "the attach command loads tools/pagoda_gdb.py and attaches to the port", [attach])
    for firmware, fw in qemu.FIRMWARE.items():
        present = all(os.path.exists(os.path.join(qemu.OVMF_DIR, fw[k])) for k in ("code", "vars"))
        tap.check(present, f"OVMF {firmware} firmware files present in {qemu.OVMF_DIR}")


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="pagoda-tools-test-") as tmp:
        check_mkimage(tap, tmp)
        check_badelf(tap)
        check_qemu_command(tap)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
