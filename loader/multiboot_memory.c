#include "multiboot_memory.h"

#include "multiboot.h"
#include "byte_order.h"
#include "pagoda/efi_memory.h"
#include "pagoda/page.h"

#define NO_TYPE 0u /* a hole: no descriptor covers the address */

struct range {
    uint64_t start, end; /* end exclusive */
    uint32_t type;       /* MB_MEMORY_* */
};

uint32_t mb_memory_type_of_efi(uint32_t efi_type)
{
    switch (efi_type) {
    case PAGODA_EFI_CONVENTIONAL:
    case PAGODA_EFI_BOOT_SERVICES_CODE:
    case PAGODA_EFI_BOOT_SERVICES_DATA:
    case PAGODA_EFI_LOADER_CODE:
    case PAGODA_EFI_LOADER_DATA:
        return MB_MEMORY_AVAILABLE;
    case PAGODA_EFI_ACPI_RECLAIM:
        return MB_MEMORY_ACPI;
    case PAGODA_EFI_ACPI_NVS:
        return MB_MEMORY_NVS;
    case PAGODA_EFI_UNUSABLE:
        return MB_MEMORY_BAD;
    default:
        return MB_MEMORY_RESERVED;
    }
}

/* Where two descriptors overlap, the higher rank wins. */
static unsigned rank_of(uint32_t type)
{
    switch (type) {
    case MB_MEMORY_AVAILABLE:
        return 1;
    case MB_MEMORY_ACPI:
        return 2;
    case MB_MEMORY_NVS:
        return 3;
    case MB_MEMORY_RESERVED:
        return 4;
    default: /* MB_MEMORY_BAD */
        return 5;
    }
}

/* 0 for a descriptor that covers nothing or whose end does not fit in 64 bits. */
static int read_range(const uint8_t *raw, struct range *r)
{
    uint64_t pages = load_le64(raw + PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES);
    r->start = load_le64(raw + PAGODA_EFI_DESCRIPTOR_PHYSICAL_START);
    r->type = mb_memory_type_of_efi(load_le32(raw + PAGODA_EFI_DESCRIPTOR_TYPE));
    if (pages == 0 || pages > (UINT64_MAX >> PAGODA_PAGE_SHIFT))
        return 0;
    uint64_t bytes = pages << PAGODA_PAGE_SHIFT;
    if (bytes > UINT64_MAX - r->start)
        return 0;
    r->end = r->start + bytes;
    return 1;
}

struct map_view {
    const uint8_t *bytes;
    size_t count, stride;
};

static uint32_t type_at(const struct map_view *map, uint64_t address)
{
    uint32_t type = NO_TYPE;
    for (size_t i = 0; i < map->count; i++) {
        struct range r;
        if (read_range(map->bytes + i * map->stride, &r) && r.start <= address && address < r.end &&
            (type == NO_TYPE || rank_of(r.type) > rank_of(type)))
            type = r.type;
    }
    return type;
}

/* The lowest descriptor boundary above ADDRESS; 0 when there is none. */
static int next_boundary(const struct map_view *map, uint64_t address, uint64_t *next)
{
    int found = 0;
    for (size_t i = 0; i < map->count; i++) {
        struct range r;
        if (!read_range(map->bytes + i * map->stride, &r))
            continue;
        uint64_t candidates[2] = {r.start, r.end};
        for (int c = 0; c < 2; c++) {
            if (candidates[c] > address && (!found || candidates[c] < *next)) {
                *next = candidates[c];
                found = 1;
            }
        }
    }
    return found;
}

long mb_memory_convert(const void *map, size_t map_size, size_t descriptor_size,
                       struct mb_memory_entry *out, size_t capacity)
{
    if (descriptor_size < PAGODA_EFI_DESCRIPTOR_MIN_SIZE ||
        descriptor_size % PAGODA_EFI_DESCRIPTOR_ALIGNMENT != 0)
        return -1;
    struct map_view view = {map, map ? map_size / descriptor_size : 0, descriptor_size};
    size_t count = 0;
    uint64_t cursor = 0;

    if (capacity < 2 * view.count)
        return -1;
    if (type_at(&view, cursor) == NO_TYPE && !next_boundary(&view, cursor, &cursor))
        return 0;
    for (;;) {
        uint32_t type = type_at(&view, cursor);
        uint64_t next = 0;
        if (!next_boundary(&view, cursor, &next))
            break; /* past every end: nothing covers cursor */
        if (type != NO_TYPE) {
            struct mb_memory_entry *last = count > 0 ? &out[count - 1] : NULL;
            if (last != NULL && last->type == type && last->base + last->length == cursor)
                last->length += next - cursor;
            else
                out[count++] = (struct mb_memory_entry){cursor, next - cursor, type};
        }
        cursor = next;
    }
    return (long)count;
}

/* The end of the run of available memory that contains START; START itself when none does. */
static uint64_t available_run_end(const struct mb_memory_entry *entries, size_t count,
                                  uint64_t start)
{
    uint64_t end = start;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < count; i++) {
            const struct mb_memory_entry *e = &entries[i];
            if (e->type == MB_MEMORY_AVAILABLE && e->base <= end && end < e->base + e->length) {
                end = e->base + e->length;
                grew = 1;
            }
        }
    }
    return end;
}

void mb_memory_basic(const struct mb_memory_entry *entries, size_t count, uint32_t *lower_kb,
                     uint32_t *upper_kb)
{
    uint64_t lower = available_run_end(entries, count, 0) / 1024;
    uint64_t upper =
        (available_run_end(entries, count, MB_UPPER_MEMORY_START) - MB_UPPER_MEMORY_START) / 1024;
    *lower_kb = (uint32_t)(lower > MB_LOWER_MEMORY_MAX_KB ? MB_LOWER_MEMORY_MAX_KB : lower);
    *upper_kb = (uint32_t)(upper > UINT32_MAX ? UINT32_MAX : upper);
}
