/*
 * Memory-map normalization: a boundary sweep over every input range (see memmap.h for the rules).
 *
 * The sweep needs no scratch memory: from the current address p it finds the nearest boundary
 * above p and the most restrictive kind covering p by looking at every input, emits [p, next)
 * and moves on. Each step is O(n) and there are at most 2n steps.
 */
#include "memmap.h"
#include "pagoda/page.h"

#include <stddef.h>

#include "pagoda/efi_memory.h"

#define MEMMAP_NO_KIND (-1)

/* One input range after classification and rounding; empty (start >= end) means "ignore". */
struct memmap_span {
    uint64_t start;
    uint64_t end;
    int kind;
};

/* Little-endian reads: descriptors may sit at any alignment (fuzz input, odd strides). */
static uint32_t memmap_read_u32(const uint8_t *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

static uint64_t memmap_read_u64(const uint8_t *bytes)
{
    return (uint64_t)memmap_read_u32(bytes) | (uint64_t)memmap_read_u32(bytes + 4) << 32;
}

enum memmap_kind memmap_kind_of_efi_type(uint32_t efi_type)
{
    switch (efi_type) {
    case PAGODA_EFI_CONVENTIONAL:
        return MEMMAP_USABLE;
    case PAGODA_EFI_LOADER_CODE:
    case PAGODA_EFI_LOADER_DATA:
    case PAGODA_EFI_BOOT_SERVICES_CODE:
    case PAGODA_EFI_BOOT_SERVICES_DATA:
        return MEMMAP_RECLAIMABLE;
    case PAGODA_EFI_ACPI_RECLAIM:
        return MEMMAP_ACPI_RECLAIM;
    case PAGODA_EFI_ACPI_NVS:
        return MEMMAP_ACPI_NVS;
    case PAGODA_EFI_UNUSABLE:
        return MEMMAP_UNUSABLE;
    case PAGODA_EFI_MMIO:
    case PAGODA_EFI_MMIO_PORT_SPACE:
        return MEMMAP_MMIO;
    default: /* reserved, runtime code/data, PAL, persistent, unaccepted, OEM/OS types */
        return MEMMAP_RESERVED;
    }
}

enum memmap_kind memmap_kind_of_loader_range(uint32_t range_kind)
{
    return range_kind == PAGODA_RANGE_KERNEL ? MEMMAP_KERNEL : MEMMAP_LOADER_IN_USE;
}

/* [start, start + size) must end no later than MEMMAP_END_LIMIT. */
static bool memmap_fits(uint64_t start, uint64_t size)
{
    return start <= MEMMAP_END_LIMIT && size <= MEMMAP_END_LIMIT - start;
}

/* Inward for what may be handed out, outward for everything else (see memmap.h). */
static struct memmap_span memmap_rounded(uint64_t start, uint64_t end, int kind)
{
    struct memmap_span span = {.kind = kind};
    if (memmap_kind_is_allocatable((uint32_t)kind)) {
        span.start = pagoda_page_up(start);
        span.end = pagoda_page_down(end);
    } else {
        span.start = pagoda_page_down(start);
        span.end = pagoda_page_up(end);
    }
    if (start >= end)
        span.end = span.start;
    return span;
}

static uint32_t memmap_efi_count(const struct memmap_input *in)
{
    return in->descriptor_size ? (uint32_t)in->efi_map_size / in->descriptor_size : 0;
}

static uint32_t memmap_input_count(const struct memmap_input *in)
{
    return memmap_efi_count(in) + in->loader_range_count + in->extra_count;
}

static const uint8_t *memmap_descriptor(const struct memmap_input *in, uint32_t index)
{
    return (const uint8_t *)in->efi_map + (size_t)index * in->descriptor_size;
}

/* One input before rounding, and where it came from (for error reports). */
struct memmap_raw_input {
    uint64_t start;
    uint64_t size;
    int kind; /* MEMMAP_NO_KIND for an extra range with an invalid kind */
    enum memmap_source source;
    uint32_t index; /* within its source */
};

/* Input number index, counting the EFI descriptors, then the loader ranges, then the extras. */
static struct memmap_raw_input memmap_raw(const struct memmap_input *in, uint32_t index)
{
    uint32_t efi_count = memmap_efi_count(in);
    if (index < efi_count) {
        const uint8_t *d = memmap_descriptor(in, index);
        uint64_t pages =
            memmap_read_u64(d + offsetof(struct pagoda_efi_memory_descriptor, number_of_pages));
        uint32_t type = memmap_read_u32(d + offsetof(struct pagoda_efi_memory_descriptor, type));
        return (struct memmap_raw_input){
            .start =
                memmap_read_u64(d + offsetof(struct pagoda_efi_memory_descriptor, physical_start)),
            /* A page count this large cannot fit below 2^64: make the size check fail. */
            .size = pages > (MEMMAP_END_LIMIT >> PAGODA_PAGE_SHIFT) ? UINT64_MAX
                                                                    : pages << PAGODA_PAGE_SHIFT,
            .kind = (int)memmap_kind_of_efi_type(type),
            .source = MEMMAP_SOURCE_EFI,
            .index = index,
        };
    }
    index -= efi_count;
    if (index < in->loader_range_count) {
        const struct pagoda_range *r = &in->loader_ranges[index];
        return (struct memmap_raw_input){
            .start = r->base,
            .size = r->size,
            .kind = (int)memmap_kind_of_loader_range(r->kind),
            .source = MEMMAP_SOURCE_LOADER,
            .index = index,
        };
    }
    index -= in->loader_range_count;
    const struct memmap_entry *e = &in->extra[index];
    return (struct memmap_raw_input){
        .start = e->start,
        .size = e->end > e->start ? e->end - e->start : 0,
        .kind = e->kind < MEMMAP_KIND_COUNT ? (int)e->kind : MEMMAP_NO_KIND,
        .source = MEMMAP_SOURCE_EXTRA,
        .index = index,
    };
}

/* Only called after memmap_validate_inputs succeeded. */
static struct memmap_span memmap_span_of(const struct memmap_input *in, uint32_t index)
{
    struct memmap_raw_input raw = memmap_raw(in, index);
    return memmap_rounded(raw.start, raw.start + raw.size, raw.kind);
}

static enum memmap_status memmap_validate_shape(const struct memmap_input *in)
{
    if (in->efi_map_size != 0 && in->efi_map == NULL)
        return MEMMAP_ERR_NO_INPUT;
    if ((in->loader_range_count != 0 && in->loader_ranges == NULL) ||
        (in->extra_count != 0 && in->extra == NULL))
        return MEMMAP_ERR_NO_INPUT;
    if (in->efi_map_size == 0)
        return MEMMAP_OK; /* no EFI map: the stride does not matter */
    if (in->descriptor_size < MEMMAP_MIN_DESCRIPTOR_SIZE)
        return MEMMAP_ERR_DESCRIPTOR_SIZE;
    /* 32-bit arithmetic from here on: the i686 kernel links no 64-bit division helpers. */
    if (in->efi_map_size > UINT32_MAX || (uint32_t)in->efi_map_size % in->descriptor_size != 0)
        return MEMMAP_ERR_MAP_SIZE;
    return MEMMAP_OK;
}

static enum memmap_status memmap_validate_inputs(struct memmap *map, const struct memmap_input *in)
{
    uint32_t total = memmap_input_count(in);
    for (uint32_t i = 0; i < total; i++) {
        struct memmap_raw_input raw = memmap_raw(in, i);
        enum memmap_status status = MEMMAP_OK;
        if (raw.kind == MEMMAP_NO_KIND)
            status = MEMMAP_ERR_BAD_KIND;
        else if (!memmap_fits(raw.start, raw.size))
            status = MEMMAP_ERR_WRAPS;
        if (status != MEMMAP_OK) {
            map->bad_index = raw.index;
            map->bad_source = raw.source;
            return status;
        }
    }
    return MEMMAP_OK;
}

/* Collects output ranges, merging touching ones of the same kind; counts past the capacity. */
struct memmap_writer {
    struct memmap *map;
    struct memmap_entry pending;
    bool has_pending;
};

static void memmap_flush(struct memmap_writer *w)
{
    if (!w->has_pending)
        return;
    if (w->map->needed < w->map->capacity)
        w->map->entries[w->map->needed] = w->pending;
    w->map->needed++;
    w->has_pending = false;
}

static void memmap_emit(struct memmap_writer *w, uint64_t start, uint64_t end, int kind)
{
    if (w->has_pending && w->pending.end == start && w->pending.kind == (uint32_t)kind) {
        w->pending.end = end;
        return;
    }
    memmap_flush(w);
    w->pending = (struct memmap_entry){.start = start, .end = end, .kind = (uint32_t)kind};
    w->has_pending = true;
}

/* Lowest start of any non-empty input; false when every input is empty. */
static bool memmap_lowest_start(const struct memmap_input *in, uint64_t *lowest)
{
    bool found = false;
    uint32_t total = memmap_input_count(in);
    for (uint32_t i = 0; i < total; i++) {
        struct memmap_span s = memmap_span_of(in, i);
        if (s.start < s.end && (!found || s.start < *lowest)) {
            *lowest = s.start;
            found = true;
        }
    }
    return found;
}

/*
 * From address p: the nearest boundary above p (false if there is none) and the most
 * restrictive kind covering p (MEMMAP_NO_KIND over a hole).
 */
static bool memmap_next_boundary(const struct memmap_input *in, uint64_t p, uint64_t *next,
                                 int *kind)
{
    bool found = false;
    *kind = MEMMAP_NO_KIND;
    uint32_t total = memmap_input_count(in);
    for (uint32_t i = 0; i < total; i++) {
        struct memmap_span s = memmap_span_of(in, i);
        if (s.start >= s.end || s.end <= p)
            continue;
        uint64_t boundary = s.start > p ? s.start : s.end;
        if (!found || boundary < *next)
            *next = boundary;
        found = true;
        if (s.start <= p && s.kind > *kind)
            *kind = s.kind;
    }
    return found;
}

enum memmap_status memmap_normalize(struct memmap *map, const struct memmap_input *in)
{
    map->count = 0;
    map->needed = 0;
    map->bad_index = 0;
    map->bad_source = 0;
    enum memmap_status status = memmap_validate_shape(in);
    if (status == MEMMAP_OK)
        status = memmap_validate_inputs(map, in);
    if (status != MEMMAP_OK)
        return status;

    struct memmap_writer writer = {.map = map};
    uint64_t p;
    if (memmap_lowest_start(in, &p)) {
        uint64_t next;
        int kind;
        while (memmap_next_boundary(in, p, &next, &kind)) {
            if (kind != MEMMAP_NO_KIND)
                memmap_emit(&writer, p, next, kind);
            p = next;
        }
    }
    memmap_flush(&writer);
    if (map->needed > map->capacity)
        return MEMMAP_ERR_CAPACITY;
    map->count = map->needed;
    return MEMMAP_OK;
}

void memmap_totals(const struct memmap *map, uint64_t *totals)
{
    for (uint32_t k = 0; k < MEMMAP_KIND_COUNT; k++)
        totals[k] = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->kind < MEMMAP_KIND_COUNT)
            totals[e->kind] += e->end - e->start;
    }
}

