#include "placement.h"

#include "fmt.h"
#include "byte_order.h"
#include "pagoda/efi_memory.h"
#include "pagoda/page.h"

#include <stdarg.h>

/* 2^52 pages of 4 KiB is all of the 64-bit space: any count above it wraps. */
#define PAGE_COUNT_LIMIT (1ull << (64 - PAGODA_PAGE_SHIFT))

/* Inclusive bounds: a region may end at 2^64 - 1, whose exclusive end does not fit. */
struct region {
    uint64_t first, last;
    uint32_t type;
};

struct map_view {
    const uint8_t *bytes;
    size_t size;
    size_t stride;
};

static size_t descriptor_count(const struct map_view *map)
{
    return map->size / map->stride;
}

static const uint8_t *descriptor_at(const struct map_view *map, size_t index)
{
    return map->bytes + index * map->stride;
}

/* 0 if the descriptor covers nothing or wraps past 2^64; wrapping is checked up front. */
static int read_region(const struct map_view *map, size_t index, struct region *r)
{
    const uint8_t *raw = descriptor_at(map, index);
    uint64_t pages = load_le64(raw + PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES);
    r->type = load_le32(raw + PAGODA_EFI_DESCRIPTOR_TYPE);
    r->first = load_le64(raw + PAGODA_EFI_DESCRIPTOR_PHYSICAL_START);
    if (pages == 0 || pages - 1 >= PAGE_COUNT_LIMIT)
        return 0;
    /* pages * 4096 - 1, computed so that 2^52 pages from 0 (all of memory) still fits. */
    uint64_t span = (pages - 1) << PAGODA_PAGE_SHIFT | (PAGODA_PAGE_SIZE - 1);
    if (span > UINT64_MAX - r->first)
        return 0;
    r->last = r->first + span;
    return 1;
}

static int descriptor_wraps(const struct map_view *map, size_t index)
{
    const uint8_t *raw = descriptor_at(map, index);
    uint64_t pages = load_le64(raw + PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES);
    struct region r;
    return pages != 0 && !read_region(map, index, &r);
}

static int regions_intersect(const struct region *a, const struct region *b)
{
    return a->first <= b->last && b->first <= a->last;
}

int placement_type_allowed(uint32_t type)
{
    switch (type) {
    case PAGODA_EFI_CONVENTIONAL:
    case PAGODA_EFI_BOOT_SERVICES_CODE:
    case PAGODA_EFI_BOOT_SERVICES_DATA:
    case PAGODA_EFI_LOADER_CODE:
    case PAGODA_EFI_LOADER_DATA:
        return 1;
    default:
        return 0;
    }
}

struct range_text {
    char text[48];
};

/* "[0x00100000-0x00105000)"; an end of 2^64 is spelled out rather than wrapped to 0. */
static struct range_text range_text(const struct region *r)
{
    struct range_text t;
    if (r->last == UINT64_MAX)
        pg_snprintf(t.text, sizeof t.text, "[0x%08llx-0x10000000000000000)",
                    (unsigned long long)r->first);
    else
        pg_snprintf(t.text, sizeof t.text, "[0x%08llx-0x%08llx)", (unsigned long long)r->first,
                    (unsigned long long)r->last + 1);
    return t;
}

__attribute__((format(printf, 4, 5))) static enum placement_error
fail(char *why, size_t why_size, enum placement_error error, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        pg_vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return error;
}

static enum placement_error check_map_shape(const struct map_view *map, char *why, size_t why_size)
{
    if (map->stride < PAGODA_EFI_DESCRIPTOR_MIN_SIZE ||
        map->stride % PAGODA_EFI_DESCRIPTOR_ALIGNMENT != 0)
        return fail(why, why_size, PLACEMENT_BAD_DESCRIPTOR_SIZE,
                    "memory map descriptor size %zu is invalid (needs >= %u and a multiple of %u)",
                    map->stride, PAGODA_EFI_DESCRIPTOR_MIN_SIZE, PAGODA_EFI_DESCRIPTOR_ALIGNMENT);
    if (map->size % map->stride != 0)
        return fail(why, why_size, PLACEMENT_BAD_MAP_SIZE,
                    "memory map size %zu is not a multiple of the descriptor size %zu", map->size,
                    map->stride);
    for (size_t i = 0; i < descriptor_count(map); i++) {
        if (!descriptor_wraps(map, i))
            continue;
        const uint8_t *raw = descriptor_at(map, i);
        return fail(why, why_size, PLACEMENT_DESCRIPTOR_WRAPS,
                    "memory map descriptor %zu (type %u at 0x%llx, 0x%llx pages) wraps past the "
                    "end of the 64-bit address space",
                    i, load_le32(raw + PAGODA_EFI_DESCRIPTOR_TYPE),
                    (unsigned long long)load_le64(raw + PAGODA_EFI_DESCRIPTOR_PHYSICAL_START),
                    (unsigned long long)load_le64(raw + PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES));
    }
    return PLACEMENT_OK;
}

