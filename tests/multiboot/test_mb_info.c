/*
 * Unit tests for loader/multiboot_info.c: the Multiboot 1 and 2 information built from a real-PC
 * map (tests/data/memmaps) and made-up firmware facts, then read back field by field with this
 * file's own reading of the specifications' layouts (addresses in the information are physical:
 * the buffer is given a made-up physical base and every pointer is translated back).
 *
 *   test_mb_info DATA_DIR
 */
#include "multiboot.h"
#include "multiboot_info.h"
#include "multiboot_memory.h"
#include "tap.h"
#include "tests/mem/mem_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE        0x00700000u /* the made-up physical address of the buffer */
#define STRIDE      48u
#define MAP_SLACK   32u /* descriptors, as the loader's map buffer has */
#define ST_64       0x1f5eb018ull
#define HANDLE_64   0x1e5e3018ull
#define LOAD_BASE   0x1fee8000u
#define MAX_ENTRIES (2 * (MEM_FILE_MAX_EFI + MAP_SLACK))

static struct mem_file file;
static uint8_t raw[(MEM_FILE_MAX_EFI + MAP_SLACK) * STRIDE];
static size_t raw_size;
static struct mb_memory_entry expected[MAX_ENTRIES];
static long expected_count;
static uint8_t *buffer;
static size_t capacity;

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t r64(const uint8_t *p)
{
    return (uint64_t)r32(p) | (uint64_t)r32(p + 4) << 32;
}

/* A physical address inside the information, as a host pointer; NULL outside it. */
static const uint8_t *at(uint32_t physical, size_t bytes)
{
    if (physical < BASE || physical - BASE + bytes > capacity)
        return NULL;
    return buffer + (physical - BASE);
}

static const char *string_at(uint32_t physical)
{
    const uint8_t *p = at(physical, 1);
    if (p == NULL || memchr(p, 0, capacity - (physical - BASE)) == NULL)
        return NULL;
    return (const char *)p;
}

static struct mb_info_input input(unsigned version, unsigned bits)
{
    static const uint8_t rsdp_v1[20] = "RSD PTR \x11"
                                       "BOCHS \0\0\0\0\0";
    static const uint8_t rsdp_v2[36] = "RSD PTR \x22"
                                       "BOCHS \2\0\0\0\0\x24\0\0\0";
    struct mb_info_input in = {
        .version = version,
        .buffer_base = BASE,
        .cmdline = "root=/dev/ram0 console=ttyS0",
        .loader_name = "Pagoda loader x64 v0.1.0 (UEFI)",
        .module_count = 3,
        .efi_map = raw,
        .efi_map_size = raw_size,
        .efi_descriptor_size = STRIDE,
        .efi_descriptor_version = 1,
        .framebuffer = {.base = 0xc0000000,
                        .size = 3145728,
                        .width = 1024,
                        .height = 768,
                        .pitch = 4096,
                        .format = PAGODA_PIXEL_BGRX,
                        .red_mask = 0x00ff0000,
                        .green_mask = 0x0000ff00,
                        .blue_mask = 0x000000ff,
                        .reserved_mask = 0xff000000,
                        .bits_per_pixel = 32},
        .has_rsdp_v1 = 1,
        .has_rsdp_v2 = 1,
        .rsdp_v2_size = 36,
        .firmware_bits = bits,
        .system_table = ST_64,
        .image_handle = HANDLE_64,
        .relocatable = 1,
        .load_base = LOAD_BASE,
    };
    in.modules[0] = (struct mb_info_module){0x1ddac000, 0x1ddac00d, "first one"};
    in.modules[1] = (struct mb_info_module){0x1dda9000, 0x1ddab710, "m2.bin"};
    in.modules[2] = (struct mb_info_module){0x1dda0000, 0x1dda0000, ""};
    memcpy(in.rsdp_v1, rsdp_v1, sizeof rsdp_v1);
    memcpy(in.rsdp_v2, rsdp_v2, sizeof rsdp_v2);
    return in;
}

static size_t build(const struct mb_info_input *in)
{
    free(buffer);
    capacity = mb_info_capacity(in, sizeof raw);
    buffer = malloc(capacity);
    memset(buffer, 0xcc, capacity);
    return mb_info_build(in, buffer, capacity);
}

/* ---- Multiboot 1 ---- */

static void check_v1_map(const uint8_t *info)
{
    uint32_t length = r32(info + 44);
    const uint8_t *map = at(r32(info + 48), length);
    long n = 0, equal = map != NULL && length % 24 == 0;
    for (uint32_t off = 0; equal && off + 24 <= length; off += 24, n++) {
        const uint8_t *e = map + off;
        equal = r32(e) == 20 && n < expected_count && r64(e + 4) == expected[n].base &&
                r64(e + 12) == expected[n].length && r32(e + 20) == expected[n].type;
    }
    TAP_CHECK(equal && n == expected_count,
              "MB1 mmap: %ld entries of size 20, the converted map exactly", n);
    uint32_t lower = 0, upper = 0;
    mb_memory_basic(expected, (size_t)expected_count, &lower, &upper);
    TAP_CHECK(r32(info + 4) == lower && r32(info + 8) == upper, "MB1 mem_lower %u, mem_upper %u",
              r32(info + 4), r32(info + 8));
}

