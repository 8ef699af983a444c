/*
 * Unit tests for loader/multiboot_header.c: hand-made Multiboot 1 and 2 files (the a.out-kludge
 * form, whose every field the test controls), one mutation per refusal, and the real files the
 * build makes: the four test kernels and pagoda.elf, which must not look like a Multiboot kernel.
 * Files are copied into buffers of exactly their size so ASan catches any read past the end.
 *
 *   test_mb_header MB1_ELF MB1_AOUT MB2_ELF MB2_AOUT PAGODA_ELF
 */
#include "multiboot.h"
#include "multiboot_header.h"
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX 0x10000

struct file {
    uint8_t bytes[FILE_MAX];
    size_t size;
};

static char why[320];
static struct mb_kernel kernel;

static void put32(struct file *f, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        f->bytes[at + i] = (uint8_t)(v >> (8 * i));
}

static void put16(struct file *f, size_t at, uint32_t v)
{
    f->bytes[at] = (uint8_t)v;
    f->bytes[at + 1] = (uint8_t)(v >> 8);
}

static uint32_t get32(const struct file *f, size_t at)
{
    return (uint32_t)f->bytes[at] | (uint32_t)f->bytes[at + 1] << 8 |
           (uint32_t)f->bytes[at + 2] << 16 | (uint32_t)f->bytes[at + 3] << 24;
}

static enum mb_error parse_bytes(const uint8_t *bytes, size_t size, unsigned version, unsigned bits)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, bytes, size);
    enum mb_error e = mb_header_parse(copy, size, version, bits, &kernel, why, sizeof why);
    free(copy);
    return e;
}

static void expect_bytes(const uint8_t *bytes, size_t size, unsigned version, unsigned bits,
                         enum mb_error want, const char *label)
{
    enum mb_error got = parse_bytes(bytes, size, version, bits);
    TAP_CHECK(got == want, "%s -> %s", label, mb_error_name(want));
    if (got != want)
        tap_diag("  got %s: %s", mb_error_name(got), why);
    else if (want != MB_OK)
        tap_diag("  why: %s", why);
    if (want != MB_OK && want != MB_NOT_FOUND)
        TAP_CHECK(why[0] != '\0' && kernel.image.segment_count == 0,
                  "%s: a reason, and no plan left behind", label);
}

static void expect(const struct file *f, unsigned version, unsigned bits, enum mb_error want,
                   const char *label)
{
    expect_bytes(f->bytes, f->size, version, bits, want, label);
}

static void expect_why(const struct file *f, unsigned version, enum mb_error want, const char *part,
                       const char *label)
{
    expect(f, version, 64, want, label);
    TAP_CHECK(strstr(why, part) != NULL, "%s: the reason says \"%s\"", label, part);
}

/* ---- Multiboot 1, a.out kludge: header at 0x40, [1 MiB, +0x1800) loaded, bss to +0x2000 ---- */

#define V1_AT 0x40u

static void v1_checksum(struct file *f, size_t at)
{
    put32(f, at + 8, (uint32_t) - (get32(f, at) + get32(f, at + 4)));
}

static struct file v1_base(void)
{
    static struct file f;
    memset(&f, 0, sizeof f);
    f.size = 0x2000;
    for (size_t i = 0; i < f.size; i++)
        f.bytes[i] = (uint8_t)(i * 7 + 1);
    put32(&f, V1_AT, MB1_HEADER_MAGIC);
    put32(&f, V1_AT + 4,
          MB1_FLAG_PAGE_ALIGN_MODULES | MB1_FLAG_MEMORY_INFO | MB1_FLAG_ADDRESS_FIELDS);
    put32(&f, V1_AT + 12, 0x100040); /* header_addr */
    put32(&f, V1_AT + 16, 0x100000); /* load_addr */
    put32(&f, V1_AT + 20, 0x101800); /* load_end_addr */
    put32(&f, V1_AT + 24, 0x102000); /* bss_end_addr */
    put32(&f, V1_AT + 28, 0x100100); /* entry_addr */
    v1_checksum(&f, V1_AT);
    return f;
}

static struct file v1_with(size_t field, uint32_t value)
{
    struct file f = v1_base();
    put32(&f, V1_AT + field, value);
    v1_checksum(&f, V1_AT);
    return f;
}

