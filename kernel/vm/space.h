/*
 * Address spaces: the one place that creates page-table trees, maps into them, switches the CPU
 * between them and destroys them. Every caller goes through here: the boot switch
 * (vm/kernel_half.c), the comparison of the two formats, processes. Nobody else loads CR3.
 *
 * A space is a struct paging_as of one format (struct paging, vm/format.h) plus what the kernel
 * needs when the CPU uses it: where the temporary window's entries live in its kernel half.
 *
 *   kernel space  owns the kernel half [PAGING_KERNEL_BASE, 4 GiB); one per format
 *                 (vm/kernel_half.c builds them from the table of kernel regions).
 *   user space    a private user half; its kernel half is its kernel space's (two-level: the
 *                 kernel directory entries are copied and kept in sync; PAE: one shared PD).
 *   scratch space all 4 GiB private, never switched to: for counting tables.
 *
 * Switching (vm_space_switch) loads CR3 for real. When the format changes too (two-level <-> PAE)
 * the CPU must have paging off while CR4 and CR3 change: the switch maps the switch code
 * (vm_switch_paging in .boot) at its physical address in both spaces for that moment, turns
 * paging off there, loads CR4 and CR3, turns paging on, and removes the identity mapping again.
 * The window and the double-fault task follow the kernel half the CPU now sees.
 */
#ifndef PAGODA_VM_SPACE_H
#define PAGODA_VM_SPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "../paging/paging.h"

struct vm_space {
    struct paging_as as;
    struct vm_space *kernel;    /* user space: the kernel space whose kernel half it shares */
    volatile void *window_ptes; /* kernel space: the window's first entry in its tables */
};

/* A kernel space of format pg with an empty kernel half; vm/kernel_half.c fills it. */
int vm_space_create_kernel(struct vm_space *s, struct paging *pg);
/* A process's space: empty user half, kernel half shared with kernel (a kernel space). */
int vm_space_create_user(struct vm_space *s, struct vm_space *kernel);
/* A private 4 GiB space of format pg that is never switched to. */
int vm_space_create_scratch(struct vm_space *s, struct paging *pg);
/* Frees every table the space owns. PAGING_ERR_BUSY for the space the CPU uses or a kernel
 * space that user spaces still share. */
int vm_space_destroy(struct vm_space *s);

/* The paging layer's operations on the space (rules in paging/paging.h). */
int vm_space_map(struct vm_space *s, uint32_t va, uint64_t pa, uint64_t size, uint32_t prot,
                 uint64_t page_size, uint32_t flags);
int vm_space_unmap(struct vm_space *s, uint32_t va, uint64_t size);
int vm_space_protect(struct vm_space *s, uint32_t va, uint64_t size, uint32_t prot);
void vm_space_translate(const struct vm_space *s, uint32_t va, struct paging_walk *walk);

/* The format a space is of: its mode (name, levels, large page size), NX, reach, counters. */
struct paging *vm_space_paging(const struct vm_space *s);
/* Table pages the space owns, per level from the root (the shared kernel half not counted for
 * user spaces). */
const uint32_t *vm_space_tables(const struct vm_space *s);
/* The entry a walk step read, for code that reads or changes bits the CPU sets (A, D) or
 * measures the TLB: valid until the next call that maps outside the direct map. */
volatile void *vm_space_entry(const struct vm_space *s, const struct paging_walk_level *step);

/* Makes s the space the CPU uses (see above). Interrupts must be off. */
void vm_space_switch(struct vm_space *s);
/* The kernel space whose kernel half s has: its own for a kernel space, the shared one for a
 * user space. */
struct vm_space *vm_space_kernel_half(struct vm_space *s);
/* The space the CPU uses; NULL while the boot page directory is still active. */
struct vm_space *vm_space_current(void);
/* CR3 for a space: what the CPU loads when it uses it. */
uint32_t vm_space_cr3(const struct vm_space *s);

#endif
