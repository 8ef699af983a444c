/*
 * libFuzzer target for loader/elf_check.c. Any input must be handled without a crash or a
 * sanitizer report; whenever elf_check accepts, the result is re-derived here from the raw bytes
 * with a separate, simpler reading (host memcpy loads, 64-bit arithmetic) and every promise the
 * loader relies on is checked. A broken promise aborts, which libFuzzer reports with the input.
 */
#include "elf_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PT_LOAD    1u
#define PT_DYNAMIC 2u
#define PT_INTERP  3u
#define PF_X       1u

static uint32_t read32(const uint8_t *data, size_t at)
{
    uint32_t v;
    memcpy(&v, data + at, 4); /* the fuzz host is little-endian x86 */
    return v;
}

static uint32_t read16(const uint8_t *data, size_t at)
{
    uint16_t v;
    memcpy(&v, data + at, 2);
    return v;
}

static void require(int condition)
{
    if (!condition)
        abort();
}

static void verify_header(const uint8_t *data, size_t size)
{
    require(size >= 52);
    require(memcmp(data,
                   "\x7f"
                   "ELF",
                   4) == 0);
    require(data[4] == 1 && data[5] == 1 && data[6] == 1);
    require(read16(data, 16) == 2 && read16(data, 18) == 3 && read32(data, 20) == 1);
    require(read16(data, 40) == 52 && read16(data, 42) == 32);
}

static int overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* Every non-empty PT_LOAD appears in order, inside the file, below 4 GiB, above the null page. */
static void verify_segments(const uint8_t *data, size_t size, const struct elf_image *image)
{
    uint64_t phoff = read32(data, 28), phnum = read16(data, 44);
    require(phnum > 0 && phoff + phnum * 32 <= size);
    uint32_t kept = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        size_t at = (size_t)(phoff + i * 32);
        uint32_t type = read32(data, at);
        require(type != PT_DYNAMIC && type != PT_INTERP);
        uint64_t memsz = read32(data, at + 20);
        if (type != PT_LOAD || memsz == 0)
            continue;
        require(kept < image->segment_count && kept < ELF_CHECK_MAX_SEGMENTS);
        const struct elf_segment *s = &image->segments[kept++];
        require(s->file_offset == read32(data, at + 4) && s->vaddr == read32(data, at + 8) &&
                s->paddr == read32(data, at + 12) && s->file_size == read32(data, at + 16) &&
                s->mem_size == memsz && s->flags == read32(data, at + 24));
        require((uint64_t)s->file_offset + s->file_size <= size);
        require(s->file_size <= s->mem_size);
        require((uint64_t)s->paddr + s->mem_size <= 0x100000000ull);
        require((uint64_t)s->vaddr + s->mem_size <= 0x100000000ull);
        require(s->paddr >= 0x1000);
    }
    require(kept == image->segment_count && kept > 0);
}

static void verify_layout(const struct elf_image *image)
{
    uint64_t low = UINT64_MAX, high = 0;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *a = &image->segments[i];
        for (uint32_t j = i + 1; j < image->segment_count; j++) {
            const struct elf_segment *b = &image->segments[j];
            require(!overlap(a->paddr, a->mem_size, b->paddr, b->mem_size));
            require(!overlap(a->vaddr, a->mem_size, b->vaddr, b->mem_size));
        }
        low = a->paddr < low ? a->paddr : low;
        high = (uint64_t)a->paddr + a->mem_size > high ? (uint64_t)a->paddr + a->mem_size : high;
    }
    require(image->phys_start == low && image->phys_end == high);
}

static void verify_entry(const uint8_t *data, const struct elf_image *image)
{
    uint32_t entry = read32(data, 24);
    require(image->entry_virtual == entry);
    int found = 0;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        if (entry < s->vaddr || (uint64_t)entry >= (uint64_t)s->vaddr + s->file_size)
            continue;
        require(s->flags & PF_X);
        require(image->entry_physical == entry - s->vaddr + s->paddr);
        found++;
    }
    require(found == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_image image;
    char why[160];
    memset(why, 'x', sizeof why);
    enum elf_check_error e = elf_check(data, size, &image, why, sizeof why);
    require(memchr(why, '\0', sizeof why) != NULL);
    require(strncmp(elf_check_error_name(e), "ELF_CHECK_", 10) == 0 &&
            strcmp(elf_check_error_name(e), "ELF_CHECK_?") != 0);
    if (e != ELF_CHECK_OK) {
        require(why[0] != '\0' && image.segment_count == 0);
        return 0;
    }
    require(why[0] == '\0');
    verify_header(data, size);
    verify_segments(data, size, &image);
    verify_layout(&image);
    verify_entry(data, &image);
    return 0;
}
