/*
 * libFuzzer target for loader/multiboot_memory.c and loader/multiboot_info.c.
 *
 * Input: byte 0 chooses the version (bit 0), the firmware width (bit 1), relocation (bit 2), a
 * framebuffer (bit 3), the stride (bit 4: 40, else 48) and the module count (bits 5-6); the rest
 * is a raw UEFI memory map. The information is built into a buffer of exactly the capacity asked
 * for, then read back here: the structure (sizes, alignment, pointers inside the buffer) and the
 * memory map, whose every entry must be sorted, apart, typed 1-5 and, point by point, the most
 * restrictive type of the descriptors under it.
 */
#include "multiboot.h"
#include "multiboot_info.h"
#include "multiboot_memory.h"

#include <stdlib.h>
#include <string.h>

#define BASE 0x00100000u

static void require(int condition)
{
    if (!condition)
        abort();
}

static uint32_t r32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t r64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static const uint8_t *map;
static size_t map_size, stride;

static int rank(uint32_t type)
{
    static const int ranks[] = {0, 1, 4, 2, 3, 5};
    return ranks[type];
}

static uint32_t oracle_type(uint32_t efi)
{
    if (efi == 1 || efi == 2 || efi == 3 || efi == 4 || efi == 7)
        return 1;
    return efi == 9 ? 3 : efi == 10 ? 4 : efi == 8 ? 5 : 2;
}

/* The descriptors' verdict for one address: 0 for a hole. 128-bit ends: nothing wraps. */
static uint32_t oracle_at(uint64_t address)
{
    uint32_t best = 0;
    for (size_t off = 0; off + stride <= map_size; off += stride) {
        unsigned __int128 start = r64(map + off + 8);
        unsigned __int128 end = start + ((unsigned __int128)r64(map + off + 24) << 12);
        if (end > ((unsigned __int128)1 << 64) - 1 || address < start || address >= end)
            continue; /* the loader skips descriptors reaching 2^64 */
        uint32_t t = oracle_type(r32(map + off));
        if (best == 0 || rank(t) > rank(best))
            best = t;
    }
    return best;
}

struct entry {
    uint64_t base, length;
    uint32_t type;
};

static void verify_entries(const struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        require(e[i].length > 0 && e[i].type >= 1 && e[i].type <= 5);
        require(e[i].base + e[i].length - 1 >= e[i].base);
        if (i > 0) {
            require(e[i - 1].base + e[i - 1].length <= e[i].base);
            require(!(e[i - 1].base + e[i - 1].length == e[i].base && e[i - 1].type == e[i].type));
        }
        uint64_t probes[3] = {e[i].base, e[i].base + e[i].length / 2, e[i].base + e[i].length - 1};
        for (int p = 0; p < 3; p++)
            require(oracle_at(probes[p]) == e[i].type);
        if (i > 0 && e[i - 1].base + e[i - 1].length < e[i].base)
            require(oracle_at(e[i - 1].base + e[i - 1].length) == 0); /* a gap is a hole */
    }
}

/* Every descriptor the loader reads is in the map, with its type where nothing outranks it. */
static void verify_complete(const struct entry *e, size_t n)
{
    for (size_t off = 0; off + stride <= map_size; off += stride) {
        uint64_t start = r64(map + off + 8);
        uint32_t want = oracle_at(start);
        if (want == 0)
            continue;
        size_t i = 0;
        while (i < n && !(e[i].base <= start && start - e[i].base < e[i].length))
            i++;
        require(i < n && e[i].type == want);
    }
}

static void verify_v1(const uint8_t *info, size_t used, size_t capacity)
{
    require(used <= capacity && used % 8 == 0);
    uint32_t length = r32(info + 44), at = r32(info + 48) - BASE;
    require(length % 24 == 0 && at + length <= used);
    size_t n = length / 24;
    struct entry *e = calloc(n + 1, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = info + at + 24 * i;
        require(r32(p) == 20);
        e[i] = (struct entry){r64(p + 4), r64(p + 12), r32(p + 20)};
    }
    verify_entries(e, n);
    verify_complete(e, n);
    free(e);
    require(r32(info + 4) <= 640);
    uint32_t cmdline = r32(info + 16) - BASE;
    require(cmdline < used && memchr(info + cmdline, 0, used - cmdline) != NULL);
}

static void verify_v2(const uint8_t *info, size_t used)
{
    require(r32(info) == used && r32(info + 4) == 0);
    int ended = 0;
    for (uint32_t off = 8; off + 8 <= used && !ended;) {
        uint32_t type = r32(info + off), size = r32(info + off + 4);
        require(size >= 8 && off + size <= used);
        if (type == MB2_TAG_MMAP) {
            require(r32(info + off + 8) == 24 && (size - 16) % 24 == 0);
            size_t n = (size - 16) / 24;
            struct entry *e = calloc(n + 1, sizeof *e);
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = info + off + 16 + 24 * i;
                e[i] = (struct entry){r64(p), r64(p + 8), r32(p + 16)};
                require(r32(p + 20) == 0);
            }
            verify_entries(e, n);
            verify_complete(e, n);
            free(e);
        }
        if (type == MB2_TAG_EFI_MMAP)
            require(size == 16 + map_size && memcmp(info + off + 16, map, map_size) == 0);
        ended = type == MB2_TAG_END;
        if (ended)
            require(size == 8 && off + 8 == used);
        off += (size + 7) & ~7u;
    }
    require(ended);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t select = data[0];
    stride = (select & 0x10) ? 40 : 48;
    map = data + 1;
    map_size = (size - 1) / stride * stride;
    struct mb_info_input in = {
        .version = (select & 1) ? 2 : 1,
        .buffer_base = BASE,
        .cmdline = "fuzz",
        .loader_name = "Pagoda",
        .module_count = (select >> 5) & 3,
        .efi_map = map,
        .efi_map_size = map_size,
        .efi_descriptor_size = stride,
        .firmware_bits = (select & 2) ? 64 : 32,
        .relocatable = (select >> 2) & 1,
    };
    for (unsigned i = 0; i < in.module_count; i++)
        in.modules[i] = (struct mb_info_module){0x1000 * (i + 1), 0x1000 * (i + 1) + 7, "m"};
    if (select & 8)
        in.framebuffer = (struct pagoda_framebuffer){.base = 0xc0000000,
                                                     .width = 640,
                                                     .height = 480,
                                                     .pitch = 2560,
                                                     .format = PAGODA_PIXEL_RGBX,
                                                     .red_mask = 0xff,
                                                     .green_mask = 0xff00,
                                                     .blue_mask = 0xff0000,
                                                     .bits_per_pixel = 32};
    size_t capacity = mb_info_capacity(&in, map_size);
    uint8_t *buffer = malloc(capacity);
    size_t used = mb_info_build(&in, buffer, capacity);
    if (map_size == 0) {
        require(used == 0); /* the loader never has an empty map */
    } else {
        require(used > 0);
        if (in.version == 1)
            verify_v1(buffer, used, capacity);
        else
            verify_v2(buffer, used);
    }
    free(buffer);
    return 0;
}
