/*
 * Host test of the segmentation-against-paging churn (kernel/compare/compare_churn.c) on the
 * real frame allocator over a simulated arena: the draws follow the documented distribution,
 * and every count and sample equals a reference model written here from the rules alone (a
 * frame array with first fit searching down from the top, and a free-frame counter for pages).
 */
#include <stdlib.h>
#include <string.h>

#include "compare/compare_churn.h"
#include "kernel/mem/memmap.h"
#include "mem_support.h"
#include "tap.h"

#define ARENA_BASE 0x10000000ull

struct arena {
    struct frames f;
    struct memmap_entry entry;
    struct memmap map;
    void *metadata;
};

static void arena_init(struct arena *a, uint32_t frames)
{
    a->entry = (struct memmap_entry){
        .start = ARENA_BASE, .end = ARENA_BASE + (uint64_t)frames * 4096, .kind = MEMMAP_USABLE};
    a->map = (struct memmap){.entries = &a->entry, .capacity = 1, .count = 1};
    size_t bytes = frames_metadata_bytes(&a->map, FRAMES_NO_LIMIT);
    a->metadata = malloc(bytes);
    if (frames_init(&a->f, &a->map, FRAMES_NO_LIMIT, a->metadata, bytes) != FRAMES_OK)
        abort();
}

/* ---- the reference model ---- */

struct model_request {
    uint32_t start, pages, bytes, expires;
    bool used;
};

static uint32_t model_xorshift(uint32_t *x)
{
    uint32_t v = *x;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    return *x = v;
}

/* Largest run of zeros in used[0..frames), and the top-most run of zeros of length >= want
 * (its start, or -1). */
static long model_fit(const bool *used, uint32_t frames, uint32_t want, uint32_t *largest)
{
    long found = -1;
    uint32_t run = 0;
    *largest = 0;
    for (uint32_t i = frames; i-- > 0;) {
        run = used[i] ? 0 : run + 1;
        if (run > *largest)
            *largest = run;
        /* Top-down: the first hole from the top that reaches want frames, placed at its top. */
        if (found < 0 && run >= want && (i == 0 || used[i - 1]))
            found = (long)(i + run - want);
    }
    return found;
}

static void model_run(uint32_t frames, bool contiguous, const struct cmp_churn_config *cfg,
                      struct cmp_churn_result *out)
{
    bool *used = calloc(frames, 1);
    struct model_request live[CMP_CHURN_MAX_LIFETIME] = {0};
    uint32_t rng = cfg->seed, free_frames = frames, waste_live = 0, held = 0;
    memset(out, 0, sizeof(*out));
    for (uint32_t step = 0; step < cfg->steps; step++) {
        for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME; i++)
            if (live[i].used && live[i].expires <= step) {
                live[i].used = false;
                held--;
                free_frames += live[i].pages;
                waste_live -= live[i].pages * 4096 - live[i].bytes;
                if (contiguous)
                    memset(used + live[i].start, 0, live[i].pages);
            }
        uint32_t size_class = (16u << 10) << (model_xorshift(&rng) % 9);
        uint32_t bytes = size_class / 2 + 1 + model_xorshift(&rng) % (size_class / 2);
        uint32_t lifetime = 1 + model_xorshift(&rng) % cfg->lifetime_max;
        uint32_t pages = (bytes + 4095) / 4096, largest;
        long start = 0;
        bool fits = free_frames >= pages;
        if (contiguous) {
            start = model_fit(used, frames, pages, &largest);
            fits = start >= 0;
        }
        out->requests++;
        if (!fits) {
            out->failed++;
            out->failed_with_room += free_frames >= pages;
        } else {
            unsigned slot = 0;
            while (live[slot].used)
                slot++;
            live[slot] =
                (struct model_request){(uint32_t)start, pages, bytes, step + lifetime, true};
            if (contiguous)
                memset(used + start, 1, pages);
            held++;
            free_frames -= pages;
            waste_live += pages * 4096 - bytes;
            out->served++;
            out->bytes_served += bytes;
            out->waste_bytes += pages * 4096 - bytes;
            if (frames - free_frames > out->peak_live_frames)
                out->peak_live_frames = frames - free_frames;
        }
        if ((step + 1) % cfg->sample_every == 0 && out->sample_count < CMP_CHURN_MAX_SAMPLES) {
            largest = 0;
            if (contiguous)
                model_fit(used, frames, frames + 1, &largest);
            out->samples[out->sample_count++] = (struct cmp_churn_sample){
                step + 1,  held, free_frames, largest, out->failed, out->failed_with_room,
                waste_live};
        }
    }
    free(used);
}

/* ---- tests ---- */

