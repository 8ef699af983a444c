/*
 * Fuzz the kernel's first line of defence: arbitrary bytes as a boot info block whose pointers
 * land inside the fuzz input. bootinfo_check must never read outside what it validated, and on
 * blocks it accepts the memory map views and the command line parser must stay in bounds and keep
 * their invariants. Run under ASan/UBSan by libFuzzer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "boot/cmdline.h"
#include "boot/rawmap.h"

#define REGION_MAX 8192

static _Alignas(8) unsigned char region[REGION_MAX + 1];

/* Point a field at an offset inside region (the offset comes from the field's own value). */
static uint64_t place(uint64_t raw, size_t region_len, uint64_t *size, uint64_t extra)
{
    uint64_t offset = region_len ? (raw % region_len) & ~(uint64_t)7 : 0;
    uint64_t room = region_len - offset;
    if (*size + extra > room)
        *size = room > extra ? room - extra : 0;
    return (uint64_t)(uintptr_t)(region + offset);
}

static void check_views(const struct pagoda_boot_info *info)
{
    struct rawmap view = rawmap_of(info);
    struct rawmap_totals totals;
    rawmap_totals(&view, &totals);
    uint64_t sum = 0;
    for (int i = 0; i < RAWMAP_TYPE_SLOTS; i++)
        sum += totals.pages[i];
    if (sum != totals.total_pages)
        abort();
    /* Joining by use only joins more: never more runs than by type, and the pages of the runs
     * add up to the same total either way. */
    size_t runs = rawmap_run_count(&view, RAWMAP_JOIN_TYPE);
    size_t by_use = rawmap_run_count(&view, RAWMAP_JOIN_USE);
    if (runs > view.count || (view.count && runs == 0) || by_use > runs ||
        (view.count && by_use == 0))
        abort();
    for (int join = RAWMAP_JOIN_TYPE; join <= RAWMAP_JOIN_USE; join++) {
        uint64_t run_pages = 0;
        uint64_t entries = 0;
        struct rawmap_run run;
        for (size_t i = 0; i < view.count;) {
            i = rawmap_next_run(&view, i, (enum rawmap_join)join, &run);
            run_pages += run.pages;
            entries += run.entries;
        }
        if (run_pages != sum || entries != view.count)
            abort();
    }
    size_t a, b;
    (void)rawmap_find_overlap(&view, RAWMAP_LOADER_USABLE_MASK, &a, &b);
    uint64_t gap;
    (void)rawmap_covers(&view, 0x100000, 0x20000, RAWMAP_LOADER_USABLE_MASK, &gap);
}

/* The first input byte chooses which fields to repair, so most inputs get past the header
 * checks (a fuzzer rarely guesses a magic, a version and a stride together) while raw inputs
 * still exercise every rejection. */
#define REPAIR_HEADER      0x01u /* magic, version, size, firmware kind, vendor NUL */
#define REPAIR_STRIDE      0x02u /* descriptor_size 40 or 48, map size a multiple of it */
#define REPAIR_CMDLINE     0x04u /* cmdline_size matches the string */
#define REPAIR_RANGES      0x08u /* range_count within bounds */
#define REPAIR_FB_AND_ACPI 0x10u /* no framebuffer, no RSDP */

static void repair(struct pagoda_boot_info *info, uint8_t how)
{
    if (how & REPAIR_HEADER) {
        info->magic = PAGODA_BOOT_MAGIC;
        info->version = PAGODA_BOOT_INFO_VERSION;
        info->size = sizeof(*info);
        info->firmware_kind = PAGODA_FIRMWARE_UEFI_X64 + (info->firmware_kind & 1);
        info->firmware_vendor[PAGODA_FIRMWARE_NAME_LEN - 1] = '\0';
    }
    if (how & REPAIR_STRIDE) {
        info->descriptor_size = (info->descriptor_size & 1) ? 48 : 40;
        info->memory_map_size -= info->memory_map_size % info->descriptor_size;
    }
    if (how & REPAIR_RANGES)
        info->range_count %= PAGODA_MAX_RANGES + 1;
    if (how & REPAIR_FB_AND_ACPI) {
        info->framebuffer.format = PAGODA_PIXEL_NONE;
        info->rsdp = 0;
    }
}

static void repair_cmdline(struct pagoda_boot_info *info)
{
    if (!info->cmdline)
        return;
    const char *text = (const char *)(uintptr_t)info->cmdline;
    uint32_t n = 0;
    while (n < info->cmdline_size && text[n])
        n++;
    info->cmdline_size = n; /* region has a NUL past every string placed in it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pagoda_boot_info info;
    if (size < 1 + sizeof(info))
        return 0;
    uint8_t how = data[0];
    data++, size--;
    memcpy(&info, data, sizeof(info));
    size_t region_len = size - sizeof(info);
    if (region_len > REGION_MAX)
        region_len = REGION_MAX;
    memcpy(region, data + sizeof(info), region_len);

    uint64_t map_size = info.memory_map_size;
    info.memory_map = place(info.memory_map, region_len, &map_size, 0);
    info.memory_map_size = map_size;
    uint64_t cmdline_size = info.cmdline_size;
    info.cmdline = place(info.cmdline, region_len, &cmdline_size, 1);
    info.cmdline_size = (uint32_t)cmdline_size;
    if (region_len == 0)
        info.cmdline = 0, info.cmdline_size = 0;
    region[region_len] = '\0';
    repair(&info, how);
    if (how & REPAIR_CMDLINE)
        repair_cmdline(&info);

    char why[160];
    if (!bootinfo_check(&info, UINT64_MAX, why, sizeof(why))) {
        if (why[0] == '\0')
            abort(); /* a rejection must say why */
        return 0;
    }
    check_views(&info);
    struct cmdline_options options;
    cmdline_parse(info.cmdline ? (const char *)(uintptr_t)info.cmdline : NULL, &options);
    return 0;
}
