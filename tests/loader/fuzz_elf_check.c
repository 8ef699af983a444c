/*
 * libFuzzer target for lib/elf_check.c. Every input is checked under both rule sets, the
 * kernel's and the user programs'. Any input must be handled without a crash or a sanitizer
 * report; whenever elf_check accepts, the result is re-derived here from the raw bytes with a
 * separate, simpler reading (host memcpy loads, 64-bit arithmetic, the limits written out again)
 * and every promise the loader and the kernel rely on is checked. A broken promise aborts, which
 * libFuzzer reports with the input.
 */
#include "elf_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PT_LOAD    1u
#define PT_DYNAMIC 2u
#define PT_INTERP  3u
#define PF_X       1u
#define PF_W       2u

/* The user rules' limits, written out independently of pagoda/user_layout.h. */
#define USER_IMAGE_START 0x00400000u
#define USER_END         0xC0000000ull

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

/* Physical rules: below 4 GiB and above the null page. User rules: inside the user image area,
 * never writable and executable at once. */
static void verify_placement(const struct elf_segment *s, int user)
{
    require((uint64_t)s->vaddr + s->mem_size <= 0x100000000ull);
    if (!user) {
        require((uint64_t)s->paddr + s->mem_size <= 0x100000000ull);
        require(s->paddr >= 0x1000);
        return;
    }
    require(s->vaddr >= USER_IMAGE_START && s->vaddr >= 0x1000);
    require((uint64_t)s->vaddr + s->mem_size <= USER_END);
    require(!((s->flags & PF_W) && (s->flags & PF_X)));
}

/* Every non-empty PT_LOAD appears in order, inside the file, placed as the rules say. */
static void verify_segments(const uint8_t *data, size_t size, const struct elf_image *image,
                            int user)
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
        verify_placement(s, user);
    }
    require(kept == image->segment_count && kept > 0);
}

static void verify_layout(const struct elf_image *image, int user)
{
    uint64_t low = UINT64_MAX, high = 0;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *a = &image->segments[i];
        for (uint32_t j = i + 1; j < image->segment_count; j++) {
            const struct elf_segment *b = &image->segments[j];
            require(user || !overlap(a->paddr, a->mem_size, b->paddr, b->mem_size));
            require(!overlap(a->vaddr, a->mem_size, b->vaddr, b->mem_size));
        }
        low = a->paddr < low ? a->paddr : low;
        high = (uint64_t)a->paddr + a->mem_size > high ? (uint64_t)a->paddr + a->mem_size : high;
    }
    if (user)
        require(image->phys_start == 0 && image->phys_end == 0);
    else
        require(image->phys_start == low && image->phys_end == high);
}

static void verify_entry(const uint8_t *data, const struct elf_image *image, int user)
{
    uint32_t entry = read32(data, 24);
    require(image->entry_virtual == entry);
    int found = 0;
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        if (entry < s->vaddr || (uint64_t)entry >= (uint64_t)s->vaddr + s->file_size)
            continue;
        require(s->flags & PF_X);
        require(image->entry_physical == (user ? 0 : entry - s->vaddr + s->paddr));
        found++;
    }
    require(found == 1);
}

static void check_under(const uint8_t *data, size_t size, const struct elf_rules *rules, int user)
{
    struct elf_image image;
    char why[160];
    memset(why, 'x', sizeof why);
    enum elf_check_error e = elf_check(data, size, rules, &image, why, sizeof why);
    require(memchr(why, '\0', sizeof why) != NULL);
    require(strncmp(elf_check_error_name(e), "ELF_CHECK_", 10) == 0 &&
            strcmp(elf_check_error_name(e), "ELF_CHECK_?") != 0);
    if (e != ELF_CHECK_OK) {
        require(why[0] != '\0' && image.segment_count == 0);
        return;
    }
    require(why[0] == '\0');
    verify_header(data, size);
    verify_segments(data, size, &image, user);
    verify_layout(&image, user);
    verify_entry(data, &image, user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_under(data, size, &elf_rules_kernel, 0);
    check_under(data, size, &elf_rules_user, 1);
    return 0;
}
