/*
 * The kernel heap: size-class slabs and page runs in one virtual region (see heap.h).
 *
 * Words of the design used throughout: a "data page" is a page of the region after the
 * descriptor pages, numbered from 0; a "run" is a range of data pages that is one slab, one large
 * block or one free hole; its first page's descriptor holds the run's state, the others point back
 * at it. Pages at or above the frontier have never been used since the frontier last dropped:
 * their descriptors are not read (and may not even be backed).
 */
#include "heap.h"

#include "audit.h"
#include "pg_string.h"
#include "../panic.h"

#define HEAP_PAGE_SHIFT PAGODA_PAGE_SHIFT
#define HEAP_PAGE_BYTES PAGODA_PAGE_SIZE

#define HEAP_NO_OBJECT 0xFFFFu
/* A freed object's second word: this, mixed with its address, says "on a free list". */
#define HEAP_FREE_TAG 0xF4EE0B1Eu
/* The last word of a small object in debug mode: its requested size, xor this. */
#define HEAP_SIZE_KEY 0xC0DE0000u
/* Free-list link and tag: the first two words of a freed object, never poisoned. */
#define HEAP_FREE_HEADER 8u

#define HEAP_EXACT_BINS 32u /* bins 1..31 hold runs of exactly that many pages */

enum heap_page_kind {
    HEAP_PAGE_FREE = 1,       /* first page of a free run; span = its length */
    HEAP_PAGE_FREE_INNER = 2, /* another page of a free run; on the last one, span = first */
    HEAP_PAGE_SLAB = 3,       /* first page of a slab */
    HEAP_PAGE_SLAB_TAIL = 4,  /* another page of a slab; span = first */
    HEAP_PAGE_LARGE = 5,      /* first page of a large block */
    HEAP_PAGE_LARGE_TAIL = 6, /* another page of a large block; span = first */
};

/*
 * 16 B steps to 128 B, then four classes per power of two. Each size is 1, 3, 5 or 7 times a
 * power of two, so some page count divides evenly; pages = the fewest that hold at least 8
 * objects with at most 1/64 of the slab unused (the tests check this rule).
 */
const struct heap_class_info heap_class_table[HEAP_CLASS_COUNT] = {
    {16, 1},   {32, 1},   {48, 1},   {64, 1},   {80, 1},   {96, 1},   {112, 1},
    {128, 1},  {160, 2},  {192, 1},  {224, 1},  {256, 1},  {320, 3},  {384, 2},
    {448, 1},  {512, 1},  {640, 3},  {768, 3},  {896, 2},  {1024, 2}, {1280, 5},
    {1536, 3}, {1792, 4}, {2048, 4}, {2560, 5}, {3072, 6}, {3584, 7},
};

const char *heap_status_text(enum heap_status status)
{
    switch (status) {
    case HEAP_OK:
        return "ok";
    case HEAP_ERR_ALIGN:
        return "region start or end not page-aligned";
    case HEAP_ERR_RANGE:
        return "region empty, wrapping, smaller than 2 pages or larger than 4 GiB";
    case HEAP_ERR_ENV:
        return "back or release callback missing";
    case HEAP_ERR_FLAGS:
        return "unknown flag";
    }
    return "unknown heap status";
}

/* ---- small helpers ---- */

static unsigned long heap_addr(uintptr_t a)
{
    return (unsigned long)a;
}

static uintptr_t heap_page_va(const struct heap *h, uint32_t page)
{
    return h->data_start + ((uintptr_t)page << HEAP_PAGE_SHIFT);
}

static bool heap_debug(const struct heap *h)
{
    return (h->flags & HEAP_FLAG_DEBUG) != 0;
}

static uint32_t heap_free_tag(uintptr_t object)
{
    return HEAP_FREE_TAG ^ (uint32_t)(object >> 4);
}

static uint32_t *heap_words(uintptr_t object)
{
    return (uint32_t *)object;
}

/* Descriptor pages that hold the descriptors of data pages [0, pages). */
static uint32_t heap_descriptor_pages_for(uint32_t pages)
{
    return (pages * (uint32_t)sizeof(struct heap_page) + HEAP_PAGE_BYTES - 1) >> HEAP_PAGE_SHIFT;
}

static void heap_note_backed(struct heap *h)
{
    uint32_t backed = h->descriptor_backed + h->slab_pages + h->large_pages;
    if (backed > h->peak_backed_pages)
        h->peak_backed_pages = backed;
}

/* ---- free runs: bins and boundary tags ---- */

static uint32_t heap_bin_of(uint32_t pages)
{
    if (pages < HEAP_EXACT_BINS)
        return pages;
    return HEAP_EXACT_BINS + (31u - (uint32_t)__builtin_clz(pages)) - 5u;
}

static void heap_bin_push(struct heap *h, uint32_t first)
{
    struct heap_page *p = &h->pages[first];
    uint32_t bin = heap_bin_of(p->span);
    p->prev = HEAP_NONE;
    p->next = h->bin_head[bin];
    if (p->next != HEAP_NONE)
        h->pages[p->next].prev = first;
    h->bin_head[bin] = first;
    h->bin_map[bin >> 5] |= 1u << (bin & 31);
    h->free_runs++;
    h->free_pages += p->span;
}

static void heap_bin_remove(struct heap *h, uint32_t first)
{
    struct heap_page *p = &h->pages[first];
    uint32_t bin = heap_bin_of(p->span);
    if (p->prev != HEAP_NONE)
        h->pages[p->prev].next = p->next;
    else
        h->bin_head[bin] = p->next;
    if (p->next != HEAP_NONE)
        h->pages[p->next].prev = p->prev;
    if (h->bin_head[bin] == HEAP_NONE)
        h->bin_map[bin >> 5] &= ~(1u << (bin & 31));
    h->free_runs--;
    h->free_pages -= p->span;
}

