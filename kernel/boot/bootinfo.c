#include "bootinfo.h"
#include "pagoda/page.h"

#include "fmt.h"
#include "rawmap.h"
#include "phys.h"

struct check {
    char *why;
    size_t why_size;
    uint64_t limit;
};

__attribute__((format(printf, 2, 3))) static bool fail(struct check *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pg_vsnprintf(c->why, c->why_size, fmt, ap);
    va_end(ap);
    return false;
}

/* [base, base+size) does not wrap and ends at or below the limit. */
static bool reachable(const struct check *c, uint64_t base, uint64_t size)
{
    return base <= c->limit && size <= c->limit - base;
}

static bool check_header(struct check *c, const struct pagoda_boot_info *info)
{
    if (info->magic != PAGODA_BOOT_MAGIC)
        return fail(c, "magic 0x%08x is not 0x%08x (\"PGDA\")", info->magic, PAGODA_BOOT_MAGIC);
    if (info->version != PAGODA_BOOT_INFO_VERSION)
        return fail(c, "version %u, this kernel speaks version %u", info->version,
                    PAGODA_BOOT_INFO_VERSION);
    if (info->size < sizeof(*info))
        return fail(c, "size %u is smaller than the %u bytes of version %u", info->size,
                    (unsigned)sizeof(*info), PAGODA_BOOT_INFO_VERSION);
    if (info->firmware_kind != PAGODA_FIRMWARE_UEFI_X64 &&
        info->firmware_kind != PAGODA_FIRMWARE_UEFI_IA32)
        return fail(c, "firmware_kind %u is unknown", info->firmware_kind);
    size_t vendor_len = 0;
    while (vendor_len < PAGODA_FIRMWARE_NAME_LEN && info->firmware_vendor[vendor_len])
        vendor_len++;
    if (vendor_len == PAGODA_FIRMWARE_NAME_LEN)
        return fail(c, "firmware_vendor is not NUL-terminated");
    return true;
}

static bool check_descriptors(struct check *c, const struct pagoda_boot_info *info)
{
    struct rawmap view = rawmap_of(info);
    for (size_t i = 0; i < view.count; i++) {
        const struct pagoda_efi_memory_descriptor *d = rawmap_at(&view, i);
        if (d->physical_start % PAGODA_PAGE_SIZE != 0)
            return fail(c, "memory map: entry %u starts at 0x%llx, not on a 4 KiB page",
                        (unsigned)i, (unsigned long long)d->physical_start);
        if (rawmap_desc_end(d) == UINT64_MAX)
            return fail(c, "memory map: entry %u (0x%llx, %llu pages) runs past 2^64", (unsigned)i,
                        (unsigned long long)d->physical_start,
                        (unsigned long long)d->number_of_pages);
    }
    return true;
}

static bool check_memory_map(struct check *c, const struct pagoda_boot_info *info)
{
    if (info->descriptor_size < BOOTINFO_MIN_DESCRIPTOR_SIZE || info->descriptor_size % 8 != 0)
        return fail(c, "memory map: descriptor_size %u (must be >= %u and a multiple of 8)",
                    info->descriptor_size, BOOTINFO_MIN_DESCRIPTOR_SIZE);
    if (info->memory_map_size == 0)
        return fail(c, "memory map: empty");
    if (info->memory_map_size % info->descriptor_size != 0)
        return fail(c, "memory map: size %llu is not a multiple of descriptor_size %u",
                    (unsigned long long)info->memory_map_size, info->descriptor_size);
    if (info->memory_map_size / info->descriptor_size > BOOTINFO_MAX_DESCRIPTORS)
        return fail(c, "memory map: %llu descriptors is more than the %u allowed",
                    (unsigned long long)(info->memory_map_size / info->descriptor_size),
                    BOOTINFO_MAX_DESCRIPTORS);
    if (info->memory_map == 0 || info->memory_map % 8 != 0)
        return fail(c, "memory map: address 0x%llx is null or not 8-byte aligned",
                    (unsigned long long)info->memory_map);
    if (!reachable(c, info->memory_map, info->memory_map_size))
        return fail(c, "memory map: 0x%llx + %llu bytes is not reachable",
                    (unsigned long long)info->memory_map,
                    (unsigned long long)info->memory_map_size);
    return check_descriptors(c, info);
}

static bool check_cmdline(struct check *c, const struct pagoda_boot_info *info)
{
    if (info->cmdline == 0)
        return info->cmdline_size == 0
                   ? true
                   : fail(c, "cmdline: null address with size %u", info->cmdline_size);
    if (info->cmdline_size > BOOTINFO_MAX_CMDLINE)
        return fail(c, "cmdline: %u bytes is more than the %u allowed", info->cmdline_size,
                    BOOTINFO_MAX_CMDLINE);
    if (!reachable(c, info->cmdline, (uint64_t)info->cmdline_size + 1))
        return fail(c, "cmdline: 0x%llx is not reachable", (unsigned long long)info->cmdline);
    const char *text = phys_to_ptr(info->cmdline);
    for (uint32_t i = 0; i < info->cmdline_size; i++) {
        if (text[i] == '\0')
            return fail(c, "cmdline: NUL at byte %u but cmdline_size says %u", i,
                        info->cmdline_size);
    }
    if (text[info->cmdline_size] != '\0')
        return fail(c, "cmdline: no NUL after its %u bytes", info->cmdline_size);
    return true;
}

