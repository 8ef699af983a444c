/*
 * The allocator engine (heap.h has the design). Pure: no system calls, only the grow callback,
 * so the host tests run it over a buffer.
 *
 * Chunk addresses are congruent to one word modulo HEAP_ALIGN, so payloads (one word further)
 * are aligned; every chunk size is a multiple of HEAP_ALIGN and keeps that congruence.
 */
#include "heap.h"

#include "fmt.h"
#include "pg_string.h"
#include "pagoda/page.h"

#define WORD             sizeof(size_t)
#define FLAG_IN_USE      ((size_t)1)
#define FLAG_PREV_IN_USE ((size_t)2)
#define FLAG_FENCE       ((size_t)4) /* the gap left by a foreign break move: never freed */
#define FLAG_MASK        ((size_t)7)
#define MIN_CHUNK        (2 * HEAP_ALIGN)
#define EXACT_BINS       32 /* bins 0..31: chunks of exactly 2..33 units of HEAP_ALIGN */

_Static_assert(HEAP_ALIGN == 2 * WORD, "chunk congruence assumes two-word alignment");
_Static_assert(HEAP_ALIGN > FLAG_MASK, "sizes must leave the flag bits free");
_Static_assert(MIN_CHUNK >= WORD + 2 * sizeof(void *) + WORD, "a free chunk holds its links");

struct heap_free_chunk {
    size_t head;
    struct heap_free_chunk *next, *prev;
};

static size_t *head_of(char *chunk)
{
    return (size_t *)(void *)chunk;
}
static size_t chunk_size(char *chunk)
{
    return *head_of(chunk) & ~FLAG_MASK;
}
static int in_use(char *chunk)
{
    return (*head_of(chunk) & FLAG_IN_USE) != 0;
}
static int prev_in_use(char *chunk)
{
    return (*head_of(chunk) & FLAG_PREV_IN_USE) != 0;
}
static size_t *foot_of(char *chunk, size_t size)
{
    return (size_t *)(void *)(chunk + size - WORD);
}
/* Only valid when the previous chunk is free: its footer sits just below this header. */
static char *prev_free_chunk(char *chunk)
{
    return chunk - *(size_t *)(void *)(chunk - WORD);
}

static uintptr_t round_up(uintptr_t value, uintptr_t unit)
{
    return (value + unit - 1) / unit * unit;
}

static unsigned floor_log2(size_t value)
{
    return 63u - (unsigned)__builtin_clzll((unsigned long long)value);
}

static unsigned bin_index(size_t size)
{
    size_t units = size / HEAP_ALIGN;
    if (units < EXACT_BINS + 2)
        return (unsigned)(units - 2);
    unsigned lg = floor_log2(units); /* at least 5: units >= 34 */
    unsigned index = EXACT_BINS + (lg - 5) * 2 + (unsigned)((units >> (lg - 1)) & 1u);
    return index < HEAP_BIN_COUNT ? index : HEAP_BIN_COUNT - 1;
}

static void bin_insert(struct heap *heap, char *chunk)
{
    struct heap_free_chunk *c = (struct heap_free_chunk *)(void *)chunk;
    unsigned index = bin_index(chunk_size(chunk));
    c->prev = NULL;
    c->next = heap->bins[index];
    if (c->next)
        c->next->prev = c;
    heap->bins[index] = c;
    heap->nonempty_bins |= 1ull << index;
}

static void bin_remove(struct heap *heap, char *chunk)
{
    struct heap_free_chunk *c = (struct heap_free_chunk *)(void *)chunk;
    unsigned index = bin_index(chunk_size(chunk));
    if (c->prev)
        c->prev->next = c->next;
    else
        heap->bins[index] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!heap->bins[index])
        heap->nonempty_bins &= ~(1ull << index);
}

/* Header, footer, the next chunk's "previous in use" bit cleared, and into its list. */
static void mark_free(struct heap *heap, char *chunk, size_t size, size_t prev_flag)
{
    *head_of(chunk) = size | prev_flag;
    *foot_of(chunk, size) = size;
    *head_of(chunk + size) &= ~FLAG_PREV_IN_USE;
    bin_insert(heap, chunk);
}

