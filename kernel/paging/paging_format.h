/*
 * What differs between 32-bit and PAE paging, as data and a few encode/decode functions. The
 * algorithms (map, unmap, protect, split, free-when-empty, TLB policy, walks) live once in
 * paging_core.c and only ask the format how an entry looks. Internal to kernel/paging/.
 *
 * Levels are numbered from the root: level 0 is the PD (32-bit) or the PDPT (PAE).
 */
#ifndef PAGODA_PAGING_FORMAT_H
#define PAGODA_PAGING_FORMAT_H

#include "paging.h"

struct paging_format {
    unsigned levels;
    unsigned entry_bytes;                /* 4 or 8 */
    uint8_t va_shift[PAGING_MAX_LEVELS]; /* first va bit an index at this level selects */
    uint16_t entries[PAGING_MAX_LEVELS]; /* entries per table at this level */
    unsigned large_level;                /* the level whose entries can map a large page */
    bool root_in_registers;   /* PAE: PDPTEs are loaded at CR3 load; changes need a reload */
    bool kernel_pdes_copied;  /* 32-bit: kernel-half root entries copied into every user PD */
    bool kernel_table_pinned; /* PAE: the kernel half's level-1 PD is shared and never freed */
    bool tables_below_4g;     /* 32-bit: every table must be below 4 GiB */
    uint64_t (*make_table_entry)(unsigned level, uint64_t table_phys);
    uint64_t (*make_leaf)(const struct paging *pg, unsigned level, uint64_t pa, uint32_t prot);
    uint64_t (*entry_addr)(unsigned level, uint64_t entry, bool leaf);
    /* What this (present) entry still allows: PAGING_PROT_WRITE/USER/EXEC. */
    uint32_t (*entry_allows)(const struct paging *pg, unsigned level, uint64_t entry);
    /* PAGING_PROT_GLOBAL and the cache type of a present leaf. */
    uint32_t (*leaf_attrs)(const struct paging *pg, unsigned level, uint64_t entry);
    uint32_t (*cr3_of)(uint64_t root);
    /* CR4 with the format's bits set and the other formats' cleared. */
    uint32_t (*cr4_for)(const struct paging *pg, uint32_t cr4);
};

/* paging_core.c: the shared algorithms, used to fill both modes' function tables. */
int paging_core_init(struct paging *pg, const struct paging_mode *mode,
                     const struct paging_format *format, const struct paging_env *env);
int paging_core_create(struct paging *pg, struct paging_as *as, enum paging_as_kind kind,
                       struct paging_as *kernel);
int paging_core_destroy(struct paging_as *as);
int paging_core_map(struct paging_as *as, uint32_t va, uint64_t pa, uint64_t size, uint32_t prot,
                    uint64_t page_size, uint32_t flags);
int paging_core_unmap(struct paging_as *as, uint32_t va, uint64_t size);
int paging_core_protect(struct paging_as *as, uint32_t va, uint64_t size, uint32_t prot);
void paging_core_translate(const struct paging_as *as, uint32_t va, struct paging_walk *walk);
void paging_core_activate(struct paging_as *as);
void paging_core_deactivate(struct paging *pg);
void paging_core_counters(const struct paging *pg, struct paging_counters *out);

/* The operations both formats share: a struct paging_mode lists these after its own init. */
#define PAGING_CORE_OPERATIONS                                                                     \
    .create = paging_core_create, .destroy = paging_core_destroy, .map = paging_core_map,          \
    .unmap = paging_core_unmap, .protect = paging_core_protect,                                    \
    .translate = paging_core_translate, .activate = paging_core_activate,                          \
    .deactivate = paging_core_deactivate, .counters = paging_core_counters

/* P, RW, US, G, PS and the PAT index bits of a leaf, the same in both formats. */
uint64_t paging_leaf_common_bits(const struct paging *pg, uint32_t prot, bool large);
/* PAGING_PROT_GLOBAL and the cache type a leaf's bits encode. */
uint32_t paging_leaf_common_attrs(uint64_t entry, bool large);

#endif
