/*
 * The user allocator (user/lib/heap.c) under ASan/UBSan: random runs against the model in
 * heap_model.h in three configurations, then the cases a random run rarely reaches (bad frees,
 * a break moved by someone else, in-place realloc, trimming, overflowing requests).
 */
#include "heap_model.h"
#include "prng.h"
#include "tap.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

static const struct heap_config default_config = {
    .grow_min = 64 * KIB, .trim_threshold = 256 * KIB, .trim_keep = 64 * KIB};
/* No slack at all: every growth is exact and every free at the top trims. */
static const struct heap_config tight_config = {.grow_min = 0, .trim_threshold = 0, .trim_keep = 0};

static size_t random_size(struct prng *rng)
{
    uint32_t kind = prng_below(rng, 100);
    if (kind < 70)
        return prng_below(rng, 129); /* small, 0 included */
    if (kind < 97)
        return prng_below(rng, 4 * KIB);
    return prng_below(rng, 128 * KIB);
}

/* ops random operations; returns 0 or -1 with the model's error. */
static int random_run(struct heap_model *m, uint64_t seed, unsigned ops)
{
    struct prng rng;
    prng_seed(&rng, seed, 7);
    for (unsigned op = 0; op < ops; op++) {
        uint32_t what = prng_below(&rng, 100);
        /* Keep the population moving: more allocation while few blocks live. */
        int grow = m->count < 64 || (m->count < MODEL_MAX_BLOCKS - 1 && what < 45);
        int r;
        if (grow && what % 3 == 0)
            r = model_alloc(m, random_size(&rng), 1 + (int)(what & 1));
        else if (grow)
            r = model_alloc(m, random_size(&rng), 0);
        else if (what < 85)
            r = model_free(m, prng_next(&rng));
        else
            r = model_realloc(m, prng_next(&rng), random_size(&rng));
        if (r == 0 && op % 997 == 0)
            r = model_verify(m);
        if (r) {
            char op_note[64];
            snprintf(op_note, sizeof(op_note), " (operation %u)", op);
            strncat(m->error, op_note, sizeof(m->error) - strlen(m->error) - 1);
            return -1;
        }
    }
    while (m->count) {
        if (model_free(m, m->count - 1))
            return -1;
    }
    return model_verify(m);
}

static void test_random_runs(void)
{
    struct {
        const char *name;
        struct heap_config config;
        size_t capacity;
        unsigned ops;
    } runs[] = {
        {"default configuration, 64 MiB break", default_config, 64 * MIB, 40000},
        {"exact growth and trim on every top free", tight_config, 64 * MIB, 30000},
        {"1 MiB break: allocations fail and the heap stays whole", default_config, 1 * MIB, 30000},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        struct heap_model *m = model_new(runs[i].capacity, runs[i].config);
        int r = random_run(m, 1000 + i, runs[i].ops);
        TAP_CHECK(r == 0, "random run against the model: %s", runs[i].name);
        if (r)
            tap_diag("%s", m->error);
        struct heap_stats s;
        heap_get_stats(&m->heap, &s);
        TAP_CHECK(s.in_use_chunks == 0 && s.free_chunks <= 1,
                  "%s: everything freed leaves one free chunk (%zu in use, %zu free)", runs[i].name,
                  s.in_use_chunks, s.free_chunks);
        if (runs[i].config.trim_threshold == 0)
            TAP_CHECK(m->brk.used <= 2 * 4096, "%s: the break came back down to %zu bytes",
                      runs[i].name, m->brk.used);
        model_delete(m);
    }
}

