/*
 * mode=compare: two-level against PAE paging in one boot. Builds the second format's
 * address space, then runs every measurement in both, interleaved A/B/A/B (A = two-level,
 * B = PAE) on the same physical frames, allocated once before the first switch.
 *
 * Output: one `CMP,...` record per result on COM1 (machine-readable, read by
 * tools/compare-report), and a compact table on every console (framebuffer included) at the end.
 * Structural results are exact and checked against arithmetic from the entry formats
 * (compare_arith.h); timing results are valid only for the machine they ran on.
 *
 * Record format (11 comma-separated fields, then the sample count):
 *   CMP,<metric>,<mode>,<page>,<n>,timing,<min>,<median>,<p99>,<mad>,<unit>,<samples>
 *   CMP,<metric>,<mode>,<page>,<n>,structural,<value>,<expected>,<ok|MISMATCH>,-,<unit>,1
 * plus CMPINFO,<key>,<value> lines (machine, TSC, method), CMPRUN lines (the mapped runs of each
 * process layout, compare_proc.c), CMPFRAG lines (the fragmentation churn over time,
 * compare_frag.c) and CMPEND,<pass|fail>,<failures>.
 */
#ifndef PAGODA_COMPARE_H
#define PAGODA_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

/* Never returns: leaves QEMU (isa-debug-exit: pass, or fail on a mismatch) or halts. info: for
 * the programs of its modules (the processes measured in both formats). */
__attribute__((noreturn)) void compare_main(const struct pagoda_boot_info *info, bool short_run,
                                            uint64_t tsc_hz, bool tsc_calibrated);

#endif
