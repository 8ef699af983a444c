/*
 * PAE paging (SDM 4.4): a 32-byte PDPT of four 8-byte entries, each pointing to a page
 * directory of 512 PDEs; a PDE maps 2 MiB directly (PS=1) or through a page table of 512 PTEs.
 *
 * What this format adds over 32-bit paging: frames (and tables) anywhere below the CPU's
 * MAXPHYADDR, and execute-disable in bit 63 when EFER.NXE can be set (env.nx_available).
 * Without NXE bit 63 is reserved, so it is never written and NX requests are ignored
 * (paging.nx_enforced = false; walks report EXEC).
 *
 * Two PDPT rules: its entries carry only P, PWT and PCD (RW/US/NX there are reserved bits and
 * fault on the CR3 load), and the CPU reads all four at CR3 load, so changing one in the
 * active space takes a CR3 reload (paging_core does it). The PDPT gets a whole page here, under
 * 4 GiB as CR3 needs. Kernel/user split: every space's fourth PDPT entry points to the one
 * kernel-half page directory, allocated with the kernel space and never freed while it lives.
 */
#include "paging_format.h"
#include "../arch/pte_bits.h"

#define PAE_DEFAULT_PHYS_BITS 36u

static const char *const level_names_pae[] = {"PDPT", "PD", "PT"};

static uint64_t table_entry_pae(unsigned level, uint64_t table_phys)
{
    uint64_t addr = table_phys & PTEPAE_ADDR_MASK;
    if (level == 0)
        return (PTE_P & PDPTE_ALLOWED_FLAGS) | addr;
    return PTE_P | PTE_RW | PTE_US | addr;
}

static uint64_t leaf_pae(const struct paging *pg, unsigned level, uint64_t pa, uint32_t prot)
{
    bool large = level == 1;
    uint64_t entry = paging_leaf_common_bits(pg, prot, large) |
                     (pa & (large ? PTEPAE_LARGE_ADDR_MASK : PTEPAE_ADDR_MASK));
    if (pg->nx_enforced && !(prot & PAGING_PROT_EXEC))
        entry |= PTE_NX;
    return entry;
}

static uint64_t addr_pae(unsigned level, uint64_t entry, bool leaf)
{
    return entry & (leaf && level == 1 ? PTEPAE_LARGE_ADDR_MASK : PTEPAE_ADDR_MASK);
}

static uint32_t allows_pae(const struct paging *pg, unsigned level, uint64_t entry)
{
    if (level == 0)
        return PAGING_PROT_WRITE | PAGING_PROT_USER |
               PAGING_PROT_EXEC; /* PDPTEs restrict nothing */
    uint32_t allowed = 0;
    if (entry & PTE_RW)
        allowed |= PAGING_PROT_WRITE;
    if (entry & PTE_US)
        allowed |= PAGING_PROT_USER;
    if (!pg->nx_enforced || !(entry & PTE_NX))
        allowed |= PAGING_PROT_EXEC;
    return allowed;
}

static uint32_t attrs_pae(const struct paging *pg, unsigned level, uint64_t entry)
{
    (void)pg;
    return paging_leaf_common_attrs(entry, level == 1);
}

static uint32_t cr3_pae(uint64_t root)
{
    return (uint32_t)(root & CR3_PDPT_ADDR_MASK);
}

static uint32_t cr4_pae(const struct paging *pg, uint32_t cr4)
{
    cr4 = (cr4 & ~CR4_PGE) | CR4_PAE;
    if (pg->global_enabled)
        cr4 |= CR4_PGE;
    return cr4;
}

static const struct paging_format format_pae = {
    .levels = 3,
    .entry_bytes = 8,
    .va_shift = {30, 21, 12},
    .entries = {4, 512, 512},
    .large_level = 1,
    .root_in_registers = true,
    .kernel_pdes_copied = false,
    .kernel_table_pinned = true,
    .tables_below_4g = false,
    .make_table_entry = table_entry_pae,
    .make_leaf = leaf_pae,
    .entry_addr = addr_pae,
    .entry_allows = allows_pae,
    .leaf_attrs = attrs_pae,
    .cr3_of = cr3_pae,
    .cr4_for = cr4_pae,
};

static int init_pae(struct paging *pg, const struct paging_env *env)
{
    if (!env->pae_available)
        return PAGING_ERR_FEATURE;
    int rc = paging_core_init(pg, &paging_mode_pae, &format_pae, env);
    if (rc != PAGING_OK)
        return rc;
    unsigned bits = env->phys_addr_bits ? env->phys_addr_bits : PAE_DEFAULT_PHYS_BITS;
    if (bits > PAE_MAX_PHYS_BITS)
        bits = PAE_MAX_PHYS_BITS;
    if (bits < 32u)
        bits = 32u;
    pg->phys_limit = 1ull << bits;
    pg->large_phys_limit = pg->phys_limit;
    pg->large_pages = true; /* 2 MiB pages need no CR4 bit under PAE */
    pg->nx_enforced = env->nx_available;
    return PAGING_OK;
}

const struct paging_mode paging_mode_pae = {
    .name = "PAE three-level",
    .levels = 3,
    .level_names = level_names_pae,
    .large_page_size = 2ull << 20,
    .init = init_pae,
    PAGING_CORE_OPERATIONS,
};
