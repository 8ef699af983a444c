/*
 * Frame allocator tests: fixed scenarios, then a long seeded random operation sequence checked
 * step by step against the naive model in mem_model.h, then the real 64 GiB Threadripper map.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/frames.h"
#include "mem_model.h"
#include "mem_support.h"
#include "tests/tap.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

static struct pagoda_efi_memory_descriptor efi(uint32_t type, uint64_t start, uint64_t bytes)
{
    return (struct pagoda_efi_memory_descriptor){
        .type = type, .physical_start = start, .number_of_pages = bytes / 4096, .attribute = 0xf};
}

/* A small OVMF-shaped machine with RAM straddling 4 GiB and more RAM at 8 GiB. */
static const struct pagoda_efi_memory_descriptor test_machine[] = {
    {PAGODA_EFI_CONVENTIONAL, 0, 0, 0, 0x9f, 0xf},
    {PAGODA_EFI_RESERVED, 0, 0x9f000, 0, 0x61, 0xf},
    {PAGODA_EFI_CONVENTIONAL, 0, 0x100000, 0, 0x700, 0xf},       /* 1-8 MiB */
    {PAGODA_EFI_BOOT_SERVICES_DATA, 0, 0x800000, 0, 0x500, 0xf}, /* 8-13 MiB */
    {PAGODA_EFI_LOADER_DATA, 0, 0xD00000, 0, 0x100, 0xf},        /* 13-14 MiB */
    {PAGODA_EFI_BOOT_SERVICES_CODE, 0, 0xE00000, 0, 0x700, 0xf}, /* 14-21 MiB */
    {PAGODA_EFI_CONVENTIONAL, 0, 0x1500000, 0, 0xB00, 0xf},      /* 21-32 MiB */
    {PAGODA_EFI_ACPI_NVS, 0, 0x2000000, 0, 0x10, 0xf},
    {PAGODA_EFI_MMIO, 0, 0xFEC00000, 0, 0x1, 0x8000000000000001ull},
    {PAGODA_EFI_CONVENTIONAL, 0, 0xFFE00000, 0, 0xA00, 0xf}, /* 4 GiB - 2 MiB .. 4 GiB + 8 MiB */
    {PAGODA_EFI_CONVENTIONAL, 0, 0x200000000ull, 0, 0x1000, 0xf}, /* 8 GiB .. +16 MiB */
};

/* The kernel at 1 MiB and the loader's boot info inside the LoaderData range. */
static const struct pagoda_range test_ranges[] = {
    {0x100000, 0x80000, PAGODA_RANGE_KERNEL, 0},
    {0xD10000, 0x3000, PAGODA_RANGE_BOOT_INFO, 0},
};

static struct memmap_entry map_entries[1024];
static struct memmap test_map = {.entries = map_entries, .capacity = 1024};

static void build_test_map(void)
{
    static uint8_t raw[sizeof test_machine / sizeof test_machine[0] * 48];
    size_t n = sizeof test_machine / sizeof test_machine[0];
    struct memmap_input in = {
        .efi_map = raw,
        .efi_map_size = mem_build_raw_map(test_machine, (uint32_t)n, 48, raw, sizeof raw),
        .descriptor_size = 48,
        .loader_ranges = test_ranges,
        .loader_range_count = 2,
    };
    enum memmap_status st = memmap_normalize(&test_map, &in);
    if (st != MEMMAP_OK) {
        fprintf(stderr, "test map: %s\n", memmap_status_text(st));
        exit(2);
    }
}

static void *alloc_metadata(const struct memmap *map, size_t *bytes)
{
    *bytes = frames_metadata_bytes(map, FRAMES_NO_LIMIT);
    return malloc(*bytes);
}

static bool audit_ok(const struct frames *f, const char *when)
{
    char msg[200];
    bool ok = frames_audit(f, msg, sizeof msg);
    if (!ok)
        tap_diag("audit after %s: %s", when, msg);
    return ok;
}