static void test_alignment_and_zero(void)
{
    struct heap_model *m = model_new(4 * MIB, default_config);
    int aligned = 1;
    for (size_t size = 0; size < 300; size++) {
        unsigned char *p = heap_alloc(&m->heap, size);
        aligned &= p && (uintptr_t)p % HEAP_ALIGN == 0 && heap_usable_size(&m->heap, p) >= size;
        if (p)
            memset(p, 0xA5, size);
    }
    TAP_CHECK(aligned, "sizes 0..299: %zu-aligned and usable for the size asked",
              (size_t)HEAP_ALIGN);
    void *a = heap_alloc(&m->heap, 0), *b = heap_alloc(&m->heap, 0);
    TAP_CHECK(a && b && a != b, "malloc(0) gives distinct non-NULL blocks");
    heap_free(&m->heap, NULL);
    TAP_CHECK(m->corrupt_reports == 0 && heap_check(&m->heap, NULL, 0) == 0,
              "free(NULL) does nothing");
    model_delete(m);
}

static void test_bad_frees(void)
{
    struct heap_model *m = model_new(4 * MIB, default_config);
    unsigned char *p = heap_alloc(&m->heap, 100);
    unsigned char *q = heap_calloc(&m->heap, 1, 4000);
    unsigned char *guard = heap_alloc(&m->heap, 10);
    (void)guard;
    struct heap_stats before, after;

    heap_free(&m->heap, p);
    heap_get_stats(&m->heap, &before);
    heap_free(&m->heap, p);
    heap_get_stats(&m->heap, &after);
    TAP_CHECK(m->corrupt_reports == 1 && strstr(m->last_corrupt, "double free") &&
                  memcmp(&before, &after, sizeof(before)) == 0 &&
                  heap_check(&m->heap, NULL, 0) == 0,
              "double free is reported and changes nothing (%s)", m->last_corrupt);

    heap_free(&m->heap, q + 2 * HEAP_ALIGN);
    TAP_CHECK(m->corrupt_reports == 2 && heap_check(&m->heap, NULL, 0) == 0,
              "free of a pointer into the middle of a block is reported (%s)", m->last_corrupt);

    static unsigned char elsewhere[64] __attribute__((aligned(16)));
    heap_free(&m->heap, elsewhere);
    heap_free(&m->heap, q + 1);
    TAP_CHECK(m->corrupt_reports == 4 && strstr(m->last_corrupt, "not a pointer malloc returned"),
              "free of a pointer outside the heap or misaligned is reported (%s)", m->last_corrupt);

    size_t saved;
    memcpy(&saved, q - sizeof(size_t), sizeof(saved));
    size_t huge = (size_t)0xFFFF0 | (saved & 7);     /* flags kept, size past the heap */
    memcpy(q - sizeof(size_t), &huge, sizeof(huge)); /* as an overflow of the block before would */
    heap_free(&m->heap, q);
    TAP_CHECK(m->corrupt_reports == 5 && strstr(m->last_corrupt, "damaged"),
              "free of a block whose header was overwritten is reported (%s)", m->last_corrupt);
    memcpy(q - sizeof(size_t), &saved, sizeof(saved));
    heap_free(&m->heap, q);
    TAP_CHECK(m->corrupt_reports == 5 && heap_check(&m->heap, NULL, 0) == 0,
              "the repaired block frees normally");

    void *r = heap_realloc(&m->heap, p, 10);
    TAP_CHECK(r == NULL && m->corrupt_reports == 6, "realloc of a freed block is reported (%s)",
              m->last_corrupt);
    model_delete(m);
}

static void test_coalescing(void)
{
    struct heap_model *m = model_new(4 * MIB, default_config);
    void *a = heap_alloc(&m->heap, 1000), *b = heap_alloc(&m->heap, 1000);
    void *c = heap_alloc(&m->heap, 1000), *d = heap_alloc(&m->heap, 1000);
    (void)d;
    struct heap_stats s;
    heap_free(&m->heap, a);
    heap_free(&m->heap, c);
    heap_get_stats(&m->heap, &s);
    size_t apart = s.free_chunks;
    heap_free(&m->heap, b);
    heap_get_stats(&m->heap, &s);
    TAP_CHECK(apart == 3 && s.free_chunks == 2 && s.largest_free >= 3000,
              "freeing the middle block merges it with both free neighbours (%zu -> %zu free "
              "chunks, largest %zu)",
              apart, s.free_chunks, s.largest_free);
    void *e = heap_alloc(&m->heap, 2900);
    TAP_CHECK(e == a, "the merged space serves a block of the three sizes together");
    model_delete(m);
}

