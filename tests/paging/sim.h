/*
 * A simulated machine for the paging tests: 64 MiB of physical memory at 0, a pool of sparse
 * frames far above 4 GiB, a table-frame allocator that tracks every frame it hands out, and a
 * CPU model: CR3/CR4/EFER, the four PAE PDPTE registers loaded at CR3 write (with the reserved-bit
 * check the CPU does), and a small TLB that INVLPG, CR3 loads and CR4.PGE toggles invalidate
 * the way the SDM says (global entries survive CR3 loads).
 */
#ifndef PAGODA_TEST_PAGING_SIM_H
#define PAGODA_TEST_PAGING_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "paging.h"

#define SIM_LOW_BYTES   (64u << 20)
#define SIM_LOW_FRAMES  (SIM_LOW_BYTES / 4096u)
#define SIM_HIGH_FRAMES 4096u
#define SIM_HIGH_BASE   0x800000000ull /* 32 GiB: bit 35, still inside a 36-bit MAXPHYADDR */
#define SIM_TLB_SIZE    64u

/* A cached translation, as the simulated TLB holds it. */
struct sim_tlb_entry {
    bool valid;
    uint64_t va_base;
    uint64_t size;
    uint64_t pa_base;
    uint32_t prot; /* PAGING_PROT_* incl. cache and GLOBAL */
};

struct sim {
    uint8_t *low;
    uint8_t *high;
    bool *in_use; /* SIM_LOW_FRAMES + SIM_HIGH_FRAMES table-frame flags */
    unsigned cursor;
    bool high_tables; /* tables that may live above 4 GiB are taken from the high pool */
    long allocs, frees, live;
    long fail_after; /* allocations left before alloc_table fails; < 0: never */
    unsigned bad_accesses;
    /* Window mode: table_ptr hands out ONE shared 4 KiB window holding a copy of the frame
       (written back when another frame is asked for), like a kernel's temporary mapping. Code
       that kept a pointer across table_ptr calls would read or write the wrong table. */
    bool window_mode;
    long window_frame;
    uint8_t *window;
    unsigned window_switches;
    /* CPU */
    uint32_t cr3, cr4;
    uint64_t efer;
    uint64_t pdpte[4];
    unsigned phys_bits;
    bool pse36; /* CPUID.PSE36: 4 MiB PDEs carry physical bits 39:32 in bits 20:13 */
    unsigned invlpg_count, cr3_writes, cr4_writes, efer_writes;
    unsigned cpu_faults;
    char fault_msg[200];
    struct sim_tlb_entry tlb[SIM_TLB_SIZE];
    unsigned tlb_next;
};

void sim_init(struct sim *sim, bool high_tables);
void sim_fini(struct sim *sim);
/* An env over this sim with the given CPU features. */
struct paging_env sim_env(struct sim *sim, bool pse, bool pae, bool pge, bool nx, bool pat,
                          unsigned phys_bits);
/* Gives the simulated CPU PSE-36 and tells env so. */
void sim_enable_pse36(struct sim *sim, struct paging_env *env);
/* Raw 4 or 8 byte read of a table frame; counts a bad access if phys is not a live table. */
uint64_t sim_read(struct sim *sim, uint64_t phys, unsigned bytes);
bool sim_is_table(const struct sim *sim, uint64_t phys);

void sim_tlb_fill(struct sim *sim, const struct sim_tlb_entry *entry);
const struct sim_tlb_entry *sim_tlb_lookup(const struct sim *sim, uint64_t va);

#endif