static void test_init_and_counts(void)
{
    struct frames f;
    size_t bytes;
    void *meta = alloc_metadata(&test_map, &bytes);
    TAP_CHECK(frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes - 1) ==
                  FRAMES_ERR_METADATA_TOO_SMALL,
              "init refuses metadata one byte short");
    TAP_CHECK(frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes) == FRAMES_OK,
              "init with %zu bytes", bytes);
    struct mem_model m;
    mem_model_init(&m, &test_map);
    uint64_t low = mem_model_count(&m, MODEL_FREE, FRAMES_ZONE_LOW);
    uint64_t high = mem_model_count(&m, MODEL_FREE, FRAMES_ZONE_HIGH);
    TAP_CHECK(f.zone[FRAMES_ZONE_LOW].free == low && f.zone[FRAMES_ZONE_LOW].total == low,
              "low zone starts with %" PRIu64 " free frames (got %" PRIu64 ")", low,
              f.zone[FRAMES_ZONE_LOW].free);
    TAP_CHECK(f.zone[FRAMES_ZONE_HIGH].free == high, "high zone starts with %" PRIu64 " free",
              high);
    TAP_CHECK(f.region_count >= 5, "regions split at 4 GiB and at holes (%u regions)",
              f.region_count);
    uint32_t mb = frames_metadata_millibits_per_frame(&f);
    tap_diag("metadata: %zu bytes for %" PRIu64 " covered frames = %u.%03u bits/frame", bytes,
             f.covered_frames, mb / 1000, mb % 1000);
    TAP_CHECK(mb > 2000 && mb < 4000, "metadata about 2 bits per frame plus region headers");
    TAP_CHECK(audit_ok(&f, "init"), "audit clean after init");

    /* The kernel image and the boot info are never handed out, even after reclaiming. */
    uint64_t added = frames_add_reclaimable(&f, &test_map);
    uint64_t model_added = mem_model_add_reclaimable(&m);
    TAP_CHECK(added == model_added && added > 0, "add_reclaimable adds %" PRIu64 " frames", added);
    TAP_CHECK(frames_add_reclaimable(&f, &test_map) == 0, "second add_reclaimable adds nothing");
    bool touched_loader = false;
    uint64_t got;
    while ((got = frames_alloc(&f, FRAMES_BELOW_4G)) != FRAMES_NONE) {
        if ((got >= 0x100000 && got < 0x180000) || (got >= 0xD10000 && got < 0xD13000))
            touched_loader = true;
    }
    TAP_CHECK(!touched_loader, "kernel image and boot info never handed out");
    TAP_CHECK(f.zone[FRAMES_ZONE_LOW].free == 0 && f.zone[FRAMES_ZONE_HIGH].free == high,
              "exhausting the low zone leaves the high zone alone");
    TAP_CHECK(audit_ok(&f, "low zone exhausted"), "audit clean with the low zone full");

    /* Corrupt one bit: the audit must notice. */
    f.regions[0].allocated_bits[0] ^= 1u;
    char msg[200];
    TAP_CHECK(!frames_audit(&f, msg, sizeof msg), "audit detects a flipped bit: %s", msg);
    f.regions[0].allocated_bits[0] ^= 1u;
    f.zone[FRAMES_ZONE_HIGH].free++;
    TAP_CHECK(!frames_audit(&f, msg, sizeof msg), "audit detects a wrong counter: %s", msg);
    f.zone[FRAMES_ZONE_HIGH].free--;
    mem_model_destroy(&m);
    free(meta);
}

/* A limit at 4 GiB (what two-level paging can reach): nothing at or above it is covered, handed
 * out or reclaimed, and the metadata shrinks accordingly. The test machine straddles 4 GiB. */
