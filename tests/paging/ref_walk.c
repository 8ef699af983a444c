#include "ref_walk.h"

#include <stdio.h>

/* SDM bit positions, spelled out here on purpose (independent of kernel/arch/pte_bits.h). */
#define SDM_P        (1ull << 0)
#define SDM_RW       (1ull << 1)
#define SDM_US       (1ull << 2)
#define SDM_PWT      (1ull << 3)
#define SDM_PCD      (1ull << 4)
#define SDM_PS       (1ull << 7)
#define SDM_PAT4K    (1ull << 7)
#define SDM_G        (1ull << 8)
#define SDM_PATBIG   (1ull << 12)
#define SDM_XD       (1ull << 63)
#define SDM_CR4_PSE  (1u << 4)
#define SDM_CR4_PGE  (1u << 7)
#define SDM_EFER_NXE (1ull << 11)

static unsigned pat_index(uint64_t e, bool big)
{
    return ((e & SDM_PWT) ? 1u : 0u) | ((e & SDM_PCD) ? 2u : 0u) |
           ((e & (big ? SDM_PATBIG : SDM_PAT4K)) ? 4u : 0u);
}

/* The cache type a PAT index selects with the layout the kernel programs (WB WT UC- UC WC ...). */
static uint32_t cache_prot(unsigned index)
{
    static const enum paging_cache layout[8] = {
        PAGING_CACHE_WB, PAGING_CACHE_WT, PAGING_CACHE_UC_MINUS, PAGING_CACHE_UC,
        PAGING_CACHE_WC, PAGING_CACHE_WT, PAGING_CACHE_UC_MINUS, PAGING_CACHE_UC};
    return PAGING_PROT_CACHE(layout[index]);
}

static void fault(struct ref_result *out, const char *what, uint64_t e)
{
    out->reserved_fault = true;
    out->mapped = false;
    snprintf(out->why, sizeof(out->why), "%s: entry 0x%016llx", what, (unsigned long long)e);
}

static void finish(struct sim *sim, struct ref_result *out, uint32_t va, uint64_t frame,
                   uint64_t size, uint64_t leaf, bool big, bool w, bool u, bool x)
{
    out->mapped = true;
    out->page_size = size;
    out->page_base_va = va & ~(size - 1);
    out->pa = frame + (va & (size - 1));
    out->prot = PAGING_PROT_READ | (w ? PAGING_PROT_WRITE : 0u) | (u ? PAGING_PROT_USER : 0u) |
                (x ? PAGING_PROT_EXEC : 0u) | cache_prot(pat_index(leaf, big));
    if ((leaf & SDM_G) && (sim->cr4 & SDM_CR4_PGE))
        out->prot |= PAGING_PROT_GLOBAL;
}

static void walk_32bit(struct sim *sim, uint64_t root, uint32_t va, struct ref_result *out)
{
    uint64_t pde = sim_read(sim, root + 4u * (va >> 22), 4);
    if (!(pde & SDM_P))
        return;
    if ((pde & SDM_PS) && (sim->cr4 & SDM_CR4_PSE)) {
        /* 4 MiB page (SDM table 4-4): bits 31:22 are address bits 31:22. With PSE-36, M =
           min(MAXPHYADDR, 40); bits (M-20):13 are address bits (M-1):32 and bits 21:(M-19) are
           reserved. Without PSE-36, M = 32: bits 21:13 are all reserved. */
        unsigned m = 32;
        if (sim->pse36)
            m = sim->phys_bits < 40 ? sim->phys_bits : 40;
        uint64_t reserved = (1ull << 22) - (1ull << (m - 19));
        if (pde & reserved)
            return fault(out, "32-bit 4 MiB PDE with a reserved bit in 21:13", pde);
        uint64_t high = (pde >> 13) & ((1ull << (m - 32)) - 1);
        return finish(sim, out, va, (high << 32) | (pde & 0xffc00000u), 1u << 22, pde, true,
                      pde & SDM_RW, pde & SDM_US, true);
    }
    uint64_t pt = pde & 0xfffff000u;
    uint64_t pte = sim_read(sim, pt + 4u * ((va >> 12) & 0x3ffu), 4);
    if (!(pte & SDM_P))
        return;
    finish(sim, out, va, pte & 0xfffff000u, 4096, pte, false, (pde & SDM_RW) && (pte & SDM_RW),
           (pde & SDM_US) && (pte & SDM_US), true);
}

