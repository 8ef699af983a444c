#!/usr/bin/env python3
"""The loader's boot menu in QEMU, driven by keys sent through the QEMU monitor, reported as TAP.

Each case makes a disk (tools/mkimage.py) whose pagoda.cfg turns the menu on, boots it with
tools/qemu.py (monitor on a unix socket, serial to a file), waits for the menu on the serial
mirror of the console, sends keys (`sendkey down`, `sendkey ret`, ...), saves screenshots
(`screendump`, kept next to the serial log for people to look at) and checks what the loader
chose, the command line it built and that the kernel ran the chosen mode (self-tests: QEMU exit
33).

  menu-ARCH-keys            Down, Right, Right, Enter: "test" with paging pae
  menu-x64-timeout-default  no key; `default = test` is started when the countdown runs out
  menu-x64-off-default      menu_timeout 0 (no menu) with `default = test`, `paging = pae`:
                            the words are appended without a menu
  menu-x64-remembered       boot 1 chooses "test" with Enter (stored in the NV variable
                            PagodaMenuDefault); boot 2, same variable store, no key and no
                            `default` line, starts "test" again as the remembered choice

    menu_test.py --list
    menu_test.py CASE --bootx64 F --bootia32 F --kernel F [--log-dir DIR]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
sys.dont_write_bytecode = True
import boot_test  # noqa: E402
import mkimage  # noqa: E402
import qemu  # noqa: E402

MENU_SHOWN = "Pagoda boot menu"
MENU_WAIT = {"x64": 90, "ia32": 150}  # seconds until the menu must be on screen
RUN_TIMEOUT = {"x64": 150, "ia32": 240}
BOOT_HALTED = r"pagoda: halted"
KEY_GAP = 0.7  # seconds between keys: TCG on a busy machine is slow to poll the keyboard

CASES = {
    "menu-x64-keys": {"firmware": "x64", "config": ["menu_timeout = 60"],
                      "keys": ["down", "right", "right", "ret"], "expect": ("chose", "test", "pae")},
    "menu-ia32-keys": {"firmware": "ia32", "config": ["menu_timeout = 60"],
                       "keys": ["down", "right", "right", "ret"], "expect": ("chose", "test", "pae")},
    "menu-x64-timeout-default": {"firmware": "x64", "config": ["menu_timeout = 2", "default = test"],
                                 "keys": [], "expect": ("timed out on", "test", "auto")},
    "menu-x64-off-default": {"firmware": "x64", "config": ["default = test", "paging = pae"],
                             "keys": [], "expect": (None, "test", "pae"), "no_menu": True},
    "menu-x64-compare": {"firmware": "x64", "config": ["menu_timeout = 60"],
                         "keys": ["down", "down", "ret"], "expect": ("chose", "compare", "auto")},
    "menu-x64-boot-2level": {"firmware": "x64", "config": ["menu_timeout = 60"],
                             "keys": ["right", "ret"], "expect": ("chose", "boot", "2level")},
    "menu-x64-remembered": {"firmware": "x64", "config": ["menu_timeout = 60"],
                            "keys": ["down", "ret"], "expect": ("chose", "test", "auto"),
                            "second": {"config": ["menu_timeout = 2"],
                                       "expect": ("timed out on", "test", "auto")}},
}


def make_image(workdir, args, config, name):
    image = os.path.join(workdir, name)
    argv = ["--output", image, "--bootx64", args.bootx64, "--bootia32", args.bootia32,
            "--kernel", args.kernel]
    for line in config:
        argv += ["--config-line", line]
    if mkimage.main(argv) != 0:
        raise RuntimeError("mkimage failed")
    return image


def wait_for(path, pattern, seconds, proc):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(path, "rb") as f:
                if re.search(pattern, boot_test.clean_serial(f.read())):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.3)
    return False


def boot_with_keys(tap, case, image, workdir, serial_log, shots, vars_file, keys):
    """Boots once; returns (QEMU exit status or None, serial text)."""
    monitor = os.path.join(workdir, "monitor.sock")
    if os.path.exists(monitor):
        os.remove(monitor)
    timeout = RUN_TIMEOUT[case["firmware"]]
    argv = [sys.executable, os.path.join(TOOLS, "qemu.py"), image, "--firmware", case["firmware"],
            "--display", "none", "--serial-log", serial_log, "--timeout", str(timeout),
            "--monitor", monitor, "--vars-file", vars_file]
    if case["expect"][1] == "boot":
        argv += ["--stop-on", BOOT_HALTED]  # mode=boot halts the CPU: QEMU has to be stopped
    if os.path.exists(serial_log):
        os.remove(serial_log)  # a log left by an earlier run would show a menu that is not there
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if case.get("no_menu"):
            shown = False
        else:
            shown = wait_for(serial_log, MENU_SHOWN, MENU_WAIT[case["firmware"]], proc)
            tap.check(shown, "the menu is on the screen (serial mirror)")
        if shown and keys:
            time.sleep(KEY_GAP)
            qemu.screendump(monitor, shots[0])
            for key in keys[:-1]:
                qemu.monitor_command(monitor, "sendkey " + key)
                time.sleep(KEY_GAP)
            qemu.screendump(monitor, shots[1])  # before the last key (Enter) leaves the menu
            qemu.monitor_command(monitor, "sendkey " + keys[-1])
        proc.wait(timeout + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(serial_log, "rb") as f:
        return proc.returncode, boot_test.clean_serial(f.read())


def check_result(tap, expect, status, serial):
    how, action, paging = expect
    if how is None:
        tap.check(MENU_SHOWN not in serial and "loader: menu:" not in serial,
                  "no menu was shown (menu_timeout is 0)")
    else:
        line = f'loader: menu: {how} "{action}", paging {paging}'
        tap.check(line in serial, f"loader says: {line}",
                  [l for l in serial.splitlines() if "menu" in l][-5:] or boot_test.tail(serial))
    words = f"mode={action} paging={paging}"
    tap.check(f'loader: cmdline="{words}"' in serial, f"command line is '{words}'")
    tap.check(re.search(rf"Pagoda kernel \(.*mode={action}\)", serial) is not None,
              f"the kernel runs in mode={action}")
    if action == "boot":
        tap.check(status == 0 and "pagoda: boot complete." in serial,
                  "the kernel completed its boot log and halted (QEMU stopped on purpose)",
                  [f"exit status {status}"] + boot_test.tail(serial))
    else:
        tap.check(status == 33, f"QEMU exit status 33 (kernel {action} run passed)",
                  [f"exit status {status}"] + boot_test.tail(serial))


def run_case(tap, name, case, args, workdir, log_dir):
    vars_file = os.path.join(workdir, "vars.fd")  # one store for every boot of this case
    runs = [(case["config"], case["keys"], case["expect"])]
    if "second" in case:
        runs.append((case["second"]["config"], [], case["second"]["expect"]))
    for number, (config, keys, expect) in enumerate(runs, 1):
        tap.comment(f"boot {number}: pagoda.cfg {config}, keys {keys or 'none'}")
        image = make_image(workdir, args, config, f"disk{number}.img")
        serial_log = os.path.join(log_dir, f"{name}.{number}.serial.log")
        shots = [os.path.join(log_dir, f"{name}.{number}.{when}.png") for when in ("menu", "keys")]
        status, serial = boot_with_keys(tap, case, image, workdir, serial_log, shots, vars_file,
                                        keys)
        if keys:
            ok = all(os.path.exists(s) and os.path.getsize(s) > 1000 for s in shots)
            tap.check(ok, f"screendumps saved ({', '.join(os.path.basename(s) for s in shots)})")
        check_result(tap, expect, status, serial)
        if number == 2:
            tap.check("(the remembered choice)" in serial,
                      "the loader says the choice was the remembered one")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", nargs="?", choices=sorted(CASES))
    p.add_argument("--list", action="store_true")
    p.add_argument("--bootx64")
    p.add_argument("--bootia32")
    p.add_argument("--kernel")
    p.add_argument("--log-dir")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(CASES))
        return 0
    if not (args.case and args.bootx64 and args.bootia32 and args.kernel):
        p.error("CASE, --bootx64, --bootia32 and --kernel are required")
    tap = boot_test.Tap()
    with tempfile.TemporaryDirectory(prefix=f"pagoda-{args.case}-") as workdir:
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        try:
            run_case(tap, args.case, CASES[args.case], args, workdir, log_dir)
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            tap.check(False, f"{args.case} could not run: {e}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
