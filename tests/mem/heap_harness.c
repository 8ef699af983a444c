#include "heap_harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096u

/* What fresh frames hold in this environment: anything, so not zero. */
#define GARBAGE_BYTE 0xDBu

/* ---- the environment ---- */

__attribute__((format(printf, 2, 3))) static void env_error(struct heap_test_env *e,
                                                            const char *fmt, ...)
{
    if (e->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->error, sizeof e->error, fmt, ap);
    va_end(ap);
}

static bool env_range(struct heap_test_env *e, const char *what, uintptr_t va, uint32_t pages,
                      uint32_t *first)
{
    if ((va & (PAGE - 1)) != 0 || va < e->start || pages == 0 || pages > (e->end - va) / PAGE) {
        env_error(e, "%s(0x%lx, %u): not whole pages inside the region", what, (unsigned long)va,
                  pages);
        return false;
    }
    *first = (uint32_t)((va - e->start) / PAGE);
    return true;
}

static bool env_back(void *ctx, uintptr_t va, uint32_t pages)
{
    struct heap_test_env *e = ctx;
    uint32_t first;
    if (!env_range(e, "back", va, pages, &first))
        return false;
    for (uint32_t i = first; i < first + pages; i++) {
        if (e->backed[i]) {
            env_error(e, "back(0x%lx, %u): page %u is already backed", (unsigned long)va, pages, i);
            return false;
        }
    }
    if (e->fail_countdown && --e->fail_countdown == 0) {
        e->refused++;
        return false;
    }
    if (e->frame_limit && e->backed_pages + pages > e->frame_limit) {
        e->refused++;
        return false;
    }
    if (mprotect((void *)va, (size_t)pages * PAGE, PROT_READ | PROT_WRITE) != 0) {
        env_error(e, "back(0x%lx, %u): mprotect failed", (unsigned long)va, pages);
        return false;
    }
    memset((void *)va, GARBAGE_BYTE, (size_t)pages * PAGE);
    for (uint32_t i = first; i < first + pages; i++)
        e->backed[i] = 1;
    e->back_len[first] = pages;
    e->backed_pages += pages;
    e->back_calls++;
    return true;
}

static void env_release(void *ctx, uintptr_t va, uint32_t pages)
{
    struct heap_test_env *e = ctx;
    uint32_t first;
    if (!env_range(e, "release", va, pages, &first))
        return;
    if (e->back_len[first] != pages) {
        env_error(e, "release(0x%lx, %u): not the range of one back() (that was %u pages)",
                  (unsigned long)va, pages, e->back_len[first]);
        return;
    }
    e->back_len[first] = 0;
    for (uint32_t i = first; i < first + pages; i++)
        e->backed[i] = 0;
    e->backed_pages -= pages;
    e->release_calls++;
    if (mprotect((void *)va, (size_t)pages * PAGE, PROT_NONE) != 0)
        env_error(e, "release(0x%lx, %u): mprotect failed", (unsigned long)va, pages);
}

bool heap_test_env_init(struct heap_test_env *e, uint32_t pages)
{
    memset(e, 0, sizeof *e);
    size_t bytes = ((size_t)pages + 2) * PAGE;
    void *m = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return false;
    e->mapping = m;
    e->start = (uintptr_t)m + PAGE;
    e->end = e->start + (size_t)pages * PAGE;
    e->pages = pages;
    e->back_len = calloc(pages, sizeof *e->back_len);
    e->backed = calloc(pages, 1);
    e->env = (struct heap_env){.ctx = e, .back = env_back, .release = env_release};
    return e->back_len && e->backed;
}

void heap_test_env_destroy(struct heap_test_env *e)
{
    munmap(e->mapping, ((size_t)e->pages + 2) * PAGE);
    free(e->back_len);
    free(e->backed);
}

/* ---- the model ---- */

__attribute__((format(printf, 2, 3))) static bool model_fail(struct heap_model *m, const char *fmt,
                                                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    return false;
}

static uint8_t pattern(uint32_t id, size_t i)
{
    return (uint8_t)((id * 251u) ^ ((uint32_t)i * 13u) ^ 0x5Au);
}

void heap_model_init(struct heap_model *m, uintptr_t start, uintptr_t end, bool debug,
                     uint32_t capacity)
{
    memset(m, 0, sizeof *m);
    m->start = start;
    m->end = end;
    m->debug = debug;
    m->capacity = capacity;
    m->live = calloc(capacity, sizeof *m->live);
    m->owner = calloc((end - start) / 16, sizeof *m->owner);
    m->next_id = 1;
}

void heap_model_destroy(struct heap_model *m)
{
    free(m->live);
    free(m->owner);
}

int heap_model_class(const struct heap_model *m, size_t size)
{
    size_t need = size + (m->debug ? HEAP_REDZONE : 0);
    for (int c = 0; c < HEAP_CLASS_COUNT; c++)
        if (heap_class_table[c].size >= need)
            return c;
    return -1;
}

static size_t model_large_pages(const struct heap_model *m, size_t size)
{
    return (size + (m->debug ? HEAP_REDZONE : 0) + PAGE - 1) / PAGE;
}

static void model_count_alloc(struct heap_model_counts *c)
{
    c->allocs++;
    if (++c->in_use > c->peak)
        c->peak = c->in_use;
}

