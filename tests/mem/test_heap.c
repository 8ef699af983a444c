/*
 * Kernel heap tests: the class table's rule, init errors, boundary sizes and alignment, exact
 * statistics, slabs and page runs given back, coalescing, exhaustion and refused frames, every
 * panic with its message, then long seeded random and adversarial sequences checked step by step
 * against the model in heap_harness.h, in plain and in debug mode. The region is real address
 * space that is PROT_NONE until backed, so a touch outside what the heap backed crashes the test.
 *
 * usage: test_heap [RANDOM_OPS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_harness.h"
#include "kernel/mem/heap.h"
#include "mem_support.h"
#include "tests/tap.h"

#define PAGE 4096u

/* A heap over a fresh environment. */
struct fixture {
    struct heap_test_env env;
    struct heap heap;
};

static bool fixture_init(struct fixture *f, uint32_t pages, uint32_t flags)
{
    if (!heap_test_env_init(&f->env, pages))
        return false;
    return heap_init(&f->heap, f->env.start, f->env.end, &f->env.env, flags) == HEAP_OK;
}

static bool audit_ok(const struct heap *h, const char *when)
{
    char msg[256];
    bool ok = heap_audit(h, msg, sizeof msg);
    if (!ok)
        tap_diag("audit after %s: %s", when, msg);
    return ok;
}

static const char *mode_name(uint32_t flags)
{
    return flags & HEAP_FLAG_DEBUG ? "debug" : "plain";
}

/* ---- the class table ---- */

static void test_class_table(void)
{
    bool increasing = true, rule = true, spacing = true;
    uint32_t previous = 0;
    for (int c = 0; c < HEAP_CLASS_COUNT; c++) {
        uint32_t size = heap_class_table[c].size, pages = heap_class_table[c].pages;
        if (size <= previous || size % 16 != 0)
            increasing = false;
        /* Above 128 B each class is at most 25 % larger than the one below it. */
        if (previous >= 128 && size * 4 > previous * 5)
            spacing = false;
        if (previous < 128 && c > 0 && size - previous != 16)
            spacing = false;
        uint32_t want = 0;
        for (uint32_t p = 1; p <= 8 && want == 0; p++) {
            uint32_t objects = p * PAGE / size, unused = p * PAGE - objects * size;
            if (objects >= 8 && unused * 64 <= p * PAGE)
                want = p;
        }
        if (pages != want) {
            tap_diag("class %u B: %u pages, the rule says %u", size, pages, want);
            rule = false;
        }
        previous = size;
    }
    TAP_CHECK(heap_class_table[0].size == 16 && previous == HEAP_SMALL_MAX && previous >= 2048,
              "classes run from 16 B to %u B", previous);
    TAP_CHECK(increasing,
              "class sizes increase in multiples of 16 (so every object is 16-aligned)");
    TAP_CHECK(spacing, "16 B steps to 128 B, then at most 25 %% between neighbours");
    TAP_CHECK(rule, "each slab is the fewest pages holding >= 8 objects with <= 1/64 unused");
    uint32_t largest = 0;
    for (int c = 0; c < HEAP_CLASS_COUNT; c++)
        if (heap_class_table[c].pages > largest)
            largest = heap_class_table[c].pages;
    TAP_CHECK(largest == HEAP_MAX_SLAB, "largest slab %u pages", largest);
}

/* ---- init ---- */

static bool dummy_back(void *ctx, uintptr_t va, uint32_t pages)
{
    (void)ctx, (void)va, (void)pages;
    return true;
}

static void dummy_release(void *ctx, uintptr_t va, uint32_t pages)
{
    (void)ctx, (void)va, (void)pages;
}

static void test_init(void)
{
    struct heap h;
    struct heap_env env = {.back = dummy_back, .release = dummy_release};
    struct heap_env no_release = {.back = dummy_back};
    uintptr_t base = 0x10000000;
    TAP_CHECK(heap_init(&h, base + 8, base + 0x10000, &env, 0) == HEAP_ERR_ALIGN &&
                  heap_init(&h, base, base + 0x10008, &env, 0) == HEAP_ERR_ALIGN,
              "unaligned start or end refused");
    TAP_CHECK(heap_init(&h, base, base, &env, 0) == HEAP_ERR_RANGE &&
                  heap_init(&h, base + PAGE, base, &env, 0) == HEAP_ERR_RANGE &&
                  heap_init(&h, base, base + PAGE, &env, 0) == HEAP_ERR_RANGE,
              "empty, reversed and one-page regions refused");
    TAP_CHECK(heap_init(&h, base, base + ((uintptr_t)HEAP_MAX_PAGES + 1) * PAGE, &env, 0) ==
                  HEAP_ERR_RANGE,
              "a region over 4 GiB refused");
    TAP_CHECK(heap_init(&h, base, base + 2 * PAGE, &no_release, 0) == HEAP_ERR_ENV &&
                  heap_init(&h, base, base + 2 * PAGE, NULL, 0) == HEAP_ERR_ENV,
              "missing callbacks refused");
    TAP_CHECK(heap_init(&h, base, base + 2 * PAGE, &env, 2) == HEAP_ERR_FLAGS,
              "unknown flags refused");
    TAP_CHECK(strcmp(heap_status_text(HEAP_ERR_ALIGN), "region start or end not page-aligned") == 0,
              "status text: %s", heap_status_text(HEAP_ERR_ALIGN));

    /* The descriptor pages are the fewest that describe the pages after them. */
    static const uint32_t sizes[] = {2, 3, 170, 171, 172, 4096, 4120, 65536, HEAP_MAX_PAGES};
    bool minimal = true;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t total = sizes[i];
        if (heap_init(&h, base, base + (uintptr_t)total * PAGE, &env, 0) != HEAP_OK) {
            minimal = false;
            continue;
        }
        struct heap_stats s;
        heap_stats(&h, &s);
        uint32_t d = s.descriptor_pages;
        uint64_t need = ((uint64_t)(total - d) * sizeof(struct heap_page) + PAGE - 1) / PAGE;
        uint64_t need_one_less =
            ((uint64_t)(total - d + 1) * sizeof(struct heap_page) + PAGE - 1) / PAGE;
        if (need > d || (d > 1 && need_one_less <= d - 1) || s.backed_pages != 0 ||
            s.region_pages != total) {
            tap_diag("%u pages: %u descriptor pages (need %llu)", total, d,
                     (unsigned long long)need);
            minimal = false;
        }
    }
    TAP_CHECK(minimal, "descriptor pages minimal for 2 pages .. 4 GiB; init backs nothing");
}

