/*
 * The algorithms both paging formats share: map, unmap, protect, large-page splits, freeing
 * emptied tables, the kernel/user split and the TLB policy. Each walks the tree recursively
 * (at most three levels) and asks struct paging_format how an entry is encoded.
 *
 * Virtual addresses are carried as uint64_t inside so that "end of range" can be 4 GiB.
 * Only shifts, masks and 64-bit add/compare are used: no 64-bit division on i686.
 */
#include "paging_format.h"
#include "pagoda/page.h"
#include "../arch/pte_bits.h"
#include "../panic.h"

typedef uint64_t __attribute__((aligned(8))) paging_entry64;

/* ---- entries and tables ---- */

static void *table_ptr(const struct paging *pg, uint64_t table)
{
    void *ptr = pg->env.table_ptr(pg->env.ctx, table);
    if (!ptr)
        panic("paging: no access to table at phys 0x%llx", (unsigned long long)table);
    return ptr;
}

static uint64_t entry_read(const struct paging *pg, uint64_t table, unsigned index)
{
    void *ptr = table_ptr(pg, table);
    if (pg->format->entry_bytes == 4)
        return ((volatile uint32_t *)ptr)[index];
    /* One 64-bit access (CMPXCHG8B on i686): the CPU must never see half an entry. */
    return __atomic_load_n(&((volatile paging_entry64 *)ptr)[index], __ATOMIC_RELAXED);
}

static void entry_store(const struct paging *pg, uint64_t table, unsigned index, uint64_t value)
{
    void *ptr = table_ptr(pg, table);
    if (pg->format->entry_bytes == 4)
        ((volatile uint32_t *)ptr)[index] = (uint32_t)value;
    else
        __atomic_store_n(&((volatile paging_entry64 *)ptr)[index], value, __ATOMIC_RELAXED);
}

static uint64_t level_span(const struct paging_format *f, unsigned level)
{
    return 1ull << f->va_shift[level];
}

static unsigned level_index(const struct paging_format *f, unsigned level, uint64_t va)
{
    return (unsigned)(va >> f->va_shift[level]) & (f->entries[level] - 1u);
}

static bool is_last_level(const struct paging_format *f, unsigned level)
{
    return level + 1u == f->levels;
}

static bool entry_present(uint64_t entry)
{
    return (entry & PTE_P) != 0;
}

static bool entry_is_leaf(const struct paging_format *f, unsigned level, uint64_t entry)
{
    return is_last_level(f, level) || (level == f->large_level && (entry & PTE_PS));
}

/*
 * Scans from `start` and wraps around: an unmap that walks a range upwards has just cleared
 * start, and the next entry is usually still present, so that case costs one read instead of
 * a scan over every entry already cleared.
 */
static bool table_is_empty(const struct paging *pg, unsigned level, uint64_t table, unsigned start)
{
    unsigned count = pg->format->entries[level];
    for (unsigned n = 0, i = start; n < count; n++, i = i + 1 == count ? 0 : i + 1)
        if (entry_present(entry_read(pg, table, i)))
            return false;
    return true;
}

static int table_alloc(struct paging_as *as, unsigned level, uint64_t *phys)
{
    struct paging *pg = as->pg;
    bool below_4g = level == 0 || pg->format->tables_below_4g;
    if (!pg->env.alloc_table(pg->env.ctx, below_4g, phys))
        return PAGING_ERR_NO_MEMORY;
    if (!pagoda_page_aligned(*phys) || (below_4g && *phys >= PAGING_ADDR_SPACE) ||
        *phys >= pg->phys_limit)
        panic("paging: env gave table frame 0x%llx (unaligned or unreachable)",
              (unsigned long long)*phys);
    for (unsigned i = 0; i < pg->format->entries[level]; i++)
        entry_store(pg, *phys, i, 0);
    as->tables[level]++;
    pg->counters.tables[level]++;
    pg->counters.table_allocs++;
    return PAGING_OK;
}

