/*
 * Memory-map normalizer tests: hand-written maps for each rule, the real PC maps in
 * tests/data/memmaps (with their own checksums: shell summaries, e820 tables), and synthetic
 * OVMF-like maps of several sizes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/memmap.h"
#include "mem_support.h"
#include "tests/tap.h"

#define MAX_OUT  4096
#define MAX_DESC 4096

static struct memmap_entry out_entries[MAX_OUT];
static uint8_t raw[MAX_DESC * 64];

static struct memmap fresh_map(uint32_t capacity)
{
    return (struct memmap){.entries = out_entries, .capacity = capacity};
}

static struct pagoda_efi_memory_descriptor D(uint32_t type, uint64_t start, uint64_t pages) {
    return (struct pagoda_efi_memory_descriptor){
        .type = type, .physical_start = start, .number_of_pages = pages, .attribute = 0xf};
}

static struct memmap_input
efi_input(const struct pagoda_efi_memory_descriptor *d, uint32_t n, uint32_t stride)
{
    return (struct memmap_input){
        .efi_map = raw,
        .efi_map_size = mem_build_raw_map(d, n, stride, raw, sizeof raw),
        .descriptor_size = stride,
    };
}

/* Normalizes and runs both independent checks. */
static enum memmap_status normalize_checked(struct memmap *map, const struct memmap_input *in,
                                            const char *what)
{
    enum memmap_status st = memmap_normalize(map, in);
    if (st != MEMMAP_OK)
        return st;
    const char *err = mem_check_structure(map);
    if (!err)
        err = mem_check_pointwise(map, in);
    if (err) {
        tap_diag("%s: %s", what, err);
        return (enum memmap_status)99;
    }
    return st;
}

static bool entry_is(const struct memmap *map, uint32_t i, uint64_t start, uint64_t end,
                     uint32_t kind)
{
    if (i >= map->count)
        return false;
    const struct memmap_entry *e = &map->entries[i];
    if (e->start == start && e->end == end && e->kind == kind)
        return true;
    tap_diag("entry %u is [%#llx,%#llx) %s, want [%#llx,%#llx) %s", i, (unsigned long long)e->start,
             (unsigned long long)e->end, memmap_kind_name(e->kind), (unsigned long long)start,
             (unsigned long long)end, memmap_kind_name(kind));
    return false;
}

/* ---- hand-written maps ---- */

static void test_every_kind_pair(void)
{
    unsigned bad = 0;
    for (uint32_t a = 0; a < MEMMAP_KIND_COUNT; a++) {
        for (uint32_t b = 0; b < MEMMAP_KIND_COUNT; b++) {
            struct memmap_entry extra[2] = {{0x1000, 0x5000, a, 0}, {0x3000, 0x7000, b, 0}};
            struct memmap_input in = {.extra = extra, .extra_count = 2};
            struct memmap map = fresh_map(MAX_OUT);
            if (normalize_checked(&map, &in, "pair") != MEMMAP_OK) {
                bad++;
                continue;
            }
            uint32_t win = a > b ? a : b;
            bool ok;
            if (a == b)
                ok = map.count == 1 && entry_is(&map, 0, 0x1000, 0x7000, a);
            else if (win == a)
                ok = map.count == 2 && entry_is(&map, 0, 0x1000, 0x5000, a) &&
                     entry_is(&map, 1, 0x5000, 0x7000, b);
            else
                ok = map.count == 2 && entry_is(&map, 0, 0x1000, 0x3000, a) &&
                     entry_is(&map, 1, 0x3000, 0x7000, b);
            if (!ok) {
                tap_diag("pair %s/%s wrong", memmap_kind_name(a), memmap_kind_name(b));
                bad++;
            }
        }
    }
    TAP_CHECK(bad == 0, "all %u overlapping kind pairs: the more restrictive wins",
              MEMMAP_KIND_COUNT * MEMMAP_KIND_COUNT);
}