static void test_realloc_in_place(void)
{
    struct heap_model *m = model_new(8 * MIB, default_config);
    unsigned char *p = heap_alloc(&m->heap, 100);
    for (int i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    unsigned char *shrunk = heap_realloc(&m->heap, p, 40);
    TAP_CHECK(shrunk == p, "realloc to a smaller size stays in place");
    unsigned char *grown = heap_realloc(&m->heap, p, 20000);
    int kept = grown == p;
    for (int i = 0; kept && i < 40; i++)
        kept = grown[i] == i;
    TAP_CHECK(kept, "realloc into the free chunk after the block stays in place, contents kept");

    size_t brk_before = m->brk.used;
    unsigned char *top = heap_realloc(&m->heap, grown, 1 * MIB);
    TAP_CHECK(top == p && m->brk.used > brk_before,
              "realloc of the top block moves the break and stays in place (break %zu -> %zu)",
              brk_before, m->brk.used);

    unsigned char *blocker = heap_alloc(&m->heap, 64);
    unsigned char *small = heap_alloc(&m->heap, 64);
    unsigned char *after = heap_alloc(&m->heap, 64);
    memset(small, 0x5C, 64);
    unsigned char *moved = heap_realloc(&m->heap, small, 5000);
    int same = moved && moved != small;
    for (int i = 0; same && i < 64; i++)
        same = moved[i] == 0x5C;
    TAP_CHECK(same, "realloc of a block between two others moves it and keeps its contents");
    (void)blocker, (void)after;
    TAP_CHECK(heap_realloc(&m->heap, moved, 0) == NULL && heap_check(&m->heap, NULL, 0) == 0,
              "realloc(p, 0) frees p and returns NULL");
    unsigned char *fresh = heap_realloc(&m->heap, NULL, 30);
    TAP_CHECK(fresh && heap_usable_size(&m->heap, fresh) >= 30, "realloc(NULL, n) allocates");
    TAP_CHECK(m->corrupt_reports == 0 && heap_check(&m->heap, NULL, 0) == 0,
              "no reports, heap consistent");
    model_delete(m);
}

static void test_trim(void)
{
    struct heap_config config = {
        .grow_min = 16 * KIB, .trim_threshold = 128 * KIB, .trim_keep = 16 * KIB};
    struct heap_model *m = model_new(8 * MIB, config);
    void *small = heap_alloc(&m->heap, 100);
    size_t base = m->brk.used;
    void *big = heap_alloc(&m->heap, 2 * MIB);
    size_t grown = m->brk.used;
    heap_free(&m->heap, big);
    TAP_CHECK(grown >= 2 * MIB && m->brk.used <= base + 32 * KIB && m->brk.shrink_calls == 1,
              "freeing a large top block gives the break back (break %zu -> %zu -> %zu)", base,
              grown, m->brk.used);
    void *mid = heap_alloc(&m->heap, 100 * KIB);
    size_t held = m->brk.used;
    heap_free(&m->heap, mid);
    TAP_CHECK(m->brk.used == held, "a free top chunk below the threshold keeps the break");
    heap_free(&m->heap, small);
    TAP_CHECK(heap_check(&m->heap, NULL, 0) == 0, "heap consistent after trimming");
    model_delete(m);
}

static void test_foreign_break(void)
{
    struct heap_model *m = model_new(8 * MIB, default_config);
    void *a = heap_alloc(&m->heap, 1000);
    fake_grow(&m->brk, 24); /* the program calls sbrk itself: an unaligned foreign area */
    unsigned char *foreign = m->brk.base + m->brk.used - 24;
    memset(foreign, 0xEE, 24);
    void *b = heap_alloc(&m->heap, 200 * KIB); /* more than the region has: a new one */
    struct heap_stats s;
    heap_get_stats(&m->heap, &s);
    char why[200] = "";
    int ok = heap_check(&m->heap, why, sizeof(why)) == 0;
    TAP_CHECK(b && ok && s.fence_bytes > 0 && m->heap.fences == 1 &&
                  ((unsigned char *)b > foreign + 24 || (unsigned char *)b + 200 * KIB <= foreign),
              "a break moved by someone else: the gap becomes a fence (%zu bytes), the new block "
              "is outside the foreign area %s",
              s.fence_bytes, why);
    heap_free(&m->heap, b);
    heap_free(&m->heap, a);
    int untouched = 1;
    for (int i = 0; i < 24; i++)
        untouched &= foreign[i] == 0xEE;
    TAP_CHECK(untouched && m->brk.base + m->brk.used >= foreign + 24,
              "the foreign area is never written or given back");
    TAP_CHECK(heap_alloc(&m->heap, 100) != NULL && heap_check(&m->heap, NULL, 0) == 0,
              "the heap works on after the fence");

    m->brk.used -= 64 * KIB; /* someone shrinks the break below the heap's top */
    size_t reports = m->corrupt_reports;
    void *c = heap_alloc(&m->heap, 1 * MIB);
    TAP_CHECK(c == NULL && m->corrupt_reports == reports + 1 && strstr(m->last_corrupt, "below"),
              "a break moved below the heap is reported and nothing is allocated (%s)",
              m->last_corrupt);
    m->brk.used += 64 * KIB;
    model_delete(m);
}

static void test_overflow_and_exhaustion(void)
{
    struct heap_model *m = model_new(1 * MIB, default_config);
    TAP_CHECK(heap_alloc(&m->heap, SIZE_MAX) == NULL &&
                  heap_alloc(&m->heap, SIZE_MAX - 7) == NULL &&
                  heap_alloc(&m->heap, SIZE_MAX / 2 + 1) == NULL,
              "sizes near SIZE_MAX fail");
    TAP_CHECK(heap_calloc(&m->heap, SIZE_MAX / 2, 3) == NULL &&
                  heap_calloc(&m->heap, 65536, 65536 + 1) == NULL,
              "calloc whose count * size overflows fails");
    TAP_CHECK(heap_alloc(&m->heap, 2 * MIB) == NULL,
              "a block larger than the break can grow fails");
    void *blocks[64];
    size_t got = 0;
    while (got < 64 && (blocks[got] = heap_alloc(&m->heap, 64 * KIB)) != NULL)
        got++;
    TAP_CHECK(got > 8 && got < 16 && heap_check(&m->heap, NULL, 0) == 0,
              "64 KiB blocks until the 1 MiB break is full: %zu, heap consistent", got);
    heap_free(&m->heap, blocks[0]);
    TAP_CHECK(heap_alloc(&m->heap, 60 * KIB) == blocks[0], "a freed block serves the next request");
    void *big = heap_realloc(&m->heap, blocks[1], 4 * MIB);
    TAP_CHECK(big == NULL && heap_usable_size(&m->heap, blocks[1]) >= 64 * KIB &&
                  heap_check(&m->heap, NULL, 0) == 0,
              "a realloc that cannot be served keeps the old block");
    model_delete(m);
}

static void test_calloc_recycled(void)
{
    struct heap_model *m = model_new(1 * MIB, default_config);
    unsigned char *p = heap_alloc(&m->heap, 500);
    memset(p, 0xFF, 500);
    heap_free(&m->heap, p);
    unsigned char *q = heap_calloc(&m->heap, 5, 100);
    int zero = q == p;
    for (int i = 0; zero && i < 500; i++)
        zero = q[i] == 0;
    TAP_CHECK(zero, "calloc over recycled memory gives zeroes");
    model_delete(m);
}

int main(void)
{
    test_random_runs();
    test_alignment_and_zero();
    test_bad_frees();
    test_coalescing();
    test_realloc_in_place();
    test_trim();
    test_foreign_break();
    test_overflow_and_exhaustion();
    test_calloc_recycled();
    return tap_done();
}