static void table_free(struct paging_as *as, unsigned level, uint64_t phys)
{
    struct paging *pg = as->pg;
    pg->env.free_table(pg->env.ctx, phys);
    as->tables[level]--;
    pg->counters.tables[level]--;
    pg->counters.table_frees++;
}

/* ---- TLB policy ---- */

/* The space whose kernel half the CPU sees when this space is active. */
static const struct paging_as *kernel_half_owner(const struct paging_as *as)
{
    return as->kind == PAGING_AS_USER ? as->kernel : as;
}

/* Can the CPU currently translate va through this space's tables? */
static bool visible_to_cpu(const struct paging_as *as, uint64_t va)
{
    const struct paging_as *active = as->pg->active;
    if (!active)
        return false;
    if (active == as)
        return true;
    return va >= PAGING_KERNEL_BASE && as->kind == PAGING_AS_KERNEL &&
           kernel_half_owner(active) == as;
}

static void reload_cr3(struct paging *pg)
{
    pg->env.write_cr3(pg->env.ctx, pg->format->cr3_of(pg->active->root));
    pg->counters.cr3_reloads++;
}

static void flush_page(struct paging_as *as, uint64_t va)
{
    struct paging *pg = as->pg;
    if (!visible_to_cpu(as, va))
        return;
    pg->env.invlpg(pg->env.ctx, (uint32_t)va);
    pg->counters.invlpg++;
}

/*
 * Writes an entry and does what the format needs for the CPU to see it: 32-bit kernel-half
 * PDEs are copied into every user PD; a PAE PDPT entry of a visible space needs a CR3 reload.
 */
static void entry_write(struct paging_as *as, unsigned level, uint64_t table, uint64_t va,
                        uint64_t value)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    unsigned index = level_index(f, level, va);
    entry_store(pg, table, index, value);
    if (level != 0)
        return;
    if (f->kernel_pdes_copied && as->kind == PAGING_AS_KERNEL && va >= PAGING_KERNEL_BASE)
        for (struct paging_as *user = as->next_user; user; user = user->next_user) {
            entry_store(pg, user->root, index, value);
            pg->counters.kernel_entries_synced++;
        }
    if (f->root_in_registers && visible_to_cpu(as, va))
        reload_cr3(pg);
}

/* After a present leaf changes: only removals of rights or attribute changes need an INVLPG. */
static bool leaf_change_needs_flush(const struct paging *pg, unsigned level, uint64_t old_entry,
                                    uint64_t new_entry)
{
    const struct paging_format *f = pg->format;
    if (!entry_present(old_entry))
        return false;
    if (!entry_present(new_entry))
        return true;
    if (f->entry_addr(level, old_entry, true) != f->entry_addr(level, new_entry, true))
        return true;
    uint32_t rights = PAGING_PROT_WRITE | PAGING_PROT_USER | PAGING_PROT_EXEC;
    uint32_t old_rights = f->entry_allows(pg, level, old_entry) & rights;
    uint32_t new_rights = f->entry_allows(pg, level, new_entry) & rights;
    return (old_rights & ~new_rights) != 0 ||
           f->leaf_attrs(pg, level, old_entry) != f->leaf_attrs(pg, level, new_entry);
}

/* ---- argument checks ---- */

static int check_range(uint32_t va, uint64_t size)
{
    if (size == 0 || (uint64_t)va + size > PAGING_ADDR_SPACE)
        return PAGING_ERR_RANGE;
    if (!pagoda_page_aligned(va | size))
        return PAGING_ERR_ALIGN;
    return PAGING_OK;
}

