#include "vm_plan.h"
#include "pagoda/page.h"

uint64_t vm_plan_direct_map_end(const struct memmap *map, uint64_t limit)
{
    uint64_t end = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->kind > MEMMAP_ACPI_NVS || e->start >= limit)
            continue;
        uint64_t top = e->end < limit ? e->end : limit;
        if (top > end)
            end = top;
    }
    return pagoda_page_up(end);
}

bool vm_plan_pool(const struct memmap *map, uint64_t direct_map_end, uint64_t metadata_phys,
                  uint32_t frames, uint64_t *base)
{
    uint64_t want = (uint64_t)frames * PAGODA_PAGE_SIZE;
    for (uint32_t i = map->count; i-- > 0;) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->kind != MEMMAP_USABLE)
            continue;
        uint64_t top = e->end < direct_map_end ? e->end : direct_map_end;
        if (metadata_phys >= e->start && metadata_phys < top)
            top = pagoda_page_down(metadata_phys);
        if (top <= e->start || top - e->start < want)
            continue;
        *base = top - want;
        return true;
    }
    return false;
}