static void test_v1_good(void)
{
    struct file f = v1_base();
    expect(&f, 1, 64, MB_OK, "MB1 a.out kludge");
    const struct elf_segment *s = &kernel.image.segments[0];
    TAP_CHECK(kernel.version == 1 && kernel.header_offset == V1_AT && kernel.address_fields &&
                  kernel.page_align_modules && kernel.wants_memory_info && !kernel.wants_video,
              "MB1: version, offset, flags 0, 1, 16 understood");
    TAP_CHECK(kernel.image.segment_count == 1 && s->file_offset == 0 && s->file_size == 0x1800 &&
                  s->mem_size == 0x2000 && s->paddr == 0x100000,
              "MB1: one range, file [0, 0x1800) to 1 MiB, bss to 0x102000");
    TAP_CHECK(kernel.image.entry_physical == 0x100100 && kernel.image.phys_start == 0x100000 &&
                  kernel.image.phys_end == 0x102000,
              "MB1: entry 0x100100, span [0x100000-0x102000)");

    f = v1_with(20, 0);
    expect(&f, 1, 64, MB_OK, "MB1 load_end_addr 0: the rest of the file");
    TAP_CHECK(kernel.image.segments[0].file_size == 0x2000 &&
                  kernel.image.segments[0].mem_size == 0x2000,
              "MB1: load_end 0 loads all 0x2000 bytes");
    f = v1_with(24, 0);
    expect(&f, 1, 64, MB_OK, "MB1 bss_end_addr 0: no bss");
    TAP_CHECK(kernel.image.phys_end == 0x101800, "MB1: no bss, span ends at load_end");

    f = v1_base();
    put32(&f, V1_AT + 4, get32(&f, V1_AT + 4) | MB1_FLAG_VIDEO_MODE | 0x00100000u);
    put32(&f, V1_AT + 32, MB1_MODE_EGA_TEXT);
    put32(&f, V1_AT + 36, 80);
    put32(&f, V1_AT + 40, 25);
    v1_checksum(&f, V1_AT);
    expect(&f, 1, 64, MB_OK, "MB1 video fields and an optional bit 20");
    TAP_CHECK(kernel.wants_video && kernel.video_mode_type == MB1_MODE_EGA_TEXT &&
                  kernel.video_width == 80 && kernel.video_height == 25 &&
                  kernel.header_size == MB1_HEADER_VIDEO_SIZE,
              "MB1: video request recorded (EGA 80x25), header 48 bytes");

    f = v1_base();
    put32(&f, V1_AT + 4, MB1_FLAG_ADDRESS_FIELDS);
    v1_checksum(&f, V1_AT);
    put32(&f, 0x100, MB1_HEADER_MAGIC); /* a second header later: the first one counts */
    expect(&f, 1, 64, MB_OK, "MB1: the first header found is used");
    TAP_CHECK(kernel.header_offset == V1_AT, "MB1: header at 0x40, not 0x100");
}

static void test_v1_search(void)
{
    struct file f = v1_base();
    put32(&f, V1_AT + 8, get32(&f, V1_AT + 8) + 1);
    expect_why(&f, 1, MB_BAD_CHECKSUM, "bad checksum", "MB1 checksum off by one");

    static struct file moved;
    moved = v1_base();
    memmove(moved.bytes + V1_AT + 2, moved.bytes + V1_AT, 32);
    memset(moved.bytes + V1_AT, 0, 2);
    expect_why(&moved, 1, MB_MISALIGNED, "not 4-byte aligned", "MB1 header at 0x42");

    static struct file far;
    memset(&far, 0, sizeof far);
    far.size = 0x3000;
    put32(&far, 0x2000, MB1_HEADER_MAGIC);
    put32(&far, 0x2004, 0);
    v1_checksum(&far, 0x2000);
    expect_why(&far, 1, MB_BEYOND_SEARCH, "past the first 8192 bytes", "MB1 header at 8 KiB");

    static struct file none;
    memset(&none, 0x11, sizeof none);
    none.size = 0x4000;
    expect(&none, 1, 64, MB_NOT_FOUND, "MB1: no magic anywhere");
    none.size = 0;
    expect(&none, 1, 64, MB_NOT_FOUND, "MB1: empty file");
    TAP_CHECK(mb_header_parse(NULL, 100, 1, 64, &kernel, why, sizeof why) == MB_NOT_FOUND,
              "MB1: no file at all");
    TAP_CHECK(mb_header_parse(none.bytes, 16, 3, 64, &kernel, NULL, 0) == MB_NOT_FOUND,
              "Multiboot version 3 does not exist");

    f = v1_base();
    f.size = V1_AT + 20; /* the address fields cut off */
    expect_why(&f, 1, MB_HEADER_TRUNCATED, "end of the file", "MB1 header cut by the file's end");
    static struct file edge;
    memset(&edge, 0, sizeof edge);
    edge.size = 0x3000;
    put32(&edge, 0x1ff0, MB1_HEADER_MAGIC);
    put32(&edge, 0x1ff4, MB1_FLAG_ADDRESS_FIELDS);
    v1_checksum(&edge, 0x1ff0);
    expect_why(&edge, 1, MB_HEADER_TRUNCATED, "first 8192 bytes", "MB1 address fields past 8 KiB");
}

