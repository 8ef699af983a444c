/*
 * libFuzzer target for loader/multiboot_header.c: any bytes as a kernel file, read as Multiboot 1
 * and 2 on 32- and 64-bit firmware. No crash or sanitizer report; an accepted header is re-checked
 * here from the raw bytes (its place, magic and checksum), and so is every promise the loader's
 * placement and trampoline rely on: each range inside the file, below 4 GiB, above the null page,
 * the entry inside loaded code, the relocatable window able to hold the image.
 */
#include "multiboot.h"
#include "multiboot_header.h"

#include <stdlib.h>
#include <string.h>

static void require(int condition)
{
    if (!condition)
        abort();
}

static uint32_t read32(const uint8_t *data, size_t at)
{
    uint32_t v;
    memcpy(&v, data + at, 4);
    return v;
}

static void verify_header(const uint8_t *data, size_t size, const struct mb_kernel *k)
{
    uint32_t align = k->version == 1 ? 4 : 8, limit = k->version == 1 ? 8192 : 32768;
    uint32_t fields = k->version == 1 ? 12 : 16, sum = 0;
    require(k->header_offset % align == 0 && k->header_offset < limit);
    require((uint64_t)k->header_offset + k->header_size <= size &&
            (uint64_t)k->header_offset + k->header_size <= limit);
    require(read32(data, k->header_offset) ==
            (k->version == 1 ? MB1_HEADER_MAGIC : MB2_HEADER_MAGIC));
    for (uint32_t i = 0; i < fields; i += 4)
        sum += read32(data, k->header_offset + i);
    require(sum == 0);
    if (k->version == 2)
        require(read32(data, k->header_offset + 4) == MB2_ARCH_I386);
}

static void verify_plan(size_t size, const struct mb_kernel *k)
{
    const struct elf_image *image = &k->image;
    uint64_t low = UINT64_MAX, high = 0;
    int entry_found = 0;
    require(image->segment_count >= 1 && image->segment_count <= ELF_CHECK_MAX_SEGMENTS);
    require(!k->address_fields || image->segment_count == 1);
    for (uint32_t i = 0; i < image->segment_count; i++) {
        const struct elf_segment *s = &image->segments[i];
        require((uint64_t)s->file_offset + s->file_size <= size);
        require(s->file_size <= s->mem_size && s->mem_size > 0);
        require(s->paddr >= 0x1000 && (uint64_t)s->paddr + s->mem_size <= 0x100000000ull);
        if (image->entry_physical >= s->paddr &&
            (uint64_t)image->entry_physical < (uint64_t)s->paddr + s->file_size)
            entry_found = 1;
        low = s->paddr < low ? s->paddr : low;
        high = (uint64_t)s->paddr + s->mem_size > high ? (uint64_t)s->paddr + s->mem_size : high;
    }
    require(entry_found);
    require(image->phys_start == low && image->phys_end == high);
    if (k->relocatable) {
        require(k->align == 0 || (k->align & (k->align - 1)) == 0);
        require(k->min_addr <= k->max_addr &&
                image->phys_end - image->phys_start <= (uint64_t)k->max_addr - k->min_addr);
    }
}

static void check(const uint8_t *data, size_t size, unsigned version, unsigned bits)
{
    struct mb_kernel k;
    char why[200];
    memset(why, 'x', sizeof why);
    enum mb_error e = mb_header_parse(data, size, version, bits, &k, why, sizeof why);
    require(memchr(why, '\0', sizeof why) != NULL);
    require(strncmp(mb_error_name(e), "MB_", 3) == 0 && strcmp(mb_error_name(e), "MB_?") != 0);
    if (e != MB_OK) {
        require(why[0] != '\0' && k.image.segment_count == 0);
        return;
    }
    require(k.version == version);
    verify_header(data, size, &k);
    verify_plan(size, &k);
    struct mb_available none = {0, 0, 0}, all = {1, 1, 1};
    if (mb_check_available(&k, &none, why, sizeof why) == MB_OK)
        require(mb_check_available(&k, &all, why, sizeof why) == MB_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned version = 1; version <= 2; version++) {
        check(data, size, version, 32);
        check(data, size, version, 64);
    }
    return 0;
}
