/*
 * The kernel heap: kmalloc/kzalloc/kfree for kernel objects, inside one virtual region.
 *
 * The region. The heap owns [start, end) (page-aligned, given at init) and never touches memory
 * outside it. It starts unbacked: the heap asks its environment to back pages with frames when it
 * needs them and gives them back when it no longer does (struct heap_env). The first pages of the
 * region hold the page descriptors, one per page that follows them ("data pages"); they are backed
 * one page at a time, as far up as the heap has ever used.
 *
 * Small objects (0 to HEAP_SMALL_MAX bytes) come from size classes: 16 B steps up to 128 B, then
 * four classes per power of two (160, 192, 224, 256, 320, ... 2048, 2560, 3072, 3584), so above
 * 128 B a request rounds up by less than 25 % (the benchmark's mixed workload loses 5.6 %). Each
 * class carves slabs: runs of 1 to 7 data pages cut into equal objects, the object array starting
 * at the slab's first byte (no header: the slab's state lives in its page descriptor), so every
 * object is aligned to 16 bytes. The slab size per class is the fewest pages that hold at least 8
 * objects and leave at most 1/64 of the slab unused (heap_class_table lists them).
 *   kmalloc: size -> class by a table lookup; the class's first slab with a free object; pop its
 *            free list (or take the next never-used object). O(1).
 *   kfree:   page descriptor at (ptr - data start) >> 12 -> its slab -> object index by a
 *            multiplication with the class's reciprocal; push on the slab's free list. O(1).
 * A slab that becomes empty is given back to the page-run allocator, except that each class keeps
 * one empty slab as a spare, so a class that hovers around a slab boundary does not thrash.
 *
 * Large objects (more than HEAP_SMALL_MAX bytes) get whole data pages of their own, page-aligned.
 * Free page runs are kept in bins: one per length below 32 pages, then one per power of two, with
 * a bitmap of non-empty bins; a request takes a run from the smallest bin whose runs all fit,
 * else it extends the used part of the region (the "frontier"), else it scans its own bin. Freed
 * runs coalesce with their free neighbours at once (boundary tags in the descriptors); a free run
 * that reaches the frontier lowers it. Free pages are never backed.
 *
 * Checks, always on (each names the object: address, class or size, which check failed, and
 * panics through panic(); the heap is unchanged when it panics):
 *   - kfree of a pointer outside the data pages in use, in the descriptor pages, in a free page,
 *     not at the start of an object, or inside a large block;
 *   - double kfree: a freed object carries a tag (its second word); a kfree that finds the tag
 *     walks the slab's free list to tell a real double free from data that looks like the tag;
 *   - a free list whose link or tag was overwritten after kfree (found when kmalloc pops it).
 * With HEAP_FLAG_DEBUG (for test runs: it costs time and HEAP_REDZONE bytes per object) also:
 *   - a redzone after every object: each request is served with HEAP_REDZONE more bytes, the bytes
 *     past the requested size are filled with HEAP_REDZONE_BYTE (the last 4 of a small object keep
 *     its requested size) and checked at kfree: a write past the end panics;
 *   - freed small objects are filled with HEAP_POISON_BYTE and checked when handed out again and
 *     when their slab empties: a write after kfree panics.
 *
 * Not thread-safe: the kernel is single-CPU and calls it with interrupts off. All arithmetic is
 * 32-bit or 32x32->64 multiplication; there is no 64-bit division anywhere.
 */
#ifndef PAGODA_HEAP_H
#define PAGODA_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagoda/page.h"

#define HEAP_CLASS_COUNT 27
#define HEAP_SMALL_MAX   3584u       /* largest size class; larger requests are whole pages */
#define HEAP_MAX_SLAB    7u          /* pages of the largest slab */
#define HEAP_ALIGN       16u         /* every object is aligned to this; large ones to a page */
#define HEAP_MIN_PAGES   2u          /* smallest region: one descriptor page and one data page */
#define HEAP_MAX_PAGES   (1u << 20)  /* largest region: 4 GiB */
#define HEAP_RUN_BINS    59u         /* free-run bins: 31 exact lengths, then powers of two */
#define HEAP_NONE        0xFFFFFFFFu /* "no page" in lists */

#define HEAP_FLAG_DEBUG (1u << 0) /* redzones and poison (see above) */

#define HEAP_REDZONE      8u /* extra bytes per object with HEAP_FLAG_DEBUG */
#define HEAP_REDZONE_BYTE 0xCCu
#define HEAP_POISON_BYTE  0x6Bu

/*
 * What the kernel provides. Both callbacks get whole pages inside the region.
 *   back:    make [va, va + pages * 4096) present and writable with fresh frames (any content);
 *            false when out of frames, with nothing of the range left mapped.
 *   release: unmap [va, va + pages * 4096) and free its frames. It is only ever called with
 *            exactly the (va, pages) of one earlier successful back(), once.
 * The heap calls them from kmalloc and kfree: they must not call into the heap.
 */
struct heap_env {
    void *ctx;
    bool (*back)(void *ctx, uintptr_t va, uint32_t pages);
    void (*release)(void *ctx, uintptr_t va, uint32_t pages);
};

enum heap_status {
    HEAP_OK = 0,
    HEAP_ERR_ALIGN = 1, /* start or end not page-aligned */
    HEAP_ERR_RANGE = 2, /* end <= start, wraps, fewer than HEAP_MIN_PAGES or above HEAP_MAX_PAGES */
    HEAP_ERR_ENV = 3,   /* a callback is missing */
    HEAP_ERR_FLAGS = 4, /* unknown flag */
};
const char *heap_status_text(enum heap_status status);