static void mark_used(char *chunk, size_t size, size_t prev_flag)
{
    *head_of(chunk) = size | FLAG_IN_USE | prev_flag;
    *head_of(chunk + size) |= FLAG_PREV_IN_USE;
}

static void report(struct heap *heap, const char *what, const void *ptr)
{
    if (heap->config.corrupt)
        heap->config.corrupt(heap->config.ctx, what, ptr);
}

void heap_init(struct heap *heap, const struct heap_config *config)
{
    memset(heap, 0, sizeof(*heap));
    heap->config = *config;
    if (heap->config.trim_keep < MIN_CHUNK)
        heap->config.trim_keep = MIN_CHUNK;
}

/* The chunk size for a request of size bytes; 0 when no chunk can be that large. */
static size_t request_chunk_size(size_t size)
{
    if (size > (SIZE_MAX >> 1))
        return 0;
    size_t want = round_up(size + WORD, HEAP_ALIGN);
    return want < MIN_CHUNK ? MIN_CHUNK : want;
}

/* Takes a free chunk of at least want bytes out of its list, or returns NULL. */
static char *take_fit(struct heap *heap, size_t want)
{
    unsigned index = bin_index(want);
    if (index >= EXACT_BINS) {
        for (struct heap_free_chunk *c = heap->bins[index]; c; c = c->next) {
            if (chunk_size((char *)c) >= want) {
                bin_remove(heap, (char *)c);
                return (char *)c;
            }
        }
    } else if (heap->bins[index]) {
        char *chunk = (char *)heap->bins[index];
        bin_remove(heap, chunk);
        return chunk;
    }
    /* Every chunk of a higher list is larger than anything this list holds. */
    uint64_t above = index + 1 < HEAP_BIN_COUNT ? heap->nonempty_bins & ~((2ull << index) - 1) : 0;
    if (!above)
        return NULL;
    char *chunk = (char *)heap->bins[__builtin_ctzll(above)];
    bin_remove(heap, chunk);
    return chunk;
}

/* Marks chunk (out of its list) in use with want bytes and frees the rest when it is worth a
 * chunk of its own. */
static void use_chunk(struct heap *heap, char *chunk, size_t want)
{
    size_t size = chunk_size(chunk);
    size_t prev_flag = *head_of(chunk) & FLAG_PREV_IN_USE;
    if (size - want >= MIN_CHUNK) {
        mark_used(chunk, want, prev_flag);
        mark_free(heap, chunk + want, size - want, FLAG_PREV_IN_USE);
    } else {
        mark_used(chunk, size, prev_flag);
    }
}

/* Gives the break back when the free chunk at the top has grown past trim_threshold. */
static void maybe_trim(struct heap *heap, char *top)
{
    size_t size = chunk_size(top);
    if (size < heap->config.trim_threshold)
        return;
    char *now = heap->config.grow(heap->config.ctx, 0);
    if (now != heap->brk)
        return; /* someone else moved the break: what lies above it is not ours to give back */
    uintptr_t new_brk = round_up((uintptr_t)top + heap->config.trim_keep + WORD, PAGODA_PAGE_SIZE);
    if (new_brk >= (uintptr_t)heap->brk)
        return;
    if (!heap->config.grow(heap->config.ctx, -(intptr_t)((uintptr_t)heap->brk - new_brk)))
        return;
    size_t prev_flag = *head_of(top) & FLAG_PREV_IN_USE;
    bin_remove(heap, top);
    heap->brk = (char *)new_brk;
    heap->epilogue = (char *)(new_brk - WORD);
    *head_of(heap->epilogue) = FLAG_IN_USE;
    mark_free(heap, top, (size_t)(heap->epilogue - top), prev_flag);
    heap->trim_calls++;
}

/*
 * Moves the break up so that a free chunk of at least want bytes sits at the top: merged with
 * the free chunk already there when the break is where the heap left it, or after a fence when
 * someone else moved it. Returns 0 when the break cannot move.
 */
