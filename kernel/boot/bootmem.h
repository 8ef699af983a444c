/*
 * The memory layer at boot: the loader's raw map and in-use ranges normalized (kernel/mem/memmap)
 * and the frame allocator built over it (kernel/mem/frames), its metadata placed in usable RAM
 * below 4 GiB (paging is off: the kernel reaches only that). Nothing allocates from it yet; the
 * boot log reports it and mode=test stress-tests it.
 */
#ifndef PAGODA_BOOTMEM_H
#define PAGODA_BOOTMEM_H

#include <stdbool.h>

#include "../mem/mem_setup.h"
#include "pagoda/boot_info.h"

/* Run mem_setup once. False (and a reason in the log) if the memory layer could not start. */
bool bootmem_init(const struct pagoda_boot_info *info);
/* The state after bootmem_init; status tells whether it is usable. */
struct mem_setup *bootmem_state(void);
enum mem_setup_status bootmem_status(void);
/* "== Memory layer ==": normalized totals per kind, allocator frames and metadata cost. */
void bootlog_memory_layer(void);

#endif