/* Which halves a space may change, and with which prot. */
static int check_half(const struct paging_as *as, uint32_t va, uint64_t size, uint32_t prot)
{
    uint64_t end = (uint64_t)va + size;
    bool touches_kernel = end > PAGING_KERNEL_BASE;
    bool touches_user = va < PAGING_KERNEL_BASE;
    switch (as->kind) {
    case PAGING_AS_FULL:
        return PAGING_OK;
    case PAGING_AS_USER:
        if (touches_kernel)
            return PAGING_ERR_KERNEL_HALF;
        return (prot & PAGING_PROT_GLOBAL) ? PAGING_ERR_PROT : PAGING_OK;
    case PAGING_AS_KERNEL:
        /* Global user-half pages would outlive a switch; user pages in the kernel half leak it. */
        if (touches_user && (prot & PAGING_PROT_GLOBAL))
            return PAGING_ERR_PROT;
        if (touches_kernel && (prot & PAGING_PROT_USER))
            return PAGING_ERR_PROT;
        return PAGING_OK;
    }
    return PAGING_ERR_PROT;
}

static int check_prot(const struct paging *pg, uint32_t prot)
{
    if (prot & ~(PAGING_PROT_FLAGS | PAGING_PROT_CACHE_MASK))
        return PAGING_ERR_PROT;
    unsigned cache = PAGING_PROT_CACHE_OF(prot);
    if (cache >= PAGING_CACHE_COUNT)
        return PAGING_ERR_PROT;
    if (cache == PAGING_CACHE_WC && !pg->env.pat_available)
        return PAGING_ERR_PROT;
    return PAGING_OK;
}

/* Where the part of [va, end) that one entry of span bytes covers ends. */
static uint64_t entry_range_end(uint64_t va, uint64_t span, uint64_t end)
{
    uint64_t entry_end = (va & ~(span - 1)) + span;
    return entry_end < end ? entry_end : end;
}

/* ---- read-only tree scans ---- */

/* Whether any page in [va, end) is mapped (want_mapped) or any is unmapped (!want_mapped). */
static bool range_has(const struct paging *pg, unsigned level, uint64_t table, uint64_t va,
                      uint64_t end, bool want_mapped)
{
    const struct paging_format *f = pg->format;
    uint64_t span = level_span(f, level);
    while (va < end) {
        uint64_t chunk_end = entry_range_end(va, span, end);
        uint64_t entry = entry_read(pg, table, level_index(f, level, va));
        if (!entry_present(entry)) {
            if (!want_mapped)
                return true;
        } else if (entry_is_leaf(f, level, entry)) {
            if (want_mapped)
                return true;
        } else if (range_has(pg, level + 1, f->entry_addr(level, entry, false), va, chunk_end,
                             want_mapped)) {
            return true;
        }
        va = chunk_end;
    }
    return false;
}

/* ---- splitting a large page ---- */

static int split_large(struct paging_as *as, uint64_t table, uint64_t va, uint64_t entry)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    unsigned level = f->large_level;
    uint64_t base_pa = f->entry_addr(level, entry, true);
    /* A PSE-36 page above 4 GiB has no 4 KiB equivalent. */
    if (base_pa + level_span(f, level) > pg->phys_limit)
        return PAGING_ERR_PHYS;
    uint32_t prot =
        PAGING_PROT_READ | f->entry_allows(pg, level, entry) | f->leaf_attrs(pg, level, entry);
    uint64_t child;
    int rc = table_alloc(as, level + 1, &child);
    if (rc != PAGING_OK)
        return rc;
    /* Same frames and attributes: only the page size changes, which needs no flush (SDM 4.10.2.3);
       the pieces changed next are flushed one by one. A and D carry over. */
    uint64_t kept = entry & (PTE_A | PTE_D);
    for (unsigned i = 0; i < f->entries[level + 1]; i++)
        entry_store(
            pg, child, i,
            f->make_leaf(pg, level + 1, base_pa + ((uint64_t)i << f->va_shift[level + 1]), prot) |
                kept);
    entry_write(as, level, table, va, f->make_table_entry(level, child));
    pg->counters.large_splits++;
    return PAGING_OK;
}