static void test_efi_types(void)
{
    static const uint32_t want[PAGODA_EFI_MEMORY_TYPE_COUNT] = {
        MEMMAP_RESERVED,    MEMMAP_RECLAIMABLE,  MEMMAP_RECLAIMABLE, MEMMAP_RECLAIMABLE,
        MEMMAP_RECLAIMABLE, MEMMAP_RESERVED,     MEMMAP_RESERVED,    MEMMAP_USABLE,
        MEMMAP_UNUSABLE,    MEMMAP_ACPI_RECLAIM, MEMMAP_ACPI_NVS,    MEMMAP_MMIO,
        MEMMAP_MMIO,        MEMMAP_RESERVED,     MEMMAP_RESERVED,    MEMMAP_RESERVED,
    };
    unsigned bad = 0;
    for (uint32_t t = 0; t < PAGODA_EFI_MEMORY_TYPE_COUNT; t++)
        bad += memmap_kind_of_efi_type(t) != want[t];
    bad += memmap_kind_of_efi_type(0x70000000) != MEMMAP_RESERVED;
    bad += memmap_kind_of_efi_type(0x80000001) != MEMMAP_RESERVED;
    TAP_CHECK(bad == 0, "EFI types map to kinds (OEM/OS types reserved)");
    /* Kind and status names exist and differ. */
    bool names_ok = true;
    for (uint32_t k = 0; k < MEMMAP_KIND_COUNT; k++)
        for (uint32_t j = 0; j < k; j++)
            names_ok &= strcmp(memmap_kind_name(k), memmap_kind_name(j)) != 0;
    TAP_CHECK(names_ok && strcmp(memmap_kind_name(MEMMAP_KIND_COUNT), "?") == 0,
              "kind names distinct, '?' out of range");
    TAP_CHECK(strcmp(memmap_status_text(MEMMAP_ERR_CAPACITY), memmap_status_text(MEMMAP_OK)) != 0,
              "status texts");
}

static void test_unsorted_and_merging(void)
{
    /* Reverse order; the two conventional ranges touch and must merge. */
    struct pagoda_efi_memory_descriptor d[] = {
        D(PAGODA_EFI_MMIO, 0xFEC00000, 1),
        D(PAGODA_EFI_CONVENTIONAL, 0x200000, 0x100),
        D(PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100),
        D(PAGODA_EFI_BOOT_SERVICES_DATA, 0x300000, 0x10),
        D(PAGODA_EFI_BOOT_SERVICES_CODE, 0x310000, 0x10),
        D(PAGODA_EFI_RESERVED, 0, 0),
        D(PAGODA_EFI_CONVENTIONAL, 0, 0x9f),
    };
    struct memmap_input in = efi_input(d, 7, 48);
    struct memmap map = fresh_map(MAX_OUT);
    TAP_CHECK(normalize_checked(&map, &in, "unsorted") == MEMMAP_OK, "unsorted map normalizes");
    TAP_CHECK(map.count == 4 && entry_is(&map, 0, 0, 0x9f000, MEMMAP_USABLE) &&
                  entry_is(&map, 1, 0x100000, 0x300000, MEMMAP_USABLE) &&
                  entry_is(&map, 2, 0x300000, 0x320000, MEMMAP_RECLAIMABLE) &&
                  entry_is(&map, 3, 0xFEC00000, 0xFEC01000, MEMMAP_MMIO),
              "sorted, touching same kinds merged (BS code+data too), empty descriptor dropped");
    uint64_t totals[MEMMAP_KIND_COUNT];
    memmap_totals(&map, totals);
    TAP_CHECK(totals[MEMMAP_USABLE] == 0x9f000 + 0x200000 &&
                  totals[MEMMAP_RECLAIMABLE] == 0x20000 && totals[MEMMAP_MMIO] == 0x1000,
              "totals per kind");
}

