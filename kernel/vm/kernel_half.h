/*
 * The kernel half [0xC0000000, 4 GiB), as a table of regions that drives the mapping (like
 * xv6's kmap): every kernel space, in either format, is built from the same table, so the
 * comparison's second format sees the kernel exactly as the boot format does.
 *
 *   direct map   physical 0 .. top of RAM below 896 MiB at 0xC0000000, read-write, no-execute,
 *                large pages where alignment allows (holes below the top are mapped too)
 *   kernel text  R-X, rodata R--, data and bss RW- (inside the direct map, their own rights)
 *   guard pages  below the boot stack and the double-fault stack: left out, so an overflow faults
 *   MMIO         device ranges mapped at run time above the direct map (vm/mmio.h)
 *   heap, kernel stacks
 *                populated regions: their pages are mapped one by one at run time
 *                (vm_kernel_populate: vm/kheap.c, vm/kstack.c), in every kernel space at once
 *   window       VM_WINDOW_SLOTS pages re-pointed at any frame (vm/window.h)
 *
 * Every page is global; page 0 of the user half is never mapped.
 *
 * vm_init builds the boot format's kernel space from the normalized memory map and switches to
 * it from the boot page directory start.S made.
 */
#ifndef PAGODA_VM_KERNEL_HALF_H
#define PAGODA_VM_KERNEL_HALF_H

#include <stdbool.h>
#include <stdint.h>

#include "../mem/mem_setup.h"
#include "space.h"

struct vm_kernel_region {
    const char *name;
    uint32_t va; /* page-aligned */
    uint64_t pa;
    uint64_t size; /* bytes, page-aligned */
    uint32_t prot; /* PAGING_PROT_* with GLOBAL and the cache type */
    /* Mapped page by page at run time (pa unused): a new kernel space copies the pages the boot
     * format's space has at that moment. */
    bool populated;
};

#define VM_KERNEL_MAX_REGIONS 24

/* Builds the boot format's kernel space over mem (whose allocator supplies the tables) and
 * switches to it. Panics with the reason if it cannot. */
void vm_init(struct mem_setup *mem);

/* The kernel space of the boot format. */
struct vm_space *vm_kernel_space(void);
/* The kernel space of format pae, built from the region table on first use (the boot format's
 * is vm_kernel_space()). NULL (and why) if this CPU or the memory cannot have it. */
struct vm_space *vm_kernel_space_of(bool pae, const char **why);
/* Destroys the kernel space of the format that is not the boot one (the CPU must not use it). */
void vm_kernel_space_release(bool pae);

/* Adds a region and maps it in every kernel space built so far. PAGING_OK or the error. */
int vm_kernel_half_add(const struct vm_kernel_region *region);
/* Maps [va, va+size) of a populated region to [pa, pa+size) with the region's rights, in every
 * kernel space (two-level user spaces get the new directory entries from kernel/paging). All or
 * nothing: PAGING_OK or the error with nothing mapped. */
int vm_kernel_populate(uint32_t va, uint64_t pa, uint64_t size);
/* Where the frames behind a populated region may come from: low memory while a two-level
 * kernel space exists (it must map them too), anywhere otherwise. */
enum frames_where vm_kernel_populate_where(void);
/* Unmaps [va, va+size) of a populated region in every kernel space. */
void vm_kernel_depopulate(uint32_t va, uint64_t size);
/* The table, in address order. */
unsigned vm_kernel_regions(const struct vm_kernel_region **regions);

/* Page-table pages of the boot format's kernel half, which every user space shares: two-level,
 * the page tables behind the kernel-half directory entries (each user directory copies the
 * entries); PAE, the one kernel-half page directory and its page tables. */
uint32_t vm_kernel_half_tables(void);
/* The same for the kernel space of either format (a vm_kernel_space_of result). */
uint32_t vm_kernel_half_tables_of(const struct vm_space *kernel);

/* What vm_init built, for the boot log. */
struct vm_kernel_half_report {
    uint64_t direct_map_end;                  /* physical end of the direct map */
    uint32_t built_tables[PAGING_MAX_LEVELS]; /* the boot kernel space right after its build */
};
const struct vm_kernel_half_report *vm_kernel_half_report(void);

#endif