/* First non-empty bin at or above from, or HEAP_NONE: one word test per 32 bins. */
static uint32_t heap_bin_find(const struct heap *h, uint32_t from)
{
    for (uint32_t w = from >> 5; w < (HEAP_RUN_BINS + 31) / 32; w++) {
        uint32_t bits = h->bin_map[w];
        if (w == from >> 5)
            bits &= ~((1u << (from & 31)) - 1u);
        if (bits)
            return (w << 5) + (uint32_t)__builtin_ctz(bits);
    }
    return HEAP_NONE;
}

/* Writes the tags of free run [first, first + pages): head, and the last page pointing back. */
static void heap_tag_free(struct heap *h, uint32_t first, uint32_t pages)
{
    h->pages[first].kind = HEAP_PAGE_FREE;
    h->pages[first].span = pages;
    if (pages > 1) {
        h->pages[first + pages - 1].kind = HEAP_PAGE_FREE_INNER;
        h->pages[first + pages - 1].span = first;
    }
}

/*
 * Takes pages from the free run at first (at least that long): the rest, if any, stays a free
 * run of its own. The taken pages' descriptors are the caller's to write.
 */
static void heap_run_split(struct heap *h, uint32_t first, uint32_t pages)
{
    uint32_t length = h->pages[first].span;
    heap_bin_remove(h, first);
    if (length > pages) {
        heap_tag_free(h, first + pages, length - pages);
        heap_bin_push(h, first + pages);
    }
}

/* Backs descriptor pages, one page per back(), until data pages [0, pages) have descriptors. */
static bool heap_back_descriptors(struct heap *h, uint32_t pages)
{
    uint32_t needed = heap_descriptor_pages_for(pages);
    while (h->descriptor_backed < needed) {
        uintptr_t va = h->start + ((uintptr_t)h->descriptor_backed << HEAP_PAGE_SHIFT);
        if (!h->env.back(h->env.ctx, va, 1))
            return false;
        h->descriptor_backed++;
        heap_note_backed(h);
    }
    return true;
}

/*
 * A run of pages data pages, not backed, or HEAP_NONE. Order: a bin whose every run fits (the
 * smallest such; an exact length first), then fresh pages at the frontier, then a first-fit
 * scan of the bin of the request's own length (whose runs may be shorter).
 */
static uint32_t heap_run_get(struct heap *h, uint32_t pages)
{
    uint32_t own_bin = heap_bin_of(pages);
    bool all_fit = pages < HEAP_EXACT_BINS || (pages & (pages - 1)) == 0;
    uint32_t bin = heap_bin_find(h, all_fit ? own_bin : own_bin + 1);
    if (bin != HEAP_NONE) {
        uint32_t first = h->bin_head[bin];
        heap_run_split(h, first, pages);
        return first;
    }
    if (pages <= h->data_pages - h->frontier && heap_back_descriptors(h, h->frontier + pages)) {
        uint32_t first = h->frontier;
        h->frontier += pages;
        return first;
    }
    if (!all_fit) {
        for (uint32_t first = h->bin_head[own_bin]; first != HEAP_NONE;
             first = h->pages[first].next) {
            if (h->pages[first].span >= pages) {
                heap_run_split(h, first, pages);
                return first;
            }
        }
    }
    return HEAP_NONE;
}

/* Returns [first, first + pages) (already unbacked) to the free runs, coalescing. */
static void heap_run_put(struct heap *h, uint32_t first, uint32_t pages)
{
    for (uint32_t i = first; i < first + pages; i++)
        h->pages[i].kind = HEAP_PAGE_FREE_INNER;
    uint32_t end = first + pages;
    if (first > 0) {
        const struct heap_page *left = &h->pages[first - 1];
        uint32_t left_first = HEAP_NONE;
        if (left->kind == HEAP_PAGE_FREE)
            left_first = first - 1;
        else if (left->kind == HEAP_PAGE_FREE_INNER)
            left_first = left->span;
        if (left_first != HEAP_NONE) {
            heap_bin_remove(h, left_first);
            h->pages[left_first].kind = HEAP_PAGE_FREE_INNER;
            first = left_first;
        }
    }
    if (end == h->frontier) {
        /* The hole reaches the unused top: it becomes part of it. */
        h->frontier = first;
        return;
    }
    if (h->pages[end].kind == HEAP_PAGE_FREE) {
        uint32_t right_pages = h->pages[end].span;
        heap_bin_remove(h, end);
        h->pages[end].kind = HEAP_PAGE_FREE_INNER;
        end += right_pages;
    }
    heap_tag_free(h, first, end - first);
    heap_bin_push(h, first);
}

/* Writes the descriptors of a run just handed out: head of kind head_kind, the rest tails. */
static void heap_tag_used(struct heap *h, uint32_t first, uint32_t pages, uint8_t head_kind)
{
    struct heap_page *head = &h->pages[first];
    memset(head, 0, sizeof *head);
    head->kind = head_kind;
    head->span = pages;
    head->next = head->prev = HEAP_NONE;
    for (uint32_t i = 1; i < pages; i++) {
        h->pages[first + i].kind = (uint8_t)(head_kind + 1);
        h->pages[first + i].span = first;
    }
}

/* A run of pages, backed, or HEAP_NONE. */
static uint32_t heap_run_alloc(struct heap *h, uint32_t pages)
{
    uint32_t first = heap_run_get(h, pages);
    if (first == HEAP_NONE)
        return HEAP_NONE;
    if (!h->env.back(h->env.ctx, heap_page_va(h, first), pages)) {
        heap_run_put(h, first, pages);
        return HEAP_NONE;
    }
    return first;
}