static void test_v1(void)
{
    struct mb_info_input in = input(1, 64);
    size_t used = build(&in);
    if (!TAP_CHECK(used > 0 && used <= capacity && used % 8 == 0,
                   "MB1 information built: %zu of %zu bytes", used, capacity))
        return;
    const uint8_t *info = buffer;
    uint32_t flags = r32(info);
    TAP_CHECK(flags == (MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODULES |
                        MB1_INFO_MEMORY_MAP | MB1_INFO_LOADER_NAME | MB1_INFO_FRAMEBUFFER),
              "MB1 flags 0x%x: bits 0, 2, 3, 6, 9, 12", flags);
    const char *cmdline = string_at(r32(info + 16));
    const char *name = string_at(r32(info + 64));
    TAP_CHECK(cmdline && strcmp(cmdline, in.cmdline) == 0, "MB1 cmdline \"%s\"", cmdline);
    TAP_CHECK(name && strcmp(name, in.loader_name) == 0, "MB1 boot_loader_name");
    check_v1_map(info);
    const uint8_t *mods = at(r32(info + 24), 3 * 16);
    int modules_ok = r32(info + 20) == 3 && mods != NULL;
    for (unsigned i = 0; modules_ok && i < 3; i++) {
        const char *s = string_at(r32(mods + 16 * i + 8));
        modules_ok = r32(mods + 16 * i) == in.modules[i].start &&
                     r32(mods + 16 * i + 4) == in.modules[i].end && s &&
                     strcmp(s, in.modules[i].string) == 0 && r32(mods + 16 * i + 12) == 0;
    }
    TAP_CHECK(modules_ok, "MB1 modules: 3 entries, ranges, strings, reserved 0");
    TAP_CHECK(r64(info + 88) == 0xc0000000 && r32(info + 96) == 4096 && r32(info + 100) == 1024 &&
                  r32(info + 104) == 768 && info[108] == 32 && info[109] == 1,
              "MB1 framebuffer address, pitch, size, 32 bpp, RGB");
    TAP_CHECK(info[110] == 16 && info[111] == 8 && info[112] == 8 && info[113] == 8 &&
                  info[114] == 0 && info[115] == 8,
              "MB1 colour fields from BGRX masks: red 16/8, green 8/8, blue 0/8");
    TAP_CHECK(r32(info + 12) == 0 && r32(info + 28) == 0 && r32(info + 52) == 0 &&
                  r32(info + 60) == 0 && r32(info + 68) == 0 && r32(info + 72) == 0,
              "MB1 fields without a flag are 0 (boot_device, syms, drives, config, apm, vbe)");
    int tail_clear = 1;
    for (size_t i = used; i < capacity; i++)
        tail_clear &= buffer[i] == 0;
    TAP_CHECK(tail_clear, "MB1: the rest of the buffer (scratch map) is cleared");

    in.framebuffer.format = PAGODA_PIXEL_NONE;
    in.module_count = 0;
    used = build(&in);
    TAP_CHECK(used > 0 && !(r32(buffer) & MB1_INFO_FRAMEBUFFER) && r32(buffer + 20) == 0,
              "MB1 without framebuffer: no flag 12; no modules: mods_count 0");
}

/* ---- Multiboot 2 ---- */

struct seen {
    unsigned count[MB2_TAG_TYPE_COUNT];
    unsigned order[64], tags;
};

static const uint8_t *find_tag(const uint8_t *info, uint32_t type, unsigned nth)
{
    uint32_t total = r32(info);
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t t = r32(info + off), size = r32(info + off + 4);
        if (t == type && nth-- == 0)
            return info + off;
        if (t == MB2_TAG_END || size < 8)
            return NULL;
        off += (size + 7) & ~7u;
    }
    return NULL;
}

static int walk_v2(const uint8_t *info, size_t used, struct seen *s)
{
    uint32_t total = r32(info);
    memset(s, 0, sizeof *s);
    if (total != used || r32(info + 4) != 0)
        return 0;
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t type = r32(info + off), size = r32(info + off + 4);
        if (size < 8 || off + size > total || type >= MB2_TAG_TYPE_COUNT || s->tags == 64)
            return 0;
        s->count[type]++;
        s->order[s->tags++] = type;
        if (type == MB2_TAG_END)
            return size == 8 && off + 8 == total;
        off += (size + 7) & ~7u;
    }
    return 0;
}

