/*
 * malloc and friends for the process: the allocator of heap.c over sbrk. The break grows by at
 * least 64 KiB at a time (pages are filled only when touched, so reserving costs nothing until
 * used) and is given back when 256 KiB or more lie free at the top.
 */
#include "heap.h"
#include "user.h"

static void *sbrk_grow(void *ctx, intptr_t increment)
{
    (void)ctx;
    void *old = sbrk((int32_t)increment);
    return old == (void *)-1 ? NULL : old;
}

static void heap_corrupt(void *ctx, const char *what, const void *ptr)
{
    (void)ctx;
    char why[160];
    snprintf(why, sizeof(why), "malloc: %s (%p)", what, ptr);
    abort_with(why);
}

static struct heap process_heap;
static int process_heap_ready;

static struct heap *heap(void)
{
    if (!process_heap_ready) {
        struct heap_config config = {
            .grow = sbrk_grow,
            .corrupt = heap_corrupt,
            .ctx = NULL,
            .grow_min = 64 * 1024,
            .trim_threshold = 256 * 1024,
            .trim_keep = 64 * 1024,
        };
        heap_init(&process_heap, &config);
        process_heap_ready = 1;
    }
    return &process_heap;
}

void *malloc(size_t size)
{
    void *p = heap_alloc(heap(), size);
    if (!p)
        errno = ENOMEM;
    return p;
}

void free(void *ptr)
{
    heap_free(heap(), ptr);
}

void *calloc(size_t count, size_t size)
{
    void *p = heap_calloc(heap(), count, size);
    if (!p)
        errno = ENOMEM;
    return p;
}

void *realloc(void *ptr, size_t size)
{
    return heap_realloc(heap(), ptr, size);
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

int malloc_check(char *why, size_t why_size)
{
    return heap_check(heap(), why, why_size);
}
