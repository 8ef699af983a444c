/* Timing metrics: valid only for the machine they ran on (compare_time.c). */
#ifndef PAGODA_COMPARE_TIME_H
#define PAGODA_COMPARE_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "compare_side.h"

void compare_time_setup(void);
/* Timing metrics of the live mode, one round. */
void compare_time_round(enum compare_mode mode);
/* Pools every round's samples per series and writes the timing records. */
void compare_time_report(void);

/* Adds samples measured elsewhere (raw TSC cycles: in ring 3, by cmpbench) to a series of the
 * mode: overhead (the median of their own empty brackets) subtracted, divided by per. */
void compare_time_add_samples(const char *metric, enum compare_mode mode, const char *page,
                              uint32_t n, const char *unit, const uint32_t *cycles, uint32_t count,
                              uint32_t overhead, uint32_t per);
/* Times measured(ctx) by today's method: COMPARE_WARMUP calls unrecorded, then samples calls,
 * each alone between two TSC reads, divided by per; after(ctx) runs outside the brackets (to
 * undo what measured did). False as soon as measured fails. */
bool compare_time_call(const char *metric, enum compare_mode mode, const char *page, uint32_t n,
                       const char *unit, uint32_t per, uint32_t samples,
                       bool (*measured)(void *ctx), void (*after)(void *ctx), void *ctx);
/* Samples per round that pool to the minimum per mode (1000): for series too costly to take
 * 1000 times in every round. */
uint32_t compare_time_share(void);
/* A series' median in hundredths of its unit, once compare_time_report has run (0: none). */
uint32_t compare_time_median(const char *metric, enum compare_mode mode, const char *page,
                             uint32_t n);

#endif
