/*
 * Unit tests of kernel/paging on a simulated machine: exact structural numbers, the rules of
 * paging.h one by one, and seeded random op sequences checked against a model (harness.c).
 */
#include <stdio.h>
#include "pagoda/page.h"
#include <stdlib.h>
#include <string.h>

#include "arch/x86_bits.h"
#include "harness.h"
#include "panic_host.h"
#include "tap.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define RW  (PAGING_PROT_READ | PAGING_PROT_WRITE)

/* A paging instance on a fresh sim, for the hand-written tests. */
struct rig {
    struct sim sim;
    struct paging pg;
    const struct paging_mode *mode;
};

static void rig_init(struct rig *r, const struct paging_mode *mode, bool high_tables, bool nx,
                     bool pge)
{
    sim_init(&r->sim, high_tables);
    struct paging_env env = sim_env(&r->sim, true, true, pge, nx, true, 36);
    r->mode = mode;
    if (mode->init(&r->pg, &env) != PAGING_OK) {
        fprintf(stderr, "init failed\n");
        exit(1);
    }
}

static unsigned table_pages(const struct paging_as *as)
{
    return as->tables[0] + as->tables[1] + as->tables[2];
}

static bool rig_done(struct rig *r)
{
    r->mode->deactivate(&r->pg);
    bool balanced = r->sim.live == 0 && r->sim.allocs == r->sim.frees && !r->sim.bad_accesses;
    sim_fini(&r->sim);
    return balanced;
}

/* ---- structural numbers ---- */

static void test_full_4gib_4k(const struct paging_mode *mode, unsigned exp_levels[3],
                              unsigned long long exp_kib)
{
    struct rig r;
    struct paging_as as;
    rig_init(&r, mode, false, true, true);
    mode->create(&r.pg, &as, PAGING_AS_FULL, NULL);
    int rc = mode->map(&as, 0, 0, 4 * GiB, RW, PAGODA_PAGE_SIZE, PAGING_MAP_ALLOW_NULL);
    struct ref_tables t;
    mode->activate(&as);
    ref_count_tables(&r.sim, mode == &paging_mode_pae, as.root, 0,
                     mode == &paging_mode_pae ? 4 : 1024, true, &t);
    struct paging_counters c;
    mode->counters(&r.pg, &c);
    unsigned long long kib = 4ull * table_pages(&as);
    TAP_CHECK(rc == PAGING_OK && as.tables[0] == exp_levels[0] && as.tables[1] == exp_levels[1] &&
                  as.tables[2] == exp_levels[2] && kib == exp_kib,
              "%s: all of 4 GiB in 4 KiB pages: tables %u + %u + %u = %llu KiB (expect %llu)",
              mode->name, as.tables[0], as.tables[1], as.tables[2], kib, exp_kib);
    TAP_CHECK(t.per_level[0] == as.tables[0] && t.per_level[1] == as.tables[1] &&
                  t.per_level[2] == as.tables[2] && c.tables[1] == as.tables[1] &&
                  (long)table_pages(&as) == r.sim.live,
              "%s: recount from memory %u + %u + %u, sim holds %ld frames", mode->name,
              t.per_level[0], t.per_level[1], t.per_level[2], r.sim.live);
    struct paging_walk w;
    mode->translate(&as, 0xdeadb000u, &w);
    TAP_CHECK(w.mapped && w.pa == 0xdeadb000u && w.count == mode->levels,
              "%s: 0xdeadb000 identity-mapped through %u levels", mode->name, w.count);
    mode->deactivate(&r.pg);
    TAP_CHECK(mode->destroy(&as) == PAGING_OK && rig_done(&r),
              "%s: destroy frees all %u table pages", mode->name,
              exp_levels[0] + exp_levels[1] + exp_levels[2]);
}

/* The 1 GiB kernel direct map at 0xC0000000 -> phys 0, with large and with 4 KiB pages. */
static void test_direct_map(const struct paging_mode *mode, uint64_t page_size,
                            unsigned exp_levels[3])
{
    struct rig r;
    struct paging_as kernel;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &kernel, PAGING_AS_KERNEL, NULL);
    unsigned before[3] = {kernel.tables[0], kernel.tables[1], kernel.tables[2]};
    int rc =
        mode->map(&kernel, PAGING_KERNEL_BASE, 0, 1 * GiB, RW | PAGING_PROT_GLOBAL, page_size, 0);
    struct paging_walk w;
    mode->translate(&kernel, 0xc1234000u, &w);
    TAP_CHECK(
        rc == PAGING_OK && kernel.tables[0] == exp_levels[0] && kernel.tables[1] == exp_levels[1] &&
            kernel.tables[2] == exp_levels[2] && w.mapped && w.pa == 0x1234000u &&
            w.page_size == (page_size ? page_size : mode->large_page_size),
        "%s: 1 GiB direct map, %llu KiB pages: %u + %u + %u tables = %llu KiB (empty kernel "
        "space had %u + %u + %u)",
        mode->name, (unsigned long long)(w.page_size / KiB), kernel.tables[0], kernel.tables[1],
        kernel.tables[2], 4ull * table_pages(&kernel), before[0], before[1], before[2]);
    /* A user space shares all of it for the price of its root table. */
    struct paging_as user;
    mode->create(&r.pg, &user, PAGING_AS_USER, &kernel);
    mode->translate(&user, 0xfffff000u, &w);
    TAP_CHECK(table_pages(&user) == 1 && w.mapped && w.pa == 0x3ffff000u &&
                  (w.prot & PAGING_PROT_GLOBAL),
              "%s: a user space costs %u table page and sees the direct map (0xfffff000 -> "
              "0x%llx)",
              mode->name, table_pages(&user), (unsigned long long)w.pa);
    TAP_CHECK(mode->destroy(&kernel) == PAGING_ERR_BUSY, "%s: kernel space with a user is busy",
              mode->name);
    TAP_CHECK(mode->destroy(&user) == PAGING_OK && mode->destroy(&kernel) == PAGING_OK &&
                  rig_done(&r),
              "%s: direct map torn down without leaks", mode->name);
}