/* Splits the large page containing addr unless addr is its first byte (or nothing is there). */
static int split_at(struct paging_as *as, uint64_t addr)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    if (addr >= PAGING_ADDR_SPACE)
        return PAGING_OK;
    uint64_t table = as->root;
    for (unsigned level = 0; level < f->levels; level++) {
        uint64_t entry = entry_read(pg, table, level_index(f, level, addr));
        if (!entry_present(entry))
            return PAGING_OK;
        if (entry_is_leaf(f, level, entry)) {
            if (level == f->large_level && !is_last_level(f, level) &&
                (addr & (level_span(f, level) - 1)))
                return split_large(as, table, addr, entry);
            return PAGING_OK;
        }
        table = f->entry_addr(level, entry, false);
    }
    return PAGING_OK;
}

static int split_range_ends(struct paging_as *as, uint64_t va, uint64_t end)
{
    int rc = split_at(as, va);
    return rc != PAGING_OK ? rc : split_at(as, end);
}

/* ---- unmap ---- */

static bool table_pinned(const struct paging_as *as, unsigned level, uint64_t va)
{
    return as->pg->format->kernel_table_pinned && level == 1 && as->kind != PAGING_AS_FULL &&
           va >= PAGING_KERNEL_BASE;
}

static void free_if_empty(struct paging_as *as, unsigned level, uint64_t table, uint64_t va,
                          uint64_t child)
{
    struct paging *pg = as->pg;
    if (table_pinned(as, level + 1, va) ||
        !table_is_empty(pg, level + 1, child, level_index(pg->format, level + 1, va)))
        return;
    entry_write(as, level, table, va, 0);
    /* INVLPG also drops paging-structure cache entries that still point at the child; a PDPT
       change was already made visible by the CR3 reload in entry_write. Free only after that. */
    if (!(level == 0 && pg->format->root_in_registers))
        flush_page(as, va);
    table_free(as, level + 1, child);
    pg->counters.empty_tables_freed++;
}

static void unmap_level(struct paging_as *as, unsigned level, uint64_t table, uint64_t va,
                        uint64_t end)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    uint64_t span = level_span(f, level);
    while (va < end) {
        uint64_t chunk_end = entry_range_end(va, span, end);
        uint64_t entry = entry_read(pg, table, level_index(f, level, va));
        if (!entry_present(entry)) {
            /* hole: nothing to do */
        } else if (entry_is_leaf(f, level, entry)) {
            if ((va & (span - 1)) || chunk_end - va != span)
                panic("paging: unmap met an unsplit large page at 0x%llx", (unsigned long long)va);
            entry_write(as, level, table, va, 0);
            flush_page(as, va);
        } else {
            uint64_t child = f->entry_addr(level, entry, false);
            unmap_level(as, level + 1, child, va, chunk_end);
            free_if_empty(as, level, table, va, child);
        }
        va = chunk_end;
    }
}

/* ---- map ---- */

struct map_request {
    uint64_t pa;
    uint32_t prot;
    uint64_t page_size;
};

static bool can_map_leaf_here(const struct paging *pg, unsigned level, uint64_t va,
                              uint64_t chunk_end, const struct map_request *req)
{
    const struct paging_format *f = pg->format;
    uint64_t span = level_span(f, level);
    if (!is_last_level(f, level) && (level != f->large_level || !pg->large_pages))
        return false;
    if (req->page_size != PAGING_SIZE_AUTO && req->page_size != span)
        return false;
    return !(va & (span - 1)) && chunk_end - va == span && !(req->pa & (span - 1));
}