bool heap_model_alloc(struct heap_model *m, void *p, size_t size, bool zeroed)
{
    uintptr_t a = (uintptr_t)p;
    if (p == NULL)
        return model_fail(m, "alloc(%zu) returned NULL", size);
    int c = heap_model_class(m, size);
    size_t align = c < 0 ? PAGE : 16;
    size_t span = size ? size : 1;
    if (a < m->start || a > m->end || span > m->end - a)
        return model_fail(m, "alloc(%zu) = 0x%lx: outside the region", size, (unsigned long)a);
    if (a % align != 0)
        return model_fail(m, "alloc(%zu) = 0x%lx: not aligned to %zu", size, (unsigned long)a,
                          align);
    if (m->count == m->capacity)
        return model_fail(m, "model full");
    size_t g0 = (a - m->start) / 16, g1 = (a - m->start + span + 15) / 16;
    for (size_t g = g0; g < g1; g++)
        if (m->owner[g])
            return model_fail(m, "alloc(%zu) = 0x%lx overlaps live object %u at granule %zu", size,
                              (unsigned long)a, m->owner[g], g);
    const uint8_t *bytes = p;
    if (zeroed)
        for (size_t i = 0; i < size; i++)
            if (bytes[i] != 0)
                return model_fail(m, "zalloc(%zu) = 0x%lx: byte %zu is 0x%02x", size,
                                  (unsigned long)a, i, bytes[i]);
    uint32_t id = m->next_id++;
    for (size_t g = g0; g < g1; g++)
        m->owner[g] = id;
    uint8_t *w = p;
    for (size_t i = 0; i < size; i++)
        w[i] = pattern(id, i);
    m->live[m->count++] = (struct heap_model_object){a, size, id};
    m->requested_bytes += size;
    if (c >= 0) {
        model_count_alloc(&m->cls[c]);
    } else {
        model_count_alloc(&m->large);
        m->large_pages += (uint32_t)model_large_pages(m, size);
        m->large_bytes += size;
    }
    return true;
}

bool heap_model_intact(struct heap_model *m, uint32_t k)
{
    const struct heap_model_object *o = &m->live[k];
    const uint8_t *bytes = (const uint8_t *)o->ptr;
    for (size_t i = 0; i < o->size; i++)
        if (bytes[i] != pattern(o->id, i))
            return model_fail(m, "object %u at 0x%lx (%zu bytes): byte %zu changed to 0x%02x",
                              o->id, (unsigned long)o->ptr, o->size, i, bytes[i]);
    return true;
}

bool heap_model_free(struct heap_model *m, uint32_t k)
{
    if (!heap_model_intact(m, k))
        return false;
    struct heap_model_object o = m->live[k];
    size_t span = o.size ? o.size : 1;
    for (size_t g = (o.ptr - m->start) / 16; g < (o.ptr - m->start + span + 15) / 16; g++)
        m->owner[g] = 0;
    m->live[k] = m->live[--m->count];
    m->requested_bytes -= o.size;
    int c = heap_model_class(m, o.size);
    struct heap_model_counts *n = c >= 0 ? &m->cls[c] : &m->large;
    n->in_use--;
    n->frees++;
    if (c < 0) {
        m->large_pages -= (uint32_t)model_large_pages(m, o.size);
        m->large_bytes -= o.size;
    }
    return true;
}

static bool model_counts_equal(struct heap_model *m, const char *what,
                               const struct heap_model_counts *want, uint32_t in_use, uint32_t peak,
                               uint64_t allocs, uint64_t frees)
{
    if (want->in_use != in_use || want->allocs != allocs || want->frees != frees ||
        (peak != UINT32_MAX && want->peak != peak))
        return model_fail(m,
                          "%s: heap says %u in use (peak %u), %llu allocs, %llu frees; model "
                          "%u (peak %u), %llu, %llu",
                          what, in_use, peak, (unsigned long long)allocs, (unsigned long long)frees,
                          want->in_use, want->peak, (unsigned long long)want->allocs,
                          (unsigned long long)want->frees);
    return true;
}

bool heap_model_check_stats(struct heap_model *m, const struct heap *h,
                            const struct heap_test_env *e)
{
    struct heap_stats s;
    heap_stats(h, &s);
    uint32_t small = 0;
    for (int c = 0; c < HEAP_CLASS_COUNT; c++) {
        const struct heap_class_stats *cs = &s.cls[c];
        char what[32];
        snprintf(what, sizeof what, "class %u B", cs->size);
        if (!model_counts_equal(m, what, &m->cls[c], cs->in_use, cs->peak_in_use, cs->allocs,
                                cs->frees))
            return false;
        uint32_t at_least = (cs->in_use + cs->objects_per_slab - 1) / cs->objects_per_slab;
        if (cs->slabs < at_least || cs->slabs > cs->in_use + 1 ||
            cs->pages != cs->slabs * cs->pages_per_slab || cs->spare > 1 ||
            (cs->in_use == 0 && cs->slabs != cs->spare))
            return model_fail(m, "%s: %u in use in %u slabs (%u pages, spare %u)", what, cs->in_use,
                              cs->slabs, cs->pages, cs->spare);
        small += cs->in_use;
    }
    if (!model_counts_equal(m, "large", &m->large, s.large_in_use, UINT32_MAX, s.large_allocs,
                            s.large_frees))
        return false;
    if (s.large_pages != m->large_pages || s.large_bytes != m->large_bytes ||
        s.small_in_use != small)
        return model_fail(m, "large: heap says %u pages %llu bytes, model %u and %llu",
                          s.large_pages, (unsigned long long)s.large_bytes, m->large_pages,
                          (unsigned long long)m->large_bytes);
    if (e && s.backed_pages != e->backed_pages)
        return model_fail(m, "heap says %u pages backed, the environment has %u", s.backed_pages,
                          e->backed_pages);
    if (e && e->error[0])
        return model_fail(m, "environment: %s", e->error);
    return true;
}
