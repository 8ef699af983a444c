/*
 * The frame allocator: per-region free bitmaps with summary trees (see frames.h).
 *
 * All bitmap words are 32-bit, the i686 kernel's native width, and no 64-bit division is used
 * anywhere (the kernel links no compiler runtime): frame numbers are split with shifts.
 */
#include "frames.h"
#include "pagoda/page.h"

#include "audit.h"
#include "../panic.h"

#define FRAMES_WORD_BITS  32u
#define FRAMES_WORD_SHIFT 5u
#define FRAMES_BIT_MASK   31u
#define FRAMES_ALL_ONES   0xFFFFFFFFu

/* ---- bit helpers ---- */

static uint32_t frames_words_for(uint64_t bits)
{
    return (uint32_t)((bits + FRAMES_WORD_BITS - 1) >> FRAMES_WORD_SHIFT);
}

static uint32_t frames_bit(uint32_t index)
{
    return 1u << (index & FRAMES_BIT_MASK);
}

static uint32_t frames_highest_bit(uint32_t word)
{
    return 31u - (uint32_t)__builtin_clz(word);
}

static uint32_t frames_popcount(uint32_t word)
{
    return (uint32_t)__builtin_popcount(word);
}

/* Bits [from, to) of word number word_index, as a mask (from < to, both absolute bit indices). */
static uint32_t frames_word_mask(uint32_t word_index, uint32_t from, uint32_t to)
{
    uint32_t word_start = word_index << FRAMES_WORD_SHIFT;
    uint32_t lo = from > word_start ? from - word_start : 0;
    uint32_t hi = to - word_start >= FRAMES_WORD_BITS ? FRAMES_WORD_BITS : to - word_start;
    uint32_t upper = hi == FRAMES_WORD_BITS ? FRAMES_ALL_ONES : (1u << hi) - 1u;
    return upper & ~((1u << lo) - 1u);
}

/* Mask of bits 0..bit inclusive. */
static uint32_t frames_mask_upto(uint32_t bit)
{
    return bit >= FRAMES_BIT_MASK ? FRAMES_ALL_ONES : (1u << (bit + 1)) - 1u;
}

/* ---- summary trees ---- */

/* Words per level for a tree of bits items; returns the number of levels. */
static uint32_t frames_tree_shape(uint32_t bits, uint32_t *level_words)
{
    uint32_t levels = 0;
    uint64_t items = bits ? bits : 1;
    do {
        uint32_t words = frames_words_for(items);
        if (level_words)
            level_words[levels] = words;
        levels++;
        items = words;
    } while (items > 1 && levels < FRAMES_TREE_MAX_LEVELS);
    return levels;
}

static uint64_t frames_tree_words(uint32_t bits)
{
    uint32_t level_words[FRAMES_TREE_MAX_LEVELS];
    uint32_t levels = frames_tree_shape(bits, level_words);
    uint64_t total = 0;
    for (uint32_t l = 0; l < levels; l++)
        total += level_words[l];
    return total;
}

/* Lays the tree out at *cursor (zeroed memory) and advances the cursor. */
static void frames_tree_place(struct frames_tree *t, uint32_t bits, uint32_t **cursor)
{
    uint32_t level_words[FRAMES_TREE_MAX_LEVELS];
    t->bits = bits;
    t->levels = frames_tree_shape(bits, level_words);
    for (uint32_t l = 0; l < t->levels; l++) {
        t->level[l] = *cursor;
        *cursor += level_words[l];
    }
}

/* ORs mask into leaf word w; marks the word non-empty up the tree if it was empty. */
static void frames_tree_or_word(struct frames_tree *t, uint32_t w, uint32_t mask)
{
    for (uint32_t l = 0; l < t->levels && mask; l++) {
        uint32_t *word = &t->level[l][w];
        bool was_empty = *word == 0;
        *word |= mask;
        if (!was_empty)
            return;
        mask = frames_bit(w);
        w >>= FRAMES_WORD_SHIFT;
    }
}

