#include "compare_churn.h"

#include "pagoda/page.h"

#define NO_NEXT 0u /* next[] holds frame index + 1 */

static uint32_t xorshift32(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

void cmp_churn_draw(uint32_t *rng, uint32_t lifetime_max, uint32_t *bytes, uint32_t *lifetime)
{
    uint32_t size_class = CMP_CHURN_SMALLEST << (xorshift32(rng) % CMP_CHURN_CLASSES);
    *bytes = size_class / 2 + 1 + xorshift32(rng) % (size_class / 2);
    *lifetime = 1 + xorshift32(rng) % lifetime_max;
}

struct churn {
    struct frames *arena;
    uint64_t base;
    uint32_t frames;
    bool contiguous;
    struct cmp_churn_work *work;
    struct cmp_churn_result *out;
    uint32_t live, live_frames, waste_live;
};

static uint32_t frame_index(const struct churn *c, uint64_t phys)
{
    return (uint32_t)((phys - c->base) >> PAGODA_PAGE_SHIFT);
}

static bool in_arena(const struct churn *c, uint64_t phys, uint32_t pages)
{
    return phys != FRAMES_NONE && phys >= c->base && pagoda_page_aligned(phys) &&
           frame_index(c, phys) + (uint64_t)pages <= c->frames;
}

/* The largest run of free frames, from the requests held (not from the allocator). */
static uint32_t largest_hole(const struct churn *c)
{
    uint32_t starts[CMP_CHURN_MAX_LIFETIME], ends[CMP_CHURN_MAX_LIFETIME], n = 0;
    for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME; i++) {
        const struct cmp_churn_slot *s = &c->work->slots[i];
        if (!s->used)
            continue;
        uint32_t start = frame_index(c, s->phys), at = n++;
        while (at > 0 && starts[at - 1] > start) { /* insertion sort by address */
            starts[at] = starts[at - 1];
            ends[at] = ends[at - 1];
            at--;
        }
        starts[at] = start;
        ends[at] = start + s->pages;
    }
    uint32_t largest = 0, cursor = 0;
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t next = i < n ? starts[i] : c->frames;
        if (next > cursor && next - cursor > largest)
            largest = next - cursor;
        if (i < n && ends[i] > cursor)
            cursor = ends[i];
    }
    return largest;
}

static void release(struct churn *c, struct cmp_churn_slot *s)
{
    if (c->contiguous) {
        frames_free_run(c->arena, s->phys, s->pages);
    } else {
        uint32_t link = frame_index(c, s->phys) + 1;
        while (link != NO_NEXT) {
            uint32_t index = link - 1;
            link = c->work->next[index];
            frames_free(c->arena, c->base + ((uint64_t)index << PAGODA_PAGE_SHIFT));
        }
    }
    c->live--;
    c->live_frames -= s->pages;
    c->waste_live -= (s->pages << PAGODA_PAGE_SHIFT) - s->bytes;
    s->used = false;
}

/* Page by page; on a refusal the frames taken so far go back. FRAMES_NONE then, or false for a
 * frame outside the arena. */
static bool take_pages(struct churn *c, uint32_t pages, uint64_t *first)
{
    uint32_t head = NO_NEXT;
    for (uint32_t i = 0; i < pages; i++) {
        uint64_t phys = frames_alloc(c->arena, FRAMES_ANYWHERE);
        if (phys == FRAMES_NONE) {
            while (head != NO_NEXT) {
                uint32_t index = head - 1;
                head = c->work->next[index];
                frames_free(c->arena, c->base + ((uint64_t)index << PAGODA_PAGE_SHIFT));
            }
            *first = FRAMES_NONE;
            return true;
        }
        if (!in_arena(c, phys, 1))
            return false;
        c->work->next[frame_index(c, phys)] = head;
        head = frame_index(c, phys) + 1;
    }
    *first = c->base + ((uint64_t)(head - 1) << PAGODA_PAGE_SHIFT);
    return true;
}

static bool serve(struct churn *c, struct cmp_churn_slot *slot, uint32_t bytes, uint32_t expires)
{
    uint32_t pages = (uint32_t)(pagoda_page_up(bytes) >> PAGODA_PAGE_SHIFT);
    struct cmp_churn_result *out = c->out;
    uint32_t free_before = c->frames - c->live_frames;
    uint64_t phys;
    if (c->contiguous) {
        phys = frames_alloc_run(c->arena, pages, 1, FRAMES_ANYWHERE);
        if (phys != FRAMES_NONE && !in_arena(c, phys, pages))
            return false;
    } else if (!take_pages(c, pages, &phys)) {
        return false;
    }
    out->requests++;
    if (phys == FRAMES_NONE) {
        out->failed++;
        out->failed_with_room += free_before >= pages;
        out->misses += c->contiguous && largest_hole(c) >= pages;
        return true;
    }
    *slot = (struct cmp_churn_slot){
        .phys = phys, .pages = pages, .bytes = bytes, .expires = expires, .used = true};
    uint32_t waste = (pages << PAGODA_PAGE_SHIFT) - bytes;
    out->served++;
    out->bytes_served += bytes;
    out->waste_bytes += waste;
    c->live++;
    c->live_frames += pages;
    c->waste_live += waste;
    if (c->live_frames > out->peak_live_frames)
        out->peak_live_frames = c->live_frames;
    return true;
}

static void sample(struct churn *c, uint32_t steps_done)
{
    struct cmp_churn_result *out = c->out;
    if (out->sample_count == CMP_CHURN_MAX_SAMPLES)
        return;
    out->samples[out->sample_count++] = (struct cmp_churn_sample){
        .step = steps_done,
        .live = c->live,
        .free_frames = (uint32_t)frames_free_count(c->arena),
        .largest_hole = c->contiguous ? largest_hole(c) : 0,
        .failed = out->failed,
        .failed_with_room = out->failed_with_room,
        .waste_live = c->waste_live,
    };
}

bool cmp_churn_run(struct frames *arena, uint64_t base, uint32_t frames, bool contiguous,
                   const struct cmp_churn_config *config, struct cmp_churn_work *work,
                   struct cmp_churn_result *out)
{
    *out = (struct cmp_churn_result){0};
    if (config->lifetime_max == 0 || config->lifetime_max > CMP_CHURN_MAX_LIFETIME ||
        config->sample_every == 0 || frames_free_count(arena) != frames ||
        !pagoda_page_aligned(base))
        return false;
    struct churn c = {.arena = arena,
                      .base = base,
                      .frames = frames,
                      .contiguous = contiguous,
                      .work = work,
                      .out = out};
    for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME; i++)
        work->slots[i].used = false;
    uint32_t rng = config->seed;
    for (uint32_t step = 0; step < config->steps; step++) {
        for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME; i++)
            if (work->slots[i].used && work->slots[i].expires <= step)
                release(&c, &work->slots[i]);
        uint32_t bytes, lifetime;
        cmp_churn_draw(&rng, config->lifetime_max, &bytes, &lifetime);
        /* At most lifetime_max requests live at once: a free slot always exists. */
        struct cmp_churn_slot *slot = 0;
        for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME && !slot; i++)
            if (!work->slots[i].used)
                slot = &work->slots[i];
        if (!serve(&c, slot, bytes, step + lifetime))
            return false;
        out->count_mismatches += frames_free_count(arena) != frames - c.live_frames;
        if ((step + 1) % config->sample_every == 0)
            sample(&c, step + 1);
    }
    for (unsigned i = 0; i < CMP_CHURN_MAX_LIFETIME; i++)
        if (work->slots[i].used)
            release(&c, &work->slots[i]);
    return frames_free_count(arena) == frames;
}
