/*
 * The allocator (user/lib/heap.c) on the host: a fake break over a buffer, and a model of what
 * must hold after every operation. Shared by the unit test and the fuzz target.
 *
 * The fake break poisons everything above itself for AddressSanitizer, so the allocator touching
 * memory it gave back, or never had, is caught at the faulting access. Every live block is filled
 * with a pattern of its own: a block that overlaps another, or that the allocator writes into,
 * shows up as a changed pattern.
 */
#ifndef PAGODA_TEST_HEAP_MODEL_H
#define PAGODA_TEST_HEAP_MODEL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define MODEL_POISON(p, n)   __asan_poison_memory_region((p), (n))
#define MODEL_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#endif
#endif
#ifndef MODEL_POISON
#define MODEL_POISON(p, n)   ((void)(p), (void)(n))
#define MODEL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MODEL_MAX_BLOCKS 1024

struct fake_break {
    unsigned char *base;
    size_t capacity; /* the break can move within [base, base + capacity] */
    size_t used;     /* the break is base + used */
    size_t grow_calls, shrink_calls;
};

struct model_block {
    unsigned char *ptr;
    size_t size;
    uint8_t seed;
};

struct heap_model {
    struct heap heap;
    struct fake_break brk;
    struct model_block blocks[MODEL_MAX_BLOCKS];
    size_t count;
    uint8_t next_seed;
    size_t corrupt_reports;
    char last_corrupt[160];
    char error[256];
};

static void *fake_grow(void *ctx, intptr_t increment)
{
    struct fake_break *b = ctx;
    unsigned char *old = b->base + b->used;
    if (increment > 0) {
        if ((size_t)increment > b->capacity - b->used)
            return NULL;
        MODEL_UNPOISON(old, (size_t)increment);
        b->used += (size_t)increment;
        b->grow_calls++;
    } else if (increment < 0) {
        size_t down = (size_t)0 - (size_t)increment;
        if (down > b->used)
            return NULL;
        b->used -= down;
        MODEL_POISON(b->base + b->used, down);
        b->shrink_calls++;
    }
    return old;
}

static inline void model_corrupt(void *ctx, const char *what, const void *ptr)
{
    struct heap_model *m = (struct heap_model *)((char *)ctx - offsetof(struct heap_model, brk));
    m->corrupt_reports++;
    snprintf(m->last_corrupt, sizeof(m->last_corrupt), "%s (%p)", what, ptr);
}

__attribute__((format(printf, 2, 3))) static int model_error(struct heap_model *m, const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    return -1;
}

/* A heap over a fresh page-aligned buffer of capacity bytes; config's grow, corrupt and ctx
 * are filled in here. */
static struct heap_model *model_new(size_t capacity, struct heap_config config)
{
    struct heap_model *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->brk.base = aligned_alloc(4096, capacity);
    if (!m->brk.base) {
        free(m);
        return NULL;
    }
    m->brk.capacity = capacity;
    MODEL_POISON(m->brk.base, capacity);
    config.grow = fake_grow;
    config.corrupt = model_corrupt;
    config.ctx = &m->brk;
    heap_init(&m->heap, &config);
    return m;
}

/* Starts over on the same buffer (for the fuzzer: no allocation per input). */
static inline void model_reset(struct heap_model *m, struct heap_config config)
{
    struct fake_break brk = m->brk;
    memset(m, 0, sizeof(*m));
    m->brk = (struct fake_break){brk.base, brk.capacity, 0, 0, 0};
    MODEL_POISON(m->brk.base, m->brk.capacity);
    config.grow = fake_grow;
    config.corrupt = model_corrupt;
    config.ctx = &m->brk;
    heap_init(&m->heap, &config);
}

static inline void model_delete(struct heap_model *m)
{
    MODEL_UNPOISON(m->brk.base, m->brk.capacity);
    free(m->brk.base);
    free(m);
}

static uint8_t pattern_byte(uint8_t seed, size_t i)
{
    return (uint8_t)(seed + i * 31u + (i >> 8));
}

static void fill_block(struct model_block *b)
{
    for (size_t i = 0; i < b->size; i++)
        b->ptr[i] = pattern_byte(b->seed, i);
}

static int check_block(struct heap_model *m, const struct model_block *b, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        if (b->ptr[i] != pattern_byte(b->seed, i))
            return model_error(m, "block %p (%zu bytes): byte %zu is 0x%02x, wrote 0x%02x",
                               (void *)b->ptr, b->size, i, b->ptr[i], pattern_byte(b->seed, i));
    }
    return 0;
}

/* A pointer the heap just returned for size bytes: aligned, inside the break, usable for
 * size bytes, overlapping no other live block. */
