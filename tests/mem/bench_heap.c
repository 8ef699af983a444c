/*
 * Benchmark (not a test): the kernel heap beside a next-fit free-list allocator, in one run.
 *
 * The baseline is the allocator the Hux kernel uses (src/memory/kheap.c there), written here
 * from its description: one free list of blocks with 16-byte headers (size, free flag, next,
 * magic), kept in address order and circular; kmalloc searches next-fit from where the last
 * search ended and splits a block when the rest can hold a header; kfree walks the list from its
 * lowest block to find the freed block's neighbours, coalesces with both, and zeroes the freed
 * bytes. Two changes: sizes are rounded up to 16 bytes so both allocators return 16-aligned
 * objects, and the corner cases Hux gets wrong (merging into a one-block list) are done right.
 *
 * 1. ns per kmalloc+kfree at 16, 64, 512 and 2048 B with 10 000 and 100 000 live objects, as
 *    CPU time of the thread (the machine may be shared), best of BENCH_REPEATS. "pair" is
 *    kmalloc, a write of the first word, kfree of that object; "replace" frees 64 random live
 *    objects and allocates 64 in their places, so it touches cold memory. The live objects are
 *    all of the measured size allocated back to back ("no holes": next-fit's free list is one
 *    block), or with a hole after each (2 x live allocated, every other one freed: the shape
 *    interleaved lifetimes leave), or of part 2's mixed sizes with holes.
 * 2. Overhead for a mixed workload (the sizes are printed with the table): live objects grown to
 *    N, churned 10 N times (a random object freed, a new random size allocated), then
 *    (bytes the heap holds - bytes requested) / bytes requested, where the heap holds its backed
 *    pages (descriptors, slabs, large blocks) and its struct heap.
 *
 * The heap's back/release callbacks only count here (the region is plain memory): in the kernel
 * they map frames, which costs extra on the rare calls; the output says how rare.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel/mem/heap.h"
#include "mem_support.h"

#define BATCH         64
#define BENCH_REPEATS 5

/* ---- the baseline: next-fit over one circular, address-ordered free list ---- */

#define NF_MAGIC 0xFBCA0739u
#define NF_NIL   UINT32_MAX

struct nf_header {
    uint32_t size; /* bytes after the header */
    uint32_t free;
    uint32_t next; /* offset of the next free block (circular), while free */
    uint32_t magic;
};

struct nextfit {
    uint8_t *base;
    size_t bytes;
    uint32_t bottom; /* lowest free block */
    uint32_t rover;  /* the search starts after this block */
    uint32_t length; /* free blocks */
    uint32_t high_water;
};

#define NF_HEADER ((uint32_t)sizeof(struct nf_header))

static struct nf_header *nf_at(const struct nextfit *nf, uint32_t off)
{
    return (struct nf_header *)(nf->base + off);
}

static void nf_init(struct nextfit *nf, size_t bytes)
{
    nf->base = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (nf->base == MAP_FAILED)
        abort();
    nf->bytes = bytes;
    struct nf_header *h = nf_at(nf, 0);
    *h = (struct nf_header){(uint32_t)bytes - NF_HEADER, 1, 0, NF_MAGIC};
    nf->bottom = nf->rover = 0;
    nf->length = 1;
    nf->high_water = 0;
}

static void nf_destroy(struct nextfit *nf)
{
    munmap(nf->base, nf->bytes);
}

static void *nf_alloc(struct nextfit *nf, size_t size)
{
    uint32_t need = size ? (uint32_t)(size + 15) & ~15u : 16;
    if (nf->length == 0)
        return NULL;
    uint32_t last = nf->rover, cur = nf_at(nf, last)->next, begin = cur;
    do {
        struct nf_header *c = nf_at(nf, cur);
        if (c->size < need) {
            last = cur;
            cur = c->next;
            continue;
        }
        if (c->size > need + NF_HEADER) {
            uint32_t split = cur + NF_HEADER + need;
            struct nf_header *s = nf_at(nf, split);
            *s = (struct nf_header){c->size - need - NF_HEADER, 1, c->next, NF_MAGIC};
            c->size = need;
            if (nf->length == 1) {
                s->next = split;
                nf->rover = split;
            } else {
                nf_at(nf, last)->next = split;
                nf->rover = last;
            }
            if (nf->bottom == cur)
                nf->bottom = split;
        } else {
            if (nf->length == 1) {
                nf->bottom = nf->rover = NF_NIL;
            } else {
                nf_at(nf, last)->next = c->next;
                if (nf->bottom == cur)
                    nf->bottom = c->next;
                nf->rover = last;
            }
            nf->length--;
        }
        c->free = 0;
        c->next = NF_NIL;
        if (cur + NF_HEADER + c->size > nf->high_water)
            nf->high_water = cur + NF_HEADER + c->size;
        return nf->base + cur + NF_HEADER;
    } while (cur != begin);
    return NULL;
}

