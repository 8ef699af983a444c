/*
 * The tests' own page walker, written from the SDM (vol. 3A 4.3 and 4.4) and independent of
 * kernel/paging: it has its own bit constants and reads raw entries from the simulated memory,
 * the way the CPU would with the simulated CR3/CR4/EFER (and, for the active PAE space, the
 * PDPTE registers loaded at the last CR3 write rather than the PDPT in memory).
 */
#ifndef PAGODA_TEST_PAGING_REF_WALK_H
#define PAGODA_TEST_PAGING_REF_WALK_H

#include "sim.h"

struct ref_result {
    bool mapped;
    bool reserved_fault; /* a reserved bit was set somewhere on the way */
    char why[120];
    uint64_t pa;
    uint64_t page_base_va;
    uint64_t page_size;
    uint32_t prot; /* PAGING_PROT_READ/WRITE/USER/EXEC/GLOBAL + cache */
};

/* root: PD (32-bit) or PDPT (PAE) phys. use_pdpte_registers: walk as the CPU does for CR3. */
void ref_walk(struct sim *sim, bool pae, uint64_t root, bool use_pdpte_registers, uint32_t va,
              struct ref_result *out);

/* Counts table pages per level reachable from root over root indices [first, limit). */
struct ref_tables {
    unsigned per_level[3];
    unsigned empty_tables; /* non-root tables with no present entry */
    unsigned bad;          /* pointers to frames that are not live tables */
};
void ref_count_tables(struct sim *sim, bool pae, uint64_t root, unsigned first, unsigned limit,
                      bool count_root, struct ref_tables *out);

#endif