static int map_level(struct paging_as *as, unsigned level, uint64_t table, uint64_t va,
                     uint64_t end, struct map_request *req)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    uint64_t span = level_span(f, level);
    while (va < end) {
        uint64_t chunk_end = entry_range_end(va, span, end);
        uint64_t entry = entry_read(pg, table, level_index(f, level, va));
        if (!entry_present(entry) && can_map_leaf_here(pg, level, va, chunk_end, req)) {
            if (is_last_level(f, level) && req->pa + span > pg->phys_limit)
                panic("paging: 4 KiB page for phys 0x%llx beyond the format's reach",
                      (unsigned long long)req->pa);
            /* A not-present entry is never cached, so a new mapping needs no flush. */
            entry_write(as, level, table, va, f->make_leaf(pg, level, req->pa, req->prot));
            req->pa += span;
        } else {
            if (is_last_level(f, level) || (entry_present(entry) && entry_is_leaf(f, level, entry)))
                panic("paging: map found 0x%llx mapped after checking it was not",
                      (unsigned long long)va);
            uint64_t child;
            if (entry_present(entry)) {
                child = f->entry_addr(level, entry, false);
            } else {
                int rc = table_alloc(as, level + 1, &child);
                if (rc != PAGING_OK)
                    return rc;
                entry_write(as, level, table, va, f->make_table_entry(level, child));
            }
            int rc = map_level(as, level + 1, child, va, chunk_end, req);
            if (rc != PAGING_OK)
                return rc;
        }
        va = chunk_end;
    }
    return PAGING_OK;
}

static int check_page_size(const struct paging *pg, uint32_t va, uint64_t pa, uint64_t size,
                           uint64_t page_size)
{
    if (page_size == PAGING_SIZE_AUTO || page_size == PAGODA_PAGE_SIZE)
        return PAGING_OK;
    if (page_size != pg->mode->large_page_size || !pg->large_pages)
        return PAGING_ERR_PAGE_SIZE;
    return ((va | pa | size) & (page_size - 1)) ? PAGING_ERR_ALIGN : PAGING_OK;
}

/* Below phys_limit anything goes; up to large_phys_limit (PSE-36) only whole large pages. */
static int check_phys_reach(const struct paging *pg, uint32_t va, uint64_t pa, uint64_t size,
                            uint64_t page_size)
{
    if (pa < pg->phys_limit && size <= pg->phys_limit - pa)
        return PAGING_OK;
    uint64_t large = pg->mode->large_page_size;
    bool whole_large_pages = pg->large_pages && page_size != PAGODA_PAGE_SIZE &&
                             !(((uint64_t)va | pa | size) & (large - 1));
    if (whole_large_pages && pa < pg->large_phys_limit && size <= pg->large_phys_limit - pa)
        return PAGING_OK;
    return PAGING_ERR_PHYS;
}

int paging_core_map(struct paging_as *as, uint32_t va, uint64_t pa, uint64_t size, uint32_t prot,
                    uint64_t page_size, uint32_t flags)
{
    struct paging *pg = as->pg;
    int rc = check_range(va, size);
    if (rc == PAGING_OK && !pagoda_page_aligned(pa))
        rc = PAGING_ERR_ALIGN;
    if (rc == PAGING_OK)
        rc = check_page_size(pg, va, pa, size, page_size);
    if (rc == PAGING_OK)
        rc = check_phys_reach(pg, va, pa, size, page_size);
    if (rc == PAGING_OK && va == 0 && !(flags & PAGING_MAP_ALLOW_NULL))
        rc = PAGING_ERR_NULL_PAGE;
    if (rc == PAGING_OK)
        rc = check_prot(pg, prot);
    if (rc == PAGING_OK)
        rc = check_half(as, va, size, prot);
    uint64_t end = (uint64_t)va + size;
    if (rc == PAGING_OK && range_has(pg, 0, as->root, va, end, true))
        rc = PAGING_ERR_EXISTS;
    if (rc != PAGING_OK)
        return rc;
    struct map_request req = {.pa = pa, .prot = prot | PAGING_PROT_READ, .page_size = page_size};
    rc = map_level(as, 0, as->root, va, end, &req);
    if (rc != PAGING_OK)
        unmap_level(as, 0, as->root, va, end); /* the range was empty: this undoes exactly us */
    return rc;
}