/*
 * kfree, with the neighbour search starting at free block start (the lowest block for a real
 * kfree). Returns the free block that now holds p. Only the benchmark's setup passes another
 * start: a block known to lie below p, which gives the same result without the walk.
 */
static uint32_t nf_free_from(struct nextfit *nf, void *p, uint32_t start)
{
    uint32_t off = (uint32_t)((uint8_t *)p - nf->base) - NF_HEADER;
    struct nf_header *h = nf_at(nf, off);
    if (h->magic != NF_MAGIC || h->free)
        abort();
    h->free = 1;
    memset(p, 0, h->size);
    if (nf->length == 0) {
        h->next = off;
        nf->bottom = nf->rover = off;
        nf->length = 1;
        return off;
    }
    /* Stop at the block just below h, else at the top-most block. */
    uint32_t dn = start;
    while (nf_at(nf, dn)->next != nf->bottom) {
        if (dn < off && nf_at(nf, dn)->next > off)
            break;
        dn = nf_at(nf, dn)->next;
    }
    struct nf_header *d = nf_at(nf, dn);
    uint32_t up = dn < off ? d->next : nf->bottom;
    struct nf_header *u = nf_at(nf, up);
    bool dn_touches = dn < off && dn + NF_HEADER + d->size == off;
    bool up_touches = up > off && off + NF_HEADER + h->size == up;
    if (dn_touches && up_touches) {
        d->size += NF_HEADER + h->size + NF_HEADER + u->size;
        d->next = u->next == up ? dn : u->next;
        nf->length--;
        if (nf->rover == up)
            nf->rover = dn;
        return dn;
    }
    if (dn_touches) {
        d->size += NF_HEADER + h->size;
        return dn;
    }
    if (up_touches) {
        uint32_t after = u->next == up ? off : u->next;
        if (dn != up)
            d->next = off;
        h->size += NF_HEADER + u->size;
        h->next = after;
        if (nf->bottom == up)
            nf->bottom = off;
        if (nf->rover == up)
            nf->rover = off;
    } else {
        h->next = d->next;
        d->next = off;
        nf->length++;
        if (off < nf->bottom)
            nf->bottom = off;
    }
    return off;
}

static void nf_free(struct nextfit *nf, void *p)
{
    nf_free_from(nf, p, nf->bottom);
}

/*
 * The baseline must be right for its figures to mean anything: a random sequence whose blocks
 * keep a fill pattern (no two overlap), then everything freed must coalesce back to one block.
 */
static bool nf_self_check(void)
{
    enum { LIVE = 2000, OPS = 40000 };
    static uint8_t *live[LIVE];
    static uint32_t sizes[LIVE];
    struct nextfit nf;
    nf_init(&nf, 64u << 20);
    struct mem_rng rng = {99};
    uint32_t count = 0;
    bool ok = true;
    for (uint32_t op = 0; op < OPS && ok; op++) {
        if (count < LIVE && (count == 0 || mem_rng_below(&rng, 2))) {
            uint32_t size = (uint32_t)mem_rng_below(&rng, 5000) + 1;
            uint8_t *p = nf_alloc(&nf, size);
            ok = p != NULL && ((uintptr_t)p & 15) == 0;
            if (ok)
                memset(p, (int)(size & 0xff), size);
            live[count] = p;
            sizes[count++] = size;
        } else {
            uint32_t k = (uint32_t)mem_rng_below(&rng, count);
            for (uint32_t i = 0; i < sizes[k] && ok; i++)
                ok = live[k][i] == (uint8_t)(sizes[k] & 0xff);
            nf_free(&nf, live[k]);
            live[k] = live[--count];
            sizes[k] = sizes[count];
        }
    }
    while (ok && count)
        nf_free(&nf, live[--count]);
    ok = ok && nf.length == 1 && nf_at(&nf, nf.bottom)->size == nf.bytes - NF_HEADER;
    nf_destroy(&nf);
    return ok;
}