/* ---- rules ---- */

static void test_split_and_free(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as as;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &as, PAGING_AS_FULL, NULL);
    mode->activate(&as);
    uint64_t large = mode->large_page_size;
    uint32_t va = 0x40000000u;
    int rc = mode->map(&as, va, 0x10000000u, large, RW, PAGING_SIZE_AUTO, 0);
    unsigned leaf_tables = table_pages(&as);
    struct paging_counters c0, c1, c2;
    mode->counters(&r.pg, &c0);
    int rc2 = mode->unmap(&as, va + 0x5000u, PAGODA_PAGE_SIZE);
    mode->counters(&r.pg, &c1);
    struct paging_walk w4, w5, w6;
    mode->translate(&as, va + 0x4000u, &w4);
    mode->translate(&as, va + 0x5000u, &w5);
    mode->translate(&as, va + 0x6000u, &w6);
    TAP_CHECK(rc == PAGING_OK && rc2 == PAGING_OK && c1.large_splits == c0.large_splits + 1 &&
                  table_pages(&as) == leaf_tables + 1 && c1.invlpg == c0.invlpg + 1 && w4.mapped &&
                  w4.pa == 0x10004000u && w4.page_size == PAGODA_PAGE_SIZE && !w5.mapped &&
                  w6.mapped && w6.pa == 0x10006000u,
              "%s: unmapping 4 KiB inside a large page splits it (1 split, +1 table, 1 INVLPG)",
              mode->name);
    rc = mode->unmap(&as, va, large);
    mode->counters(&r.pg, &c2);
    TAP_CHECK(rc == PAGING_OK && table_pages(&as) == leaf_tables - (mode->levels == 3 ? 1 : 0) &&
                  c2.empty_tables_freed - c1.empty_tables_freed == (mode->levels == 3 ? 2u : 1u),
              "%s: unmapping the rest frees the emptied tables (%u freed)", mode->name,
              c2.empty_tables_freed - c1.empty_tables_freed);
    mode->deactivate(&r.pg);
    TAP_CHECK(mode->destroy(&as) == PAGING_OK && rig_done(&r), "%s: no leak", mode->name);
}

static void test_tlb_policy(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as as, other;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &as, PAGING_AS_FULL, NULL);
    mode->create(&r.pg, &other, PAGING_AS_FULL, NULL);
    mode->activate(&as);
    uint32_t va = 0x00400000u;
    mode->map(&as, va, 0x800000u, 16 * PAGODA_PAGE_SIZE, PAGING_PROT_READ, PAGODA_PAGE_SIZE, 0);
    mode->map(&other, va, 0x800000u, 16 * PAGODA_PAGE_SIZE, PAGING_PROT_READ, PAGODA_PAGE_SIZE, 0);
    struct paging_counters a, b, c, d;
    mode->counters(&r.pg, &a);
    mode->protect(&as, va, 16 * PAGODA_PAGE_SIZE, RW | PAGING_PROT_EXEC);
    mode->counters(&r.pg, &b);
    TAP_CHECK(b.invlpg == a.invlpg, "%s: upgrade R -> RWX of 16 pages: no INVLPG (%u)", mode->name,
              b.invlpg - a.invlpg);
    mode->protect(&as, va, 16 * PAGODA_PAGE_SIZE, PAGING_PROT_READ);
    mode->counters(&r.pg, &c);
    TAP_CHECK(c.invlpg == b.invlpg + 16, "%s: downgrade of 16 active pages: 16 INVLPG (%u)",
              mode->name, c.invlpg - b.invlpg);
    mode->unmap(&other, va, 16 * PAGODA_PAGE_SIZE);
    mode->counters(&r.pg, &d);
    TAP_CHECK(d.invlpg == c.invlpg && d.cr3_reloads == c.cr3_reloads,
              "%s: unmap in an inactive space: no TLB work", mode->name);
    mode->unmap(&as, va, 16 * PAGODA_PAGE_SIZE);
    mode->counters(&r.pg, &a);
    /* 16 pages, then the emptied PT (INVLPG drops its cached PDE); PAE: the emptied PD too,
       whose PDPTE change takes a CR3 reload instead. */
    TAP_CHECK(a.invlpg == d.invlpg + 17 && a.cr3_reloads == d.cr3_reloads + (mode->levels == 3),
              "%s: unmap of 16 active pages: %u INVLPG, %u CR3 reload", mode->name,
              a.invlpg - d.invlpg, a.cr3_reloads - d.cr3_reloads);
    mode->activate(&other);
    mode->counters(&r.pg, &b);
    TAP_CHECK(b.cr3_reloads == a.cr3_reloads + 1 && b.global_flushes == a.global_flushes + 1,
              "%s: switching to another full space: 1 CR3 load + 1 global flush", mode->name);
    mode->deactivate(&r.pg);
    mode->destroy(&as);
    mode->destroy(&other);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
}

