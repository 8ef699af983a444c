/*
 * Fuzz target: bytes -> a small memory map and an operation sequence, run on the frame allocator
 * and on the naive model (mem_model.h). Any disagreement, audit failure or unexpected panic aborts.
 *
 * Bytes 0..15: up to 8 map ranges, two bytes each (kind and length, gap before). The map starts
 * 64 frames below 4 GiB so that both zones and the 4 GiB split are exercised.
 * Then two bytes per operation: an opcode and an argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/frames.h"
#include "mem_model.h"
#include "mem_support.h"

#define FUZZ_HELD 4096

struct held {
    uint64_t phys;
    uint32_t count;
};

static void fuzz_fail(const char *what, unsigned long long a, unsigned long long b)
{
    fprintf(stderr, "fuzz_frames: %s (%#llx vs %#llx)\n", what, a, b);
    abort();
}

static uint32_t build_map(const uint8_t *data, struct memmap *map)
{
    static const uint32_t kinds[4] = {MEMMAP_USABLE, MEMMAP_RECLAIMABLE, MEMMAP_RESERVED,
                                      MEMMAP_USABLE};
    static struct memmap_entry extra[8];
    uint64_t addr = 0x100000000ull - 64 * 4096;
    for (int i = 0; i < 8; i++) {
        addr += (uint64_t)(data[2 * i] >> 4 & 3) * 4096;
        uint64_t len = ((uint64_t)data[2 * i + 1] % 96 + 1) * 4096;
        extra[i] = (struct memmap_entry){addr, addr + len, kinds[data[2 * i] & 3], 0};
        addr += len;
    }
    struct memmap_input in = {.extra = extra, .extra_count = 8};
    if (memmap_normalize(map, &in) != MEMMAP_OK)
        abort();
    return map->count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    static struct memmap_entry entries[32];
    struct memmap map = {.entries = entries, .capacity = 32};
    build_map(data, &map);
    struct frames f;
    size_t bytes = frames_metadata_bytes(&map, FRAMES_NO_LIMIT);
    void *meta = malloc(bytes);
    if (frames_init(&f, &map, FRAMES_NO_LIMIT, meta, bytes) != FRAMES_OK)
        abort();
    struct mem_model m;
    mem_model_init(&m, &map);
    static struct held held[FUZZ_HELD];
    uint32_t held_count = 0;
    char msg[200];

    for (size_t i = 16; i + 1 < size; i += 2) {
        uint8_t op = data[i] % 6, arg = data[i + 1];
        int where = arg & 1;
        if (op == 0 || op == 1) {
            uint64_t want = where == FRAMES_ANYWHERE ? mem_model_highest_free(&m, FRAMES_ZONE_HIGH)
                                                     : UINT64_MAX;
            if (want == UINT64_MAX)
                want = mem_model_highest_free(&m, FRAMES_ZONE_LOW);
            uint64_t got = frames_alloc(&f, (enum frames_where)where);
            if (got != (want == UINT64_MAX ? FRAMES_NONE : want << 12))
                fuzz_fail("alloc", got, want);
            if (got != FRAMES_NONE && held_count < FUZZ_HELD) {
                mem_model_set(&m, got >> 12, 1, MODEL_ALLOC);
                held[held_count++] = (struct held){got, 1};
            } else if (got != FRAMES_NONE) {
                frames_free(&f, got);
            }
        } else if (op == 2 && held_count) {
            uint32_t k = arg % held_count;
            frames_free_run(&f, held[k].phys, held[k].count);
            mem_model_set(&m, held[k].phys >> 12, held[k].count, MODEL_FREE);
            held[k] = held[--held_count];
        } else if (op == 3) {
            uint32_t count = 1 + (arg >> 1) % 40, align = 1u << ((arg >> 3) % 6);
            uint64_t want = where == FRAMES_ANYWHERE
                                ? mem_model_highest_run(&m, FRAMES_ZONE_HIGH, count, align)
                                : UINT64_MAX;
            if (want == UINT64_MAX)
                want = mem_model_highest_run(&m, FRAMES_ZONE_LOW, count, align);
            uint64_t got = frames_alloc_run(&f, count, align, (enum frames_where)where);
            if (got != (want == UINT64_MAX ? FRAMES_NONE : want << 12))
                fuzz_fail("alloc_run", got, want);
            if (got != FRAMES_NONE && held_count < FUZZ_HELD) {
                mem_model_set(&m, got >> 12, count, MODEL_ALLOC);
                held[held_count++] = (struct held){got, count};
            } else if (got != FRAMES_NONE) {
                frames_free_run(&f, got, count);
            }
        } else if (op == 4) {
            /* A free that must panic, or a reserve, or reclaim: all checked against the model. */
            uint64_t pfn = (0x100000000ull >> 12) - 64 + arg * 3u;
            int64_t idx = mem_model_index(&m, pfn);
            if (arg & 0x80) {
                uint64_t start = pfn << 12, end = start + (uint64_t)(arg & 7) * 2048 + 1;
                /* The frames reserve will claim become held singles (they can be freed). */
                for (uint64_t p = start >> 12; p < (end + 0xfff) >> 12; p++) {
                    int64_t k = mem_model_index(&m, p);
                    if (k >= 0 && m.state[k] != MODEL_ALLOC && held_count < FUZZ_HELD)
                        held[held_count++] = (struct held){p << 12, 1};
                }
                uint64_t want = mem_model_reserve(&m, start, end);
                uint64_t got = frames_reserve(&f, start, end);
                if (got != want)
                    fuzz_fail("reserve", got, want);
            } else if (idx < 0 || m.state[idx] != MODEL_ALLOC) {
                const char *expect =
                    idx >= 0 && m.state[idx] == MODEL_FREE ? "double free" : "never allocated";
                if (!MEM_PANICS(frames_free(&f, pfn << 12)) || !strstr(mem_panic_message, expect))
                    fuzz_fail("bad free did not panic as expected", pfn << 12, 0);
            }
        } else if (op == 5) {
            uint64_t a = frames_add_reclaimable(&f, &map), b = mem_model_add_reclaimable(&m);
            if (a != b)
                fuzz_fail("add_reclaimable", a, b);
        }
        if (!frames_audit(&f, msg, sizeof msg)) {
            fprintf(stderr, "audit: %s\n", msg);
            abort();
        }
        for (int z = 0; z < FRAMES_ZONE_COUNT; z++)
            if (f.zone[z].free != mem_model_count(&m, MODEL_FREE, z))
                fuzz_fail("zone free count", f.zone[z].free, mem_model_count(&m, MODEL_FREE, z));
    }
    mem_model_destroy(&m);
    free(meta);
    return 0;
}
