/*
 * Unit tests for loader/multiboot_memory.c: the Multiboot memory map made from real-PC UEFI maps
 * (tests/data/memmaps) and from hand-made ones.
 *
 * Oracles: on files 01-03 GRUB built the e820 table Linux printed from the very same EFI map, with
 * the same type rules except that GRUB keeps runtime code as its own type 20 and persistent memory
 * as 7, both "reserved" to a Multiboot kernel: with those read as reserved and touching entries of
 * a type merged, the e820 table and the converted map must be equal, entry for entry. On every
 * file the map must also agree point by point with an independent reading of the descriptors, and
 * mem_lower/mem_upper with the runs of available memory at 0 and at 1 MiB.
 *
 *   test_mb_memory DATA_DIR
 */
#include "multiboot.h"
#include "multiboot_memory.h"
#include "tap.h"
#include "tests/mem/mem_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRIDE    48u
#define MAX_OUT   (2 * MEM_FILE_MAX_EFI)
#define PAGE      4096ull
#define E820_GRUB 20u /* GRUB's e820 type for EFI runtime-services code */

static const char *const files[] = {
    "01-lenovo-thinkpad-x240-efi.txt",
    "02-apple-macmini3-1-efi.txt",
    "03-asus-n56vz-efi.txt",
    "04-lenovo-thinkpad-x1-carbon-gen7-uefi-shell.txt",
    "05-lenovo-thinkpad-e14-gen3-amd-uefi-shell.txt",
    "06-asus-rog-strix-trx40-threadripper-uefi-shell.txt",
    "07-lenovo-ideapad-120s-apollolake-uefi-shell.txt",
};

static struct mem_file file;
static uint8_t raw[MEM_FILE_MAX_EFI * 64];
static struct mb_memory_entry out[MAX_OUT];

/* The test's own reading of the type rules, in the loader's precedence order. */
static uint32_t oracle_type(uint32_t efi)
{
    if (efi == 1 || efi == 2 || efi == 3 || efi == 4 || efi == 7)
        return MB_MEMORY_AVAILABLE;
    if (efi == 9)
        return MB_MEMORY_ACPI;
    if (efi == 10)
        return MB_MEMORY_NVS;
    if (efi == 8)
        return MB_MEMORY_BAD;
    return MB_MEMORY_RESERVED;
}

static int oracle_rank(uint32_t type)
{
    static const int rank[] = {0, 1, 4, 2, 3, 5}; /* by MB type 0..5 */
    return rank[type];
}

/* The type the descriptors give ADDRESS, 0 for a hole. */
static uint32_t oracle_at(const struct pagoda_efi_memory_descriptor *d, uint32_t n,
                          uint64_t address)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (d[i].number_of_pages == 0)
            continue;
        uint64_t end = d[i].physical_start + d[i].number_of_pages * PAGE;
        if (address < d[i].physical_start || address >= end)
            continue;
        uint32_t t = oracle_type(d[i].type);
        if (best == 0 || oracle_rank(t) > oracle_rank(best))
            best = t;
    }
    return best;
}

static uint32_t converted_at(const struct mb_memory_entry *e, long n, uint64_t address)
{
    for (long i = 0; i < n; i++)
        if (e[i].base <= address && address - e[i].base < e[i].length)
            return e[i].type;
    return 0;
}

static long convert(const struct pagoda_efi_memory_descriptor *d, uint32_t n, uint32_t stride)
{
    size_t bytes = mem_build_raw_map(d, n, stride, raw, sizeof raw);
    uint8_t *exact = malloc(bytes ? bytes : 1); /* exactly the map: ASan sees any overread */
    memcpy(exact, raw, bytes);
    long count = mb_memory_convert(exact, bytes, stride, out, MAX_OUT);
    free(exact);
    return count;
}

static const char *structure_problem(long n)
{
    for (long i = 0; i < n; i++) {
        if (out[i].length == 0)
            return "empty entry";
        if (out[i].type < 1 || out[i].type > 5)
            return "type out of range";
        if (i > 0 && out[i - 1].base + out[i - 1].length > out[i].base)
            return "unsorted or overlapping";
        if (i > 0 && out[i - 1].base + out[i - 1].length == out[i].base &&
            out[i - 1].type == out[i].type)
            return "touching entries of one type not merged";
    }
    return NULL;
}

static int pointwise_ok(const struct pagoda_efi_memory_descriptor *d, uint32_t n, long count,
                        uint64_t *where)
{
    for (uint32_t i = 0; i < n; i++) {
        if (d[i].number_of_pages == 0)
            continue;
        uint64_t start = d[i].physical_start, end = start + d[i].number_of_pages * PAGE;
        uint64_t probes[4] = {start, end - 1, start + (end - start) / 2, end};
        for (int p = 0; p < 4; p++) {
            if (oracle_at(d, n, probes[p]) != converted_at(out, count, probes[p])) {
                *where = probes[p];
                return 0;
            }
        }
    }
    return 1;
}