static void test_rounding(void)
{
    struct memmap_entry extra[] = {
        {0x1800, 0x5800, MEMMAP_USABLE, 0},     /* inward: [0x2000, 0x5000) */
        {0x10800, 0x12800, MEMMAP_RESERVED, 0}, /* outward: [0x10000, 0x13000) */
        {0x200000, 0x200800, MEMMAP_USABLE, 0}, /* under a page: vanishes */
        {0x0, 0x9d800, MEMMAP_USABLE, 0},       /* the Z575's e820 */
        {0x9d800, 0xa0000, MEMMAP_RESERVED, 0},
        {0x30000400, 0x30000800, MEMMAP_ACPI_NVS, 0}, /* sub-page firmware data: whole page */
    };
    struct memmap_input in = {.extra = extra, .extra_count = 6};
    struct memmap map = fresh_map(MAX_OUT);
    TAP_CHECK(normalize_checked(&map, &in, "rounding") == MEMMAP_OK, "unaligned input normalizes");
    /* The reserved range sits inside the first usable range and splits it. */
    TAP_CHECK(map.count == 5 && entry_is(&map, 0, 0, 0x10000, MEMMAP_USABLE) &&
                  entry_is(&map, 1, 0x10000, 0x13000, MEMMAP_RESERVED) &&
                  entry_is(&map, 2, 0x13000, 0x9d000, MEMMAP_USABLE),
              "reserved [0x10800,0x12800) rounded out to [0x10000,0x13000), usable around it");
    TAP_CHECK(entry_is(&map, 3, 0x9d000, 0xa0000, MEMMAP_RESERVED),
              "usable ending at 0x9d800 rounded in, reserved from 0x9d800 rounded out");
    TAP_CHECK(entry_is(&map, 4, 0x30000000, 0x30001000, MEMMAP_ACPI_NVS),
              "sub-page NVS covers its whole page");
    TAP_CHECK(mem_kind_at(&map, 0x200000) == -1, "sub-page usable range vanishes");
}

static void test_strides(void)
{
    struct pagoda_efi_memory_descriptor d[] = {
        D(PAGODA_EFI_CONVENTIONAL, 0x100000, 0x700),
        D(PAGODA_EFI_LOADER_DATA, 0x800000, 0x10),
        D(PAGODA_EFI_ACPI_RECLAIM, 0x900000, 0x10),
        D(PAGODA_EFI_CONVENTIONAL, 0x100000000ull, 0x40000),
    };
    static struct memmap_entry first[16];
    uint32_t first_count = 0;
    bool same = true;
    static const uint32_t strides[] = {40, 48, 56, 64};
    for (int s = 0; s < 4; s++) {
        struct memmap_input in = efi_input(d, 4, strides[s]);
        struct memmap map = fresh_map(MAX_OUT);
        if (normalize_checked(&map, &in, "stride") != MEMMAP_OK) {
            same = false;
            continue;
        }
        if (s == 0) {
            memcpy(first, map.entries, map.count * sizeof first[0]);
            first_count = map.count;
        } else {
            same &= map.count == first_count &&
                    memcmp(first, map.entries, map.count * sizeof first[0]) == 0;
        }
    }
    TAP_CHECK(same && first_count == 4, "strides 40, 48, 56, 64 give the same map");
    TAP_CHECK(first[3].start == 0x100000000ull && first[3].end == 0x140000000ull,
              "RAM above 4 GiB kept");
}

static void test_above_4g_and_top(void)
{
    struct pagoda_efi_memory_descriptor d[] = {
        D(PAGODA_EFI_MMIO, 0xC1E0000000ull, 0x400),
        D(PAGODA_EFI_CONVENTIONAL, 0x1000000000ull, 0x3F200),
        D(PAGODA_EFI_RESERVED, 0xFFFFFFFFFFFFE000ull - 0x1000, 1), /* ends at the limit */
    };
    struct memmap_input in = efi_input(d, 3, 48);
    struct memmap map = fresh_map(MAX_OUT);
    TAP_CHECK(normalize_checked(&map, &in, "high") == MEMMAP_OK && map.count == 3 &&
                  entry_is(&map, 1, 0xC1E0000000ull, 0xC1E0400000ull, MEMMAP_MMIO) &&
                  entry_is(&map, 2, 0xFFFFFFFFFFFFD000ull, 0xFFFFFFFFFFFFE000ull, MEMMAP_RESERVED),
              "entries above 64 GiB and near 2^64 kept");
}