static void test_limit(void)
{
    const uint64_t limit = 4 * GIB;
    struct frames f;
    size_t full = frames_metadata_bytes(&test_map, FRAMES_NO_LIMIT);
    size_t bytes = frames_metadata_bytes(&test_map, limit);
    void *meta = malloc(bytes);
    TAP_CHECK(bytes < full, "metadata for a 4 GiB limit: %zu bytes, less than %zu without", bytes,
              full);
    TAP_CHECK(frames_init(&f, &test_map, limit, meta, bytes) == FRAMES_OK, "init with the limit");
    struct mem_model m;
    mem_model_init(&m, &test_map);
    uint64_t low = mem_model_count(&m, MODEL_FREE, FRAMES_ZONE_LOW);
    mem_model_destroy(&m);
    TAP_CHECK(f.zone[FRAMES_ZONE_HIGH].total == 0 && f.zone[FRAMES_ZONE_LOW].free == low,
              "only the %" PRIu64 " free frames below 4 GiB are in the pool (high zone %" PRIu64
              ")",
              low, f.zone[FRAMES_ZONE_HIGH].total);
    uint64_t reclaimed = frames_add_reclaimable(&f, &test_map);
    bool below = true;
    uint64_t got = 0, phys;
    while ((phys = frames_alloc(&f, FRAMES_ANYWHERE)) != FRAMES_NONE) {
        below &= phys + PAGODA_PAGE_SIZE <= limit;
        got++;
    }
    TAP_CHECK(below && got == low + reclaimed,
              "FRAMES_ANYWHERE hands out %" PRIu64 " frames, all below the limit", got);
    TAP_CHECK(frames_reserve(&f, limit, limit + 8 * MIB) == 0,
              "reserving RAM above the limit claims nothing: it is not in the pool");
    TAP_CHECK(audit_ok(&f, "the limited pool"), "audit of the limited pool");
    free(meta);
}

static void test_panics(void)
{
    struct frames f;
    size_t bytes;
    void *meta = alloc_metadata(&test_map, &bytes);
    frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes);
    uint64_t a = frames_alloc(&f, FRAMES_ANYWHERE);
    TAP_CHECK(a >= 4 * GIB, "anywhere prefers high memory (%#" PRIx64 ")", a);
    frames_free(&f, a);
    char want[128];
    snprintf(want, sizeof want, "frames: double free of frame 0x%" PRIx64, a);
    TAP_CHECK(MEM_PANICS(frames_free(&f, a)) && strcmp(mem_panic_message, want) == 0,
              "double free panics: \"%s\"", mem_panic_message);
    TAP_CHECK(MEM_PANICS(frames_free(&f, 0x100000)) &&
                  strcmp(mem_panic_message, "frames: free of 0x100000 which was never allocated") ==
                      0,
              "free of the kernel image panics: \"%s\"", mem_panic_message);
    TAP_CHECK(MEM_PANICS(frames_free(&f, 0xFEC00000)) &&
                  strstr(mem_panic_message, "never allocated"),
              "free of MMIO panics: \"%s\"", mem_panic_message);
    TAP_CHECK(MEM_PANICS(frames_free(&f, 0x800000)) && strstr(mem_panic_message, "never allocated"),
              "free of not-yet-reclaimed boot-services memory panics");
    uint64_t b = frames_alloc(&f, FRAMES_ANYWHERE);
    TAP_CHECK(MEM_PANICS(frames_free(&f, b + 8)) && strstr(mem_panic_message, "never allocated"),
              "free of an unaligned address panics");
    TAP_CHECK(audit_ok(&f, "panics"), "panics leave the metadata consistent");
    free(meta);
}

