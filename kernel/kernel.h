/* Kernel-wide state and the one way to stop. */
#ifndef PAGODA_KERNEL_H
#define PAGODA_KERNEL_H

#include <stdbool.h>

/* Whether a harness reads this run (mode=test, mode=compare): then kernel_stop leaves QEMU with
 * a pass or fail status through isa-debug-exit, and a panic or an unexpected exception also
 * ends the TAP stream with a bail-out line. Set from the command line before anything can fail
 * after the boot info check. */
extern bool kernel_stop_exits_qemu;

/* Stop the machine for good: with kernel_stop_exits_qemu first leave QEMU through
 * isa-debug-exit with the pass/fail code, then (or on real hardware) cli; hlt forever. */
__attribute__((noreturn)) void kernel_stop(bool failed);

#endif
