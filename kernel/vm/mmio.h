/*
 * Physical ranges outside the direct map, in the kernel half: device memory (the framebuffer, the
 * local APIC) and the modules the loader read (the ramdisk), handed out upwards from
 * VM_MMIO_START (arch/layout.h), each added to the kernel's table of regions
 * (vm/kernel_half.h) so every kernel space maps it.
 */
#ifndef PAGODA_VM_MMIO_H
#define PAGODA_VM_MMIO_H

#include <stdint.h>

#include "../paging/paging.h"

/* Maps [phys, phys+size) at a fresh virtual address above the direct map with prot
 * (PAGING_PROT_READ, WRITE; never executable), global, with the given cache type (WC falls back
 * to UC without PAT). NULL (and why in *why) if it cannot. Under two-level paging a range above
 * 4 GiB is mapped with PSE-36 4 MiB pages (the aligned 4 MiB range covering it) when the CPU has
 * PSE-36; without it *why says so. */
void *vm_map_physical(const char *name, uint64_t phys, uint64_t size, uint32_t prot,
                      enum paging_cache cache, const char **why);

/* Mappings made so far and the first free address, for the boot log. */
uint32_t vm_mmio_count(void);
uint32_t vm_mmio_next(void);

#endif