/* ---- the heap over plain memory ---- */

struct bench_env {
    uint64_t backs, releases;
};

static bool bench_back(void *ctx, uintptr_t va, uint32_t pages)
{
    (void)va, (void)pages;
    ((struct bench_env *)ctx)->backs++;
    return true;
}

static void bench_release(void *ctx, uintptr_t va, uint32_t pages)
{
    (void)va, (void)pages;
    ((struct bench_env *)ctx)->releases++;
}

#define REGION_BYTES (1ull << 30)

static uint8_t *region;
static struct bench_env env;
static struct heap heap;

static void heap_fresh(void)
{
    static const struct heap_env callbacks = {
        .ctx = &env, .back = bench_back, .release = bench_release};
    if (heap_init(&heap, (uintptr_t)region, (uintptr_t)region + REGION_BYTES, &callbacks, 0) !=
        HEAP_OK)
        abort();
    env = (struct bench_env){0};
}

/* ---- one allocator behind function pointers (the same loop drives both) ---- */

struct allocator {
    const char *name;
    void *(*alloc)(void *self, size_t size);
    void (*free)(void *self, void *p);
    /* Frees p[0..n), which are in ascending address order: the same as n kfree calls. */
    void (*free_ascending)(void *self, void **p, uint32_t n);
    void *self;
};

static void *heap_alloc_fn(void *self, size_t size)
{
    return heap_alloc(self, size);
}

static void heap_free_fn(void *self, void *p)
{
    heap_free(self, p);
}

static void *nf_alloc_fn(void *self, size_t size)
{
    return nf_alloc(self, size);
}

static void nf_free_fn(void *self, void *p)
{
    nf_free(self, p);
}

static void heap_free_ascending_fn(void *self, void **p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        heap_free(self, p[i]);
}

/* Each block's neighbour search starts at the block the previous kfree left p[i-1] in. */
static void nf_free_ascending_fn(void *self, void **p, uint32_t n)
{
    struct nextfit *nf = self;
    uint32_t start = nf->bottom;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && (uint8_t *)p[i] <= (uint8_t *)p[i - 1])
            abort();
        start = nf_free_from(nf, p[i], i == 0 ? nf->bottom : start);
    }
}

/* ---- the workloads ---- */

struct band {
    uint32_t percent;
    uint32_t lo, hi; /* sizes uniform in [lo, hi] */
    const char *what;
};

static const struct band mix[] = {
    {50, 1, 128, "small structs, list nodes, names"},
    {30, 129, 512, "process, file and inode-like structs"},
    {15, 513, 2048, "tables, small buffers"},
    {4, 2049, 4096, "page-sized buffers"},
    {1, 4097, 32768, "large buffers"},
};
#define MIX_BANDS (sizeof mix / sizeof mix[0])

static size_t mix_size(struct mem_rng *rng, int only_band)
{
    uint32_t b = 0;
    if (only_band >= 0) {
        b = (uint32_t)only_band;
    } else {
        uint32_t dice = (uint32_t)mem_rng_below(rng, 100), sum = 0;
        for (b = 0; b < MIX_BANDS - 1; b++) {
            sum += mix[b].percent;
            if (dice < sum)
                break;
        }
    }
    return mix[b].lo + (size_t)mem_rng_below(rng, mix[b].hi - mix[b].lo + 1);
}

