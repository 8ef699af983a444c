/* Physical address -> pointer for the boot-info readers, which the host tests compile too. The
 * kernel asks kernel/vm (the direct map, else the temporary window: the pointer then lasts until
 * the next such call). Host tests (no PAGODA_KERNEL) store real host
 * pointers in the same uint64_t fields, so there it is a cast. */
#ifndef PAGODA_PHYS_H
#define PAGODA_PHYS_H

#include <stdint.h>

#ifdef PAGODA_KERNEL
#include "../vm/phys.h"

static inline const void *phys_to_ptr(uint64_t phys)
{
    return vm_phys_ptr(phys);
}
#else
static inline const void *phys_to_ptr(uint64_t phys)
{
    return (const void *)(uintptr_t)phys;
}
#endif

#endif
