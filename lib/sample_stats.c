#include "sample_stats.h"

/* Heapsort: no recursion, no allocation, O(n log n) on a few thousand samples. */
static void sift_down(uint32_t *v, uint32_t root, uint32_t count)
{
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= count)
            return;
        if (child + 1 < count && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint32_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

void sample_sort(uint32_t *v, uint32_t count)
{
    for (uint32_t i = count / 2; i-- > 0;)
        sift_down(v, i, count);
    for (uint32_t end = count; end > 1; end--) {
        uint32_t t = v[0];
        v[0] = v[end - 1];
        v[end - 1] = t;
        sift_down(v, 0, end - 1);
    }
}

/* Nearest-rank percentile of sorted values. */
static uint32_t rank(const uint32_t *sorted, uint32_t count, uint32_t percent)
{
    uint32_t r = (uint32_t)(((uint64_t)count * percent + 99) / 100);
    return sorted[r ? r - 1 : 0];
}

struct sample_stats sample_stats_of(uint32_t *samples, uint32_t count, uint32_t *scratch)
{
    struct sample_stats s = {.count = count};
    if (!count)
        return s;
    sample_sort(samples, count);
    s.min = samples[0];
    s.median = rank(samples, count, 50);
    s.p99 = rank(samples, count, 99);
    for (uint32_t i = 0; i < count; i++)
        scratch[i] = samples[i] > s.median ? samples[i] - s.median : s.median - samples[i];
    sample_sort(scratch, count);
    s.mad = rank(scratch, count, 50);
    return s;
}