static enum placement_error report_in_use(const struct region *want, const struct region *found,
                                          char *why, size_t why_size)
{
    /* OEM and OS-defined types (0x70000000 and up) read better in hex. */
    char number[16];
    if (found->type < PAGODA_EFI_MEMORY_TYPE_COUNT)
        pg_snprintf(number, sizeof number, "%u", found->type);
    else
        pg_snprintf(number, sizeof number, "0x%x", found->type);
    return fail(why, why_size, PLACEMENT_MEMORY_IN_USE,
                "%s overlaps %s memory %s (type %s), which must not be overwritten",
                range_text(want).text, pagoda_efi_memory_type_name(found->type),
                range_text(found).text, number);
}

/* Names the lowest forbidden descriptor in the range: the answer must not depend on map order. */
static enum placement_error check_forbidden(const struct map_view *map, const struct region *want,
                                            char *why, size_t why_size)
{
    struct region found = {0};
    int have = 0;
    for (size_t i = 0; i < descriptor_count(map); i++) {
        struct region r;
        if (!read_region(map, i, &r) || placement_type_allowed(r.type) ||
            !regions_intersect(&r, want))
            continue;
        if (!have || r.first < found.first) {
            found = r;
            have = 1;
        }
    }
    return have ? report_in_use(want, &found, why, why_size) : PLACEMENT_OK;
}

/* Sets *reach to the furthest last address of the allowed descriptors holding address. */
static int allowed_reach(const struct map_view *map, uint64_t address, uint64_t *reach)
{
    int found = 0;
    for (size_t i = 0; i < descriptor_count(map); i++) {
        struct region r;
        if (!read_region(map, i, &r) || !placement_type_allowed(r.type) || address < r.first ||
            address > r.last)
            continue;
        if (!found || r.last > *reach)
            *reach = r.last;
        found = 1;
    }
    return found;
}

/* Lowest described address after address, bounded by limit: where a gap ends. */
static uint64_t gap_last(const struct map_view *map, uint64_t address, uint64_t limit)
{
    uint64_t last = limit;
    for (size_t i = 0; i < descriptor_count(map); i++) {
        struct region r;
        if (read_region(map, i, &r) && r.first > address && r.first - 1 < last)
            last = r.first - 1;
    }
    return last;
}

/* Walks from the start of the range, each step jumping to the end of what covers it. */
static enum placement_error check_coverage(const struct map_view *map, const struct region *want,
                                           char *why, size_t why_size)
{
    uint64_t cursor = want->first;
    for (;;) {
        uint64_t reach;
        if (!allowed_reach(map, cursor, &reach)) {
            struct region gap = {cursor, gap_last(map, cursor, want->last), 0};
            return fail(why, why_size, PLACEMENT_NOT_DESCRIBED,
                        "%s of %s is not described by the firmware's memory map",
                        range_text(&gap).text, range_text(want).text);
        }
        if (reach >= want->last)
            return PLACEMENT_OK;
        cursor = reach + 1;
    }
}

enum placement_error placement_check(const void *map, size_t map_size, size_t descriptor_size,
                                     uint64_t base, uint64_t size, char *why, size_t why_size)
{
    struct map_view view = {map, map ? map_size : 0, descriptor_size};
    if (why && why_size)
        why[0] = '\0';
    enum placement_error e = check_map_shape(&view, why, why_size);
    if (e != PLACEMENT_OK)
        return e;
    if (size == 0)
        return PLACEMENT_OK;
    if (size - 1 > UINT64_MAX - base)
        return fail(why, why_size, PLACEMENT_RANGE_WRAPS,
                    "range at 0x%llx of 0x%llx bytes wraps past the end of the 64-bit address "
                    "space",
                    (unsigned long long)base, (unsigned long long)size);
    struct region want = {base, base + (size - 1), 0};
    e = check_forbidden(&view, &want, why, why_size);
    if (e == PLACEMENT_OK)
        e = check_coverage(&view, &want, why, why_size);
    return e;
}