/* ---- sizes and alignment ---- */

static void test_boundary_sizes(uint32_t flags)
{
    struct fixture f;
    if (!TAP_CHECK(fixture_init(&f, 4096, flags), "%s: heap over 16 MiB", mode_name(flags)))
        return;
    struct heap_model m;
    heap_model_init(&m, f.env.start, f.env.end, flags & HEAP_FLAG_DEBUG, 64);
    static const size_t sizes[] = {0,    1,    8,    15,   16,   17,    31,     32,
                                   48,   127,  128,  129,  2040, 2047,  2048,   2049,
                                   3575, 3576, 3577, 3583, 3584, 3585,  4088,   4089,
                                   4095, 4096, 4097, 8192, 8193, 65536, 1 << 20};
    bool ok = true;
    void *p[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && ok; i++) {
        p[i] = heap_alloc(&f.heap, sizes[i]);
        ok = heap_model_alloc(&m, p[i], sizes[i], false) &&
             heap_model_check_stats(&m, &f.heap, &f.env);
        if (!ok)
            tap_diag("size %zu: %s", sizes[i], m.error);
    }
    TAP_CHECK(ok,
              "%s: sizes 0, 1, 16, 17, 2048, 2049, 3584, 3585, 4096, 1 MiB land in the right "
              "class or page count, aligned, apart",
              mode_name(flags));
    for (uint32_t k = 0; k < m.count && ok; k++)
        ok = heap_model_intact(&m, k);
    TAP_CHECK(ok, "%s: every object keeps its fill pattern", mode_name(flags));
    TAP_CHECK(audit_ok(&f.heap, "boundary sizes"), "%s: audit clean", mode_name(flags));
    while (m.count && ok) {
        void *q = (void *)m.live[m.count - 1].ptr;
        ok = heap_model_free(&m, m.count - 1);
        heap_free(&f.heap, q);
        ok = ok && heap_model_check_stats(&m, &f.heap, &f.env);
    }
    TAP_CHECK(ok, "%s: all freed, stats follow the model%s%s", mode_name(flags), ok ? "" : ": ",
              ok ? "" : m.error);
    heap_free(&f.heap, NULL);
    TAP_CHECK(heap_trim(&f.heap) > 0 && f.env.backed_pages == 0 && f.env.error[0] == 0,
              "%s: after trim no page is backed (%u)", mode_name(flags), f.env.backed_pages);
    heap_model_destroy(&m);
    heap_test_env_destroy(&f.env);
}

static void test_alignment_every_size(uint32_t flags)
{
    struct fixture f;
    if (!fixture_init(&f, 32768, flags))
        return;
    enum { MAX = 9000 };
    static void *p[MAX + 1];
    bool aligned = true, distinct = true;
    for (size_t size = 0; size <= MAX; size++) {
        p[size] = heap_alloc(&f.heap, size);
        uintptr_t a = (uintptr_t)p[size];
        size_t want =
            heap_model_class(&(struct heap_model){.debug = flags != 0}, size) < 0 ? PAGE : 16;
        if (a == 0 || a % want != 0) {
            aligned = false;
            tap_diag("size %zu at 0x%lx", size, (unsigned long)a);
        }
        if (a)
            memset(p[size], 0xEE, size);
        if (size > 0 && p[size] == p[size - 1])
            distinct = false;
    }
    TAP_CHECK(aligned, "%s: every size 0..%d: aligned to 16 (8 for the smallest), large to a page",
              mode_name(flags), MAX);
    TAP_CHECK(distinct && audit_ok(&f.heap, "every size"),
              "%s: distinct, written in full, audit "
              "clean",
              mode_name(flags));
    for (size_t size = 0; size <= MAX; size++)
        heap_free(&f.heap, p[size]);
    heap_trim(&f.heap);
    TAP_CHECK(f.env.backed_pages == 0 && f.env.error[0] == 0,
              "%s: all given back (%u pages still backed) %s", mode_name(flags), f.env.backed_pages,
              f.env.error);
    heap_test_env_destroy(&f.env);
}

/* ---- every object of every class ---- */

/*
 * kfree finds an object's index by one multiplication with the class's reciprocal: every object
 * start of every class must map to itself, and every other byte must be refused with its exact
 * offset into its object.
 */
static void test_every_object(void)
{
    struct fixture f;
    if (!fixture_init(&f, 1024, 0))
        return;
    bool starts = true, interiors = true;
    for (int c = 0; c < HEAP_CLASS_COUNT && starts && interiors; c++) {
        uint32_t size = heap_class_table[c].size;
        uint32_t objects = heap_class_table[c].pages * PAGE / size;
        static uint8_t *p[256];
        for (uint32_t i = 0; i < objects; i++) {
            p[i] = heap_alloc(&f.heap, size);
            if (p[i] == NULL || (i > 0 && p[i] != p[i - 1] + size))
                starts = false;
        }
        uint8_t *last = p[objects - 1];
        for (uint32_t k = 1; k < size && interiors; k++) {
            char want[160];
            snprintf(want, sizeof want,
                     "heap: kfree(0x%lx): not the start of an object: %u bytes into the %u B "
                     "object at 0x%lx",
                     (unsigned long)(last + k), k, size, (unsigned long)last);
            if (!MEM_PANICS(heap_free(&f.heap, last + k)) || strcmp(mem_panic_message, want)) {
                tap_diag("class %u B, offset %u: %s", size, k, mem_panic_message);
                interiors = false;
            }
        }
        for (uint32_t i = 0; i < objects && starts; i++)
            starts = !MEM_PANICS(heap_free(&f.heap, p[i]));
    }
    TAP_CHECK(starts, "every object of a full slab of every class is found by its address");
    TAP_CHECK(interiors,
              "every interior byte of the last object of every class is refused with its "
              "offset");
    TAP_CHECK(audit_ok(&f.heap, "every object"), "audit clean");
    heap_test_env_destroy(&f.env);
}