const char *memmap_kind_name(uint32_t kind)
{
    static const char *const names[MEMMAP_KIND_COUNT] = {
        [MEMMAP_USABLE] = "usable",
        [MEMMAP_RECLAIMABLE] = "reclaimable",
        [MEMMAP_ACPI_RECLAIM] = "ACPI reclaim",
        [MEMMAP_LOADER_IN_USE] = "loader in use",
        [MEMMAP_KERNEL] = "kernel",
        [MEMMAP_ACPI_NVS] = "ACPI NVS",
        [MEMMAP_RESERVED] = "reserved",
        [MEMMAP_UNUSABLE] = "unusable",
        [MEMMAP_MMIO] = "MMIO",
    };
    return kind < MEMMAP_KIND_COUNT ? names[kind] : "?";
}

const char *memmap_status_text(enum memmap_status status)
{
    switch (status) {
    case MEMMAP_OK:
        return "ok";
    case MEMMAP_ERR_DESCRIPTOR_SIZE:
        return "descriptor size below 40 bytes";
    case MEMMAP_ERR_MAP_SIZE:
        return "map size is not a multiple of the descriptor size (or is 4 GiB or more)";
    case MEMMAP_ERR_WRAPS:
        return "a range wraps past the top of the 64-bit address space";
    case MEMMAP_ERR_BAD_KIND:
        return "an extra range has an unknown kind";
    case MEMMAP_ERR_CAPACITY:
        return "the normalized map does not fit the output array";
    case MEMMAP_ERR_NO_INPUT:
        return "an input has a size but no pointer";
    }
    return "unknown status";
}
