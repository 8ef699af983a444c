#!/usr/bin/env python3
"""Boot a Pagoda disk image in QEMU on OVMF (x64 or IA32 UEFI firmware).

Used three ways: by `tools/pagoda run` (serial in the terminal, a window when there is a display),
by the qemu test suite (serial to a file, a timeout, stop as soon as a pattern shows up), and by
hand. With --gdb QEMU starts stopped, its gdb stub listening, and the one command that attaches
gdb (with tools/pagoda_gdb.py) is printed first.

Exit status: QEMU's own, so 33 means the kernel's self-tests passed and 35 that they failed
(isa-debug-exit turns the value v written to port 0xf4 into status 2*v+1); 124 when the timeout
hit; 0 when --stop-on matched (QEMU was stopped on purpose).
"""

import argparse
import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

OVMF_DIR = "/usr/share/OVMF"
FIRMWARE = {
    "x64": {
        "code": "OVMF_CODE_4M.fd",
        "vars": "OVMF_VARS_4M.fd",
        "machine": "q35",
        "extra": [],
    },
    # The only IA32 OVMF build Debian ships is the Secure Boot one, which needs SMM and a
    # flash device that only SMM may write.
    "ia32": {
        "code": "OVMF32_CODE_4M.secboot.fd",
        "vars": "OVMF32_VARS_4M.fd",
        "machine": "q35,smm=on",
        "extra": ["-global", "driver=cfi.pflash01,property=secure,value=on"],
    },
}

DISKS = {
    "ahci": ["-device", "ahci,id=ahci", "-device", "ide-hd,drive=d0,bus=ahci.0"],
    "usb": ["-device", "qemu-xhci,id=xhci", "-device", "usb-storage,drive=d0,bus=xhci.0"],
    "nvme": ["-device", "nvme,drive=d0,serial=pagoda0"],
    "virtio": ["-device", "virtio-blk-pci,drive=d0"],
}

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
DEBUG_EXIT_PORT = "0xf4"
GDB_HOST = "127.0.0.1"
EXIT_TIMEOUT = 124
POLL_SECONDS = 0.1


class RunResult:
    def __init__(self, exit_code, timed_out, stopped_on, seconds, command):
        self.exit_code = exit_code  # QEMU's status; None if we stopped it
        self.timed_out = timed_out
        self.stopped_on = stopped_on  # the --stop-on pattern that matched, or None
        self.seconds = seconds
        self.command = command


