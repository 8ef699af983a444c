/* mode=test: the kernel's self-tests in TAP on COM1, then isa-debug-exit (pass 0x10, fail 0x11). */
#ifndef PAGODA_SELFTEST_H
#define PAGODA_SELFTEST_H

#include <stdint.h>

#include "pagoda/boot_info.h"

struct tsc_calibration;

/* Runs every self-test and never returns: exits QEMU (or halts) with the verdict. */
__attribute__((noreturn)) void selftest_run(const struct pagoda_boot_info *info,
                                            const struct tsc_calibration *tsc);

#endif
