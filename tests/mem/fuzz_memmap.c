/*
 * Fuzz target: raw bytes as a UEFI memory map. The normalizer must never crash, and whenever it
 * accepts the input its output must pass the structural and point-wise checks.
 *
 * Byte 0 picks the stride (40, 48, 56 or 64) and, in its top bit, a "tame" mode that clamps
 * addresses and page counts so that most maps are valid and the merge logic gets exercised.
 * Byte 1 (low 2 bits) adds up to three loader ranges taken from the first descriptors, and
 * (bits 2-3) up to three already-classified, unaligned "extra" ranges (as an e820 table gives).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/mem/memmap.h"
#include "mem_support.h"

#define FUZZ_MAX_BYTES 4096

static struct memmap_entry out[2 * FUZZ_MAX_BYTES / 40 + 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_BYTES)
        return 0;
    uint32_t stride = 40 + 8 * (data[0] & 3);
    bool tame = data[0] & 0x80;
    uint32_t loader_count = data[1] & 3, extra_count = data[1] >> 2 & 3;
    size_t body = (size - 2) / stride * stride;
    uint8_t *map = malloc(body ? body : 1);
    memcpy(map, data + 2, body);
    uint32_t n = (uint32_t)(body / stride);
    struct pagoda_range ranges[3];
    struct memmap_entry extra[3];
    for (uint32_t i = 0; i < n; i++) {
        struct pagoda_efi_memory_descriptor d;
        memcpy(&d, map + (size_t)i * stride, sizeof d);
        if (tame) {
            d.type &= 0xF;
            d.physical_start &= 0xFFFFFFFFFFull; /* 1 TiB, not always page-aligned */
            d.number_of_pages &= 0xFFFF;
            memcpy(map + (size_t)i * stride, &d, sizeof d);
        }
        if (i < loader_count)
            ranges[i] = (struct pagoda_range){d.physical_start + 0x800, d.number_of_pages * 512,
                                              d.type & 7, 0};
        if (i < extra_count)
            extra[i] = (struct memmap_entry){d.physical_start + (d.attribute & 0xfff),
                                             d.physical_start + (d.number_of_pages << 11) + 7,
                                             (uint32_t)(d.virtual_start % MEMMAP_KIND_COUNT), 0};
    }
    if (loader_count > n)
        loader_count = n;
    if (extra_count > n)
        extra_count = n;
    struct memmap_input in = {
        .efi_map = map,
        .efi_map_size = body,
        .descriptor_size = stride,
        .loader_ranges = ranges,
        .loader_range_count = loader_count,
        .extra = extra,
        .extra_count = extra_count,
    };
    uint32_t capacity = 2 * (n + loader_count + extra_count) + 1;
    struct memmap m = {.entries = out, .capacity = capacity};
    enum memmap_status st = memmap_normalize(&m, &in);
    if (st == MEMMAP_ERR_CAPACITY)
        abort(); /* 2n+1 entries always suffice: n ranges have at most 2n boundaries */
    if (st == MEMMAP_OK) {
        const char *err = mem_check_structure(&m);
        if (!err)
            err = mem_check_pointwise(&m, &in);
        if (err) {
            fprintf(stderr, "invariant broken: %s\n", err);
            abort();
        }
        if (m.count > 0) {
            uint32_t count = m.count;
            struct memmap small = {.entries = out, .capacity = count - 1};
            if (memmap_normalize(&small, &in) != MEMMAP_ERR_CAPACITY || small.needed != count)
                abort();
        }
    } else if (st != MEMMAP_ERR_WRAPS && st != MEMMAP_ERR_MAP_SIZE) {
        abort(); /* the stride is always valid here and nothing else can fail */
    }
    free(map);
    return 0;
}
