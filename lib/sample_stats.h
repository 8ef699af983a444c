/* Summary statistics of timing samples: min, median, p99 (nearest rank) and the median absolute
 * deviation. Pure code (host-tested), shared by the kernel's comparison (kernel/compare) and the
 * user programs that time themselves (user/programs/procbench.c); sorts the samples in place. */
#ifndef PAGODA_SAMPLE_STATS_H
#define PAGODA_SAMPLE_STATS_H

#include <stdint.h>

struct sample_stats {
    uint32_t count;
    uint32_t min, median, p99, mad;
};

/* scratch must hold count elements (for the deviations). count 0 gives all zeros. */
struct sample_stats sample_stats_of(uint32_t *samples, uint32_t count, uint32_t *scratch);
void sample_sort(uint32_t *values, uint32_t count);

#endif