static void test_draws(void)
{
    uint32_t rng = 12345, min = UINT32_MAX, max = 0, life_min = UINT32_MAX, life_max = 0;
    uint64_t waste = 0;
    unsigned n = 200000;
    for (unsigned i = 0; i < n; i++) {
        uint32_t bytes, life;
        cmp_churn_draw(&rng, 160, &bytes, &life);
        min = bytes < min ? bytes : min;
        max = bytes > max ? bytes : max;
        life_min = life < life_min ? life : life_min;
        life_max = life > life_max ? life : life_max;
        waste += ((bytes + 4095) / 4096) * 4096 - bytes;
    }
    TAP_CHECK(min > 8192 && min < 8400 && max <= (4u << 20) && max > (4u << 20) - 20000,
              "sizes span (8 KiB, 4 MiB]: %u .. %u", min, max);
    TAP_CHECK(life_min == 1 && life_max == 160, "lifetimes span 1..160: %u .. %u", life_min,
              life_max);
    double mean = (double)waste / n;
    TAP_CHECK(mean > 2020 && mean < 2075,
              "last-page waste averages half a page: %.1f bytes over %u draws", mean, n);
}

static void test_against_model(uint32_t frames, uint32_t seed, uint32_t steps, uint32_t lifetime)
{
    struct cmp_churn_config cfg = {
        .seed = seed, .steps = steps, .lifetime_max = lifetime, .sample_every = steps / 32};
    static struct cmp_churn_work work;
    work.next = calloc(frames, sizeof(uint32_t));
    for (unsigned contiguous = 0; contiguous < 2; contiguous++) {
        struct arena a;
        arena_init(&a, frames);
        static struct cmp_churn_result got, want;
        bool ok = cmp_churn_run(&a.f, ARENA_BASE, frames, contiguous, &cfg, &work, &got);
        model_run(frames, contiguous, &cfg, &want);
        const char *how = contiguous ? "contiguous" : "pages";
        TAP_CHECK(ok, "%s, %u frames, seed 0x%x: the run completes and gives every frame back", how,
                  frames, seed);
        TAP_CHECK(got.requests == want.requests && got.served == want.served &&
                      got.failed == want.failed && got.failed_with_room == want.failed_with_room,
                  "%s: %u requests, %u failed (%u with room) as the model (%u, %u)", how,
                  got.requests, got.failed, got.failed_with_room, want.failed,
                  want.failed_with_room);
        TAP_CHECK(got.bytes_served == want.bytes_served && got.waste_bytes == want.waste_bytes &&
                      got.peak_live_frames == want.peak_live_frames,
                  "%s: bytes, last-page waste (%llu) and peak as the model", how,
                  (unsigned long long)got.waste_bytes);
        TAP_CHECK(got.sample_count == want.sample_count &&
                      !memcmp(got.samples, want.samples, sizeof(got.samples[0]) * got.sample_count),
                  "%s: all %u samples over time as the model", how, got.sample_count);
        TAP_CHECK(got.misses == 0 && got.count_mismatches == 0,
                  "%s: no first-fit miss, the allocator's count always right", how);
        if (!contiguous)
            TAP_CHECK(got.failed_with_room == 0,
                      "pages: no request fails while enough frames are free (%u failed, all full)",
                      got.failed);
        char why[200];
        TAP_CHECK(frames_audit(&a.f, why, sizeof(why)), "%s: the allocator audits clean", how);
        free(a.metadata);
    }
    free(work.next);
}

static void test_refusals(void)
{
    struct arena a;
    arena_init(&a, 1024);
    static struct cmp_churn_work work;
    uint32_t next[1024];
    work.next = next;
    struct cmp_churn_result r;
    struct cmp_churn_config bad = {.seed = 1, .steps = 10, .lifetime_max = 1000, .sample_every = 1};
    TAP_CHECK(!cmp_churn_run(&a.f, ARENA_BASE, 1024, true, &bad, &work, &r),
              "a lifetime above the slot count is refused");
    frames_alloc(&a.f, FRAMES_ANYWHERE);
    struct cmp_churn_config ok = {.seed = 1, .steps = 10, .lifetime_max = 10, .sample_every = 1};
    TAP_CHECK(!cmp_churn_run(&a.f, ARENA_BASE, 1024, true, &ok, &work, &r),
              "an arena that is not all free is refused");
    free(a.metadata);
}

int main(void)
{
    test_draws();
    test_against_model(16384, 0x5eed1234u, 4000, 160);
    test_against_model(4096, 7u, 3000, 200);
    test_against_model(2048, 99u, 1000, 20);
    test_refusals();
    return tap_done();
}
