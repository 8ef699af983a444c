/*
 * Host harness for the kernel heap (kernel/mem/heap.c), shared by its tests and fuzz target:
 *
 *  - an environment whose region is real address space mapped PROT_NONE, with a guard page on
 *    each side: back() makes pages read-write and fills them with garbage (fresh frames have any
 *    content), release() makes them PROT_NONE again. So the heap faults (and the test dies under
 *    ASan) if it touches a page it has not backed or anything outside its region. It also checks
 *    that release() gets exactly the range of one earlier back(), and can refuse frames on demand.
 *
 *  - a model of what the heap promises, kept independently of its internals: every live object
 *    with its requested size and a fill pattern, a shadow map of which object owns each 16-byte
 *    granule of the region (objects never overlap), and the counters heap_stats must report.
 */
#ifndef PAGODA_TESTS_MEM_HEAP_HARNESS_H
#define PAGODA_TESTS_MEM_HEAP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/mem/heap.h"

/* ---- the environment ---- */

struct heap_test_env {
    uint8_t *mapping; /* guard page, region, guard page */
    uintptr_t start, end;
    uint32_t pages;
    uint32_t *back_len; /* per region page: pages of the back() call that started there */
    uint8_t *backed;    /* per region page: 1 if backed */
    uint32_t backed_pages;
    uint32_t back_calls, release_calls, refused;
    uint32_t frame_limit;    /* back() fails if backed_pages would pass it; 0 = no limit */
    uint32_t fail_countdown; /* if not 0: counts down per back(); the one reaching 0 fails */
    char error[256];         /* the first misuse of the interface, "" if none */
    struct heap_env env;
};

/* A region of pages pages; false if the address space cannot be had. */
bool heap_test_env_init(struct heap_test_env *e, uint32_t pages);
void heap_test_env_destroy(struct heap_test_env *e);

/* ---- the model ---- */

struct heap_model_object {
    uintptr_t ptr;
    size_t size;
    uint32_t id;
};

struct heap_model_counts {
    uint32_t in_use, peak;
    uint64_t allocs, frees;
};

struct heap_model {
    struct heap_model_object *live;
    uint32_t count, capacity;
    uint32_t *owner; /* per 16-byte granule of the region: id of the object holding it, or 0 */
    uintptr_t start, end;
    uint32_t next_id;
    bool debug;
    struct heap_model_counts cls[HEAP_CLASS_COUNT];
    struct heap_model_counts large;
    uint32_t large_pages;
    uint64_t large_bytes;
    uint64_t requested_bytes; /* of all live objects */
    char error[256];          /* what the last failed check found */
};

void heap_model_init(struct heap_model *m, uintptr_t start, uintptr_t end, bool debug,
                     uint32_t capacity);
void heap_model_destroy(struct heap_model *m);

/* The class a request of size bytes must land in (the model's own rule), or -1 for large. */
int heap_model_class(const struct heap_model *m, size_t size);

/*
 * Records an allocation the heap returned: checks p is in the region, aligned (16 bytes, a page
 * for large blocks), overlaps no live object, is zero if zeroed; then fills it with the object's
 * pattern. False (error set) on any violation; a NULL p is recorded nothing and returns false.
 */
bool heap_model_alloc(struct heap_model *m, void *p, size_t size, bool zeroed);

/* Checks object k's pattern is intact (the heap wrote nothing into a live object). */
bool heap_model_intact(struct heap_model *m, uint32_t k);

/* Checks object k, then forgets it (call right before or after heap_free of it). */
bool heap_model_free(struct heap_model *m, uint32_t k);

/*
 * heap_stats against the model: per-class and large counters exactly, slab counts within what
 * the in-use counts allow, and the backed pages exactly those the environment counts.
 */
bool heap_model_check_stats(struct heap_model *m, const struct heap *h,
                            const struct heap_test_env *e);

#endif
