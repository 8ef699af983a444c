/*
 * The memory layer at boot: the loader's raw map and in-use ranges normalized (kernel/mem/memmap)
 * and the frame allocator built over it (kernel/mem/frames), its metadata placed in usable RAM
 * inside the boot direct map (kernel/vm/layout.h). kernel/vm takes its page tables from it; the
 * boot log reports it and mode=test stress-tests it.
 */
#ifndef PAGODA_BOOTMEM_H
#define PAGODA_BOOTMEM_H

#include <stdbool.h>

#include "../mem/mem_setup.h"
#include "pagoda/boot_info.h"

/* Run mem_setup once; frames at or above pool_limit stay out of the pool (two-level paging:
 * 4 GiB). False (and a reason in the log) if the memory layer could not start. */
bool bootmem_init(const struct pagoda_boot_info *info, uint64_t pool_limit);
/* Adds boot-services and loader memory to the pool: call once nothing the loader or firmware
 * left there is needed (entry.S copied the boot info, map and command line; the kernel runs on
 * its own tables and stack). Returns the frames added so far. */
uint64_t bootmem_reclaim(void);
/* The state after bootmem_init; status tells whether it is usable. */
struct mem_setup *bootmem_state(void);
enum mem_setup_status bootmem_status(void);
/* "== Memory layer ==": normalized totals per kind, allocator frames and metadata cost. */
void bootlog_memory_layer(void);

#endif