static void test_errors(void)
{
    struct pagoda_efi_memory_descriptor d[] = {
        D(PAGODA_EFI_CONVENTIONAL, 0x100000, 0x100),
        D(PAGODA_EFI_CONVENTIONAL, 0xFFFFFFFFFFFFF000ull, 2),
    };
    struct memmap map = fresh_map(MAX_OUT);
    struct memmap_input in = efi_input(d, 2, 48);
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_WRAPS && map.bad_index == 1 &&
                  map.bad_source == MEMMAP_SOURCE_EFI && map.count == 0,
              "range wrapping past 2^64 rejected, index reported");
    d[1] = D(PAGODA_EFI_CONVENTIONAL, 0x1000, 0x0010000000000000ull);
    in = efi_input(d, 2, 48);
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_WRAPS, "absurd page count rejected");
    d[1] = D(PAGODA_EFI_RESERVED, 0xFFFFFFFFFFFFF000ull, 1);
    in = efi_input(d, 2, 48);
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_WRAPS,
              "range ending exactly at 2^64 rejected (exclusive end not representable)");
    d[1] = D(PAGODA_EFI_CONVENTIONAL, 0x200000, 1);

    in = efi_input(d, 2, 48);
    in.descriptor_size = 32;
    in.efi_map_size = 64;
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_DESCRIPTOR_SIZE, "stride 32 rejected");
    in.descriptor_size = 0;
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_DESCRIPTOR_SIZE, "stride 0 rejected");
    in = efi_input(d, 2, 48);
    in.efi_map_size = 100;
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_MAP_SIZE,
              "map size not a multiple of the stride rejected");
    in.efi_map = NULL;
    in.efi_map_size = 96;
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_NO_INPUT, "NULL map with a size");

    struct memmap_entry bad_kind = {0, 0x1000, MEMMAP_KIND_COUNT, 0};
    struct memmap_input ek = {.extra = &bad_kind, .extra_count = 1};
    TAP_CHECK(memmap_normalize(&map, &ek) == MEMMAP_ERR_BAD_KIND &&
                  map.bad_source == MEMMAP_SOURCE_EXTRA,
              "unknown extra kind rejected");

    struct pagoda_range wrap = {0xFFFFFFFFFFFF0000ull, 0x20000, PAGODA_RANGE_STACK, 0};
    struct memmap_input lw = {.loader_ranges = &wrap, .loader_range_count = 1};
    TAP_CHECK(memmap_normalize(&map, &lw) == MEMMAP_ERR_WRAPS &&
                  map.bad_source == MEMMAP_SOURCE_LOADER,
              "wrapping loader range rejected");

    struct memmap_input empty = {0};
    map = fresh_map(0);
    TAP_CHECK(memmap_normalize(&map, &empty) == MEMMAP_OK && map.count == 0,
              "empty map: zero entries, ok even with capacity 0");

    /* Capacity: three separate ranges into two slots. */
    struct pagoda_efi_memory_descriptor three[] = {
        D(PAGODA_EFI_CONVENTIONAL, 0x100000, 1),
        D(PAGODA_EFI_CONVENTIONAL, 0x300000, 1),
        D(PAGODA_EFI_CONVENTIONAL, 0x500000, 1),
    };
    in = efi_input(three, 3, 40);
    map = fresh_map(2);
    out_entries[2].kind = 0xDEAD;
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_ERR_CAPACITY && map.needed == 3 &&
                  map.count == 0 && out_entries[2].kind == 0xDEAD,
              "too small an output: error, needed = 3, nothing written past capacity");
    map = fresh_map(3);
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_OK && map.count == 3, "exact capacity fits");
}

