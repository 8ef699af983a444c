/* Summary statistics of timing samples: min, median, p99 and the median absolute deviation.
 * Pure code (host-tested); sorts the samples in place. */
#ifndef PAGODA_COMPARE_STATS_H
#define PAGODA_COMPARE_STATS_H

#include <stdint.h>

struct cmp_stats {
    uint32_t count;
    uint32_t min, median, p99, mad;
};

/* scratch must hold count elements (for the deviations). count 0 gives all zeros. */
struct cmp_stats cmp_stats_of(uint32_t *samples, uint32_t count, uint32_t *scratch);
void cmp_sort(uint32_t *values, uint32_t count);

#endif