def qemu_binary():
    found = shutil.which("qemu-system-x86_64")
    if not found:
        sys.exit("qemu.py: qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
    return found


def cpu_has_virtualization():
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return False
    return bool(flags & {"vmx", "svm"})


def accelerator(choice):
    # A /dev/kvm that opens is not enough: inside a VM without nested virtualization KVM starts
    # and then dies with "emulation failure" in the firmware. KVM is used only when the CPU
    # itself advertises VT-x/AMD-V; QEMU still falls back to TCG if KVM cannot start.
    if choice != "auto":
        return choice
    kvm_usable = os.access("/dev/kvm", os.R_OK | os.W_OK) and cpu_has_virtualization()
    return "kvm:tcg" if kvm_usable else "tcg"


def display_args(display):
    if display == "auto":
        display = "gui" if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") else "none"
    return [] if display == "gui" else ["-display", "none"]


def build_command(opts, vars_copy):
    fw = FIRMWARE[opts.firmware]
    code = opts.firmware_code or os.path.join(OVMF_DIR, fw["code"])
    cmd = [qemu_binary(),
           "-machine", f"{fw['machine']},accel={accelerator(opts.accel)}", *fw["extra"],
           "-m", opts.memory,
           # A triple fault ends the run instead of booting again; under gdb it pauses the
           # machine instead, and gdb stops (SIGQUIT) at the instruction that faulted.
           *(["-action", "reboot=shutdown,shutdown=pause"] if opts.gdb is not None
             else ["-no-reboot"]),
           "-nic", "none",  # no network boot attempts after a failed disk boot
           "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT},iosize=0x04",
           "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
           "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
           # snapshot: the guest's writes never reach the image (it stays what the build made)
           "-drive", f"id=d0,if=none,format=raw,snapshot=on,file={opts.image}",
           *DISKS[opts.disk], *display_args(opts.display)]
    if opts.serial_socket:
        # A unix socket a test writes keys to and reads the console from; the log keeps all
        # the output, also what came before anyone connected.
        log = f",logfile={opts.serial_log}" if opts.serial_log else ""
        cmd += ["-chardev", f"socket,id=serial0,path={opts.serial_socket},server=on,wait=off{log}",
                "-serial", "chardev:serial0"]
    elif opts.serial_log:
        cmd += ["-serial", f"file:{opts.serial_log}"]
    elif getattr(opts, "gdb_serial_log", None):
        # mon:stdio as below, plus a copy of the serial output for the gdb script (it reads the
        # loader's image base there).
        cmd += ["-chardev", f"stdio,id=serial0,mux=on,logfile={opts.gdb_serial_log}",
                "-serial", "chardev:serial0", "-mon", "chardev=serial0"]
    else:
        cmd += ["-serial", "mon:stdio"]  # Ctrl-A x quits, Ctrl-A c toggles the monitor
    if opts.monitor:
        cmd += ["-monitor", f"unix:{opts.monitor},server,nowait"]
    if opts.gdb is not None:
        cmd += ["-S", "-gdb", f"tcp:{GDB_HOST}:{opts.gdb}"]  # stopped before the first instruction
    return cmd + list(opts.qemu_args)


def free_port():
    """A TCP port nothing listens on now (QEMU binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((GDB_HOST, 0))
        return s.getsockname()[1]


def build_dir_of(image):
    """The build directory an image came from (BUILD/tools/pagoda.img), if it looks like one."""
    candidate = os.path.dirname(os.path.dirname(os.path.abspath(image)))
    return candidate if os.path.exists(os.path.join(candidate, "kernel", "pagoda.elf")) else None


def gdb_attach_command(port, serial_log, image, firmware):
    """The one shell command that attaches gdb, with Pagoda's script, to this QEMU."""
    attach = f"pagoda attach {GDB_HOST}:{port} --firmware {firmware}"
    build = build_dir_of(image)
    if build:
        attach += f" --build {shlex.quote(build)}"
    attach += f" --serial-log {shlex.quote(os.path.abspath(serial_log))}"
    script = os.path.join(TOOLS_DIR, "pagoda_gdb.py")
    return f"gdb -q -x {shlex.quote(script)} -ex {shlex.quote(attach)}"


def monitor_command(path, command, wait=2.0):
    """Sends one human-monitor command over the unix socket; returns what QEMU answered."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(wait)
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        reply = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            reply += chunk
            if reply.count(b"(qemu)") >= 2:  # banner prompt, then the prompt after our command
                break
        return reply.decode(errors="replace")


def screendump(monitor, path):
    # QEMU 7.1+ writes PNG itself when asked; PPM is its default and works everywhere.
    fmt = " -f png" if path.lower().endswith(".png") else ""
    monitor_command(monitor, f"screendump {os.path.abspath(path)}{fmt}")


def read_new(path, offset):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return b"", offset
    return data, offset + len(data)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def watch(proc, opts, patterns, started):
    """Waits for QEMU to exit, a pattern on serial, or the timeout; returns (timed_out, pattern)."""
    text, offset = b"", 0
    while proc.poll() is None:
        if opts.serial_log and patterns:
            chunk, offset = read_new(opts.serial_log, offset)
            text += chunk
            decoded = text.decode(errors="replace")
            for pattern in patterns:
                if pattern.search(decoded):
                    return False, pattern.pattern
        if opts.timeout and time.monotonic() - started > opts.timeout:
            return True, None
        time.sleep(POLL_SECONDS)
    return False, None


def relay_stderr(path):
    """Passes QEMU's messages on, minus the one our own stop() causes."""
    with open(path, errors="replace") as f:
        for line in f:
            if "terminating on signal" not in line:
                sys.stderr.write(line)


@contextlib.contextmanager
def running(opts):
    """QEMU booting opts.image for the duration of the block (the process); stopped at its end."""
    with tempfile.TemporaryDirectory(prefix="pagoda-qemu-") as tmp:
        fw = FIRMWARE[opts.firmware]
        vars_copy = opts.vars_file or os.path.join(tmp, "vars.fd")
        if not (opts.vars_file and os.path.exists(opts.vars_file)):
            shutil.copyfile(opts.firmware_vars or os.path.join(OVMF_DIR, fw["vars"]), vars_copy)
        if opts.serial_log:
            open(opts.serial_log, "wb").close()
        opts.gdb_serial_log = None
        if opts.gdb is not None:
            if opts.gdb == 0:
                opts.gdb = free_port()
            if not opts.serial_log:
                opts.gdb_serial_log = os.path.join(tmp, "serial.log")
            print("qemu.py: QEMU is stopped before the firmware's first instruction; "
                  f"gdb stub on {GDB_HOST}:{opts.gdb}. Attach with:\n  " +
                  gdb_attach_command(opts.gdb, opts.serial_log or opts.gdb_serial_log,
                                     opts.image, opts.firmware), file=sys.stderr)
            if not opts.serial_log:
                print("qemu.py: serial console below; quit with Ctrl-A x", file=sys.stderr)
        cmd = build_command(opts, vars_copy)
        if opts.verbose:
            print("qemu.py: " + " ".join(cmd), file=sys.stderr)
        stderr_path = os.path.join(tmp, "stderr")
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL if opts.serial_log or
                                    opts.serial_socket else None,
                                    stderr=stderr)
            proc.command = cmd
            try:
                yield proc
            finally:
                if proc.poll() is None:
                    stop(proc)
        relay_stderr(stderr_path)


