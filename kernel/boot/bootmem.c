#include "bootmem.h"

#include "../console/console.h"
#include "units.h"

#define BOOTMEM_LIMIT (1ull << 32) /* paging off: metadata must be reachable */
#define SIZE_TEXT     24

static struct mem_setup mem;
static enum mem_setup_status mem_status = MEM_SETUP_ERR_MEMMAP;
static bool mem_tried;

/* Paging is off: a physical address below 4 GiB is its own pointer. */
static void *identity_phys(void *ctx, uint64_t phys, size_t size)
{
    (void)ctx;
    if (phys > BOOTMEM_LIMIT || size > BOOTMEM_LIMIT - phys)
        return 0;
    return (void *)(uintptr_t)phys;
}

bool bootmem_init(const struct pagoda_boot_info *info)
{
    mem_tried = true;
    mem_status = mem_setup(&mem, info, BOOTMEM_LIMIT, identity_phys, 0);
    return mem_status == MEM_SETUP_OK;
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
}
