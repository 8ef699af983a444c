#!/usr/bin/env python3
"""TAP tests for tools/pagoda-usb, without real hardware.

Each case builds a fake machine in a temp dir: a sysfs tree shaped like the kernel's (disks hang
under their USB/ATA/NVMe/MMC parents, partitions inside their disk, dm holders/slaves links), a
mounts file, a swaps file and a /dev whose "block devices" are regular files. The tool runs with
its hidden --sysfs-root/--mounts-file/--swaps-file/--dev-root options and, where a write must
happen, --test-allow-regular-file. When run as root with working loop devices, a few more cases
use a real loop device (real sysfs, real mount table); otherwise they are reported as SKIP.

usage: test_pagoda_usb.py --tool tools/pagoda-usb
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from taplib import Tap  # noqa: E402  (tests/taplib.py)

MIB = 1024 * 1024
FILL = 0xA5  # what a fake device holds before a write, so untouched bytes are recognisable

# Where each transport's disks hang in a real sysfs; {n} keeps several disks apart.
PARENTS = {
    "usb": "devices/pci0000:00/0000:00:14.0/usb1/1-{n}/1-{n}:1.0/host{n}/target{n}:0:0/{n}:0:0:0",
    "ata": "devices/pci0000:00/0000:00:17.0/ata{n}/host{n}/target{n}:0:0/{n}:0:0:0",
    "nvme": "devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme{n}",
    "mmc": "devices/pci0000:00/0000:00:1e.6/mmc_host/mmc{n}/mmc{n}:aaaa",
}


class FakeMachine:
    """A sysfs tree, mount table, swap table and /dev made of regular files."""

    def __init__(self, root):
        self.root = Path(root)
        self.sys = self.root / "sys"
        self.dev = self.root / "dev"
        self.mounts_file = self.root / "mounts"
        self.swaps_file = self.root / "swaps"
        (self.sys / "class" / "block").mkdir(parents=True)
        self.dev.mkdir()
        self.mount_lines = ["sysfs /sys sysfs rw,nosuid 0 0", "proc /proc proc rw 0 0"]
        self.swap_lines = []
        self.serial = 0
        self.dm_count = 0
        # Every fake machine runs from an internal NVMe disk, as a laptop would.
        self.add_disk("nvme0n1", 256 * 10**9, removable=False, transport="nvme",
                      model="Samsung SSD 980", vendor="", partitions=2, partition_prefix="p",
                      file_size=4096)
        self.mount("/dev/nvme0n1p2", "/")
        self.mount("/dev/nvme0n1p1", "/boot/efi", "vfat")

    def _block_dir_link(self, name, target):
        link = self.sys / "class" / "block" / name
        link.symlink_to(os.path.relpath(target, link.parent))

    @staticmethod
    def _write(path, text):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")

    def _block_node(self, directory, size, removable, ro):
        for sub in ("holders", "slaves"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self._write(directory / "size", str(size // 512))
        self._write(directory / "removable", "1" if removable else "0")
        self._write(directory / "ro", "1" if ro else "0")

    def _dev_file(self, name, size):
        path = self.dev / name
        with open(path, "wb") as f:
            f.write(bytes([FILL]) * size)
        return path

    def add_disk(self, name, size, removable=True, transport="usb", vendor="SanDisk",
                 model="Cruzer Blade", ro=False, partitions=1, partition_prefix="",
                 card_type=None, file_size=None):
        self.serial += 1
        device = self.sys / PARENTS[transport].format(n=self.serial)
        if transport == "mmc":
            self._write(device / "name", model)
            self._write(device / "type", card_type or "SD")
        else:
            self._write(device / "vendor", vendor)
            self._write(device / "model", model)
        block = device / "block" / name
        self._block_node(block, size, removable, ro)
        (block / "device").symlink_to(os.path.relpath(device, block))
        self._block_dir_link(name, block)
        self._dev_file(name, size if file_size is None else file_size)
        part_size = size // (partitions + 1) if partitions else 0
        for index in range(1, partitions + 1):
            part = f"{name}{partition_prefix}{index}"
            self._block_node(block / part, part_size, removable, ro)
            self._write(block / part / "partition", str(index))
            self._block_dir_link(part, block / part)
            self._dev_file(part, 4096)
        return self.dev / name

    def add_dm(self, dm_name, slaves):
        name = f"dm-{self.dm_count}"
        self.dm_count += 1
        block = self.sys / "devices" / "virtual" / "block" / name
        self._block_node(block, 16 * MIB, False, False)
        self._write(block / "dm" / "name", dm_name)
        self._block_dir_link(name, block)
        for slave in slaves:
            slave_dir = (self.sys / "class" / "block" / slave).resolve()
            (block / "slaves" / slave).symlink_to(os.path.relpath(slave_dir, block / "slaves"))
            (slave_dir / "holders" / name).symlink_to(
                os.path.relpath(block, slave_dir / "holders"))
        (self.dev / "mapper").mkdir(exist_ok=True)
        return name

    def add_by_uuid_link(self, uuid, name):
        folder = self.dev / "disk" / "by-uuid"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / uuid).symlink_to(f"../../{name}")

    def mount(self, source, mount_point, fstype="ext4"):
        escaped = mount_point.replace("\\", "\\134").replace(" ", "\\040")
        self.mount_lines.append(f"{source} {escaped} {fstype} rw,relatime 0 0")

    def swap(self, source):
        self.swap_lines.append(f"{source}  partition\t1048572\t0\t-2")

    def args(self):
        self.mounts_file.write_text("\n".join(self.mount_lines) + "\n")
        self.swaps_file.write_text("Filename\tType\tSize\tUsed\tPriority\n" +
                                   "".join(line + "\n" for line in self.swap_lines))
        return ["--sysfs-root", str(self.sys), "--mounts-file", str(self.mounts_file),
                "--swaps-file", str(self.swaps_file), "--dev-root", str(self.dev)]


class Runner:
    def __init__(self, tool, workdir):
        self.tool = tool
        self.workdir = Path(workdir)
        self.case = 0

    def machine(self):
        self.case += 1
        return FakeMachine(self.workdir / f"case{self.case}")

    def image(self, size=5 * MIB + 1234, name="pagoda.img"):
        # Not a multiple of the 4 MiB chunk, and no repeating pattern: offsets are checked.
        path = self.workdir / name
        seed = hashlib.sha256(str(size).encode()).digest()
        data = bytearray()
        while len(data) < size:
            seed = hashlib.sha256(seed).digest()
            data += seed * 64
        path.write_bytes(bytes(data[:size]))
        return path

    def run(self, args, stdin=""):
        return subprocess.run([sys.executable, self.tool] + [str(a) for a in args], input=stdin,
                              capture_output=True, text=True, timeout=120)


def describe(result):
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def sha256_file(path, length=None):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(length) if length is not None else f.read()).hexdigest()


def refused(tap, result, code, words, description):
    """The exit code is the documented one and the message carries the words that explain it."""
    text = result.stdout + result.stderr
    missing = [w for w in words if w not in text]
    tap.check(result.returncode == code and not missing,
              f"{description}: exit {code}, message names {words}",
              describe(result) + (f"\nmissing words: {missing}" if missing else ""))


def untouched(tap, device, description):
    data = Path(device).read_bytes()
    tap.check(data == bytes([FILL]) * len(data), f"{description}: the device was not written")


# --- cases ---------------------------------------------------------------------------------------


def case_help(tap, runner):
    result = runner.run(["--help"])
    text = result.stdout
    codes_listed = all(f"  {code:2}  " in text for code in (0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
    tap.check(result.returncode == 0 and "--yes" in text and "--list" in text and codes_listed
              and "Rufus" in text, "--help: usage, options, every exit code, other writers",
              describe(result))
    tap.check("sysfs-root" not in text and "test-" not in text,
              "--help hides the test hooks", text)
    tap.check(runner.run([]).returncode == 2, "no arguments: usage error, exit 2")


def case_image_problems(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB)
    args = machine.args() + ["--test-allow-regular-file", "--yes"]
    refused(tap, runner.run(args + [runner.workdir / "missing.img", stick]), 3,
            ["missing.img", "tools/pagoda build"], "missing image")
    empty = runner.workdir / "empty.img"
    empty.write_bytes(b"")
    refused(tap, runner.run(args + [empty, stick]), 3, ["empty"], "empty image")
    untouched(tap, stick, "image problems")


def case_not_block_device(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB)
    image = runner.image()
    base = machine.args() + ["--yes", image]
    refused(tap, runner.run(base + [stick]), 4, ["not a block device", "regular file"],
            "regular file without the test flag")
    untouched(tap, stick, "regular file without the test flag")
    refused(tap, runner.run(base + [runner.workdir]), 4, ["not a block device", "directory"],
            "a directory")
    refused(tap, runner.run(base + ["/dev/null"]), 4, ["not a block device", "character device"],
            "/dev/null")
    refused(tap, runner.run(base + ["sdz"]), 4, ["sdz", "--list"], "a device that does not exist")


def case_partition(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB)
    result = runner.run(machine.args() + ["--test-allow-regular-file", "--yes", runner.image(),
                                          machine.dev / "sdb1"])
    refused(tap, result, 4, ["partition", "/dev/sdb"], "a partition instead of the whole disk")
    untouched(tap, stick, "partition")


def case_not_removable(tap, runner):
    machine = runner.machine()
    internal = machine.add_disk("sda", 8 * MIB, removable=False, transport="ata",
                                vendor="ATA", model="WDC WD10EZEX")
    emmc = machine.add_disk("mmcblk0", 8 * MIB, removable=False, transport="mmc",
                            model="DF4032", card_type="MMC", partition_prefix="p")
    args = machine.args() + ["--test-allow-regular-file", "--yes", runner.image()]
    result = runner.run(args + [internal])
    refused(tap, result, 5, ["not a removable disk", "WDC WD10EZEX", "ata"],
            "internal SATA disk")
    tap.check("--allow-fixed-usb" not in result.stderr,
              "no --allow-fixed-usb hint for a SATA disk", describe(result))
    refused(tap, runner.run(args + ["--allow-fixed-usb", internal]), 5,
            ["not a removable disk"], "--allow-fixed-usb does not unlock a SATA disk")
    refused(tap, runner.run(args + [emmc]), 5, ["not a removable disk", "mmc"],
            "soldered eMMC (tablet storage)")
    untouched(tap, internal, "internal disk")
    untouched(tap, emmc, "eMMC")


def case_fixed_usb_and_sd(tap, runner):
    machine = runner.machine()
    usb_ssd = machine.add_disk("sdc", 8 * MIB, removable=False, vendor="Samsung",
                               model="PSSD T7")
    sd_card = machine.add_disk("mmcblk1", 8 * MIB, removable=False, transport="mmc",
                               model="SD32G", card_type="SD", partition_prefix="p")
    image = runner.image()
    args = machine.args() + ["--test-allow-regular-file", "--yes", image]
    refused(tap, runner.run(args + [usb_ssd]), 5, ["not a removable disk", "--allow-fixed-usb"],
            "USB disk reporting removable=0, without the flag")
    untouched(tap, usb_ssd, "fixed USB disk without the flag")
    result = runner.run(args + ["--allow-fixed-usb", usb_ssd])
    tap.check(result.returncode == 0 and
              sha256_file(usb_ssd, image.stat().st_size) == sha256_file(image),
              "USB disk reporting removable=0, with --allow-fixed-usb: written", describe(result))
    result = runner.run(args + [sd_card])
    tap.check(result.returncode == 0 and "SD32G" in result.stdout,
              "SD card (mmc, type SD) counts as removable: written", describe(result))


def case_mounted(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB, partitions=2)
    other = machine.add_disk("sdc", 8 * MIB)
    third = machine.add_disk("sdd", 8 * MIB)
    machine.mount("/dev/sdb2", "/media/ada/PAGODA", "vfat")
    machine.mount("/dev/disk/by-uuid/1234-ABCD", "/media/ada/MY STICK", "vfat")
    machine.add_by_uuid_link("1234-ABCD", "sdc1")
    machine.swap("/dev/sdd1")
    args = machine.args() + ["--test-allow-regular-file", "--yes", runner.image()]
    refused(tap, runner.run(args + [stick]), 6, ["/dev/sdb2", "/media/ada/PAGODA", "umount"],
            "a partition of the stick is mounted")
    refused(tap, runner.run(args + [other]), 6, ["/media/ada/MY STICK"],
            "mounted through a by-uuid link, mount point with a space")
    refused(tap, runner.run(args + [third]), 6, ["swap", "swapoff"], "a partition is swap")
    for device in (stick, other, third):
        untouched(tap, device, f"mounted {device.name}")


def case_holders(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB, partitions=2)
    system = machine.add_disk("sdc", 8 * MIB, partitions=2, model="Ultra Fit")
    crypt = machine.add_disk("sdd", 8 * MIB, partitions=1)
    boot = machine.add_disk("sde", 8 * MIB, partitions=1)
    machine.add_dm("vg-home", ["sdb2"])  # an LVM volume, active but not mounted
    root_dm = machine.add_dm("vg-root", ["sdc2"])
    luks = machine.add_dm("luks-data", ["sdd1"])
    machine.mount("/dev/mapper/vg-root", "/")  # the running system lives on the USB disk
    machine.mount(f"/dev/{luks}", "/srv/data")
    machine.mount("/dev/sde1", "/boot")
    args = machine.args() + ["--test-allow-regular-file", "--yes", runner.image()]
    refused(tap, runner.run(args + [stick]), 6, ["dm-0", "vgchange"],
            "an unmounted LVM volume sits on the stick")
    refused(tap, runner.run(args + [system]), 7, ["running system", "/"],
            f"'/' is on the stick through a dm holder ({root_dm})")
    refused(tap, runner.run(args + [machine.dev / "sdc2"]), 7, ["running system"],
            "the root partition itself is refused as the running system")
    refused(tap, runner.run(args + [crypt]), 6, ["/srv/data"],
            "a dm-crypt volume on the stick is mounted")
    refused(tap, runner.run(args + [boot]), 7, ["running system", "/boot"], "/boot on the stick")
    for device in (stick, system, crypt, boot):
        untouched(tap, device, f"held {device.name}")


def case_media(tap, runner):
    machine = runner.machine()
    small = machine.add_disk("sdb", 4 * MIB)
    locked = machine.add_disk("sdc", 8 * MIB, ro=True)
    empty_reader = machine.add_disk("sdd", 0, partitions=0, model="SD/MMC Reader")
    args = machine.args() + ["--test-allow-regular-file", "--yes", runner.image()]
    refused(tap, runner.run(args + [small]), 8, ["larger than", "4.0 MiB"],
            "image larger than the stick")
    refused(tap, runner.run(args + [locked]), 4, ["write-protected"], "write-protected card")
    refused(tap, runner.run(args + [empty_reader]), 4, ["no medium"], "card reader, no card")
    untouched(tap, small, "too small")
    untouched(tap, locked, "write-protected")


def case_confirmation(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB, vendor="SanDisk", model="Cruzer Blade")
    image = runner.image()
    args = machine.args() + ["--test-allow-regular-file", image, stick]
    result = runner.run(args, stdin="no\n")
    tap.check(result.returncode == 9 and "Type 'yes'" in result.stdout,
              "answer 'no': asked, aborted with exit 9", describe(result))
    tap.check("SanDisk Cruzer Blade" in result.stdout and "8.0 MiB" in result.stdout and
              "8.4 MB" in result.stdout, "the prompt shows model and size", result.stdout)
    untouched(tap, stick, "answer 'no'")
    result = runner.run(args, stdin="")
    tap.check(result.returncode == 9, "no answer (end of input): aborted", describe(result))
    untouched(tap, stick, "no answer")


def case_write_and_verify(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB)
    image = runner.image()
    size = image.stat().st_size
    image_sha = sha256_file(image)
    result = runner.run(machine.args() + ["--test-allow-regular-file", image, stick],
                        stdin="yes\n")
    tap.check(result.returncode == 0, "answer 'yes': written and verified, exit 0",
              describe(result))
    tap.check(sha256_file(stick, size) == image_sha, "the device starts with the image")
    tail = stick.read_bytes()[size:]
    tap.check(tail == bytes([FILL]) * len(tail), "bytes past the image are not touched")
    tap.check(f"image  sha256 {image_sha}" in result.stdout and
              f"device sha256 {image_sha}" in result.stdout,
              "SHA-256 of the image and of the device range are reported", result.stdout)
    tap.check("writing:" in result.stderr and "verifying:" in result.stderr and
              "100%" in result.stderr, "progress lines for writing and verifying",
              result.stderr)
    result = runner.run(machine.args() + ["--test-allow-regular-file", "--yes", image,
                                          "sdb"])
    tap.check(result.returncode == 0 and "Type 'yes'" not in result.stdout,
              "--yes writes without asking; a bare name resolves under /dev", describe(result))


def case_mismatch(tap, runner):
    machine = runner.machine()
    stick = machine.add_disk("sdb", 8 * MIB)
    image = runner.image()
    offset = 4 * MIB + 77  # in the second chunk: the comparison is not limited to the first
    result = runner.run(machine.args() + ["--test-allow-regular-file", "--yes",
                                          "--test-fault", f"flip:{offset}", image, stick])
    refused(tap, result, 11, ["verification FAILED", f"byte {offset}"],
            "read-back differs (fault injected after the write)")
    lines = {line.split()[0]: line.split()[2] for line in result.stdout.splitlines()
             if "sha256" in line}
    tap.check(lines.get("image") == sha256_file(image) and lines.get("device") and
              lines["device"] != lines["image"] and
              lines["device"] == sha256_file(stick, image.stat().st_size),
              "the reported device SHA-256 is the damaged device's", result.stdout)


def case_list(tap, runner):
    machine = runner.machine()
    machine.add_disk("sdb", 8 * MIB, vendor="Kingston", model="DataTraveler 3.0")
    machine.add_disk("sdc", 8 * MIB)
    machine.mount("/dev/sdc1", "/media/ada/OLD")
    result = runner.run(machine.args() + ["--list"])
    lines = result.stdout.splitlines()
    sdb = [line for line in lines if "/sdb " in line]
    root = [line for line in lines if "/nvme0n1 " in line]
    sdc = [line for line in lines if "/sdc " in line]
    tap.check(result.returncode == 0 and sdb and "Kingston DataTraveler 3.0" in sdb[0] and
              "candidate" in sdb[0] and root and "running system" in root[0] and sdc and
              "/media/ada/OLD" in sdc[0] and not any("sdb1" in line for line in lines),
              "--list: whole disks with model, size and status", describe(result))
    tap.check("test setting" in result.stderr,
              "a fake tree is announced on stderr, never silent", result.stderr)
    flags = machine.args()
    env = dict(os.environ, PAGODA_USB_SYSFS_ROOT=flags[1], PAGODA_USB_MOUNTS_FILE=flags[3],
               PAGODA_USB_SWAPS_FILE=flags[5], PAGODA_USB_DEV_ROOT=flags[7])
    by_env = subprocess.run([sys.executable, runner.tool, "--list"], capture_output=True,
                            text=True, env=env, timeout=60)
    tap.check(by_env.returncode == 0 and by_env.stdout == result.stdout,
              "PAGODA_USB_* variables select the same fake tree as the options", describe(by_env))


# --- real loop device -----------------------------------------------------------------------------


def loop_attach(backing):
    if os.geteuid() != 0 or not shutil.which("losetup"):
        return None, "needs root and losetup"
    result = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        return None, "losetup failed: " + result.stderr.strip()
    return result.stdout.strip(), ""


def case_loop(tap, runner):
    backing = runner.workdir / "loop-backing.img"
    with open(backing, "wb") as f:
        f.write(bytes([FILL]) * 16 * MIB)
    image = runner.image()
    size = image.stat().st_size
    names = ["loop device refused (removable=0) without the test flag",
             "loop device: write + verify with --test-allow-loop",
             "loop device: damage behind the page cache is caught (cache really dropped)",
             "loop device held exclusively elsewhere: O_EXCL refuses it"]
    loop, reason = loop_attach(backing)
    if not loop:
        for name in names:
            tap.skip(name, reason)
        return
    # Holding the device open keeps its page cache alive across the tool's open/close, as
    # udisks does on a desktop; without it the last close would drop the cache for us.
    keep_open = os.open(loop, os.O_RDONLY)
    try:
        result = runner.run(["--yes", image, loop])
        refused(tap, result, 5, ["not a removable disk", "loop"], names[0])
        result = runner.run(["--yes", "--test-allow-loop", image, loop])
        tap.check(result.returncode == 0 and sha256_file(backing, size) == sha256_file(image),
                  names[1], describe(result))
        offset = 3 * MIB + 5
        result = runner.run(["--yes", "--test-allow-loop", "--test-fault",
                             f"flip-file:{offset}:{backing}", image, loop])
        refused(tap, result, 11, ["verification FAILED", f"byte {offset}"], names[2])
        exclusive = os.open(loop, os.O_RDONLY | os.O_EXCL)
        try:
            result = runner.run(["--yes", "--test-allow-loop", image, loop])
            refused(tap, result, 6, ["busy"], names[3])
        finally:
            os.close(exclusive)
    finally:
        os.close(keep_open)
        subprocess.run(["losetup", "--detach", loop], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True, help="path to tools/pagoda-usb")
    parser.add_argument("--no-loop", action="store_true", help="skip the loop device cases")
    options = parser.parse_args()
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="pagoda-usb-test-") as workdir:
        runner = Runner(os.path.abspath(options.tool), workdir)
        for case in (case_help, case_image_problems, case_not_block_device, case_partition,
                     case_not_removable, case_fixed_usb_and_sd, case_mounted, case_holders,
                     case_media, case_confirmation, case_write_and_verify, case_mismatch,
                     case_list):
            case(tap, runner)
        if options.no_loop:
            tap.skip("loop device cases", "--no-loop")
        else:
            case_loop(tap, runner)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
