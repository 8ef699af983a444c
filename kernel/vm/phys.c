#include "phys.h"

#include "../arch/layout.h"
#include "pagoda/page.h"
#include "window.h"

static uint64_t direct_end = DIRECT_MAP_MAX;

void vm_phys_set_direct_end(uint64_t end)
{
    direct_end = end;
}

uint64_t vm_phys_direct_end(void)
{
    return direct_end;
}

bool vm_in_direct_map(uint64_t phys)
{
    return phys < direct_end;
}

void *vm_phys_range(uint64_t phys, uint64_t size)
{
    if (phys > direct_end || size > direct_end - phys)
        return 0;
    return (void *)KERNEL_VA(phys);
}

static bool page_in_direct_map(uint64_t phys)
{
    return phys + PAGODA_PAGE_SIZE <= direct_end;
}

void *vm_phys_ptr(uint64_t phys)
{
    if (page_in_direct_map(phys))
        return (void *)KERNEL_VA(phys);
    uint8_t *first = window_map(WINDOW_SLOT_PHYS, phys);
    if (!first || !window_map(WINDOW_SLOT_PHYS2, pagoda_page_down(phys) + PAGODA_PAGE_SIZE))
        return 0;
    return first;
}

void *vm_frame_map(uint64_t phys)
{
    if (vm_in_direct_map(phys))
        return (void *)KERNEL_VA(pagoda_page_down(phys));
    return window_map(WINDOW_SLOT_CLIENT, pagoda_page_down(phys));
}

void *vm_table_map(uint64_t phys)
{
    if (page_in_direct_map(phys))
        return (void *)KERNEL_VA(phys);
    return window_map(WINDOW_SLOT_TABLE, phys);
}