static uint32_t e820_as_multiboot(uint32_t type)
{
    switch (type) {
    case MEM_E820_USABLE:
        return MB_MEMORY_AVAILABLE;
    case MEM_E820_ACPI:
        return MB_MEMORY_ACPI;
    case MEM_E820_NVS:
        return MB_MEMORY_NVS;
    case MEM_E820_UNUSABLE:
        return MB_MEMORY_BAD;
    default: /* reserved, GRUB's 20 (runtime code), persistent */
        return MB_MEMORY_RESERVED;
    }
}

/* The e820 table, read as Multiboot types and merged, must be the converted map. */
static void compare_with_e820(const char *name, long count)
{
    struct mb_memory_entry e820[MEM_FILE_MAX_E820];
    long n = 0;
    for (uint32_t i = 0; i < file.e820_count; i++) {
        uint32_t type = e820_as_multiboot(file.e820[i].type);
        if (n > 0 && e820[n - 1].type == type &&
            e820[n - 1].base + e820[n - 1].length == file.e820[i].start)
            e820[n - 1].length += file.e820[i].end - file.e820[i].start;
        else
            e820[n++] = (struct mb_memory_entry){file.e820[i].start,
                                                 file.e820[i].end - file.e820[i].start, type};
    }
    long first_difference = -1;
    for (long i = 0; i < n || i < count; i++) {
        if (i >= n || i >= count || e820[i].base != out[i].base ||
            e820[i].length != out[i].length || e820[i].type != out[i].type) {
            first_difference = i;
            break;
        }
    }
    TAP_CHECK(first_difference < 0 && n == count,
              "%s: the converted map equals GRUB's e820 table (%ld entries)", name, n);
    if (first_difference >= 0 && first_difference < n && first_difference < count)
        tap_diag("  entry %ld: e820 [0x%llx +0x%llx) %u, converted [0x%llx +0x%llx) %u",
                 first_difference, (unsigned long long)e820[first_difference].base,
                 (unsigned long long)e820[first_difference].length, e820[first_difference].type,
                 (unsigned long long)out[first_difference].base,
                 (unsigned long long)out[first_difference].length, out[first_difference].type);
}

static void test_file(const char *dir, const char *name, int has_e820_oracle)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!TAP_CHECK(mem_file_parse(path, &file) && file.efi_count > 0, "%s: %u EFI descriptors",
                   name, file.efi_count))
        return;
    long count = convert(file.efi, file.efi_count, STRIDE);
    const char *problem = count >= 0 ? structure_problem(count) : "conversion failed";
    TAP_CHECK(problem == NULL, "%s: %ld entries, sorted, merged, typed 1-5 (%s)", name, count,
              problem ? problem : "ok");
    uint64_t where = 0;
    TAP_CHECK(pointwise_ok(file.efi, file.efi_count, count, &where),
              "%s: every descriptor's start, middle and end agree with the type rules", name);
    if (where)
        tap_diag("  first difference at 0x%llx", (unsigned long long)where);
    if (has_e820_oracle)
        compare_with_e820(name, count);

    uint32_t lower = 0, upper = 0;
    mb_memory_basic(out, (size_t)count, &lower, &upper);
    uint64_t low_end = 0, high_end = MB_UPPER_MEMORY_START;
    while (oracle_at(file.efi, file.efi_count, low_end) == MB_MEMORY_AVAILABLE)
        low_end += PAGE;
    while (oracle_at(file.efi, file.efi_count, high_end) == MB_MEMORY_AVAILABLE)
        high_end += PAGE;
    uint64_t want_lower = low_end / 1024 > 640 ? 640 : low_end / 1024;
    TAP_CHECK(lower == want_lower && upper == (high_end - MB_UPPER_MEMORY_START) / 1024,
              "%s: mem_lower %u KiB, mem_upper %u KiB (page walk: %llu, %llu)", name, lower, upper,
              (unsigned long long)want_lower,
              (unsigned long long)((high_end - MB_UPPER_MEMORY_START) / 1024));

    long count40 = convert(file.efi, file.efi_count, 40);
    struct mb_memory_entry copy[MAX_OUT];
    memcpy(copy, out, sizeof(copy[0]) * (size_t)(count40 > 0 ? count40 : 0));
    long count56 = convert(file.efi, file.efi_count, 56);
    TAP_CHECK(count40 == count && count56 == count &&
                  memcmp(copy, out, sizeof(copy[0]) * (size_t)count) == 0,
              "%s: the same map at strides 40, 48 and 56", name);
}

#define D(type, start, pages) ((struct pagoda_efi_memory_descriptor){type, 0, start, 0, pages, 0xf})