/* Clears mask in leaf word w; marks the word empty up the tree if it became empty. */
static void frames_tree_clear_word(struct frames_tree *t, uint32_t w, uint32_t mask)
{
    for (uint32_t l = 0; l < t->levels && mask; l++) {
        uint32_t *word = &t->level[l][w];
        if (*word == 0)
            return;
        *word &= ~mask;
        if (*word != 0)
            return;
        mask = frames_bit(w);
        w >>= FRAMES_WORD_SHIFT;
    }
}

static void frames_tree_set(struct frames_tree *t, uint32_t bit)
{
    frames_tree_or_word(t, bit >> FRAMES_WORD_SHIFT, frames_bit(bit));
}

static void frames_tree_clear(struct frames_tree *t, uint32_t bit)
{
    frames_tree_clear_word(t, bit >> FRAMES_WORD_SHIFT, frames_bit(bit));
}

static bool frames_tree_test(const struct frames_tree *t, uint32_t bit)
{
    return (t->level[0][bit >> FRAMES_WORD_SHIFT] & frames_bit(bit)) != 0;
}

/* From a set bit at (level, index): follow the highest set bits down to a leaf. */
static uint32_t frames_tree_descend(const struct frames_tree *t, uint32_t level, uint32_t index)
{
    while (level-- > 0)
        index = (index << FRAMES_WORD_SHIFT) + frames_highest_bit(t->level[level][index]);
    return index;
}

/* Highest set bit below limit, in O(levels): climb while the masked word is empty, then descend. */
static bool frames_tree_find_last_below(const struct frames_tree *t, uint32_t limit,
                                        uint32_t *found)
{
    if (limit == 0)
        return false;
    uint32_t bit = limit - 1;
    for (uint32_t l = 0; l < t->levels; l++) {
        uint32_t w = bit >> FRAMES_WORD_SHIFT;
        uint32_t word = t->level[l][w] & frames_mask_upto(bit & FRAMES_BIT_MASK);
        if (word) {
            *found = frames_tree_descend(t, l, (w << FRAMES_WORD_SHIFT) + frames_highest_bit(word));
            return true;
        }
        if (w == 0)
            return false;
        bit = w - 1;
    }
    return false;
}

static bool frames_tree_find_last(const struct frames_tree *t, uint32_t *found)
{
    return frames_tree_find_last_below(t, t->bits, found);
}

/* ---- plain bitmap (the allocated bits) ---- */

static bool frames_bits_test(const uint32_t *bits, uint32_t index)
{
    return (bits[index >> FRAMES_WORD_SHIFT] & frames_bit(index)) != 0;
}

/* ---- regions ---- */

/* Called for every region in address order; plan pass or build pass. */
typedef void (*frames_region_fn)(void *ctx, uint64_t base_pfn, uint32_t frames);

/* Splits [base, end) at 4 GiB and at FRAMES_MAX_REGION_FRAMES and reports each piece. */
static void frames_emit_pieces(uint64_t base, uint64_t end, frames_region_fn fn, void *ctx)
{
    while (base < end) {
        uint64_t piece_end = end;
        if (base < FRAMES_LOW_LIMIT_PFN && piece_end > FRAMES_LOW_LIMIT_PFN)
            piece_end = FRAMES_LOW_LIMIT_PFN;
        if (piece_end - base > FRAMES_MAX_REGION_FRAMES)
            piece_end = base + FRAMES_MAX_REGION_FRAMES;
        fn(ctx, base, (uint32_t)(piece_end - base));
        base = piece_end;
    }
}

/* Allocatable entry as whole frames below limit_pfn (normalized maps are aligned; round inward
 * regardless). */
static bool frames_entry_pfns(const struct memmap_entry *e, uint64_t limit_pfn, uint64_t *base,
                              uint64_t *end)
{
    *base = pagoda_page_up(e->start) >> PAGODA_PAGE_SHIFT;
    *end = e->end >> PAGODA_PAGE_SHIFT;
    if (*end > limit_pfn)
        *end = limit_pfn;
    return *base < *end;
}

