/* Kernel-wide state and the one way to stop. */
#ifndef PAGODA_KERNEL_H
#define PAGODA_KERNEL_H

#include <stdbool.h>

/* Set from the command line (mode=test) before anything can fail after the boot info check. */
extern bool kernel_test_mode;

/* Stop the machine for good: in test mode first leave QEMU through isa-debug-exit with the
 * pass/fail code, then (or on real hardware) cli; hlt forever. */
__attribute__((noreturn)) void kernel_stop(bool failed);

#endif
