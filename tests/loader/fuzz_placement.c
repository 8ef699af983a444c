/*
 * libFuzzer target for loader/placement.c.
 *
 * Input layout (make_seeds.py writes the same): byte 0 picks the stride (40 + 8 * (b & 3)) and,
 * with bit 7 set, keeps a ragged map size instead of rounding it down to whole descriptors;
 * bytes 1..8 base, 9..16 size (little-endian); the rest is the raw map.
 *
 * The verdict is compared with a reference model built on 128-bit arithmetic, where nothing can
 * wrap: a range is placeable iff no forbidden descriptor meets it and every "critical point"
 * (the range start and each allowed descriptor's end inside the range) lies in an allowed
 * descriptor -- the first uncovered address of a range is always one of those points.
 */
#include "placement.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES 17

typedef unsigned __int128 u128;

struct model {
    const uint8_t *map;
    size_t count, stride;
    u128 first, end; /* the range, end exclusive */
};

struct span {
    u128 first, end;
    uint32_t type;
};

static uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void require(int condition)
{
    if (!condition)
        abort();
}

static struct span span_of(const struct model *m, size_t i)
{
    const uint8_t *raw = m->map + i * m->stride;
    uint32_t type;
    memcpy(&type, raw, 4);
    u128 first = read64(raw + 8);
    return (struct span){first, first + (u128)read64(raw + 24) * 4096, type};
}

static int allowed(uint32_t type)
{
    return type == 1 || type == 2 || type == 3 || type == 4 || type == 7;
}

static int any_descriptor_wraps(const struct model *m)
{
    for (size_t i = 0; i < m->count; i++)
        if (span_of(m, i).end > ((u128)1 << 64))
            return 1;
    return 0;
}

static int forbidden_meets_range(const struct model *m)
{
    for (size_t i = 0; i < m->count; i++) {
        struct span s = span_of(m, i);
        if (s.first < s.end && !allowed(s.type) && s.first < m->end && m->first < s.end)
            return 1;
    }
    return 0;
}

static int covered(const struct model *m, u128 point)
{
    for (size_t i = 0; i < m->count; i++) {
        struct span s = span_of(m, i);
        if (allowed(s.type) && s.first <= point && point < s.end)
            return 1;
    }
    return 0;
}

static int fully_covered(const struct model *m)
{
    if (!covered(m, m->first))
        return 0;
    for (size_t i = 0; i < m->count; i++) {
        struct span s = span_of(m, i);
        if (allowed(s.type) && s.first < s.end && s.end > m->first && s.end < m->end &&
            !covered(m, s.end))
            return 0;
    }
    return 1;
}

static enum placement_error expected_verdict(const struct model *m, uint64_t size)
{
    if (any_descriptor_wraps(m))
        return PLACEMENT_DESCRIPTOR_WRAPS;
    if (size == 0)
        return PLACEMENT_OK;
    if (m->end > ((u128)1 << 64))
        return PLACEMENT_RANGE_WRAPS;
    if (forbidden_meets_range(m))
        return PLACEMENT_MEMORY_IN_USE;
    return fully_covered(m) ? PLACEMENT_OK : PLACEMENT_NOT_DESCRIBED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES)
        return 0;
    size_t stride = 40 + 8 * (size_t)(data[0] & 3);
    int ragged = data[0] & 0x80;
    uint64_t base = read64(data + 1), length = read64(data + 9);
    const uint8_t *map = data + HEADER_BYTES;
    size_t map_size = size - HEADER_BYTES;
    if (!ragged)
        map_size -= map_size % stride;

    char why[200];
    memset(why, 'x', sizeof why);
    enum placement_error got =
        placement_check(map, map_size, stride, base, length, why, sizeof why);
    require(memchr(why, '\0', sizeof why) != NULL);
    require((got == PLACEMENT_OK) == (why[0] == '\0'));

    if (map_size % stride != 0) {
        require(got == PLACEMENT_BAD_MAP_SIZE);
        return 0;
    }
    struct model m = {map, map_size / stride, stride, base, (u128)base + length};
    require(got == expected_verdict(&m, length));

    /* placement_find: the window [base, base + 16 MiB), the size from the length, an alignment
     * from the length's low bits; whatever it finds must pass placement_check in the window. */
    uint64_t want = (length & 0xffffff) + 1, align = 1ull << ((length >> 24) & 15);
    uint64_t limit = base > UINT64_MAX - 0x1000000 ? UINT64_MAX : base + 0x1000000, found = 0;
    for (int highest = 0; highest < 2; highest++) {
        enum placement_error e =
            placement_find(map, map_size, stride, want, align, base, limit,
                           highest ? PLACEMENT_HIGHEST : PLACEMENT_LOWEST, &found, why, sizeof why);
        require(e == PLACEMENT_OK || e == PLACEMENT_NO_ROOM || e == PLACEMENT_DESCRIPTOR_WRAPS ||
                e == PLACEMENT_BAD_DESCRIPTOR_SIZE);
        if (e != PLACEMENT_OK)
            continue;
        require(found >= base && found % align == 0 && want <= limit - found);
        require(placement_check(map, map_size, stride, found, want, NULL, 0) == PLACEMENT_OK);
        if (!highest && found >= base + align) /* one alignment step lower must not work */
            require(placement_check(map, map_size, stride, found - align, want, NULL, 0) !=
                    PLACEMENT_OK);
        if (highest && limit - want - found >= align) /* found + want <= limit holds */
            require(placement_check(map, map_size, stride, found + align, want, NULL, 0) !=
                    PLACEMENT_OK);
    }
    return 0;
}
