/*
 * Structural metrics: exact, the same on every machine. Page-table pages and bytes for four
 * layouts (read from the paging layer's per-space counters after real map() calls into a scratch
 * space), entries and cache lines that mapping N pages makes present (read back from the tables
 * with walks), levels the CPU walks (from the accessed bits it sets), reachable RAM, NX. Each is
 * checked against compare_arith.c, which knows only the entry formats.
 */
#include "compare_struct.h"

#include "../arch/cpu.h"
#include "exc_decode.h"
#include "../arch/probe.h"
#include "../arch/pte_bits.h"
#include "../arch/x86.h"
#include "../boot/takeover.h"
#include "../trap/trap.h"
#include "../vm/kernel_half.h"
#include "compare_arith.h"
#include "compare_record.h"
#include "fmt.h"
#include "pagoda/page.h"

#define X86_OPCODE_RET 0xC3u

/* The sparse user-like layout (docs/03-pae-vs-2level.md): a process spread over 4 GiB. */
static const struct compare_piece sparse_layout[] = {
    /* in increasing address order, as cmp_tables_add needs */
    {0x08000000u, 0x00800000u}, /* program text and data, 8 MiB */
    {0x10000000u, 0x04000000u}, /* heap, 64 MiB */
    {0x28000000u, 0x00010000u}, /* small mapping 1 of 8, 64 KiB each, 256 MiB apart */
    {0x38000000u, 0x00010000u}, /* 2 */
    {0x40000000u, 0x02000000u}, /* shared libraries, 32 MiB */
    {0x48000000u, 0x00010000u}, /* 3 */
    {0x58000000u, 0x00010000u}, /* 4 */
    {0x68000000u, 0x00010000u}, /* 5 */
    {0x78000000u, 0x00010000u}, /* 6 */
    {0x88000000u, 0x00010000u}, /* 7 */
    {0x98000000u, 0x00010000u}, /* 8 */
    {0xbf800000u, 0x00800000u}, /* main stack, 8 MiB below 3 GiB */
    {0xc0000000u, 0x04000000u}, /* the process's view of a kernel window, 64 MiB */
    {0xfff00000u, 0x00010000u}, /* a page group at the very top */
};
#define SPARSE_PIECES (sizeof(sparse_layout) / sizeof(sparse_layout[0]))

const struct compare_piece *compare_sparse_layout(unsigned *count)
{
    *count = SPARSE_PIECES;
    return sparse_layout;
}

enum layout { LAYOUT_KERNEL, LAYOUT_DIRECT_1G, LAYOUT_SPARSE_4G, LAYOUT_ALL_4G, LAYOUT_COUNT };
static const char *const layout_names[LAYOUT_COUNT] = {"kernel", "direct1g", "sparse4g", "all4g"};
static const char *const page_names[2] = {"4k", "large"};

static const struct paging_mode *mode_of(enum compare_mode mode)
{
    return compare_paging(mode)->mode;
}

/* The pieces of a layout: (va, pa, size); count returned. */
static unsigned layout_piece(enum layout layout, unsigned i, uint64_t *va, uint64_t *pa,
                             uint64_t *size)
{
    switch (layout) {
    case LAYOUT_KERNEL: {
        /* The regions mapped whole; the heap's and kernel stacks' pages come and go. */
        const struct vm_kernel_region *regions;
        unsigned count = vm_kernel_regions(&regions), piece = 0;
        for (unsigned r = 0; r < count; r++) {
            if (regions[r].populated)
                continue;
            if (piece++ == i) {
                *va = regions[r].va;
                *pa = regions[r].pa;
                *size = regions[r].size;
            }
        }
        return piece;
    }
    case LAYOUT_DIRECT_1G:
        *va = PAGING_KERNEL_BASE, *pa = 0, *size = CMP_ONE_GIB;
        return 1;
    case LAYOUT_SPARSE_4G:
        if (i < SPARSE_PIECES) {
            *va = sparse_layout[i].va;
            *pa = *va; /* any frame: only the tables are counted */
            *size = sparse_layout[i].size;
        }
        return SPARSE_PIECES;
    case LAYOUT_ALL_4G:
    default:
        *va = 0, *pa = 0, *size = CMP_FOUR_GIB;
        return 1;
    }
}

static uint64_t table_bytes_of(const struct vm_space *s, bool pae, unsigned levels)
{
    uint64_t bytes = pae ? CMP_PDPT_BYTES : PAGODA_PAGE_SIZE;
    for (unsigned level = 1; level < levels; level++)
        bytes += (uint64_t)vm_space_tables(s)[level] * PAGODA_PAGE_SIZE;
    return bytes;
}