static void test_loader_ranges(void)
{
    struct pagoda_efi_memory_descriptor d[] = {
        D(PAGODA_EFI_CONVENTIONAL, 0x0, 0x9f),
        D(PAGODA_EFI_LOADER_DATA, 0x100000, 0x100), /* the loader put the kernel here */
        D(PAGODA_EFI_CONVENTIONAL, 0x200000, 0x600),
        D(PAGODA_EFI_RESERVED, 0x900000, 0x10),
    };
    struct pagoda_range r[] = {
        {0x100000, 0x23456, PAGODA_RANGE_KERNEL, 0},   /* unaligned end: rounded out */
        {0x300000, 0x1000, PAGODA_RANGE_BOOT_INFO, 0}, /* inside conventional */
        {0x301000, 0x10000, PAGODA_RANGE_STACK, 0},    /* touches the boot info */
        {0x8ff000, 0x2000, PAGODA_RANGE_STAGING, 0},   /* half over reserved */
        {0x1800, 0x10, PAGODA_RANGE_CMDLINE, 0},       /* tiny, inside low memory */
    };
    struct memmap_input in = efi_input(d, 4, 48);
    in.loader_ranges = r;
    in.loader_range_count = 5;
    struct memmap map = fresh_map(MAX_OUT);
    TAP_CHECK(normalize_checked(&map, &in, "loader") == MEMMAP_OK, "loader ranges normalize");
    TAP_CHECK(mem_kind_at(&map, 0x100000) == MEMMAP_KERNEL &&
                  mem_kind_at(&map, 0x123fff) == MEMMAP_KERNEL &&
                  mem_kind_at(&map, 0x124000) == MEMMAP_RECLAIMABLE,
              "kernel image is KERNEL, rounded outward, rest of loader data reclaimable");
    TAP_CHECK(mem_kind_at(&map, 0x300000) == MEMMAP_LOADER_IN_USE &&
                  mem_kind_at(&map, 0x310fff) == MEMMAP_LOADER_IN_USE &&
                  mem_kind_at(&map, 0x311000) == MEMMAP_USABLE,
              "boot info and stack are LOADER_IN_USE, merged, carved out of usable RAM");
    TAP_CHECK(mem_kind_at(&map, 0x8ff000) == MEMMAP_LOADER_IN_USE &&
                  mem_kind_at(&map, 0x900000) == MEMMAP_RESERVED,
              "reserved beats loader-in-use where they overlap");
    TAP_CHECK(mem_kind_at(&map, 0x1000) == MEMMAP_LOADER_IN_USE &&
                  mem_kind_at(&map, 0x0) == MEMMAP_USABLE &&
                  mem_kind_at(&map, 0x2000) == MEMMAP_USABLE,
              "a 16-byte cmdline takes its whole page out of usable RAM");
    bool any_usable_over_loader = false;
    for (uint32_t i = 0; i < 5; i++)
        for (uint64_t a = r[i].base; a < r[i].base + r[i].size; a += 0x800)
            any_usable_over_loader |= memmap_kind_is_allocatable((uint32_t)mem_kind_at(&map, a));
    TAP_CHECK(!any_usable_over_loader, "no loader range byte is allocatable");
}

/* ---- real maps ---- */

static const char *const real_files[] = {
    "01-lenovo-thinkpad-x240-efi.txt",
    "02-apple-macmini3-1-efi.txt",
    "03-asus-n56vz-efi.txt",
    "04-lenovo-thinkpad-x1-carbon-gen7-uefi-shell.txt",
    "05-lenovo-thinkpad-e14-gen3-amd-uefi-shell.txt",
    "06-asus-rog-strix-trx40-threadripper-uefi-shell.txt",
    "07-lenovo-ideapad-120s-apollolake-uefi-shell.txt",
    "08-asus-t100ta-baytrail-ia32-e820.txt",
    "09-microsoft-surface-book-e820.txt",
    "10-lenovo-ideapad-z575-amd-bios-e820.txt",
};

static struct mem_file file;

static struct memmap_input e820_input(void)
{
    static struct memmap_entry extra[MEM_FILE_MAX_E820];
    for (uint32_t i = 0; i < file.e820_count; i++)
        extra[i] = (struct memmap_entry){file.e820[i].start, file.e820[i].end,
                                         mem_e820_kind(file.e820[i].type), 0};
    return (struct memmap_input){.extra = extra, .extra_count = file.e820_count};
}

/* Shell summary pages per normalized kind (the shell map has no overlaps). */
static void shell_summary_kinds(uint64_t *pages)
{
    memset(pages, 0, MEMMAP_KIND_COUNT * sizeof *pages);
    for (uint32_t t = 0; t < PAGODA_EFI_MEMORY_TYPE_COUNT; t++)
        pages[memmap_kind_of_efi_type(t)] += file.summary_pages[t];
}