static void check_v2_map(const uint8_t *info)
{
    const uint8_t *t = find_tag(info, MB2_TAG_MMAP, 0);
    int ok = t && r32(t + 8) == 24 && r32(t + 12) == 0 &&
             r32(t + 4) == 16 + 24 * (uint32_t)expected_count;
    for (long i = 0; ok && i < expected_count; i++) {
        const uint8_t *e = t + 16 + 24 * i;
        ok = r64(e) == expected[i].base && r64(e + 8) == expected[i].length &&
             r32(e + 16) == expected[i].type && r32(e + 20) == 0;
    }
    TAP_CHECK(ok, "MB2 memory map: %ld entries of 24 bytes, version 0, exactly the converted map",
              expected_count);
    const uint8_t *m = find_tag(info, MB2_TAG_BASIC_MEMINFO, 0);
    uint32_t lower = 0, upper = 0;
    mb_memory_basic(expected, (size_t)expected_count, &lower, &upper);
    TAP_CHECK(m && r32(m + 4) == 16 && r32(m + 8) == lower && r32(m + 12) == upper,
              "MB2 basic memory information %u/%u KiB", lower, upper);
    const uint8_t *efi = find_tag(info, MB2_TAG_EFI_MMAP, 0);
    TAP_CHECK(efi && r32(efi + 4) == 16 + raw_size && r32(efi + 8) == STRIDE &&
                  r32(efi + 12) == 1 && memcmp(efi + 16, raw, raw_size) == 0,
              "MB2 EFI memory map: stride %u, version 1, the map byte for byte", STRIDE);
}

static void check_v2_fields(const uint8_t *info, const struct mb_info_input *in)
{
    const uint8_t *cmd = find_tag(info, MB2_TAG_CMDLINE, 0);
    TAP_CHECK(cmd && r32(cmd + 4) == 8 + strlen(in->cmdline) + 1 &&
                  strcmp((const char *)cmd + 8, in->cmdline) == 0,
              "MB2 command line tag, sized to the string and its NUL");
    const uint8_t *name = find_tag(info, MB2_TAG_LOADER_NAME, 0);
    TAP_CHECK(name && strcmp((const char *)name + 8, in->loader_name) == 0, "MB2 boot loader name");
    int modules_ok = 1;
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *m = find_tag(info, MB2_TAG_MODULE, i);
        modules_ok &= m && r32(m + 8) == in->modules[i].start &&
                      r32(m + 12) == in->modules[i].end &&
                      strcmp((const char *)m + 16, in->modules[i].string) == 0 &&
                      r32(m + 4) == 16 + strlen(in->modules[i].string) + 1;
    }
    TAP_CHECK(modules_ok, "MB2 three module tags in order, with their strings");
    const uint8_t *fb = find_tag(info, MB2_TAG_FRAMEBUFFER, 0);
    TAP_CHECK(fb && r32(fb + 4) == 38 && r64(fb + 8) == 0xc0000000 && r32(fb + 16) == 4096 &&
                  r32(fb + 20) == 1024 && r32(fb + 24) == 768 && fb[28] == 32 && fb[29] == 1 &&
                  fb[30] == 0 && fb[31] == 0 && fb[32] == 16 && fb[33] == 8 && fb[34] == 8 &&
                  fb[35] == 8 && fb[36] == 0 && fb[37] == 8,
              "MB2 framebuffer tag: 38 bytes, RGB, reserved 0, field positions");
    const uint8_t *old = find_tag(info, MB2_TAG_ACPI_OLD, 0);
    const uint8_t *new = find_tag(info, MB2_TAG_ACPI_NEW, 0);
    TAP_CHECK(old && r32(old + 4) == 28 && memcmp(old + 8, in->rsdp_v1, 20) == 0 &&
                  new &&r32(new + 4) == 44 && memcmp(new + 8, in->rsdp_v2, 36) == 0,
              "MB2 ACPI old (20 bytes) and new (36 bytes) RSDP copies");
}

