#include "mem_setup.h"
#include "pagoda/page.h"

/* Highest page-aligned base for bytes inside a usable entry ending at or below limit. */
static bool mem_setup_place(const struct memmap *map, size_t bytes, uint64_t limit, uint64_t *base)
{
    uint64_t size = pagoda_page_up(bytes);
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

/* Usable and reclaimable RAM at or above limit: what a pool limit keeps out of the allocator. */
static uint64_t mem_setup_withheld(const struct memmap *map, uint64_t limit)
{
    uint64_t withheld = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->end <= limit || !memmap_kind_is_allocatable(e->kind))
            continue;
        withheld += e->end - (e->start > limit ? e->start : limit);
    }
    return withheld;
}

enum mem_setup_status mem_setup(struct mem_setup *s, const struct pagoda_boot_info *bi,
                                uint64_t metadata_limit, mem_setup_phys_fn phys, void *ctx)
{
    return mem_setup_limited(s, bi, metadata_limit, FRAMES_NO_LIMIT, phys, ctx);
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

    s->withheld_bytes = mem_setup_withheld(&s->map, pool_limit);
    uint64_t limit = metadata_limit < pool_limit ? metadata_limit : pool_limit;
    s->metadata_bytes = frames_metadata_bytes(&s->map, pool_limit);
    void *metadata = NULL;
    if (mem_setup_place(&s->map, s->metadata_bytes, limit, &s->metadata_phys))
        metadata = phys(ctx, s->metadata_phys, s->metadata_bytes);
    if (metadata != NULL)
        s->frames_status =
            frames_init(&s->frames, &s->map, pool_limit, metadata, s->metadata_bytes);
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
