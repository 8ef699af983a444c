/*
 * The temporary mapping window: VM_WINDOW_SLOTS pages at VM_WINDOW_BASE whose page-table entries
 * the kernel re-points at any physical frame. It is how the kernel reaches memory outside the
 * direct map: high memory (above 896 MiB), frames above 4 GiB under PAE, page tables the pool
 * could not supply, and boot structures (RSDP) that lie high.
 *
 * Before the kernel's own address space is active the slots live in the boot window page table
 * that start.S hooked into the boot page directory (32-bit entries); every kernel space has its
 * own window page table, and the switch moves the window there (window_use_table). A pointer from
 * window_map is valid until that slot is mapped again: callers own fixed slots (enum window_slot)
 * and never keep pointers across calls.
 */
#ifndef PAGODA_VM_WINDOW_H
#define PAGODA_VM_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

enum window_slot {
    WINDOW_SLOT_TABLE = 0,  /* paging_env.table_ptr for tables outside the direct map */
    WINDOW_SLOT_PHYS = 1,   /* vm_phys_ptr: two slots, so a structure may cross a page */
    WINDOW_SLOT_PHYS2 = 2,  /* (second page of WINDOW_SLOT_PHYS) */
    WINDOW_SLOT_CLIENT = 3, /* vm_frame_map: the self-tests and anyone reading a frame */
    WINDOW_SLOT_COUNT_USED = 4,
};

/* Points slot at the 4 KiB frame phys (read-write, never executable). NULL if the current
 * format cannot reach phys (32-bit paging and phys >= 4 GiB). */
void *window_map(enum window_slot slot, uint64_t phys);
/* Clears the slot's entry (and its TLB entry). */
void window_unmap(enum window_slot slot);
/* Moves the window to another page table: entries of entry_bytes (the format's: 4 or 8) at
 * pte_base (slot 0), with the NX bit when nx. vm/space.c calls it whenever the CPU starts using a
 * different kernel half. */
void window_use_table(volatile void *pte_base, unsigned entry_bytes, bool nx);
/* Remaps done (each one INVLPG), for the boot log. */
uint32_t window_remaps(void);

#endif