/* ---- statistics, spares, trim ---- */

static int class_of(uint32_t size)
{
    for (int c = 0; c < HEAP_CLASS_COUNT; c++)
        if (heap_class_table[c].size == size)
            return c;
    return -1;
}

static void test_stats_exact(void)
{
    struct fixture f;
    if (!fixture_init(&f, 1024, 0))
        return;
    int c64 = class_of(64);
    void *p[130];
    for (int i = 0; i < 10; i++)
        p[i] = heap_alloc(&f.heap, 50 + i);
    struct heap_stats s;
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.cls[c64].in_use == 10 && s.cls[c64].slabs == 1 && s.cls[c64].pages == 1 &&
                  s.cls[c64].allocs == 10 && s.cls[c64].frees == 0 &&
                  s.cls[c64].peak_in_use == 10 && s.small_in_use == 10,
              "10 objects of 50..59 B: class 64 B, 1 slab, 10 in use");
    TAP_CHECK(s.backed_pages == 2 && s.descriptor_backed == 1 && s.slab_pages == 1 &&
                  s.frontier == 1,
              "backed: 1 descriptor page + 1 slab page (got %u)", s.backed_pages);
    for (int i = 10; i < 65; i++)
        p[i] = heap_alloc(&f.heap, 64);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.cls[c64].objects_per_slab == 64 && s.cls[c64].slabs == 2 && s.cls[c64].in_use == 65,
              "the 65th 64 B object opens a second slab");
    for (int i = 0; i < 65; i++)
        heap_free(&f.heap, p[i]);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.cls[c64].in_use == 0 && s.cls[c64].slabs == 1 && s.cls[c64].spare == 1 &&
                  s.cls[c64].frees == 65 && s.cls[c64].peak_in_use == 65 && s.slab_pages == 1,
              "all freed: one slab given back, one kept as the spare, peak 65");
    TAP_CHECK(f.env.release_calls == 1, "one release() call (%u)", f.env.release_calls);

    /* A slab boundary crossed back and forth costs no back()/release() with the spare. */
    for (int i = 0; i < 64; i++)
        p[i] = heap_alloc(&f.heap, 64);
    uint32_t backs = f.env.back_calls, releases = f.env.release_calls;
    for (int round = 0; round < 1000; round++) {
        p[64] = heap_alloc(&f.heap, 64);
        heap_free(&f.heap, p[64]);
    }
    TAP_CHECK(f.env.back_calls == backs + 1 && f.env.release_calls == releases,
              "1000 alloc/free across a slab boundary: %u back, %u release calls",
              f.env.back_calls - backs, f.env.release_calls - releases);
    for (int i = 0; i < 64; i++)
        heap_free(&f.heap, p[i]);

    void *big = heap_alloc(&f.heap, 10000);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.large_in_use == 1 && s.large_pages == 3 && s.large_bytes == 10000 &&
                  s.large_allocs == 1,
              "a 10000 B block: 3 pages, 10000 bytes");
    heap_free(&f.heap, big);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.large_in_use == 0 && s.large_pages == 0 && s.large_frees == 1,
              "freed: its pages are gone");
    TAP_CHECK(heap_alloc(&f.heap, (size_t)1024 * PAGE) == NULL, "a request larger than the region "
                                                                "fails");
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.failed_allocs == 1, "failed allocations counted (%llu)",
              (unsigned long long)s.failed_allocs);
    uint32_t trimmed = heap_trim(&f.heap);
    heap_stats(&f.heap, &s);
    TAP_CHECK(trimmed == 2 && s.backed_pages == 0 && f.env.backed_pages == 0 &&
                  s.peak_backed_pages >= 4,
              "trim gives back the spare slab and the descriptor page (%u pages)", trimmed);
    TAP_CHECK(audit_ok(&f.heap, "stats"), "audit clean");
    heap_test_env_destroy(&f.env);
}

/* ---- page runs ---- */

