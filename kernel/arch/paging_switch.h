/*
 * vm_switch_paging (arch/paging_switch.S, in .boot at its physical address): turns paging off,
 * loads CR4 and CR3, turns paging and CR0.WP on, and returns. It is how the CPU changes paging
 * format (two-level
 * <-> PAE), which cannot be done with paging on: the caller must have the page it runs from
 * identity-mapped in both the old and the new tables, and must call it through a pointer (the
 * callee lies ~3 GiB below the higher-half caller). Nothing touches memory while paging is off.
 */
#ifndef PAGODA_ARCH_PAGING_SWITCH_H
#define PAGODA_ARCH_PAGING_SWITCH_H

#include <stdint.h>

void vm_switch_paging(uint32_t cr3, uint32_t cr4);

/* The .boot section, where vm_switch_paging lives (linker script). */
extern const char kernel_boot_start[], kernel_boot_end[];

#endif
