#include "multiboot_info.h"

#include "multiboot.h"
#include "multiboot_memory.h"
#include "pagoda/efi_memory.h"

#define FOUR_GIB          0x100000000ull
#define MB_EFI_BITS_64    64u
#define TAG_U32_SIZE      12u /* tag header and one u32 */
#define TAG_U64_SIZE      16u /* tag header and one u64 */
#define MEMINFO_TAG_SIZE  16u
#define MMAP_TAG_HEADER   16u /* type, size, entry_size, entry_version */
#define EFI_MMAP_HEADER   16u /* type, size, descriptor_size, descriptor_version */
#define FB_COMMON_SIZE    32u
#define FB_RESERVED_FIELD 30u

struct writer {
    uint8_t *bytes;
    size_t used, capacity;
    uint64_t base; /* physical address of bytes[0] */
};

static size_t align8(size_t value)
{
    return (value + 7) & ~(size_t)7;
}

static size_t text_size(const char *text)
{
    size_t n = 0;
    while (text != NULL && text[n] != '\0')
        n++;
    return n + 1;
}

static void put8(uint8_t *p, uint32_t value)
{
    p[0] = (uint8_t)value;
}

static void put16(uint8_t *p, uint32_t value)
{
    put8(p, value);
    put8(p + 1, value >> 8);
}

static void put32(uint8_t *p, uint32_t value)
{
    put16(p, value);
    put16(p + 2, value >> 16);
}

static void put64(uint8_t *p, uint64_t value)
{
    put32(p, (uint32_t)value);
    put32(p + 4, (uint32_t)(value >> 32));
}

static void copy_bytes(uint8_t *dst, const void *src, size_t size)
{
    const uint8_t *s = src;
    for (size_t i = 0; i < size; i++)
        dst[i] = s[i];
}

static void clear_bytes(uint8_t *dst, size_t size)
{
    for (size_t i = 0; i < size; i++)
        dst[i] = 0;
}

/* Room for SIZE bytes at the current end; the capacity was checked up front. */
static uint8_t *take(struct writer *w, size_t size)
{
    uint8_t *at = w->bytes + w->used;
    clear_bytes(at, size);
    w->used += size;
    return at;
}

static uint32_t address_of(const struct writer *w, const uint8_t *p)
{
    return (uint32_t)(w->base + (uint64_t)(p - w->bytes));
}

static size_t descriptor_count(size_t map_size, size_t descriptor_size)
{
    return descriptor_size >= PAGODA_EFI_DESCRIPTOR_MIN_SIZE ? map_size / descriptor_size : 0;
}

/* The converted map lives at the end of the buffer while the front is written; 8 bytes of slack
 * let it start on an 8-byte boundary whatever the buffer's size. */
static size_t scratch_size(size_t descriptors)
{
    return align8(2 * descriptors * sizeof(struct mb_memory_entry)) + 8;
}

static struct mb_memory_entry *scratch_at(uint8_t *buffer, size_t capacity, size_t descriptors)
{
    uintptr_t start = (uintptr_t)(buffer + capacity - scratch_size(descriptors));
    return (struct mb_memory_entry *)((start + 7) & ~(uintptr_t)7);
}

void mb_mask_field(uint32_t mask, uint8_t *position, uint8_t *size)
{
    uint8_t low = 0, count = 0;
    if (mask != 0)
        while (!(mask & (1u << low)))
            low++;
    for (unsigned bit = 0; bit < 32; bit++)
        count += (mask >> bit) & 1u;
    *position = low;
    *size = count;
}

static int has_framebuffer(const struct mb_info_input *in)
{
    return in->framebuffer.format != PAGODA_PIXEL_NONE;
}

/* Framebuffer fields shared by both versions: address, pitch, size, bpp, type, RGB fields. */
static void put_framebuffer(uint8_t *fields, uint8_t *color_info, const struct mb_info_input *in)
{
    const struct pagoda_framebuffer *fb = &in->framebuffer;
    uint8_t position = 0, size = 0;
    put64(fields, fb->base);
    put32(fields + 8, fb->pitch);
    put32(fields + 12, fb->width);
    put32(fields + 16, fb->height);
    put8(fields + 20, fb->bits_per_pixel);
    put8(fields + 21, MB_FRAMEBUFFER_TYPE_RGB);
    const uint32_t masks[3] = {fb->red_mask, fb->green_mask, fb->blue_mask};
    for (int c = 0; c < 3; c++) {
        mb_mask_field(masks[c], &position, &size);
        put8(color_info + 2 * c, position);
        put8(color_info + 2 * c + 1, size);
    }
}

static size_t capacity_v1(const struct mb_info_input *in, size_t descriptors)
{
    size_t size = align8(MB1_INFO_SIZE) + 2 * descriptors * MB1_MMAP_ENTRY_SIZE +
                  in->module_count * MB1_MODULE_SIZE + text_size(in->cmdline) +
                  text_size(in->loader_name);
    for (unsigned i = 0; i < in->module_count; i++)
        size += text_size(in->modules[i].string);
    return align8(size);
}

