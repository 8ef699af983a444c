/*
 * A general-purpose allocator over a break that grows and shrinks (sbrk in a process, a buffer in
 * the host tests): the engine behind malloc/free/calloc/realloc in user/lib/malloc.c.
 *
 * Layout: boundary tags. Every chunk starts with a header word (its size, a multiple of
 * HEAP_ALIGN, and flag bits: in use, previous chunk in use); a free chunk also keeps its size in
 * its last word, so free() merges with both neighbours in O(1). Payloads are HEAP_ALIGN-aligned
 * (two words: 8 bytes on i686). An in-use chunk costs one word of overhead.
 *
 * Free chunks sit in 64 segregated lists (exact sizes for small chunks, two lists per power of two
 * above) with a bitmap of the non-empty ones: an allocation takes the first fitting chunk of its
 * own list or any chunk of the next non-empty list, and splits off what it does not need. When no
 * chunk fits, the heap asks for more break (at least grow_min); when the free chunk at the top
 * reaches trim_threshold, it gives the break back down to trim_keep.
 *
 * Someone else may move the break between two growths (a program calling sbrk itself): the gap
 * becomes a permanent in-use "fence" chunk, so the chunk walk stays contiguous.
 *
 * Bad frees (double free, a pointer malloc did not return) and damaged headers are reported to
 * the corrupt callback, and the heap is left as it was.
 */
#ifndef PAGODA_USER_HEAP_H
#define PAGODA_USER_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ALIGN     (2 * sizeof(size_t))
#define HEAP_BIN_COUNT 64

/* Moves the break by increment bytes (sbrk's contract): returns the old break, or NULL when the
 * break cannot move. increment 0 asks where the break is. */
typedef void *(*heap_grow_fn)(void *ctx, intptr_t increment);
/* A bad free or a damaged chunk: what is wrong, and the pointer concerned. */
typedef void (*heap_corrupt_fn)(void *ctx, const char *what, const void *ptr);

struct heap_config {
    heap_grow_fn grow;
    heap_corrupt_fn corrupt; /* NULL: bad frees are ignored */
    void *ctx;
    size_t grow_min;       /* smallest break increase (rounded up to whole pages) */
    size_t trim_threshold; /* a free top chunk this large gives the break back... */
    size_t trim_keep;      /* ...down to about this much */
};

struct heap_free_chunk;

struct heap {
    struct heap_config config;
    char *first;    /* the first chunk; NULL until the first growth */
    char *epilogue; /* the end marker after the last chunk: a zero-size in-use header */
    char *brk;      /* the break as the heap last left it */
    struct heap_free_chunk *bins[HEAP_BIN_COUNT];
    uint64_t nonempty_bins; /* bit i: bins[i] has a chunk */
    size_t grow_calls, trim_calls, fences;
};

struct heap_stats {
    size_t region_bytes;  /* from the first chunk to the end of the epilogue */
    size_t in_use_chunks; /* allocations live now */
    size_t in_use_bytes;  /* their chunks, overhead included */
    size_t free_chunks;
    size_t free_bytes;
    size_t largest_free;
    size_t fence_bytes; /* break moved by someone else between growths */
};

void heap_init(struct heap *heap, const struct heap_config *config);

/* malloc(size): HEAP_ALIGN-aligned, or NULL when the break cannot grow. size 0 gives a unique
 * minimal block. */
void *heap_alloc(struct heap *heap, size_t size);
/* free(ptr); NULL is ignored. */
void heap_free(struct heap *heap, void *ptr);
/* calloc(count, size): NULL when count * size overflows. */
void *heap_calloc(struct heap *heap, size_t count, size_t size);
/* realloc(ptr, size): in place when the chunk or its free neighbour (or the break) allows,
 * otherwise a new block with the old contents. realloc(ptr, 0) frees ptr and returns NULL. */
void *heap_realloc(struct heap *heap, void *ptr, size_t size);
/* Bytes the caller may use at ptr (at least what it asked for). */
size_t heap_usable_size(const struct heap *heap, const void *ptr);

/* Walks every chunk and every list; 0 when all is consistent, otherwise -1 and a reason. */
int heap_check(const struct heap *heap, char *why, size_t why_size);
void heap_get_stats(const struct heap *heap, struct heap_stats *stats);

#endif