static void test_large_runs(void)
{
    struct fixture f;
    if (!fixture_init(&f, 16384, 0))
        return;
    struct heap_stats s;
    uint8_t *a = heap_alloc(&f.heap, 1 * PAGE);
    uint8_t *b = heap_alloc(&f.heap, 3 * PAGE);
    uint8_t *c = heap_alloc(&f.heap, 2 * PAGE);
    uint8_t *d = heap_alloc(&f.heap, 5 * PAGE);
    TAP_CHECK(b == a + PAGE && c == b + 3 * PAGE && d == c + 2 * PAGE,
              "blocks of 1, 3, 2, 5 pages laid out in order from the region's data start");
    heap_free(&f.heap, b);
    heap_free(&f.heap, c);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.free_runs == 1 && s.free_pages == 5 && s.frontier == 11,
              "freeing the 3 and the 2 leaves one hole of 5 pages (runs %u, pages %u)", s.free_runs,
              s.free_pages);
    uint8_t *e = heap_alloc(&f.heap, 4 * PAGE);
    heap_stats(&f.heap, &s);
    TAP_CHECK(e == b && s.free_runs == 1 && s.free_pages == 1 && s.frontier == 11,
              "4 pages reuse the hole; 1 page is left");
    heap_free(&f.heap, d);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.frontier == 5 && s.free_runs == 0,
              "freeing the top block lowers the frontier through the hole below it (%u)",
              s.frontier);
    heap_free(&f.heap, a);
    heap_free(&f.heap, e);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.frontier == 0 && s.free_runs == 0 && s.large_pages == 0,
              "everything freed: frontier 0, no holes");

    /* Many runs of many lengths, freed in a shuffled order: they merge back to nothing. */
    struct mem_rng rng = {7};
    void *blocks[300];
    for (int i = 0; i < 300; i++)
        blocks[i] = heap_alloc(&f.heap, (size_t)(mem_rng_below(&rng, 40) + 1) * PAGE - 100);
    for (int i = 299; i > 0; i--) {
        int j = (int)mem_rng_below(&rng, (uint64_t)i + 1);
        void *t = blocks[i];
        blocks[i] = blocks[j];
        blocks[j] = t;
    }
    bool audits = true;
    for (int i = 0; i < 300; i++) {
        if (blocks[i] == NULL)
            continue;
        heap_free(&f.heap, blocks[i]);
        if (i % 10 == 0)
            audits = audits && audit_ok(&f.heap, "shuffled large frees");
    }
    heap_stats(&f.heap, &s);
    TAP_CHECK(audits && s.frontier == 0 && s.free_runs == 0,
              "300 runs of 1..40 pages freed shuffled: coalesced to nothing");
    TAP_CHECK(heap_trim(&f.heap) >= 1 && f.env.backed_pages == 0 && f.env.error[0] == 0,
              "nothing left backed %s", f.env.error);
    heap_test_env_destroy(&f.env);

    /* Bins above 31 pages hold runs of mixed lengths: a run too short must never be taken. */
    if (!fixture_init(&f, 128, 0)) /* 1 descriptor page, 127 data pages */
        return;
    uint8_t *hole = heap_alloc(&f.heap, 40 * PAGE);
    uint8_t *cap = heap_alloc(&f.heap, PAGE);
    heap_free(&f.heap, hole);
    uint8_t *fifty = heap_alloc(&f.heap, 50 * PAGE);
    TAP_CHECK(fifty == cap + PAGE, "50 pages with a 40-page hole: taken at the frontier");
    heap_free(&f.heap, fifty);
    uint8_t *too_big = heap_alloc(&f.heap, 90 * PAGE);
    TAP_CHECK(too_big == NULL, "90 pages: the frontier has 86, the hole 40: NULL");
    uint8_t *top = heap_alloc(&f.heap, 86 * PAGE);
    uint8_t *fits = heap_alloc(&f.heap, 33 * PAGE);
    heap_stats(&f.heap, &s);
    TAP_CHECK(top == cap + PAGE && fits == hole && s.free_runs == 1 && s.free_pages == 7,
              "frontier full: 33 pages found by scanning the 32..63 bin: the 40-page hole");
    TAP_CHECK(heap_alloc(&f.heap, 34 * PAGE) == NULL && audit_ok(&f.heap, "bin scan"),
              "34 pages: no run long enough, NULL, audit clean");
    heap_free(&f.heap, fits);
    heap_free(&f.heap, top);
    heap_free(&f.heap, cap);
    heap_stats(&f.heap, &s);
    TAP_CHECK(s.frontier == 0 && s.free_runs == 0, "all merged back");
    heap_test_env_destroy(&f.env);
}

/* ---- exhaustion and refused frames ---- */

static void test_exhaustion(uint32_t flags)
{
    struct fixture f;
    if (!fixture_init(&f, 64, flags))
        return;
    static void *p[64 * 64];
    uint32_t n = 0;
    while (n < 64 * 64 && (p[n] = heap_alloc(&f.heap, 60)) != NULL)
        n++;
    struct heap_stats s;
    heap_stats(&f.heap, &s);
    /* 64 pages: one descriptor page, 63 slab pages of 64 B objects (80 B in debug: 51). */
    uint32_t per_page = flags ? 51 : 64;
    TAP_CHECK(n == 63 * per_page && s.failed_allocs == 1 && s.frontier == 63,
              "%s: a 64-page region holds %u objects of 60 B (%u expected)", mode_name(flags), n,
              63 * per_page);
    TAP_CHECK(heap_alloc(&f.heap, 5000) == NULL && audit_ok(&f.heap, "full"),
              "%s: full: a large request fails, audit clean", mode_name(flags));
    for (uint32_t i = 0; i < n; i += 2)
        heap_free(&f.heap, p[i]);
    uint32_t again = 0;
    while (heap_alloc(&f.heap, 60) != NULL)
        again++;
    TAP_CHECK(again == (n + 1) / 2, "%s: every other object freed: exactly those come back (%u)",
              mode_name(flags), again);
    heap_test_env_destroy(&f.env);

    /* Frames refused at every possible back() call of a mixed sequence. */
    bool clean = true;
    uint32_t refusals = 0, fail_at;
    for (fail_at = 1;; fail_at++) {
        if (!fixture_init(&f, 256, flags))
            return;
        f.env.fail_countdown = fail_at;
        void *q[40];
        for (uint32_t i = 0; i < 40; i++) {
            size_t size = i % 3 == 0 ? 20000 : i % 3 == 1 ? 3000 : 100 + i * 50;
            q[i] = heap_alloc(&f.heap, size);
        }
        refusals += f.env.refused;
        struct heap_stats st;
        heap_stats(&f.heap, &st);
        if (!audit_ok(&f.heap, "refused frame") || st.backed_pages != f.env.backed_pages ||
            (f.env.refused && st.failed_allocs == 0) || f.env.error[0]) {
            tap_diag("refusal at back() %u: %u backed, env %u, %s", fail_at, st.backed_pages,
                     f.env.backed_pages, f.env.error);
            clean = false;
        }
        for (uint32_t i = 0; i < 40; i++)
            heap_free(&f.heap, q[i]);
        heap_trim(&f.heap);
        if (f.env.backed_pages != 0)
            clean = false;
        bool refused = f.env.refused != 0;
        heap_test_env_destroy(&f.env);
        if (!refused)
            break;
    }
    TAP_CHECK(clean && refusals == fail_at - 1 && refusals >= 20,
              "%s: a frame refused at each of the %u back() calls of a sequence: NULL, nothing "
              "leaked, audit clean",
              mode_name(flags), refusals);
}

/* ---- panics ---- */