static bool check_framebuffer(struct check *c, const struct pagoda_framebuffer *fb)
{
    if (fb->format > PAGODA_PIXEL_BITMASK)
        return fail(c, "framebuffer: pixel format %u is unknown", fb->format);
    if (fb->format == PAGODA_PIXEL_NONE)
        return true;
    if (fb->width == 0 || fb->height == 0 || fb->bits_per_pixel == 0 || fb->bits_per_pixel > 32)
        return fail(c, "framebuffer: %ux%u at %u bits per pixel", fb->width, fb->height,
                    fb->bits_per_pixel);
    if ((uint64_t)fb->pitch * 8 < (uint64_t)fb->width * fb->bits_per_pixel)
        return fail(c, "framebuffer: pitch %u bytes is shorter than a %u-pixel line", fb->pitch,
                    fb->width);
    if (fb->size < (uint64_t)fb->pitch * fb->height)
        return fail(c, "framebuffer: size %llu bytes is less than pitch %u x height %u",
                    (unsigned long long)fb->size, fb->pitch, fb->height);
    if (fb->base == 0 || fb->size > UINT64_MAX - fb->base)
        return fail(c, "framebuffer: base 0x%llx size %llu wraps or is null",
                    (unsigned long long)fb->base, (unsigned long long)fb->size);
    return true;
}

static bool check_ranges(struct check *c, const struct pagoda_boot_info *info)
{
    if (info->range_count > PAGODA_MAX_RANGES)
        return fail(c, "ranges: range_count %u is more than %u", info->range_count,
                    PAGODA_MAX_RANGES);
    for (uint32_t i = 0; i < info->range_count; i++) {
        const struct pagoda_range *r = &info->ranges[i];
        if (r->kind < PAGODA_RANGE_KERNEL || r->kind > PAGODA_RANGE_LOADER_LOG)
            return fail(c, "ranges: entry %u has unknown kind %u", i, r->kind);
        if (r->size == 0 || r->size > UINT64_MAX - r->base)
            return fail(c, "ranges: entry %u (%s) 0x%llx + 0x%llx is empty or wraps", i,
                        bootinfo_range_name(r->kind), (unsigned long long)r->base,
                        (unsigned long long)r->size);
        if (!reachable(c, r->base, r->size))
            return fail(c, "ranges: entry %u (%s) 0x%llx + 0x%llx is not reachable", i,
                        bootinfo_range_name(r->kind), (unsigned long long)r->base,
                        (unsigned long long)r->size);
    }
    return true;
}

static bool check_rsdp(struct check *c, const struct pagoda_boot_info *info)
{
    if (info->rsdp == 0)
        return true;
    if (!reachable(c, info->rsdp, BOOTINFO_RSDP_V1_SIZE))
        return fail(c, "rsdp: 0x%llx is not reachable", (unsigned long long)info->rsdp);
    if (info->rsdp_revision != 0 && info->rsdp_revision < 2)
        return fail(c, "rsdp: revision %u is neither 0 (ACPI 1.0) nor >= 2", info->rsdp_revision);
    return true;
}

bool bootinfo_check(const struct pagoda_boot_info *info, uint64_t address_limit, char *why,
                    size_t why_size)
{
    struct check c = {.why = why, .why_size = why_size, .limit = address_limit};
    if (why_size)
        why[0] = '\0';
    return check_header(&c, info) && check_memory_map(&c, info) && check_cmdline(&c, info) &&
           check_framebuffer(&c, &info->framebuffer) && check_ranges(&c, info) &&
           check_rsdp(&c, info);
}

const char *bootinfo_firmware_name(uint32_t kind)
{
    switch (kind) {
    case PAGODA_FIRMWARE_UEFI_X64:
        return "UEFI x64";
    case PAGODA_FIRMWARE_UEFI_IA32:
        return "UEFI IA32";
    default:
        return "unknown";
    }
}

const char *bootinfo_range_name(uint32_t kind)
{
    static const char *const names[] = {
        [PAGODA_RANGE_KERNEL] = "kernel image",    [PAGODA_RANGE_BOOT_INFO] = "boot info",
        [PAGODA_RANGE_MEMORY_MAP] = "memory map",  [PAGODA_RANGE_CMDLINE] = "command line",
        [PAGODA_RANGE_STACK] = "entry stack",      [PAGODA_RANGE_TRAMPOLINE] = "trampoline",
        [PAGODA_RANGE_STAGING] = "kernel staging", [PAGODA_RANGE_MODULE] = "module",
        [PAGODA_RANGE_LOADER_LOG] = "loader log",
    };
    if (kind >= sizeof(names) / sizeof(names[0]) || !names[kind])
        return "unknown";
    return names[kind];
}

const char *bootinfo_pixel_format_name(uint32_t format)
{
    switch (format) {
    case PAGODA_PIXEL_NONE:
        return "none";
    case PAGODA_PIXEL_RGBX:
        return "RGBX";
    case PAGODA_PIXEL_BGRX:
        return "BGRX";
    case PAGODA_PIXEL_BITMASK:
        return "bitmask";
    default:
        return "unknown";
    }
}