static void test_synthetic(void)
{
    struct pagoda_efi_memory_descriptor d[8];
    uint64_t where = 0;

    d[0] = D(7, 0x100000, 0x100);
    d[1] = D(0, 0x140000, 0x10); /* reserved inside conventional memory */
    long n = convert(d, 2, STRIDE);
    TAP_CHECK(n == 3 && out[0].type == 1 && out[0].length == 0x40000 && out[1].type == 2 &&
                  out[1].length == 0x10000 && out[2].type == 1 && out[2].base == 0x150000,
              "reserved inside available: available, reserved, available");
    d[0] = D(0, 0x140000, 0x10);
    d[1] = D(7, 0x100000, 0x100);
    TAP_CHECK(convert(d, 2, STRIDE) == 3 && out[1].type == 2,
              "the same in the other order: the reserved range still wins");
    d[0] = D(9, 0x100000, 0x10);
    d[1] = D(10, 0x108000, 0x10);
    d[2] = D(8, 0x10c000, 0x1);
    n = convert(d, 3, STRIDE);
    TAP_CHECK(n == 4 && out[0].type == 3 && out[1].type == 4 && out[2].type == 5 &&
                  out[3].type == 4 && pointwise_ok(d, 3, n, &where),
              "ACPI < NVS < defective where they overlap");

    d[0] = D(3, 0x200000, 0x10);
    d[1] = D(4, 0x210000, 0x10);
    d[2] = D(1, 0x220000, 0x10);
    d[3] = D(2, 0x230000, 0x10);
    d[4] = D(7, 0x240000, 0x10);
    TAP_CHECK(convert(d, 5, STRIDE) == 1 && out[0].base == 0x200000 && out[0].length == 0x50000,
              "boot services, loader and conventional memory touching: one available entry");
    d[2] = D(7, 0x230000, 0x10);
    TAP_CHECK(convert(d, 5, STRIDE) == 2 && out[0].length == 0x20000 && out[1].base == 0x230000,
              "a hole splits available memory into two entries");

    d[0] = D(7, 0x1000, 0);
    d[1] = D(7, 0xfffffffffffff000ull, 1); /* ends at 2^64: not representable */
    d[2] = D(7, 0xffffffffffff0000ull, 0x100);
    d[3] = D(7, 0x3000, 1);
    TAP_CHECK(convert(d, 4, STRIDE) == 1 && out[0].base == 0x3000 && out[0].length == 0x1000,
              "empty and wrapping descriptors are skipped");
    d[0] = D(0x80000001u, 0x1000, 1);
    d[1] = D(15, 0x2000, 1); /* unaccepted */
    d[2] = D(14, 0x3000, 1); /* persistent */
    d[3] = D(11, 0x4000, 1); /* MMIO */
    TAP_CHECK(convert(d, 4, STRIDE) == 1 && out[0].type == 2 && out[0].length == 0x4000,
              "OEM, unaccepted, persistent and MMIO memory are all reserved");

    uint8_t empty[1];
    TAP_CHECK(mb_memory_convert(empty, 0, STRIDE, out, MAX_OUT) == 0, "empty map: no entries");
    TAP_CHECK(mb_memory_convert(raw, 96, 44, out, MAX_OUT) == -1 &&
                  mb_memory_convert(raw, 96, 32, out, MAX_OUT) == -1,
              "descriptor sizes 44 and 32 refused");
    mem_build_raw_map(d, 4, STRIDE, raw, sizeof raw);
    TAP_CHECK(mb_memory_convert(raw, 4 * STRIDE, STRIDE, out, 7) == -1 &&
                  mb_memory_convert(raw, 4 * STRIDE, STRIDE, out, 8) >= 0,
              "room for 2 entries per descriptor is required, and enough");

    for (uint32_t t = 0; t < 16; t++)
        if (mb_memory_type_of_efi(t) != oracle_type(t))
            TAP_CHECK(0, "EFI type %u maps to %u", t, mb_memory_type_of_efi(t));
    TAP_CHECK(mb_memory_type_of_efi(7) == 1 && mb_memory_type_of_efi(9) == 3 &&
                  mb_memory_type_of_efi(10) == 4 && mb_memory_type_of_efi(8) == 5 &&
                  mb_memory_type_of_efi(5) == 2 && mb_memory_type_of_efi(0xffffffffu) == 2,
              "the type rules, as documented");

    struct mb_memory_entry basic[3] = {
        {0, 0x9f000, 1}, {0x100000, 0x100000, 1}, {0x200000, 0x300000, 1}};
    uint32_t lower = 0, upper = 0;
    mb_memory_basic(basic, 3, &lower, &upper);
    TAP_CHECK(lower == 636 && upper == 4096, "mem_lower 636, mem_upper spans touching entries");
    basic[0].length = 0x200000;
    mb_memory_basic(basic, 1, &lower, &upper);
    TAP_CHECK(lower == 640 && upper == 1024, "mem_lower at most 640; upper counted from 1 MiB");
    basic[0] = (struct mb_memory_entry){0x1000, 0x1000, 1};
    mb_memory_basic(basic, 1, &lower, &upper);
    TAP_CHECK(lower == 0 && upper == 0, "nothing available at 0 or 1 MiB: both 0");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data/memmaps";
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        test_file(dir, files[i], i < 3);
    test_synthetic();
    return tap_done();
}
