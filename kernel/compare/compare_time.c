/*
 * Timing metrics: valid only for the machine they ran on (under QEMU TCG an emulator figure).
 * Method: interrupts off (the whole kernel runs with them off), TSC reads serialized with
 * LFENCE (CPUID where SSE2 is missing), the median empty-bracket time subtracted, warm-up
 * iterations not recorded, COMPARE_SAMPLES samples per series and round; samples of the same
 * series from every round of a mode are pooled, then summarised (lib/sample_stats.h).
 * Samples are kept in hundredths of a cycle so per-access figures keep two decimals.
 */
#include "compare_time.h"

#include "../arch/cpu.h"
#include "../arch/pte_bits.h"
#include "../arch/x86.h"
#include "../mem/heap.h"
#include "compare_record.h"
#include "pagoda/page.h"
#include "pg_string.h"

#define COMPARE_SAMPLES 1000u
#define COMPARE_WARMUP  100u
#define MAX_SERIES      80u
#define SAMPLE_POOL     (MAX_SERIES * COMPARE_SAMPLES * 2u)
#define INVAL_PAGES     256u /* the working set the invalidation strategies must refill */

/* How many pages the INVLPG strategy invalidates, in increasing order (for the break-even). */
static const uint32_t inval_counts[] = {1, 4, 16, 32, 64, 128, INVAL_PAGES};
#define INVAL_COUNTS (sizeof(inval_counts) / sizeof(inval_counts[0]))

struct series {
    const char *metric;
    enum compare_mode mode;
    const char *page;
    uint32_t n;
    const char *unit;
    uint32_t *samples;
    uint32_t count, capacity;
};

static struct series series[MAX_SERIES];
static unsigned series_count;
/* From the heap, not .bss: 640 KiB that every boot would otherwise zero twice (the loader's
 * trampoline and the kernel's entry) for the one mode that uses it. */
static uint32_t *sample_pool;
static uint32_t scratch[COMPARE_SAMPLES * 2];
static uint32_t pool_used;
static unsigned rounds_per_mode;
static bool use_lfence;
static uint32_t bracket_overhead;

/* Chase order: page and line of every step. */
static uint16_t chase_page[COMPARE_MAX_PAGES];
static uint8_t chase_line[COMPARE_MAX_PAGES];
static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static inline uint64_t tsc_read(void)
{
    if (use_lfence) {
        uint32_t lo, hi;
        __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
        return ((uint64_t)hi << 32) | lo;
    }
    (void)cpuid(0, 0);
    return rdtsc();
}

static struct series *series_for(const char *metric, enum compare_mode mode, const char *page,
                                 uint32_t n, const char *unit)
{
    for (unsigned i = 0; i < series_count; i++) {
        struct series *s = &series[i];
        if (!strcmp(s->metric, metric) && s->mode == mode && !strcmp(s->page, page) && s->n == n)
            return s;
    }
    uint32_t capacity = COMPARE_SAMPLES * rounds_per_mode;
    if (!sample_pool || series_count == MAX_SERIES || pool_used + capacity > SAMPLE_POOL)
        return 0;
    struct series *s = &series[series_count++];
    *s = (struct series){metric, mode, page, n, unit, sample_pool + pool_used, 0, capacity};
    pool_used += capacity;
    return s;
}

static void add_sample_less(struct series *s, uint64_t cycles, uint32_t per, uint32_t overhead)
{
    if (!s || s->count == s->capacity)
        return;
    cycles = cycles > overhead ? cycles - overhead : 0;
    uint64_t hundredths = cycles * 100 / (per ? per : 1);
    s->samples[s->count++] = hundredths > UINT32_MAX ? UINT32_MAX : (uint32_t)hundredths;
}

static void add_sample(struct series *s, uint64_t cycles, uint32_t per)
{
    add_sample_less(s, cycles, per, bracket_overhead);
}

void compare_time_add_samples(const char *metric, enum compare_mode mode, const char *page,
                              uint32_t n, const char *unit, const uint32_t *cycles, uint32_t count,
                              uint32_t overhead, uint32_t per)
{
    struct series *s = series_for(metric, mode, page, n, unit);
    if (!s) {
        compare_serial("# compare: no room for the series %s %s\n", metric,
                       compare_mode_name(mode));
        compare_failures++;
        return;
    }
    for (uint32_t i = 0; i < count; i++)
        add_sample_less(s, cycles[i], per, overhead);
}

static uint32_t page_va(uint32_t page)
{
    return COMPARE_CHASE_VA + page * PAGODA_PAGE_SIZE;
}

/* ---- setup ---- */

