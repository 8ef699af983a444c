#include "compare_arith.h"
#include "pagoda/page.h"

struct cmp_geometry cmp_geometry_of(bool pae)
{
    if (pae)
        return (struct cmp_geometry){.pae = true,
                                     .levels = 3,
                                     .entry_bytes = 8,
                                     .entries_per_table = 512,
                                     .large_page = CMP_LARGE_PAE,
                                     .root_bytes = CMP_PDPT_BYTES};
    return (struct cmp_geometry){.pae = false,
                                 .levels = 2,
                                 .entry_bytes = 4,
                                 .entries_per_table = 1024,
                                 .large_page = CMP_LARGE_2LEVEL,
                                 .root_bytes = PAGODA_PAGE_SIZE};
}

void cmp_tables_start(struct cmp_tables *t, bool pae)
{
    *t = (struct cmp_tables){.geo = cmp_geometry_of(pae)};
    t->pages[0] = 1;
}

/* Distinct regions of size `region` touched by [va, end), given the last one already counted. */
static uint32_t new_regions(uint64_t va, uint64_t end, uint64_t region, uint64_t *last_plus_one)
{
    if (end <= va)
        return 0;
    uint64_t first = va / region, last = (end - 1) / region;
    uint32_t count = (uint32_t)(last - first + 1);
    if (*last_plus_one == first + 1)
        count--;
    *last_plus_one = last + 1;
    return count;
}

/* A piece mapped with 4 KiB pages needs a PT per large-page region (and a PD per GiB). */
static void add_piece(struct cmp_tables *t, uint64_t va, uint64_t end, bool small)
{
    if (t->geo.pae)
        t->pages[1] += new_regions(va, end, CMP_ONE_GIB, &t->last_pd_region);
    if (small)
        t->pages[t->geo.levels - 1] += new_regions(va, end, t->geo.large_page, &t->last_pt_region);
}

void cmp_tables_add(struct cmp_tables *t, uint64_t va, uint64_t pa, uint64_t size, bool large)
{
    uint64_t L = t->geo.large_page, end = va + size;
    uint64_t mid_start = (va + L - 1) / L * L, mid_end = end / L * L;
    bool has_large = large && (va % L) == (pa % L) && mid_start < mid_end;
    if (!has_large) {
        add_piece(t, va, end, true);
        return;
    }
    add_piece(t, va, mid_start, true);
    add_piece(t, mid_start, mid_end, false);
    add_piece(t, mid_end, end, true);
}

uint32_t cmp_tables_total_pages(const struct cmp_tables *t)
{
    uint32_t total = 0;
    for (unsigned level = 0; level < t->geo.levels; level++)
        total += t->pages[level];
    return total;
}

uint64_t cmp_tables_bytes(const struct cmp_tables *t)
{
    return (uint64_t)t->geo.root_bytes +
           (uint64_t)(cmp_tables_total_pages(t) - t->pages[0]) * PAGODA_PAGE_SIZE;
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return (a + b - 1) / b;
}

struct cmp_write_cost cmp_write_cost(bool pae, uint32_t n)
{
    struct cmp_geometry geo = cmp_geometry_of(pae);
    uint32_t per_line = CMP_LINE_BYTES / geo.entry_bytes;
    uint32_t pts = div_up(n, geo.entries_per_table);
    struct cmp_write_cost cost = {0};
    /* Leaves: full PTs, then the last one's remainder; each PT starts on a line boundary. */
    uint32_t full = n / geo.entries_per_table, rest = n % geo.entries_per_table;
    cost.lines = full * (geo.entries_per_table / per_line) + div_up(rest, per_line);
    cost.entries = n;
    /* One PDE per PT, consecutive from index 0 of a PD. */
    uint32_t pds = pae ? div_up(pts, geo.entries_per_table) : 0;
    cost.entries += pts;
    cost.lines += div_up(pts, per_line);
    /* PAE: one PDPTE per new PD (all in the 32-byte PDPT: one line). */
    cost.entries += pds;
    cost.lines += pds ? 1 : 0;
    cost.new_tables = pts + pds;
    return cost;
}

unsigned cmp_levels_walked(bool pae, bool large)
{
    (void)pae; /* PAE's third level lives in the PDPTE registers */
    return large ? 1u : 2u;
}

uint64_t cmp_flat_table_bytes(bool pae)
{
    return (CMP_FOUR_GIB / PAGODA_PAGE_SIZE) * cmp_geometry_of(pae).entry_bytes;
}

uint32_t cmp_kernel_root_entries(bool pae, uint64_t kernel_base)
{
    unsigned root_shift = pae ? 30u : 22u; /* a PDPTE maps 1 GiB, a two-level PDE 4 MiB */
    return (uint32_t)((CMP_FOUR_GIB - kernel_base + (1ull << root_shift) - 1) >> root_shift);
}

uint32_t cmp_kernel_change_copies(bool pae, uint32_t users)
{
    return pae ? 0 : users;
}

uint64_t cmp_phys_limit(bool pae, unsigned max_phys_bits)
{
    if (!pae)
        return CMP_FOUR_GIB;
    if (max_phys_bits == 0)
        max_phys_bits = 36;
    if (max_phys_bits > 52)
        max_phys_bits = 52;
    return 1ull << max_phys_bits;
}
