/*
 * A self-check the kernel runs on the real allocator (mode=test) and the host tests run too:
 * a seeded random sequence of allocations, runs and frees that checks every answer against the
 * normalized map and the counters, gives everything back, and ends with frames_audit.
 */
#ifndef PAGODA_FRAMES_STRESS_H
#define PAGODA_FRAMES_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frames.h"
#include "memmap.h"

/* One block the stress run holds: a frame or a run. The caller provides the array. */
struct frames_stress_block {
    uint64_t phys;
    uint32_t count;
    uint32_t pad;
};

struct frames_stress_report {
    uint32_t allocs;
    uint32_t runs;
    uint32_t frees;
    uint32_t exhausted; /* requests that found their zone empty */
    uint32_t max_held;  /* frames held at the peak */
};

/*
 * Runs ops operations with at most capacity blocks held at once. map is the map f was built
 * from (every frame handed out must lie in an allocatable range of it). Returns true if every
 * check passed and the allocator ends where it started; otherwise msg says what broke.
 */
bool frames_stress(struct frames *f, const struct memmap *map, uint64_t seed, uint32_t ops,
                   struct frames_stress_block *blocks, uint32_t capacity,
                   struct frames_stress_report *report, char *msg, size_t msg_size);

#endif