struct finder {
    const void *map;
    size_t map_size, stride;
    uint64_t size, align, lowest, end_limit;
    enum placement_preference preference;
    int found;
    uint64_t best;
};

/* Tries the aligned base nearest to CANDIDATE in the preferred direction. */
static void finder_try(struct finder *f, uint64_t candidate)
{
    uint64_t base;
    if (f->preference == PLACEMENT_LOWEST) {
        if (candidate > UINT64_MAX - (f->align - 1))
            return;
        base = (candidate + f->align - 1) & ~(f->align - 1);
    } else {
        base = candidate & ~(f->align - 1);
    }
    if (base < f->lowest || base > f->end_limit || f->size > f->end_limit - base)
        return;
    if (f->found && (f->preference == PLACEMENT_LOWEST ? base >= f->best : base <= f->best))
        return;
    if (placement_check(f->map, f->map_size, f->stride, base, f->size, NULL, 0) != PLACEMENT_OK)
        return;
    f->found = 1;
    f->best = base;
}

/* A descriptor boundary as a candidate: the base itself (lowest) or the base ending there. */
static void finder_try_boundary(struct finder *f, uint64_t boundary)
{
    if (f->preference == PLACEMENT_LOWEST)
        finder_try(f, boundary);
    else if (boundary >= f->size)
        finder_try(f, boundary - f->size);
}

enum placement_error placement_find(const void *map, size_t map_size, size_t descriptor_size,
                                    uint64_t size, uint64_t align, uint64_t lowest,
                                    uint64_t end_limit, enum placement_preference preference,
                                    uint64_t *base, char *why, size_t why_size)
{
    struct map_view view = {map, map ? map_size : 0, descriptor_size};
    struct finder f = {map,    view.size, descriptor_size, size, align ? align : 1,
                       lowest, end_limit, preference,      0,    0};
    if (why && why_size)
        why[0] = '\0';
    enum placement_error e = check_map_shape(&view, why, why_size);
    if (e != PLACEMENT_OK)
        return e;
    if (size == 0 || (f.align & (f.align - 1)) != 0 || lowest > end_limit ||
        size > end_limit - lowest)
        return fail(why, why_size, PLACEMENT_NO_ROOM,
                    "0x%llx bytes aligned to 0x%llx cannot fit in [0x%llx-0x%llx)",
                    (unsigned long long)size, (unsigned long long)f.align,
                    (unsigned long long)lowest, (unsigned long long)end_limit);
    finder_try(&f, preference == PLACEMENT_LOWEST ? lowest : end_limit - size);
    for (size_t i = 0; i < descriptor_count(&view); i++) {
        struct region r;
        if (!read_region(&view, i, &r))
            continue;
        finder_try_boundary(&f, r.first);
        if (r.last != UINT64_MAX)
            finder_try_boundary(&f, r.last + 1);
    }
    if (!f.found)
        return fail(why, why_size, PLACEMENT_NO_ROOM,
                    "no memory the kernel may use holds 0x%llx bytes aligned to 0x%llx within "
                    "[0x%llx-0x%llx)",
                    (unsigned long long)size, (unsigned long long)f.align,
                    (unsigned long long)lowest, (unsigned long long)end_limit);
    *base = f.best;
    return PLACEMENT_OK;
}

const char *placement_error_name(enum placement_error e)
{
    static const char *const names[PLACEMENT_ERROR_COUNT] = {
        [PLACEMENT_OK] = "PLACEMENT_OK",
        [PLACEMENT_BAD_DESCRIPTOR_SIZE] = "PLACEMENT_BAD_DESCRIPTOR_SIZE",
        [PLACEMENT_BAD_MAP_SIZE] = "PLACEMENT_BAD_MAP_SIZE",
        [PLACEMENT_RANGE_WRAPS] = "PLACEMENT_RANGE_WRAPS",
        [PLACEMENT_DESCRIPTOR_WRAPS] = "PLACEMENT_DESCRIPTOR_WRAPS",
        [PLACEMENT_MEMORY_IN_USE] = "PLACEMENT_MEMORY_IN_USE",
        [PLACEMENT_NOT_DESCRIBED] = "PLACEMENT_NOT_DESCRIBED",
        [PLACEMENT_NO_ROOM] = "PLACEMENT_NO_ROOM",
    };
    if ((unsigned)e >= PLACEMENT_ERROR_COUNT)
        return "PLACEMENT_?";
    return names[e];
}