static void check_shell_file(const char *name, const struct memmap *map)
{
    uint64_t per_type[PAGODA_EFI_MEMORY_TYPE_COUNT] = {0};
    for (uint32_t i = 0; i < file.efi_count; i++)
        if (file.efi[i].type < PAGODA_EFI_MEMORY_TYPE_COUNT)
            per_type[file.efi[i].type] += file.efi[i].number_of_pages;
    bool parser_ok = true;
    uint64_t counted_bytes = 0;
    for (uint32_t t = 0; t < PAGODA_EFI_MEMORY_TYPE_COUNT; t++) {
        parser_ok &= per_type[t] == file.summary_pages[t];
        if (t != PAGODA_EFI_RESERVED && t != PAGODA_EFI_MMIO && t != PAGODA_EFI_MMIO_PORT_SPACE)
            counted_bytes += per_type[t] * 4096;
    }
    TAP_CHECK(parser_ok && counted_bytes == file.summary_total_bytes,
              "%s: parsed pages per type match the shell summary; Total Memory %" PRIu64 " bytes",
              name, file.summary_total_bytes);
    uint64_t want[MEMMAP_KIND_COUNT], got[MEMMAP_KIND_COUNT];
    shell_summary_kinds(want);
    memmap_totals(map, got);
    bool totals_ok = true;
    for (uint32_t k = 0; k < MEMMAP_KIND_COUNT; k++) {
        if (got[k] != want[k] * 4096) {
            tap_diag("%s: %s %" PRIu64 " pages, summary says %" PRIu64, name, memmap_kind_name(k),
                     got[k] / 4096, want[k]);
            totals_ok = false;
        }
    }
    TAP_CHECK(totals_ok, "%s: normalized totals per kind equal the shell's page summary", name);
}

static void check_e820_pair(const char *name, const struct memmap *efi_map)
{
    uint64_t e820_usable = 0, rounding_slack = 0;
    for (uint32_t i = 0; i < file.e820_count; i++) {
        if (file.e820[i].type == MEM_E820_USABLE) {
            e820_usable += file.e820[i].end - file.e820[i].start;
            rounding_slack += 2 * 4096;
        }
    }
    uint64_t totals[MEMMAP_KIND_COUNT];
    memmap_totals(efi_map, totals);
    /* GRUB calls loader, boot-services and conventional memory "usable". */
    uint64_t efi_usable = totals[MEMMAP_USABLE] + totals[MEMMAP_RECLAIMABLE];
    uint64_t diff = efi_usable > e820_usable ? efi_usable - e820_usable : e820_usable - efi_usable;
    TAP_CHECK(diff <= rounding_slack,
              "%s: EFI usable+reclaimable %" PRIu64 " KiB vs e820 usable %" PRIu64
              " KiB (diff %" PRIu64 ")",
              name, efi_usable >> 10, e820_usable >> 10, diff);

    /* Normalizing the e820 table itself gives the same usable ranges, range by range. */
    struct memmap_input in = e820_input();
    static struct memmap_entry e820_entries[MAX_OUT];
    struct memmap e820_map = {.entries = e820_entries, .capacity = MAX_OUT};
    bool ok = memmap_normalize(&e820_map, &in) == MEMMAP_OK && !mem_check_structure(&e820_map) &&
              !mem_check_pointwise(&e820_map, &in);
    for (uint32_t i = 0; ok && i < e820_map.count; i++) {
        const struct memmap_entry *e = &e820_map.entries[i];
        if (e->kind != MEMMAP_USABLE)
            continue;
        uint64_t probes[3] = {e->start, e->start + (e->end - e->start) / 2, e->end - 1};
        for (int p = 0; p < 3; p++) {
            uint64_t a = probes[p];
            int k = mem_kind_at(efi_map, a);
            if (k != MEMMAP_USABLE && k != MEMMAP_RECLAIMABLE) {
                tap_diag("%s: %#llx usable in e820 but %s in the EFI map", name,
                         (unsigned long long)a, k < 0 ? "hole" : memmap_kind_name((uint32_t)k));
                ok = false;
                break;
            }
        }
    }
    TAP_CHECK(ok, "%s: e820 table normalizes, its usable ranges are usable in the EFI map", name);
}