/* kfree(ptr) must panic with exactly want and leave the heap as it was (counters, audit). */
static bool panics_with(struct heap *h, void *ptr, const char *want, bool audit)
{
    char msg[256];
    struct heap_stats s0, s1;
    heap_stats(h, &s0);
    bool panicked = MEM_PANICS(heap_free(h, ptr));
    heap_stats(h, &s1);
    bool unchanged = memcmp(&s0, &s1, sizeof s0) == 0 && (!audit || heap_audit(h, msg, sizeof msg));
    if (!panicked || strcmp(mem_panic_message, want) != 0 || !unchanged) {
        tap_diag("kfree(%p): panicked %d, heap unchanged %d", ptr, panicked, unchanged);
        tap_diag("  got:  %s", mem_panic_message);
        tap_diag("  want: %s", want);
        return false;
    }
    return true;
}

static void test_panics(void)
{
    struct fixture f;
    if (!fixture_init(&f, 1024, 0))
        return;
    struct heap *h = &f.heap;
    char want[256];
    uintptr_t data = f.env.start + PAGE * h->descriptor_pages;
    uint8_t *obj = heap_alloc(h, 64);
    uint8_t *other = heap_alloc(h, 64);

    snprintf(
        want, sizeof want, "heap: kfree(0x%lx): not a heap address (the heap is [0x%lx, 0x%lx))",
        (unsigned long)(f.env.start - 16), (unsigned long)f.env.start, (unsigned long)f.env.end);
    TAP_CHECK(panics_with(h, (void *)(f.env.start - 16), want, true), "below the region: %s", want);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): not a heap address (the heap is [0x%lx, 0x%lx))",
             (unsigned long)f.env.end, (unsigned long)f.env.start, (unsigned long)f.env.end);
    TAP_CHECK(panics_with(h, (void *)f.env.end, want, true), "at the region's end");
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): inside the heap's page descriptors, not an object",
             (unsigned long)(f.env.start + 32));
    TAP_CHECK(panics_with(h, (void *)(f.env.start + 32), want, true), "in the descriptors: %s",
              want);
    snprintf(want, sizeof want, "heap: kfree(0x%lx): not allocated: heap page 40 is unused",
             (unsigned long)(data + 40 * PAGE));
    TAP_CHECK(panics_with(h, (void *)(data + 40 * PAGE), want, true), "above the frontier: %s",
              want);

    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): not the start of an object: 8 bytes into the 64 B object at "
             "0x%lx",
             (unsigned long)(obj + 8), (unsigned long)obj);
    TAP_CHECK(panics_with(h, obj + 8, want, true), "inside an object: %s", want);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): not the start of an object: 63 bytes into the 64 B object at "
             "0x%lx",
             (unsigned long)(obj + 63), (unsigned long)obj);
    TAP_CHECK(panics_with(h, obj + 63, want, true), "at an object's last byte");

    /* 48 B objects: 85 per page, the last 16 bytes of the page belong to none. */
    uint8_t *small = heap_alloc(h, 48);
    uintptr_t slab48 = (uintptr_t)small & ~(uintptr_t)(PAGE - 1);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): past the last object of the 48 B slab at 0x%lx",
             (unsigned long)(slab48 + 4080), (unsigned long)slab48);
    TAP_CHECK(panics_with(h, (void *)(slab48 + 4080), want, true), "in a slab's unused tail: %s",
              want);
    snprintf(want, sizeof want, "heap: kfree(0x%lx): 48 B object not allocated (double kfree?)",
             (unsigned long)(slab48 + 48));
    TAP_CHECK(panics_with(h, (void *)(slab48 + 48), want, true),
              "the next object, never handed out: %s", want);

    heap_free(h, obj);
    snprintf(want, sizeof want,
             "heap: double kfree of 0x%lx (64 B object, already on its slab's free list)",
             (unsigned long)obj);
    TAP_CHECK(panics_with(h, obj, want, true), "double kfree: %s", want);
    heap_free(h, other);
    snprintf(want, sizeof want, "heap: kfree(0x%lx): 64 B object not allocated (double kfree?)",
             (unsigned long)other);
    TAP_CHECK(panics_with(h, other, want, true), "double kfree once the slab is the spare: %s",
              want);

    /* Data that looks like the free tag does not make a valid kfree panic. */
    uint8_t *x = heap_alloc(h, 64);
    heap_free(h, x);
    uint32_t tag;
    memcpy(&tag, x + 4, 4);
    uint8_t *y = heap_alloc(h, 64);
    memcpy(y + 4, &tag, 4);
    TAP_CHECK(y == x && !MEM_PANICS(heap_free(h, y)) && audit_ok(h, "look-alike tag"),
              "an allocated object holding its own free tag is freed without a panic");

    uint8_t *big = heap_alloc(h, 3 * PAGE + 5);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): inside the large block at 0x%lx (12293 bytes, 4 pages), not "
             "its start",
             (unsigned long)(big + 2 * PAGE), (unsigned long)big);
    TAP_CHECK(panics_with(h, big + 2 * PAGE, want, true), "into a large block's middle: %s", want);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): inside the large block at 0x%lx (12293 bytes, 4 pages), not "
             "its start",
             (unsigned long)(big + 100), (unsigned long)big);
    TAP_CHECK(panics_with(h, big + 100, want, true), "into a large block's first page");
    uint8_t *cap = heap_alloc(h, PAGE); /* keeps the frontier above big */
    uint32_t big_page = (uint32_t)(((uintptr_t)big - data) / PAGE);
    heap_free(h, big);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): not allocated: heap page %u is free (double kfree?)",
             (unsigned long)big, big_page);
    TAP_CHECK(panics_with(h, big, want, true), "double kfree of a large block: %s", want);
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): not allocated: heap page %u is free (double kfree?)",
             (unsigned long)(big + 3 * PAGE + 8), big_page + 3);
    TAP_CHECK(panics_with(h, big + 3 * PAGE + 8, want, true), "into a freed run's last page");
    heap_free(h, cap);

    /* A use after free that breaks the free list is caught when kmalloc pops it. */
    uint8_t *z = heap_alloc(h, 96);
    uint8_t *z2 = heap_alloc(h, 96);
    heap_free(h, z);
    uint32_t saved;
    memcpy(&saved, z, 4);
    z[0] = 0x41;
    z[1] = 0x41;
    snprintf(want, sizeof want,
             "heap: 96 B object at 0x%lx written after kfree: its free-list link (16705) or tag "
             "(0x%08x) is damaged",
             (unsigned long)z, tag ^ (uint32_t)(((uintptr_t)x ^ (uintptr_t)z) >> 4));
    TAP_CHECK(MEM_PANICS(heap_alloc(h, 96)) && strcmp(mem_panic_message, want) == 0,
              "a damaged free-list link panics at kmalloc: %s", mem_panic_message);
    memcpy(z, &saved, 4);
    TAP_CHECK(heap_alloc(h, 96) == z && audit_ok(h, "repaired link"),
              "repaired, the object is handed out again");
    heap_free(h, z);
    heap_free(h, z2);
    heap_free(h, small);
    TAP_CHECK(audit_ok(h, "panics"), "after every panic the heap is consistent");
    heap_test_env_destroy(&f.env);
}

