/* Boot phase timing from the TSC stamps in the boot info. Pure code. */
#ifndef PAGODA_PHASE_H
#define PAGODA_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

/* "loader_entry", "config_read", ... ("?" out of range) */
const char *phase_name(unsigned phase);
/* Milliseconds x10 (one decimal) for a TSC delta at hz cycles per second; 0 if hz is 0.
 * Rounded to nearest; no overflow for deltas up to ~2^64/10^4. */
uint64_t phase_tenths_of_ms(uint64_t cycles, uint64_t hz);
/* Stamps that were taken (non-zero) are non-decreasing; *bad gets the first phase that is not. */
bool phase_stamps_monotonic(const uint64_t tsc[PAGODA_PHASE_COUNT], unsigned *bad);

#endif
