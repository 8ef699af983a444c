#include "rawmap.h"
#include "pagoda/page.h"

#include "fmt.h"
#include "phys.h"

struct rawmap rawmap_of(const struct pagoda_boot_info *info)
{
    struct rawmap view = {0};
    if (info->descriptor_size == 0)
        return view;
    view.base = phys_to_ptr(info->memory_map);
    view.stride = info->descriptor_size;
    view.count = (size_t)(info->memory_map_size / info->descriptor_size);
    return view;
}

const struct pagoda_efi_memory_descriptor *rawmap_at(const struct rawmap *view, size_t i)
{
    return (const struct pagoda_efi_memory_descriptor *)(const void *)(view->base +
                                                                       i * view->stride);
}

uint64_t rawmap_desc_end(const struct pagoda_efi_memory_descriptor *d)
{
    const uint64_t max_pages = UINT64_MAX / PAGODA_PAGE_SIZE;
    if (d->number_of_pages > max_pages)
        return UINT64_MAX;
    uint64_t bytes = d->number_of_pages * PAGODA_PAGE_SIZE;
    if (d->physical_start > UINT64_MAX - bytes)
        return UINT64_MAX;
    return d->physical_start + bytes;
}

/* The type that stands for a pair joined by use; any other type stands for itself. */
static uint32_t use_of(uint32_t type)
{
    if (type == PAGODA_EFI_BOOT_SERVICES_DATA)
        return PAGODA_EFI_BOOT_SERVICES_CODE;
    if (type == PAGODA_EFI_LOADER_DATA)
        return PAGODA_EFI_LOADER_CODE;
    return type;
}

static bool joins(uint32_t type, uint32_t next, enum rawmap_join join)
{
    return join == RAWMAP_JOIN_USE ? use_of(next) == use_of(type) : next == type;
}

size_t rawmap_next_run(const struct rawmap *view, size_t i, enum rawmap_join join,
                       struct rawmap_run *run)
{
    if (i >= view->count)
        return i;
    const struct pagoda_efi_memory_descriptor *d = rawmap_at(view, i);
    *run = (struct rawmap_run){.type = d->type,
                               .start = d->physical_start,
                               .pages = d->number_of_pages,
                               .attribute = d->attribute,
                               .entries = 1};
    uint64_t end = rawmap_desc_end(d);
    for (i++; i < view->count; i++) {
        const struct pagoda_efi_memory_descriptor *next = rawmap_at(view, i);
        if (!joins(run->type, next->type, join) || next->attribute != run->attribute ||
            next->physical_start != end || end == UINT64_MAX)
            break;
        run->mixed = run->mixed || next->type != run->type;
        run->pages += next->number_of_pages;
        run->entries++;
        end = rawmap_desc_end(next);
    }
    return i;
}

size_t rawmap_run_count(const struct rawmap *view, enum rawmap_join join)
{
    size_t runs = 0;
    struct rawmap_run run;
    for (size_t i = 0; i < view->count; runs++)
        i = rawmap_next_run(view, i, join, &run);
    return runs;
}

const char *rawmap_run_type_name(const struct rawmap_run *run, char buf[RAWMAP_TYPE_NAME_SIZE])
{
    if (run->type >= PAGODA_EFI_MEMORY_TYPE_COUNT) {
        pg_snprintf(buf, RAWMAP_TYPE_NAME_SIZE, "0x%08x", run->type);
        return buf;
    }
    if (!run->mixed)
        return pagoda_efi_memory_type_name(run->type);
    return use_of(run->type) == PAGODA_EFI_LOADER_CODE ? "LoaderCode+Data" : "BS_Code+Data";
}

bool rawmap_type_is_usable(uint32_t type)
{
    return type == PAGODA_EFI_CONVENTIONAL;
}

bool rawmap_type_is_reclaimable(uint32_t type)
{
    return type == PAGODA_EFI_BOOT_SERVICES_CODE || type == PAGODA_EFI_BOOT_SERVICES_DATA ||
           type == PAGODA_EFI_LOADER_CODE || type == PAGODA_EFI_LOADER_DATA;
}

void rawmap_totals(const struct rawmap *view, struct rawmap_totals *totals)
{
    *totals = (struct rawmap_totals){0};
    for (size_t i = 0; i < view->count; i++) {
        const struct pagoda_efi_memory_descriptor *d = rawmap_at(view, i);
        uint32_t slot =
            d->type < PAGODA_EFI_MEMORY_TYPE_COUNT ? d->type : PAGODA_EFI_MEMORY_TYPE_COUNT;
        totals->pages[slot] += d->number_of_pages;
        totals->entries[slot]++;
        totals->total_pages += d->number_of_pages;
        if (rawmap_type_is_usable(d->type))
            totals->usable_pages += d->number_of_pages;
        if (rawmap_type_is_reclaimable(d->type))
            totals->reclaimable_pages += d->number_of_pages;
        uint64_t end = rawmap_desc_end(d);
        if (end > totals->highest_end)
            totals->highest_end = end;
    }
}

static bool type_in(uint32_t type, uint32_t mask)
{
    return type < 32 && (mask & RAWMAP_TYPE_BIT(type));
}

bool rawmap_find_overlap(const struct rawmap *view, uint32_t type_mask, size_t *first,
                         size_t *second)
{
    /* O(n^2) over a few hundred entries at most: simple beats sorting a copy we have no room for */
    for (size_t i = 0; i < view->count; i++) {
        const struct pagoda_efi_memory_descriptor *a = rawmap_at(view, i);
        if (!type_in(a->type, type_mask) || a->number_of_pages == 0)
            continue;
        for (size_t j = i + 1; j < view->count; j++) {
            const struct pagoda_efi_memory_descriptor *b = rawmap_at(view, j);
            if (!type_in(b->type, type_mask) || b->number_of_pages == 0)
                continue;
            if (a->physical_start < rawmap_desc_end(b) && b->physical_start < rawmap_desc_end(a)) {
                *first = i;
                *second = j;
                return true;
            }
        }
    }
    return false;
}

/* The end of a matching descriptor containing address, or address itself if none does. */
static uint64_t covered_until(const struct rawmap *view, uint64_t address, uint32_t mask)
{
    for (size_t i = 0; i < view->count; i++) {
        const struct pagoda_efi_memory_descriptor *d = rawmap_at(view, i);
        if (type_in(d->type, mask) && d->physical_start <= address && address < rawmap_desc_end(d))
            return rawmap_desc_end(d);
    }
    return address;
}

bool rawmap_covers(const struct rawmap *view, uint64_t base, uint64_t size, uint32_t type_mask,
                   uint64_t *gap)
{
    uint64_t end = size > UINT64_MAX - base ? UINT64_MAX : base + size;
    uint64_t cursor = base;
    while (cursor < end) {
        uint64_t next = covered_until(view, cursor, type_mask);
        if (next == cursor) {
            if (gap)
                *gap = cursor;
            return false;
        }
        cursor = next;
    }
    return true;
}