static void test_v1_refusals(void)
{
    struct file f = v1_with(4, MB1_FLAG_ADDRESS_FIELDS | 0x20);
    expect_why(&f, 1, MB_UNSUPPORTED_FLAGS, "require bit 5", "MB1 required flag bit 5");
    f = v1_with(16, 0x100080);
    expect_why(&f, 1, MB_BAD_LOAD_ADDRESS, "above header_addr", "MB1 load_addr above the header");
    f = v1_with(16, 0x0fff00);
    expect_why(&f, 1, MB_BAD_LOAD_ADDRESS, "only 0x40 bytes into the file",
               "MB1 load_addr before the file's start");
    f = v1_with(20, 0x100000);
    expect(&f, 1, 64, MB_BAD_LOAD_END, "MB1 load_end_addr equal to load_addr");
    f = v1_with(20, 0x103000);
    expect_why(&f, 1, MB_LOAD_PAST_FILE, "past the end of the 8192-byte file",
               "MB1 load range past the file");
    f = v1_with(20, 0x100020);
    expect(&f, 1, 64, MB_HEADER_NOT_LOADED, "MB1 load range ends before the header");
    f = v1_with(24, 0x101000);
    expect_why(&f, 1, MB_BAD_BSS, "below the end", "MB1 bss_end below load_end");
    f = v1_base();
    put32(&f, V1_AT + 12, 0xfffff040);
    put32(&f, V1_AT + 16, 0xfffff000);
    put32(&f, V1_AT + 20, 0);
    put32(&f, V1_AT + 24, 0);
    put32(&f, V1_AT + 28, 0xfffff100);
    v1_checksum(&f, V1_AT);
    expect_why(&f, 1, MB_PAST_4G, "above 4 GiB", "MB1 loaded range past 4 GiB");
    f = v1_base();
    put32(&f, V1_AT + 12, 0x40);
    put32(&f, V1_AT + 16, 0);
    put32(&f, V1_AT + 20, 0x1800);
    put32(&f, V1_AT + 24, 0x2000);
    put32(&f, V1_AT + 28, 0x100);
    v1_checksum(&f, V1_AT);
    expect(&f, 1, 64, MB_NULL_PAGE, "MB1 loaded at address 0");
    f = v1_with(28, 0x200000);
    expect_why(&f, 1, MB_ENTRY_OUTSIDE, "outside the loaded range", "MB1 entry past the image");
    f = v1_with(28, 0x101900);
    expect_why(&f, 1, MB_ENTRY_OUTSIDE, "in the bss", "MB1 entry in the bss");
    f = v1_with(4, MB1_FLAG_MEMORY_INFO);
    expect_why(&f, 1, MB_ELF, "must be an ELF file", "MB1 without address fields, not ELF");
    TAP_CHECK(kernel.elf_error == ELF_CHECK_BAD_MAGIC, "MB1: the ELF error is kept (%s)",
              elf_check_error_name(kernel.elf_error));
}

/* ---- Multiboot 2, address tag: header at 0x80, [2 MiB, +file) loaded, bss to +0x4000 ---- */

#define V2_AT 0x80u

struct tags {
    struct file *f;
    size_t at;
};

static void v2_close(struct file *f, size_t end)
{
    put32(f, V2_AT, MB2_HEADER_MAGIC);
    put32(f, V2_AT + 8, (uint32_t)(end - V2_AT));
    put32(f, V2_AT + 12,
          (uint32_t) - (get32(f, V2_AT) + get32(f, V2_AT + 4) + get32(f, V2_AT + 8)));
}