static void shuffle(uint32_t *a, uint32_t n, struct mem_rng *rng)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)mem_rng_below(rng, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static void *must_alloc(const struct allocator *a, size_t size)
{
    void *p = a->alloc(a->self, size);
    if (p == NULL) {
        fprintf(stderr, "%s: out of memory at %zu B\n", a->name, size);
        abort();
    }
    *(volatile uint64_t *)p = (uintptr_t)p;
    return p;
}

/*
 * The live objects before a measurement, live of them, each of size bytes or (size 0) of the
 * mixed workload's sizes. Without holes: allocated back to back. With holes: 2 * live allocated
 * back to back, then every other one freed, lowest first: live objects with a hole after each,
 * the shape interleaved lifetimes leave. perm is a random order of the slots.
 */
static void setup_live(const struct allocator *a, void **slot, uint32_t *perm, uint32_t live,
                       size_t size, bool holes, struct mem_rng *rng)
{
    static void *all[2 * 100000];
    if (!holes) {
        for (uint32_t i = 0; i < live; i++)
            slot[i] = must_alloc(a, size ? size : mix_size(rng, -1));
    } else {
        for (uint32_t i = 0; i < 2 * live; i++)
            all[i] = must_alloc(a, size ? size : mix_size(rng, -1));
        for (uint32_t i = 0; i < live; i++) {
            slot[i] = all[2 * i];
            all[i] = all[2 * i + 1];
        }
        a->free_ascending(a->self, all, live);
    }
    for (uint32_t i = 0; i < live; i++)
        perm[i] = i;
    shuffle(perm, live, rng);
}

static void drain(const struct allocator *a, void **slot, uint32_t live)
{
    for (uint32_t i = 0; i < live; i++)
        a->free(a->self, slot[i]);
}

/* ---- timing: CPU time of this thread, so the other jobs on a shared machine do not count ---- */

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct workload {
    const struct allocator *a;
    size_t size;
    void **slot;
    const uint32_t *perm;
    uint32_t live, at;
    uint64_t ops_done;
};

/* kmalloc(size), write it, kfree it: ops times. */
static void run_pair(struct workload *w, uint32_t ops)
{
    for (uint32_t i = 0; i < ops; i++)
        w->a->free(w->a->self, must_alloc(w->a, w->size));
    w->ops_done += ops;
}

/* Free BATCH random live objects, allocate BATCH of size in their places: ops / BATCH rounds. */
static void run_replace(struct workload *w, uint32_t ops)
{
    for (uint32_t done = 0; done < ops; done += BATCH) {
        if (w->at + BATCH > w->live)
            w->at = 0;
        for (uint32_t k = 0; k < BATCH; k++)
            w->a->free(w->a->self, w->slot[w->perm[w->at + k]]);
        for (uint32_t k = 0; k < BATCH; k++)
            w->slot[w->perm[w->at + k]] = must_alloc(w->a, w->size);
        w->at += BATCH;
    }
    w->ops_done += ops;
}

/* ns per operation: the count doubles until one repetition takes 2 ms, then best of several. */
static double time_per_op(void (*run)(struct workload *, uint32_t), struct workload *w)
{
    uint32_t ops = BATCH;
    for (;;) {
        double t0 = cpu_ns();
        run(w, ops);
        if (cpu_ns() - t0 >= 2e6 || ops >= (1u << 24))
            break;
        ops *= 2;
    }
    double best_ns = -1;
    for (int rep = 0; rep < BENCH_REPEATS; rep++) {
        double t0 = cpu_ns();
        run(w, ops);
        double ns = (cpu_ns() - t0) / ops;
        if (best_ns < 0 || ns < best_ns)
            best_ns = ns;
    }
    return best_ns;
}

/* The measurements of one allocator at one size and live count. */
struct speed {
    double pair_fresh, pair, pair_mixed, replace;
    uint64_t ops, env_calls; /* heap: back() + release() calls during the timed runs */
};

static void measure(const struct allocator *a, void (*reset)(void *), size_t size, uint32_t live,
                    void **slot, uint32_t *perm, uint64_t seed, struct speed *s)
{
    static const struct {
        size_t background; /* 0: the mixed workload */
        bool holes;
    } setups[] = {{1, false}, {1, true}, {0, true}};
    memset(s, 0, sizeof *s);
    uint64_t calls = env.backs + env.releases;
    for (size_t k = 0; k < sizeof setups / sizeof setups[0]; k++) {
        struct mem_rng rng = {seed};
        reset(a->self);
        setup_live(a, slot, perm, live, setups[k].background ? size : 0, setups[k].holes, &rng);
        struct workload w = {a, size, slot, perm, live, 0, 0};
        double pair = time_per_op(run_pair, &w);
        if (k == 0)
            s->pair_fresh = pair;
        else if (k == 1)
            s->pair = pair, s->replace = time_per_op(run_replace, &w);
        else
            s->pair_mixed = pair;
        s->ops += w.ops_done;
        drain(a, slot, live);
    }
    s->env_calls = env.backs + env.releases - calls;
}

static void heap_reset(void *self)
{
    (void)self;
    heap_fresh();
}

static size_t nf_arena_bytes;

static void nf_reset(void *self)
{
    struct nextfit *nf = self;
    if (nf->base)
        nf_destroy(nf);
    nf_init(nf, nf_arena_bytes);
}

/* heap ns, next-fit ns, and how many times faster the heap is (3 significant digits). */
static void print_pair(double heap_ns, double nextfit_ns)
{
    char ratio[16];
    snprintf(ratio, sizeof ratio, "%.3gx", nextfit_ns / heap_ns);
    printf(" %6.1f %10.1f %8s |", heap_ns, nextfit_ns, ratio);
}

static void bench_speed(void)
{
    static const size_t sizes[] = {16, 64, 512, 2048};
    static const uint32_t lives[] = {10000, 100000};
    void **slot = malloc(sizeof *slot * 100000);
    uint32_t *perm = malloc(sizeof *perm * 100000);
    uint64_t heap_ops = 0, heap_env_calls = 0;
    printf("1. ns per kmalloc+kfree: CPU time of this thread, best of %d repetitions\n",
           BENCH_REPEATS);
    printf("   pair: kmalloc(size), write its first word, kfree it. replace: kfree %d random live "
           "objects, then kmalloc %d (each touches\n"
           "   a random one of the live objects: memory-bound). live objects: all of the "
           "measured size, allocated back to back\n"
           "   (no holes) or with a hole after each (2 x live allocated, every other one freed), "
           "or of the mixed sizes of part 2 with holes\n",
           BATCH, BATCH);
    printf("%6s %7s | %-26s | %-26s | %-26s | %-26s |\n", "size", "live", "pair, no holes",
           "pair, holes", "pair, mixed, holes", "replace, holes");
    printf("%6s %7s |", "", "");
    for (int k = 0; k < 4; k++)
        printf(" %6s %10s %8s |", "heap", "next-fit", "x");
    printf("\n------ ------- +");
    for (int k = 0; k < 4; k++)
        printf("----------------------------+");
    printf("\n");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (size_t li = 0; li < sizeof lives / sizeof lives[0]; li++) {
            size_t size = sizes[si];
            uint32_t live = lives[li];
            uint64_t seed = 1000 + si * 10 + li;
            struct speed hs, ns;
            struct allocator h = {"heap", heap_alloc_fn, heap_free_fn, heap_free_ascending_fn,
                                  &heap};
            measure(&h, heap_reset, size, live, slot, perm, seed, &hs);
            char audit[256];
            if (!heap_audit(&heap, audit, sizeof audit))
                printf("AUDIT FAILED: %s\n", audit);
            heap_ops += hs.ops;
            heap_env_calls += hs.env_calls;

            /* Room for 2 x live objects of the largest size either background uses, and more. */
            struct nextfit nf = {0};
            size_t largest = size > mix[MIX_BANDS - 1].hi ? size : mix[MIX_BANDS - 1].hi;
            nf_arena_bytes = (size_t)live * 2 * (largest + 64) / 4 + (64u << 20);
            struct allocator n = {"next-fit", nf_alloc_fn, nf_free_fn, nf_free_ascending_fn, &nf};
            measure(&n, nf_reset, size, live, slot, perm, seed, &ns);
            nf_destroy(&nf);

            printf("%5zu B %7u |", size, live);
            print_pair(hs.pair_fresh, ns.pair_fresh);
            print_pair(hs.pair, ns.pair);
            print_pair(hs.pair_mixed, ns.pair_mixed);
            print_pair(hs.replace, ns.replace);
            printf("\n");
        }
    }
    printf("   heap back()/release() calls during the timed runs: %llu in %llu operations\n",
           (unsigned long long)heap_env_calls, (unsigned long long)heap_ops);
    free(slot);
    free(perm);
}

