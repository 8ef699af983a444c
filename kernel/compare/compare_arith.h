/*
 * The arithmetic the structural metrics are checked against: how many page-table pages (and
 * bytes) each format needs for a set of mappings, derived only from the entry formats (Intel SDM
 * vol. 3A 4.3 and 4.4), never from the page-table code. Pure code, host-tested.
 *
 *   two-level: PD 1024 x 4 B, PT 1024 x 4 B; a PDE covers 4 MiB (a PSE page or one PT)
 *   PAE:       PDPT 4 x 8 B (32 bytes), PD 512 x 8 B, PT 512 x 8 B; a PDPTE covers 1 GiB, a PDE
 *              2 MiB (a large page or one PT)
 */
#ifndef PAGODA_COMPARE_ARITH_H
#define PAGODA_COMPARE_ARITH_H

#include <stdbool.h>
#include <stdint.h>

#define CMP_LEVELS_MAX   3u
#define CMP_LINE_BYTES   64u /* the cache-line size the line counts assume */
#define CMP_PDPT_BYTES   32u
#define CMP_ONE_GIB      0x40000000ull
#define CMP_FOUR_GIB     0x100000000ull
#define CMP_LARGE_2LEVEL 0x400000ull
#define CMP_LARGE_PAE    0x200000ull

struct cmp_geometry {
    bool pae;
    unsigned levels;
    unsigned entry_bytes;
    uint32_t entries_per_table;
    uint64_t large_page; /* what one PDE covers */
    uint32_t root_bytes; /* 4096 (PD) or 32 (PDPT) */
};

struct cmp_geometry cmp_geometry_of(bool pae);

/* Running count of table pages for mappings added in increasing virtual-address order. */
struct cmp_tables {
    struct cmp_geometry geo;
    uint32_t pages[CMP_LEVELS_MAX]; /* level 0 = root */
    uint64_t last_pt_region;        /* last large-page region that got a PT, +1 (0 = none) */
    uint64_t last_pd_region;        /* PAE: last 1 GiB region that got a PD, +1 */
};

void cmp_tables_start(struct cmp_tables *t, bool pae);
/*
 * Adds [va, va+size) -> pa. large: large pages wherever va and pa share the large-page
 * alignment (what PAGING_SIZE_AUTO does); else 4 KiB pages only. Calls must come in increasing,
 * non-overlapping va order. size is a multiple of 4 KiB.
 */
void cmp_tables_add(struct cmp_tables *t, uint64_t va, uint64_t pa, uint64_t size, bool large);
uint32_t cmp_tables_total_pages(const struct cmp_tables *t);
/* Bytes of the formats' tables: the PAE PDPT counts 32 bytes, every other table 4096. */
uint64_t cmp_tables_bytes(const struct cmp_tables *t);

/* Mapping n 4 KiB pages at a 1 GiB-aligned address of an empty space. */
struct cmp_write_cost {
    uint32_t entries;    /* entries that became present: leaves, PDEs, PDPTEs */
    uint32_t lines;      /* cache lines holding them */
    uint32_t new_tables; /* tables allocated (and zeroed: 4096 bytes each) */
};
struct cmp_write_cost cmp_write_cost(bool pae, uint32_t n);

/* Table levels whose entries the CPU reads (and sets A in) for one TLB miss. The PAE PDPTEs
 * are not among them: the CPU loads them at CR3 load. */
unsigned cmp_levels_walked(bool pae, bool large);

/* The seed's flat single-level table: one entry of the format's size per 4 KiB page of the
 * 4 GiB address space (2^20 entries: 4 MiB with 4-byte entries, 8 MiB with 8-byte ones). */
uint64_t cmp_flat_table_bytes(bool pae);

/* Root entries covering the kernel half [kernel_base, 4 GiB): what every new user space copies
 * from its kernel space (two-level: a PDE per 4 MiB; PAE: a PDPTE per GiB, each pointing at a
 * page directory all processes share). */
uint32_t cmp_kernel_root_entries(bool pae, uint64_t kernel_base);
/* Copies into user spaces when the kernel space changes a kernel-half entry one level below the
 * root's span (a new page table) while users user spaces share it: two-level, the PDE is a root
 * entry, copied into every user directory; PAE, it lies in the shared PD: no copy. */
uint32_t cmp_kernel_change_copies(bool pae, uint32_t users);

/* First physical address a format cannot map: 4 GiB, or 2^MAXPHYADDR under PAE. */
uint64_t cmp_phys_limit(bool pae, unsigned max_phys_bits);

#endif
