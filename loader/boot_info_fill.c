/*
 * pagoda_info_fill, the boot_info_fill step for Pagoda's protocol: everything the kernel gets,
 * written into the boot info page before ExitBootServices. Only the final memory map size (and the
 * ExitBootServices stamp) are added after it, by pagoda_info_finish().
 */
#include "console.h"
#include "loader.h"

#include "pg_string.h"

_Static_assert(sizeof(struct pagoda_boot_info) <= PAGODA_PAGE_SIZE, "boot info must fit its page");
_Static_assert(8 + PAGODA_MAX_MODULES + 1 <= PAGODA_MAX_RANGES, "every range must fit the list");

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
    boot_info_add_range(info, (UINTN)ld->loader_log, PAGODA_LOADER_LOG_PAGES * page,
                        PAGODA_RANGE_LOADER_LOG);
    boot_info_add_range(info, (UINTN)ld->trampoline, page, PAGODA_RANGE_TRAMPOLINE);
    boot_info_add_range(info, ld->staging, ld->staging_pages * page, PAGODA_RANGE_STAGING);
    for (unsigned i = 0; i < ld->module_count; i++)
        boot_info_add_range(info, ld->modules[i].base, ld->modules[i].pages * page,
                            PAGODA_RANGE_MODULE);
    if (ld->modules_block != NULL)
        boot_info_add_range(info, (UINTN)ld->modules_block,
                            pagoda_page_up(sizeof(*ld->modules_block)), PAGODA_RANGE_MODULE);
}

static void boot_info_copy_text(char *dst, size_t capacity, const char *src)
{
    size_t length = strlen(src);
    if (length >= capacity)
        length = capacity - 1; /* pagoda.cfg's limits already match these sizes */
    memcpy(dst, src, length);
    dst[length] = '\0';
}

static void boot_info_fill_modules(struct loader *ld, struct pagoda_boot_info *info)
{
    struct pagoda_modules *block = ld->modules_block;

    info->modules = 0;
    if (block == NULL)
        return;
    memset(block, 0, sizeof(*block));
    block->magic = PAGODA_MODULES_MAGIC;
    block->version = PAGODA_MODULES_VERSION;
    block->size = sizeof(*block);
    block->count = ld->module_count;
    for (unsigned i = 0; i < ld->module_count; i++) {
        struct pagoda_module *entry = &block->module[i];
        entry->base = ld->modules[i].base;
        entry->size = ld->modules[i].size;
        boot_info_copy_text(entry->name, sizeof(entry->name), ld->modules[i].name);
        boot_info_copy_text(entry->string, sizeof(entry->string), ld->modules[i].string);
    }
    info->modules = (UINTN)block;
}

static void boot_info_fill_firmware(const struct loader_firmware *fw, struct pagoda_boot_info *info)
{
    info->framebuffer = fw->framebuffer;
    info->rsdp = fw->rsdp;
    info->rsdp_revision = fw->rsdp_revision;
    memcpy(info->firmware_vendor, fw->vendor, sizeof(info->firmware_vendor));
    info->firmware_revision = fw->firmware_revision;
    info->uefi_revision = fw->uefi_revision;
}

void pagoda_info_fill(struct loader *ld)
{
    struct pagoda_boot_info *info = ld->boot_info;

    boot_info_fill_firmware(&ld->firmware, info);
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
    boot_info_fill_modules(ld, info);
    boot_info_fill_ranges(ld, info);
}

void pagoda_info_finish(struct loader *ld)
{
    struct pagoda_boot_info *info = ld->boot_info;

    info->memory_map_size = ld->final_map_size;
    info->descriptor_size = (uint32_t)ld->final_descriptor_size;
    info->descriptor_version = ld->final_descriptor_version;
    info->tsc[PAGODA_PHASE_EXIT_BOOT_SERVICES] = ld->tsc[PAGODA_PHASE_EXIT_BOOT_SERVICES];
}