static void tag(struct tags *t, uint32_t type, uint32_t flags, uint32_t size, const uint32_t *words,
                unsigned count)
{
    put16(t->f, t->at, type);
    put16(t->f, t->at + 2, flags);
    put32(t->f, t->at + 4, size);
    for (unsigned i = 0; i < count; i++)
        put32(t->f, t->at + 8 + 4 * i, words[i]);
    t->at += (size + 7) & ~7u;
}

static struct tags v2_start(struct file *f)
{
    memset(f, 0, sizeof *f);
    f->size = 0x3000;
    for (size_t i = V2_AT + 0x200; i < f->size; i++)
        f->bytes[i] = (uint8_t)(i * 5 + 3);
    return (struct tags){f, V2_AT + MB2_HEADER_SIZE};
}

static void v2_kludge_tags(struct tags *t)
{
    const uint32_t address[] = {0x200080, 0x200000, 0, 0x204000}, entry[] = {0x200300};
    tag(t, MB2_HTAG_ADDRESS, 0, 24, address, 4);
    tag(t, MB2_HTAG_ENTRY_ADDRESS, 0, 12, entry, 1);
}

static void v2_finish(struct tags *t)
{
    tag(t, MB2_HTAG_END, 0, 8, NULL, 0);
    v2_close(t->f, t->at);
}

static struct file *v2_base(void)
{
    static struct file f;
    struct tags t = v2_start(&f);
    v2_kludge_tags(&t);
    v2_finish(&t);
    return &f;
}

/* The base tags plus one extra tag before the end. */
static struct file *v2_plus(uint32_t type, uint32_t flags, uint32_t size, const uint32_t *words,
                            unsigned count)
{
    static struct file f;
    struct tags t = v2_start(&f);
    v2_kludge_tags(&t);
    tag(&t, type, flags, size, words, count);
    v2_finish(&t);
    return &f;
}

static struct file *v2_request(uint32_t flags, uint32_t type)
{
    const uint32_t words[] = {MB2_TAG_CMDLINE, type};
    return v2_plus(MB2_HTAG_INFORMATION_REQUEST, flags, 16, words, 2);
}

