/*
 * Step 9a: everything the kernel gets, written into the boot info page before ExitBootServices.
 * Only the final memory map size (and the ExitBootServices stamp) are added after it.
 */
#include "console.h"
#include "loader.h"

#include "pg_string.h"

_Static_assert(sizeof(struct pagoda_boot_info) <= 4096, "boot info must fit its page");

static void boot_info_add_range(struct pagoda_boot_info *info, uint64_t base, uint64_t size,
                                enum pagoda_range_kind kind)
{
    if (info->range_count >= PAGODA_MAX_RANGES)
        return;
    struct pagoda_range *r = &info->ranges[info->range_count++];
    r->base = base;
    r->size = size;
    r->kind = kind;
    r->pad = 0;
}

static void boot_info_fill_ranges(struct loader *ld, struct pagoda_boot_info *info)
{
    uint64_t page = EFI_PAGE_SIZE;

    info->range_count = 0;
    boot_info_add_range(info, ld->elf.phys_start, ld->elf.phys_end - ld->elf.phys_start,
                        PAGODA_RANGE_KERNEL);
    boot_info_add_range(info, (UINTN)info, page, PAGODA_RANGE_BOOT_INFO);
    boot_info_add_range(info, (UINTN)ld->memory_map, ld->memory_map_capacity,
                        PAGODA_RANGE_MEMORY_MAP);
    boot_info_add_range(info, (UINTN)ld->cmdline, (info->cmdline_size + page) / page * page,
                        PAGODA_RANGE_CMDLINE);
    boot_info_add_range(info, ld->stack, PAGODA_LOADER_STACK_SIZE, PAGODA_RANGE_STACK);
    boot_info_add_range(info, (UINTN)ld->trampoline, page, PAGODA_RANGE_TRAMPOLINE);
    boot_info_add_range(info, ld->staging, ld->staging_pages * page, PAGODA_RANGE_STAGING);
}

void boot_info_fill(struct loader *ld)
{
    struct pagoda_boot_info *info = ld->boot_info;

    /* firmware_info_collect() already filled framebuffer, rsdp, vendor and revisions. */
    info->magic = PAGODA_BOOT_MAGIC;
    info->version = PAGODA_BOOT_INFO_VERSION;
    info->size = sizeof(*info);
    info->firmware_kind = LOADER_FIRMWARE_KIND;
    info->memory_map = (UINTN)ld->memory_map;
    info->memory_map_size = 0; /* set once ExitBootServices succeeded */
    info->cmdline = (UINTN)ld->cmdline;
    info->cmdline_size = (uint32_t)strlen(ld->cmdline);
    info->kernel_entry = ld->elf.entry_physical;
    info->loader_tsc_hz = ld->tsc_hz;
    for (int phase = 0; phase < PAGODA_PHASE_COUNT; phase++)
        info->tsc[phase] = ld->tsc[phase];
    boot_info_fill_ranges(ld, info);
}