static void test_debug_panics(void)
{
    struct fixture f;
    if (!fixture_init(&f, 1024, HEAP_FLAG_DEBUG))
        return;
    struct heap *h = &f.heap;
    char want[256];

    uint8_t *a = heap_alloc(h, 40); /* 40 + 8 -> the 48 B class */
    a[40] = 0x41;
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): write past the end of a 40-byte object (48 B class): redzone "
             "byte +40 is 0x41, not 0xcc",
             (unsigned long)a);
    TAP_CHECK(panics_with(h, a, want, true), "one byte past a small object: %s", want);
    a[40] = 0xCC;
    a[44] = 0;
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): write past the end of a 48 B class object: its size word (+44) "
             "reads 0xc0de0000",
             (unsigned long)a);
    a[44] = 0x00, a[45] = 0x00, a[46] = 0xde, a[47] = 0xc0;
    TAP_CHECK(panics_with(h, a, want, true), "the size word overwritten: %s", want);
    a[44] = 40;
    TAP_CHECK(!MEM_PANICS(heap_free(h, a)), "repaired, the object frees cleanly");

    uint8_t *b = heap_alloc(h, 2048); /* 2056 -> 2560 B class */
    memset(b, 1, 2048);
    b[2050] = 0;
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): write past the end of a 2048-byte object (2560 B class): "
             "redzone byte +2050 is 0x00, not 0xcc",
             (unsigned long)b);
    TAP_CHECK(panics_with(h, b, want, true), "past a 2048 B object: %s", want);
    b[2050] = 0xCC;
    heap_free(h, b);

    uint8_t *big = heap_alloc(h, 2 * PAGE);
    struct heap_stats s;
    heap_stats(h, &s);
    TAP_CHECK(s.large_pages == 3, "debug: a 2-page request gets a third page for its redzone");
    big[2 * PAGE + 7] = 9;
    snprintf(want, sizeof want,
             "heap: kfree(0x%lx): write past the end of a 8192-byte large block (3 pages): "
             "redzone byte +8199 is 0x09, not 0xcc",
             (unsigned long)big);
    TAP_CHECK(panics_with(h, big, want, true), "past a large block: %s", want);
    big[2 * PAGE + 7] = 0xCC;
    heap_free(h, big);

    /* Use after free: the poison is checked when the object is handed out again... */
    uint8_t *keep = heap_alloc(h, 100);
    uint8_t *c = heap_alloc(h, 100);
    heap_free(h, c);
    c[50] = 7;
    snprintf(want, sizeof want,
             "heap: 112 B object at 0x%lx written after kfree (found by kmalloc): byte +50 is "
             "0x07, not 0x6b",
             (unsigned long)c);
    TAP_CHECK(MEM_PANICS(heap_alloc(h, 100)) && strcmp(mem_panic_message, want) == 0,
              "a write after kfree panics at the next kmalloc: %s", mem_panic_message);
    c[50] = 0x6B;
    /* ... and when its slab empties. */
    c[60] = 8;
    snprintf(want, sizeof want,
             "heap: 112 B object at 0x%lx written after kfree (found when its slab emptied): byte "
             "+60 is 0x08, not 0x6b",
             (unsigned long)c);
    TAP_CHECK(panics_with(h, keep, want, false),
              "a write after kfree panics when the slab empties: %s", want, true);
    c[60] = 0x6B;
    char msg[256];
    c[70] = 1;
    TAP_CHECK(!heap_audit(h, msg, sizeof msg) && strstr(msg, "not poison"),
              "the audit sees a damaged poison too: %s", msg);
    c[70] = 0x6B;
    heap_free(h, keep);
    TAP_CHECK(audit_ok(h, "debug panics"), "debug: consistent after every panic");
    heap_test_env_destroy(&f.env);
}

static void test_kmalloc(void)
{
    TAP_CHECK(MEM_PANICS(kmalloc(10)) &&
                  strcmp(mem_panic_message, "heap: kmalloc(10) before a heap was installed") == 0,
              "kmalloc before heap_install panics: %s", mem_panic_message);
    struct fixture f;
    if (!fixture_init(&f, 256, HEAP_FLAG_DEBUG))
        return;
    heap_install(&f.heap);
    uint8_t *p = kmalloc(100);
    uint8_t *z = kzalloc(300);
    bool zero = z != NULL;
    for (int i = 0; i < 300 && zero; i++)
        zero = z[i] == 0;
    memset(p, 1, 100);
    kfree(p);
    kfree(z);
    kfree(NULL);
    struct heap_stats s;
    heap_stats(&f.heap, &s);
    TAP_CHECK(zero && s.small_in_use == 0 && s.cls[class_of(112)].allocs == 1 &&
                  s.cls[class_of(320)].allocs == 1,
              "kmalloc, kzalloc (zeroed) and kfree go to the installed heap");
    heap_install(NULL);
    heap_test_env_destroy(&f.env);
}

