#include "mmio.h"

#include "../arch/layout.h"
#include "../console/console.h"
#include "format.h"
#include "kernel_half.h"
#include "pagoda/page.h"

static uint32_t next = VM_MMIO_START;
static uint32_t count;

static bool phys_below(uint64_t base, uint64_t bytes, uint64_t limit)
{
    return base < limit && bytes <= limit - base;
}

/* Why [base, base+bytes) cannot be mapped at all, or NULL if it can (maybe only with large
 * pages: then *whole_large_pages is set). */
static const char *mmio_reach(const struct paging *pg, uint64_t base, uint64_t bytes,
                              bool *whole_large_pages)
{
    *whole_large_pages = false;
    if (phys_below(base, bytes, pg->phys_limit))
        return 0;
    if (pg->mode == &paging_mode_pae)
        return "beyond the CPU's physical address width";
    if (!pg->large_pages || !pg->env.pse36_available)
        return "it is above 4 GiB and two-level paging without PSE-36 cannot reach it";
    uint64_t large = pg->mode->large_page_size;
    uint64_t first = base & ~(large - 1);
    uint64_t last = (base + bytes + large - 1) & ~(large - 1);
    if (!phys_below(first, last - first, pg->large_phys_limit))
        return "it is beyond the physical address bits PSE-36 reaches (40 at most)";
    *whole_large_pages = true;
    return 0;
}

void *vm_map_physical(const char *name, uint64_t phys, uint64_t size, uint32_t prot,
                      enum paging_cache cache, const char **why)
{
    const struct paging *pg = vm_format_boot();
    uint64_t offset = phys & PAGODA_PAGE_MASK;
    uint64_t base = phys - offset;
    uint64_t bytes = pagoda_page_up(size + offset);
    uint64_t large = pg->large_pages ? pg->mode->large_page_size : PAGODA_PAGE_SIZE;
    bool whole_large_pages;
    if (!vm_space_current()) {
        *why = "the kernel's address space is not active yet";
        return 0;
    }
    *why = mmio_reach(pg, base, bytes, &whole_large_pages);
    if (*why)
        return 0;
    if (whole_large_pages) {
        /* Two-level paging reaches above 4 GiB only with PSE-36 4 MiB pages: map the aligned
           4 MiB range that covers the device (SDM 4.3, table 4-4). */
        uint64_t first = base & ~(large - 1);
        offset += base - first;
        bytes = ((base + bytes + large - 1) & ~(large - 1)) - first;
        base = first;
    }
    uint32_t va = next;
    if (bytes >= large && !(base & (large - 1)))
        va = (uint32_t)((va + large - 1) & ~(large - 1));
    if (cache == PAGING_CACHE_WC && !pg->env.pat_available)
        cache = PAGING_CACHE_UC;
    if (bytes > VM_MMIO_END - va) {
        *why = "no room left in the MMIO region";
        return 0;
    }
    struct vm_kernel_region region = {
        .name = name,
        .va = va,
        .pa = base,
        .size = bytes,
        .prot = (prot & (PAGING_PROT_READ | PAGING_PROT_WRITE)) | PAGING_PROT_READ |
                PAGING_PROT_GLOBAL | PAGING_PROT_CACHE(cache),
    };
    int rc = vm_kernel_half_add(&region);
    if (rc != PAGING_OK) {
        *why = paging_error_name(rc);
        return 0;
    }
    /* bytes fits the MMIO region here, so 32-bit arithmetic suffices. */
    if (whole_large_pages)
        kprintf("vm: %s at phys 0x%llx-0x%llx (above 4 GiB) mapped at 0x%08x with %u PSE-36 "
                "4 MiB pages\n",
                name, (unsigned long long)base, (unsigned long long)(base + bytes), va,
                (uint32_t)bytes / (uint32_t)large);
    next = va + (uint32_t)bytes;
    count++;
    return (void *)(uintptr_t)(va + (uint32_t)offset);
}

uint32_t vm_mmio_count(void)
{
    return count;
}

uint32_t vm_mmio_next(void)
{
    return next;
}