static void test_v2_good(void)
{
    struct file *f = v2_base();
    expect(f, 2, 64, MB_OK, "MB2 address + entry tags");
    const struct elf_segment *s = &kernel.image.segments[0];
    TAP_CHECK(kernel.address_fields && kernel.has_entry_address && kernel.header_offset == V2_AT &&
                  s->file_offset == 0 && s->file_size == 0x3000 && s->mem_size == 0x4000 &&
                  s->paddr == 0x200000 && kernel.image.entry_physical == 0x200300,
              "MB2: whole file to 2 MiB, bss to 0x204000, entry 0x200300");

    const uint32_t fb[] = {1024, 768, 32},
                   console[] = {MB2_CONSOLE_REQUIRED | MB2_CONSOLE_EGA_TEXT};
    f = v2_plus(MB2_HTAG_FRAMEBUFFER, 0, 20, fb, 3);
    expect(f, 2, 64, MB_OK, "MB2 framebuffer tag");
    TAP_CHECK(kernel.wants_video && kernel.video_width == 1024 && kernel.video_height == 768 &&
                  kernel.video_depth == 32,
              "MB2: framebuffer preference recorded");
    f = v2_plus(MB2_HTAG_CONSOLE_FLAGS, 0, 12, console, 1);
    expect(f, 2, 64, MB_OK, "MB2 console flags");
    TAP_CHECK(kernel.console_required && kernel.ega_text_supported,
              "MB2: console required, EGA text supported");
    f = v2_plus(MB2_HTAG_MODULE_ALIGN, 0, 8, NULL, 0);
    expect(f, 2, 64, MB_OK, "MB2 module alignment tag");
    TAP_CHECK(kernel.page_align_modules, "MB2: modules page-aligned");
    f = v2_plus(MB2_HTAG_EFI_BOOT_SERVICES, MB2_TAG_FLAG_OPTIONAL, 8, NULL, 0);
    expect(f, 2, 64, MB_OK, "MB2 optional EFI boot services tag");
    TAP_CHECK(kernel.efi_boot_services_optional, "MB2: noted as ignored");
    const uint32_t efi_entry[] = {0x200400};
    f = v2_plus(MB2_HTAG_EFI_AMD64_ENTRY, 0, 12, efi_entry, 1);
    expect(f, 2, 64, MB_OK, "MB2 EFI amd64 entry tag");
    TAP_CHECK(kernel.has_efi_amd64_entry && kernel.efi_amd64_entry == 0x200400 &&
                  kernel.image.entry_physical == 0x200300,
              "MB2: the EFI entry is recorded, not used");
    f = v2_plus(42, MB2_TAG_FLAG_OPTIONAL, 12, efi_entry, 1);
    expect(f, 2, 64, MB_OK, "MB2 unknown optional tag 42 ignored");

    f = v2_request(0, MB2_TAG_MMAP);
    expect(f, 2, 64, MB_OK, "MB2 required request for the memory map");
    TAP_CHECK(kernel.required_request_count == 2, "MB2: two required requests counted");
    f = v2_request(MB2_TAG_FLAG_OPTIONAL, MB2_TAG_VBE);
    expect(f, 2, 64, MB_OK, "MB2 optional request for VBE information");
    f = v2_request(0, MB2_TAG_EFI64);
    expect(f, 2, 64, MB_OK, "MB2 required EFI 64-bit system table on 64-bit firmware");
    f = v2_request(0, MB2_TAG_EFI32_IH);
    expect(f, 2, 32, MB_OK, "MB2 required EFI 32-bit image handle on 32-bit firmware");
    f = v2_request(0, MB2_TAG_FRAMEBUFFER);
    expect(f, 2, 64, MB_OK, "MB2 required framebuffer request");
    TAP_CHECK(kernel.requires_framebuffer && !kernel.requires_acpi_old,
              "MB2: the framebuffer is recorded as required");

    static struct file start;
    struct tags t = v2_start(&start);
    const uint32_t address[] = {0x200080, 0xffffffffu, 0, 0}, entry[] = {0x200300};
    tag(&t, MB2_HTAG_ADDRESS, 0, 24, address, 4);
    tag(&t, MB2_HTAG_ENTRY_ADDRESS, 0, 12, entry, 1);
    v2_finish(&t);
    expect(&start, 2, 64, MB_OK, "MB2 load_addr -1: from the file's start");
    TAP_CHECK(kernel.image.segments[0].paddr == 0x200000 &&
                  kernel.image.segments[0].file_offset == 0,
              "MB2: load_addr -1 puts file offset 0 at header_addr - 0x80");
}

static void test_v2_search(void)
{
    struct file *f = v2_base();
    put32(f, V2_AT + 12, get32(f, V2_AT + 12) ^ 1);
    expect_why(f, 2, MB_BAD_CHECKSUM, "bad checksum", "MB2 checksum");

    static struct file moved;
    moved = *v2_base();
    memmove(moved.bytes + V2_AT + 4, moved.bytes + V2_AT, 0x40);
    memset(moved.bytes + V2_AT, 0, 4);
    expect_why(&moved, 2, MB_MISALIGNED, "not 8-byte aligned", "MB2 header at 0x84");

    static struct file far;
    memset(&far, 0, sizeof far);
    far.size = 0x9000;
    put32(&far, 0x8000, MB2_HEADER_MAGIC);
    put32(&far, 0x8008, 24);
    put32(&far, 0x800c, (uint32_t) - (MB2_HEADER_MAGIC + 24));
    expect_why(&far, 2, MB_BEYOND_SEARCH, "past the first 32768 bytes", "MB2 header at 32 KiB");

    f = v2_base();
    put32(f, V2_AT + 4, MB2_ARCH_MIPS32);
    v2_close(f, V2_AT + get32(f, V2_AT + 8));
    expect_why(f, 2, MB_BAD_ARCHITECTURE, "MIPS32", "MB2 architecture MIPS32");
    f = v2_base();
    v2_close(f, V2_AT + 16);
    expect(f, 2, 64, MB_BAD_HEADER_LENGTH, "MB2 header_length 16");
    f = v2_base();
    v2_close(f, 0x3008);
    expect_why(f, 2, MB_HEADER_TRUNCATED, "end of the file", "MB2 header_length past the file");
    expect(v2_base(), 1, 64, MB_NOT_FOUND, "an MB2 file has no MB1 header");
}