static uint64_t frames_limit_pfn(uint64_t limit)
{
    return limit >> PAGODA_PAGE_SHIFT;
}

/* Merges touching allocatable entries below limit_pfn into regions; false if the map is not
 * sorted. */
static bool frames_walk_regions(const struct memmap *map, uint64_t limit_pfn, frames_region_fn fn,
                                void *ctx)
{
    bool open = false;
    uint64_t open_base = 0, open_end = 0, previous_end = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->start < previous_end || e->end <= e->start)
            return false;
        previous_end = e->end;
        uint64_t base, end;
        if (!memmap_kind_is_allocatable(e->kind) || !frames_entry_pfns(e, limit_pfn, &base, &end))
            continue;
        if (open && base == open_end) {
            open_end = end;
            continue;
        }
        if (open)
            frames_emit_pieces(open_base, open_end, fn, ctx);
        open = true;
        open_base = base;
        open_end = end;
    }
    if (open)
        frames_emit_pieces(open_base, open_end, fn, ctx);
    return true;
}

struct frames_plan {
    uint32_t regions;
    uint32_t zone_regions[FRAMES_ZONE_COUNT];
    uint64_t words; /* bitmap words of all regions */
    uint64_t frames;
};

static uint32_t frames_zone_of(uint64_t base_pfn)
{
    return base_pfn < FRAMES_LOW_LIMIT_PFN ? FRAMES_ZONE_LOW : FRAMES_ZONE_HIGH;
}

static void frames_plan_region(void *ctx, uint64_t base_pfn, uint32_t frames)
{
    struct frames_plan *plan = ctx;
    plan->regions++;
    plan->zone_regions[frames_zone_of(base_pfn)]++;
    plan->words += frames_tree_words(frames) + frames_words_for(frames);
    plan->frames += frames;
}

#define FRAMES_METADATA_ALIGN 8u

static uint64_t frames_plan_bytes(const struct frames_plan *plan)
{
    uint64_t words = plan->words;
    for (uint32_t z = 0; z < FRAMES_ZONE_COUNT; z++)
        words += frames_tree_words(plan->zone_regions[z]);
    return (uint64_t)plan->regions * sizeof(struct frames_region) + words * sizeof(uint32_t) +
           FRAMES_METADATA_ALIGN;
}

size_t frames_metadata_bytes(const struct memmap *map, uint64_t limit)
{
    struct frames_plan plan = {0};
    if (!frames_walk_regions(map, frames_limit_pfn(limit), frames_plan_region, &plan))
        return 0;
    uint64_t bytes = frames_plan_bytes(&plan);
    return bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}

struct frames_builder {
    struct frames *f;
    uint32_t next_region;
    uint32_t *words;
};

static void frames_build_region(void *ctx, uint64_t base_pfn, uint32_t frames)
{
    struct frames_builder *b = ctx;
    struct frames_region *r = &b->f->regions[b->next_region++];
    *r = (struct frames_region){.base_pfn = base_pfn, .frames = frames};
    r->zone = frames_zone_of(base_pfn);
    frames_tree_place(&r->free_tree, frames, &b->words);
    r->allocated_bits = b->words;
    b->words += frames_words_for(frames);
}