static void walk_pae(struct sim *sim, uint64_t root, bool regs, uint32_t va, struct ref_result *out)
{
    uint64_t maxphys_mask = ((1ull << sim->phys_bits) - 1) & ~0xfffull;
    bool nxe = (sim->efer & SDM_EFER_NXE) != 0;
    uint64_t high_reserved = ~((1ull << sim->phys_bits) - 1) & ~SDM_XD;
    uint64_t xd_reserved = nxe ? 0 : SDM_XD;
    unsigned i = va >> 30;
    uint64_t pdpte = regs ? sim->pdpte[i] : sim_read(sim, (root & ~0x1full) + 8u * i, 8);
    if (!(pdpte & SDM_P))
        return;
    if (pdpte & ((3ull << 1) | (0xfull << 5) | SDM_XD | high_reserved))
        return fault(out, "PDPTE reserved bit", pdpte);
    uint64_t pde = sim_read(sim, (pdpte & maxphys_mask) + 8u * ((va >> 21) & 0x1ffu), 8);
    if (!(pde & SDM_P))
        return;
    if (pde & (high_reserved | xd_reserved))
        return fault(out, "PAE PDE reserved bit", pde);
    bool x = !(nxe && (pde & SDM_XD));
    if (pde & SDM_PS) {
        if (pde & 0x1fe000u)
            return fault(out, "PAE 2 MiB PDE with bits 20:13 set", pde);
        return finish(sim, out, va, pde & maxphys_mask & ~0x1fffffull, 1u << 21, pde, true,
                      pde & SDM_RW, pde & SDM_US, x);
    }
    uint64_t pte = sim_read(sim, (pde & maxphys_mask) + 8u * ((va >> 12) & 0x1ffu), 8);
    if (!(pte & SDM_P))
        return;
    if (pte & (high_reserved | xd_reserved))
        return fault(out, "PAE PTE reserved bit", pte);
    x = x && !(nxe && (pte & SDM_XD));
    finish(sim, out, va, pte & maxphys_mask, 4096, pte, false, (pde & SDM_RW) && (pte & SDM_RW),
           (pde & SDM_US) && (pte & SDM_US), x);
}

void ref_walk(struct sim *sim, bool pae, uint64_t root, bool use_pdpte_registers, uint32_t va,
              struct ref_result *out)
{
    *out = (struct ref_result){0};
    if (pae)
        walk_pae(sim, root, use_pdpte_registers, va, out);
    else
        walk_32bit(sim, root, va, out);
}

static bool table_empty(struct sim *sim, uint64_t table, unsigned n, unsigned bytes)
{
    for (unsigned i = 0; i < n; i++)
        if (sim_read(sim, table + (uint64_t)i * bytes, bytes) & SDM_P)
            return false;
    return true;
}

void ref_count_tables(struct sim *sim, bool pae, uint64_t root, unsigned first, unsigned limit,
                      bool count_root, struct ref_tables *out)
{
    *out = (struct ref_tables){0};
    unsigned bytes = pae ? 8 : 4;
    uint64_t mask = pae ? (((1ull << sim->phys_bits) - 1) & ~0xfffull) : 0xfffff000u;
    if (count_root)
        out->per_level[0]++;
    for (unsigned i = first; i < limit; i++) {
        uint64_t e = sim_read(sim, root + (uint64_t)i * bytes, bytes);
        if (!(e & SDM_P) || (!pae && (e & SDM_PS) && (sim->cr4 & SDM_CR4_PSE)))
            continue;
        uint64_t child = e & mask;
        if (!sim_is_table(sim, child)) {
            out->bad++;
            continue;
        }
        out->per_level[1]++;
        unsigned n1 = pae ? 512 : 1024;
        if (table_empty(sim, child, n1, bytes))
            out->empty_tables++;
        if (!pae)
            continue;
        for (unsigned j = 0; j < 512; j++) {
            uint64_t pde = sim_read(sim, child + 8u * j, 8);
            if (!(pde & SDM_P) || (pde & SDM_PS))
                continue;
            uint64_t pt = pde & mask;
            if (!sim_is_table(sim, pt)) {
                out->bad++;
                continue;
            }
            out->per_level[2]++;
            if (table_empty(sim, pt, 512, 8))
                out->empty_tables++;
        }
    }
}