static void test_v2_refusals(void)
{
    const uint32_t word[] = {0x200100};
    expect_why(v2_plus(42, 0, 12, word, 1), 2, MB_TAG_UNKNOWN, "type 42",
               "MB2 unknown required tag 42");
    expect_why(v2_plus(MB2_HTAG_ADDRESS, 0, 20, word, 1), 2, MB_TAG_BAD_SIZE, "expected 24",
               "MB2 address tag of 20 bytes");
    expect(v2_plus(MB2_HTAG_INFORMATION_REQUEST, 0, 10, word, 1), 2, 64, MB_TAG_BAD_SIZE,
           "MB2 request tag of 10 bytes");
    expect_why(v2_plus(MB2_HTAG_MODULE_ALIGN, 0, 4, NULL, 0), 2, MB_TAG_BAD_SIZE,
               "less than its own 8-byte header", "MB2 tag of 4 bytes");
    const uint32_t address[] = {0x200080, 0x200000, 0, 0};
    expect_why(v2_plus(MB2_HTAG_ADDRESS, 0, 24, address, 4), 2, MB_TAG_DUPLICATE, "twice",
               "MB2 two address tags");

    static struct file f;
    struct tags t = v2_start(&f);
    v2_kludge_tags(&t);
    put16(&f, t.at, MB2_HTAG_FRAMEBUFFER);
    put32(&f, t.at + 4, 0x200);
    v2_close(&f, t.at + 16);
    expect_why(&f, 2, MB_TAG_PAST_HEADER, "runs past the end", "MB2 tag past header_length");
    t = v2_start(&f);
    v2_kludge_tags(&t);
    v2_close(&f, t.at);
    expect_why(&f, 2, MB_NO_END_TAG, "without an end tag", "MB2 without an end tag");

    expect_why(v2_request(0, MB2_TAG_VBE), 2, MB_REQUEST_UNSUPPORTED, "type 7 (VBE information)",
               "MB2 required request for VBE information");
    expect_why(v2_request(0, 99), 2, MB_REQUEST_UNSUPPORTED, "type 99", "MB2 request type 99");
    expect(v2_request(0, MB2_TAG_EFI64), 2, 32, MB_REQUEST_UNSUPPORTED,
           "MB2 EFI 64-bit system table on 32-bit firmware");
    TAP_CHECK(strstr(why, "only 64-bit UEFI firmware") != NULL, "  ... says which width has it");
    expect(v2_request(0, MB2_TAG_EFI32), 2, 64, MB_REQUEST_UNSUPPORTED,
           "MB2 EFI 32-bit system table on 64-bit firmware");
    expect_why(v2_request(0, MB2_TAG_LOAD_BASE_ADDR), 2, MB_REQUEST_UNSUPPORTED, "relocatable",
               "MB2 load base requested by a kernel that is not relocatable");
    expect_why(v2_plus(MB2_HTAG_EFI_BOOT_SERVICES, 0, 8, NULL, 0), 2, MB_EFI_BOOT_SERVICES,
               "always leaves boot services", "MB2 required EFI boot services tag");

    t = v2_start(&f);
    tag(&t, MB2_HTAG_ADDRESS, 0, 24, address, 4);
    v2_finish(&t);
    expect_why(&f, 2, MB_ADDRESS_WITHOUT_ENTRY, "entry address tag",
               "MB2 address tag without entry tag");
    t = v2_start(&f);
    const uint32_t low[] = {0x40, 0xffffffffu, 0, 0}, entry[] = {0x100};
    tag(&t, MB2_HTAG_ADDRESS, 0, 24, low, 4);
    tag(&t, MB2_HTAG_ENTRY_ADDRESS, 0, 12, entry, 1);
    v2_finish(&t);
    expect_why(&f, 2, MB_BAD_LOAD_ADDRESS, "below address 0",
               "MB2 load_addr -1 with header_addr below the header's offset");
    t = v2_start(&f);
    const uint32_t high[] = {0xffffe080, 0xffffe000, 0, 0}, far_entry[] = {0xffffe100};
    tag(&t, MB2_HTAG_ADDRESS, 0, 24, high, 4);
    tag(&t, MB2_HTAG_ENTRY_ADDRESS, 0, 12, far_entry, 1);
    v2_finish(&t);
    expect_why(&f, 2, MB_PAST_4G, "above 4 GiB", "MB2 bss-less image running past 4 GiB");
}

