/*
 * mem_setup (boot info -> map -> allocator, metadata placed and reserved) and frames_stress (the
 * self-check the kernel runs), on the host with a buffer standing in for the top of low RAM.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/frames_stress.h"
#include "kernel/mem/mem_setup.h"
#include "mem_support.h"
#include "tests/tap.h"

#define FAKE_MAP_PHYS 0x00900000ull /* where the "loader" put the raw map */
#define ARENA_PHYS    0x07F00000ull /* the last MiB of the highest usable range below 4 GiB */
#define ARENA_SIZE    0x00100000ull

static const struct pagoda_efi_memory_descriptor machine[] = {
    {PAGODA_EFI_CONVENTIONAL, 0, 0x0, 0, 0xA0, 0xf},
    {PAGODA_EFI_CONVENTIONAL, 0, 0x100000, 0, 0x700, 0xf},
    {PAGODA_EFI_BOOT_SERVICES_DATA, 0, 0x800000, 0, 0x100, 0xf},
    {PAGODA_EFI_LOADER_DATA, 0, 0x900000, 0, 0x100, 0xf},
    {PAGODA_EFI_BOOT_SERVICES_CODE, 0, 0xA00000, 0, 0xB00, 0xf},
    {PAGODA_EFI_CONVENTIONAL, 0, 0x1500000, 0, 0x6B00, 0xf}, /* to 128 MiB */
    {PAGODA_EFI_ACPI_NVS, 0, 0x8000000, 0, 0x10, 0xf},
    {PAGODA_EFI_MMIO, 0, 0xFFC00000, 0, 0x400, 0x8000000000000001ull},
    {PAGODA_EFI_CONVENTIONAL, 0, 0x100000000ull, 0, 0x40000, 0xf}, /* 1 GiB above 4 GiB */
};

static uint8_t raw[sizeof machine / sizeof machine[0] * 48];
static uint8_t *arena;

static void *fake_phys(void *ctx, uint64_t phys, size_t size)
{
    (void)ctx;
    if (phys == FAKE_MAP_PHYS && size <= sizeof raw)
        return raw;
    if (phys >= ARENA_PHYS && phys + size <= ARENA_PHYS + ARENA_SIZE)
        return arena + (phys - ARENA_PHYS);
    return NULL;
}

static struct pagoda_boot_info boot_info(void)
{
    struct pagoda_boot_info bi = {.magic = PAGODA_BOOT_MAGIC, .version = PAGODA_BOOT_INFO_VERSION};
    bi.memory_map = FAKE_MAP_PHYS;
    bi.memory_map_size =
        mem_build_raw_map(machine, sizeof machine / sizeof machine[0], 48, raw, sizeof raw);
    bi.descriptor_size = 48;
    bi.range_count = 3;
    bi.ranges[0] = (struct pagoda_range){0x100000, 0x40000, PAGODA_RANGE_KERNEL, 0};
    bi.ranges[1] = (struct pagoda_range){FAKE_MAP_PHYS, 0x1000, PAGODA_RANGE_MEMORY_MAP, 0};
    bi.ranges[2] = (struct pagoda_range){0x901000, 0x10000, PAGODA_RANGE_STACK, 0};
    return bi;
}

static struct mem_setup setup;
static struct frames_stress_block blocks[4096];

static void test_setup(void)
{
    struct pagoda_boot_info bi = boot_info();
    enum mem_setup_status st = mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL);
    TAP_CHECK(st == MEM_SETUP_OK, "mem_setup: %s", mem_setup_status_text(st));
    TAP_CHECK(setup.metadata_phys >= ARENA_PHYS &&
                  setup.metadata_phys + setup.metadata_bytes <= ARENA_PHYS + ARENA_SIZE &&
                  (setup.metadata_phys & 0xfff) == 0,
              "metadata (%zu bytes) at the top of the highest usable range below 4 GiB: %#" PRIx64,
              setup.metadata_bytes, setup.metadata_phys);
    bool bad = false;
    uint64_t got, low = 0;
    while ((got = frames_alloc(&setup.frames, FRAMES_BELOW_4G)) != FRAMES_NONE) {
        low++;
        bad |= got >= setup.metadata_phys && got < setup.metadata_phys + setup.metadata_bytes;
        bad |= got >= 0x100000 && got < 0x140000;
    }
    TAP_CHECK(!bad && low > 0,
              "metadata and kernel frames never handed out (%" PRIu64 " low frames handed out)",
              low);

    bi.descriptor_size = 24;
    TAP_CHECK(mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL) == MEM_SETUP_ERR_MEMMAP &&
                  setup.memmap_status == MEMMAP_ERR_DESCRIPTOR_SIZE,
              "bad stride: ERR_MEMMAP with the normalizer's reason");
    bi = boot_info();
    TAP_CHECK(mem_setup(&setup, &bi, 0x1000, fake_phys, NULL) == MEM_SETUP_ERR_NO_ROOM,
              "no usable RAM below the limit: ERR_NO_ROOM");
    bi.memory_map = 0x12345000;
    TAP_CHECK(mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL) == MEM_SETUP_ERR_MEMMAP &&
                  setup.memmap_status == MEMMAP_ERR_NO_INPUT,
              "unreachable raw map: ERR_MEMMAP (no input)");
    bi = boot_info();
    bi.range_count = PAGODA_MAX_RANGES + 1;
    TAP_CHECK(mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL) == MEM_SETUP_ERR_RANGE_COUNT,
              "too many loader ranges: ERR_RANGE_COUNT");
}

