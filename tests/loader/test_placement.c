/*
 * Unit tests for loader/placement.c on hand-written raw memory maps, each run with the
 * 40-byte stride of the UEFI struct and the 48-byte stride OVMF really uses. Maps are
 * serialised into buffers of exactly their size so ASan catches reads past the last descriptor.
 */
#include "pagoda/efi_memory.h"
#include "placement.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 0x1000ull

struct desc {
    uint32_t type;
    uint64_t start, pages;
};

struct map {
    uint8_t *bytes;
    size_t size, stride;
};

static void put(uint8_t *p, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(value >> (8 * i));
}

static struct map make_map(const struct desc *d, size_t count, size_t stride)
{
    struct map m = {malloc(count * stride + 1), count * stride, stride};
    /* Filler in the stride's spare bytes and the unused fields: they must not matter. */
    memset(m.bytes, 0xee, m.size + 1);
    for (size_t i = 0; i < count; i++) {
        uint8_t *raw = m.bytes + i * stride;
        put(raw + 0, d[i].type, 4);
        put(raw + 8, d[i].start, 8);
        put(raw + 24, d[i].pages, 8);
        put(raw + 32, PAGODA_EFI_MEMORY_WB, 8);
    }
    return m;
}

static char why[256];
static size_t strides[] = {40, 48};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static enum placement_error check(const struct desc *d, size_t count, size_t stride, uint64_t base,
                                  uint64_t size)
{
    struct map m = make_map(d, count, stride);
    enum placement_error got =
        placement_check(m.bytes, m.size, stride, base, size, why, sizeof why);
    free(m.bytes);
    return got;
}

static void expect(const struct desc *d, size_t count, uint64_t base, uint64_t size,
                   enum placement_error want, const char *label)
{
    for (size_t s = 0; s < COUNT(strides); s++) {
        enum placement_error got = check(d, count, strides[s], base, size);
        TAP_CHECK(got == want, "%s (stride %zu) -> %s", label, strides[s],
                  placement_error_name(want));
        if (got != want)
            tap_diag("  got %s: %s", placement_error_name(got), why);
        else if (want != PLACEMENT_OK && s == 0)
            tap_diag("  why: %s", why);
        if (want != PLACEMENT_OK)
            TAP_CHECK(why[0] != '\0', "%s (stride %zu): a reason is given", label, strides[s]);
    }
}

static int why_has(const char *text)
{
    int found = strstr(why, text) != NULL;
    if (!found)
        tap_diag("  \"%s\" not in \"%s\"", text, why);
    return found;
}