static void test_v2_relocatable(void)
{
    const uint32_t good[] = {0x1000000, 0x40000000, 0x1000, MB2_PREFERENCE_HIGHEST};
    struct file *f = v2_plus(MB2_HTAG_RELOCATABLE, 0, 24, good, 4);
    expect(f, 2, 64, MB_OK, "MB2 relocatable tag");
    TAP_CHECK(kernel.relocatable && kernel.min_addr == 0x1000000 && kernel.max_addr == 0x40000000 &&
                  kernel.align == 0x1000 && kernel.preference == MB2_PREFERENCE_HIGHEST,
              "MB2: relocatable fields recorded");
    const uint32_t odd[] = {0x1000000, 0x40000000, 0x3000, 0};
    expect_why(v2_plus(MB2_HTAG_RELOCATABLE, 0, 24, odd, 4), 2, MB_BAD_RELOCATABLE,
               "not a power of two", "MB2 relocatable align 0x3000");
    const uint32_t crossed[] = {0x40000000, 0x1000000, 0x1000, 0};
    expect(v2_plus(MB2_HTAG_RELOCATABLE, 0, 24, crossed, 4), 2, 64, MB_BAD_RELOCATABLE,
           "MB2 relocatable min above max");
    const uint32_t small[] = {0x1000000, 0x1002000, 0x1000, 0}; /* the image is 0x4000 */
    expect_why(v2_plus(MB2_HTAG_RELOCATABLE, 0, 24, small, 4), 2, MB_BAD_RELOCATABLE, "cannot fit",
               "MB2 relocatable window smaller than the image");
    const uint32_t words[] = {MB2_TAG_LOAD_BASE_ADDR};
    static struct file both;
    struct tags t = v2_start(&both);
    v2_kludge_tags(&t);
    tag(&t, MB2_HTAG_INFORMATION_REQUEST, 0, 12, words, 1);
    tag(&t, MB2_HTAG_RELOCATABLE, 0, 24, good, 4);
    v2_finish(&t);
    expect(&both, 2, 64, MB_OK, "MB2 load base requested before the relocatable tag");
}

static void test_available(void)
{
    struct mb_kernel k = {0};
    struct mb_available all = {1, 1, 1}, none = {0, 0, 0};
    TAP_CHECK(mb_check_available(&k, &none, why, sizeof why) == MB_OK,
              "nothing required: boots without framebuffer or ACPI");
    k.requires_acpi_old = 1;
    TAP_CHECK(mb_check_available(&k, &all, why, sizeof why) == MB_OK &&
                  mb_check_available(&k, &none, why, sizeof why) == MB_REQUEST_UNAVAILABLE &&
                  strstr(why, "type 14") != NULL,
              "ACPI old RSDP required: refused without one (%s)", why);
    k = (struct mb_kernel){.requires_acpi_new = 1};
    TAP_CHECK(mb_check_available(&k, &none, why, sizeof why) == MB_REQUEST_UNAVAILABLE &&
                  strstr(why, "type 15") != NULL,
              "ACPI new RSDP required: refused without one");
    k = (struct mb_kernel){.requires_framebuffer = 1};
    TAP_CHECK(mb_check_available(&k, &none, why, sizeof why) == MB_REQUEST_UNAVAILABLE,
              "framebuffer required: refused without a GOP framebuffer");
    k = (struct mb_kernel){.console_required = 1, .ega_text_supported = 1};
    TAP_CHECK(mb_check_available(&k, &all, why, sizeof why) == MB_CONSOLE_UNAVAILABLE &&
                  strstr(why, "EGA text") != NULL,
              "console required, EGA text only: refused on UEFI (%s)", why);
    k.wants_video = 1;
    TAP_CHECK(mb_check_available(&k, &all, why, sizeof why) == MB_OK &&
                  mb_check_available(&k, &none, why, sizeof why) == MB_CONSOLE_UNAVAILABLE,
              "console required with a framebuffer tag: needs the GOP framebuffer");
}

/* The real files are larger than the hand-made ones. */
struct big_file {
    uint8_t bytes[1 << 20];
    size_t size;
};

static int read_file(const char *path, struct big_file *f)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return 0;
    f->size = fread(f->bytes, 1, sizeof(f->bytes), in);
    int whole = feof(in) || fgetc(in) == EOF;
    fclose(in);
    return whole;
}

static void expect_file(const struct big_file *f, unsigned version, unsigned bits,
                        enum mb_error want, const char *label)
{
    expect_bytes(f->bytes, f->size, version, bits, want, label);
}