/* Two-level paging: frames at or above 4 GiB stay out of the pool, and the amount is stated. */
static void test_pool_limit(void)
{
    struct pagoda_boot_info bi = boot_info();
    enum mem_setup_status st =
        mem_setup_limited(&setup, &bi, 4ull << 30, 4ull << 30, fake_phys, NULL);
    TAP_CHECK(st == MEM_SETUP_OK, "mem_setup_limited: %s", mem_setup_status_text(st));
    TAP_CHECK(setup.withheld_bytes == (1ull << 30), "withheld %" PRIu64 " bytes, want 1 GiB",
              setup.withheld_bytes);
    uint32_t kinds_above = 0;
    for (uint32_t i = 0; i < setup.map.count; i++)
        kinds_above += setup.map.entries[i].start >= (4ull << 30);
    TAP_CHECK(kinds_above == 1 && setup.map.entries[setup.map.count - 1].end == (5ull << 30),
              "the normalized map still reports the RAM above 4 GiB (%u entries)", kinds_above);
    uint64_t got, highest = 0, total = frames_total(&setup.frames);
    while ((got = frames_alloc(&setup.frames, FRAMES_ANYWHERE)) != FRAMES_NONE)
        highest = got > highest ? got : highest;
    TAP_CHECK(highest < (4ull << 30) && total < (1ull << 30) / 4096,
              "no frame at or above 4 GiB handed out (highest %#" PRIx64 ", pool %" PRIu64
              " frames)",
              highest, total);

    /* A limit inside a usable range cuts it, and the cut does not stick to the map. */
    st = mem_setup_limited(&setup, &bi, 4ull << 30, 0x4000000, fake_phys, NULL);
    TAP_CHECK(st == MEM_SETUP_ERR_NO_ROOM,
              "metadata limited by the pool limit too (arena above 64 MiB): %s",
              mem_setup_status_text(st));
    bool restored = false;
    for (uint32_t i = 0; i < setup.map.count; i++)
        restored |=
            setup.map.entries[i].start == 0x1500000 && setup.map.entries[i].end == 0x8000000;
    TAP_CHECK(restored, "a usable range cut at the limit is restored in the normalized map");
    st = mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL);
    TAP_CHECK(st == MEM_SETUP_OK && setup.withheld_bytes == 0 &&
                  frames_total(&setup.frames) > (1ull << 30) / 4096,
              "no limit: everything joins the pool");
}

static void test_stress(void)
{
    struct pagoda_boot_info bi = boot_info();
    mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL);
    frames_add_reclaimable(&setup.frames, &setup.map);
    struct frames_stress_report r;
    char msg[200] = "";
    bool ok =
        frames_stress(&setup.frames, &setup.map, 12345, 50000, blocks, 4096, &r, msg, sizeof msg);
    TAP_CHECK(ok,
              "frames_stress passes: %u allocs, %u runs, %u frees, %u exhausted, peak %u "
              "frames held %s",
              r.allocs, r.runs, r.frees, r.exhausted, r.max_held, msg);
    TAP_CHECK(r.allocs > 1000 && r.runs > 10 && r.frees > 1000, "stress exercised the allocator");

    /* Same allocator, but a map that claims no RAM at all: the stress must notice. */
    struct memmap_entry mmio = {0, 1ull << 40, MEMMAP_MMIO, 0};
    struct memmap lie = {.entries = &mmio, .capacity = 1, .count = 1};
    ok = frames_stress(&setup.frames, &lie, 1, 100, blocks, 4096, &r, msg, sizeof msg);
    TAP_CHECK(!ok && strstr(msg, "not allocatable"), "stress detects frames outside RAM: %s", msg);

    /* A corrupted counter: the final audit must notice. */
    mem_setup(&setup, &bi, 4ull << 30, fake_phys, NULL);
    setup.frames.regions[1].allocated++;
    ok = frames_stress(&setup.frames, &setup.map, 7, 1000, blocks, 4096, &r, msg, sizeof msg);
    TAP_CHECK(!ok && strstr(msg, "counts"), "stress ends with an audit that sees corruption: %s",
              msg);
}

int main(void)
{
    arena = calloc(1, ARENA_SIZE);
    test_setup();
    test_pool_limit();
    test_stress();
    free(arena);
    return tap_done();
}
