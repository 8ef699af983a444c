#include "bootmem.h"

#include "../console/console.h"
#include "units.h"

#include "../vm/layout.h"

#define SIZE_TEXT 24

static struct mem_setup mem;
static enum mem_setup_status mem_status = MEM_SETUP_ERR_MEMMAP;
static bool mem_tried;
static uint64_t reclaimed_frames;

/* The boot page directory maps DIRECT_MAP_MAX bytes of low memory at KERNEL_VIRT_BASE: the raw
 * map (copied into .bss) and the allocator's metadata must lie there. */
static void *direct_phys(void *ctx, uint64_t phys, size_t size)
{
    (void)ctx;
    if (phys > DIRECT_MAP_MAX || size > DIRECT_MAP_MAX - phys)
        return 0;
    return (void *)KERNEL_VA(phys);
}

bool bootmem_init(const struct pagoda_boot_info *info, uint64_t pool_limit)
{
    mem_tried = true;
    mem_status = mem_setup_limited(&mem, info, DIRECT_MAP_MAX, pool_limit, direct_phys, 0);
    return mem_status == MEM_SETUP_OK;
}

uint64_t bootmem_reclaim(void)
{
    reclaimed_frames += frames_add_reclaimable(&mem.frames, &mem.map);
    return reclaimed_frames;
}

struct mem_setup *bootmem_state(void)
{
    return &mem;
}

enum mem_setup_status bootmem_status(void)
{
    return mem_status;
}

static void print_kind_totals(void)
{
    uint64_t totals[MEMMAP_KIND_COUNT];
    char size_text[SIZE_TEXT];
    memmap_totals(&mem.map, totals);
    for (uint32_t kind = 0; kind < MEMMAP_KIND_COUNT; kind++) {
        if (totals[kind] == 0)
            continue;
        units_format_size(totals[kind], size_text, sizeof(size_text));
        kprintf("    %-14s %12s\n", memmap_kind_name(kind), size_text);
    }
}

void bootlog_memory_layer(void)
{
    char size_text[SIZE_TEXT];
    kheading("Memory layer (normalized map, frame allocator)");
    if (!mem_tried)
        return;
    if (mem_status != MEM_SETUP_OK) {
        console_set_color(CONSOLE_BAD);
        kprintf("  not started: %s", mem_setup_status_text(mem_status));
        if (mem_status == MEM_SETUP_ERR_MEMMAP)
            kprintf(" (%s)", memmap_status_text(mem.memmap_status));
        kprintf("\n");
        console_set_color(CONSOLE_NORMAL);
        return;
    }
    kprintf("  %u normalized ranges; per kind:\n", mem.map.count);
    print_kind_totals();
    uint32_t millibits = frames_metadata_millibits_per_frame(&mem.frames);
    units_format_size(mem.metadata_bytes, size_text, sizeof(size_text));
    kprintf("  allocator: %llu frames in the pool, %llu free; metadata %s at 0x%llx "
            "(%u.%03u bits per frame)\n",
            (unsigned long long)frames_total(&mem.frames),
            (unsigned long long)frames_free_count(&mem.frames), size_text,
            (unsigned long long)mem.metadata_phys, millibits / 1000, millibits % 1000);
    units_format_size(reclaimed_frames * FRAMES_FRAME_SIZE, size_text, sizeof(size_text));
    kprintf("  boot-services and loader memory joined the pool after the switch: %s (%llu "
            "frames)\n",
            size_text, (unsigned long long)reclaimed_frames);
    if (mem.withheld_bytes) {
        units_format_size(mem.withheld_bytes, size_text, sizeof(size_text));
        console_set_color(CONSOLE_WARN);
        kprintf("  two-level paging cannot use the %s of RAM at or above 4 GiB: those frames were "
                "not added to the pool\n",
                size_text);
        console_set_color(CONSOLE_NORMAL);
    } else {
        uint64_t high = frames_total(&mem.frames) - mem.frames.zone[FRAMES_ZONE_LOW].total;
        units_format_size(high * FRAMES_FRAME_SIZE, size_text, sizeof(size_text));
        if (high)
            kprintf("  usable above 4 GiB: %s (%llu frames), in the pool\n", size_text,
                    (unsigned long long)high);
    }
}