static void heap_run_free(struct heap *h, uint32_t first, uint32_t pages)
{
    h->env.release(h->env.ctx, heap_page_va(h, first), pages);
    heap_run_put(h, first, pages);
}

/* ---- init ---- */

enum heap_status heap_init(struct heap *h, uintptr_t start, uintptr_t end,
                           const struct heap_env *env, uint32_t flags)
{
    if ((start & (HEAP_PAGE_BYTES - 1)) != 0 || (end & (HEAP_PAGE_BYTES - 1)) != 0)
        return HEAP_ERR_ALIGN;
    if (end <= start || ((end - start) >> HEAP_PAGE_SHIFT) < HEAP_MIN_PAGES ||
        ((end - start) >> HEAP_PAGE_SHIFT) > HEAP_MAX_PAGES)
        return HEAP_ERR_RANGE;
    if (env == NULL || env->back == NULL || env->release == NULL)
        return HEAP_ERR_ENV;
    if ((flags & ~HEAP_FLAG_DEBUG) != 0)
        return HEAP_ERR_FLAGS;

    memset(h, 0, sizeof *h);
    uint32_t total = (uint32_t)((end - start) >> HEAP_PAGE_SHIFT);
    /* Fewest descriptor pages that describe all the pages after them. */
    uint32_t descriptor_pages = (total * (uint32_t)sizeof(struct heap_page) + HEAP_PAGE_BYTES +
                                 (uint32_t)sizeof(struct heap_page) - 1) /
                                (HEAP_PAGE_BYTES + (uint32_t)sizeof(struct heap_page));
    while (descriptor_pages > 1 &&
           heap_descriptor_pages_for(total - (descriptor_pages - 1)) <= descriptor_pages - 1)
        descriptor_pages--;
    while (heap_descriptor_pages_for(total - descriptor_pages) > descriptor_pages)
        descriptor_pages++;

    h->start = start;
    h->end = end;
    h->descriptor_pages = descriptor_pages;
    h->data_pages = total - descriptor_pages;
    h->data_start = start + ((uintptr_t)descriptor_pages << HEAP_PAGE_SHIFT);
    h->pages = (struct heap_page *)start;
    h->flags = flags;
    h->env = *env;
    for (uint32_t b = 0; b < HEAP_RUN_BINS; b++)
        h->bin_head[b] = HEAP_NONE;
    for (uint32_t c = 0; c < HEAP_CLASS_COUNT; c++) {
        struct heap_class *cls = &h->cls[c];
        cls->partial = cls->spare = HEAP_NONE;
        cls->size = heap_class_table[c].size;
        cls->pages = heap_class_table[c].pages;
        cls->objects = (cls->pages << HEAP_PAGE_SHIFT) / cls->size;
        cls->reciprocal = 0xFFFFFFFFu / cls->size + 1u;
    }
    uint32_t c = 0;
    for (uint32_t i = 0; i < sizeof h->class_of; i++) {
        while (heap_class_table[c].size < i * 16u)
            c++;
        h->class_of[i] = (uint8_t)c;
    }
    return HEAP_OK;
}

/* ---- panics (cold): each names the object and the check ---- */

__attribute__((noreturn, noinline)) static void heap_bad_free(const struct heap *h, uintptr_t a)
{
    if (a < h->start || a >= h->end)
        panic("heap: kfree(0x%lx): not a heap address (the heap is [0x%lx, 0x%lx))", heap_addr(a),
              heap_addr(h->start), heap_addr(h->end));
    if (a < h->data_start)
        panic("heap: kfree(0x%lx): inside the heap's page descriptors, not an object",
              heap_addr(a));
    panic("heap: kfree(0x%lx): not allocated: heap page %u is unused", heap_addr(a),
          (uint32_t)((a - h->data_start) >> HEAP_PAGE_SHIFT));
}

__attribute__((noreturn, noinline)) static void
heap_free_list_damaged(const struct heap_class *c, uintptr_t object, uint32_t link, uint32_t tag)
{
    panic("heap: %u B object at 0x%lx written after kfree: its free-list link (%u) or tag "
          "(0x%08x) is damaged",
          c->size, heap_addr(object), link, tag);
}

/* Debug mode: the poison of a free object, past its link and tag. */
__attribute__((noinline)) static void heap_check_poison(const struct heap_class *c,
                                                        uintptr_t object, const char *when)
{
    const uint8_t *bytes = (const uint8_t *)object;
    for (uint32_t i = HEAP_FREE_HEADER; i < c->size; i++)
        if (bytes[i] != HEAP_POISON_BYTE)
            panic("heap: %u B object at 0x%lx written after kfree (found %s): byte +%u is 0x%02x, "
                  "not 0x%02x",
                  c->size, heap_addr(object), when, i, bytes[i], HEAP_POISON_BYTE);
}

/* ---- slabs ---- */

static void heap_partial_push(struct heap_class *c, struct heap *h, uint32_t slab)
{
    struct heap_page *s = &h->pages[slab];
    s->prev = HEAP_NONE;
    s->next = c->partial;
    if (s->next != HEAP_NONE)
        h->pages[s->next].prev = slab;
    c->partial = slab;
}

static void heap_partial_remove(struct heap_class *c, struct heap *h, uint32_t slab)
{
    struct heap_page *s = &h->pages[slab];
    if (s->prev != HEAP_NONE)
        h->pages[s->prev].next = s->next;
    else
        c->partial = s->next;
    if (s->next != HEAP_NONE)
        h->pages[s->next].prev = s->prev;
}