static int extend(struct heap *heap, size_t want)
{
    char *now = heap->config.grow(heap->config.ctx, 0);
    if (!now)
        return 0;
    if (heap->first && (uintptr_t)now < (uintptr_t)heap->brk) {
        report(heap, "the break moved below the heap", now);
        return 0;
    }
    int contiguous = heap->first && now == heap->brk;
    uintptr_t chunk; /* where the new region's first chunk starts */
    size_t have = 0; /* bytes of the top free chunk that the new region extends */
    if (contiguous) {
        chunk = (uintptr_t)heap->epilogue;
        if (!prev_in_use(heap->epilogue))
            have = chunk_size(prev_free_chunk(heap->epilogue));
    } else {
        chunk = round_up((uintptr_t)now + WORD, HEAP_ALIGN) - WORD;
    }
    size_t need = want > have ? want - have : 0;
    if (need < MIN_CHUNK)
        need = MIN_CHUNK; /* the new part may be a chunk of its own: it must hold the links */
    uintptr_t limit = UINTPTR_MAX - 2 * PAGODA_PAGE_SIZE - heap->config.grow_min;
    if (chunk > limit || need > limit - chunk)
        return 0;
    uintptr_t target = chunk + need + WORD; /* the new epilogue's end */
    if (target < (uintptr_t)now + heap->config.grow_min)
        target = (uintptr_t)now + heap->config.grow_min;
    uintptr_t new_brk = round_up(target, PAGODA_PAGE_SIZE);
    uintptr_t increment = new_brk - (uintptr_t)now;
    if (increment > (uintptr_t)INTPTR_MAX)
        return 0;
    char *old = heap->config.grow(heap->config.ctx, (intptr_t)increment);
    if (!old)
        return 0;
    if (old != now) { /* the break moved under us between the two calls: undo and give up */
        heap->config.grow(heap->config.ctx, -(intptr_t)increment);
        return 0;
    }
    heap->grow_calls++;

    char *epilogue = (char *)(new_brk - WORD);
    size_t prev_flag;
    if (contiguous) {
        prev_flag = *head_of(heap->epilogue) & FLAG_PREV_IN_USE;
        if (!prev_flag) {
            chunk = (uintptr_t)prev_free_chunk(heap->epilogue);
            bin_remove(heap, (char *)chunk);
            prev_flag = *head_of((char *)chunk) & FLAG_PREV_IN_USE;
        }
    } else if (heap->first) {
        /* The old epilogue grows into a fence over the foreign part of the break. */
        size_t fence = (size_t)(chunk - (uintptr_t)heap->epilogue);
        *head_of(heap->epilogue) =
            fence | FLAG_IN_USE | FLAG_FENCE | (*head_of(heap->epilogue) & FLAG_PREV_IN_USE);
        heap->fences++;
        prev_flag = FLAG_PREV_IN_USE;
    } else {
        heap->first = (char *)chunk;
        prev_flag = FLAG_PREV_IN_USE; /* nothing below the first chunk to merge with */
    }
    *head_of(epilogue) = FLAG_IN_USE;
    heap->epilogue = epilogue;
    heap->brk = (char *)new_brk;
    mark_free(heap, (char *)chunk, (size_t)((uintptr_t)epilogue - chunk), prev_flag);
    return 1;
}

void *heap_alloc(struct heap *heap, size_t size)
{
    size_t want = request_chunk_size(size);
    if (!want)
        return NULL;
    char *chunk = take_fit(heap, want);
    if (!chunk) {
        if (!extend(heap, want))
            return NULL;
        chunk = take_fit(heap, want);
        if (!chunk)
            return NULL;
    }
    use_chunk(heap, chunk, want);
    return chunk + WORD;
}

/* The chunk of a pointer the caller says malloc returned, or NULL (reported) when it is not. */
static char *owned_chunk(struct heap *heap, const void *ptr, const char *caller)
{
    uintptr_t p = (uintptr_t)ptr;
    char why[96];
    if (!heap->first || p % HEAP_ALIGN != 0 || p < (uintptr_t)heap->first + WORD ||
        p >= (uintptr_t)heap->epilogue) {
        pg_snprintf(why, sizeof(why), "%s: not a pointer malloc returned", caller);
        report(heap, why, ptr);
        return NULL;
    }
    char *chunk = (char *)ptr - WORD;
    size_t size = chunk_size(chunk);
    if (!in_use(chunk)) {
        pg_snprintf(why, sizeof(why), "%s: double free, or not a pointer malloc returned", caller);
        report(heap, why, ptr);
        return NULL;
    }
    if ((*head_of(chunk) & FLAG_FENCE) || size < MIN_CHUNK || size % HEAP_ALIGN != 0 ||
        size > (uintptr_t)heap->epilogue - (uintptr_t)chunk || !prev_in_use(chunk + size)) {
        pg_snprintf(why, sizeof(why), "%s: damaged block header (written out of bounds?)", caller);
        report(heap, why, ptr);
        return NULL;
    }
    return chunk;
}