/* Unsorted, touching ranges, a hole at [0x290000, 0x300000), runtime data at 0x300000. */
static const struct desc typical[] = {
    {PAGODA_EFI_LOADER_CODE, 0x280000, 0x10},   {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
    {PAGODA_EFI_CONVENTIONAL, 0x310000, 0x100}, {PAGODA_EFI_RUNTIME_SERVICES_DATA, 0x300000, 0x10},
    {PAGODA_EFI_CONVENTIONAL, 0x0, 0xa0},       {PAGODA_EFI_BOOT_SERVICES_DATA, 0x200000, 0x80},
    {PAGODA_EFI_CONVENTIONAL, 0x500000, 0}, /* zero pages: describes nothing */
};

static void test_typical_map(void)
{
    const size_t n = COUNT(typical);
    expect(typical, n, 0x100000, 0x190000, PLACEMENT_OK, "range over 3 touching descriptors");
    expect(typical, n, 0x150000, PAGE, PLACEMENT_OK, "range inside one descriptor");
    expect(typical, n, 0x100000, 0x100000, PLACEMENT_OK, "range equal to a descriptor");
    expect(typical, n, 0x0, PAGE, PLACEMENT_OK, "first page of memory");
    expect(typical, n, 0x310000, PAGE, PLACEMENT_OK, "range touching the end of runtime data");
    expect(typical, n, 0x123456, 0x10, PLACEMENT_OK, "unaligned small range");
    expect(typical, n, 0x150000, 0, PLACEMENT_OK, "empty range");

    expect(typical, n, 0x280000, 0x20000, PLACEMENT_NOT_DESCRIBED, "range running into a hole");
    TAP_CHECK(why_has("[0x00290000-0x002a0000) of [0x00280000-0x002a0000) is not described"),
              "hole: reason names the undescribed part");
    expect(typical, n, 0x2ff000, PAGE, PLACEMENT_NOT_DESCRIBED,
           "range ending where RT_Data starts");
    expect(typical, n, 0x9f000, 0x2000, PLACEMENT_NOT_DESCRIBED,
           "range past the end of low memory");
    TAP_CHECK(why_has("[0x000a0000-0x000a1000)"), "low-memory hole: names [0xa0000-0xa1000)");
    expect(typical, n, 0x500000, PAGE, PLACEMENT_NOT_DESCRIBED, "above every descriptor");
    expect(typical, n, 0x280000, 0x100000, PLACEMENT_MEMORY_IN_USE,
           "hole and RT_Data: the type in the way is reported");
    expect(typical, n, 0x2f0000, 0x20000, PLACEMENT_MEMORY_IN_USE, "range over runtime data");
    TAP_CHECK(strcmp(why, "[0x002f0000-0x00310000) overlaps RT_Data memory [0x00300000-0x00310000) "
                          "(type 6), which must not be overwritten") == 0,
              "runtime data: exact reason");
    expect(typical, n, 0x30f000, 0x2000, PLACEMENT_MEMORY_IN_USE, "last page of runtime data");
}

static void test_each_type(void)
{
    for (uint32_t type = 0; type < PAGODA_EFI_MEMORY_TYPE_COUNT + 2; type++) {
        const struct desc d[] = {
            {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
            {type, 0x200000, 0x100},
            {PAGODA_EFI_CONVENTIONAL, 0x300000, 0x100},
        };
        int allowed = type == PAGODA_EFI_CONVENTIONAL || type == PAGODA_EFI_LOADER_CODE ||
                      type == PAGODA_EFI_LOADER_DATA || type == PAGODA_EFI_BOOT_SERVICES_CODE ||
                      type == PAGODA_EFI_BOOT_SERVICES_DATA;
        char label[64];
        snprintf(label, sizeof label, "type %u (%s)", type, pagoda_efi_memory_type_name(type));
        expect(d, COUNT(d), 0x1ff000, 0x2000, allowed ? PLACEMENT_OK : PLACEMENT_MEMORY_IN_USE,
               label);
        if (!allowed)
            TAP_CHECK(why_has(pagoda_efi_memory_type_name(type)) &&
                          why_has("[0x00200000-0x00300000)"),
                      "%s: reason names the type and its range", label);
    }
    const uint32_t oem_types[] = {0x70000000u, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < COUNT(oem_types); i++) {
        const struct desc d[] = {{oem_types[i], 0x100000, 0x10}};
        expect(d, 1, 0x100000, PAGE, PLACEMENT_MEMORY_IN_USE, "OEM/OS-defined type");
        char number[32];
        snprintf(number, sizeof number, "(type 0x%x)", oem_types[i]);
        TAP_CHECK(why_has(number), "OEM type: reason gives the number %u", oem_types[i]);
    }
}

static void test_odd_maps(void)
{
    /* A forbidden descriptor overlapping an allowed one (a firmware bug): refuse. */
    const struct desc overlapping[] = {
        {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
        {PAGODA_EFI_ACPI_NVS, 0x180000, 0x1},
    };
    expect(overlapping, 2, 0x100000, 0x100000, PLACEMENT_MEMORY_IN_USE,
           "ACPI_NVS inside a Conventional descriptor");

    /* Two forbidden descriptors, listed high first: the lower one is named. */
    const struct desc two_bad[] = {
        {PAGODA_EFI_MMIO, 0x180000, 0x10},
        {PAGODA_EFI_RESERVED, 0x120000, 0x10},
        {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
    };
    expect(two_bad, 3, 0x100000, 0x100000, PLACEMENT_MEMORY_IN_USE, "two forbidden descriptors");
    TAP_CHECK(why_has("Reserved memory [0x00120000-0x00130000)"), "lowest forbidden named");
    const struct desc two_bad_low_first[] = {two_bad[2], two_bad[1], two_bad[0]};
    expect(two_bad_low_first, 3, 0x100000, 0x100000, PLACEMENT_MEMORY_IN_USE,
           "two forbidden descriptors, low one first");
    TAP_CHECK(why_has("Reserved memory [0x00120000-0x00130000)"), "lowest forbidden named again");

    /* Overlapping allowed descriptors of different reach: coverage follows the furthest one. */
    const struct desc nested[] = {
        {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x10},
        {PAGODA_EFI_BOOT_SERVICES_CODE, 0x100000, 0x100},
        {PAGODA_EFI_LOADER_DATA, 0x180000, 0x200},
    };
    expect(nested, 3, 0x100000, 0x280000, PLACEMENT_OK, "overlapping allowed descriptors");

    /* Many one-page descriptors in descending order. */
    struct desc pages[64];
    for (size_t i = 0; i < COUNT(pages); i++)
        pages[i] = (struct desc){i % 2 ? PAGODA_EFI_CONVENTIONAL : PAGODA_EFI_BOOT_SERVICES_DATA,
                                 0x100000 + (COUNT(pages) - 1 - i) * PAGE, 1};
    expect(pages, COUNT(pages), 0x100000, COUNT(pages) * PAGE, PLACEMENT_OK,
           "64 one-page descriptors, descending");
    pages[10].pages = 0;
    expect(pages, COUNT(pages), 0x100000, COUNT(pages) * PAGE, PLACEMENT_NOT_DESCRIBED,
           "one page missing among 64");

    expect(NULL, 0, 0x100000, PAGE, PLACEMENT_NOT_DESCRIBED, "empty map");
    TAP_CHECK(placement_check(NULL, 480, 48, 0x100000, PAGE, why, sizeof why) ==
                  PLACEMENT_NOT_DESCRIBED,
              "NULL map is an empty map");
}

static void test_shape_errors(void)
{
    const size_t bad_sizes[] = {0, 8, 32, 39, 44, 52};
    for (size_t i = 0; i < COUNT(bad_sizes); i++) {
        struct map m = make_map(typical, COUNT(typical), 48);
        enum placement_error got =
            placement_check(m.bytes, m.size, bad_sizes[i], 0x100000, PAGE, why, sizeof why);
        TAP_CHECK(got == PLACEMENT_BAD_DESCRIPTOR_SIZE, "descriptor size %zu rejected (%s)",
                  bad_sizes[i], placement_error_name(got));
        free(m.bytes);
    }
    struct map m = make_map(typical, COUNT(typical), 48);
    enum placement_error got = placement_check(m.bytes, m.size - 8, 48, 0x100000, PAGE, why, 0);
    TAP_CHECK(got == PLACEMENT_BAD_MAP_SIZE, "map size not a multiple of 48 (%s)",
              placement_error_name(got));
    got = placement_check(m.bytes, m.size, 64, 0x100000, PAGE, why, sizeof why);
    TAP_CHECK(got == PLACEMENT_BAD_MAP_SIZE, "map of 7*48 bytes read with stride 64 (%s)",
              placement_error_name(got));
    got = placement_check(m.bytes, m.size, 48, 0x100000, PAGE, NULL, 0);
    TAP_CHECK(got == PLACEMENT_OK, "why may be NULL");
    free(m.bytes);
}

static void test_overflow(void)
{
    const struct desc top[] = {
        {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
        {PAGODA_EFI_CONVENTIONAL, 0xfffffffffffff000ull, 1}, /* ends exactly at 2^64 */
    };
    expect(top, 2, 0xfffffffffffff000ull, PAGE, PLACEMENT_OK, "last page of the 64-bit space");
    expect(top, 2, UINT64_MAX, 1, PLACEMENT_OK, "last byte of the 64-bit space");
    expect(top, 2, 0xfffffffffffff000ull, 0x2000, PLACEMENT_RANGE_WRAPS, "range wrapping 2^64");
    expect(top, 2, 0x100000, UINT64_MAX, PLACEMENT_RANGE_WRAPS, "size 2^64-1 from 1 MiB");
    expect(top, 2, 0xffffffffffffe000ull, 0x2000, PLACEMENT_NOT_DESCRIBED,
           "range ending at 2^64 over a hole");
    TAP_CHECK(why_has("0x10000000000000000)"), "end 2^64 is spelled out, not 0");

    const struct desc wraps[] = {
        {PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100},
        {PAGODA_EFI_CONVENTIONAL, 0xfffffffffffff000ull, 2},
    };
    expect(wraps, 2, 0x100000, PAGE, PLACEMENT_DESCRIPTOR_WRAPS, "descriptor wrapping by a page");
    const struct desc all[] = {{PAGODA_EFI_CONVENTIONAL, 0, 1ull << 52}};
    expect(all, 1, UINT64_MAX, 1, PLACEMENT_OK, "2^52 pages from 0 (all of memory) fit");
    const struct desc huge[] = {{PAGODA_EFI_CONVENTIONAL, PAGE, 1ull << 52}};
    expect(huge, 1, 0x100000, PAGE, PLACEMENT_DESCRIPTOR_WRAPS, "2^52 pages from 0x1000");
    const struct desc more[] = {{PAGODA_EFI_CONVENTIONAL, 0, (1ull << 52) + 1}};
    expect(more, 1, 0x100000, PAGE, PLACEMENT_DESCRIPTOR_WRAPS, "2^52+1 pages from 0");
    const struct desc giant[] = {{PAGODA_EFI_CONVENTIONAL, 0x1000, UINT64_MAX}};
    expect(giant, 1, 0x100000, PAGE, PLACEMENT_DESCRIPTOR_WRAPS,
           "UINT64_MAX pages (pages*4096 overflows)");
    const struct desc almost[] = {{PAGODA_EFI_CONVENTIONAL, 0, (1ull << 52) - 1}};
    expect(almost, 1, 0xffffffffffffe000ull, PAGE, PLACEMENT_OK, "2^52-1 pages from 0");
}

static void test_error_names(void)
{
    int ok = 1;
    for (int a = 0; a < PLACEMENT_ERROR_COUNT; a++) {
        const char *name = placement_error_name((enum placement_error)a);
        if (strncmp(name, "PLACEMENT_", 10) != 0 || strcmp(name, "PLACEMENT_?") == 0)
            ok = 0;
        for (int b = 0; b < a; b++)
            if (strcmp(name, placement_error_name((enum placement_error)b)) == 0)
                ok = 0;
    }
    TAP_CHECK(ok, "every placement error has its own name");
    TAP_CHECK(placement_type_allowed(PAGODA_EFI_CONVENTIONAL) &&
                  !placement_type_allowed(PAGODA_EFI_RUNTIME_SERVICES_CODE),
              "placement_type_allowed agrees with the rules");
}

static enum placement_error find(const struct desc *d, size_t count, uint64_t size, uint64_t align,
                                 uint64_t lowest, uint64_t end, enum placement_preference pref,
                                 uint64_t *base)
{
    struct map m = make_map(d, count, 48);
    enum placement_error got =
        placement_find(m.bytes, m.size, 48, size, align, lowest, end, pref, base, why, sizeof why);
    free(m.bytes);
    return got;
}

static void test_find(void)
{
    const size_t n = COUNT(typical);
    uint64_t base = 0;

    TAP_CHECK(find(typical, n, 0x10000, 0x1000, 0, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0,
              "lowest 64 KiB anywhere: address 0 (got 0x%llx)", (unsigned long long)base);
    TAP_CHECK(find(typical, n, 0x10000, 0x1000, 0x1000, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x1000,
              "lowest at or above 0x1000: 0x1000");
    TAP_CHECK(find(typical, n, 0xa0000, 0x1000, 0x1000, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x100000,
              "640 KiB does not fit below 640 KiB from 0x1000: the next usable run, 1 MiB");
    TAP_CHECK(find(typical, n, 0x10000, 0x1000, 0, 1ull << 32, PLACEMENT_HIGHEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x400000,
              "highest 64 KiB: ends at 0x410000, the top of memory (got 0x%llx)",
              (unsigned long long)base);
    TAP_CHECK(find(typical, n, 0x10000, 0x1000, 0, 0x300000, PLACEMENT_HIGHEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x280000,
              "highest below 0x300000: [0x280000-0x290000), just before the hole (got 0x%llx)",
              (unsigned long long)base);
    TAP_CHECK(find(typical, n, 0x190000, 0x100000, 0, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x100000,
              "1.6 MiB aligned to 1 MiB: over three touching descriptors from 1 MiB");
    TAP_CHECK(find(typical, n, 0x190000, 0x200000, 0, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                  PLACEMENT_NO_ROOM,
              "the same aligned to 2 MiB: no room (%s)", why);
    TAP_CHECK(find(typical, n, 0x1000, 0x1000, 0x2f0000, 0x310000, PLACEMENT_LOWEST, &base) ==
                  PLACEMENT_NO_ROOM,
              "a window holding only runtime data: no room");
    TAP_CHECK(find(typical, n, 0x1000, 0x3000, 0, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                  PLACEMENT_NO_ROOM,
              "alignment 0x3000 (not a power of two): refused");
    TAP_CHECK(find(typical, n, 0x1000, 0, 0x123, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                      PLACEMENT_OK &&
                  base == 0x123,
              "alignment 0 counts as 1: 0x123");
    TAP_CHECK(find(typical, n, 0x2000, 0x1000, 0x5000, 0x4000, PLACEMENT_LOWEST, &base) ==
                  PLACEMENT_NO_ROOM,
              "lowest above the end limit: no room");
    TAP_CHECK(find(typical, n, 0, 0x1000, 0, 1ull << 32, PLACEMENT_LOWEST, &base) ==
                  PLACEMENT_NO_ROOM,
              "size 0: refused");
}

int main(void)
{
    test_typical_map();
    test_find();
    test_each_type();
    test_odd_maps();
    test_shape_errors();
    test_overflow();
    test_error_names();
    return tap_done();
}