void compare_time_setup(void)
{
    use_lfence = (cpu.features_edx & COMPARE_CPUID_1_EDX_SSE2) != 0;
    rounds_per_mode = compare_short ? 1 : 2;
    if (!sample_pool)
        sample_pool = kmalloc(SAMPLE_POOL * sizeof(*sample_pool));
    if (!sample_pool) {
        compare_info("timings", "none: no room in the kernel heap for %u KiB of samples",
                     (unsigned)(SAMPLE_POOL * sizeof(*sample_pool) / 1024));
        return;
    }
    /* The median empty bracket: the minimum can be a lucky tick of a coarse (emulated) TSC. */
    for (unsigned i = 0; i < COMPARE_SAMPLES; i++) {
        uint64_t t0 = tsc_read();
        uint64_t t1 = tsc_read();
        sample_pool[i] = (uint32_t)(t1 - t0);
    }
    bracket_overhead = sample_stats_of(sample_pool, COMPARE_SAMPLES, scratch).median;
    compare_info("tsc_overhead", "%u cycles (median of %u empty brackets; subtracted)",
                 bracket_overhead, COMPARE_SAMPLES);
}

/* ---- the measurements ---- */

static const struct paging_mode *live_mode(void)
{
    return compare_paging(compare_current())->mode;
}

static struct vm_space *live_space(void)
{
    return compare_sides[compare_current()].space;
}

static void overhead(enum compare_mode mode)
{
    struct series *s = series_for("tsc_bracket", mode, "-", 0, "cycles");
    for (unsigned i = 0; i < COMPARE_SAMPLES; i++) {
        uint64_t t0 = tsc_read();
        uint64_t t1 = tsc_read();
        add_sample(s, (t1 - t0) + bracket_overhead, 1); /* raw: the overhead itself */
    }
}

static void map_unmap(enum compare_mode mode)
{
    struct vm_space *space = live_space();
    struct series *sm = series_for("map", mode, "4k", 1, "cycles/page");
    struct series *su = series_for("unmap", mode, "4k", 1, "cycles/page");
    uint32_t prot = PAGING_PROT_READ | PAGING_PROT_WRITE;
    for (unsigned pass = 0; pass < 2; pass++) { /* pass 0: warm-up */
        for (uint32_t i = 0; i < COMPARE_SAMPLES; i++) {
            uint64_t t0 = tsc_read();
            vm_space_map(space, COMPARE_MAP_VA + i * PAGODA_PAGE_SIZE,
                         compare_frame(i % compare_frames.pages), PAGODA_PAGE_SIZE, prot,
                         PAGODA_PAGE_SIZE, 0);
            uint64_t t1 = tsc_read();
            if (pass)
                add_sample(sm, t1 - t0, 1);
        }
        for (uint32_t i = 0; i < COMPARE_SAMPLES; i++) {
            uint64_t t0 = tsc_read();
            vm_space_unmap(space, COMPARE_MAP_VA + i * PAGODA_PAGE_SIZE, PAGODA_PAGE_SIZE);
            uint64_t t1 = tsc_read();
            if (pass)
                add_sample(su, t1 - t0, 1);
        }
    }
}

static bool map_chase_region(bool large, uint32_t pages)
{
    const struct paging_mode *m = live_mode();
    uint64_t page_size = large ? m->large_page_size : PAGODA_PAGE_SIZE;
    uint32_t runs = (pages + COMPARE_RUN_FRAMES - 1) / COMPARE_RUN_FRAMES;
    for (uint32_t r = 0; r < runs; r++)
        if (vm_space_map(live_space(), COMPARE_CHASE_VA + r * COMPARE_RUN_FRAMES * PAGODA_PAGE_SIZE,
                         compare_frames.run[r], (uint64_t)COMPARE_RUN_FRAMES * PAGODA_PAGE_SIZE,
                         PAGING_PROT_READ | PAGING_PROT_WRITE, page_size, 0) != PAGING_OK)
            return false;
    return true;
}

static void unmap_chase_region(uint32_t pages)
{
    uint32_t runs = (pages + COMPARE_RUN_FRAMES - 1) / COMPARE_RUN_FRAMES;
    vm_space_unmap(live_space(), COMPARE_CHASE_VA,
                   (uint64_t)runs * COMPARE_RUN_FRAMES * PAGODA_PAGE_SIZE);
}

/* A cycle through n pages in random order, each at a random line: node k points at node k+1. */
static uintptr_t build_chain(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        chase_page[i] = (uint16_t)i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rng() % (i + 1);
        uint16_t t = chase_page[i];
        chase_page[i] = chase_page[j];
        chase_page[j] = t;
    }
    for (uint32_t i = 0; i < n; i++)
        chase_line[i] = (uint8_t)(rng() % (PAGODA_PAGE_SIZE / 64));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t next = (i + 1) % n;
        uintptr_t *node = (uintptr_t *)(uintptr_t)(page_va(chase_page[i]) + chase_line[i] * 64u);
        *node = page_va(chase_page[next]) + chase_line[next] * 64u;
    }
    return page_va(chase_page[0]) + chase_line[0] * 64u;
}

