/*
 * Reaching physical memory from the kernel: low RAM through the direct map (phys + 0xC0000000,
 * arch/layout.h), anything else through a slot of the temporary window (vm/window.h), whose
 * pointer is valid until that slot is used again.
 *
 * Before the kernel's own tables are active the boot page directory maps all of DIRECT_MAP_MAX;
 * after the switch the direct map ends at the top of RAM below that limit (vm/kernel_half.c).
 */
#ifndef PAGODA_VM_PHYS_H
#define PAGODA_VM_PHYS_H

#include <stdbool.h>
#include <stdint.h>

/* The direct map's physical end from now on. */
void vm_phys_set_direct_end(uint64_t end);
uint64_t vm_phys_direct_end(void);
bool vm_in_direct_map(uint64_t phys);

/* A pointer to all of [phys, phys+size) through the direct map, or NULL if it is not all
 * inside it: for large structures that must be contiguous (the allocator's metadata). */
void *vm_phys_range(uint64_t phys, uint64_t size);
/* A pointer to phys for at most a page-crossing structure (two window slots); NULL if the
 * active format cannot reach it. */
void *vm_phys_ptr(uint64_t phys);
/* The 4 KiB frame at phys: for anyone reading or filling a frame (window client slot). */
void *vm_frame_map(uint64_t phys);
/* The page table at phys: for kernel/paging only (window table slot). */
void *vm_table_map(uint64_t phys);

#endif