static void test_real_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!TAP_CHECK(mem_file_parse(path, &file), "%s: read", name))
        return;
    TAP_CHECK(file.size_mismatches == 0 && file.skipped_lines == 0 &&
                  file.efi_count + file.e820_count > 0,
              "%s: %u EFI + %u e820 lines parsed, sizes consistent, nothing unrecognized", name,
              file.efi_count, file.e820_count);
    struct memmap map = fresh_map(MAX_OUT);
    if (file.efi_count) {
        bool both_strides = true;
        static struct memmap_entry first[MAX_OUT];
        uint32_t first_count = 0;
        for (uint32_t stride = 40; stride <= 48; stride += 8) {
            struct memmap_input in = efi_input(file.efi, file.efi_count, stride);
            map = fresh_map(MAX_OUT);
            if (normalize_checked(&map, &in, name) != MEMMAP_OK) {
                both_strides = false;
                break;
            }
            if (stride == 40) {
                memcpy(first, map.entries, map.count * sizeof first[0]);
                first_count = map.count;
            } else {
                both_strides &= first_count == map.count &&
                                memcmp(first, map.entries, map.count * sizeof first[0]) == 0;
            }
        }
        TAP_CHECK(both_strides,
                  "%s: EFI map normalizes (strides 40 and 48 identical, structure and "
                  "point-wise checks pass): %u descriptors -> %u ranges",
                  name, file.efi_count, map.count);
        if (file.has_summary)
            check_shell_file(name, &map);
        if (file.e820_count)
            check_e820_pair(name, &map);
    } else {
        struct memmap_input in = e820_input();
        TAP_CHECK(normalize_checked(&map, &in, name) == MEMMAP_OK,
                  "%s: e820 table normalizes: %u lines -> %u ranges", name, file.e820_count,
                  map.count);
        uint64_t usable = 0, e820_usable = 0;
        uint64_t totals[MEMMAP_KIND_COUNT];
        memmap_totals(&map, totals);
        usable = totals[MEMMAP_USABLE];
        for (uint32_t i = 0; i < file.e820_count; i++)
            if (file.e820[i].type == MEM_E820_USABLE)
                e820_usable += file.e820[i].end - file.e820[i].start;
        TAP_CHECK(usable <= e820_usable && e820_usable - usable < 4096ull * 2 * file.e820_count,
                  "%s: usable total %" PRIu64 " KiB = e820 usable %" PRIu64 " KiB less rounding",
                  name, usable >> 10, e820_usable >> 10);
    }
    uint64_t totals[MEMMAP_KIND_COUNT], sum = 0, span = 0;
    memmap_totals(&map, totals);
    for (uint32_t k = 0; k < MEMMAP_KIND_COUNT; k++)
        sum += totals[k];
    for (uint32_t i = 0; i < map.count; i++)
        span += map.entries[i].end - map.entries[i].start;
    TAP_CHECK(sum == span && map.count > 0, "%s: totals add up to the covered bytes", name);
}

static void test_real_maps(const char *dir)
{
    for (size_t i = 0; i < sizeof real_files / sizeof real_files[0]; i++)
        test_real_file(dir, real_files[i]);

    /* Spot checks on files with a known edge case. */
    char path[1024];
    struct memmap map = fresh_map(MAX_OUT);
    snprintf(path, sizeof path, "%s/%s", dir, real_files[5]);
    mem_file_parse(path, &file);
    struct memmap_input in = efi_input(file.efi, file.efi_count, 48);
    memmap_normalize(&map, &in);
    TAP_CHECK(map.count && map.entries[map.count - 1].end == 0xC1E0400000ull &&
                  mem_kind_at(&map, 0x103F1FF000ull) == MEMMAP_USABLE &&
                  mem_kind_at(&map, 0) == MEMMAP_RESERVED,
              "Threadripper: MMIO up to 0xC1E03FFFFF kept, RAM to 0x103F1FFFFF, RT data at 0 "
              "reserved");
    snprintf(path, sizeof path, "%s/%s", dir, real_files[9]);
    mem_file_parse(path, &file);
    in = e820_input();
    map = fresh_map(MAX_OUT);
    memmap_normalize(&map, &in);
    TAP_CHECK(mem_kind_at(&map, 0x9cfff) == MEMMAP_USABLE &&
                  mem_kind_at(&map, 0x9d000) == MEMMAP_RESERVED,
              "Z575: usable ending at 0x9d7ff is cut at 0x9d000, the partial page is reserved");
}

/* ---- synthetic OVMF-like maps ---- */

/*
 * An OVMF-shaped map with n descriptors: low memory, the 8-21 MiB firmware area chopped into
 * alternating boot-services/runtime/loader pieces, ACPI, the flash MMIO, RAM above 4 GiB, shuffled.
 * With overlaps set, some descriptors are duplicated with another type over part of a range.
 */