static uintptr_t chase(uintptr_t p, uint32_t steps)
{
    while (steps--)
        p = *(volatile uintptr_t *)p;
    return p;
}

static void chase_series(enum compare_mode mode, bool large, uint32_t n)
{
    struct series *s = series_for("chase", mode, large ? "large" : "4k", n, "cycles/access");
    uintptr_t p = build_chain(n);
    for (unsigned i = 0; i < COMPARE_WARMUP; i++)
        p = chase(p, n);
    for (unsigned i = 0; i < COMPARE_SAMPLES; i++) {
        uint64_t t0 = tsc_read();
        p = chase(p, n);
        uint64_t t1 = tsc_read();
        add_sample(s, t1 - t0, n);
    }
    if (p == 0) /* keeps the chase alive; never true */
        compare_failures++;
}

static const uint32_t chase_full[] = {16, 64, 256, 1024, 4096};
static const uint32_t chase_short[] = {16, 256};

static void chase_sizes(const uint32_t **sizes, unsigned *count)
{
    *sizes = compare_short ? chase_short : chase_full;
    *count = compare_short ? 2 : 5;
}

static void chases(enum compare_mode mode)
{
    const uint32_t *sizes;
    unsigned count;
    chase_sizes(&sizes, &count);
    for (unsigned large = 0; large < 2; large++) {
        if (!map_chase_region(large, compare_frames.pages)) {
            compare_serial("# compare: mapping the chase region failed\n");
            compare_failures++;
            unmap_chase_region(compare_frames.pages);
            continue;
        }
        for (unsigned i = 0; i < count; i++)
            if (sizes[i] <= compare_frames.pages)
                chase_series(mode, large, sizes[i]);
        unmap_chase_region(compare_frames.pages);
    }
}

static uint32_t touch_all(uint32_t pages)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < pages; i++)
        sum += *(volatile uint32_t *)(uintptr_t)page_va(i);
    return sum;
}

/* k INVLPGs then the refill of all INVAL_PAGES pages, against one CR3 reload then the refill. */
static void invalidation(enum compare_mode mode)
{
    if (!map_chase_region(false, INVAL_PAGES)) {
        compare_failures++;
        return;
    }
    for (unsigned i = 0; i < INVAL_COUNTS; i++) {
        struct series *s = series_for("invlpg_refill", mode, "4k", inval_counts[i], "cycles");
        for (unsigned j = 0; j < COMPARE_WARMUP + COMPARE_SAMPLES; j++) {
            touch_all(INVAL_PAGES);
            uint64_t t0 = tsc_read();
            for (uint32_t p = 0; p < inval_counts[i]; p++)
                invlpg(page_va(p));
            touch_all(INVAL_PAGES);
            uint64_t t1 = tsc_read();
            if (j >= COMPARE_WARMUP)
                add_sample(s, t1 - t0, 1);
        }
    }
    struct series *s = series_for("cr3_refill", mode, "4k", INVAL_PAGES, "cycles");
    for (unsigned j = 0; j < COMPARE_WARMUP + COMPARE_SAMPLES; j++) {
        touch_all(INVAL_PAGES);
        uint64_t t0 = tsc_read();
        __asm__ volatile("mov %%cr3, %%eax\n\tmov %%eax, %%cr3" : : : "eax", "memory");
        touch_all(INVAL_PAGES);
        uint64_t t1 = tsc_read();
        if (j >= COMPARE_WARMUP)
            add_sample(s, t1 - t0, 1);
    }
    unmap_chase_region(INVAL_PAGES);
}

/* The window: re-point one PTE at another frame, INVLPG, read; and a read without remap. */
static void window(enum compare_mode mode)
{
    struct vm_space *space = compare_sides[mode].space;
    if (vm_space_map(space, COMPARE_WINDOW_VA, compare_frame(0), PAGODA_PAGE_SIZE,
                     PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0) != PAGING_OK) {
        compare_failures++;
        return;
    }
    struct paging_walk w;
    vm_space_translate(space, COMPARE_WINDOW_VA, &w);
    /* The PT entry's low 32 bits hold the frame (below 4 GiB) and flags in either format. */
    volatile uint32_t *low = vm_space_entry(space, &w.level[w.count - 1]);
    uint32_t flags = *low & (uint32_t)(PAGODA_PAGE_SIZE - 1);
    struct series *remap = series_for("window_remap", mode, "4k", 1, "cycles");
    struct series *hit = series_for("window_hit", mode, "4k", 1, "cycles");
    volatile uint32_t *va = (volatile uint32_t *)(uintptr_t)COMPARE_WINDOW_VA;
    for (unsigned j = 0; j < COMPARE_WARMUP + COMPARE_SAMPLES; j++) {
        uint32_t frame = (uint32_t)compare_frame((j * 7u) % compare_frames.pages);
        uint32_t line = (j % (PAGODA_PAGE_SIZE / 64)) * 16u;
        uint64_t t0 = tsc_read();
        *low = frame | flags; /* frames are below 4 GiB: the high half stays */
        invlpg(COMPARE_WINDOW_VA);
        (void)va[line];
        uint64_t t1 = tsc_read();
        (void)va[line];
        uint64_t t2 = tsc_read();
        if (j >= COMPARE_WARMUP) {
            add_sample(remap, t1 - t0, 1);
            add_sample(hit, t2 - t1, 1);
        }
    }
    vm_space_unmap(space, COMPARE_WINDOW_VA, PAGODA_PAGE_SIZE);
}