/* ---- overhead for a mixed workload ---- */

struct overhead {
    double heap;
    uint64_t requested;
    double slack, slab_free, large_slack, metadata; /* parts of the heap's, in % of requested */
};

static size_t class_size_of(size_t size)
{
    for (int c = 0; c < HEAP_CLASS_COUNT; c++)
        if (heap_class_table[c].size >= size)
            return heap_class_table[c].size;
    return 0;
}

static struct overhead measure_overhead(uint32_t live, int only_band, uint64_t seed)
{
    struct overhead o = {0};
    void **slot = malloc(sizeof *slot * live);
    size_t *sizes = malloc(sizeof *sizes * live);

    heap_fresh();
    struct mem_rng rng = {seed};
    for (uint32_t i = 0; i < live; i++) {
        sizes[i] = mix_size(&rng, only_band);
        slot[i] = heap_alloc(&heap, sizes[i]);
    }
    for (uint64_t step = 0; step < (uint64_t)live * 10; step++) {
        uint32_t k = (uint32_t)mem_rng_below(&rng, live);
        heap_free(&heap, slot[k]);
        sizes[k] = mix_size(&rng, only_band);
        slot[k] = heap_alloc(&heap, sizes[k]);
    }
    struct heap_stats s;
    heap_stats(&heap, &s);
    uint64_t requested = 0, class_slack = 0, large_slack = 0, class_bytes = 0;
    for (uint32_t i = 0; i < live; i++) {
        requested += sizes[i];
        if (sizes[i] <= HEAP_SMALL_MAX) {
            class_slack += class_size_of(sizes[i]) - sizes[i];
            class_bytes += class_size_of(sizes[i]);
        } else {
            large_slack += ((sizes[i] + 4095) & ~(size_t)4095) - sizes[i];
        }
    }
    uint64_t held = (uint64_t)s.backed_pages * 4096 + sizeof(struct heap);
    uint64_t metadata = (uint64_t)s.descriptor_backed * 4096 + sizeof(struct heap);
    uint64_t slab_free = (uint64_t)s.slab_pages * 4096 - class_bytes;
    o.requested = requested;
    o.heap = 100.0 * (double)(held - requested) / (double)requested;
    o.slack = 100.0 * (double)class_slack / (double)requested;
    o.large_slack = 100.0 * (double)large_slack / (double)requested;
    o.slab_free = 100.0 * (double)slab_free / (double)requested;
    o.metadata = 100.0 * (double)metadata / (double)requested;
    char audit[256];
    if (!heap_audit(&heap, audit, sizeof audit))
        printf("AUDIT FAILED: %s\n", audit);
    for (uint32_t i = 0; i < live; i++)
        heap_free(&heap, slot[i]);