static void test_v2_width(unsigned bits)
{
    struct mb_info_input in = input(2, bits);
    size_t used = build(&in);
    struct seen s;
    if (!TAP_CHECK(used > 0 && used % 8 == 0 && walk_v2(buffer, used, &s),
                   "MB2 (%u-bit firmware): %zu bytes, tags 8-aligned, end tag last, total_size "
                   "exact",
                   bits, used))
        return;
    static const uint32_t order[] = {1, 2, 3, 3, 3, 4, 6, 8, 12, 14, 15, 17, 20, 21, 0};
    int in_order = s.tags == sizeof order / sizeof order[0];
    for (unsigned i = 0; in_order && i < s.tags; i++) {
        uint32_t want = order[i];
        if (bits == 32 && want == 12)
            want = 11;
        if (bits == 32 && want == 20)
            want = 19;
        in_order = s.order[i] == want;
    }
    TAP_CHECK(in_order, "MB2 (%u-bit): the documented tag order", bits);
    const uint8_t *st = find_tag(buffer, bits == 64 ? MB2_TAG_EFI64 : MB2_TAG_EFI32, 0);
    const uint8_t *ih = find_tag(buffer, bits == 64 ? MB2_TAG_EFI64_IH : MB2_TAG_EFI32_IH, 0);
    if (bits == 64)
        TAP_CHECK(st && r32(st + 4) == 16 && r64(st + 8) == ST_64 && ih && r32(ih + 4) == 16 &&
                      r64(ih + 8) == HANDLE_64,
                  "MB2 64-bit: EFI system table and image handle, 64-bit fields");
    else
        TAP_CHECK(st && r32(st + 4) == 12 && r32(st + 8) == (uint32_t)ST_64 && ih &&
                      r32(ih + 4) == 12 && r32(ih + 8) == (uint32_t)HANDLE_64,
                  "MB2 32-bit: EFI system table and image handle, 32-bit fields");
    const uint8_t *lb = find_tag(buffer, MB2_TAG_LOAD_BASE_ADDR, 0);
    TAP_CHECK(lb && r32(lb + 4) == 12 && r32(lb + 8) == LOAD_BASE, "MB2 load base 0x%x", LOAD_BASE);
    check_v2_fields(buffer, &in);
    check_v2_map(buffer);

    in.relocatable = 0;
    in.has_rsdp_v1 = 0;
    in.framebuffer.format = PAGODA_PIXEL_NONE;
    used = build(&in);
    TAP_CHECK(used > 0 && walk_v2(buffer, used, &s) && s.count[MB2_TAG_LOAD_BASE_ADDR] == 0 &&
                  s.count[MB2_TAG_ACPI_OLD] == 0 && s.count[MB2_TAG_ACPI_NEW] == 1 &&
                  s.count[MB2_TAG_FRAMEBUFFER] == 0,
              "MB2 (%u-bit) without relocation, old RSDP, framebuffer: those tags left out", bits);
}

static void test_limits(void)
{
    struct mb_info_input in = input(2, 64);
    size_t need = mb_info_capacity(&in, raw_size);
    uint8_t *exact = malloc(need);
    TAP_CHECK(mb_info_build(&in, exact, need) > 0, "MB2 fits in exactly mb_info_capacity() bytes");
    TAP_CHECK(mb_info_build(&in, exact, need - 1) == 0, "MB2: one byte less is refused");
    in.buffer_base = BASE + 4;
    TAP_CHECK(mb_info_build(&in, exact, need) == 0, "MB2: a buffer not 8-aligned is refused");
    in.buffer_base = 0xfffff000u;
    TAP_CHECK(mb_info_build(&in, exact, need) == 0, "a buffer running past 4 GiB is refused");
    in = input(3, 64);
    TAP_CHECK(mb_info_build(&in, exact, need) == 0, "version 3 is refused");
    in = input(1, 64);
    in.efi_descriptor_size = 44;
    TAP_CHECK(mb_info_build(&in, exact, need) == 0, "descriptor size 44 is refused");
    free(exact);

    /* The loader sizes the buffer for its map buffer; the final map may be any size up to it. */
    in = input(2, 64);
    size_t room = mb_info_capacity(&in, sizeof raw);
    in.efi_map_size = sizeof raw; /* as full as the map buffer can be */
    exact = malloc(room);
    TAP_CHECK(mb_info_build(&in, exact, room) > 0,
              "a map as large as the map buffer still fits the capacity computed for it");
    free(exact);

    uint8_t position = 0, size = 0;
    mb_mask_field(0x00ff0000, &position, &size);
    TAP_CHECK(position == 16 && size == 8, "mask 0x00ff0000: position 16, size 8");
    mb_mask_field(0x0000f800, &position, &size);
    TAP_CHECK(position == 11 && size == 5, "mask 0x0000f800 (RGB565 red): position 11, size 5");
    mb_mask_field(0, &position, &size);
    TAP_CHECK(position == 0 && size == 0, "mask 0: position 0, size 0");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data/memmaps";
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, "04-lenovo-thinkpad-x1-carbon-gen7-uefi-shell.txt");
    if (!TAP_CHECK(mem_file_parse(path, &file) && file.efi_count > 0, "read %s", path))
        return tap_done();
    raw_size = mem_build_raw_map(file.efi, file.efi_count, STRIDE, raw, sizeof raw);
    expected_count = mb_memory_convert(raw, raw_size, STRIDE, expected, MAX_ENTRIES);
    TAP_CHECK(expected_count > 0, "the ThinkPad map converts to %ld entries", expected_count);
    test_v1();
    test_v2_width(64);
    test_v2_width(32);
    test_limits();
    free(buffer);
    return tap_done();
}