static void test_runs(void)
{
    struct frames f;
    size_t bytes;
    void *meta = alloc_metadata(&test_map, &bytes);
    frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes);
    uint64_t r2 = frames_alloc_run(&f, 512, 512, FRAMES_ANYWHERE);
    TAP_CHECK(r2 != FRAMES_NONE && r2 % (2 * MIB) == 0 && r2 >= 8 * GIB,
              "2 MiB run, 2 MiB aligned, high (%#" PRIx64 ")", r2);
    uint64_t r4 = frames_alloc_run(&f, 1024, 1024, FRAMES_BELOW_4G);
    TAP_CHECK(r4 != FRAMES_NONE && r4 % (4 * MIB) == 0 && r4 + 4 * MIB <= 4 * GIB,
              "4 MiB run below 4 GiB, 4 MiB aligned (%#" PRIx64 ")", r4);
    /* The RAM straddling 4 GiB: [4G-2M, 4G) is a low region: a 4 MiB run cannot use it. */
    TAP_CHECK(r4 != 0xFFC00000, "no run crosses 4 GiB");
    TAP_CHECK(frames_alloc_run(&f, 0, 1, FRAMES_ANYWHERE) == FRAMES_NONE &&
                  frames_alloc_run(&f, 4, 3, FRAMES_ANYWHERE) == FRAMES_NONE,
              "count 0 and non-power-of-two alignment refused");
    TAP_CHECK(frames_alloc_run(&f, 1u << 20, 1, FRAMES_ANYWHERE) == FRAMES_NONE,
              "a run larger than memory fails cleanly");
    frames_free_run(&f, r2, 512);
    frames_free_run(&f, r4, 1024);
    uint64_t r64 = frames_alloc_run(&f, 64, 64, FRAMES_ANYWHERE);
    frames_free(&f, r64 + 5 * 4096);
    char want[128];
    snprintf(want, sizeof want, "frames: double free of frame 0x%" PRIx64, r64 + 5 * 4096);
    TAP_CHECK(MEM_PANICS(frames_free_run(&f, r64, 64)) && strcmp(mem_panic_message, want) == 0,
              "free_run over a run with a frame already freed names that frame: \"%s\"",
              mem_panic_message);
    frames_free_run(&f, r64 + 6 * 4096, 58);
    uint64_t top = frames_alloc(&f, FRAMES_ANYWHERE);
    TAP_CHECK(
        top == 0x200FFF000ull && MEM_PANICS(frames_free_run(&f, top, 2)) &&
            strcmp(mem_panic_message, "frames: free of 0x201000000 which was never allocated") == 0,
        "free_run past the end of a region panics");
    TAP_CHECK(audit_ok(&f, "runs"), "audit clean after runs");
    TAP_CHECK(frames_free_count(&f) == frames_total(&f), "all frames free again");
    free(meta);
}

static void test_reserve(void)
{
    struct frames f;
    size_t bytes;
    void *meta = alloc_metadata(&test_map, &bytes);
    frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes);
    uint64_t before = frames_free_count(&f);
    uint64_t claimed = frames_reserve(&f, 0x1500800, 0x1502001); /* rounds out to 3 frames */
    TAP_CHECK(claimed == 3 && frames_free_count(&f) == before - 3,
              "reserve rounds outward and claims 3 frames");
    TAP_CHECK(frames_reserve(&f, 0x1500000, 0x1503000) == 0, "reserving again claims nothing");
    TAP_CHECK(frames_reserve(&f, 0xFEC00000, 0xFEC01000) == 0, "reserving MMIO is a no-op");
    /* Reserved inside reclaimable memory: add_reclaimable must not free it. */
    uint64_t in_bs = frames_reserve(&f, 0x900000, 0x902000);
    TAP_CHECK(in_bs == 2 && frames_total(&f) == before + 2, "reserve of pending reclaimable");
    frames_add_reclaimable(&f, &test_map);
    bool found = false;
    uint64_t got;
    while ((got = frames_alloc(&f, FRAMES_BELOW_4G)) != FRAMES_NONE)
        if (got == 0x900000 || got == 0x901000 || (got >= 0x1500000 && got < 0x1503000))
            found = true;
    TAP_CHECK(!found, "reserved frames are never handed out");
    frames_free(&f, 0x900000);
    TAP_CHECK(frames_alloc(&f, FRAMES_BELOW_4G) == 0x900000, "a reserved frame can be given back");
    TAP_CHECK(audit_ok(&f, "reserve"), "audit clean after reserve");
    free(meta);
}