/* ---- random and adversarial sequences against the model ---- */

struct run_report {
    uint64_t allocs, zallocs, frees, failed, bad_frees, audits;
    uint32_t peak_live;
};

/* Sizes: mostly small (each class), some at class and page boundaries, some large. */
static size_t random_size(struct mem_rng *rng)
{
    static const size_t edges[] = {0,    1,    15,   16,   17,    127,  128,  129,
                                   2047, 2048, 2049, 3583, 3584,  3585, 4095, 4096,
                                   4097, 8191, 8192, 8193, 12288, 3576, 3577, 65536};
    uint32_t dice = (uint32_t)mem_rng_below(rng, 100);
    if (dice < 55)
        return (size_t)mem_rng_below(rng, 257);
    if (dice < 80)
        return (size_t)mem_rng_below(rng, HEAP_SMALL_MAX + 1);
    if (dice < 92)
        return edges[mem_rng_below(rng, sizeof edges / sizeof edges[0])];
    if (dice < 98)
        return (size_t)mem_rng_below(rng, 40000) + 1;
    return (size_t)mem_rng_below(rng, 300000) + 1; /* up to 74 pages: the power-of-two bins */
}

/* A free that must panic: a live object's pointer plus an offset that is not its start. */
static bool bad_free(struct fixture *f, struct heap_model *m, struct mem_rng *rng)
{
    if (m->count == 0)
        return true;
    const struct heap_model_object *o = &m->live[mem_rng_below(rng, m->count)];
    size_t offset = (size_t)mem_rng_below(rng, o->size > 1 ? o->size - 1 : 1) + 1;
    if (o->size <= 1)
        offset = 1;
    struct heap_stats before, after;
    heap_stats(&f->heap, &before);
    bool panicked = MEM_PANICS(heap_free(&f->heap, (void *)(o->ptr + offset)));
    heap_stats(&f->heap, &after);
    if (!panicked || memcmp(&before, &after, sizeof before) != 0) {
        snprintf(m->error, sizeof m->error, "kfree(object 0x%lx + %zu) %s", (unsigned long)o->ptr,
                 offset, panicked ? "changed the heap" : "did not panic");
        return false;
    }
    return true;
}

static bool run_sequence(uint32_t pages, uint32_t flags, uint64_t seed, uint32_t ops,
                         uint32_t frame_limit, struct run_report *r)
{
    struct fixture f;
    if (!fixture_init(&f, pages, flags))
        return false;
    f.env.frame_limit = frame_limit;
    struct heap_model m;
    heap_model_init(&m, f.env.start, f.env.end, flags & HEAP_FLAG_DEBUG, 1u << 16);
    struct mem_rng rng = {seed};
    bool ok = true;
    memset(r, 0, sizeof *r);
    for (uint32_t op = 0; op < ops && ok; op++) {
        /* Phases: grow to many live objects, churn, drain; then again. */
        uint32_t phase = (op / (ops / 8 + 1)) % 4;
        uint32_t alloc_share = phase == 0 ? 75 : phase == 3 ? 25 : 50;
        uint32_t dice = (uint32_t)mem_rng_below(&rng, 100);
        if (dice < alloc_share && m.count < m.capacity) {
            size_t size = random_size(&rng);
            bool zero = mem_rng_below(&rng, 4) == 0;
            void *p = zero ? heap_zalloc(&f.heap, size) : heap_alloc(&f.heap, size);
            if (p == NULL) {
                r->failed++;
                continue;
            }
            ok = heap_model_alloc(&m, p, size, zero);
            r->allocs++;
            r->zallocs += zero;
        } else if (dice < 98 && m.count) {
            uint32_t k = (uint32_t)mem_rng_below(&rng, m.count);
            void *p = (void *)m.live[k].ptr;
            ok = heap_model_free(&m, k);
            heap_free(&f.heap, p);
            r->frees++;
        } else if (dice < 99) {
            r->bad_frees += m.count != 0;
            ok = bad_free(&f, &m, &rng);
        } else if (mem_rng_below(&rng, 16) == 0) {
            heap_trim(&f.heap);
        }
        if (m.count > r->peak_live)
            r->peak_live = m.count;
        if (ok)
            ok = heap_model_check_stats(&m, &f.heap, &f.env);
        if (ok && (op % 1024 == 0 || op == ops - 1)) {
            char msg[256];
            for (uint32_t k = 0; k < m.count && ok; k++)
                ok = heap_model_intact(&m, k);
            if (ok && !heap_audit(&f.heap, msg, sizeof msg)) {
                snprintf(m.error, sizeof m.error, "audit: %s", msg);
                ok = false;
            }
            r->audits++;
        }
        if (!ok)
            tap_diag("seed %#" PRIx64 " op %u: %s", seed, op, m.error);
    }
    while (ok && m.count) {
        void *p = (void *)m.live[m.count - 1].ptr;
        ok = heap_model_free(&m, m.count - 1);
        heap_free(&f.heap, p);
    }
    if (ok) {
        heap_trim(&f.heap);
        ok = heap_model_check_stats(&m, &f.heap, &f.env) && f.env.backed_pages == 0 &&
             audit_ok(&f.heap, "drain");
        if (!ok)
            tap_diag("seed %#" PRIx64 " drain: %s (%u pages backed)", seed, m.error,
                     f.env.backed_pages);
    }
    heap_model_destroy(&m);
    heap_test_env_destroy(&f.env);
    return ok;
}