static uint32_t synth_ovmf(struct pagoda_efi_memory_descriptor *d, uint32_t n, uint64_t seed,
                           bool overlaps)
{
    struct mem_rng rng = {seed};
    uint32_t k = 0;
    d[k++] = D(PAGODA_EFI_BOOT_SERVICES_CODE, 0, 1);
    d[k++] = D(PAGODA_EFI_CONVENTIONAL, 0x1000, 0x9f);
    d[k++] = D(PAGODA_EFI_CONVENTIONAL, 0x100000, 0x700);
    static const uint32_t fw_types[] = {
        PAGODA_EFI_BOOT_SERVICES_DATA,    PAGODA_EFI_BOOT_SERVICES_CODE,
        PAGODA_EFI_RUNTIME_SERVICES_DATA, PAGODA_EFI_RUNTIME_SERVICES_CODE,
        PAGODA_EFI_LOADER_DATA,           PAGODA_EFI_CONVENTIONAL,
        PAGODA_EFI_ACPI_RECLAIM,          PAGODA_EFI_ACPI_NVS,
    };
    uint64_t addr = 0x800000;
    uint32_t tail = 4;
    uint32_t base_count = overlaps ? n - n / 8 : n;
    while (k + tail < base_count) {
        uint64_t pages = 1 + mem_rng_below(&rng, 8);
        d[k++] = D(fw_types[mem_rng_below(&rng, 8)], addr, pages);
        addr += pages << 12;
        if (mem_rng_below(&rng, 16) == 0)
            addr += 0x1000; /* an occasional hole */
    }
    d[k++] = D(PAGODA_EFI_CONVENTIONAL, addr, (0x7F000000 - addr) >> 12);
    d[k++] = D(PAGODA_EFI_MMIO, 0xFFC00000, 0x400);
    d[k++] = D(PAGODA_EFI_CONVENTIONAL, 0x100000000ull, 0x100000);
    d[k++] = D(PAGODA_EFI_RESERVED, 0xFD00000000ull, 0x300000);
    if (overlaps) {
        uint32_t originals = k;
        while (k < n) {
            uint32_t j = (uint32_t)mem_rng_below(&rng, originals);
            d[k] = d[j];
            d[k].type = fw_types[mem_rng_below(&rng, 8)];
            d[k].physical_start += (d[j].number_of_pages / 2) << 12;
            k++;
        }
    }
    for (uint32_t i = k; i > 1; i--) {
        uint32_t j = (uint32_t)mem_rng_below(&rng, i);
        struct pagoda_efi_memory_descriptor t = d[i - 1];
        d[i - 1] = d[j];
        d[j] = t;
    }
    return k;
}

static void test_synthetic(void)
{
    static struct pagoda_efi_memory_descriptor d[MAX_DESC];
    static const uint32_t sizes[] = {8, 32, 128, 512, 2048};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int overlaps = 0; overlaps < 2; overlaps++) {
            uint32_t n = synth_ovmf(d, sizes[s], 1234 + s, overlaps);
            uint64_t per_kind[MEMMAP_KIND_COUNT] = {0};
            for (uint32_t i = 0; i < n; i++)
                per_kind[memmap_kind_of_efi_type(d[i].type)] += d[i].number_of_pages << 12;
            struct memmap_input in = efi_input(d, n, 48);
            struct memmap map = fresh_map(MAX_OUT);
            bool ok = normalize_checked(&map, &in, "synthetic") == MEMMAP_OK;
            if (ok && !overlaps) {
                uint64_t totals[MEMMAP_KIND_COUNT];
                memmap_totals(&map, totals);
                ok = memcmp(totals, per_kind, sizeof totals) == 0;
            }
            TAP_CHECK(ok, "synthetic OVMF-like map, %u descriptors%s -> %u ranges%s", n,
                      overlaps ? " with overlaps" : "", map.count,
                      overlaps ? "" : ", totals equal input sums");
        }
    }
}

int main(int argc, char **argv)
{
    const char *data_dir = argc > 1 ? argv[1] : "tests/data/memmaps";
    test_every_kind_pair();
    test_efi_types();
    test_unsorted_and_merging();
    test_rounding();
    test_strides();
    test_above_4g_and_top();
    test_errors();
    test_loader_ranges();
    test_real_maps(data_dir);
    test_synthetic();
    return tap_done();
}
