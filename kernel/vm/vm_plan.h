/*
 * The decisions kernel/vm takes from the normalized memory map before it builds any table, as pure
 * functions (host-tested in tests/kernel/test_vm_plan.c).
 */
#ifndef PAGODA_VM_PLAN_H
#define PAGODA_VM_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "../mem/memmap.h"

/*
 * Where the direct map ends: the top of the RAM the map reports below limit (usable,
 * reclaimable, ACPI, loader, kernel, ACPI NVS; never MMIO or firmware-reserved), rounded up to a
 * page. Holes below it (the legacy VGA window, small reserved ranges) are mapped too, like
 * Linux's lowmem; nothing above the last RAM is.
 */
uint64_t vm_plan_direct_map_end(const struct memmap *map, uint64_t limit);

/*
 * Where to put the page-table pool: frames free frames at the top of the highest usable range
 * that ends inside the direct map, below the allocator's metadata when that range holds it.
 * False when no usable range has room.
 */
bool vm_plan_pool(const struct memmap *map, uint64_t direct_map_end, uint64_t metadata_phys,
                  uint32_t frames, uint64_t *base);

#endif