/* A slab for class index ci with a free object, on the partial list; or HEAP_NONE. */
__attribute__((noinline)) static uint32_t heap_slab_new(struct heap *h, uint32_t ci)
{
    struct heap_class *c = &h->cls[ci];
    uint32_t slab = c->spare;
    if (slab != HEAP_NONE) {
        c->spare = HEAP_NONE;
    } else {
        slab = heap_run_alloc(h, c->pages);
        if (slab == HEAP_NONE)
            return HEAP_NONE;
        heap_tag_used(h, slab, c->pages, HEAP_PAGE_SLAB);
        h->pages[slab].class_index = (uint8_t)ci;
        h->pages[slab].free_head = HEAP_NO_OBJECT;
        c->slabs++;
        h->slab_pages += c->pages;
        heap_note_backed(h);
    }
    heap_partial_push(c, h, slab);
    return slab;
}

__attribute__((noinline)) static void heap_fill_small_redzone(const struct heap_class *c,
                                                              uintptr_t object, size_t size)
{
    memset((uint8_t *)object + size, HEAP_REDZONE_BYTE, c->size - 4u - size);
    heap_words(object)[c->size / 4u - 1u] = (uint32_t)size ^ HEAP_SIZE_KEY;
}

/*
 * The object allocation itself. Inlined twice, with debug a constant, so the plain path carries
 * none of the debug checks; everything rare (a new slab, a panic) is out of line.
 */
__attribute__((always_inline)) static inline void *heap_slab_alloc(struct heap *h, uint32_t ci,
                                                                   size_t size, bool debug)
{
    struct heap_class *c = &h->cls[ci];
    uint32_t slab = c->partial;
    if (__builtin_expect(slab == HEAP_NONE, 0)) {
        slab = heap_slab_new(h, ci);
        if (slab == HEAP_NONE)
            return NULL;
    }
    struct heap_page *s = &h->pages[slab];
    uintptr_t base = heap_page_va(h, slab);
    uint32_t index = s->free_head;
    uintptr_t object;
    if (index != HEAP_NO_OBJECT) {
        object = base + index * c->size;
        uint32_t link = heap_words(object)[0], tag = heap_words(object)[1];
        if (__builtin_expect(
                tag != heap_free_tag(object) || (link != HEAP_NO_OBJECT && link >= s->carved), 0))
            heap_free_list_damaged(c, object, link, tag);
        if (debug)
            heap_check_poison(c, object, "by kmalloc");
        s->free_head = (uint16_t)link;
    } else {
        index = s->carved++;
        object = base + index * c->size;
    }
    /* Only a free object carries the tag: kfree then finds it only on a double free. */
    heap_words(object)[1] = 0;
    if (__builtin_expect(++s->in_use == c->objects, 0))
        heap_partial_remove(c, h, slab);
    if (++c->in_use > c->peak_in_use)
        c->peak_in_use = c->in_use;
    c->allocs++;
    if (debug)
        heap_fill_small_redzone(c, object, size);
    return (void *)object;
}

/* Whether object index is on the slab's free list (the list is bounded and checked as walked). */
__attribute__((noinline)) static bool
heap_on_free_list(const struct heap *h, const struct heap_class *c, uint32_t slab, uint32_t index)
{
    const struct heap_page *s = &h->pages[slab];
    uintptr_t base = heap_page_va(h, slab);
    uint32_t at = s->free_head;
    for (uint32_t steps = 0; at != HEAP_NO_OBJECT && at < s->carved && steps < c->objects;
         steps++) {
        if (at == index)
            return true;
        at = heap_words(base + at * c->size)[0];
    }
    return false;
}

/* Debug mode: the size word and the redzone bytes of small object at object, class ci. */
__attribute__((noinline)) static void heap_check_small_redzone(const struct heap *h, uint32_t ci,
                                                               uintptr_t object)
{
    const struct heap_class *c = &h->cls[ci];
    uint32_t word = heap_words(object)[c->size / 4u - 1u];
    uint32_t size = word ^ HEAP_SIZE_KEY;
    uint32_t smaller_class = ci > 0 ? h->cls[ci - 1].size : 0;
    if (size > c->size || size + HEAP_REDZONE > c->size || size + HEAP_REDZONE <= smaller_class)
        panic("heap: kfree(0x%lx): write past the end of a %u B class object: its size word "
              "(+%u) reads 0x%08x",
              heap_addr(object), c->size, c->size - 4u, word);
    const uint8_t *bytes = (const uint8_t *)object;
    for (uint32_t i = size; i < c->size - 4u; i++)
        if (bytes[i] != HEAP_REDZONE_BYTE)
            panic("heap: kfree(0x%lx): write past the end of a %u-byte object (%u B class): "
                  "redzone byte +%u is 0x%02x, not 0x%02x",
                  heap_addr(object), size, c->size, i, bytes[i], HEAP_REDZONE_BYTE);
}

/* Debug mode, before a kfree: the redzone, and if the slab is about to empty, every poison. */
__attribute__((noinline)) static void heap_debug_before_free(struct heap *h, uint32_t slab,
                                                             uintptr_t a)
{
    const struct heap_page *s = &h->pages[slab];
    const struct heap_class *c = &h->cls[s->class_index];
    uintptr_t base = heap_page_va(h, slab);
    heap_check_small_redzone(h, s->class_index, a);
    if (s->in_use == 1) {
        /* The slab empties: check every other free object while it is still ours. */
        uint32_t at = s->free_head;
        for (uint32_t steps = 0; at != HEAP_NO_OBJECT && at < s->carved && steps < c->objects;
             steps++, at = heap_words(base + at * c->size)[0])
            heap_check_poison(c, base + at * c->size, "when its slab emptied");
    }
    memset((uint8_t *)a, HEAP_POISON_BYTE, c->size);
}