static size_t capacity_v2(const struct mb_info_input *in, size_t descriptors, size_t map_capacity)
{
    size_t size = MB2_INFO_HEADER_SIZE + align8(MB2_TAG_HEADER_SIZE + text_size(in->cmdline)) +
                  align8(MB2_TAG_HEADER_SIZE + text_size(in->loader_name)) + MEMINFO_TAG_SIZE +
                  align8(MMAP_TAG_HEADER + 2 * descriptors * MB2_MMAP_ENTRY_SIZE) +
                  align8(MB2_FRAMEBUFFER_TAG_SIZE) + TAG_U64_SIZE +
                  align8(MB2_TAG_HEADER_SIZE + MB_RSDP_V1_SIZE) +
                  align8(MB2_TAG_HEADER_SIZE + MB_RSDP_MAX_SIZE) +
                  align8(EFI_MMAP_HEADER + map_capacity) + TAG_U64_SIZE + align8(TAG_U32_SIZE) +
                  MB2_TAG_HEADER_SIZE;
    for (unsigned i = 0; i < in->module_count; i++)
        size += align8(MB2_MODULE_TAG_HEADER + text_size(in->modules[i].string));
    return size;
}

size_t mb_info_capacity(const struct mb_info_input *in, size_t map_capacity)
{
    size_t descriptors = descriptor_count(map_capacity, in->efi_descriptor_size);
    size_t data = in->version == 1 ? capacity_v1(in, descriptors)
                                   : capacity_v2(in, descriptors, map_capacity);
    return data + scratch_size(descriptors);
}

/* ---- Multiboot 1 ---- */

static uint32_t put_string_v1(struct writer *w, const char *text)
{
    size_t size = text_size(text);
    uint8_t *at = take(w, size);
    copy_bytes(at, text ? text : "", size);
    return address_of(w, at);
}

static void build_v1(const struct mb_info_input *in, struct writer *w,
                     const struct mb_memory_entry *entries, size_t count)
{
    uint8_t *info = take(w, align8(MB1_INFO_SIZE));
    uint32_t flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODULES | MB1_INFO_MEMORY_MAP |
                     MB1_INFO_LOADER_NAME;
    uint32_t lower = 0, upper = 0;

    mb_memory_basic(entries, count, &lower, &upper);
    put32(info + MB1_I_MEM_LOWER, lower);
    put32(info + MB1_I_MEM_UPPER, upper);
    uint8_t *map = take(w, count * MB1_MMAP_ENTRY_SIZE);
    for (size_t i = 0; i < count; i++) {
        uint8_t *e = map + i * MB1_MMAP_ENTRY_SIZE;
        put32(e, MB1_MMAP_ENTRY_BODY);
        put64(e + 4, entries[i].base);
        put64(e + 12, entries[i].length);
        put32(e + 20, entries[i].type);
    }
    put32(info + MB1_I_MMAP_LENGTH, (uint32_t)(count * MB1_MMAP_ENTRY_SIZE));
    put32(info + MB1_I_MMAP_ADDR, address_of(w, map));
    uint8_t *modules = take(w, in->module_count * MB1_MODULE_SIZE);
    put32(info + MB1_I_MODS_COUNT, in->module_count);
    put32(info + MB1_I_MODS_ADDR, address_of(w, modules));
    for (unsigned i = 0; i < in->module_count; i++) {
        uint8_t *m = modules + i * MB1_MODULE_SIZE;
        put32(m, in->modules[i].start);
        put32(m + 4, in->modules[i].end);
        put32(m + 8, put_string_v1(w, in->modules[i].string));
    }
    put32(info + MB1_I_CMDLINE, put_string_v1(w, in->cmdline));
    put32(info + MB1_I_BOOT_LOADER_NAME, put_string_v1(w, in->loader_name));
    if (has_framebuffer(in)) {
        flags |= MB1_INFO_FRAMEBUFFER;
        put_framebuffer(info + MB1_I_FRAMEBUFFER_ADDR, info + MB1_I_COLOR_INFO, in);
    }
    put32(info + MB1_I_FLAGS, flags);
    w->used = align8(w->used);
}

/* ---- Multiboot 2 ---- */

/* A tag of BODY bytes after its 8-byte header, padded to 8; returns its body. */
static uint8_t *put_tag(struct writer *w, uint32_t type, size_t body)
{
    uint8_t *tag = take(w, align8(MB2_TAG_HEADER_SIZE + body));
    put32(tag, type);
    put32(tag + 4, (uint32_t)(MB2_TAG_HEADER_SIZE + body));
    return tag + MB2_TAG_HEADER_SIZE;
}

static void put_string_tag(struct writer *w, uint32_t type, const char *text)
{
    size_t size = text_size(text);
    copy_bytes(put_tag(w, type, size), text ? text : "", size);
}

