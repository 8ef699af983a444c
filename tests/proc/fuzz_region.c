/*
 * Fuzz target: bytes -> a sequence of operations on a process's region list
 * (kernel/proc/region.c) and on a model of it written here, compared after every step. Any
 * disagreement aborts with the operation that showed it.
 *
 * The model keeps the accepted regions unsorted, in the order they came, and answers from the
 * rules in region.h alone:
 *  - insert: accepted iff non-empty, both ends page-aligned, the list not full and no overlap
 *    with any region held; afterwards the list must hold exactly the model's regions, in order;
 *  - remove(index): the index-th region in address order goes, an index past the end is ignored;
 *  - find(va): the one region with start <= va < end, or none;
 *  - check_access(va, len, want): len 0 is allowed; otherwise every byte of [va, va + len) must
 *    lie below PAGODA_USER_END (so no wrap past 2^32) in a region that is not a guard and whose
 *    rights include want. The model decides that twice: by walking the range page by page (each
 *    piece of a page must lie in one region that allows it), for ranges of at most WALK_PAGES
 *    pages, and, for every length, by counting the bytes of the range that allowing regions cover
 *    (they never overlap, so the range is allowed iff the count equals len). Huge lengths are
 *    judged by the count alone, so the model never iterates over gigabytes; where both run they
 *    must agree with each other.
 *
 * Addresses are drawn mostly near the boundaries that matter: the ends of the regions held, page
 * 0, PAGODA_USER_IMAGE_START, the guard gap and stack limits, PAGODA_USER_END and 2^32.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagoda/page.h"
#include "pagoda/user_layout.h"
#include "region.h"

#define WALK_PAGES 1024

struct model {
    struct region item[REGION_MAX];
    unsigned count;
};

struct bytes {
    const uint8_t *data;
    size_t size, at;
};

static uint8_t next8(struct bytes *b)
{
    return b->at < b->size ? b->data[b->at++] : 0;
}

static uint32_t next32(struct bytes *b)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | next8(b);
    return v;
}

static void fail(const char *what, uint32_t a, uint32_t b, uint32_t c, long got, long want)
{
    fprintf(stderr, "fuzz_region: %s (0x%08x, 0x%08x, %u): region.c says %ld, the model %ld\n",
            what, a, b, c, got, want);
    abort();
}

/* ---- the model ---- */

static bool model_allows(const struct region *r, uint32_t want)
{
    return r->kind != PAGODA_REGION_GUARD && (r->prot & want) == want;
}

static const struct region *model_find(const struct model *m, uint64_t va)
{
    for (unsigned i = 0; i < m->count; i++)
        if (m->item[i].start <= va && va < m->item[i].end)
            return &m->item[i];
    return 0;
}

static bool model_insert(struct model *m, const struct region *r)
{
    if (r->end <= r->start || r->start % PAGODA_PAGE_SIZE || r->end % PAGODA_PAGE_SIZE ||
        m->count == REGION_MAX)
        return false;
    for (unsigned i = 0; i < m->count; i++)
        if (r->start < m->item[i].end && m->item[i].start < r->end)
            return false;
    m->item[m->count++] = *r;
    return true;
}

static void model_remove(struct model *m, unsigned index)
{
    for (unsigned i = 0; i < m->count; i++) {
        unsigned below = 0;
        for (unsigned j = 0; j < m->count; j++)
            below += m->item[j].start < m->item[i].start;
        if (below == index) {
            m->item[i] = m->item[--m->count];
            return;
        }
    }
}

/* [first, last] inclusive, within one page or not: every piece of a page in one allowing region. */
static int model_walk(const struct model *m, uint64_t first, uint64_t last, uint32_t want)
{
    for (uint64_t piece = first; piece <= last;) {
        uint64_t page_last = pagoda_page_down(piece) + PAGODA_PAGE_SIZE - 1;
        uint64_t piece_last = page_last < last ? page_last : last;
        const struct region *r = model_find(m, piece);
        if (!r || !model_allows(r, want) || piece_last >= r->end)
            return -PAGODA_EFAULT;
        piece = piece_last + 1;
    }
    return 0;
}