/* Why a (in the slab at base, class c) is not an object that may be freed; then panics. */
__attribute__((noinline, noreturn)) static void heap_bad_slab_free(const struct heap_class *c,
                                                                   uintptr_t base, uintptr_t a,
                                                                   uint32_t index, uint32_t carved)
{
    uintptr_t object = base + index * c->size;
    if (index >= c->objects)
        panic("heap: kfree(0x%lx): past the last object of the %u B slab at 0x%lx", heap_addr(a),
              c->size, heap_addr(base));
    if (object != a)
        panic("heap: kfree(0x%lx): not the start of an object: %u bytes into the %u B object "
              "at 0x%lx",
              heap_addr(a), (uint32_t)(a - object), c->size, heap_addr(object));
    if (index >= carved)
        panic("heap: kfree(0x%lx): %u B object not allocated (double kfree?)", heap_addr(a),
              c->size);
    panic("heap: double kfree of 0x%lx (%u B object, already on its slab's free list)",
          heap_addr(a), c->size);
}

__attribute__((noinline)) static void heap_slab_empty(struct heap *h, struct heap_class *c,
                                                      uint32_t slab)
{
    heap_partial_remove(c, h, slab);
    if (c->spare == HEAP_NONE) {
        /* Kept, forgetting its objects: the next user carves it afresh. */
        h->pages[slab].free_head = HEAP_NO_OBJECT;
        h->pages[slab].carved = 0;
        c->spare = slab;
        return;
    }
    c->slabs--;
    h->slab_pages -= c->pages;
    heap_run_free(h, slab, c->pages);
}

/* kfree of a pointer into a slab; inlined twice like heap_slab_alloc. */
__attribute__((always_inline)) static inline void heap_slab_free(struct heap *h, uint32_t slab,
                                                                 uintptr_t a, bool debug)
{
    struct heap_page *s = &h->pages[slab];
    struct heap_class *c = &h->cls[s->class_index];
    uintptr_t base = heap_page_va(h, slab);
    uint32_t index = (uint32_t)(((uint64_t)(uint32_t)(a - base) * c->reciprocal) >> 32);
    if (__builtin_expect(index >= s->carved || base + index * c->size != a, 0))
        heap_bad_slab_free(c, base, a, index, s->carved);
    if (__builtin_expect(heap_words(a)[1] == heap_free_tag(a), 0) &&
        heap_on_free_list(h, c, slab, index))
        heap_bad_slab_free(c, base, a, index, s->carved);
    if (debug)
        heap_debug_before_free(h, slab, a);
    heap_words(a)[0] = s->free_head;
    heap_words(a)[1] = heap_free_tag(a);
    s->free_head = (uint16_t)index;
    if (__builtin_expect(s->in_use == c->objects, 0))
        heap_partial_push(c, h, slab);
    s->in_use--;
    c->in_use--;
    c->frees++;
    if (__builtin_expect(s->in_use == 0, 0))
        heap_slab_empty(h, c, slab);
}

/* ---- large blocks ---- */

static void *heap_large_alloc(struct heap *h, size_t size)
{
    size_t extra = heap_debug(h) ? HEAP_REDZONE : 0;
    size_t limit = (size_t)h->data_pages << HEAP_PAGE_SHIFT;
    if (size > limit - extra)
        return NULL;
    uint32_t pages = (uint32_t)((size + extra + HEAP_PAGE_BYTES - 1) >> HEAP_PAGE_SHIFT);
    uint32_t first = heap_run_alloc(h, pages);
    if (first == HEAP_NONE)
        return NULL;
    heap_tag_used(h, first, pages, HEAP_PAGE_LARGE);
    h->pages[first].requested = (uint32_t)size;
    h->large_in_use++;
    h->large_pages += pages;
    h->large_bytes += size;
    h->large_allocs++;
    heap_note_backed(h);
    uintptr_t block = heap_page_va(h, first);
    if (heap_debug(h))
        memset((uint8_t *)block + size, HEAP_REDZONE_BYTE,
               ((size_t)pages << HEAP_PAGE_SHIFT) - size);
    return (void *)block;
}

static void heap_large_free(struct heap *h, uint32_t first)
{
    struct heap_page *p = &h->pages[first];
    uint32_t pages = p->span, size = p->requested;
    uintptr_t block = heap_page_va(h, first);
    if (heap_debug(h)) {
        const uint8_t *bytes = (const uint8_t *)block;
        uint32_t end = pages << HEAP_PAGE_SHIFT;
        for (uint32_t i = size; i < end; i++)
            if (bytes[i] != HEAP_REDZONE_BYTE)
                panic("heap: kfree(0x%lx): write past the end of a %u-byte large block (%u "
                      "pages): redzone byte +%u is 0x%02x, not 0x%02x",
                      heap_addr(block), size, pages, i, bytes[i], HEAP_REDZONE_BYTE);
    }
    h->large_in_use--;
    h->large_pages -= pages;
    h->large_bytes -= size;
    h->large_frees++;
    heap_run_free(h, first, pages);
}

/* ---- the interface ---- */

void *heap_alloc(struct heap *h, size_t size)
{
    void *p;
    if (__builtin_expect(!heap_debug(h), 1)) {
        if (__builtin_expect(size <= HEAP_SMALL_MAX, 1))
            p = heap_slab_alloc(h, h->class_of[(size + 15u) >> 4], size, false);
        else
            p = heap_large_alloc(h, size);
    } else if (size <= HEAP_SMALL_MAX - HEAP_REDZONE) {
        p = heap_slab_alloc(h, h->class_of[(size + HEAP_REDZONE + 15u) >> 4], size, true);
    } else {
        p = heap_large_alloc(h, size);
    }
    if (__builtin_expect(p == NULL, 0))
        h->failed_allocs++;
    return p;
}

