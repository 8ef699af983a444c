/*
 * Running cmpbench (include/pagoda/compare_bench.h) in one paging format: the programs are
 * spawned on that format's kernel space (proc_spawn_in), the scheduler runs them until each has
 * left its box DONE or FAILED, the boxes are copied out, ACK is written into each, and the
 * scheduler runs on until every process has ended.
 *
 * mode=compare starts no timer: no interrupt arrives while ring 3 runs with IF set, so processes
 * change only where they yield, block or end, and no tick lands inside a sample. The stop test
 * between two processes reads one word of each box through the frame that holds it.
 */
#ifndef PAGODA_COMPARE_RUN_H
#define PAGODA_COMPARE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare_side.h"
#include "pagoda/compare_bench.h"

#define COMPARE_BENCH_MAX_ARGS 5

struct compare_bench {
    const char *argv[COMPARE_BENCH_MAX_ARGS + 1]; /* argv[0] names the program; NULL-ended */
    /* Filled by compare_bench_run: */
    int pid;
    bool read;          /* the box was copied (or the process is gone) */
    uint64_t box_frame; /* the frame of the box's first page, once the program has touched it */
    struct pagoda_bench_box box;
};

/* The TSC rate the deadline is measured in (0: a fixed number of cycles). */
void compare_bench_setup(uint64_t tsc_hz);

/*
 * Runs the count programs in mode's format, together. True when each left its box DONE; false
 * and why when one could not start, ended early or FAILED (its box's what and error say where).
 * A run that does not finish within a minute stops the comparison (compare_give_up): processes
 * still alive leave nothing to continue from.
 */
bool compare_bench_run(enum compare_mode mode, struct compare_bench *runs, unsigned count,
                       char *why, size_t why_size);

#endif
