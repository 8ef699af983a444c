#include "takeover.h"

#include "../arch/layout.h"
#include "../arch/x86.h"
#include "../vm/kernel_half.h"
#include "../vm/kheap.h"
#include "../vm/phys.h"

static struct mem_setup mem;
static struct takeover_report report = {.status = MEM_SETUP_ERR_MEMMAP};

static void *boot_direct_map(void *ctx, uint64_t phys, size_t size)
{
    (void)ctx;
    return vm_phys_range(phys, size);
}

bool takeover_memory(const struct pagoda_boot_info *info, enum vm_paging_choice paging,
                     bool debug_heap)
{
    uint64_t start = rdtsc();
    vm_format_choose(paging);
    report.raw_descriptors = (uint32_t)(info->memory_map_size / info->descriptor_size);
    report.status =
        mem_setup_limited(&mem, info, DIRECT_MAP_MAX, vm_format_phys_limit(), boot_direct_map, 0);
    if (report.status != MEM_SETUP_OK)
        return false;
    report.setup_cycles = rdtsc() - start;
    vm_init(&mem);
    report.reclaimed_frames = frames_add_reclaimable(&mem.frames, &mem.map);
    vm_kheap_init(debug_heap);
    report.total_cycles = rdtsc() - start;
    return true;
}

struct mem_setup *takeover_memory_state(void)
{
    return &mem;
}

const struct takeover_report *takeover_report(void)
{
    return &report;
}