static void test_degenerate_maps(void)
{
    struct memmap empty = {.entries = map_entries, .capacity = 0};
    struct frames f;
    uint64_t meta[8];
    size_t bytes = frames_metadata_bytes(&empty, FRAMES_NO_LIMIT);
    TAP_CHECK(bytes <= sizeof meta &&
                  frames_init(&f, &empty, FRAMES_NO_LIMIT, meta, bytes) == FRAMES_OK,
              "empty map: init with %zu bytes", bytes);
    TAP_CHECK(frames_alloc(&f, FRAMES_ANYWHERE) == FRAMES_NONE &&
                  frames_alloc_run(&f, 1, 1, FRAMES_BELOW_4G) == FRAMES_NONE &&
                  frames_total(&f) == 0,
              "empty map: nothing to hand out");
    TAP_CHECK(MEM_PANICS(frames_free(&f, 0x1000)) && strstr(mem_panic_message, "never allocated"),
              "empty map: any free panics");
    TAP_CHECK(audit_ok(&f, "empty map"), "empty map: audit clean");

    struct memmap_entry bad[2] = {{0x200000, 0x300000, MEMMAP_USABLE, 0},
                                  {0x100000, 0x200000, MEMMAP_USABLE, 0}};
    struct memmap unsorted = {.entries = bad, .capacity = 2, .count = 2};
    TAP_CHECK(frames_init(&f, &unsorted, FRAMES_NO_LIMIT, meta, sizeof meta) ==
                      FRAMES_ERR_MAP_UNSORTED &&
                  frames_metadata_bytes(&unsorted, FRAMES_NO_LIMIT) == 0,
              "a map that is not normalized (unsorted) is refused");
}

/* ---- the random sequence against the model ---- */

struct held {
    uint64_t phys;
    uint32_t count;
};