    free(slot);
    free(sizes);
    return o;
}

static void bench_overhead(void)
{
    printf("\n2. Overhead = (bytes held - bytes requested) / bytes requested, after growing to N "
           "live objects and churning 10 N times\n");
    printf("   mixed workload: ");
    for (size_t b = 0; b < MIX_BANDS; b++)
        printf("%s%u %% %u..%u B (%s)", b ? ", " : "", mix[b].percent, mix[b].lo, mix[b].hi,
               mix[b].what);
    printf("; sizes uniform within a band\n");
    printf("%-22s %7s %12s | %8s = %7s + %9s + %11s + %8s\n", "workload", "N", "requested",
           "overhead", "slack", "slab free", "large slack", "metadata");
    printf("---------------------- ------- ------------ + -------- - ------- - --------- - "
           "----------- - --------\n");
    static const uint32_t lives[] = {10000, 100000};
    for (int band = -1; band < (int)MIX_BANDS; band++) {
        for (size_t li = 0; li < 2; li++) {
            if (band >= 0 && li == 1)
                continue; /* one band alone: 10 000 objects (100 000 of the largest: 1.8 GB) */
            struct overhead o = measure_overhead(lives[li], band, 77 + (uint64_t)band);
            char what[32];
            if (band < 0)
                snprintf(what, sizeof what, "mixed");
            else
                snprintf(what, sizeof what, "only %u..%u B", mix[band].lo, mix[band].hi);
            printf("%-22s %7u %9.1f MB | %7.1f%% = %6.1f%% + %8.1f%% + %10.1f%% + %7.2f%%\n", what,
                   lives[li], (double)o.requested / 1e6, o.heap, o.slack, o.slab_free,
                   o.large_slack, o.metadata);
        }
    }
    printf("   slack: rounding up to the class; slab free: free objects and unused tails in "
           "backed slabs (spares included);\n   large slack: rounding up to pages; metadata: "
           "backed descriptor pages and struct heap (%zu B)\n",
           sizeof(struct heap));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    region = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED)
        return 1;
    printf("Kernel heap benchmark: heap (size classes, slabs, page runs) beside a next-fit "
           "free list (Hux's kheap policy)\n");
    if (!nf_self_check()) {
        printf("the next-fit baseline failed its self-check\n");
        return 1;
    }
    printf("next-fit self-check: 40000 random operations, contents kept, all coalesced back\n\n");
    bench_speed();
    bench_overhead();
    munmap(region, REGION_BYTES);
    return 0;
}
