/*
 * Taking over memory, in the only order that works: choose the paging format (its reach is the
 * frame pool's end), normalize the loader's map and build the frame allocator below that end
 * (kernel/mem), build the kernel's own address space from it and switch (kernel/vm), add the
 * boot-services and loader memory that nothing needs any more, and start the kernel heap. It
 * keeps its own timings.
 *
 * The allocator's metadata and the raw map must lie inside the boot direct map.
 */
#ifndef PAGODA_TAKEOVER_H
#define PAGODA_TAKEOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "../mem/mem_setup.h"
#include "../vm/format.h"
#include "pagoda/boot_info.h"

struct takeover_report {
    enum mem_setup_status status;
    uint32_t raw_descriptors;  /* in the loader's map */
    uint64_t reclaimed_frames; /* boot-services and loader memory added after the switch */
    uint64_t setup_cycles;     /* normalized map + frame allocator, TSC cycles */
    uint64_t total_cycles;     /* ... + kernel address space, switch and reclaim */
};

/* False, with nothing taken over, if the memory layer cannot start (the report says why).
 * debug_heap: the kernel heap checks redzones and poison (mode=test). */
bool takeover_memory(const struct pagoda_boot_info *info, enum vm_paging_choice paging,
                     bool debug_heap);
/* The memory layer as the takeover left it: the normalized map and the frame allocator. */
struct mem_setup *takeover_memory_state(void);
const struct takeover_report *takeover_report(void);

#endif