def run(opts):
    """Boots once; QEMU is never left running when this returns."""
    if opts.stop_on and not opts.serial_log:
        raise ValueError("--stop-on needs --serial-log")
    patterns = [re.compile(p) for p in opts.stop_on]
    started = time.monotonic()
    with running(opts) as proc:
        timed_out, stopped_on = watch(proc, opts, patterns, started)
        if proc.poll() is None and opts.screendump and opts.monitor:
            screendump(opts.monitor, opts.screendump)
    seconds = time.monotonic() - started
    exit_code = None if (timed_out or stopped_on) else proc.returncode
    return RunResult(exit_code, timed_out, stopped_on, seconds, proc.command)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="Arguments after -- go to QEMU unchanged.")
    p.add_argument("image", help="raw disk image (tools/mkimage.py output)")
    p.add_argument("--firmware", choices=sorted(FIRMWARE), default="x64",
                   help="x64: OVMF, runs BOOTX64.EFI (default); ia32: 32-bit OVMF, runs BOOTIA32.EFI")
    p.add_argument("--disk", choices=sorted(DISKS), default="ahci",
                   help="how the disk is attached (default ahci)")
    p.add_argument("--memory", "-m", default="256M", help="guest RAM, e.g. 256M, 6G")
    p.add_argument("--display", choices=["auto", "gui", "none"], default="auto",
                   help="auto: a window when $DISPLAY is set")
    p.add_argument("--gui", dest="display", action="store_const", const="gui",
                   help="same as --display gui")
    p.add_argument("--serial-log", metavar="FILE", help="serial to FILE instead of the terminal")
    p.add_argument("--timeout", type=float, default=0, metavar="SEC",
                   help="stop QEMU after SEC seconds (exit 124); 0 = never")
    p.add_argument("--stop-on", action="append", default=[], metavar="REGEX",
                   help="stop QEMU when the serial log matches REGEX (exit 0; repeatable)")
    p.add_argument("--serial-socket", metavar="SOCKET",
                   help="serial on this unix socket (QEMU listens; connect to type and read), "
                        "logged to --serial-log too")
    p.add_argument("--monitor", metavar="SOCKET", help="QEMU monitor on this unix socket")
    p.add_argument("--screendump", metavar="FILE",
                   help="with --monitor: save the screen (.png or PPM) when --stop-on or the timeout hits")
    p.add_argument("--accel", choices=["auto", "kvm", "tcg", "kvm:tcg"], default="auto",
                   help="auto: KVM when /dev/kvm opens and the CPU has VT-x/AMD-V, else TCG")
    p.add_argument("--firmware-code", metavar="FILE", help="override the OVMF code image")
    p.add_argument("--firmware-vars", metavar="FILE", help="override the OVMF vars template")
    p.add_argument("--vars-file", metavar="FILE",
                   help="keep the firmware variables in FILE (made from the template if missing) "
                        "so NV variables survive between runs")
    p.add_argument("--gdb", type=int, nargs="?", const=0, metavar="PORT",
                   help="start stopped with QEMU's gdb stub on PORT (default: a free port) and "
                        "print the command that attaches gdb")
    p.add_argument("--verbose", "-v", action="store_true", help="print the QEMU command line")
    argv = list(argv)
    qemu_args = []
    if "--" in argv:
        split = argv.index("--")
        argv, qemu_args = argv[:split], argv[split + 1:]
    opts = p.parse_args(argv)
    opts.qemu_args = qemu_args
    if opts.stop_on and not opts.serial_log:
        p.error("--stop-on needs --serial-log")
    if opts.screendump and not opts.monitor:
        p.error("--screendump needs --monitor")
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    if not opts.serial_log and opts.gdb is None:
        print("qemu.py: serial console below; quit with Ctrl-A x", file=sys.stderr)
    result = run(opts)
    if result.timed_out:
        print(f"qemu.py: timeout after {opts.timeout:g} s, QEMU stopped", file=sys.stderr)
        return EXIT_TIMEOUT
    if result.stopped_on:
        print(f"qemu.py: serial matched {result.stopped_on!r} after {result.seconds:.1f} s, "
              "QEMU stopped", file=sys.stderr)
        return 0
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
