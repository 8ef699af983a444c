/*
 * Segmentation against paging on the real frame allocator. An arena of RAM is taken from the
 * kernel's allocator as one run (64 MiB, or less if no such run is free) and given to a second
 * instance of the same allocator code (kernel/mem/frames.c) that owns only it, so the churn
 * (compare_churn.h) sees exactly the same physical frames twice and nothing else of the kernel
 * allocates among them: once served contiguously, as segments would have to be, once in pages.
 *
 * Records: structural ones with mode "-" and page "contig" or "paged" (the counts; Python
 * replays the churn and must find the same), and one CMPFRAG line per sample over time:
 *   CMPFRAG,<contig|paged>,<step>,<live>,<free frames>,<largest hole>,<failed>,
 *           <failed with room>,<bytes wasted in the live requests' last pages>
 */
#include "compare_frag.h"

#include "../boot/takeover.h"
#include "../mem/heap.h"
#include "compare_churn.h"
#include "compare_record.h"
#include "pagoda/page.h"

#define FRAG_SEED         0x5eed1234u
#define FRAG_LIFETIME_MAX 160u
#define FRAG_STEPS_FULL   4000u
#define FRAG_STEPS_SHORT  1000u
#define FRAG_SAMPLES      50u
#define FRAG_ARENA_FRAMES 16384u /* 64 MiB */

static uint32_t links[FRAG_ARENA_FRAMES];
static struct cmp_churn_work work;
static struct cmp_churn_result results[2];
static const char *const kinds[2] = {"contig", "paged"};

static void records(unsigned contiguous, const struct cmp_churn_result *r, bool ok, bool audited)
{
    const char *page = kinds[!contiguous];
    const char *n = "churn";
    /* What the churn found: the report's replay checks these. */
    compare_structural("frag_requests", COMPARE_NO_MODE, page, n, r->requests, r->requests,
                       "requests");
    compare_structural("frag_served", COMPARE_NO_MODE, page, n, r->served, r->served, "requests");
    compare_structural("frag_failed", COMPARE_NO_MODE, page, n, r->failed, r->failed, "requests");
    /* Paging has no external fragmentation: a refusal with enough frames free is a bug. */
    compare_structural("frag_failed_with_room", COMPARE_NO_MODE, page, n, r->failed_with_room,
                       contiguous ? r->failed_with_room : 0, "requests");
    compare_structural("frag_bytes_served", COMPARE_NO_MODE, page, n, r->bytes_served,
                       r->bytes_served, "bytes");
    compare_structural("frag_waste_bytes", COMPARE_NO_MODE, page, n, r->waste_bytes, r->waste_bytes,
                       "bytes");
    compare_structural("frag_peak_frames", COMPARE_NO_MODE, page, n, r->peak_live_frames,
                       r->peak_live_frames, "frames");
    /* The allocator against the churn's own bookkeeping. */
    compare_structural("frag_misses", COMPARE_NO_MODE, page, n, r->misses, 0, "requests");
    compare_structural("frag_count_mismatches", COMPARE_NO_MODE, page, n, r->count_mismatches, 0,
                       "steps");
    compare_structural("frag_clean", COMPARE_NO_MODE, page, n, ok && audited, 1, "bool");
    for (uint32_t i = 0; i < r->sample_count; i++) {
        const struct cmp_churn_sample *s = &r->samples[i];
        compare_serial("CMPFRAG,%s,%u,%u,%u,%u,%u,%u,%u\n", page, s->step, s->live, s->free_frames,
                       s->largest_hole, s->failed, s->failed_with_room, s->waste_live);
    }
    unsigned k = !contiguous;
    compare_summary.frag_requests[k] = r->requests;
    compare_summary.frag_served[k] = r->served;
    compare_summary.frag_failed[k] = r->failed;
    compare_summary.frag_failed_with_room[k] = r->failed_with_room;
    compare_summary.frag_waste[k] = r->waste_bytes;
}

void compare_frag_run(void)
{
    struct frames *live = &takeover_memory_state()->frames;
    uint32_t frames = FRAG_ARENA_FRAMES;
    uint64_t base = FRAMES_NONE;
    while (frames >= 1024 &&
           (base = frames_alloc_run(live, frames, 1, FRAMES_BELOW_4G)) == FRAMES_NONE)
        frames /= 2;
    if (base == FRAMES_NONE) {
        compare_serial("# compare: no run of 4 MiB of free frames for the fragmentation arena\n");
        compare_failures++;
        return;
    }
    struct memmap_entry entry = {
        .start = base, .end = base + (uint64_t)frames * PAGODA_PAGE_SIZE, .kind = MEMMAP_USABLE};
    struct memmap map = {.entries = &entry, .capacity = 1, .count = 1};
    size_t meta_bytes = frames_metadata_bytes(&map, FRAMES_NO_LIMIT);
    void *meta = kmalloc(meta_bytes);
    struct cmp_churn_config config = {
        .seed = FRAG_SEED,
        .steps = compare_short ? FRAG_STEPS_SHORT : FRAG_STEPS_FULL,
        .lifetime_max = FRAG_LIFETIME_MAX,
    };
    config.sample_every = config.steps / FRAG_SAMPLES;
    compare_info("frag_arena", "%u frames at 0x%llx, one run taken from the kernel's allocator",
                 frames, (unsigned long long)base);
    compare_info("frag_arena_frames", "%u", frames);
    compare_info("frag_seed", "0x%x", config.seed);
    compare_info("frag_steps", "%u", config.steps);
    compare_info("frag_lifetime_max", "%u", config.lifetime_max);
    compare_info("frag_sample_every", "%u", config.sample_every);
    compare_summary.frag_arena_frames = frames;
    work.next = links;
    for (unsigned pass = 0; pass < 2 && meta; pass++) {
        bool contiguous = pass == 0;
        struct frames arena;
        char why[160] = "";
        bool ok = frames_init(&arena, &map, FRAMES_NO_LIMIT, meta, meta_bytes) == FRAMES_OK &&
                  cmp_churn_run(&arena, base, frames, contiguous, &config, &work, &results[pass]);
        bool audited = ok && frames_audit(&arena, why, sizeof(why));
        if (!ok || !audited)
            compare_serial("# compare: the %s churn failed %s\n", kinds[pass], why);
        records(contiguous, &results[pass], ok, audited);
    }
    if (!meta) {
        compare_serial("# compare: no heap for the arena's allocator\n");
        compare_failures++;
    }
    kfree(meta);
    frames_free_run(live, base, frames);
}
