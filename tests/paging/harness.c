#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "panic_host.h"

#define PAGE        4096ull
#define SPACE_PAGES (1u << 20)
#define KBASE       0xc0000000ull
#define ALL_RIGHTS  (PAGING_PROT_WRITE | PAGING_PROT_USER | PAGING_PROT_EXEC)

/* ---- op sources ---- */

static uint32_t rng_next(struct op_source *src, uint32_t bound)
{
    /* splitmix64 */
    uint64_t z = (src->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return bound ? (uint32_t)(z % bound) : 0;
}

void op_source_rng(struct op_source *src, uint64_t seed)
{
    *src = (struct op_source){.next = rng_next, .state = seed};
}

static uint32_t bytes_next(struct op_source *src, uint32_t bound)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (src->pos >= src->size) {
            src->exhausted = true;
            break;
        }
        v = (v << 8) | src->bytes[src->pos++];
        if (bound <= (1u << (8 * (i + 1))))
            break;
    }
    return bound ? v % bound : 0;
}

void op_source_bytes(struct op_source *src, const uint8_t *data, size_t size)
{
    *src = (struct op_source){.next = bytes_next, .bytes = data, .size = size};
}

/* ---- failures ---- */

__attribute__((format(printf, 2, 3))) static void fail(struct harness *h, const char *fmt, ...)
{
    if (h->failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = snprintf(h->first_failure, sizeof(h->first_failure), "%s op %u: ", h->mode->name,
                         h->ops);
        vsnprintf(h->first_failure + n, sizeof(h->first_failure) - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

/* ---- windows of the address space the ops work in ---- */

struct window {
    uint64_t start, end;
};
static const struct window windows[] = {
    {0, 16u << 20},                                         /* page 0 and low memory */
    {(1ull << 30) - (8u << 20), (1ull << 30) + (8u << 20)}, /* a PAE PDPT boundary */
    {KBASE - (8u << 20), KBASE},                            /* top of the user half */
    {KBASE, KBASE + (16u << 20)},                           /* kernel base */
    {(4ull << 30) - (16u << 20), 4ull << 30},               /* the last PDE / PDPTE */
};
#define NWINDOWS (sizeof(windows) / sizeof(windows[0]))

/* ---- the model ---- */

static bool space_is_user(const struct harness *h, unsigned s)
{
    return h->as[s].kind == PAGING_AS_USER;
}

/* Which model says what space s sees at va. */
static const struct model_space *view(const struct harness *h, unsigned s, uint64_t va)
{
    return (space_is_user(h, s) && va >= KBASE) ? &h->model[0] : &h->model[s];
}

static uint32_t effective(const struct harness *h, uint32_t requested)
{
    uint32_t prot = PAGING_PROT_READ | (requested & (PAGING_PROT_WRITE | PAGING_PROT_USER)) |
                    (requested & PAGING_PROT_CACHE_MASK);
    if ((requested & PAGING_PROT_EXEC) || !h->pg.nx_enforced)
        prot |= PAGING_PROT_EXEC;
    if ((requested & PAGING_PROT_GLOBAL) && h->pg.env.pge_available)
        prot |= PAGING_PROT_GLOBAL;
    return prot;
}

/* ---- checking one page ---- */

static void check_page(struct harness *h, unsigned s, uint64_t va)
{
    const struct model_space *m = view(h, s, va);
    uint32_t page = (uint32_t)(va / PAGE);
    bool exp_mapped = m->prot[page] != 0;
    uint64_t exp_pa = m->pa[page];
    uint32_t exp_prot = exp_mapped ? effective(h, m->prot[page]) : 0;
    bool active = h->pg.active == &h->as[s];
    struct ref_result r;
    ref_walk(&h->sim, h->pae, h->as[s].root, active && h->pae, (uint32_t)va, &r);
    if (r.reserved_fault)
        return fail(h, "space %u va 0x%llx: %s", s, (unsigned long long)va, r.why);
    if (r.mapped != exp_mapped || (exp_mapped && (r.pa != exp_pa || r.prot != exp_prot)))
        return fail(h,
                    "space %u va 0x%llx: walker says %s pa 0x%llx prot 0x%x, model says %s pa "
                    "0x%llx prot 0x%x",
                    s, (unsigned long long)va, r.mapped ? "mapped" : "unmapped",
                    (unsigned long long)r.pa, r.prot, exp_mapped ? "mapped" : "unmapped",
                    (unsigned long long)exp_pa, exp_prot);
    struct paging_walk w;
    h->mode->translate(&h->as[s], (uint32_t)va, &w);
    if (w.mapped != r.mapped ||
        (r.mapped && (w.pa != r.pa || w.prot != r.prot || w.page_size != r.page_size)))
        return fail(h, "space %u va 0x%llx: translate() disagrees with the walker", s,
                    (unsigned long long)va);
    if (!active)
        return;
    const struct sim_tlb_entry *t = sim_tlb_lookup(&h->sim, va);
    if (t) {
        bool ok = exp_mapped && t->pa_base + (va - t->va_base) == exp_pa &&
                  !(t->prot & ~exp_prot & ALL_RIGHTS) &&
                  (t->prot & ~ALL_RIGHTS) == (exp_prot & ~ALL_RIGHTS);
        if (!ok)
            return fail(h,
                        "space %u va 0x%llx: TLB still holds pa 0x%llx prot 0x%x (model: %s 0x%x) "
                        "-- a flush was missed",
                        s, (unsigned long long)va,
                        (unsigned long long)(t->pa_base + (va - t->va_base)), t->prot,
                        exp_mapped ? "mapped" : "unmapped", exp_prot);
    } else if (r.mapped) {
        struct sim_tlb_entry e = {.va_base = r.page_base_va,
                                  .size = r.page_size,
                                  .pa_base = r.pa - (va - r.page_base_va),
                                  .prot = r.prot};
        sim_tlb_fill(&h->sim, &e);
    }
}

/* The spaces in which a change to space s at va is visible. */
static void check_page_everywhere(struct harness *h, unsigned s, uint64_t va)
{
    check_page(h, s, va);
    if (h->split && s == 0 && va >= KBASE)
        for (unsigned u = 1; u < h->nspaces; u++)
            check_page(h, u, va);
}

static void check_range(struct harness *h, unsigned s, uint64_t va, uint64_t size)
{
    uint64_t end = va + size;
    if (end > (4ull << 30))
        end = 4ull << 30;
    uint64_t pages = (end > va) ? (end - va) / PAGE : 0;
    for (uint64_t i = 0; i < pages; i++) {
        if (i == 24 && pages > 48)
            i = pages - 24; /* first and last 24 pages of long ranges */
        check_page_everywhere(h, s, va + i * PAGE);
    }
    if (va >= PAGE)
        check_page_everywhere(h, s, va - PAGE);
    if (end < (4ull << 30))
        check_page_everywhere(h, s, end);
}

static void check_random_pages(struct harness *h, struct op_source *src, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct window *w = &windows[src->next(src, NWINDOWS)];
        uint64_t va = w->start + PAGE * src->next(src, (uint32_t)((w->end - w->start) / PAGE));
        check_page(h, src->next(src, h->nspaces), va);
    }
}

static void check_cpu_state(struct harness *h)
{
    struct sim *sim = &h->sim;
    if (sim->cpu_faults)
        fail(h, "CPU fault: %s", sim->fault_msg);
    if (sim->bad_accesses)
        fail(h, "%u accesses to frames that are not live tables", sim->bad_accesses);
    struct paging_counters c;
    h->mode->counters(&h->pg, &c);
    if (c.invlpg != sim->invlpg_count || c.cr3_reloads != sim->cr3_writes)
        fail(h, "counters say %u invlpg / %u CR3 loads, the CPU saw %u / %u", c.invlpg,
             c.cr3_reloads, sim->invlpg_count, sim->cr3_writes);
    const struct paging_as *active = h->pg.active;
    if (!active)
        return;
    if (h->pae) {
        if (sim->cr3 != (uint32_t)active->root)
            fail(h, "CR3 0x%x is not the active space's PDPT", sim->cr3);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t mem = sim_read(sim, active->root + 8u * i, 8);
            if (mem != sim->pdpte[i])
                fail(h, "PDPTE register %u = 0x%llx but memory has 0x%llx: missing CR3 reload", i,
                     (unsigned long long)sim->pdpte[i], (unsigned long long)mem);
        }
    } else if (sim->cr3 != (uint32_t)active->root) {
        fail(h, "CR3 0x%x is not the active space's PD", sim->cr3);
    }
}

static void check_tables(struct harness *h)
{
    unsigned root_entries = h->pae ? 4 : 1024;
    unsigned kfirst = h->pae ? 3 : 768;
    unsigned levels = h->pae ? 3 : 2;
    unsigned total[3] = {0};
    for (unsigned s = 0; s < h->nspaces; s++) {
        struct ref_tables t;
        unsigned limit = space_is_user(h, s) ? kfirst : root_entries;
        ref_count_tables(&h->sim, h->pae, h->as[s].root, 0, limit, true, &t);
        unsigned allowed_empty = (h->pae && h->as[s].kind == PAGING_AS_KERNEL) ? 1 : 0;
        if (t.bad || t.empty_tables > allowed_empty)
            fail(h, "space %u: %u bad table pointers, %u empty tables", s, t.bad, t.empty_tables);
        for (unsigned l = 0; l < levels; l++) {
            if (t.per_level[l] != h->as[s].tables[l])
                fail(h, "space %u level %u: %u tables in memory, counter says %u", s, l,
                     t.per_level[l], h->as[s].tables[l]);
            total[l] += t.per_level[l];
        }
    }
    struct paging_counters c;
    h->mode->counters(&h->pg, &c);
    long sum = 0;
    for (unsigned l = 0; l < levels; l++) {
        if (c.tables[l] != total[l])
            fail(h, "level %u: %u tables recounted, global counter %u", l, total[l], c.tables[l]);
        sum += total[l];
    }
    if (sum != h->sim.live)
        fail(h, "%ld table frames live in the sim, %ld reachable", h->sim.live, sum);
}

void harness_check_structure(struct harness *h)
{
    check_tables(h);
    check_cpu_state(h);
}

void harness_full_check(struct harness *h)
{
    for (unsigned s = 0; s < h->nspaces; s++)
        for (unsigned w = 0; w < NWINDOWS; w++)
            for (uint64_t va = windows[w].start; va < windows[w].end; va += PAGE)
                check_page(h, s, va);
    check_tables(h);
    check_cpu_state(h);
}

/* ---- ops ---- */

enum op_type { OP_MAP, OP_UNMAP, OP_PROTECT, OP_ACTIVATE };

struct op {
    enum op_type type;
    unsigned space;
    uint32_t va;
    uint64_t size, pa, page_size;
    uint32_t prot, flags;
};

#define BIT(e) (1u << (e))

static bool model_any(const struct harness *h, unsigned s, uint64_t va, uint64_t end, bool mapped)
{
    for (; va < end && va < (4ull << 30); va += PAGE)
        if ((view(h, s, va)->prot[va / PAGE] != 0) == mapped)
            return true;
    return false;
}

/*
 * Whether unmap/protect would have to split a large page at addr that small pages cannot
 * reach: only whole large pages can map a frame at or above phys_limit, so a mapped page there
 * with addr inside (not at the start of) its large page is such a cut.
 */
static bool cuts_unreachable_large_page(const struct harness *h, unsigned s, uint64_t addr)
{
    if (addr >= (4ull << 30) || !(addr & (h->large - 1)))
        return false;
    const struct model_space *m = view(h, s, addr);
    uint32_t page = (uint32_t)(addr / PAGE);
    return m->prot[page] != 0 && m->pa[page] >= h->phys_limit;
}

/* The errors the op's arguments justify, decided from the rules in paging.h and the model. */
static uint32_t justified_errors(const struct harness *h, const struct op *op)
{
    uint32_t e = 0;
    uint64_t end = (uint64_t)op->va + op->size;
    bool range_ok = op->size != 0 && end <= (4ull << 30);
    enum paging_as_kind kind = h->as[op->space].kind;
    if (!range_ok)
        e |= BIT(PAGING_ERR_RANGE);
    if ((op->va | op->size) & (PAGE - 1))
        e |= BIT(PAGING_ERR_ALIGN);
    if (kind == PAGING_AS_USER && end > KBASE)
        e |= BIT(PAGING_ERR_KERNEL_HALF);
    if (op->type != OP_UNMAP) {
        unsigned cache = PAGING_PROT_CACHE_OF(op->prot);
        if (cache >= PAGING_CACHE_COUNT || (cache == PAGING_CACHE_WC && !h->pg.env.pat_available))
            e |= BIT(PAGING_ERR_PROT);
        bool global = op->prot & PAGING_PROT_GLOBAL, user = op->prot & PAGING_PROT_USER;
        if (kind == PAGING_AS_USER && global)
            e |= BIT(PAGING_ERR_PROT);
        if (kind == PAGING_AS_KERNEL && ((global && op->va < KBASE) || (user && end > KBASE)))
            e |= BIT(PAGING_ERR_PROT);
    }
    if (op->type == OP_MAP) {
        if (op->pa & (PAGE - 1))
            e |= BIT(PAGING_ERR_ALIGN);
        if (op->page_size != 0 && op->page_size != PAGE) {
            if (op->page_size != h->large || !h->pg.large_pages)
                e |= BIT(PAGING_ERR_PAGE_SIZE);
            else if ((op->va | op->pa | op->size) & (h->large - 1))
                e |= BIT(PAGING_ERR_ALIGN);
        }
        /* Past phys_limit only whole large pages may go, up to large_phys_limit (PSE-36). */
        bool whole_large = h->pg.large_pages && op->page_size != PAGE &&
                           !((op->va | op->pa | op->size) & (h->large - 1));
        if (op->pa + op->size > h->phys_limit &&
            (!whole_large || op->pa + op->size > h->large_phys_limit))
            e |= BIT(PAGING_ERR_PHYS);
        if (op->va == 0 && !(op->flags & PAGING_MAP_ALLOW_NULL))
            e |= BIT(PAGING_ERR_NULL_PAGE);
        if (range_ok && model_any(h, op->space, op->va, end, true))
            e |= BIT(PAGING_ERR_EXISTS);
    }
    if (op->type == OP_PROTECT && range_ok && model_any(h, op->space, op->va, end, false))
        e |= BIT(PAGING_ERR_NOT_MAPPED);
    if ((op->type == OP_PROTECT || op->type == OP_UNMAP) && range_ok &&
        (cuts_unreachable_large_page(h, op->space, op->va) ||
         cuts_unreachable_large_page(h, op->space, end)))
        e |= BIT(PAGING_ERR_PHYS);
    return e;
}

static void model_apply(struct harness *h, const struct op *op)
{
    struct model_space *m = &h->model[op->space];
    if (op->type == OP_ACTIVATE)
        return;
    if (h->ndirty < HARNESS_DIRTY_RANGES) {
        h->dirty[h->ndirty].first = (uint32_t)(op->va / PAGE);
        h->dirty[h->ndirty].count = (uint32_t)(op->size / PAGE);
    }
    h->ndirty++;
    for (uint64_t off = 0; off < op->size; off += PAGE) {
        uint32_t page = (uint32_t)((op->va + off) / PAGE);
        if (page < h->dirty_low)
            h->dirty_low = page;
        if (page > h->dirty_high)
            h->dirty_high = page;
        switch (op->type) {
        case OP_MAP:
            m->pa[page] = op->pa + off;
            m->prot[page] = op->prot | PAGING_PROT_READ;
            break;
        case OP_UNMAP:
            m->prot[page] = 0;
            m->pa[page] = 0;
            break;
        case OP_PROTECT:
            m->prot[page] = op->prot | PAGING_PROT_READ;
            break;
        case OP_ACTIVATE:
            break;
        }
    }
}

static void generate(struct harness *h, struct op_source *src, struct op *op)
{
    uint32_t r = src->next(src, 100);
    op->type = r < 45 ? OP_MAP : r < 70 ? OP_UNMAP : r < 93 ? OP_PROTECT : OP_ACTIVATE;
    op->space = src->next(src, h->nspaces);
    unsigned nw = NWINDOWS;
    const struct window *w = &windows[src->next(src, nw)];
    /* User spaces mostly stay in their half; now and then they try the kernel's. */
    if (space_is_user(h, op->space) && w->start >= KBASE && src->next(src, 8) != 0)
        w = &windows[src->next(src, 3)];
    uint64_t large_pages_in = h->large / PAGE;
    op->va = (uint32_t)(w->start + PAGE * src->next(src, (uint32_t)((w->end - w->start) / PAGE)));
    bool aligned = src->next(src, 3) == 0;
    if (aligned)
        op->va &= ~(uint32_t)(h->large - 1);
    switch (src->next(src, 4)) {
    case 0:
    case 1:
        op->size = PAGE * (1 + src->next(src, 8));
        break;
    case 2:
        op->size = h->large * (1 + src->next(src, 2));
        break;
    default:
        op->size = PAGE * (1 + src->next(src, (uint32_t)(2 * large_pages_in)));
        break;
    }
    if (src->next(src, 64) == 0)
        op->size = 0; /* an invalid one now and then */
    if (src->next(src, 2) == 0 || h->large_phys_limit <= (4ull << 30))
        op->pa = PAGE * (uint64_t)src->next(src, (256u << 20) / PAGE);
    else
        op->pa = (4ull << 30) + PAGE * (uint64_t)src->next(src, 1u << 21);
    if (src->next(src, 32) == 0) { /* at the edge of what the format reaches */
        uint64_t edge = src->next(src, 2) ? h->phys_limit : h->large_phys_limit;
        op->pa = edge - PAGE * src->next(src, 4);
    }
    if (aligned && src->next(src, 4) != 0)
        op->pa &= ~(h->large - 1);
    /* Frames only whole large pages reach (PSE-36): mostly ask for exactly that. */
    if (op->pa >= h->phys_limit && src->next(src, 4) != 0) {
        op->va &= ~(uint32_t)(h->large - 1);
        op->pa &= ~(h->large - 1);
        op->size = h->large * (1 + src->next(src, 2));
    }
    uint32_t ps = src->next(src, 20);
    op->page_size = ps < 12 ? PAGING_SIZE_AUTO : ps < 17 ? PAGE : h->large;
    op->prot = src->next(src, 32) &
               (PAGING_PROT_WRITE | PAGING_PROT_EXEC | PAGING_PROT_USER | PAGING_PROT_GLOBAL);
    /* Keep most ops valid (user pages only in the user half, global ones only in the kernel
       half of a split), but not all. */
    if (h->split && op->va >= KBASE)
        op->prot &= ~PAGING_PROT_USER;
    if (h->split && op->va < KBASE)
        op->prot &= ~PAGING_PROT_GLOBAL;
    if (src->next(src, 16) == 0)
        op->prot |= src->next(src, 2) ? PAGING_PROT_USER : PAGING_PROT_GLOBAL;
    if (src->next(src, 3) == 0)
        op->prot |= PAGING_PROT_CACHE(src->next(src, PAGING_CACHE_COUNT));
    op->flags = src->next(src, 2) ? PAGING_MAP_ALLOW_NULL : 0;
    /* Most protects and unmaps aim at (part of) something mapped recently, or nothing would
       ever pass the all-mapped check of protect. */
    if ((op->type == OP_PROTECT || op->type == OP_UNMAP) && src->next(src, 4) != 0) {
        unsigned i = src->next(src, 8);
        if (h->recent[i].size) {
            uint64_t pages = h->recent[i].size / PAGE;
            uint64_t first = src->next(src, (uint32_t)pages);
            uint64_t count = 1 + src->next(src, (uint32_t)(pages - first));
            op->space = h->recent[i].space;
            op->va = (uint32_t)(h->recent[i].va + first * PAGE);
            op->size = count * PAGE;
        }
    }
    if (op->type == OP_UNMAP && src->next(src, 24) == 0) { /* now and then, clear a window */
        op->va = (uint32_t)w->start;
        op->size = w->end - w->start;
    }
}

static int perform(struct harness *h, const struct op *op)
{
    struct paging_as *as = &h->as[op->space];
    switch (op->type) {
    case OP_MAP:
        return h->mode->map(as, op->va, op->pa, op->size, op->prot, op->page_size, op->flags);
    case OP_UNMAP:
        return h->mode->unmap(as, op->va, op->size);
    case OP_PROTECT:
        return h->mode->protect(as, op->va, op->size, op->prot);
    case OP_ACTIVATE:
        h->mode->activate(as);
        return PAGING_OK;
    }
    return -1;
}

static void run_one(struct harness *h, struct op_source *src)
{
    struct op op;
    generate(h, src, &op);
    uint32_t justified = justified_errors(h, &op);
    bool inject = op.type != OP_ACTIVATE && src->next(src, 16) == 0;
    h->sim.fail_after = inject ? (long)src->next(src, 3) : -1;
    jmp_buf jump;
    panic_jump = &jump;
    int rc;
    if (setjmp(jump)) {
        panic_jump = NULL;
        h->sim.fail_after = -1;
        fail(h, "panic: %s", panic_message);
        return;
    }
    rc = perform(h, &op);
    panic_jump = NULL;
    h->sim.fail_after = -1;
    if (rc == PAGING_OK) {
        if (justified && op.type != OP_ACTIVATE)
            fail(h, "op %d va 0x%x size 0x%llx succeeded although errors 0x%x apply", op.type,
                 op.va, (unsigned long long)op.size, justified);
        model_apply(h, &op);
        if (op.type == OP_MAP) {
            h->recent[h->recent_next].space = op.space;
            h->recent[h->recent_next].va = op.va;
            h->recent[h->recent_next].size = op.size;
            h->recent_next = (h->recent_next + 1) % 8;
        }
        h->maps_ok += op.type == OP_MAP;
        h->maps_past_phys_limit += op.type == OP_MAP && op.pa + op.size > h->phys_limit;
        h->unmaps_ok += op.type == OP_UNMAP;
        h->protects_ok += op.type == OP_PROTECT;
    } else if (rc == PAGING_ERR_NO_MEMORY && inject) {
        h->no_memory_seen++;
    } else if (rc < 0 || rc >= 32 || !(justified & BIT(rc))) {
        fail(h,
             "op %d space %u va 0x%x size 0x%llx pa 0x%llx prot 0x%x ps 0x%llx: got \"%s\", "
             "justified 0x%x",
             op.type, op.space, op.va, (unsigned long long)op.size, (unsigned long long)op.pa,
             op.prot, (unsigned long long)op.page_size, paging_error_name(rc), justified);
    } else {
        h->errors_seen++;
        h->refused_by[rc]++;
    }
    if (op.type != OP_ACTIVATE && op.size)
        check_range(h, op.space, op.va, op.size);
    check_random_pages(h, src, 16);
    if (h->recount_every_op)
        check_tables(h);
    check_cpu_state(h);
}

unsigned harness_run(struct harness *h, struct op_source *src, unsigned nops, unsigned full_every)
{
    for (unsigned i = 0; i < nops && !src->exhausted && h->failures == 0; i++) {
        h->ops++;
        run_one(h, src);
        if (full_every && h->ops % full_every == 0)
            harness_full_check(h);
    }
    return h->failures;
}

/* ---- setup and teardown ---- */

static bool setup_spaces(struct harness *h)
{
    for (unsigned s = 0; s < h->nspaces; s++) {
        enum paging_as_kind kind = !h->split ? PAGING_AS_FULL
                                   : s == 0  ? PAGING_AS_KERNEL
                                             : PAGING_AS_USER;
        int rc =
            h->mode->create(&h->pg, &h->as[s], kind, kind == PAGING_AS_USER ? &h->as[0] : NULL);
        if (rc != PAGING_OK) {
            fail(h, "create space %u: %s", s, paging_error_name(rc));
            return false;
        }
    }
    h->mode->activate(&h->as[h->nspaces - 1]);
    return true;
}

bool harness_init(struct harness *h, bool pae, bool split, bool pse_or_nx, bool pge, bool pat,
                  bool table_window)
{
    memset(h, 0, sizeof(*h));
    sim_init(&h->sim, true);
    h->sim.window_mode = table_window;
    h->recount_every_op = true;
    h->pae = pae;
    h->split = split;
    h->mode = pae ? &paging_mode_pae : &paging_mode_2level;
    struct paging_env env =
        sim_env(&h->sim, !pae && pse_or_nx, true, pge, pae && pse_or_nx, pat, 36);
    if (!pae && pse_or_nx)
        sim_enable_pse36(&h->sim, &env); /* 4 MiB pages up to 64 GiB */
    if (h->mode->init(&h->pg, &env) != PAGING_OK) {
        fail(h, "init failed");
        return false;
    }
    h->large = h->mode->large_page_size;
    h->phys_limit = pae ? (1ull << 36) : (4ull << 30);
    h->large_phys_limit = (pae || pse_or_nx) ? (1ull << 36) : (4ull << 30);
    h->nspaces = split ? 3 : 2;
    for (unsigned s = 0; s < h->nspaces; s++) {
        h->model[s].pa = calloc(SPACE_PAGES, sizeof(uint64_t));
        h->model[s].prot = calloc(SPACE_PAGES, sizeof(uint32_t));
        if (!h->model[s].pa || !h->model[s].prot)
            abort();
    }
    h->dirty_low = SPACE_PAGES;
    return setup_spaces(h);
}

/* Destroys every space; checks refusals on the way and that every table frame came back. */
static void teardown_spaces(struct harness *h)
{
    /* The active space cannot be destroyed: a fresh empty space takes over first. */
    struct paging_as spare;
    if (h->mode->create(&h->pg, &spare, PAGING_AS_FULL, NULL) != PAGING_OK)
        fail(h, "create spare space");
    h->mode->activate(&spare);
    if (h->split && h->mode->destroy(&h->as[0]) != PAGING_ERR_BUSY)
        fail(h, "destroying a kernel space with users was not refused");
    for (unsigned s = h->nspaces; s-- > 0;) {
        int rc = h->mode->destroy(&h->as[s]);
        if (rc != PAGING_OK)
            fail(h, "destroy space %u: %s", s, paging_error_name(rc));
    }
    if (h->mode->destroy(&spare) != PAGING_ERR_BUSY)
        fail(h, "destroying the active space was not refused");
    h->mode->deactivate(&h->pg);
    if (h->mode->destroy(&spare) != PAGING_OK)
        fail(h, "destroy spare");
    struct paging_counters c;
    h->mode->counters(&h->pg, &c);
    if (h->sim.live != 0 || h->sim.allocs != h->sim.frees || c.table_allocs != c.table_frees)
        fail(h, "leak: %ld allocs, %ld frees, %ld live", h->sim.allocs, h->sim.frees, h->sim.live);
    for (unsigned l = 0; l < 3; l++)
        if (c.tables[l] != 0)
            fail(h, "level %u counter %u after destroying everything", l, c.tables[l]);
}

bool harness_reset(struct harness *h)
{
    teardown_spaces(h);
    for (unsigned s = 0; s < h->nspaces; s++) {
        if (h->ndirty > HARNESS_DIRTY_RANGES) {
            if (h->dirty_low <= h->dirty_high) {
                size_t n = h->dirty_high - h->dirty_low + 1;
                memset(h->model[s].pa + h->dirty_low, 0, n * sizeof(uint64_t));
                memset(h->model[s].prot + h->dirty_low, 0, n * sizeof(uint32_t));
            }
            continue;
        }
        for (unsigned i = 0; i < h->ndirty; i++) {
            memset(h->model[s].pa + h->dirty[i].first, 0, h->dirty[i].count * sizeof(uint64_t));
            memset(h->model[s].prot + h->dirty[i].first, 0, h->dirty[i].count * sizeof(uint32_t));
        }
    }
    h->ndirty = 0;
    h->dirty_low = SPACE_PAGES;
    h->dirty_high = 0;
    return setup_spaces(h);
}

void harness_fini(struct harness *h)
{
    teardown_spaces(h);
    for (unsigned s = 0; s < h->nspaces; s++) {
        free(h->model[s].pa);
        free(h->model[s].prot);
    }
    sim_fini(&h->sim);
}