int paging_core_unmap(struct paging_as *as, uint32_t va, uint64_t size)
{
    int rc = check_range(va, size);
    if (rc == PAGING_OK)
        rc = check_half(as, va, size, 0);
    uint64_t end = (uint64_t)va + size;
    if (rc == PAGING_OK)
        rc = split_range_ends(as, va, end);
    if (rc != PAGING_OK)
        return rc;
    unmap_level(as, 0, as->root, va, end);
    return PAGING_OK;
}

/* ---- protect ---- */

static void protect_level(struct paging_as *as, unsigned level, uint64_t table, uint64_t va,
                          uint64_t end, uint32_t prot)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    uint64_t span = level_span(f, level);
    while (va < end) {
        uint64_t chunk_end = entry_range_end(va, span, end);
        uint64_t entry = entry_read(pg, table, level_index(f, level, va));
        if (!entry_present(entry))
            panic("paging: protect met a hole at 0x%llx after checking", (unsigned long long)va);
        if (entry_is_leaf(f, level, entry)) {
            if ((va & (span - 1)) || chunk_end - va != span)
                panic("paging: protect met an unsplit large page at 0x%llx",
                      (unsigned long long)va);
            uint64_t kept = entry & (PTE_A | PTE_D);
            uint64_t new_entry =
                f->make_leaf(pg, level, f->entry_addr(level, entry, true), prot) | kept;
            if (new_entry != entry) {
                entry_write(as, level, table, va, new_entry);
                if (leaf_change_needs_flush(pg, level, entry, new_entry))
                    flush_page(as, va);
            }
        } else {
            protect_level(as, level + 1, f->entry_addr(level, entry, false), va, chunk_end, prot);
        }
        va = chunk_end;
    }
}

int paging_core_protect(struct paging_as *as, uint32_t va, uint64_t size, uint32_t prot)
{
    struct paging *pg = as->pg;
    int rc = check_range(va, size);
    if (rc == PAGING_OK)
        rc = check_prot(pg, prot);
    if (rc == PAGING_OK)
        rc = check_half(as, va, size, prot);
    uint64_t end = (uint64_t)va + size;
    if (rc == PAGING_OK && range_has(pg, 0, as->root, va, end, false))
        rc = PAGING_ERR_NOT_MAPPED;
    if (rc == PAGING_OK)
        rc = split_range_ends(as, va, end);
    if (rc != PAGING_OK)
        return rc;
    protect_level(as, 0, as->root, va, end, prot | PAGING_PROT_READ);
    return PAGING_OK;
}

/* ---- translate ---- */

void paging_core_translate(const struct paging_as *as, uint32_t va, struct paging_walk *walk)
{
    const struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    *walk = (struct paging_walk){.va = va, .cr3 = f->cr3_of(as->root)};
    uint32_t allowed = PAGING_PROT_WRITE | PAGING_PROT_USER | PAGING_PROT_EXEC;
    uint64_t table = as->root;
    for (unsigned level = 0; level < f->levels; level++) {
        struct paging_walk_level *step = &walk->level[walk->count++];
        step->name = pg->mode->level_names[level];
        step->table = table;
        step->index = level_index(f, level, va);
        step->entry = entry_read(pg, table, step->index);
        step->present = entry_present(step->entry);
        if (!step->present)
            return;
        allowed &= f->entry_allows(pg, level, step->entry);
        step->prot_so_far = allowed;
        step->leaf = entry_is_leaf(f, level, step->entry);
        if (step->leaf) {
            walk->mapped = true;
            walk->page_size = level_span(f, level);
            walk->pa = f->entry_addr(level, step->entry, true) + (va & (walk->page_size - 1));
            walk->prot = PAGING_PROT_READ | allowed | f->leaf_attrs(pg, level, step->entry);
            return;
        }
        table = f->entry_addr(level, step->entry, false);
    }
}