static int check_new_pointer(struct heap_model *m, const unsigned char *p, size_t size, size_t skip)
{
    if ((uintptr_t)p % HEAP_ALIGN)
        return model_error(m, "%p for %zu bytes is not %zu-aligned", (const void *)p, size,
                           (size_t)HEAP_ALIGN);
    if (p < m->brk.base || p + size > m->brk.base + m->brk.used)
        return model_error(m, "%p + %zu is outside the break [%p, %p)", (const void *)p, size,
                           (void *)m->brk.base, (void *)(m->brk.base + m->brk.used));
    if (heap_usable_size(&m->heap, p) < size)
        return model_error(m, "%p: usable size %zu below the %zu asked for", (const void *)p,
                           heap_usable_size(&m->heap, p), size);
    size_t extent = size ? size : 1;
    for (size_t i = 0; i < m->count; i++) {
        const struct model_block *b = &m->blocks[i];
        size_t other = b->size ? b->size : 1;
        if (i != skip && p < b->ptr + other && b->ptr < p + extent)
            return model_error(m, "%p (+%zu) overlaps live block %p (+%zu)", (const void *)p, size,
                               (void *)b->ptr, b->size);
    }
    return 0;
}

/* Whether the break has room left for a new region of size bytes however fragmented the heap. */
static inline int model_should_fit(const struct heap_model *m, size_t size)
{
    size_t left = m->brk.capacity - m->brk.used;
    return size < left && left - size > m->heap.config.grow_min + 3 * 4096;
}

/* kind 0: malloc, 1: calloc (count 1), 2: calloc (size split into count * elem). */
static inline int model_alloc(struct heap_model *m, size_t size, int kind)
{
    if (m->count == MODEL_MAX_BLOCKS)
        return 0;
    unsigned char *p;
    if (kind == 0)
        p = heap_alloc(&m->heap, size);
    else if (kind == 1 || size < 4)
        p = heap_calloc(&m->heap, 1, size);
    else
        p = heap_calloc(&m->heap, 4, size / 4), size = size / 4 * 4;
    if (!p) {
        if (model_should_fit(m, size))
            return model_error(m, "alloc(%zu) failed with %zu bytes of break left", size,
                               m->brk.capacity - m->brk.used);
        return 0; /* out of break: allowed */
    }
    if (check_new_pointer(m, p, size, SIZE_MAX))
        return -1;
    if (kind != 0) {
        for (size_t i = 0; i < size; i++) {
            if (p[i])
                return model_error(m, "calloc(%zu) = %p: byte %zu is 0x%02x", size, (void *)p, i,
                                   p[i]);
        }
    }
    struct model_block *b = &m->blocks[m->count++];
    *b = (struct model_block){p, size, m->next_seed++};
    fill_block(b);
    return 0;
}

static inline int model_free(struct heap_model *m, size_t index)
{
    if (m->count == 0)
        return 0;
    index %= m->count;
    struct model_block b = m->blocks[index];
    if (check_block(m, &b, b.size))
        return -1;
    heap_free(&m->heap, b.ptr);
    m->blocks[index] = m->blocks[--m->count];
    if (m->corrupt_reports)
        return model_error(m, "free(%p) was reported: %s", (void *)b.ptr, m->last_corrupt);
    return 0;
}

static inline int model_realloc(struct heap_model *m, size_t index, size_t size)
{
    if (m->count == 0)
        return model_alloc(m, size, 0);
    index %= m->count;
    struct model_block *b = &m->blocks[index];
    if (check_block(m, b, b->size))
        return -1;
    if (size == 0) {
        void *r = heap_realloc(&m->heap, b->ptr, 0);
        if (r)
            return model_error(m, "realloc(%p, 0) returned %p, not NULL", (void *)b->ptr, r);
        *b = m->blocks[--m->count];
        return 0;
    }
    unsigned char *p = heap_realloc(&m->heap, b->ptr, size);
    if (!p) {
        if (model_should_fit(m, size))
            return model_error(m, "realloc(%zu) failed with %zu bytes of break left", size,
                               m->brk.capacity - m->brk.used);
        return check_block(m, b, b->size); /* the old block must be intact */
    }
    if (check_new_pointer(m, p, size, index))
        return -1;
    size_t kept = b->size < size ? b->size : size;
    b->ptr = p;
    if (check_block(m, b, kept))
        return -1;
    b->size = size;
    fill_block(b);
    return 0;
}

/* Every live block's pattern, the heap's own consistency check, and its statistics. */
static inline int model_verify(struct heap_model *m)
{
    char why[200];
    if (heap_check(&m->heap, why, sizeof(why)))
        return model_error(m, "heap_check: %s", why);
    size_t asked = 0;
    for (size_t i = 0; i < m->count; i++) {
        if (check_block(m, &m->blocks[i], m->blocks[i].size))
            return -1;
        asked += m->blocks[i].size;
    }
    struct heap_stats s;
    heap_get_stats(&m->heap, &s);
    if (s.in_use_chunks != m->count)
        return model_error(m, "heap counts %zu blocks in use, the model %zu", s.in_use_chunks,
                           m->count);
    if (s.in_use_bytes < asked)
        return model_error(m, "heap has %zu bytes in use, blocks hold %zu", s.in_use_bytes, asked);
    if (m->heap.first &&
        s.in_use_bytes + s.free_bytes + s.fence_bytes + sizeof(size_t) != s.region_bytes)
        return model_error(m, "chunks cover %zu bytes of a %zu-byte region",
                           s.in_use_bytes + s.free_bytes + s.fence_bytes, s.region_bytes);
    return 0;
}

#endif