uint32_t compare_time_share(void)
{
    return COMPARE_SAMPLES / rounds_per_mode;
}

bool compare_time_call(const char *metric, enum compare_mode mode, const char *page, uint32_t n,
                       const char *unit, uint32_t per, uint32_t samples,
                       bool (*measured)(void *ctx), void (*after)(void *ctx), void *ctx)
{
    struct series *s = series_for(metric, mode, page, n, unit);
    if (!s) {
        compare_serial("# compare: no room for the series %s %s\n", metric,
                       compare_mode_name(mode));
        return false;
    }
    for (uint32_t i = 0; i < COMPARE_WARMUP + samples; i++) {
        uint64_t t0 = tsc_read();
        bool ok = measured(ctx);
        uint64_t t1 = tsc_read();
        if (!ok)
            return false;
        if (after)
            after(ctx);
        if (i >= COMPARE_WARMUP)
            add_sample(s, t1 - t0, per);
    }
    return true;
}

void compare_time_round(enum compare_mode mode)
{
    overhead(mode);
    map_unmap(mode);
    chases(mode);
    invalidation(mode);
    window(mode);
}

/* ---- results ---- */

static struct sample_stats all[MAX_SERIES];

static uint32_t median_of(const char *metric, enum compare_mode mode, const char *page, uint32_t n,
                          const struct sample_stats *stats, unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        if (!strcmp(series[i].metric, metric) && series[i].mode == mode &&
            !strcmp(series[i].page, page) && series[i].n == n)
            return stats[i].median;
    return 0;
}

uint32_t compare_time_median(const char *metric, enum compare_mode mode, const char *page,
                             uint32_t n)
{
    return median_of(metric, mode, page, n, all, series_count);
}

void compare_time_report(void)
{

    for (unsigned i = 0; i < series_count; i++) {
        struct series *s = &series[i];
        all[i] = sample_stats_of(s->samples, s->count, scratch);
        compare_timing(s->metric, s->mode, s->page, s->n, &all[i], s->unit);
    }
    const uint32_t *sizes;
    unsigned count;
    chase_sizes(&sizes, &count);
    struct compare_summary *sum = &compare_summary;
    sum->chase_sizes = count;
    for (unsigned i = 0; i < count; i++)
        sum->chase_n[i] = sizes[i];
    for (unsigned mode = 0; mode < COMPARE_MODES; mode++) {
        for (unsigned i = 0; i < count; i++) {
            sum->chase[mode][0][i] = median_of("chase", mode, "4k", sizes[i], all, series_count);
            sum->chase[mode][1][i] = median_of("chase", mode, "large", sizes[i], all, series_count);
        }
        sum->map[mode] = median_of("map", mode, "4k", 1, all, series_count);
        sum->unmap[mode] = median_of("unmap", mode, "4k", 1, all, series_count);
        sum->invlpg1[mode] = median_of("invlpg_refill", mode, "4k", 1, all, series_count);
        sum->cr3[mode] = median_of("cr3_refill", mode, "4k", INVAL_PAGES, all, series_count);
        sum->window[mode] = median_of("window_remap", mode, "4k", 1, all, series_count);
        /* Break-even: the fewest pages for which k INVLPGs cost at least one CR3 reload. */
        uint32_t even = 0;
        for (unsigned i = 0; i < INVAL_COUNTS && !even; i++)
            if (median_of("invlpg_refill", mode, "4k", inval_counts[i], all, series_count) >=
                sum->cr3[mode])
                even = inval_counts[i];
        sum->breakeven[mode] = even;
        struct sample_stats be = {
            .count = 1, .min = even * 100, .median = even * 100, .p99 = even * 100, .mad = 0};
        compare_timing("inval_breakeven", mode, "4k", INVAL_PAGES, &be, "pages");
    }
}
