/*
 * The environment the kernel gives kernel/paging (struct paging_env): where table frames come
 * from, how a table is reached, and the real CPU operations.
 *
 *   table frames  first from a pool of VM_POOL_FRAMES frames inside the direct map, so the
 *                 first tables (and the window's own page table) are reachable without the
 *                 window; then from the frame allocator, anywhere the format can reach.
 *   table access  the direct map, else the window's table slot.
 *   CR3/CR4       for real. A load that changes the CR4 format bits (PAE, PSE) is made with
 *                 paging off by vm_switch_paging at its physical address: vm/space.c arms that
 *                 path only while the switch code is identity-mapped in both spaces.
 */
#ifndef PAGODA_VM_ENV_H
#define PAGODA_VM_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "../mem/frames.h"
#include "../paging/paging.h"

#define VM_POOL_FRAMES 64u

/* Frames for tables come from frames (and from the pool at pool_phys once it is claimed);
 * pool_phys 0: no pool, every table from the allocator. */
void vm_env_init(struct frames *frames, uint64_t pool_phys);
/* The environment for a paging instance, with what this CPU offers. */
struct paging_env vm_env(void);
/* Allow (or forbid again) a load that changes the paging format. */
void vm_env_allow_format_switch(bool allow);
/* The allocator the tables come from, for code that maps frames into spaces. */
struct frames *vm_env_frames(void);
/* Where the pool is (0 if none). */
uint64_t vm_env_pool_phys(void);

#endif