static void put_memory_tags(struct writer *w, const struct mb_memory_entry *entries, size_t count)
{
    uint32_t lower = 0, upper = 0;
    mb_memory_basic(entries, count, &lower, &upper);
    uint8_t *meminfo = put_tag(w, MB2_TAG_BASIC_MEMINFO, 8);
    put32(meminfo, lower);
    put32(meminfo + 4, upper);

    uint8_t *map = put_tag(w, MB2_TAG_MMAP, 8 + count * MB2_MMAP_ENTRY_SIZE);
    put32(map, MB2_MMAP_ENTRY_SIZE);
    put32(map + 4, 0); /* entry_version */
    for (size_t i = 0; i < count; i++) {
        uint8_t *e = map + 8 + i * MB2_MMAP_ENTRY_SIZE;
        put64(e, entries[i].base);
        put64(e + 8, entries[i].length);
        put32(e + 16, entries[i].type);
    }
}

static void put_firmware_tags(const struct mb_info_input *in, struct writer *w)
{
    int wide = in->firmware_bits == MB_EFI_BITS_64;
    if (has_framebuffer(in)) {
        uint8_t *fb = put_tag(w, MB2_TAG_FRAMEBUFFER, MB2_FRAMEBUFFER_TAG_SIZE - 8);
        put_framebuffer(fb, fb + FB_COMMON_SIZE - MB2_TAG_HEADER_SIZE, in);
        put16(fb + FB_RESERVED_FIELD - MB2_TAG_HEADER_SIZE, 0);
    }
    if (wide)
        put64(put_tag(w, MB2_TAG_EFI64, 8), in->system_table);
    else
        put32(put_tag(w, MB2_TAG_EFI32, 4), (uint32_t)in->system_table);
    if (in->has_rsdp_v1)
        copy_bytes(put_tag(w, MB2_TAG_ACPI_OLD, MB_RSDP_V1_SIZE), in->rsdp_v1, MB_RSDP_V1_SIZE);
    if (in->has_rsdp_v2) {
        uint32_t size = in->rsdp_v2_size <= MB_RSDP_MAX_SIZE ? in->rsdp_v2_size : MB_RSDP_MAX_SIZE;
        copy_bytes(put_tag(w, MB2_TAG_ACPI_NEW, size), in->rsdp_v2, size);
    }
    uint8_t *efi_map = put_tag(w, MB2_TAG_EFI_MMAP, 8 + in->efi_map_size);
    put32(efi_map, (uint32_t)in->efi_descriptor_size);
    put32(efi_map + 4, in->efi_descriptor_version);
    copy_bytes(efi_map + 8, in->efi_map, in->efi_map_size);
    if (wide)
        put64(put_tag(w, MB2_TAG_EFI64_IH, 8), in->image_handle);
    else
        put32(put_tag(w, MB2_TAG_EFI32_IH, 4), (uint32_t)in->image_handle);
}

static void build_v2(const struct mb_info_input *in, struct writer *w,
                     const struct mb_memory_entry *entries, size_t count)
{
    uint8_t *header = take(w, MB2_INFO_HEADER_SIZE);

    put_string_tag(w, MB2_TAG_CMDLINE, in->cmdline);
    put_string_tag(w, MB2_TAG_LOADER_NAME, in->loader_name);
    for (unsigned i = 0; i < in->module_count; i++) {
        const struct mb_info_module *m = &in->modules[i];
        size_t string = text_size(m->string);
        uint8_t *body = put_tag(w, MB2_TAG_MODULE, 8 + string);
        put32(body, m->start);
        put32(body + 4, m->end);
        copy_bytes(body + 8, m->string ? m->string : "", string);
    }
    put_memory_tags(w, entries, count);
    put_firmware_tags(in, w);
    if (in->relocatable)
        put32(put_tag(w, MB2_TAG_LOAD_BASE_ADDR, 4), in->load_base);
    put_tag(w, MB2_TAG_END, 0);
    put32(header, (uint32_t)w->used);
    put32(header + 4, 0);
}

size_t mb_info_build(const struct mb_info_input *in, void *buffer, size_t capacity)
{
    size_t descriptors = descriptor_count(in->efi_map_size, in->efi_descriptor_size);
    size_t needed = mb_info_capacity(in, in->efi_map_size);

    if ((in->version != 1 && in->version != 2) || descriptors * in->efi_descriptor_size == 0 ||
        in->efi_map_size % in->efi_descriptor_size != 0 || buffer == NULL || capacity < needed ||
        in->buffer_base % 8 != 0 || in->buffer_base + capacity > FOUR_GIB)
        return 0;
    struct writer w = {buffer, 0, capacity, in->buffer_base};
    struct mb_memory_entry *entries = scratch_at(buffer, capacity, descriptors);
    long count = mb_memory_convert(in->efi_map, in->efi_map_size, in->efi_descriptor_size, entries,
                                   2 * descriptors);
    if (count < 0)
        return 0;
    if (in->version == 1)
        build_v1(in, &w, entries, (size_t)count);
    else
        build_v2(in, &w, entries, (size_t)count);
    clear_bytes(w.bytes + w.used, capacity - w.used); /* the scratch map, and padding */
    return w.used;
}