/* ---- address spaces ---- */

int paging_core_create(struct paging *pg, struct paging_as *as, enum paging_as_kind kind,
                       struct paging_as *kernel)
{
    const struct paging_format *f = pg->format;
    if ((kind == PAGING_AS_USER) != (kernel != NULL) ||
        (kernel && (kernel->kind != PAGING_AS_KERNEL || kernel->pg != pg)))
        return PAGING_ERR_PROT;
    *as = (struct paging_as){.pg = pg, .kind = kind, .kernel = kernel};
    int rc = table_alloc(as, 0, &as->root);
    if (rc != PAGING_OK)
        return rc;
    unsigned first_kernel = level_index(f, 0, PAGING_KERNEL_BASE);
    if (kind == PAGING_AS_KERNEL && f->kernel_table_pinned) {
        /* The one PD of the kernel half, shared by pointing every PDPT's last entry at it. */
        uint64_t pd;
        rc = table_alloc(as, 1, &pd);
        if (rc != PAGING_OK) {
            table_free(as, 0, as->root);
            return rc;
        }
        entry_store(pg, as->root, first_kernel, f->make_table_entry(0, pd));
    }
    if (kind == PAGING_AS_USER) {
        for (unsigned i = first_kernel; i < f->entries[0]; i++)
            entry_store(pg, as->root, i, entry_read(pg, kernel->root, i));
        pg->counters.kernel_entries_copied += f->entries[0] - first_kernel;
        as->next_user = kernel->next_user;
        kernel->next_user = as;
        kernel->users++;
    }
    return PAGING_OK;
}

static void free_tree(struct paging_as *as, unsigned level, uint64_t table, unsigned first,
                      unsigned limit)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    for (unsigned i = first; i < limit; i++) {
        uint64_t entry = entry_read(pg, table, i);
        if (entry_present(entry) && !entry_is_leaf(f, level, entry))
            free_tree(as, level + 1, f->entry_addr(level, entry, false), 0, f->entries[level + 1]);
    }
    table_free(as, level, table);
}

int paging_core_destroy(struct paging_as *as)
{
    struct paging *pg = as->pg;
    const struct paging_format *f = pg->format;
    if (pg->active == as || as->users != 0)
        return PAGING_ERR_BUSY;
    unsigned limit = f->entries[0];
    if (as->kind == PAGING_AS_USER) {
        limit = level_index(f, 0, PAGING_KERNEL_BASE); /* the kernel half is not ours */
        struct paging_as **link = &as->kernel->next_user;
        while (*link != as)
            link = &(*link)->next_user;
        *link = as->next_user;
        as->kernel->users--;
    }
    free_tree(as, 0, as->root, 0, limit);
    as->root = 0;
    return PAGING_OK;
}

void paging_core_activate(struct paging_as *as)
{
    struct paging *pg = as->pg;
    const struct paging_env *env = &pg->env;
    const struct paging_as *previous = pg->active;
    uint32_t cr4 = env->read_cr4(env->ctx);
    uint32_t want = pg->format->cr4_for(pg, cr4);
    /* Global entries survive a CR3 load: when the kernel half itself changes, toggling
       CR4.PGE is the architectural way to drop them (SDM 4.10.4.1). */
    if (previous && previous != as && (cr4 & CR4_PGE) &&
        kernel_half_owner(previous) != kernel_half_owner(as)) {
        cr4 &= ~CR4_PGE;
        env->write_cr4(env->ctx, cr4);
        pg->counters.global_flushes++;
    }
    /* NXE first: PAE entries with bit 63 set are reserved-bit faults without it. */
    if (pg->nx_enforced) {
        uint64_t efer = env->read_efer(env->ctx);
        if (!(efer & EFER_NXE))
            env->write_efer(env->ctx, efer | EFER_NXE);
    }
    pg->active = as;
    env->load_tables(env->ctx, pg->format->cr3_of(as->root), want);
    pg->counters.cr3_reloads++;
}