static bool random_sequence(uint64_t seed, uint32_t ops)
{
    struct frames f;
    size_t bytes;
    void *meta = alloc_metadata(&test_map, &bytes);
    frames_init(&f, &test_map, FRAMES_NO_LIMIT, meta, bytes);
    struct mem_model m;
    mem_model_init(&m, &test_map);
    struct mem_rng rng = {seed};
    struct held *held = calloc(m.frames + 1, sizeof *held);
    uint32_t held_count = 0;
    bool ok = true;
    /* What the sequence exercised, so a reader can see it reached full memory and back. */
    uint64_t stat_alloc = 0, stat_exhausted = 0, stat_runs = 0, stat_run_none = 0;
    uint64_t stat_bad_frees = 0, stat_reserved = 0, max_fill_permille = 0;
    for (uint32_t op = 0; op < ops && ok; op++) {
        uint32_t dice = (uint32_t)mem_rng_below(&rng, 1000);
        /* Bias toward allocation early and freeing late so the fill level sweeps 0..100 %. */
        uint32_t alloc_share = op < ops / 2 ? 700 : 380;
        if (op == ops / 3) {
            uint64_t a = frames_add_reclaimable(&f, &test_map), b = mem_model_add_reclaimable(&m);
            if (a != b) {
                tap_diag("op %u: add_reclaimable %" PRIu64 " vs model %" PRIu64, op, a, b);
                ok = false;
            }
        } else if (dice < alloc_share) {
            int where = (int)mem_rng_below(&rng, 2);
            uint64_t want = mem_model_highest_free(&m, FRAMES_ZONE_HIGH);
            if (where == FRAMES_BELOW_4G || want == UINT64_MAX)
                want = mem_model_highest_free(&m, FRAMES_ZONE_LOW);
            uint64_t got = frames_alloc(&f, (enum frames_where)where);
            uint64_t want_phys = want == UINT64_MAX ? FRAMES_NONE : want << 12;
            if (got != want_phys) {
                tap_diag("op %u: alloc(%d) gave %#" PRIx64 ", model wants %#" PRIx64, op, where,
                         got, want_phys);
                ok = false;
            } else if (got != FRAMES_NONE) {
                mem_model_set(&m, got >> 12, 1, MODEL_ALLOC);
                held[held_count++] = (struct held){got, 1};
                stat_alloc++;
            } else {
                stat_exhausted++;
            }
        } else if (dice < 960 && held_count) {
            uint32_t k = (uint32_t)mem_rng_below(&rng, held_count);
            struct held h = held[k];
            held[k] = held[--held_count];
            if (MEM_PANICS(frames_free_run(&f, h.phys, h.count))) {
                tap_diag("op %u: free of %#" PRIx64 " panicked: %s", op, h.phys, mem_panic_message);
                ok = false;
            }
            mem_model_set(&m, h.phys >> 12, h.count, MODEL_FREE);
        } else if (dice < 975) {
            static const uint32_t shapes[][2] = {{512, 512}, {1024, 1024}, {3, 1}, {16, 4}};
            uint32_t s = (uint32_t)mem_rng_below(&rng, 4);
            int where = (int)mem_rng_below(&rng, 2);
            uint32_t count = shapes[s][0], align = shapes[s][1];
            uint64_t want = UINT64_MAX;
            if (where == FRAMES_ANYWHERE)
                want = mem_model_highest_run(&m, FRAMES_ZONE_HIGH, count, align);
            if (want == UINT64_MAX)
                want = mem_model_highest_run(&m, FRAMES_ZONE_LOW, count, align);
            uint64_t got = frames_alloc_run(&f, count, align, (enum frames_where)where);
            uint64_t want_phys = want == UINT64_MAX ? FRAMES_NONE : want << 12;
            if (got != want_phys) {
                tap_diag("op %u: run(%u,%u,%d) gave %#" PRIx64 ", model wants %#" PRIx64, op, count,
                         align, where, got, want_phys);
                ok = false;
            } else if (got != FRAMES_NONE) {
                mem_model_set(&m, got >> 12, count, MODEL_ALLOC);
                held[held_count++] = (struct held){got, count};
                stat_runs++;
            } else {
                stat_run_none++;
            }
        } else if (dice < 985) {
            /* A random reserve in low memory; the claimed frames become held blocks. */
            uint64_t start = mem_rng_below(&rng, 40 * MIB) & ~0x3ffull;
            uint64_t end = start + mem_rng_below(&rng, 64 * KIB) + 1;
            uint64_t want = 0;
            for (uint64_t pfn = start >> 12; pfn < (end + 0xfff) >> 12; pfn++) {
                int64_t idx = mem_model_index(&m, pfn);
                if (idx >= 0 && m.state[idx] != MODEL_ALLOC) {
                    held[held_count++] = (struct held){pfn << 12, 1};
                    want++;
                }
            }
            uint64_t got = frames_reserve(&f, start, end);
            mem_model_reserve(&m, start, end);
            stat_reserved += got;
            if (got != want) {
                tap_diag("op %u: reserve claimed %" PRIu64 ", model %" PRIu64, op, got, want);
                ok = false;
            }
        } else {
            /* Frees that must panic: a frame the model says is free, or one it never had. */
            uint64_t pfn;
            int64_t idx;
            if (dice < 993) {
                idx = (int64_t)mem_rng_below(&rng, m.frames);
                pfn = mem_model_pfn(&m, (uint64_t)idx);
            } else {
                pfn = mem_rng_below(&rng, 12 * GIB) >> 12;
                idx = mem_model_index(&m, pfn);
            }
            if (idx >= 0 && m.state[idx] == MODEL_ALLOC)
                continue;
            const char *expect =
                idx >= 0 && m.state[idx] == MODEL_FREE ? "double free" : "never allocated";
            if (!MEM_PANICS(frames_free(&f, pfn << 12)) || !strstr(mem_panic_message, expect)) {
                tap_diag("op %u: free of %#" PRIx64 " should panic with \"%s\", got \"%s\"", op,
                         pfn << 12, expect, mem_panic_message);
                ok = false;
            }
            stat_bad_frees++;
        }
        if (frames_total(&f) > 0) {
            uint64_t fill = (frames_total(&f) - frames_free_count(&f)) * 1000 / frames_total(&f);
            if (fill > max_fill_permille)
                max_fill_permille = fill;
        }
        if (ok && (op % 2000 == 0 || op == ops - 1)) {
            char msg[200];
            if (!frames_audit(&f, msg, sizeof msg)) {
                tap_diag("op %u: audit: %s", op, msg);
                ok = false;
            }
            for (int z = 0; z < FRAMES_ZONE_COUNT && ok; z++) {
                uint64_t mf = mem_model_count(&m, MODEL_FREE, z);
                uint64_t mt = mf + mem_model_count(&m, MODEL_ALLOC, z);
                if (f.zone[z].free != mf || f.zone[z].total != mt) {
                    tap_diag("op %u zone %d: free %" PRIu64 "/%" PRIu64 " total %" PRIu64
                             "/%" PRIu64,
                             op, z, f.zone[z].free, mf, f.zone[z].total, mt);
                    ok = false;
                }
            }
        }
    }
    tap_diag("seed %#" PRIx64 ": %" PRIu64 " allocs, %" PRIu64 " exhausted, %" PRIu64
             " runs, %" PRIu64 " runs refused, %" PRIu64 " frames reserved, %" PRIu64
             " bad frees caught, peak fill %" PRIu64 ".%" PRIu64 " %%",
             seed, stat_alloc, stat_exhausted, stat_runs, stat_run_none, stat_reserved,
             stat_bad_frees, max_fill_permille / 10, max_fill_permille % 10);
    free(held);
    mem_model_destroy(&m);
    free(meta);
    return ok;
}

