/*
 * A deliberately naive reference model of the frame allocator: one state byte per covered frame,
 * linear scans everywhere. The tests drive the real allocator and this model with the same
 * operations and compare every answer.
 */
#ifndef PAGODA_TESTS_MEM_MODEL_H
#define PAGODA_TESTS_MEM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/frames.h"

enum mem_model_state { MODEL_OUT = 0, MODEL_FREE = 1, MODEL_ALLOC = 2 };

#define MODEL_MAX_SPANS 64

struct mem_model {
    struct {
        uint64_t base_pfn, frames, first; /* first: index of the span's first frame in state */
        bool reclaimable;
    } span[MODEL_MAX_SPANS];
    uint32_t spans;
    uint64_t frames;
    uint8_t *state;
};

#define MODEL_LOW_LIMIT_PFN (0x100000000ull >> 12)

static inline void mem_model_init(struct mem_model *m, const struct memmap *map)
{
    memset(m, 0, sizeof *m);
    for (uint32_t i = 0; i < map->count && m->spans < MODEL_MAX_SPANS; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->kind != MEMMAP_USABLE && e->kind != MEMMAP_RECLAIMABLE)
            continue;
        m->span[m->spans].base_pfn = e->start >> 12;
        m->span[m->spans].frames = (e->end - e->start) >> 12;
        m->span[m->spans].first = m->frames;
        m->span[m->spans].reclaimable = e->kind == MEMMAP_RECLAIMABLE;
        m->frames += m->span[m->spans].frames;
        m->spans++;
    }
    m->state = calloc(m->frames ? m->frames : 1, 1);
    for (uint32_t s = 0; s < m->spans; s++)
        if (!m->span[s].reclaimable)
            memset(m->state + m->span[s].first, MODEL_FREE, m->span[s].frames);
}

static inline void mem_model_destroy(struct mem_model *m)
{
    free(m->state);
}

/* Index of pfn in state, or -1 when no span covers it. */
static inline int64_t mem_model_index(const struct mem_model *m, uint64_t pfn)
{
    for (uint32_t s = 0; s < m->spans; s++)
        if (pfn >= m->span[s].base_pfn && pfn < m->span[s].base_pfn + m->span[s].frames)
            return (int64_t)(m->span[s].first + pfn - m->span[s].base_pfn);
    return -1;
}

static inline uint64_t mem_model_pfn(const struct mem_model *m, uint64_t index)
{
    for (uint32_t s = 0; s < m->spans; s++)
        if (index >= m->span[s].first && index < m->span[s].first + m->span[s].frames)
            return m->span[s].base_pfn + index - m->span[s].first;
    return UINT64_MAX;
}

static inline uint64_t mem_model_count(const struct mem_model *m, int state, int zone)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < m->frames; i++) {
        bool low = mem_model_pfn(m, i) < MODEL_LOW_LIMIT_PFN;
        if (m->state[i] == state && (zone < 0 || low == (zone == FRAMES_ZONE_LOW)))
            n++;
    }
    return n;
}

/* Highest free pfn in the zone, or UINT64_MAX (spans are sorted: scan from the top). */
static inline uint64_t mem_model_highest_free(const struct mem_model *m, int zone)
{
    for (uint32_t s = m->spans; s-- > 0;) {
        for (uint64_t k = m->span[s].frames; k-- > 0;) {
            uint64_t pfn = m->span[s].base_pfn + k;
            if ((pfn < MODEL_LOW_LIMIT_PFN) != (zone == FRAMES_ZONE_LOW))
                continue;
            if (m->state[m->span[s].first + k] == MODEL_FREE)
                return pfn;
        }
    }
    return UINT64_MAX;
}

static inline bool mem_model_run_free(const struct mem_model *m, uint64_t pfn, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        int64_t idx = mem_model_index(m, pfn + k);
        if (idx < 0 || m->state[idx] != MODEL_FREE)
            return false;
    }
    return true;
}

/*
 * Highest aligned free run within one zone (the allocator never lets a run cross 4 GiB), or
 * UINT64_MAX. Checks every aligned start from the top: slow and obviously right.
 */
static inline uint64_t mem_model_highest_run(const struct mem_model *m, int zone, uint32_t count,
                                             uint32_t align)
{
    uint64_t best = UINT64_MAX;
    for (uint32_t s = 0; s < m->spans; s++) {
        uint64_t lo = m->span[s].base_pfn, hi = lo + m->span[s].frames;
        /* Runs may cross touching spans; extend hi over following touching spans. */
        for (uint32_t t = s + 1; t < m->spans && m->span[t].base_pfn == hi; t++)
            hi += m->span[t].frames;
        if (zone == FRAMES_ZONE_LOW && hi > MODEL_LOW_LIMIT_PFN)
            hi = MODEL_LOW_LIMIT_PFN;
        if (zone == FRAMES_ZONE_HIGH && lo < MODEL_LOW_LIMIT_PFN)
            lo = MODEL_LOW_LIMIT_PFN;
        if (hi < lo + count)
            continue;
        for (uint64_t start = (hi - count) & ~((uint64_t)align - 1); start >= lo; start -= align) {
            if (best != UINT64_MAX && start <= best)
                break;
            if (mem_model_run_free(m, start, count)) {
                best = start;
                break;
            }
            if (start < align)
                break;
        }
    }
    return best;
}

static inline void mem_model_set(struct mem_model *m, uint64_t pfn, uint32_t count, int state)
{
    for (uint32_t k = 0; k < count; k++) {
        int64_t idx = mem_model_index(m, pfn + k);
        if (idx >= 0)
            m->state[idx] = (uint8_t)state;
    }
}

/* frames_reserve in the model: every covered, not-allocated frame becomes allocated. */
static inline uint64_t mem_model_reserve(struct mem_model *m, uint64_t start, uint64_t end)
{
    uint64_t claimed = 0;
    if (end <= start)
        return 0;
    for (uint64_t pfn = start >> 12; pfn < (end + 0xfff) >> 12; pfn++) {
        int64_t idx = mem_model_index(m, pfn);
        if (idx >= 0 && m->state[idx] != MODEL_ALLOC) {
            m->state[idx] = MODEL_ALLOC;
            claimed++;
        }
    }
    return claimed;
}

static inline uint64_t mem_model_add_reclaimable(struct mem_model *m)
{
    uint64_t added = 0;
    for (uint32_t s = 0; s < m->spans; s++) {
        if (!m->span[s].reclaimable)
            continue;
        for (uint64_t k = 0; k < m->span[s].frames; k++) {
            uint8_t *st = &m->state[m->span[s].first + k];
            if (*st == MODEL_OUT) {
                *st = MODEL_FREE;
                added++;
            }
        }
    }
    return added;
}

#endif
