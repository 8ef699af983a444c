/*
 * kernel/vm/vm_plan.c: where the direct map ends and where the page-table pool goes, on
 * normalized maps shaped like the ones OVMF and PCs produce.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tap.h"
#include "vm/vm_plan.h"

#define MIB         (1024ull * 1024ull)
#define GIB         (1024ull * MIB)
#define DIRECT_MAX  (896ull * MIB)
#define POOL_FRAMES 64u
#define COUNT(a)    (uint32_t)(sizeof(a) / sizeof((a)[0]))
#define MAP_OF(array)                                                                              \
    ((struct memmap){.entries = (array), .capacity = COUNT(array), .count = COUNT(array)})

/* OVMF x64 with 512 MiB on q35: RAM to 512 MiB, ECAM reserved at 2.75 GiB, flash MMIO at the top.
 */
static struct memmap_entry ovmf_512m[] = {
    {0x0, 0xA0000, MEMMAP_USABLE, 0},
    {0x100000, 0x137000, MEMMAP_KERNEL, 0},
    {0x137000, 0x1F6EC000, MEMMAP_USABLE, 0},
    {0x1F6EC000, 0x1F76C000, MEMMAP_RESERVED, 0},
    {0x1F76C000, 0x1F77E000, MEMMAP_ACPI_RECLAIM, 0},
    {0x1F77E000, 0x1F7FE000, MEMMAP_ACPI_NVS, 0},
    {0x1F7FE000, 0x1FF78000, MEMMAP_USABLE, 0},
    {0x1FF78000, 0x20000000, MEMMAP_ACPI_NVS, 0},
    {0xB0000000, 0xC0000000, MEMMAP_RESERVED, 0},
    {0xFFC00000, 0x100000000ull, MEMMAP_MMIO, 0},
};

/* 6 GiB: 2 GiB below 4 GiB, 4 GiB above it. */
static struct memmap_entry ovmf_6g[] = {
    {0x0, 0xA0000, MEMMAP_USABLE, 0},
    {0x100000, 0x137000, MEMMAP_KERNEL, 0},
    {0x137000, 0x7F000000, MEMMAP_USABLE, 0},
    {0x7F000000, 0x80000000, MEMMAP_ACPI_NVS, 0},
    {0xB0000000, 0xC0000000, MEMMAP_RESERVED, 0},
    {0x100000000ull, 0x200000000ull, MEMMAP_USABLE, 0},
};

/* RAM that ends on an odd page, with reserved firmware memory and MMIO just above it. */
static struct memmap_entry odd_end[] = {
    {0x1000, 0x9F000, MEMMAP_USABLE, 0},
    {0x100000, 0x1FFE5000, MEMMAP_USABLE, 0},
    {0x1FFE5000, 0x1FFE5800, MEMMAP_ACPI_RECLAIM, 0},
    {0x1FFE6000, 0x20000000, MEMMAP_RESERVED, 0},
    {0xFEC00000, 0xFEC01000, MEMMAP_MMIO, 0},
};

/* Only a sliver of usable RAM inside the direct map: no room for a 64-frame pool. */
static struct memmap_entry tiny[] = {
    {0x0, 0x20000, MEMMAP_USABLE, 0},
    {0x100000, 0x200000, MEMMAP_KERNEL, 0},
    {0x200000, 0x230000, MEMMAP_USABLE, 0},
};

static void test_direct_map_end(void)
{
    struct memmap m = MAP_OF(ovmf_512m);
    uint64_t end = vm_plan_direct_map_end(&m, DIRECT_MAX);
    TAP_CHECK(end == 0x20000000, "512 MiB OVMF: ends at the last ACPI NVS page (0x%" PRIx64 ")",
              end);
    m = (struct memmap)MAP_OF(ovmf_6g);
    end = vm_plan_direct_map_end(&m, DIRECT_MAX);
    TAP_CHECK(end == DIRECT_MAX, "6 GiB: capped at 896 MiB (0x%" PRIx64 ")", end);
    end = vm_plan_direct_map_end(&m, 8 * GIB);
    TAP_CHECK(end == 0x200000000ull, "a limit above 4 GiB reaches the high RAM (0x%" PRIx64 ")",
              end);
    m = (struct memmap)MAP_OF(odd_end);
    end = vm_plan_direct_map_end(&m, DIRECT_MAX);
    TAP_CHECK(end == 0x1FFE6000,
              "partial ACPI page rounds up; reserved and MMIO above are left out (0x%" PRIx64 ")",
              end);
    m.count = 0;
    TAP_CHECK(vm_plan_direct_map_end(&m, DIRECT_MAX) == 0, "empty map: nothing to map");
}

static void test_pool(void)
{
    uint64_t base = 0;
    struct memmap m = MAP_OF(ovmf_512m);
    uint64_t metadata = 0x1FF6E000; /* mem_setup's choice: top of the highest usable range */
    bool ok = vm_plan_pool(&m, 0x20000000, metadata, POOL_FRAMES, &base);
    TAP_CHECK(ok && base == metadata - POOL_FRAMES * 4096ull,
              "pool right below the metadata (0x%" PRIx64 ")", base);
    ok = vm_plan_pool(&m, 0x20000000, 0, POOL_FRAMES, &base);
    TAP_CHECK(ok && base == 0x1FF78000 - POOL_FRAMES * 4096ull,
              "metadata elsewhere: top of the highest usable range (0x%" PRIx64 ")", base);

    m = (struct memmap)MAP_OF(ovmf_6g);
    ok = vm_plan_pool(&m, DIRECT_MAX, 0x37FA0000, POOL_FRAMES, &base);
    TAP_CHECK(ok && base + POOL_FRAMES * 4096ull <= 0x37FA0000 && base < DIRECT_MAX,
              "6 GiB: inside the direct map, below the metadata, never above 4 GiB (0x%" PRIx64 ")",
              base);

    m = (struct memmap)MAP_OF(tiny);
    ok = vm_plan_pool(&m, 0x230000, 0x220000, POOL_FRAMES, &base);
    TAP_CHECK(!ok, "no usable range with 64 free frames: no pool");
    ok = vm_plan_pool(&m, 0x230000, 0x220000, 8, &base);
    TAP_CHECK(ok && base == 0x218000, "8 frames fit below the metadata (0x%" PRIx64 ")", base);
}

int main(void)
{
    test_direct_map_end();
    test_pool();
    return tap_done();
}
