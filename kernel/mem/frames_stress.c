#include "frames_stress.h"
#include "pagoda/page.h"

#include "fmt.h"

#define FRAMES_STRESS_RUN_FRAMES 512u /* a 2 MiB page */

/* xorshift64: the stress sequence must be reproducible from its seed. */
static uint64_t frames_stress_next(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A random index below n (n > 0) without 64-bit division: the top 32 bits times n. */
static uint32_t frames_stress_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((frames_stress_next(state) >> 32) * n) >> 32);
}

/* Whether [phys, phys + count frames) is covered by touching allocatable ranges of the map. */
static bool frames_stress_in_map(const struct memmap *map, uint64_t phys, uint32_t count)
{
    uint64_t at = phys, end = phys + ((uint64_t)count << PAGODA_PAGE_SHIFT);
    for (uint32_t i = 0; i < map->count && at < end; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->end <= at)
            continue;
        if (e->start > at || !memmap_kind_is_allocatable(e->kind))
            return false;
        at = e->end;
    }
    return at >= end;
}

struct frames_stress_state {
    struct frames *f;
    const struct memmap *map;
    struct frames_stress_block *blocks;
    uint32_t held_blocks;
    uint64_t held_frames;
    char *msg;
    size_t msg_size;
};

static bool frames_stress_fail(struct frames_stress_state *st, const char *what, uint64_t phys)
{
    if (st->msg && st->msg_size)
        pg_snprintf(st->msg, st->msg_size, "frames stress: %s (0x%llx)", what,
                    (unsigned long long)phys);
    return false;
}

/* Checks one allocation answer; records it as held. */
static bool frames_stress_took(struct frames_stress_state *st, uint64_t phys, uint32_t count,
                               uint32_t align, enum frames_where where, uint64_t free_before)
{
    if (phys == FRAMES_NONE) {
        /* Refusing a single frame is only right when the zones it may use are empty. */
        uint64_t room = st->f->zone[FRAMES_ZONE_LOW].free +
                        (where == FRAMES_ANYWHERE ? st->f->zone[FRAMES_ZONE_HIGH].free : 0);
        if (count == 1 && room != 0)
            return frames_stress_fail(st, "single frame refused with frames free", room);
        return true;
    }
    if ((phys & (((uint64_t)align << PAGODA_PAGE_SHIFT) - 1)) != 0)
        return frames_stress_fail(st, "misaligned answer", phys);
    if (where == FRAMES_BELOW_4G &&
        phys + ((uint64_t)count << PAGODA_PAGE_SHIFT) > (FRAMES_LOW_LIMIT_PFN << PAGODA_PAGE_SHIFT))
        return frames_stress_fail(st, "below-4G request answered above 4 GiB", phys);
    if (!frames_stress_in_map(st->map, phys, count))
        return frames_stress_fail(st, "handed out memory that is not allocatable RAM", phys);
    if (frames_free_count(st->f) != free_before - count)
        return frames_stress_fail(st, "free count did not drop by the frames handed out", phys);
    st->blocks[st->held_blocks++] = (struct frames_stress_block){.phys = phys, .count = count};
    st->held_frames += count;
    return true;
}

static void frames_stress_give_back(struct frames_stress_state *st, uint32_t index)
{
    struct frames_stress_block b = st->blocks[index];
    frames_free_run(st->f, b.phys, b.count);
    st->held_frames -= b.count;
    st->blocks[index] = st->blocks[--st->held_blocks];
}

bool frames_stress(struct frames *f, const struct memmap *map, uint64_t seed, uint32_t ops,
                   struct frames_stress_block *blocks, uint32_t capacity,
                   struct frames_stress_report *report, char *msg, size_t msg_size)
{
    struct frames_stress_state st = {
        .f = f, .map = map, .blocks = blocks, .msg = msg, .msg_size = msg_size};
    struct frames_stress_report r = {0};
    uint64_t rng = seed | 1, free_at_start = frames_free_count(f);
    bool ok = capacity > 0 || frames_stress_fail(&st, "no room for held blocks", 0);
    for (uint32_t op = 0; ok && op < ops; op++) {
        uint32_t dice = frames_stress_below(&rng, 100);
        enum frames_where where = (enum frames_where)frames_stress_below(&rng, 2);
        uint64_t free_before = frames_free_count(f);
        /* Mostly allocate in the first half and mostly free in the second. */
        bool allocate = st.held_blocks < capacity && (op < ops / 2 ? dice < 65 : dice < 35);
        if (allocate && dice % 16 == 0) {
            uint64_t phys =
                frames_alloc_run(f, FRAMES_STRESS_RUN_FRAMES, FRAMES_STRESS_RUN_FRAMES, where);
            ok = frames_stress_took(&st, phys, FRAMES_STRESS_RUN_FRAMES, FRAMES_STRESS_RUN_FRAMES,
                                    where, free_before);
            r.runs += phys != FRAMES_NONE;
            r.exhausted += phys == FRAMES_NONE;
        } else if (allocate) {
            uint64_t phys = frames_alloc(f, where);
            ok = frames_stress_took(&st, phys, 1, 1, where, free_before);
            r.allocs += phys != FRAMES_NONE;
            r.exhausted += phys == FRAMES_NONE;
        } else if (st.held_blocks) {
            frames_stress_give_back(&st, frames_stress_below(&rng, st.held_blocks));
            r.frees++;
        }
        if (st.held_frames > r.max_held)
            r.max_held = (uint32_t)st.held_frames;
    }
    while (st.held_blocks)
        frames_stress_give_back(&st, st.held_blocks - 1);
    if (ok && frames_free_count(f) != free_at_start)
        ok = frames_stress_fail(&st, "free count differs after giving everything back",
                                frames_free_count(f));
    if (ok && !frames_audit(f, msg, msg_size))
        ok = false;
    if (report)
        *report = r;
    return ok;
}