/* Frees chunk (in use, already checked), merging with free neighbours. */
static void release_chunk(struct heap *heap, char *chunk)
{
    size_t size = chunk_size(chunk);
    size_t prev_flag = *head_of(chunk) & FLAG_PREV_IN_USE;
    char *next = chunk + size;
    if (!in_use(next)) {
        bin_remove(heap, next);
        size += chunk_size(next);
    }
    if (!prev_flag) {
        char *prev = prev_free_chunk(chunk);
        bin_remove(heap, prev);
        size += chunk_size(prev);
        chunk = prev;
        prev_flag = *head_of(chunk) & FLAG_PREV_IN_USE;
    }
    mark_free(heap, chunk, size, prev_flag);
    if (chunk + size == heap->epilogue)
        maybe_trim(heap, chunk);
}

void heap_free(struct heap *heap, void *ptr)
{
    if (!ptr)
        return;
    char *chunk = owned_chunk(heap, ptr, "free");
    if (chunk)
        release_chunk(heap, chunk);
}

void *heap_calloc(struct heap *heap, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *ptr = heap_alloc(heap, count * size);
    if (ptr)
        memset(ptr, 0, count * size);
    return ptr;
}

/* Shrinks an in-use chunk to want bytes, freeing the tail (merged with a free next chunk). */
static void shrink_chunk(struct heap *heap, char *chunk, size_t want)
{
    size_t size = chunk_size(chunk);
    char *next = chunk + size;
    size_t tail = size - want;
    if (!in_use(next))
        tail += chunk_size(next);
    if (tail < MIN_CHUNK)
        return;
    if (!in_use(next))
        bin_remove(heap, next);
    *head_of(chunk) = want | FLAG_IN_USE | (*head_of(chunk) & FLAG_PREV_IN_USE);
    mark_free(heap, chunk + want, tail, FLAG_PREV_IN_USE);
    if (chunk + want + tail == heap->epilogue)
        maybe_trim(heap, chunk + want);
}

void *heap_realloc(struct heap *heap, void *ptr, size_t size)
{
    if (!ptr)
        return heap_alloc(heap, size);
    if (size == 0) {
        heap_free(heap, ptr);
        return NULL;
    }
    char *chunk = owned_chunk(heap, ptr, "realloc");
    if (!chunk)
        return NULL;
    size_t want = request_chunk_size(size);
    if (!want)
        return NULL;
    size_t have = chunk_size(chunk);
    if (want <= have) {
        shrink_chunk(heap, chunk, want);
        return ptr;
    }
    char *next = chunk + have;
    /* At the top of the heap: move the break first, so the free chunk after it is big enough. */
    if (next == heap->epilogue || (!in_use(next) && next + chunk_size(next) == heap->epilogue))
        extend(heap, want - have);
    next = chunk + have;
    if (!in_use(next) && have + chunk_size(next) >= want) {
        size_t total = have + chunk_size(next);
        bin_remove(heap, next);
        mark_used(chunk, total, *head_of(chunk) & FLAG_PREV_IN_USE);
        shrink_chunk(heap, chunk, want);
        return ptr;
    }
    void *moved = heap_alloc(heap, size);
    if (!moved)
        return NULL;
    memcpy(moved, ptr, have - WORD);
    release_chunk(heap, chunk);
    return moved;
}

size_t heap_usable_size(const struct heap *heap, const void *ptr)
{
    (void)heap;
    return ptr ? chunk_size((char *)ptr - WORD) - WORD : 0;
}

void heap_get_stats(const struct heap *heap, struct heap_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    if (!heap->first)
        return;
    stats->region_bytes = (size_t)(heap->epilogue + WORD - heap->first);
    for (char *c = heap->first; c < heap->epilogue; c += chunk_size(c)) {
        size_t size = chunk_size(c);
        if (*head_of(c) & FLAG_FENCE) {
            stats->fence_bytes += size;
        } else if (in_use(c)) {
            stats->in_use_chunks++;
            stats->in_use_bytes += size;
        } else {
            stats->free_chunks++;
            stats->free_bytes += size;
            if (size > stats->largest_free)
                stats->largest_free = size;
        }
    }
}

