/* Processes in both formats: page tables per process, the kernel half's sharing, the NX row and
 * the timings a process sees (compare_proc.c). */
#ifndef PAGODA_COMPARE_PROC_H
#define PAGODA_COMPARE_PROC_H

#include <stdbool.h>

#include "compare_side.h"

/* What the process metrics need once: CPU facts for the record, and the programs they run
 * (without them, an image made without programs.tar, they are left out, with a message). */
void compare_proc_setup(void);
/* The live mode's process metrics: structural ones when first (one round per mode), the
 * timings in every round. */
void compare_proc_round(enum compare_mode mode, bool first, unsigned round);
/* After compare_time_report: the derived records (spawn cost per page) and the screen's
 * numbers. */
void compare_proc_report(void);

#endif