/* ---- the 64 GiB Threadripper map ---- */

static void test_real_map(const char *dir)
{
    static struct mem_file file;
    char path[512];
    snprintf(path, sizeof path, "%s/06-asus-rog-strix-trx40-threadripper-uefi-shell.txt", dir);
    if (!TAP_CHECK(mem_file_parse(path, &file), "parse %s", path))
        return;
    static uint8_t raw[MEM_FILE_MAX_EFI * 48];
    struct memmap_input in = {
        .efi_map = raw,
        .efi_map_size = mem_build_raw_map(file.efi, file.efi_count, 48, raw, sizeof raw),
        .descriptor_size = 48,
    };
    static struct memmap_entry entries[1024];
    struct memmap map = {.entries = entries, .capacity = 1024};
    TAP_CHECK(memmap_normalize(&map, &in) == MEMMAP_OK, "normalize the 64 GiB map");
    struct frames f;
    size_t bytes = frames_metadata_bytes(&map, FRAMES_NO_LIMIT);
    void *meta = malloc(bytes);
    TAP_CHECK(frames_init(&f, &map, FRAMES_NO_LIMIT, meta, bytes) == FRAMES_OK, "init over 64 GiB");
    uint32_t mb = frames_metadata_millibits_per_frame(&f);
    tap_diag("64 GiB map: %u regions, %" PRIu64 " frames covered, %zu bytes metadata, %u.%03u "
             "bits/frame",
             f.region_count, f.covered_frames, bytes, mb / 1000, mb % 1000);
    TAP_CHECK(bytes < f.covered_frames / 3, "metadata under 3 bits per frame (%zu bytes)", bytes);
    uint64_t usable = 0;
    for (uint32_t i = 0; i < map.count; i++)
        if (map.entries[i].kind == MEMMAP_USABLE)
            usable += (map.entries[i].end - map.entries[i].start) >> 12;
    TAP_CHECK(frames_free_count(&f) == usable, "every usable frame is free (%" PRIu64 ")", usable);
    uint64_t top = frames_alloc(&f, FRAMES_ANYWHERE);
    TAP_CHECK(top == 0x103F1FF000ull, "first frame is the top of RAM (%#" PRIx64 ")", top);
    uint64_t run = frames_alloc_run(&f, 1024, 1024, FRAMES_ANYWHERE);
    TAP_CHECK(run != FRAMES_NONE && run % (4 * MIB) == 0 && run > 16 * GIB,
              "4 MiB page above 16 GiB (%#" PRIx64 ")", run);
    uint64_t low = frames_alloc(&f, FRAMES_BELOW_4G);
    TAP_CHECK(low < 4 * GIB, "below-4G request stays below 4 GiB (%#" PRIx64 ")", low);
    TAP_CHECK(audit_ok(&f, "64 GiB map"), "audit clean on the 64 GiB map");
    free(meta);
}

int main(int argc, char **argv)
{
    const char *data_dir = argc > 1 ? argv[1] : "tests/data/memmaps";
    uint32_t ops = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 100000;
    build_test_map();
    test_init_and_counts();
    test_limit();
    test_panics();
    test_runs();
    test_reserve();
    test_degenerate_maps();
    for (uint64_t seed = 1; seed <= 3; seed++)
        TAP_CHECK(random_sequence(seed * 0x9E3779B97F4A7C15ull, ops),
                  "%u random operations against the model, seed %" PRIu64, ops, seed);
    test_real_map(data_dir);
    (void)efi;
    return tap_done();
}