void *heap_zalloc(struct heap *h, size_t size)
{
    void *p = heap_alloc(h, size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

/* Everything kfree meets that is not a slab object: NULL, large blocks, bad pointers. */
__attribute__((noinline)) static void heap_free_other(struct heap *h, uintptr_t a)
{
    if (a == 0)
        return;
    uintptr_t offset = a - h->data_start;
    if (a < h->data_start || offset >= ((uintptr_t)h->frontier << HEAP_PAGE_SHIFT))
        heap_bad_free(h, a);
    uint32_t page = (uint32_t)(offset >> HEAP_PAGE_SHIFT);
    const struct heap_page *p = &h->pages[page];
    if (p->kind == HEAP_PAGE_LARGE && (a & (HEAP_PAGE_BYTES - 1)) == 0) {
        heap_large_free(h, page);
        return;
    }
    if (p->kind != HEAP_PAGE_LARGE && p->kind != HEAP_PAGE_LARGE_TAIL)
        panic("heap: kfree(0x%lx): not allocated: heap page %u is free (double kfree?)",
              heap_addr(a), page);
    if (p->kind == HEAP_PAGE_LARGE_TAIL)
        page = p->span;
    panic("heap: kfree(0x%lx): inside the large block at 0x%lx (%u bytes, %u pages), not its "
          "start",
          heap_addr(a), heap_addr(heap_page_va(h, page)), h->pages[page].requested,
          h->pages[page].span);
}

void heap_free(struct heap *h, void *ptr)
{
    uintptr_t a = (uintptr_t)ptr;
    /* Unsigned: a pointer below the data pages (NULL too) wraps to a huge offset. */
    uintptr_t offset = a - h->data_start;
    if (__builtin_expect(offset < ((uintptr_t)h->frontier << HEAP_PAGE_SHIFT), 1)) {
        uint32_t page = (uint32_t)(offset >> HEAP_PAGE_SHIFT);
        const struct heap_page *p = &h->pages[page];
        if (p->kind == HEAP_PAGE_SLAB_TAIL)
            page = p->span;
        else if (p->kind != HEAP_PAGE_SLAB)
            page = HEAP_NONE;
        if (__builtin_expect(page != HEAP_NONE, 1)) {
            if (__builtin_expect(!heap_debug(h), 1))
                heap_slab_free(h, page, a, false);
            else
                heap_slab_free(h, page, a, true);
            return;
        }
    }
    heap_free_other(h, a);
}

uint32_t heap_trim(struct heap *h)
{
    uint32_t released = 0;
    for (uint32_t ci = 0; ci < HEAP_CLASS_COUNT; ci++) {
        struct heap_class *c = &h->cls[ci];
        if (c->spare == HEAP_NONE)
            continue;
        uint32_t slab = c->spare;
        c->spare = HEAP_NONE;
        c->slabs--;
        h->slab_pages -= c->pages;
        heap_run_free(h, slab, c->pages);
        released += c->pages;
    }
    uint32_t needed = heap_descriptor_pages_for(h->frontier);
    while (h->descriptor_backed > needed) {
        h->descriptor_backed--;
        h->env.release(h->env.ctx, h->start + ((uintptr_t)h->descriptor_backed << HEAP_PAGE_SHIFT),
                       1);
        released++;
    }
    return released;
}

void heap_stats(const struct heap *h, struct heap_stats *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t ci = 0; ci < HEAP_CLASS_COUNT; ci++) {
        const struct heap_class *c = &h->cls[ci];
        struct heap_class_stats *s = &out->cls[ci];
        s->size = c->size;
        s->pages_per_slab = c->pages;
        s->objects_per_slab = c->objects;
        s->in_use = c->in_use;
        s->peak_in_use = c->peak_in_use;
        s->slabs = c->slabs;
        s->pages = c->slabs * c->pages;
        s->spare = c->spare != HEAP_NONE;
        s->allocs = c->allocs;
        s->frees = c->frees;
        out->small_in_use += c->in_use;
    }
    out->large_in_use = h->large_in_use;
    out->large_pages = h->large_pages;
    out->large_bytes = h->large_bytes;
    out->large_allocs = h->large_allocs;
    out->large_frees = h->large_frees;
    out->start = h->start;
    out->end = h->end;
    out->region_pages = h->descriptor_pages + h->data_pages;
    out->descriptor_pages = h->descriptor_pages;
    out->descriptor_backed = h->descriptor_backed;
    out->frontier = h->frontier;
    out->free_runs = h->free_runs;
    out->free_pages = h->free_pages;
    out->slab_pages = h->slab_pages;
    out->backed_pages = h->descriptor_backed + h->slab_pages + h->large_pages;
    out->peak_backed_pages = h->peak_backed_pages;
    out->failed_allocs = h->failed_allocs;
}

/* ---- the kernel's heap ---- */

static struct heap *heap_installed;

void heap_install(struct heap *h)
{
    heap_installed = h;
}

static struct heap *heap_current(size_t size)
{
    if (heap_installed == NULL)
        panic("heap: kmalloc(%lu) before a heap was installed", (unsigned long)size);
    return heap_installed;
}

void *kmalloc(size_t size)
{
    return heap_alloc(heap_current(size), size);
}

void *kzalloc(size_t size)
{
    return heap_zalloc(heap_current(size), size);
}

void kfree(void *ptr)
{
    if (ptr == NULL)
        return;
    if (heap_installed == NULL)
        panic("heap: kfree(0x%lx) before a heap was installed", heap_addr((uintptr_t)ptr));
    heap_free(heap_installed, ptr);
}

/* ---- audit ---- */

/* A run's other pages: each of kind tail_kind pointing at first (free runs: only the last). */
static bool heap_audit_tails(struct mem_audit *a, const struct heap *h, uint32_t first,
                             uint32_t pages, uint8_t tail_kind)
{
    for (uint32_t i = first + 1; i < first + pages; i++) {
        const struct heap_page *p = &h->pages[i];
        bool must_point_back = tail_kind != HEAP_PAGE_FREE_INNER || i + 1 == first + pages;
        if (p->kind != tail_kind || (must_point_back && p->span != first))
            return mem_audit_fail(a, "heap: page %u (kind %u, span %u) is not a tail of run %u", i,
                                  p->kind, p->span, first);
    }
    return true;
}

struct heap_audit_counts {
    uint32_t in_use[HEAP_CLASS_COUNT], slabs[HEAP_CLASS_COUNT], partial[HEAP_CLASS_COUNT],
        empty[HEAP_CLASS_COUNT];
    uint32_t slab_pages, large_in_use, large_pages, free_runs, free_pages;
    uint64_t large_bytes;
};

#define HEAP_MAX_OBJECTS 256u /* 16 B objects in one page: the most any slab holds */

static bool heap_audit_slab(struct mem_audit *a, const struct heap *h, uint32_t slab,
                            struct heap_audit_counts *n)
{
    const struct heap_page *s = &h->pages[slab];
    uintptr_t base = heap_page_va(h, slab);
    if (s->class_index >= HEAP_CLASS_COUNT)
        return mem_audit_fail(a, "heap: slab at 0x%lx: class %u", heap_addr(base), s->class_index);
    const struct heap_class *c = &h->cls[s->class_index];
    if (s->span != c->pages)
        return mem_audit_fail(a, "heap: %u B slab at 0x%lx: %u pages, its class has %u", c->size,
                              heap_addr(base), s->span, c->pages);
    if (!heap_audit_tails(a, h, slab, s->span, HEAP_PAGE_SLAB_TAIL))
        return false;
    if (s->carved > c->objects || s->in_use > s->carved)
        return mem_audit_fail(a, "heap: %u B slab at 0x%lx: %u in use, %u carved of %u", c->size,
                              heap_addr(base), s->in_use, s->carved, c->objects);
    uint32_t seen[HEAP_MAX_OBJECTS / 32] = {0};
    uint32_t free_count = 0;
    for (uint32_t at = s->free_head; at != HEAP_NO_OBJECT;) {
        uintptr_t object = base + at * c->size;
        if (at >= s->carved || (seen[at >> 5] & (1u << (at & 31))) != 0)
            return mem_audit_fail(a,
                                  "heap: %u B slab at 0x%lx: free list reaches object %u "
                                  "twice or past the %u carved",
                                  c->size, heap_addr(base), at, s->carved);
        seen[at >> 5] |= 1u << (at & 31);
        free_count++;
        if (heap_words(object)[1] != heap_free_tag(object))
            return mem_audit_fail(a, "heap: %u B object at 0x%lx is free but its tag is 0x%08x",
                                  c->size, heap_addr(object), heap_words(object)[1]);
        if (heap_debug(h)) {
            const uint8_t *bytes = (const uint8_t *)object;
            for (uint32_t i = HEAP_FREE_HEADER; i < c->size; i++)
                if (bytes[i] != HEAP_POISON_BYTE)
                    return mem_audit_fail(a,
                                          "heap: free %u B object at 0x%lx: byte +%u is "
                                          "0x%02x, not poison",
                                          c->size, heap_addr(object), i, bytes[i]);
        }
        at = heap_words(object)[0];
    }
    if (free_count + s->in_use != s->carved)
        return mem_audit_fail(a, "heap: %u B slab at 0x%lx: %u free + %u in use != %u carved",
                              c->size, heap_addr(base), free_count, s->in_use, s->carved);
    n->in_use[s->class_index] += s->in_use;
    n->slabs[s->class_index]++;
    n->slab_pages += s->span;
    if (s->in_use == 0)
        n->empty[s->class_index]++;
    else if (s->in_use < c->objects)
        n->partial[s->class_index]++;
    return true;
}

static bool heap_audit_large(struct mem_audit *a, const struct heap *h, uint32_t first,
                             struct heap_audit_counts *n)
{
    const struct heap_page *p = &h->pages[first];
    uint32_t extra = heap_debug(h) ? HEAP_REDZONE : 0;
    uint64_t need = (uint64_t)p->requested + extra;
    if (!heap_audit_tails(a, h, first, p->span, HEAP_PAGE_LARGE_TAIL))
        return false;
    if (need <= HEAP_SMALL_MAX || need > (uint64_t)p->span << HEAP_PAGE_SHIFT ||
        need <= (uint64_t)(p->span - 1) << HEAP_PAGE_SHIFT)
        return mem_audit_fail(a, "heap: large block at 0x%lx: %u bytes in %u pages",
                              heap_addr(heap_page_va(h, first)), p->requested, p->span);
    n->large_in_use++;
    n->large_pages += p->span;
    n->large_bytes += p->requested;
    return true;
}

/* The data pages below the frontier, run by run. */
static bool heap_audit_runs(struct mem_audit *a, const struct heap *h, struct heap_audit_counts *n)
{
    bool previous_free = false;
    for (uint32_t i = 0; i < h->frontier;) {
        const struct heap_page *p = &h->pages[i];
        if (p->span == 0 || p->span > h->frontier - i)
            return mem_audit_fail(a, "heap: run at page %u: %u pages, past the frontier %u", i,
                                  p->span, h->frontier);
        bool ok;
        switch (p->kind) {
        case HEAP_PAGE_FREE:
            if (previous_free)
                return mem_audit_fail(a, "heap: free runs before page %u and at it not merged", i);
            ok = heap_audit_tails(a, h, i, p->span, HEAP_PAGE_FREE_INNER);
            n->free_runs++;
            n->free_pages += p->span;
            break;
        case HEAP_PAGE_SLAB:
            ok = heap_audit_slab(a, h, i, n);
            break;
        case HEAP_PAGE_LARGE:
            ok = heap_audit_large(a, h, i, n);
            break;
        default:
            return mem_audit_fail(a, "heap: page %u: kind %u where a run should start", i, p->kind);
        }
        if (!ok)
            return false;
        previous_free = p->kind == HEAP_PAGE_FREE;
        i += p->span;
    }
    if (previous_free)
        return mem_audit_fail(a, "heap: a free run reaches the frontier %u", h->frontier);
    return true;
}

static bool heap_audit_bins(struct mem_audit *a, const struct heap *h,
                            const struct heap_audit_counts *n)
{
    uint32_t listed = 0;
    for (uint32_t b = 0; b < HEAP_RUN_BINS; b++) {
        bool bit = (h->bin_map[b >> 5] & (1u << (b & 31))) != 0;
        if (bit != (h->bin_head[b] != HEAP_NONE))
            return mem_audit_fail(a, "heap: bin %u: map bit %u, head %u", b, bit, h->bin_head[b]);
        uint32_t prev = HEAP_NONE;
        for (uint32_t at = h->bin_head[b]; at != HEAP_NONE; at = h->pages[at].next) {
            if (at >= h->frontier || h->pages[at].kind != HEAP_PAGE_FREE ||
                heap_bin_of(h->pages[at].span) != b || h->pages[at].prev != prev ||
                ++listed > n->free_runs)
                return mem_audit_fail(a, "heap: bin %u lists page %u wrongly", b, at);
            prev = at;
        }
    }
    if (listed != n->free_runs || n->free_runs != h->free_runs || n->free_pages != h->free_pages)
        return mem_audit_fail(a,
                              "heap: %u free runs of %u pages, bins list %u, counters say "
                              "%u runs of %u pages",
                              n->free_runs, n->free_pages, listed, h->free_runs, h->free_pages);
    return true;
}

static bool heap_audit_classes(struct mem_audit *a, const struct heap *h,
                               const struct heap_audit_counts *n)
{
    for (uint32_t ci = 0; ci < HEAP_CLASS_COUNT; ci++) {
        const struct heap_class *c = &h->cls[ci];
        uint32_t listed = 0, prev = HEAP_NONE;
        for (uint32_t at = c->partial; at != HEAP_NONE; at = h->pages[at].next) {
            const struct heap_page *s = &h->pages[at];
            if (at >= h->frontier || s->kind != HEAP_PAGE_SLAB || s->class_index != ci ||
                s->in_use == 0 || s->in_use >= c->objects || s->prev != prev ||
                ++listed > n->partial[ci])
                return mem_audit_fail(a, "heap: %u B class: partial list holds page %u wrongly",
                                      c->size, at);
            prev = at;
        }
        bool spare_ok = c->spare == HEAP_NONE ? n->empty[ci] == 0
                                              : n->empty[ci] == 1 && c->spare < h->frontier &&
                                                    h->pages[c->spare].kind == HEAP_PAGE_SLAB &&
                                                    h->pages[c->spare].class_index == ci &&
                                                    h->pages[c->spare].in_use == 0;
        if (listed != n->partial[ci] || !spare_ok)
            return mem_audit_fail(a,
                                  "heap: %u B class: %u partial slabs listed of %u, %u empty, "
                                  "spare %u",
                                  c->size, listed, n->partial[ci], n->empty[ci], c->spare);
        if (c->in_use != n->in_use[ci] || c->slabs != n->slabs[ci] || c->in_use > c->peak_in_use ||
            c->frees + c->in_use != c->allocs)
            return mem_audit_fail(a,
                                  "heap: %u B class counts %u in use in %u slabs, the slabs "
                                  "say %u in %u",
                                  c->size, c->in_use, c->slabs, n->in_use[ci], n->slabs[ci]);
    }
    return true;
}

bool heap_audit(const struct heap *h, char *msg, size_t msg_size)
{
    struct mem_audit a = {.msg = msg, .msg_size = msg_size};
    if (msg && msg_size)
        msg[0] = '\0';
    if (h->frontier > h->data_pages || h->descriptor_backed > h->descriptor_pages ||
        h->descriptor_backed < heap_descriptor_pages_for(h->frontier))
        return mem_audit_fail(&a,
                              "heap: frontier %u of %u data pages with %u of %u descriptor "
                              "pages backed",
                              h->frontier, h->data_pages, h->descriptor_backed,
                              h->descriptor_pages);
    struct heap_audit_counts n;
    memset(&n, 0, sizeof n);
    if (!heap_audit_runs(&a, h, &n) || !heap_audit_bins(&a, h, &n) ||
        !heap_audit_classes(&a, h, &n))
        return false;
    if (n.slab_pages != h->slab_pages || n.large_in_use != h->large_in_use ||
        n.large_pages != h->large_pages || n.large_bytes != h->large_bytes ||
        h->large_allocs != h->large_frees + h->large_in_use)
        return mem_audit_fail(&a,
                              "heap: counters say %u slab pages, %u large blocks in %u pages; "
                              "the runs say %u, %u in %u",
                              h->slab_pages, h->large_in_use, h->large_pages, n.slab_pages,
                              n.large_in_use, n.large_pages);
    if (h->descriptor_backed + h->slab_pages + h->large_pages > h->peak_backed_pages)
        return mem_audit_fail(&a, "heap: backed pages above the recorded peak %u",
                              h->peak_backed_pages);
    if (msg && msg_size)
        msg[0] = '\0';
    return true;
}