#define CHECK_FAIL(...)                                                                            \
    do {                                                                                           \
        if (why && why_size)                                                                       \
            pg_snprintf(why, why_size, __VA_ARGS__);                                               \
        return -1;                                                                                 \
    } while (0)

int heap_check(const struct heap *heap, char *why, size_t why_size)
{
    if (!heap->first) {
        for (unsigned i = 0; i < HEAP_BIN_COUNT; i++) {
            if (heap->bins[i])
                CHECK_FAIL("bin %u has chunks before the first growth", i);
        }
        return 0;
    }
    uintptr_t first = (uintptr_t)heap->first, end = (uintptr_t)heap->epilogue;
    if ((first + WORD) % HEAP_ALIGN || (end + WORD) % HEAP_ALIGN || end < first ||
        end + WORD > (uintptr_t)heap->brk)
        CHECK_FAIL("region [%p, %p) brk %p is misaligned", (void *)heap->first,
                   (void *)heap->epilogue, (void *)heap->brk);
    size_t free_in_walk = 0;
    int prev_used = 1, prev_free = 0;
    for (char *c = heap->first; (uintptr_t)c < end;) {
        size_t size = chunk_size(c);
        int fence = (*head_of(c) & FLAG_FENCE) != 0;
        if (size < (fence ? HEAP_ALIGN : MIN_CHUNK) || size % HEAP_ALIGN ||
            size > end - (uintptr_t)c)
            CHECK_FAIL("chunk %p: size %zu out of range", (void *)c, size);
        if (fence && !in_use(c))
            CHECK_FAIL("chunk %p: a fence marked free", (void *)c);
        if (prev_in_use(c) != prev_used)
            CHECK_FAIL("chunk %p: previous-in-use bit %d, previous chunk %s", (void *)c,
                       prev_in_use(c), prev_used ? "in use" : "free");
        if (!in_use(c)) {
            if (prev_free)
                CHECK_FAIL("chunk %p: two free chunks in a row", (void *)c);
            if (*foot_of(c, size) != size)
                CHECK_FAIL("chunk %p: footer %zu, size %zu", (void *)c, *foot_of(c, size), size);
            free_in_walk++;
        }
        prev_used = in_use(c);
        prev_free = !prev_used;
        c += size;
    }
    if (chunk_size(heap->epilogue) != 0 || !in_use(heap->epilogue) ||
        prev_in_use(heap->epilogue) != prev_used)
        CHECK_FAIL("epilogue %p: header 0x%zx", (void *)heap->epilogue, *head_of(heap->epilogue));
    size_t free_in_bins = 0;
    for (unsigned i = 0; i < HEAP_BIN_COUNT; i++) {
        int nonempty = (heap->nonempty_bins >> i) & 1u;
        if (nonempty != (heap->bins[i] != NULL))
            CHECK_FAIL("bin %u: bitmap says %s", i, nonempty ? "non-empty" : "empty");
        const struct heap_free_chunk *prev = NULL;
        for (const struct heap_free_chunk *f = heap->bins[i]; f; f = f->next) {
            char *c = (char *)f;
            if ((uintptr_t)c < first || (uintptr_t)c >= end)
                CHECK_FAIL("bin %u: chunk %p outside the heap", i, (void *)c);
            if (in_use(c) || bin_index(chunk_size(c)) != i)
                CHECK_FAIL("bin %u: chunk %p (size %zu, %s) does not belong here", i, (void *)c,
                           chunk_size(c), in_use(c) ? "in use" : "free");
            if (f->prev != prev)
                CHECK_FAIL("bin %u: chunk %p has a broken back link", i, (void *)c);
            prev = f;
            if (++free_in_bins > free_in_walk)
                CHECK_FAIL("bins hold more chunks than the heap has free (a cycle?)");
        }
    }
    if (free_in_bins != free_in_walk)
        CHECK_FAIL("%zu free chunks in the heap, %zu in the bins", free_in_walk, free_in_bins);
    return 0;
}
