/*
 * The comparison's user benchmark, as the kernel (kernel/compare/) and the program
 * (user/programs/cmpbench.c) share it. The program measures in ring 3 and leaves raw TSC samples
 * in a box at the very start of its heap: its first act is sbrk(sizeof(struct
 * pagoda_bench_box)), so the box lies at the break the kernel gave it. The kernel reads the box
 * once the program has set DONE (or FAILED), then writes ACK, and the program exits. Nothing
 * else passes between them: no system call exists for the comparison.
 *
 * argv: cmpbench <what> [N]
 *   syscall N          N round trips of getpid(), each between two serialized TSC reads
 *   switch N           N yield() round trips; the kernel runs two at once, so each yield goes
 *                      to the other process and back (two context switches)
 *   fault N            touches N fresh heap pages once each (one demand-paging fault each) into
 *                      series 1, then the same pages again, mapped, into series 2
 *   nx                 spawns stackexec and waits for it; value = its wait status
 * Every timed loop first runs PAGODA_BENCH_WARMUP iterations that are not recorded; series 0
 * holds N empty brackets (two TSC reads), for the kernel to subtract their median.
 */
#ifndef PAGODA_COMPARE_BENCH_H
#define PAGODA_COMPARE_BENCH_H

#include <stdint.h>

#define PAGODA_BENCH_MAGIC       0x31584243u /* "CBX1" */
#define PAGODA_BENCH_WARMUP      100u
#define PAGODA_BENCH_MAX_SAMPLES 1000u
#define PAGODA_BENCH_SERIES      3u /* 0: empty brackets, 1: the measurement, 2: fault's second pass */

enum pagoda_bench_state {
    PAGODA_BENCH_RUNNING = 1, /* the program is measuring */
    PAGODA_BENCH_DONE = 2,    /* the samples are complete */
    PAGODA_BENCH_FAILED = 3,  /* a call failed: error holds its errno, what says which step */
    PAGODA_BENCH_ACK = 4,     /* the kernel has read the box: the program may exit */
};

struct pagoda_bench_box {
    uint32_t magic;
    volatile uint32_t
        state;      /* enum pagoda_bench_state; the program's until DONE, then the kernel's */
    uint32_t value; /* nx: stackexec's wait status */
    uint32_t error; /* FAILED: the errno */
    char what[32];  /* FAILED: the step that failed */
    uint32_t count[PAGODA_BENCH_SERIES];
    uint32_t samples[PAGODA_BENCH_SERIES][PAGODA_BENCH_MAX_SAMPLES]; /* TSC cycles */
};

#endif