static void layout_tables(enum compare_mode mode, enum layout layout, bool large)
{
    struct compare_side *side = &compare_sides[mode];
    const struct paging_mode *m = mode_of(mode);
    struct vm_space as;
    struct cmp_tables expect;
    cmp_tables_start(&expect, side->pae);
    int rc = vm_space_create_scratch(&as, compare_paging(mode));
    uint64_t va, pa, size;
    unsigned count = layout_piece(layout, 0, &va, &pa, &size);
    for (unsigned i = 0; i < count && rc == PAGING_OK; i++) {
        layout_piece(layout, i, &va, &pa, &size);
        cmp_tables_add(&expect, va, pa, size, large);
        rc = vm_space_map(&as, (uint32_t)va, pa, size, PAGING_PROT_READ | PAGING_PROT_WRITE,
                          large ? PAGING_SIZE_AUTO : PAGODA_PAGE_SIZE, PAGING_MAP_ALLOW_NULL);
    }
    const char *page = page_names[large];
    const char *name = layout_names[layout];
    if (rc != PAGING_OK) {
        compare_serial("# compare: %s %s %s: map failed: %s\n", side->name, name, page,
                       paging_error_name(rc));
        compare_structural("pt_bytes", mode, page, name, 0, cmp_tables_bytes(&expect), "bytes");
    } else {
        const uint32_t *tables = vm_space_tables(&as);
        uint64_t bytes = table_bytes_of(&as, side->pae, m->levels);
        compare_structural("pt_bytes", mode, page, name, bytes, cmp_tables_bytes(&expect), "bytes");
        uint32_t total = 0;
        for (unsigned level = 0; level < m->levels; level++)
            total += tables[level];
        compare_structural("pt_pages", mode, page, name, total, cmp_tables_total_pages(&expect),
                           "pages");
        compare_structural("pt_pages_leaf", mode, page, name, tables[m->levels - 1],
                           expect.pages[m->levels - 1], "pages");
        compare_structural("pt_pages_mid", mode, page, name, side->pae ? tables[1] : 0,
                           side->pae ? expect.pages[1] : 0, "pages");
        compare_summary.bytes[mode][layout][large] = bytes;
    }
    vm_space_destroy(&as);
}

/* Entries and lines present on the walks of n pages mapped at 1 GiB into an empty space. */
static void write_cost(enum compare_mode mode, uint32_t n)
{
    struct compare_side *side = &compare_sides[mode];
    struct paging *pg = compare_paging(mode);
    const struct paging_mode *m = pg->mode;
    const uint32_t base = 0x40000000u;
    struct vm_space as;
    struct cmp_write_cost want = cmp_write_cost(side->pae, n), got = {0};
    int rc = vm_space_create_scratch(&as, pg);
    const uint32_t *tables = vm_space_tables(&as);
    uint32_t before = 0;
    for (unsigned level = 0; level < m->levels; level++)
        before += tables[level];
    if (rc == PAGING_OK)
        rc = vm_space_map(&as, base, base, (uint64_t)n * PAGODA_PAGE_SIZE,
                          PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0);
    uint64_t last_entry[PAGING_MAX_LEVELS] = {0}, last_line[PAGING_MAX_LEVELS] = {0};
    for (uint32_t i = 0; i < n && rc == PAGING_OK; i++) {
        struct paging_walk w;
        vm_space_translate(&as, base + i * PAGODA_PAGE_SIZE, &w);
        for (unsigned level = 0; level < w.count; level++) {
            const struct paging_walk_level *l = &w.level[level];
            if (!l->present)
                continue;
            uint64_t entry = paging_entry_phys(pg, l) + 1; /* +1: never 0 */
            uint64_t line = paging_entry_phys(pg, l) / CMP_LINE_BYTES + 1;
            got.entries += entry != last_entry[level];
            got.lines += line != last_line[level];
            last_entry[level] = entry;
            last_line[level] = line;
        }
    }
    for (unsigned level = 0; level < m->levels; level++)
        got.new_tables += tables[level];
    got.new_tables -= before;
    char n_text[12];
    pg_snprintf(n_text, sizeof(n_text), "%u", n);
    compare_structural("write_entries", mode, "4k", n_text, got.entries, want.entries, "entries");
    compare_structural("write_lines", mode, "4k", n_text, got.lines, want.lines, "lines");
    compare_structural("write_tables", mode, "4k", n_text, got.new_tables, want.new_tables,
                       "tables");
    vm_space_destroy(&as);
}

/* Clears A on the path of va, makes the CPU walk it once, counts the levels that got A back. */
static unsigned walked_levels(struct compare_side *side, uint32_t va)
{
    struct paging_walk w;
    vm_space_translate(side->space, va, &w);
    unsigned first = side->pae ? 1u : 0u; /* PDPTEs have no accessed bit */
    for (unsigned level = first; level < w.count; level++) {
        /* A and the other low flags are in the low 32 bits of either entry size. */
        volatile uint32_t *low = vm_space_entry(side->space, &w.level[level]);
        *low &= ~(uint32_t)PTE_A;
    }
    invlpg(va);
    (void)*(volatile uint32_t *)(uintptr_t)va;
    vm_space_translate(side->space, va, &w);
    unsigned count = 0;
    for (unsigned level = first; level < w.count; level++)
        count += (w.level[level].entry & PTE_A) != 0;
    return count;
}