/* One size class, as heap_class_table lists them. */
struct heap_class_info {
    uint16_t size;  /* bytes per object */
    uint16_t pages; /* pages per slab */
};
extern const struct heap_class_info heap_class_table[HEAP_CLASS_COUNT];

/* One page's descriptor (internal; in the descriptor pages at the start of the region). */
struct heap_page {
    uint8_t kind; /* enum heap_page_kind, heap.c */
    uint8_t class_index;
    uint16_t in_use;    /* slab: objects handed out */
    uint16_t free_head; /* slab: first object of its free list, or 0xFFFF */
    uint16_t carved;    /* slab: objects [carved, objects) were never handed out */
    uint32_t span;      /* first page of a run: its length; other pages: the first page */
    uint32_t next;      /* first page: class partial list or free-run bin list */
    uint32_t prev;
    uint32_t requested; /* large block: the bytes asked for */
};

struct heap_class {
    uint32_t partial; /* slabs with a free object and one in use (a list), or HEAP_NONE */
    uint32_t spare;   /* an empty slab kept for reuse, or HEAP_NONE */
    uint32_t size;
    uint32_t objects;    /* per slab */
    uint32_t pages;      /* per slab */
    uint32_t reciprocal; /* ceil(2^32 / size): offset * reciprocal >> 32 = object index */
    uint32_t in_use;     /* objects handed out */
    uint32_t peak_in_use;
    uint32_t slabs; /* including the spare */
    uint64_t allocs;
    uint64_t frees;
};

/* Statistics of one class (heap_stats). */
struct heap_class_stats {
    uint32_t size, pages_per_slab, objects_per_slab;
    uint32_t in_use;      /* objects handed out */
    uint32_t peak_in_use; /* highest in_use so far */
    uint32_t slabs;       /* slabs backed, the spare included */
    uint32_t pages;       /* slabs * pages_per_slab */
    uint32_t spare;       /* 1 if an empty slab is kept */
    uint64_t allocs, frees;
};

struct heap_stats {
    struct heap_class_stats cls[HEAP_CLASS_COUNT];
    /* Large blocks. */
    uint32_t large_in_use; /* blocks */
    uint32_t large_pages;  /* pages they hold */
    uint64_t large_bytes;  /* bytes their callers asked for */
    uint64_t large_allocs, large_frees;
    /* The region. */
    uintptr_t start, end;
    uint32_t region_pages;          /* (end - start) / 4096 */
    uint32_t descriptor_pages;      /* reserved at the start for descriptors ... */
    uint32_t descriptor_backed;     /* ... of which backed */
    uint32_t frontier;              /* data pages [0, frontier): runs; above: unused */
    uint32_t free_runs, free_pages; /* unbacked holes below the frontier */
    /* Totals. */
    uint32_t small_in_use; /* objects in all classes */
    uint32_t slab_pages;   /* pages of all slabs */
    uint32_t backed_pages; /* descriptors + slabs + large blocks */
    uint32_t peak_backed_pages;
    uint64_t failed_allocs; /* kmalloc calls that returned NULL */
};

struct heap {
    uintptr_t start, end;
    uintptr_t data_start;    /* start + descriptor_pages pages: data page 0 */
    struct heap_page *pages; /* descriptors of data pages, at start */
    uint32_t data_pages;
    uint32_t descriptor_pages;
    uint32_t descriptor_backed;
    uint32_t frontier; /* data pages [0, frontier) have descriptors; above it nothing is used */
    uint32_t flags;
    struct heap_env env;
    uint32_t bin_head[HEAP_RUN_BINS];
    uint32_t bin_map[(HEAP_RUN_BINS + 31) / 32];
    uint32_t free_runs, free_pages;
    struct heap_class cls[HEAP_CLASS_COUNT];
    uint8_t class_of[HEAP_SMALL_MAX / 16 + 1]; /* (size + 15) / 16 -> class */
    uint32_t large_in_use, large_pages;
    uint64_t large_bytes, large_allocs, large_frees;
    uint32_t slab_pages, peak_backed_pages;
    uint64_t failed_allocs;
};

/*
 * Sets up a heap over [start, end). Backs nothing yet: the first kmalloc backs the first
 * descriptor page and its slab. flags: 0 or HEAP_FLAG_DEBUG.
 */
enum heap_status heap_init(struct heap *h, uintptr_t start, uintptr_t end,
                           const struct heap_env *env, uint32_t flags);

/*
 * size bytes aligned to HEAP_ALIGN (large blocks to a page), or NULL when the region or the
 * frames run out. size 0 gets a distinct smallest object, which kfree accepts.
 */
void *heap_alloc(struct heap *h, size_t size);
void *heap_zalloc(struct heap *h, size_t size); /* heap_alloc, then the size bytes zeroed */
void heap_free(struct heap *h, void *ptr);      /* NULL is ignored; anything invalid panics */

/*
 * Gives back what the heap keeps without need: every class's spare slab and the descriptor pages
 * above the frontier. Returns the pages released. For "all frames back" checks.
 */
uint32_t heap_trim(struct heap *h);

void heap_stats(const struct heap *h, struct heap_stats *out);

/*
 * Recomputes every count from the descriptors and free lists and checks every invariant (lists
 * consistent, runs tiling the data pages below the frontier, free runs coalesced, counters
 * right; in debug mode the poison of every free object). True if consistent; otherwise writes
 * what broke into msg.
 */
bool heap_audit(const struct heap *h, char *msg, size_t msg_size);

/* The kernel's heap: kmalloc, kzalloc and kfree use the heap installed here. */
void heap_install(struct heap *h);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);

#endif