void paging_set_global(struct paging *pg, bool enabled)
{
    bool want = enabled && pg->env.pge_available;
    if (want == pg->global_enabled)
        return;
    pg->global_enabled = want;
    if (!pg->active)
        return;
    const struct paging_env *env = &pg->env;
    uint32_t cr4 = env->read_cr4(env->ctx);
    env->write_cr4(env->ctx, want ? cr4 | CR4_PGE : cr4 & ~CR4_PGE);
    if (!want)
        pg->counters.global_flushes++;
}

void paging_core_deactivate(struct paging *pg)
{
    pg->active = NULL;
}

void paging_core_counters(const struct paging *pg, struct paging_counters *out)
{
    *out = pg->counters;
}

int paging_core_init(struct paging *pg, const struct paging_mode *mode,
                     const struct paging_format *format, const struct paging_env *env)
{
    if (!env->alloc_table || !env->free_table || !env->table_ptr || !env->write_cr3 ||
        !env->load_tables || !env->invlpg || !env->read_cr4 || !env->write_cr4 ||
        (env->nx_available && (!env->read_efer || !env->write_efer)))
        return PAGING_ERR_ENV;
    *pg = (struct paging){.mode = mode, .format = format, .env = *env};
    pg->global_enabled = env->pge_available;
    return PAGING_OK;
}

/* ---- what callers may know of the format ---- */

unsigned paging_entry_bytes(const struct paging *pg)
{
    return pg->format->entry_bytes;
}

uint64_t paging_level_span(const struct paging *pg, unsigned level)
{
    return level_span(pg->format, level);
}

uint32_t paging_as_cr3(const struct paging_as *as)
{
    return as->pg->format->cr3_of(as->root);
}

uint64_t paging_entry_phys(const struct paging *pg, const struct paging_walk_level *step)
{
    return step->table + (uint64_t)step->index * pg->format->entry_bytes;
}

/* ---- leaf bits both formats share (bits 0-8, PAT) ---- */

uint64_t paging_leaf_common_bits(const struct paging *pg, uint32_t prot, bool large)
{
    uint64_t bits = PTE_P;
    if (prot & PAGING_PROT_WRITE)
        bits |= PTE_RW;
    if (prot & PAGING_PROT_USER)
        bits |= PTE_US;
    if ((prot & PAGING_PROT_GLOBAL) && pg->global_enabled)
        bits |= PTE_G;
    if (large)
        bits |= PTE_PS;
    /* The PAT index is PAT:PCD:PWT; entries 0-4 of the layout in pte_bits.h are the cache
       types in enum order, so the index is the enum value. */
    unsigned pat_index = PAGING_PROT_CACHE_OF(prot);
    if (pat_index & 1u)
        bits |= PTE_PWT;
    if (pat_index & 2u)
        bits |= PTE_PCD;
    if (pat_index & 4u)
        bits |= large ? PTE_PAT_LARGE : PTE_PAT;
    return bits;
}

uint32_t paging_leaf_common_attrs(uint64_t entry, bool large)
{
    unsigned pat_index = ((entry & PTE_PWT) ? 1u : 0u) | ((entry & PTE_PCD) ? 2u : 0u) |
                         ((entry & (large ? PTE_PAT_LARGE : PTE_PAT)) ? 4u : 0u);
    /* Entries 5-7 repeat 1-3; the code never writes them but a walk may meet them. */
    enum paging_cache cache =
        pat_index == 4u ? PAGING_CACHE_WC : (enum paging_cache)(pat_index & 3u);
    return PAGING_PROT_CACHE(cache) | ((entry & PTE_G) ? PAGING_PROT_GLOBAL : 0u);
}