/* Region holding pfn, by binary search over the sorted regions; NULL if none. */
static struct frames_region *frames_region_of(const struct frames *f, uint64_t pfn)
{
    uint32_t lo = 0, hi = f->region_count;
    while (lo < hi) {
        uint32_t mid = lo + ((hi - lo) >> 1);
        struct frames_region *r = &f->regions[mid];
        if (pfn < r->base_pfn)
            hi = mid;
        else if (pfn >= r->base_pfn + r->frames)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

/* First region whose end lies above pfn (index region_count if none). */
static uint32_t frames_first_region_ending_after(const struct frames *f, uint64_t pfn)
{
    uint32_t lo = 0, hi = f->region_count;
    while (lo < hi) {
        uint32_t mid = lo + ((hi - lo) >> 1);
        if (f->regions[mid].base_pfn + f->regions[mid].frames <= pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t frames_region_index(const struct frames *f, const struct frames_region *r)
{
    return (uint32_t)(r - f->regions);
}

/* Keeps the zone's "region has free frames" bit in step after r->free changed. */
static void frames_sync_zone_bit(struct frames *f, struct frames_region *r)
{
    uint32_t local = frames_region_index(f, r) - f->zone_first[r->zone];
    if (r->free)
        frames_tree_set(&f->zone_tree[r->zone], local);
    else
        frames_tree_clear(&f->zone_tree[r->zone], local);
}

/* ---- state changes on ranges of a region (word-wise) ---- */

enum frames_range_op {
    FRAMES_OP_ADD_FREE, /* frames in no bitmap join the pool as free */
    FRAMES_OP_CLAIM,    /* free or out-of-pool frames become allocated */
};

/* Applies op to region-local frames [from, to); returns the frames that changed state. */
static uint32_t frames_region_apply(struct frames *f, struct frames_region *r, uint32_t from,
                                    uint32_t to, enum frames_range_op op)
{
    uint32_t changed = 0, free_taken = 0;
    uint32_t *free_words = r->free_tree.level[0];
    for (uint32_t w = from >> FRAMES_WORD_SHIFT; w <= (to - 1) >> FRAMES_WORD_SHIFT; w++) {
        uint32_t mask = frames_word_mask(w, from, to);
        if (op == FRAMES_OP_ADD_FREE) {
            uint32_t add = mask & ~free_words[w] & ~r->allocated_bits[w];
            frames_tree_or_word(&r->free_tree, w, add);
            changed += frames_popcount(add);
        } else {
            uint32_t taken = mask & free_words[w];
            uint32_t claim = mask & ~r->allocated_bits[w];
            frames_tree_clear_word(&r->free_tree, w, taken);
            r->allocated_bits[w] |= claim;
            free_taken += frames_popcount(taken);
            changed += frames_popcount(claim);
        }
    }
    struct frames_stats *zone = &f->zone[r->zone];
    if (op == FRAMES_OP_ADD_FREE) {
        r->free += changed;
        zone->free += changed;
        zone->total += changed;
    } else {
        r->free -= free_taken;
        r->allocated += changed;
        zone->free -= free_taken;
        zone->total += changed - free_taken; /* out-of-pool frames joined as allocated */
    }
    frames_sync_zone_bit(f, r);
    return changed;
}

/* Applies op to the frames [start_pfn, end_pfn) wherever regions cover them. */
static uint64_t frames_apply(struct frames *f, uint64_t start_pfn, uint64_t end_pfn,
                             enum frames_range_op op)
{
    uint64_t changed = 0;
    if (start_pfn >= end_pfn)
        return 0;
    for (uint32_t i = frames_first_region_ending_after(f, start_pfn); i < f->region_count; i++) {
        struct frames_region *r = &f->regions[i];
        if (r->base_pfn >= end_pfn)
            break;
        uint64_t from = start_pfn > r->base_pfn ? start_pfn - r->base_pfn : 0;
        uint64_t to = end_pfn - r->base_pfn < r->frames ? end_pfn - r->base_pfn : r->frames;
        changed += frames_region_apply(f, r, (uint32_t)from, (uint32_t)to, op);
    }
    return changed;
}

/* Adds every entry of the given kind below the pool's limit to the pool. */
static uint64_t frames_add_kind(struct frames *f, const struct memmap *map, uint32_t kind)
{
    uint64_t added = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        uint64_t base, end;
        if (map->entries[i].kind == kind &&
            frames_entry_pfns(&map->entries[i], f->limit_pfn, &base, &end))
            added += frames_apply(f, base, end, FRAMES_OP_ADD_FREE);
    }
    return added;
}

/* ---- init ---- */

enum frames_status frames_init(struct frames *f, const struct memmap *map, uint64_t limit,
                               void *metadata, size_t metadata_size)
{
    struct frames_plan plan = {0};
    *f = (struct frames){.limit_pfn = frames_limit_pfn(limit)};
    if (!frames_walk_regions(map, f->limit_pfn, frames_plan_region, &plan))
        return FRAMES_ERR_MAP_UNSORTED;
    uint64_t needed = frames_plan_bytes(&plan);
    if (metadata_size < needed)
        return FRAMES_ERR_METADATA_TOO_SMALL;

    uintptr_t aligned =
        ((uintptr_t)metadata + FRAMES_METADATA_ALIGN - 1) & ~(uintptr_t)(FRAMES_METADATA_ALIGN - 1);
    /* Zeroing is O(metadata), which the budget allows; it is word-wise, never per frame. */
    uint32_t *zero = (uint32_t *)aligned;
    for (uint64_t i = 0; i < (needed - FRAMES_METADATA_ALIGN) / sizeof(uint32_t); i++)
        zero[i] = 0;

    f->regions = (struct frames_region *)aligned;
    f->region_count = plan.regions;
    f->zone_first[FRAMES_ZONE_LOW] = 0;
    f->zone_first[FRAMES_ZONE_HIGH] = plan.zone_regions[FRAMES_ZONE_LOW];
    f->zone_first[FRAMES_ZONE_COUNT] = plan.regions;
    f->covered_frames = plan.frames;
    f->metadata_bytes = (size_t)needed;

    struct frames_builder builder = {
        .f = f,
        .words = (uint32_t *)(f->regions + plan.regions),
    };
    for (uint32_t z = 0; z < FRAMES_ZONE_COUNT; z++)
        frames_tree_place(&f->zone_tree[z], plan.zone_regions[z], &builder.words);
    frames_walk_regions(map, f->limit_pfn, frames_build_region, &builder);
    frames_add_kind(f, map, MEMMAP_USABLE);
    return FRAMES_OK;
}

/* ---- single frames ---- */

static uint64_t frames_phys(const struct frames_region *r, uint32_t index)
{
    return (r->base_pfn + index) << PAGODA_PAGE_SHIFT;
}

static void frames_take(struct frames *f, struct frames_region *r, uint32_t index)
{
    frames_tree_clear(&r->free_tree, index);
    r->allocated_bits[index >> FRAMES_WORD_SHIFT] |= frames_bit(index);
    r->free--;
    r->allocated++;
    f->zone[r->zone].free--;
    if (r->free == 0)
        frames_sync_zone_bit(f, r);
}

/* Highest region of the zone with free frames below zone-local index limit. */
static struct frames_region *frames_zone_region_below(struct frames *f, uint32_t zone,
                                                      uint32_t limit)
{
    uint32_t local;
    if (!frames_tree_find_last_below(&f->zone_tree[zone], limit, &local))
        return NULL;
    return &f->regions[f->zone_first[zone] + local];
}

static uint64_t frames_alloc_in_zone(struct frames *f, uint32_t zone)
{
    struct frames_region *r = frames_zone_region_below(f, zone, f->zone_tree[zone].bits);
    uint32_t index;
    if (r == NULL || !frames_tree_find_last(&r->free_tree, &index))
        return FRAMES_NONE;
    frames_take(f, r, index);
    return frames_phys(r, index);
}

uint64_t frames_alloc(struct frames *f, enum frames_where where)
{
    if (where == FRAMES_ANYWHERE) {
        uint64_t phys = frames_alloc_in_zone(f, FRAMES_ZONE_HIGH);
        if (phys != FRAMES_NONE)
            return phys;
    }
    return frames_alloc_in_zone(f, FRAMES_ZONE_LOW);
}

void frames_free(struct frames *f, uint64_t phys)
{
    struct frames_region *r = NULL;
    if (pagoda_page_aligned(phys))
        r = frames_region_of(f, phys >> PAGODA_PAGE_SHIFT);
    uint32_t index = r ? (uint32_t)((phys >> PAGODA_PAGE_SHIFT) - r->base_pfn) : 0;
    if (r == NULL || !frames_bits_test(r->allocated_bits, index)) {
        if (r && frames_tree_test(&r->free_tree, index))
            panic("frames: double free of frame 0x%llx", (unsigned long long)phys);
        panic("frames: free of 0x%llx which was never allocated", (unsigned long long)phys);
    }
    r->allocated_bits[index >> FRAMES_WORD_SHIFT] &= ~frames_bit(index);
    frames_tree_set(&r->free_tree, index);
    r->allocated--;
    r->free++;
    f->zone[r->zone].free++;
    if (r->free == 1)
        frames_sync_zone_bit(f, r);
}

/* The region holding the whole run [phys, phys + count frames), or NULL. */
static struct frames_region *frames_region_of_run(const struct frames *f, uint64_t phys,
                                                  uint32_t count)
{
    if (!pagoda_page_aligned(phys))
        return NULL;
    struct frames_region *r = frames_region_of(f, phys >> PAGODA_PAGE_SHIFT);
    if (r == NULL || (phys >> PAGODA_PAGE_SHIFT) - r->base_pfn + count > r->frames)
        return NULL;
    return r;
}

/* Whether every frame of region-local [from, to) is handed out: one test per word. */
static bool frames_run_allocated(const struct frames_region *r, uint32_t from, uint32_t to)
{
    for (uint32_t w = from >> FRAMES_WORD_SHIFT; w <= (to - 1) >> FRAMES_WORD_SHIFT; w++) {
        uint32_t mask = frames_word_mask(w, from, to);
        if ((r->allocated_bits[w] & mask) != mask)
            return false;
    }
    return true;
}

/*
 * Word-wise when the run is valid (O(count / 32)); otherwise frame by frame, so the panic names
 * the first frame that was not handed out, exactly as single frees would.
 */
void frames_free_run(struct frames *f, uint64_t phys, uint32_t count)
{
    if (count == 0)
        return;
    struct frames_region *r = frames_region_of_run(f, phys, count);
    uint32_t from = r ? (uint32_t)((phys >> PAGODA_PAGE_SHIFT) - r->base_pfn) : 0;
    if (r == NULL || !frames_run_allocated(r, from, from + count)) {
        for (uint32_t i = 0; i < count; i++)
            frames_free(f, phys + ((uint64_t)i << PAGODA_PAGE_SHIFT));
        return;
    }
    uint32_t to = from + count;
    for (uint32_t w = from >> FRAMES_WORD_SHIFT; w <= (to - 1) >> FRAMES_WORD_SHIFT; w++) {
        uint32_t mask = frames_word_mask(w, from, to);
        r->allocated_bits[w] &= ~mask;
        frames_tree_or_word(&r->free_tree, w, mask);
    }
    r->allocated -= count;
    r->free += count;
    f->zone[r->zone].free += count;
    if (r->free == count)
        frames_sync_zone_bit(f, r);
}

/* ---- runs ---- */

/* Highest frame in [from, to) that is not free, word by word from the top; false if none. */
static bool frames_last_busy_in(const struct frames_region *r, uint32_t from, uint32_t to,
                                uint32_t *busy)
{
    const uint32_t *free_words = r->free_tree.level[0];
    for (uint32_t w = (to - 1) >> FRAMES_WORD_SHIFT;; w--) {
        uint32_t not_free = ~free_words[w] & frames_word_mask(w, from, to);
        if (not_free) {
            *busy = (w << FRAMES_WORD_SHIFT) + frames_highest_bit(not_free);
            return true;
        }
        if (w == from >> FRAMES_WORD_SHIFT)
            return false;
    }
}

/*
 * Top-down search for count free frames starting at a multiple of align: the candidate is the
 * highest aligned start whose run ends at or below the highest free frame; if a busy frame sits
 * inside it, no run containing that frame can work, so the search continues below it.
 */
static bool frames_find_run(const struct frames_region *r, uint32_t count, uint32_t align,
                            uint32_t *start)
{
    uint32_t limit = r->frames;
    uint32_t highest_free;
    while (frames_tree_find_last_below(&r->free_tree, limit, &highest_free)) {
        uint64_t run_end_pfn = r->base_pfn + highest_free + 1;
        if (run_end_pfn - r->base_pfn < count)
            return false;
        uint64_t start_pfn = (run_end_pfn - count) & ~((uint64_t)align - 1);
        if (start_pfn < r->base_pfn)
            return false;
        uint32_t candidate = (uint32_t)(start_pfn - r->base_pfn);
        uint32_t busy;
        if (!frames_last_busy_in(r, candidate, candidate + count, &busy)) {
            *start = candidate;
            return true;
        }
        limit = busy;
    }
    return false;
}

static uint64_t frames_alloc_run_in_zone(struct frames *f, uint32_t zone, uint32_t count,
                                         uint32_t align)
{
    uint32_t limit = f->zone_tree[zone].bits;
    struct frames_region *r;
    while ((r = frames_zone_region_below(f, zone, limit)) != NULL) {
        uint32_t start;
        if (r->free >= count && frames_find_run(r, count, align, &start)) {
            frames_region_apply(f, r, start, start + count, FRAMES_OP_CLAIM);
            return frames_phys(r, start);
        }
        limit = frames_region_index(f, r) - f->zone_first[zone];
    }
    return FRAMES_NONE;
}

uint64_t frames_alloc_run(struct frames *f, uint32_t count, uint32_t align_frames,
                          enum frames_where where)
{
    if (count == 0 || align_frames == 0 || (align_frames & (align_frames - 1)) != 0)
        return FRAMES_NONE;
    if (where == FRAMES_ANYWHERE) {
        uint64_t phys = frames_alloc_run_in_zone(f, FRAMES_ZONE_HIGH, count, align_frames);
        if (phys != FRAMES_NONE)
            return phys;
    }
    return frames_alloc_run_in_zone(f, FRAMES_ZONE_LOW, count, align_frames);
}

/* ---- reserve, reclaim, counters ---- */

uint64_t frames_reserve(struct frames *f, uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0;
    uint64_t end_pfn = (end >> PAGODA_PAGE_SHIFT) + ((end & (PAGODA_PAGE_SIZE - 1)) != 0);
    return frames_apply(f, start >> PAGODA_PAGE_SHIFT, end_pfn, FRAMES_OP_CLAIM);
}

uint64_t frames_add_reclaimable(struct frames *f, const struct memmap *map)
{
    return frames_add_kind(f, map, MEMMAP_RECLAIMABLE);
}

uint64_t frames_total(const struct frames *f)
{
    return f->zone[FRAMES_ZONE_LOW].total + f->zone[FRAMES_ZONE_HIGH].total;
}

uint64_t frames_free_count(const struct frames *f)
{
    return f->zone[FRAMES_ZONE_LOW].free + f->zone[FRAMES_ZONE_HIGH].free;
}

uint32_t frames_metadata_millibits_per_frame(const struct frames *f)
{
    uint64_t millibits = (uint64_t)f->metadata_bytes * 8u * 1000u;
    uint64_t frames = f->covered_frames;
    /* Scale both down until 32-bit division applies: no 64-bit division helper on i686. */
    while (frames > UINT32_MAX || millibits > UINT32_MAX) {
        frames >>= 1;
        millibits >>= 1;
    }
    return frames ? (uint32_t)millibits / (uint32_t)frames : 0;
}

/* ---- audit ---- */

/* Every summary bit equals "word below is not zero"; no bits past the end of any level. */
static bool frames_audit_tree(struct mem_audit *a, const struct frames_tree *t, const char *what,
                              uint64_t id)
{
    uint64_t items = t->bits;
    for (uint32_t l = 0; l < t->levels; l++) {
        uint32_t words = frames_words_for(items ? items : 1);
        for (uint32_t w = 0; w < words; w++) {
            uint32_t valid = items ? frames_word_mask(w, 0, (uint32_t)items) : 0;
            if (t->level[l][w] & ~valid)
                return mem_audit_fail(a, "frames: %s 0x%llx: bits past the end at level %u", what,
                                      (unsigned long long)id, l);
            if (l == 0)
                continue;
            for (uint32_t b = 0; b < FRAMES_WORD_BITS; b++) {
                uint32_t below = (w << FRAMES_WORD_SHIFT) + b;
                if (below >= items)
                    break;
                bool summary = (t->level[l][w] & frames_bit(b)) != 0;
                if (summary != (t->level[l - 1][below] != 0))
                    return mem_audit_fail(a, "frames: %s 0x%llx: summary bit %u of level %u wrong",
                                          what, (unsigned long long)id, below, l);
            }
        }
        items = words;
    }
    return true;
}

static bool frames_audit_region(struct mem_audit *a, const struct frames *f,
                                const struct frames_region *r, uint64_t previous_end)
{
    unsigned long long base = (unsigned long long)(r->base_pfn << PAGODA_PAGE_SHIFT);
    if (r->frames == 0 || r->base_pfn < previous_end)
        return mem_audit_fail(a, "frames: region 0x%llx empty or out of order", base);
    if (r->zone != frames_zone_of(r->base_pfn) ||
        (r->zone == FRAMES_ZONE_LOW && r->base_pfn + r->frames > FRAMES_LOW_LIMIT_PFN))
        return mem_audit_fail(a, "frames: region 0x%llx in the wrong zone", base);
    uint32_t free = 0, allocated = 0;
    for (uint32_t w = 0; w < frames_words_for(r->frames); w++) {
        uint32_t free_word = r->free_tree.level[0][w], alloc_word = r->allocated_bits[w];
        if (free_word & alloc_word)
            return mem_audit_fail(
                a, "frames: frame 0x%llx both free and allocated",
                (unsigned long long)frames_phys(r, (w << FRAMES_WORD_SHIFT) +
                                                       frames_highest_bit(free_word & alloc_word)));
        if (alloc_word & ~frames_word_mask(w, 0, r->frames))
            return mem_audit_fail(a, "frames: region 0x%llx: allocated bits past the end", base);
        free += frames_popcount(free_word);
        allocated += frames_popcount(alloc_word);
    }
    if (free != r->free || allocated != r->allocated)
        return mem_audit_fail(a,
                              "frames: region 0x%llx counts free %u allocated %u, bitmaps "
                              "say %u and %u",
                              base, r->free, r->allocated, free, allocated);
    uint32_t local = frames_region_index(f, r) - f->zone_first[r->zone];
    if (frames_tree_test(&f->zone_tree[r->zone], local) != (r->free != 0))
        return mem_audit_fail(a, "frames: region 0x%llx: zone bit disagrees with free count", base);
    return frames_audit_tree(a, &r->free_tree, "region", base);
}

bool frames_audit(const struct frames *f, char *msg, size_t msg_size)
{
    struct mem_audit a = {.msg = msg, .msg_size = msg_size};
    struct frames_stats zone[FRAMES_ZONE_COUNT] = {{0}};
    uint64_t previous_end = 0;
    for (uint32_t z = 0; z < FRAMES_ZONE_COUNT; z++) {
        if (!frames_audit_tree(&a, &f->zone_tree[z], "zone", z))
            return false;
        for (uint32_t i = f->zone_first[z]; i < f->zone_first[z + 1]; i++) {
            const struct frames_region *r = &f->regions[i];
            if (r->zone != z)
                return mem_audit_fail(&a, "frames: region %u listed in zone %u", i, z);
            if (!frames_audit_region(&a, f, r, previous_end))
                return false;
            previous_end = r->base_pfn + r->frames;
            zone[z].free += r->free;
            zone[z].total += (uint64_t)r->free + r->allocated;
        }
        if (zone[z].free != f->zone[z].free || zone[z].total != f->zone[z].total)
            return mem_audit_fail(
                &a,
                "frames: zone %u counts total %llu free %llu, regions say "
                "%llu and %llu",
                z, (unsigned long long)f->zone[z].total, (unsigned long long)f->zone[z].free,
                (unsigned long long)zone[z].total, (unsigned long long)zone[z].free);
    }
    if (msg && msg_size)
        msg[0] = '\0';
    return true;
}