/* Bytes of [first, last] that regions allowing want cover. */
static uint64_t model_covered(const struct model *m, uint64_t first, uint64_t last, uint32_t want)
{
    uint64_t covered = 0;
    for (unsigned i = 0; i < m->count; i++) {
        const struct region *r = &m->item[i];
        if (!model_allows(r, want))
            continue;
        uint64_t from = r->start > first ? r->start : first;
        uint64_t to = r->end < last + 1 ? r->end : last + 1;
        if (to > from)
            covered += to - from;
    }
    return covered;
}

static int model_access(const struct model *m, uint32_t va, uint32_t len, uint32_t want)
{
    if (len == 0)
        return 0;
    uint64_t last = (uint64_t)va + len - 1;
    if (last >= PAGODA_USER_END) /* the kernel half, or past 2^32 */
        return -PAGODA_EFAULT;
    int by_count = model_covered(m, va, last, want) == len ? 0 : -PAGODA_EFAULT;
    if ((last >> PAGODA_PAGE_SHIFT) - (va >> PAGODA_PAGE_SHIFT) < WALK_PAGES) {
        int by_walk = model_walk(m, va, last, want);
        if (by_walk != by_count)
            fail("the model's walk and count disagree", va, len, want, by_walk, by_count);
    }
    return by_count;
}

/* ---- drawing inputs ---- */

static const uint32_t landmarks[] = {
    0,
    PAGODA_PAGE_SIZE,
    PAGODA_USER_IMAGE_START,
    PAGODA_USER_IMAGE_START + 0x3000,
    0x40000000,
    0x80000000,
    PAGODA_USER_HEAP_LIMIT,
    PAGODA_USER_GUARD_START,
    PAGODA_USER_STACK_LIMIT,
    PAGODA_USER_END - PAGODA_PAGE_SIZE,
    PAGODA_USER_END,
    PAGODA_USER_END + PAGODA_PAGE_SIZE,
    0xFFFFF000,
    0xFFFFFFFF,
};
#define LANDMARKS (sizeof(landmarks) / sizeof(landmarks[0]))

/* Near a boundary: an end of a region held (most often) or a landmark, a few bytes either side. */
static uint32_t pick_address(struct bytes *b, const struct model *m)
{
    uint8_t how = next8(b);
    uint32_t base;
    if (how % 8 == 0)
        return next32(b);
    if (how % 8 <= 2 || m->count == 0) {
        base = landmarks[next8(b) % LANDMARKS];
    } else {
        uint8_t which = next8(b) % (2 * m->count);
        base = which % 2 ? m->item[which / 2].end : m->item[which / 2].start;
    }
    uint8_t d = next8(b);
    int32_t delta = d & 0x80 ? (int32_t)(d & 0x7F) - 64 : (int32_t)(d & 7) - 3;
    return base + (uint32_t)delta;
}

static uint32_t pick_length(struct bytes *b, const struct model *m, uint32_t va)
{
    uint8_t how = next8(b) % 8;
    switch (how) {
    case 0:
        return 0;
    case 1:
        return next8(b) % 16 + 1;
    case 2:
        return next32(b);
    case 3:
        return (uint32_t)next8(b) * PAGODA_PAGE_SIZE + next8(b) % 4;
    case 4: {
        static const uint32_t huge[] = {0x80000000, 0xFFFFFFFF, 0x7FFFFFFF, 0x40000000};
        uint8_t which = next8(b) % 8;
        if (which < 4)
            return huge[which];
        /* Exactly to 2^32, to the kernel half, one past it, one short of it. */
        uint32_t to = which < 6 ? 0 : PAGODA_USER_END;
        return to - va + (which % 2 ? 1u : 0u) - (which == 7 ? 2u : 0u);
    }
    default:
        /* To another boundary: the range ends near the start or end of something. */
        return pick_address(b, m) - va;
    }
}

