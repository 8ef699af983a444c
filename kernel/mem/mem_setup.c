#include "mem_setup.h"

#define MEM_SETUP_PAGE_MASK ((uint64_t)MEMMAP_PAGE_SIZE - 1)

/* Highest page-aligned base for bytes inside a usable entry ending at or below limit. */
static bool mem_setup_place(const struct memmap *map, size_t bytes, uint64_t limit, uint64_t *base)
{
    uint64_t size = ((uint64_t)bytes + MEM_SETUP_PAGE_MASK) & ~MEM_SETUP_PAGE_MASK;
    for (uint32_t i = map->count; i-- > 0;) {
        const struct memmap_entry *e = &map->entries[i];
        uint64_t end = e->end < limit ? e->end : limit;
        if (e->kind != MEMMAP_USABLE || end <= e->start || end - e->start < size)
            continue;
        *base = end - size;
        return true;
    }
    return false;
}

/*
 * The allocator's view of the map: the entries that start below pool_limit, the last one cut
 * at the limit. The cut is made in place and undone by mem_setup_unclip, so the normalized map
 * keeps describing the whole machine.
 */
struct mem_setup_clip {
    uint32_t count;
    uint32_t cut_index;
    uint64_t cut_end; /* original end of the cut entry; 0 if nothing was cut */
};

static struct mem_setup_clip mem_setup_clip(struct mem_setup *s, uint64_t limit)
{
    struct mem_setup_clip clip = {.count = s->map.count};
    s->withheld_bytes = 0;
    for (uint32_t i = 0; i < s->map.count; i++) {
        struct memmap_entry *e = &s->map.entries[i];
        if (e->end <= limit)
            continue;
        uint64_t from = e->start > limit ? e->start : limit;
        if (memmap_kind_is_allocatable(e->kind))
            s->withheld_bytes += e->end - from;
        if (e->start < limit && clip.cut_end == 0) {
            clip.cut_index = i;
            clip.cut_end = e->end;
            e->end = limit;
        }
        if (clip.count == s->map.count)
            clip.count = e->start < limit ? i + 1 : i;
    }
    s->map.count = clip.count;
    return clip;
}

static void mem_setup_unclip(struct mem_setup *s, const struct mem_setup_clip *clip,
                             uint32_t full_count)
{
    if (clip->cut_end)
        s->map.entries[clip->cut_index].end = clip->cut_end;
    s->map.count = full_count;
}

enum mem_setup_status mem_setup(struct mem_setup *s, const struct pagoda_boot_info *bi,
                                uint64_t metadata_limit, mem_setup_phys_fn phys, void *ctx)
{
    return mem_setup_limited(s, bi, metadata_limit, UINT64_MAX, phys, ctx);
}

enum mem_setup_status mem_setup_limited(struct mem_setup *s, const struct pagoda_boot_info *bi,
                                        uint64_t metadata_limit, uint64_t pool_limit,
                                        mem_setup_phys_fn phys, void *ctx)
{
    s->map = (struct memmap){.entries = s->entries, .capacity = MEM_SETUP_MAX_ENTRIES};
    s->metadata_phys = 0;
    s->metadata_bytes = 0;
    s->memmap_status = MEMMAP_OK;
    s->frames_status = FRAMES_OK;
    s->pool_limit = pool_limit;
    s->withheld_bytes = 0;
    if (bi->range_count > PAGODA_MAX_RANGES)
        return MEM_SETUP_ERR_RANGE_COUNT;

    struct memmap_input in = {
        .efi_map_size = bi->memory_map_size,
        .descriptor_size = bi->descriptor_size,
        .loader_ranges = bi->ranges,
        .loader_range_count = bi->range_count,
    };
    if (bi->memory_map_size != 0) {
        in.efi_map = phys(ctx, bi->memory_map, (size_t)bi->memory_map_size);
        if (in.efi_map == NULL)
            s->memmap_status = MEMMAP_ERR_NO_INPUT;
    }
    if (s->memmap_status == MEMMAP_OK)
        s->memmap_status = memmap_normalize(&s->map, &in);
    if (s->memmap_status != MEMMAP_OK)
        return MEM_SETUP_ERR_MEMMAP;

    uint32_t full_count = s->map.count;
    struct mem_setup_clip clip = mem_setup_clip(s, pool_limit);
    uint64_t limit = metadata_limit < pool_limit ? metadata_limit : pool_limit;
    s->metadata_bytes = frames_metadata_bytes(&s->map);
    void *metadata = NULL;
    if (mem_setup_place(&s->map, s->metadata_bytes, limit, &s->metadata_phys))
        metadata = phys(ctx, s->metadata_phys, s->metadata_bytes);
    if (metadata != NULL)
        s->frames_status = frames_init(&s->frames, &s->map, metadata, s->metadata_bytes);
    mem_setup_unclip(s, &clip, full_count);
    if (metadata == NULL)
        return MEM_SETUP_ERR_NO_ROOM;
    if (s->frames_status != FRAMES_OK)
        return MEM_SETUP_ERR_FRAMES;
    frames_reserve(&s->frames, s->metadata_phys, s->metadata_phys + s->metadata_bytes);
    return MEM_SETUP_OK;
}

const char *mem_setup_status_text(enum mem_setup_status status)
{
    switch (status) {
    case MEM_SETUP_OK:
        return "ok";
    case MEM_SETUP_ERR_MEMMAP:
        return "the memory map could not be normalized";
    case MEM_SETUP_ERR_NO_ROOM:
        return "no usable RAM below the limit can hold the frame allocator's metadata";
    case MEM_SETUP_ERR_FRAMES:
        return "the frame allocator refused the normalized map";
    case MEM_SETUP_ERR_RANGE_COUNT:
        return "the boot info lists more loader ranges than PAGODA_MAX_RANGES";
    }
    return "unknown status";
}