static void test_real_files(char **paths)
{
    static struct big_file f;
    if (!TAP_CHECK(read_file(paths[0], &f), "read %s", paths[0]))
        return;
    expect_file(&f, 1, 64, MB_OK, "mb1.elf (test kernel, ELF)");
    struct elf_image direct;
    TAP_CHECK(elf_check(f.bytes, f.size, &elf_rules_kernel, &direct, NULL, 0) == ELF_CHECK_OK &&
                  memcmp(&direct, &kernel.image, sizeof direct) == 0,
              "mb1.elf: the plan is exactly elf_check's");
    TAP_CHECK(kernel.wants_video && kernel.video_width == 800 && kernel.page_align_modules,
              "mb1.elf: flags 0, 1, 2 with 800x600");
    expect_file(&f, 2, 64, MB_NOT_FOUND, "mb1.elf has no MB2 header");

    if (TAP_CHECK(read_file(paths[1], &f), "read %s", paths[1]))
        expect_file(&f, 1, 64, MB_OK, "mb1-aout.bin (test kernel, address fields)");
    TAP_CHECK(kernel.address_fields && kernel.image.phys_start == 0x300000,
              "mb1-aout.bin: loaded at 0x300000 by its address fields");

    if (TAP_CHECK(read_file(paths[2], &f), "read %s", paths[2])) {
        expect_file(&f, 2, 64, MB_OK, "mb2.elf (test kernel, relocatable ELF)");
        TAP_CHECK(kernel.relocatable && kernel.has_entry_address && kernel.console_required &&
                      kernel.requires_framebuffer && kernel.efi_boot_services_optional &&
                      kernel.has_efi_amd64_entry && kernel.page_align_modules,
                  "mb2.elf: relocatable, entry tag, console, framebuffer, EFI tags");
        TAP_CHECK(kernel.image.entry_physical == kernel.entry_address,
                  "mb2.elf: the entry tag replaces e_entry");
        expect_file(&f, 2, 32, MB_OK, "mb2.elf on 32-bit firmware (its EFI requests are optional)");
        /* The entry tag is the last tag before the end tag. */
        size_t header_end = kernel.header_offset + kernel.header_size;
        for (int i = 0; i < 4; i++)
            f.bytes[header_end - 16 + i] = (uint8_t)(0x12345678u >> (8 * i));
        expect_file(&f, 2, 64, MB_ENTRY_OUTSIDE, "mb2.elf with its entry tag moved outside");
        TAP_CHECK(strstr(why, "entry address tag 0x12345678") != NULL,
                  "  ... the reason names the tag's value");
    }
    if (TAP_CHECK(read_file(paths[3], &f), "read %s", paths[3]))
        expect_file(&f, 2, 64, MB_OK, "mb2-aout.bin (test kernel, address tag)");
    if (TAP_CHECK(read_file(paths[4], &f), "read %s", paths[4])) {
        expect_file(&f, 1, 64, MB_NOT_FOUND, "pagoda.elf has no Multiboot 1 header");
        expect_file(&f, 2, 64, MB_NOT_FOUND, "pagoda.elf has no Multiboot 2 header");
    }
}

static void test_names(void)
{
    int distinct = 1;
    for (int a = 0; a < MB_ERROR_COUNT; a++)
        for (int b = 0; b < a; b++)
            if (strcmp(mb_error_name((enum mb_error)a), mb_error_name((enum mb_error)b)) == 0 ||
                strcmp(mb_error_name((enum mb_error)a), "MB_?") == 0)
                distinct = 0;
    TAP_CHECK(distinct && strcmp(mb_error_name(MB_ERROR_COUNT), "MB_?") == 0,
              "every error has its own name, MB_? out of range");
    TAP_CHECK(strcmp(mb2_tag_name(MB2_TAG_ACPI_OLD), "ACPI old RSDP") == 0 &&
                  strcmp(mb2_tag_name(99), "unknown") == 0,
              "tag names from the specification");
}

int main(int argc, char **argv)
{
    test_v1_good();
    test_v1_search();
    test_v1_refusals();
    test_v2_good();
    test_v2_search();
    test_v2_refusals();
    test_v2_relocatable();
    test_available();
    if (argc == 6)
        test_real_files(argv + 1);
    else
        TAP_CHECK(0, "usage: test_mb_header MB1_ELF MB1_AOUT MB2_ELF MB2_AOUT PAGODA_ELF");
    test_names();
    return tap_done();
}
