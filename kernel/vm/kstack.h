/*
 * Kernel stacks for processes, in their region of the kernel half [VM_KSTACK_START,
 * VM_KSTACK_END): fixed slots of a guard page (never mapped: an overflow faults instead of
 * corrupting the slot below) and VM_KSTACK_PAGES pages of stack, backed by frames when a slot is
 * taken and given back when it is freed.
 */
#ifndef PAGODA_VM_KSTACK_H
#define PAGODA_VM_KSTACK_H

#include <stdint.h>

#define VM_KSTACK_PAGES 4u /* 16 KiB */

/* The top (exclusive end) of a fresh kernel stack, or 0 when slots or frames run out. */
uint32_t vm_kstack_alloc(void);
void vm_kstack_free(uint32_t top);
/* Slots in use, for the boot log and tests. */
uint32_t vm_kstack_in_use(void);

#endif