static void test_random(uint32_t ops)
{
    static const struct {
        uint32_t pages, flags, frame_limit;
        uint64_t seed;
        const char *what;
    } runs[] = {
        {16384, 0, 0, 0x1234, "64 MiB region"},
        {16384, HEAP_FLAG_DEBUG, 0, 0x5678, "64 MiB region, debug"},
        {600, 0, 0, 0x9abc, "2.3 MiB region (runs out)"},
        {600, HEAP_FLAG_DEBUG, 0, 0xdef0, "2.3 MiB region, debug (runs out)"},
        {16384, 0, 700, 0x4242, "64 MiB region, 700 frames (frames run out)"},
        {16384, HEAP_FLAG_DEBUG, 700, 0x4343, "64 MiB region, 700 frames, debug"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct run_report r;
        bool ok =
            run_sequence(runs[i].pages, runs[i].flags, runs[i].seed, ops, runs[i].frame_limit, &r);
        TAP_CHECK(ok, "random, %s: %u ops against the model", runs[i].what, ops);
        tap_diag("  %" PRIu64 " allocs (%" PRIu64 " zeroed), %" PRIu64 " frees, %" PRIu64
                 " NULL, %" PRIu64 " bad frees caught, peak %u live, %" PRIu64 " audits",
                 r.allocs, r.zallocs, r.frees, r.failed, r.bad_frees, r.peak_live, r.audits);
    }
}

/* Adversarial orders: each one a fixed pattern the random runs are unlikely to produce. */
static bool adversarial(uint32_t flags, int pattern, char *what, size_t what_size)
{
    struct fixture f;
    if (!fixture_init(&f, 8192, flags))
        return false;
    struct heap_model m;
    heap_model_init(&m, f.env.start, f.env.end, flags & HEAP_FLAG_DEBUG, 1u << 15);
    bool ok = true;
    uint32_t n = 0;
#define ALLOC(size)                                                                                \
    do {                                                                                           \
        size_t size_ = (size);                                                                     \
        ok = ok && heap_model_alloc(&m, heap_alloc(&f.heap, size_), size_, false);                 \
    } while (0)
#define FREE(k)                                                                                    \
    do {                                                                                           \
        uint32_t k_ = (k);                                                                         \
        void *p_ = (void *)m.live[k_].ptr;                                                         \
        ok = ok && heap_model_free(&m, k_);                                                        \
        heap_free(&f.heap, p_);                                                                    \
    } while (0)
    switch (pattern) {
    case 0:
        snprintf(what, what_size, "fill a class, free every other object, refill with another");
        for (n = 0; n < 4000; n++)
            ALLOC(64);
        for (uint32_t k = 0; k < m.count && ok; k++)
            FREE(k); /* swap-remove: frees every other object of the original order */
        for (n = 0; n < 2000 && ok; n++)
            ALLOC(48);
        break;
    case 1:
        snprintf(what, what_size, "sawtooth: 3000 up, all down in reverse, five times");
        for (int round = 0; round < 5 && ok; round++) {
            for (n = 0; n < 3000 && ok; n++)
                ALLOC(16 + (n * 37) % 3000);
            while (m.count && ok)
                FREE(m.count - 1);
        }
        break;
    case 2:
        snprintf(what, what_size, "FIFO: free the oldest object for every new one");
        for (n = 0; n < 20000 && ok; n++) {
            ALLOC((n * 97) % 5000);
            if (m.count > 500) {
                /* Oldest = lowest id: keep the array ordered by moving the rest down. */
                uint32_t oldest = 0;
                for (uint32_t k = 1; k < m.count; k++)
                    if (m.live[k].id < m.live[oldest].id)
                        oldest = k;
                FREE(oldest);
            }
        }
        break;
    case 3:
        snprintf(what, what_size, "large blocks between slabs, freed to leave holes, reused");
        for (n = 0; n < 400 && ok; n++) {
            ALLOC(PAGE * (1 + n % 9) + n);
            ALLOC(2048);
        }
        for (uint32_t k = 0; k < m.count && ok;) {
            if (m.live[k].size > HEAP_SMALL_MAX)
                FREE(k);
            else
                k++;
        }
        {
            struct heap_stats s;
            heap_stats(&f.heap, &s);
            uint32_t frontier = s.frontier;
            for (n = 0; n < 400 && ok; n++)
                ALLOC(PAGE * (1 + (n * 5) % 9));
            heap_stats(&f.heap, &s);
            if (ok && s.frontier > frontier + 200) {
                snprintf(m.error, sizeof m.error, "holes not reused: frontier %u -> %u", frontier,
                         s.frontier);
                ok = false;
            }
        }
        break;
    case 4:
        snprintf(what, what_size, "every class at once, one object each, churned 10000 times");
        for (int c = 0; c < HEAP_CLASS_COUNT; c++)
            ALLOC(heap_class_table[c].size - (flags ? HEAP_REDZONE : 0));
        for (n = 0; n < 10000 && ok; n++) {
            uint32_t k = n % m.count;
            size_t size = m.live[k].size;
            FREE(k);
            ALLOC(size);
        }
        break;
    }
    for (uint32_t k = 0; k < m.count && ok; k++)
        ok = heap_model_intact(&m, k);
    ok = ok && heap_model_check_stats(&m, &f.heap, &f.env) && audit_ok(&f.heap, what);
    while (m.count && ok)
        FREE(m.count - 1);
    heap_trim(&f.heap);
    ok = ok && f.env.backed_pages == 0 && f.env.error[0] == 0;
    if (!ok)
        tap_diag("%s: %s %s", what, m.error, f.env.error);
#undef ALLOC
#undef FREE
    heap_model_destroy(&m);
    heap_test_env_destroy(&f.env);
    return ok;
}

static void test_adversarial(uint32_t flags)
{
    for (int pattern = 0; pattern < 5; pattern++) {
        char what[128];
        bool ok = adversarial(flags, pattern, what, sizeof what);
        TAP_CHECK(ok, "%s, adversarial: %s", mode_name(flags), what);
    }
}

int main(int argc, char **argv)
{
    uint32_t ops = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
    test_class_table();
    test_init();
    for (uint32_t flags = 0; flags <= HEAP_FLAG_DEBUG; flags++) {
        test_boundary_sizes(flags);
        test_alignment_every_size(flags);
        test_exhaustion(flags);
        test_adversarial(flags);
    }
    test_every_object();
    test_stats_exact();
    test_large_runs();
    test_panics();
    test_debug_panics();
    test_kmalloc();
    test_random(ops);
    return tap_done();
}