static void levels_walked(enum compare_mode mode)
{
    struct compare_side *side = &compare_sides[mode];
    const struct paging_mode *m = compare_paging(mode)->mode;
    int rc4 = vm_space_map(side->space, COMPARE_NX_VA, compare_frame(0), PAGODA_PAGE_SIZE,
                           PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0);
    int rcl = vm_space_map(side->space, COMPARE_CHASE_VA, compare_frames.run[0], m->large_page_size,
                           PAGING_PROT_READ | PAGING_PROT_WRITE, m->large_page_size, 0);
    unsigned small = rc4 == PAGING_OK ? walked_levels(side, COMPARE_NX_VA) : 0;
    unsigned large = rcl == PAGING_OK ? walked_levels(side, COMPARE_CHASE_VA) : 0;
    compare_structural("levels_walked", mode, "4k", "1", small, cmp_levels_walked(side->pae, false),
                       "levels");
    compare_structural("levels_walked", mode, "large", "1", large,
                       cmp_levels_walked(side->pae, true), "levels");
    compare_summary.walked[mode][0] = small;
    compare_summary.walked[mode][1] = large;
    vm_space_unmap(side->space, COMPARE_NX_VA, PAGODA_PAGE_SIZE);
    vm_space_unmap(side->space, COMPARE_CHASE_VA, m->large_page_size);
}

/* Calls a `ret` in a page mapped without execute permission. */
static void nx_probe(enum compare_mode mode)
{
    struct compare_side *side = &compare_sides[mode];
    uint32_t va = COMPARE_NX_VA + PAGODA_PAGE_SIZE;
    bool enforced = false;
    if (vm_space_map(side->space, va, compare_frame(1), PAGODA_PAGE_SIZE,
                     PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0) == PAGING_OK) {
        struct fault_record record;
        *(volatile uint8_t *)(uintptr_t)va = X86_OPCODE_RET;
        fault_expect(EXC_PF, (uintptr_t)probe_exec_resume);
        probe_exec(va);
        enforced = fault_take(&record) && (record.error_code & PF_ERR_FETCH);
        vm_space_unmap(side->space, va, PAGODA_PAGE_SIZE);
    }
    bool want = side->pae && compare_paging(mode)->env.nx_available;
    compare_structural("nx_enforced", mode, "4k", "1", enforced, want, "bool");
    compare_summary.nx[mode] = enforced;
}

/* Highest usable frame and usable RAM below the format's reach; the highest frame is mapped
 * for real, and the first RAM beyond the reach must be refused. */
static void reach(enum compare_mode mode)
{
    struct compare_side *side = &compare_sides[mode];
    const struct memmap *map = &takeover_memory_state()->map;
    uint64_t limit = cmp_phys_limit(side->pae, cpu.physical_address_bits);
    uint64_t highest = 0, usable = 0, beyond = 0, first_beyond = 0;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (!memmap_kind_is_allocatable(e->kind) || e->end <= e->start)
            continue;
        uint64_t end = e->end < limit ? e->end : limit;
        if (e->start < end) {
            usable += end - e->start;
            highest = end - PAGODA_PAGE_SIZE;
        }
        if (e->end > limit) {
            uint64_t from = e->start > limit ? e->start : limit;
            if (!beyond)
                first_beyond = from;
            beyond += e->end - from;
        }
    }
    uint32_t va = COMPARE_NX_VA + 2 * PAGODA_PAGE_SIZE;
    uint32_t prot = PAGING_PROT_READ;
    bool ok = vm_space_map(side->space, va, highest, PAGODA_PAGE_SIZE, prot, PAGODA_PAGE_SIZE, 0) ==
              PAGING_OK;
    vm_space_unmap(side->space, va, PAGODA_PAGE_SIZE);
    if (beyond) {
        int rc = vm_space_map(side->space, va, first_beyond, PAGODA_PAGE_SIZE, prot,
                              PAGODA_PAGE_SIZE, 0);
        ok = ok && rc == PAGING_ERR_PHYS;
        vm_space_unmap(side->space, va, PAGODA_PAGE_SIZE);
    }
    compare_structural("phys_limit", mode, "-", "1", compare_paging(mode)->phys_limit, limit,
                       "bytes");
    compare_structural("highest_frame", mode, "-", "1", ok ? highest : 0, highest, "address");
    compare_structural("usable_ram", mode, "-", "1", usable, usable, "bytes");
    compare_structural("ram_out_of_reach", mode, "-", "1", beyond, beyond, "bytes");
    compare_summary.highest[mode] = highest;
    compare_summary.usable[mode] = usable;
}

void compare_struct_run(enum compare_mode mode)
{
    for (unsigned layout = 0; layout < LAYOUT_COUNT; layout++)
        for (unsigned large = 0; large < 2; large++)
            layout_tables(mode, (enum layout)layout, large);
    static const uint32_t write_ns[] = {1, 16, 512, 1024, 4096};
    for (unsigned i = 0; i < sizeof(write_ns) / sizeof(write_ns[0]); i++)
        write_cost(mode, write_ns[i]);
    levels_walked(mode);
    nx_probe(mode);
    reach(mode);
}
