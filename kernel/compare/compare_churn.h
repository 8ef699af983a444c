/*
 * Segmentation against paging: a seeded churn of process-sized requests served from one region
 * of the frame allocator (kernel/mem/frames.h), either contiguously (frames_alloc_run with
 * alignment 1: first fit, searching down from the top, where a segment would have to go) or
 * page by page (frames_alloc, as paging can place them). Pure code, host-tested; the kernel runs
 * it on an arena of real RAM (compare_frag.c).
 *
 * The stream, one request per step (tools/compare_report/arithmetic.py replays it):
 *   size class c = 16 KiB << k, k uniform in 0..8 (16 KiB .. 4 MiB)
 *   bytes uniform in (c/2, c]; served as ceil(bytes / 4 KiB) frames
 *   lifetime uniform in 1..lifetime_max steps; freed at the start of step (its step + lifetime)
 *   a request that cannot be served is dropped (counted, never retried)
 * Draws: xorshift32 from the seed (x ^= x << 13; x ^= x >> 17; x ^= x << 5), three per request
 * in that order: class, bytes, lifetime, each taken modulo its range.
 */
#ifndef PAGODA_COMPARE_CHURN_H
#define PAGODA_COMPARE_CHURN_H

#include <stdbool.h>
#include <stdint.h>

#include "../mem/frames.h"

#define CMP_CHURN_CLASSES      9u
#define CMP_CHURN_SMALLEST     (16u << 10)
#define CMP_CHURN_MAX_LIFETIME 256u
#define CMP_CHURN_MAX_SAMPLES  64u

struct cmp_churn_config {
    uint32_t seed;
    uint32_t steps;
    uint32_t lifetime_max; /* at most CMP_CHURN_MAX_LIFETIME */
    uint32_t sample_every; /* a sample after every sample_every steps */
};

/* The state after a step, for the chart over time. */
struct cmp_churn_sample {
    uint32_t step; /* steps done */
    uint32_t live; /* requests held */
    uint32_t free_frames;
    uint32_t largest_hole; /* frames; contiguous runs only (0 for pages) */
    uint32_t failed;       /* so far */
    uint32_t failed_with_room;
    uint32_t waste_live; /* bytes unused in the last pages of the requests held */
};

struct cmp_churn_result {
    uint32_t requests, served, failed;
    uint32_t failed_with_room; /* failed while at least as many frames were free in total */
    uint32_t misses;           /* contiguous: failed while a hole that fits existed (0) */
    uint32_t count_mismatches; /* steps where the allocator's free count disagreed (0) */
    uint64_t bytes_served;     /* what the served requests asked for */
    uint64_t waste_bytes;      /* unused bytes in their last pages */
    uint32_t peak_live_frames;
    struct cmp_churn_sample samples[CMP_CHURN_MAX_SAMPLES];
    uint32_t sample_count;
};

/* What one live request holds. */
struct cmp_churn_slot {
    uint64_t phys; /* contiguous: the run's first frame; pages: the list's first frame */
    uint32_t pages, bytes, expires;
    bool used;
};

/* The caller's storage: one link per arena frame (a request's frames, page by page). */
struct cmp_churn_work {
    uint32_t *next; /* frames entries */
    struct cmp_churn_slot slots[CMP_CHURN_MAX_LIFETIME];
};

/* Size and lifetime of the next request, as the stream above defines them. */
void cmp_churn_draw(uint32_t *rng, uint32_t lifetime_max, uint32_t *bytes, uint32_t *lifetime);

/*
 * Runs the stream on arena, an allocator whose pool is exactly [base, base + frames pages) and
 * all free; gives everything back at the end. False if the arguments are unusable (a lifetime
 * above CMP_CHURN_MAX_LIFETIME, an arena that is not all free) or the allocator handed out a
 * frame outside the arena.
 */
bool cmp_churn_run(struct frames *arena, uint64_t base, uint32_t frames, bool contiguous,
                   const struct cmp_churn_config *config, struct cmp_churn_work *work,
                   struct cmp_churn_result *out);

#endif