static void test_refusals(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as k, u;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &k, PAGING_AS_KERNEL, NULL);
    mode->create(&r.pg, &u, PAGING_AS_USER, &k);
    unsigned tables = table_pages(&k) + table_pages(&u);
    TAP_CHECK(mode->map(&u, 0, 0x1000, PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_NULL_PAGE,
              "%s: page 0 refused", mode->name);
    TAP_CHECK(mode->map(&u, 0, 0x1000, PAGODA_PAGE_SIZE, RW, 0, PAGING_MAP_ALLOW_NULL) == PAGING_OK,
              "%s: page 0 with PAGING_MAP_ALLOW_NULL", mode->name);
    TAP_CHECK(mode->map(&u, 0x1000, 0, 2 * PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_OK &&
                  mode->map(&u, 0x2000, 0, PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_EXISTS,
              "%s: mapping over a mapping refused", mode->name);
    TAP_CHECK(mode->protect(&u, 0x2000, 2 * PAGODA_PAGE_SIZE, RW) == PAGING_ERR_NOT_MAPPED,
              "%s: protect over a hole refused", mode->name);
    TAP_CHECK(mode->map(&u, 0xc0000000u, 0, PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_KERNEL_HALF &&
                  mode->map(&u, 0xbffff000u, 0, 2 * PAGODA_PAGE_SIZE, RW, 0, 0) ==
                      PAGING_ERR_KERNEL_HALF,
              "%s: user space cannot touch the kernel half", mode->name);
    TAP_CHECK(mode->map(&k, 0xc0000000u, 0, PAGODA_PAGE_SIZE, RW | PAGING_PROT_USER, 0, 0) ==
                      PAGING_ERR_PROT &&
                  mode->map(&u, 0x10000000u, 0, PAGODA_PAGE_SIZE, RW | PAGING_PROT_GLOBAL, 0, 0) ==
                      PAGING_ERR_PROT,
              "%s: user pages in the kernel half / global pages in the user half refused",
              mode->name);
    TAP_CHECK(mode->map(&u, 0x10000800u, 0, PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_ALIGN &&
                  mode->map(&u, 0x10000000u, 0x800, PAGODA_PAGE_SIZE, RW, 0, 0) ==
                      PAGING_ERR_ALIGN &&
                  mode->map(&u, 0x10000000u, 0x1000, mode->large_page_size, RW,
                            mode->large_page_size, 0) == PAGING_ERR_ALIGN &&
                  mode->map(&u, 0x10000000u, 0, PAGODA_PAGE_SIZE, RW, 1u << 30, 0) ==
                      PAGING_ERR_PAGE_SIZE &&
                  mode->map(&u, 0xfffff000u, 0, 2 * PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_RANGE,
              "%s: misaligned, unsupported page size, past 4 GiB refused", mode->name);
    uint64_t beyond = mode == &paging_mode_pae ? (1ull << 36) : (4ull << 30);
    TAP_CHECK(mode->map(&k, 0xd0000000u, beyond, PAGODA_PAGE_SIZE, RW, 0, 0) == PAGING_ERR_PHYS &&
                  mode->map(&k, 0xd0000000u, beyond - PAGODA_PAGE_SIZE, PAGODA_PAGE_SIZE, RW, 0,
                            0) == PAGING_OK,
              "%s: physical 0x%llx refused, the page below it accepted", mode->name,
              (unsigned long long)beyond);
    /* Allocation failure in the middle: nothing changes, nothing leaks. */
    long live = r.sim.live;
    r.sim.fail_after = 1;
    int rc = mode->map(&u, 0x20000000u, 0x100000u, 16 * MiB, RW, PAGODA_PAGE_SIZE, 0);
    r.sim.fail_after = -1;
    struct paging_walk w;
    mode->translate(&u, 0x20000000u, &w);
    TAP_CHECK(rc == PAGING_ERR_NO_MEMORY && r.sim.live == live && !w.mapped,
              "%s: out of table frames mid-map: all-or-nothing (%ld frames before and after)",
              mode->name, r.sim.live);
    TAP_CHECK(mode->create(&r.pg, &(struct paging_as){0}, PAGING_AS_USER, NULL) == PAGING_ERR_PROT,
              "%s: a user space needs a kernel space", mode->name);
    (void)tables;
    mode->destroy(&u);
    mode->destroy(&k);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
}

/* A rig with a kernel space and two user spaces sharing it, the first one active. */
static void kernel_and_two_users(struct rig *r, const struct paging_mode *mode, struct paging_as *k,
                                 struct paging_as *u1, struct paging_as *u2)
{
    rig_init(r, mode, true, true, true);
    mode->create(&r->pg, k, PAGING_AS_KERNEL, NULL);
    mode->create(&r->pg, u1, PAGING_AS_USER, k);
    mode->create(&r->pg, u2, PAGING_AS_USER, k);
    mode->activate(u1);
}

/* 32-bit kernel-half PDEs must reach user spaces created before the PDE existed. */
static void test_kernel_half_propagation(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as k, u1, u2;
    kernel_and_two_users(&r, mode, &k, &u1, &u2);
    mode->map(&k, 0xe0000000u, 0x200000u, PAGODA_PAGE_SIZE, RW, 0, 0);
    struct paging_walk w1, w2;
    mode->translate(&u1, 0xe0000000u, &w1);
    mode->translate(&u2, 0xe0000000u, &w2);
    TAP_CHECK(w1.mapped && w2.mapped && w1.pa == 0x200000u && w2.pa == 0x200000u,
              "%s: a new kernel mapping is seen by existing user spaces", mode->name);
    struct paging_counters a, b;
    mode->counters(&r.pg, &a);
    mode->unmap(&k, 0xe0000000u, PAGODA_PAGE_SIZE);
    mode->counters(&r.pg, &b);
    mode->translate(&u2, 0xe0000000u, &w2);
    TAP_CHECK(!w2.mapped && b.invlpg > a.invlpg,
              "%s: kernel unmap while a user space is active: gone everywhere, %u INVLPG",
              mode->name, b.invlpg - a.invlpg);
    mode->deactivate(&r.pg);
    mode->destroy(&u1);
    mode->destroy(&u2);
    mode->destroy(&k);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
}

/* The sharing counters: root entries copied at create, and re-copied when the kernel space
 * changes one: two-level 256 PDEs per user space and one per user per change; PAE one PDPTE and
 * nothing after (the kernel half is one shared PD). */
static void test_kernel_half_counters(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as k, u[3];
    bool pae = mode == &paging_mode_pae;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &k, PAGING_AS_KERNEL, NULL);
    struct paging_counters a, b, c;
    mode->counters(&r.pg, &a);
    for (unsigned i = 0; i < 3; i++)
        mode->create(&r.pg, &u[i], PAGING_AS_USER, &k);
    mode->counters(&r.pg, &b);
    unsigned per_user = pae ? 1u : 256u;
    TAP_CHECK(b.kernel_entries_copied - a.kernel_entries_copied == 3 * per_user &&
                  b.kernel_entries_synced == a.kernel_entries_synced,
              "%s: 3 user spaces copy %u kernel-half root entries (%u each), sync none", mode->name,
              b.kernel_entries_copied - a.kernel_entries_copied, per_user);
    mode->map(&k, 0xe0000000u, 0x200000u, PAGODA_PAGE_SIZE, RW, 0, 0); /* a new PT */
    mode->counters(&r.pg, &c);
    TAP_CHECK(c.kernel_entries_synced - b.kernel_entries_synced == (pae ? 0u : 3u),
              "%s: a new kernel-half PT is synced into %u user spaces", mode->name,
              c.kernel_entries_synced - b.kernel_entries_synced);
    mode->unmap(&k, 0xe0000000u, PAGODA_PAGE_SIZE); /* the PT is freed, its PDE cleared */
    mode->counters(&r.pg, &b);
    TAP_CHECK(b.kernel_entries_synced - c.kernel_entries_synced == (pae ? 0u : 3u),
              "%s: freeing it is synced into %u user spaces", mode->name,
              b.kernel_entries_synced - c.kernel_entries_synced);
    mode->map(&u[0], 0x10000000u, 0x200000u, PAGODA_PAGE_SIZE, RW, 0, 0);
    mode->counters(&r.pg, &c);
    TAP_CHECK(c.kernel_entries_synced == b.kernel_entries_synced,
              "%s: a user-half change is nobody else's business", mode->name);
    for (unsigned i = 0; i < 3; i++)
        mode->destroy(&u[i]);
    mode->destroy(&k);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
}

/* Global pages off and on again at run time, as clearcpuid=pge would leave them. */
static void test_set_global(const struct paging_mode *mode)
{
    struct rig r;
    struct paging_as k, u1, u2;
    kernel_and_two_users(&r, mode, &k, &u1, &u2);
    TAP_CHECK((r.sim.cr4 & CR4_PGE) != 0, "%s: CR4.PGE set with PGE available", mode->name);
    struct paging_counters a, b;
    mode->counters(&r.pg, &a);
    paging_set_global(&r.pg, false);
    mode->counters(&r.pg, &b);
    bool cleared = !(r.sim.cr4 & CR4_PGE) && b.global_flushes == a.global_flushes + 1;
    mode->activate(&u2);
    TAP_CHECK(cleared && !(r.sim.cr4 & CR4_PGE),
              "%s: off clears CR4.PGE at once and keeps it clear across a switch", mode->name);
    mode->map(&k, 0xe0000000u, 0x200000u, PAGODA_PAGE_SIZE, RW | PAGING_PROT_GLOBAL, 0, 0);
    struct paging_walk w;
    mode->translate(&k, 0xe0000000u, &w);
    TAP_CHECK(w.mapped && !(w.prot & PAGING_PROT_GLOBAL), "%s: new leaves get no G bit while off",
              mode->name);
    paging_set_global(&r.pg, true);
    mode->activate(&u1);
    TAP_CHECK((r.sim.cr4 & CR4_PGE) != 0, "%s: on sets CR4.PGE again", mode->name);
    mode->deactivate(&r.pg);
    mode->destroy(&u1);
    mode->destroy(&u2);
    mode->destroy(&k);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
    rig_init(&r, mode, true, true, false);
    paging_set_global(&r.pg, true);
    TAP_CHECK(!r.pg.global_enabled, "%s: without PGE, on changes nothing", mode->name);
    TAP_CHECK(rig_done(&r), "%s: no leak", mode->name);
}

/* ---- format details, read back raw from simulated memory ---- */

static uint64_t raw(struct rig *r, bool pae, uint64_t table, unsigned index)
{
    return sim_read(&r->sim, table + (uint64_t)index * (pae ? 8u : 4u), pae ? 8u : 4u);
}

static void test_pae_details(bool nx)
{
    struct rig r;
    struct paging_as k, u;
    const struct paging_mode *mode = &paging_mode_pae;
    rig_init(&r, mode, true, nx, true);
    mode->create(&r.pg, &k, PAGING_AS_KERNEL, NULL);
    mode->create(&r.pg, &u, PAGING_AS_USER, &k);
    mode->activate(&u);
    /* Data (no EXEC) above 4 GiB in the user half, code in the kernel half. */
    int rc1 =
        mode->map(&u, 0x40000000u, 0x234567000ull, PAGODA_PAGE_SIZE, RW | PAGING_PROT_USER, 0, 0);
    int rc2 = mode->map(&k, 0xc0400000u, 0x400000u, 2 * MiB,
                        PAGING_PROT_READ | PAGING_PROT_EXEC | PAGING_PROT_GLOBAL, 0, 0);
    bool pdpt_ok = u.root < 4 * GiB && !(u.root & 31u) && k.root < 4 * GiB;
    bool pdpte_flags_ok = true;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = raw(&r, true, u.root, i);
        if (e && (e & 0xfffull) != 1u)
            pdpte_flags_ok = false; /* only P: RW/US/A/... are reserved in a PDPTE */
    }
    TAP_CHECK(rc1 == PAGING_OK && rc2 == PAGING_OK && pdpt_ok && pdpte_flags_ok &&
                  r.sim.cpu_faults == 0,
              "PAE: PDPT below 4 GiB, 32-byte aligned, PDPTEs carry only P (CR3 load accepted)");
    TAP_CHECK(raw(&r, true, u.root, 3) == raw(&r, true, k.root, 3),
              "PAE: the user PDPT's 4th entry is the kernel's page directory");
    struct paging_walk w;
    mode->translate(&u, 0x40000123u, &w);
    uint64_t pte = w.level[2].entry;
    bool high_tables = w.level[1].table >= 4 * GiB || w.level[2].table >= 4 * GiB;
    TAP_CHECK(w.mapped && w.pa == 0x234567123ull && high_tables,
              "PAE: frame 0x234567000 (above 4 GiB) mapped through tables above 4 GiB (PD at "
              "0x%llx, PT at 0x%llx)",
              (unsigned long long)w.level[1].table, (unsigned long long)w.level[2].table);
    TAP_CHECK(nx ? ((pte >> 63) == 1 && !(w.prot & PAGING_PROT_EXEC))
                 : ((pte >> 63) == 0 && (w.prot & PAGING_PROT_EXEC)),
              "PAE %s NX: data page has bit 63 %s, walk says %s", nx ? "with" : "without",
              (pte >> 63) ? "set" : "clear",
              (w.prot & PAGING_PROT_EXEC) ? "executable" : "not executable");
    mode->translate(&u, 0xc0500000u, &w);
    TAP_CHECK(w.mapped && w.page_size == 2 * MiB && (w.level[1].entry >> 63) == 0 &&
                  (w.prot & PAGING_PROT_EXEC) && (w.prot & PAGING_PROT_GLOBAL),
              "PAE: kernel code as a global 2 MiB page, executable, visible from the user space");
    TAP_CHECK((r.sim.cr4 & (1u << 5)) && (r.sim.cr4 & (1u << 7)) &&
                  ((r.sim.efer >> 11) & 1u) == (nx ? 1u : 0u),
              "PAE: activate set CR4.PAE, CR4.PGE%s", nx ? " and EFER.NXE" : ", left EFER alone");
    char text[1024];
    mode->translate(&u, 0x40000123u, &w);
    paging_walk_describe(&w, text, sizeof(text));
    TAP_CHECK(strstr(text, "PDPT") && strstr(text, "PT ") && strstr(text, "0x234567123"),
              "PAE: walk description names every level");
    for (char *line = strtok(text, "\n"); nx && line; line = strtok(NULL, "\n"))
        tap_diag("%s", line);
    mode->deactivate(&r.pg);
    mode->destroy(&u);
    mode->destroy(&k);
    TAP_CHECK(rig_done(&r), "PAE details: no leak");
}

static void test_2level_details(void)
{
    struct rig r;
    struct paging_as as;
    const struct paging_mode *mode = &paging_mode_2level;
    rig_init(&r, mode, true, true, true);
    mode->create(&r.pg, &as, PAGING_AS_FULL, NULL);
    mode->activate(&as);
    int rc = mode->map(&as, 0x00800000u, 0x00c00000u, 4 * MiB, RW, 0, 0);
    struct paging_walk w;
    mode->translate(&as, 0x00812345u, &w);
    TAP_CHECK(rc == PAGING_OK && w.count == 1 && w.page_size == 4 * MiB && w.pa == 0x00c12345u &&
                  (w.prot & PAGING_PROT_EXEC) && !r.pg.nx_enforced,
              "2-level: 4 MiB page in one PDE; no NX in this format, so data is executable");
    TAP_CHECK((r.sim.cr4 & (1u << 4)) && !(r.sim.cr4 & (1u << 5)) && r.sim.efer_writes == 0,
              "2-level: activate set CR4.PSE, left CR4.PAE clear and EFER alone");
    TAP_CHECK(r.sim.cr3 == (uint32_t)as.root, "2-level: CR3 holds the page directory");
    /* Write-combining: PAT index 4 -> PAT bit 12 in a 4 MiB PDE, bit 7 in a PTE; a split keeps it.
     */
    rc = mode->map(&as, 0x01000000u, 0x01000000u, 4 * MiB, RW | PAGING_PROT_CACHE(PAGING_CACHE_WC),
                   0, 0);
    uint64_t pde = raw(&r, false, as.root, 0x01000000u >> 22);
    int rc2 = mode->protect(&as, 0x01001000u, PAGODA_PAGE_SIZE,
                            PAGING_PROT_READ | PAGING_PROT_CACHE(PAGING_CACHE_WC));
    mode->translate(&as, 0x01002000u, &w);
    uint64_t pte = w.level[1].entry;
    TAP_CHECK(rc == PAGING_OK && rc2 == PAGING_OK && (pde & (1u << 12)) && (pde & (1u << 7)) &&
                  w.count == 2 && (pte & (1u << 7)) && !(pte & (1u << 12)) &&
                  PAGING_PROT_CACHE_OF(w.prot) == PAGING_CACHE_WC,
              "2-level: WC sets PAT at bit 12 in the 4 MiB PDE (0x%llx), bit 7 in the split PTEs "
              "(0x%llx)",
              (unsigned long long)pde, (unsigned long long)pte);
    TAP_CHECK(mode->map(&as, 0x10000000u, 0x100000000ull, PAGODA_PAGE_SIZE, RW, 0, 0) ==
                  PAGING_ERR_PHYS,
              "2-level: 4 KiB frame at 4 GiB refused (PTEs hold 32-bit addresses)");
    mode->deactivate(&r.pg);
    mode->destroy(&as);
    TAP_CHECK(rig_done(&r), "2-level details: no leak");
}

/* Raw PDE bits are spelled out here from SDM table 4-4, not taken from pte_bits.h. */
static void test_2level_pse36(void)
{
    struct rig r;
    struct paging_as as;
    const struct paging_mode *mode = &paging_mode_2level;
    sim_init(&r.sim, false);
    struct paging_env env = sim_env(&r.sim, true, true, true, false, true, 36);
    sim_enable_pse36(&r.sim, &env);
    r.mode = mode;
    TAP_CHECK(mode->init(&r.pg, &env) == PAGING_OK && r.pg.phys_limit == 4 * GiB &&
                  r.pg.large_phys_limit == 64 * GiB,
              "PSE-36: MAXPHYADDR 36 -> 4 KiB pages below 4 GiB, 4 MiB pages below 64 GiB");
    mode->create(&r.pg, &as, PAGING_AS_FULL, NULL);
    mode->activate(&as);
    uint64_t pa = 0x923c00000ull; /* bits 35:32 = 0x9, bits 31:22 = 0x08f */
    int rc =
        mode->map(&as, 0x00800000u, pa, 8 * MiB, RW | PAGING_PROT_CACHE(PAGING_CACHE_WC), 0, 0);
    uint64_t pde = raw(&r, false, as.root, 0x00800000u >> 22);
    uint64_t pde2 = raw(&r, false, as.root, 0x00c00000u >> 22);
    TAP_CHECK(rc == PAGING_OK && (pde & 0xffc00000u) == 0x23c00000u &&
                  ((pde >> 13) & 0xffu) == 0x9u && (pde & (1u << 7)) && (pde & (1u << 12)) &&
                  !(pde & (1ull << 21)) && ((pde2 >> 13) & 0xffu) == 0x9u &&
                  (pde2 & 0xffc00000u) == 0x24000000u,
              "PSE-36: 8 MiB at 0x%llx -> PDEs 0x%llx, 0x%llx (bits 20:13 = address bits 39:32, "
              "PAT at 12)",
              (unsigned long long)pa, (unsigned long long)pde, (unsigned long long)pde2);
    struct ref_result ref;
    ref_walk(&r.sim, false, as.root, false, 0x00c54321u, &ref);
    struct paging_walk w;
    mode->translate(&as, 0x00c54321u, &w);
    TAP_CHECK(ref.mapped && !ref.reserved_fault && ref.pa == pa + 4 * MiB + 0x54321u && w.mapped &&
                  w.pa == ref.pa && w.page_size == 4 * MiB &&
                  PAGING_PROT_CACHE_OF(w.prot) == PAGING_CACHE_WC,
              "PSE-36: the SDM walker and translate() both reach 0x%llx",
              (unsigned long long)ref.pa);
    TAP_CHECK(mode->map(&as, 0x02000000u, 0x100000000ull, PAGODA_PAGE_SIZE, RW, 0, 0) ==
                      PAGING_ERR_PHYS &&
                  mode->map(&as, 0x02000000u, 0x100000000ull, 4 * MiB, RW, PAGODA_PAGE_SIZE, 0) ==
                      PAGING_ERR_PHYS &&
                  mode->map(&as, 0x02000000u, 0x100200000ull, 4 * MiB, RW, 0, 0) ==
                      PAGING_ERR_PHYS &&
                  mode->map(&as, 0x02000000u, 0x0ffc00000ull, 8 * MiB, RW, 0, 0) == PAGING_OK,
              "PSE-36: 4 KiB pages and unaligned 4 MiB above 4 GiB refused; an aligned range "
              "across 4 GiB mapped");
    mode->translate(&as, 0x02400000u, &w);
    TAP_CHECK(w.mapped && w.pa == 0x100000000ull,
              "PSE-36: the page after 4 GiB - 4 MiB is at 4 GiB (0x%llx)",
              (unsigned long long)w.pa);
    TAP_CHECK(mode->map(&as, 0x03000000u, 64 * GiB - 4 * MiB, 4 * MiB, RW, 0, 0) == PAGING_OK &&
                  mode->map(&as, 0x03400000u, 64 * GiB, 4 * MiB, RW, 0, 0) == PAGING_ERR_PHYS,
              "PSE-36: the last 4 MiB below 2^MAXPHYADDR mapped, 2^MAXPHYADDR refused");
    struct paging_counters before, after;
    mode->counters(&r.pg, &before);
    int unmap_part = mode->unmap(&as, 0x00801000u, PAGODA_PAGE_SIZE);
    int protect_part = mode->protect(&as, 0x00800000u, 2 * MiB, PAGING_PROT_READ);
    mode->counters(&r.pg, &after);
    mode->translate(&as, 0x00801000u, &w);
    TAP_CHECK(unmap_part == PAGING_ERR_PHYS && protect_part == PAGING_ERR_PHYS &&
                  after.large_splits == before.large_splits && w.mapped && w.pa == pa + 0x1000u &&
                  (w.prot & PAGING_PROT_WRITE),
              "PSE-36: cutting into a page above 4 GiB refused (no 4 KiB equivalent), nothing "
              "changed");
    unsigned invlpg = after.invlpg;
    rc = mode->unmap(&as, 0x00800000u, 8 * MiB);
    mode->counters(&r.pg, &after);
    ref_walk(&r.sim, false, as.root, false, 0x00800000u, &ref);
    TAP_CHECK(rc == PAGING_OK && !ref.mapped && after.invlpg == invlpg + 2,
              "PSE-36: whole pages unmapped with one INVLPG each");
    mode->deactivate(&r.pg);
    mode->destroy(&as);
    TAP_CHECK(rig_done(&r), "PSE-36: no leak");

    /* MAXPHYADDR 40+: PSE-36 stops at 40 bits; without PSE-36 nothing above 4 GiB. */
    struct paging pg;
    sim_init(&r.sim, false);
    env = sim_env(&r.sim, true, true, true, false, true, 46);
    sim_enable_pse36(&r.sim, &env);
    bool wide = mode->init(&pg, &env) == PAGING_OK && pg.large_phys_limit == (1ull << 40);
    env.pse36_available = false;
    bool none = mode->init(&pg, &env) == PAGING_OK && pg.large_phys_limit == 4 * GiB;
    mode->create(&pg, &as, PAGING_AS_FULL, NULL);
    rc = mode->map(&as, 0x00800000u, 0x100000000ull, 4 * MiB, RW, 0, 0);
    mode->destroy(&as);
    TAP_CHECK(wide && none && rc == PAGING_ERR_PHYS,
              "PSE-36: limit is 2^40 with MAXPHYADDR 46; without CPUID.PSE36 4 MiB at 4 GiB is "
              "refused");
    sim_fini(&r.sim);

    /* The walker decodes PSE-36 itself: a hand-made PDE, and a reserved bit it must reject. */
    sim_init(&r.sim, false);
    env = sim_env(&r.sim, true, true, true, false, true, 36);
    sim_enable_pse36(&r.sim, &env);
    mode->init(&pg, &env);
    mode->create(&pg, &as, PAGING_AS_FULL, NULL);
    mode->activate(&as);
    uint32_t *pd = env.table_ptr(env.ctx, as.root);
    pd[5] = 0xabc00000u | (0xeu << 13) | 0x83u; /* P RW PS, bits 35:32 = 0xe */
    pd[6] = 0xabc00000u | (1u << 17) | 0x83u;   /* bit 17 is reserved with MAXPHYADDR 36 */
    struct ref_result good, bad;
    ref_walk(&r.sim, false, as.root, false, (5u << 22) | 0x1234u, &good);
    ref_walk(&r.sim, false, as.root, false, 6u << 22, &bad);
    mode->translate(&as, (5u << 22) | 0x1234u, &w);
    TAP_CHECK(good.mapped && good.pa == 0xeabc01234ull && w.pa == good.pa && bad.reserved_fault,
              "PSE-36 walker: hand-made PDE -> 0x%llx; bit 17 set with MAXPHYADDR 36 faults",
              (unsigned long long)good.pa);
    pd[5] = pd[6] = 0;
    mode->deactivate(&pg);
    mode->destroy(&as);
    sim_fini(&r.sim);
}

static void test_no_features(void)
{
    struct rig r;
    sim_init(&r.sim, false);
    struct paging_env env = sim_env(&r.sim, false, false, false, false, false, 32);
    struct paging pg;
    TAP_CHECK(paging_mode_pae.init(&pg, &env) == PAGING_ERR_FEATURE,
              "PAE refused on a CPU without PAE");
    struct paging_env no_invlpg = env;
    no_invlpg.invlpg = NULL;
    TAP_CHECK(paging_mode_2level.init(&pg, &no_invlpg) == PAGING_ERR_ENV,
              "an env without an INVLPG hook is refused: %s", paging_error_name(PAGING_ERR_ENV));
    paging_mode_2level.init(&pg, &env);
    struct paging_as as;
    paging_mode_2level.create(&pg, &as, PAGING_AS_FULL, NULL);
    paging_mode_2level.activate(&as);
    int large = paging_mode_2level.map(&as, 0x400000u, 0x400000u, 4 * MiB, RW, 4 * MiB, 0);
    int wc = paging_mode_2level.map(&as, 0x400000u, 0x400000u, 4 * MiB,
                                    RW | PAGING_PROT_CACHE(PAGING_CACHE_WC), 0, 0);
    int autosize =
        paging_mode_2level.map(&as, 0x400000u, 0x400000u, 4 * MiB, RW | PAGING_PROT_GLOBAL, 0, 0);
    struct paging_walk w;
    paging_mode_2level.translate(&as, 0x400000u, &w);
    TAP_CHECK(large == PAGING_ERR_PAGE_SIZE && wc == PAGING_ERR_PROT && autosize == PAGING_OK &&
                  w.page_size == PAGODA_PAGE_SIZE && !(w.prot & PAGING_PROT_GLOBAL) &&
                  !(r.sim.cr4 & ((1u << 4) | (1u << 7))),
              "2-level without PSE/PGE/PAT: 4 MiB and WC refused, auto uses 4 KiB, global ignored");
    paging_mode_2level.deactivate(&pg);
    paging_mode_2level.destroy(&as);
    TAP_CHECK(r.sim.live == 0 && r.sim.allocs == r.sim.frees, "no-feature CPU: no leak");
    sim_fini(&r.sim);
}

static void test_random(bool pae, bool split, bool features, uint64_t seed, unsigned ops)
{
    static struct harness h;
    /* With the kernel/user split, tables are reached through one temporary window only. */
    harness_init(&h, pae, split, features, features, features, split);
    struct op_source src;
    op_source_rng(&src, seed);
    harness_run(&h, &src, ops, 200);
    harness_full_check(&h);
    unsigned maps = h.maps_ok, unmaps = h.unmaps_ok, protects = h.protects_ok,
             errors = h.errors_seen, nomem = h.no_memory_seen;
    harness_fini(&h);
    char why[200] = "";
    for (int e = 1, n = 0; e < PAGING_ERR_COUNT; e++)
        if (h.refused_by[e])
            n += snprintf(why + n, sizeof(why) - (size_t)n, " %d:%u", e, h.refused_by[e]);
    tap_diag("refusals by error code:%s; maps past phys_limit (PSE-36 pages): %u", why,
             h.maps_past_phys_limit);
    TAP_CHECK(h.failures == 0,
              "%s %s%s%s seed %llu: %u ops (%u map, %u unmap, %u protect ok; %u refused, %u out of "
              "memory) agree with the model",
              h.mode->name, split ? "kernel+2 users" : "2 full spaces",
              features ? "" : " (no PSE/NX/PGE/PAT)", split ? ", one table window" : "",
              (unsigned long long)seed, h.ops, maps, unmaps, protects, errors, nomem);
    if (h.failures)
        tap_diag("%s", h.first_failure);
}

int main(int argc, char **argv)
{
    /* test_paging [ops per random sequence] [seed base]: defaults keep the unit suite quick. */
    unsigned random_ops = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
    uint64_t seed_base = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000;
    unsigned levels_2level[3] = {1, 1024, 0}, levels_pae[3] = {1, 4, 2048};
    test_full_4gib_4k(&paging_mode_2level, levels_2level, 4100);
    test_full_4gib_4k(&paging_mode_pae, levels_pae, 8212);
    unsigned dm_2l_large[3] = {1, 0, 0}, dm_2l_4k[3] = {1, 256, 0};
    unsigned dm_pae_large[3] = {1, 1, 0}, dm_pae_4k[3] = {1, 1, 512};
    test_direct_map(&paging_mode_2level, paging_mode_2level.large_page_size, dm_2l_large);
    test_direct_map(&paging_mode_2level, PAGODA_PAGE_SIZE, dm_2l_4k);
    test_direct_map(&paging_mode_pae, paging_mode_pae.large_page_size, dm_pae_large);
    test_direct_map(&paging_mode_pae, PAGODA_PAGE_SIZE, dm_pae_4k);
    const struct paging_mode *modes[] = {&paging_mode_2level, &paging_mode_pae};
    for (unsigned i = 0; i < 2; i++) {
        test_split_and_free(modes[i]);
        test_tlb_policy(modes[i]);
        test_refusals(modes[i]);
        test_kernel_half_propagation(modes[i]);
        test_kernel_half_counters(modes[i]);
        test_set_global(modes[i]);
    }
    test_pae_details(true);
    test_pae_details(false);
    test_2level_details();
    test_2level_pse36();
    test_no_features();
    for (unsigned pae = 0; pae < 2; pae++)
        for (unsigned split = 0; split < 2; split++)
            for (unsigned features = 0; features < 2; features++)
                test_random(pae, split, features, seed_base + 10 * pae + 2 * split + features,
                            features ? random_ops : random_ops / 3);
    return tap_done();
}