static struct region pick_region(struct bytes *b, const struct model *m)
{
    uint32_t start = (uint32_t)pagoda_page_down(pick_address(b, m));
    start += (uint32_t)((int32_t)(int8_t)next8(b) >> 3) * PAGODA_PAGE_SIZE;
    uint8_t shape = next8(b);
    uint32_t pages;
    switch (shape % 4) {
    case 0:
    case 1:
        pages = next8(b) % 16 + 1;
        break;
    case 2:
        pages = (uint32_t)next8(b) << 8 | next8(b);
        break;
    default:
        pages = next32(b) >> PAGODA_PAGE_SHIFT;
        break;
    }
    uint32_t end = start + pages * PAGODA_PAGE_SIZE; /* may wrap: a region refused */
    switch (shape >> 2 & 15) {
    case 0:
        start |= next8(b) | 1;
        break;
    case 1:
        end |= next8(b) | 1;
        break;
    case 2:
        end = start;
        break;
    case 3: {
        uint32_t t = start;
        start = end;
        end = t;
        break;
    }
    }
    uint8_t k = next8(b);
    return (struct region){.start = start,
                           .end = end,
                           .kind = PAGODA_REGION_CODE + k % 6,
                           .prot = k >> 3 & 7,
                           .resident = next8(b)};
}

/* ---- comparing ---- */

static void compare_lists(const struct region_list *list, const struct model *m, const char *after)
{
    if (list->count != m->count)
        fail(after, 0, 0, 0, list->count, m->count);
    for (unsigned i = 0; i < list->count; i++) {
        const struct region *r = &list->item[i];
        if (i > 0 && list->item[i - 1].end > r->start)
            fail("regions out of order or overlapping", list->item[i - 1].end, r->start, i, 0, 0);
        const struct region *same = model_find(m, r->start);
        if (!same || memcmp(same, r, sizeof(*r)) != 0)
            fail("a region the model does not hold", r->start, r->end, r->kind, 1, 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bytes b = {data, size, 0};
    struct region_list list = {0};
    struct model m = {0};
    static const struct region uvm_fixed[] = {
        {PAGODA_USER_GUARD_START, PAGODA_USER_STACK_LIMIT, PAGODA_REGION_GUARD, 0, 0},
        {PAGODA_USER_STACK_LIMIT, PAGODA_USER_STACK_TOP, PAGODA_REGION_STACK,
         PAGODA_PROT_READ | PAGODA_PROT_WRITE, 0},
    };

    while (b.at < b.size) {
        uint8_t op = next8(&b) % 10;
        if (op <= 3) {
            struct region r = op == 3 ? uvm_fixed[next8(&b) % 2] : pick_region(&b, &m);
            bool got = region_insert(&list, &r);
            bool want = model_insert(&m, &r);
            if (got != want)
                fail("region_insert", r.start, r.end, list.count, got, want);
            compare_lists(&list, &m, "count after region_insert");
        } else if (op == 4) {
            unsigned index = next8(&b) % (m.count + 2);
            region_remove(&list, index);
            model_remove(&m, index);
            compare_lists(&list, &m, "count after region_remove");
        } else if (op <= 8) {
            uint32_t va = pick_address(&b, &m);
            uint32_t len = pick_length(&b, &m, va);
            uint32_t want = next8(&b) & 7;
            int got = region_check_access(&list, va, len, want);
            int expected = model_access(&m, va, len, want);
            if (got != expected)
                fail("region_check_access", va, len, want, got, expected);
        } else {
            uint32_t va = pick_address(&b, &m);
            const struct region *got = region_find_const(&list, va);
            const struct region *expected = model_find(&m, va);
            if ((got == 0) != (expected == 0) || region_find(&list, va) != got ||
                (got && (got < list.item || got >= list.item + list.count ||
                         memcmp(got, expected, sizeof(*got)) != 0)))
                fail("region_find", va, 0, 0, got ? (long)got->start : -1,
                     expected ? (long)expected->start : -1);
        }
    }
    return 0;
}
