/*
 * 32-bit two-level paging (SDM 4.3): a page directory of 1024 4-byte PDEs, each mapping 4 MiB
 * through a page table of 1024 PTEs or, with CR4.PSE, directly as a 4 MiB page.
 *
 * Limits of this format, by design: 4 KiB pages and every table below 4 GiB; 4 MiB pages above
 * 4 GiB only with PSE-36 (physical bits 39:32 in PDE bits 20:13), and such a page cannot be
 * split; no execute-disable (every present page is executable, whatever prot says:
 * paging.nx_enforced stays false and walks report EXEC).
 * Kernel/user split: the kernel-half PDEs are copied into every user page directory and kept
 * in sync when the kernel space changes one (like FreeBSD's pmap_nopae and Haiku).
 */
#include "paging_format.h"
#include "../arch/pte_bits.h"

static const char *const level_names_2level[] = {"PD", "PT"};

static uint64_t table_entry_2level(unsigned level, uint64_t table_phys)
{
    (void)level;
    /* Rights are decided at the leaf: the PDE grants everything. */
    return PTE_P | PTE_RW | PTE_US | (table_phys & PTE32_ADDR_MASK);
}

/* Physical bits 39:32 of a 4 MiB page, placed where PSE-36 reads them. The core never passes
   a frame above 4 GiB unless pg->large_phys_limit (PSE-36) allows it. */
static uint64_t pse36_high_bits(uint64_t pa)
{
    return ((pa >> 32) << PTE32_PSE36_SHIFT) & PTE32_PSE36_HIGH_MASK;
}

static uint64_t leaf_2level(const struct paging *pg, unsigned level, uint64_t pa, uint32_t prot)
{
    bool large = level == 0;
    if (large)
        return paging_leaf_common_bits(pg, prot, true) | (pa & PTE32_LARGE_ADDR_MASK) |
               pse36_high_bits(pa);
    return paging_leaf_common_bits(pg, prot, false) | (pa & PTE32_ADDR_MASK);
}

static uint64_t addr_2level(unsigned level, uint64_t entry, bool leaf)
{
    if (!(leaf && level == 0))
        return entry & PTE32_ADDR_MASK;
    /* Without PSE-36 these bits are never set by this code (they are reserved then). */
    return (entry & PTE32_LARGE_ADDR_MASK) |
           (((entry & PTE32_PSE36_HIGH_MASK) >> PTE32_PSE36_SHIFT) << 32);
}

static uint32_t allows_2level(const struct paging *pg, unsigned level, uint64_t entry)
{
    (void)pg;
    (void)level;
    return PAGING_PROT_EXEC | ((entry & PTE_RW) ? PAGING_PROT_WRITE : 0u) |
           ((entry & PTE_US) ? PAGING_PROT_USER : 0u);
}

static uint32_t attrs_2level(const struct paging *pg, unsigned level, uint64_t entry)
{
    (void)pg;
    return paging_leaf_common_attrs(entry, level == 0);
}

static uint32_t cr3_2level(uint64_t root)
{
    return (uint32_t)(root & CR3_PD_ADDR_MASK);
}

static uint32_t cr4_2level(const struct paging *pg, uint32_t cr4)
{
    cr4 &= ~(CR4_PAE | CR4_PSE | CR4_PGE);
    if (pg->large_pages)
        cr4 |= CR4_PSE;
    if (pg->global_enabled)
        cr4 |= CR4_PGE;
    return cr4;
}

static const struct paging_format format_2level = {
    .levels = 2,
    .entry_bytes = 4,
    .va_shift = {22, 12},
    .entries = {1024, 1024},
    .large_level = 0,
    .root_in_registers = false,
    .kernel_pdes_copied = true,
    .kernel_table_pinned = false,
    .tables_below_4g = true,
    .make_table_entry = table_entry_2level,
    .make_leaf = leaf_2level,
    .entry_addr = addr_2level,
    .entry_allows = allows_2level,
    .leaf_attrs = attrs_2level,
    .cr3_of = cr3_2level,
    .cr4_for = cr4_2level,
};

static int init_2level(struct paging *pg, const struct paging_env *env)
{
    int rc = paging_core_init(pg, &paging_mode_2level, &format_2level, env);
    if (rc != PAGING_OK)
        return rc;
    pg->phys_limit = PAGING_ADDR_SPACE;
    pg->large_pages = env->pse_available;
    pg->large_phys_limit = PAGING_ADDR_SPACE;
    if (env->pse_available && env->pse36_available) {
        unsigned bits = env->phys_addr_bits ? env->phys_addr_bits : 36u;
        if (bits > PTE32_PSE36_PHYS_BITS)
            bits = PTE32_PSE36_PHYS_BITS;
        if (bits > 32u)
            pg->large_phys_limit = 1ull << bits;
    }
    pg->nx_enforced = false;
    return PAGING_OK;
}

const struct paging_mode paging_mode_2level = {
    .name = "32-bit two-level",
    .levels = 2,
    .level_names = level_names_2level,
    .large_page_size = 4ull << 20,
    .init = init_2level,
    PAGING_CORE_OPERATIONS,
};
