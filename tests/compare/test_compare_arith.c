/* Host tests of kernel/compare's pure parts: the table arithmetic the structural metrics are
 * checked against, and the summary statistics of the timing samples (lib/sample_stats.c). */
#include <stdlib.h>
#include <string.h>

#include "compare/compare_arith.h"
#include "sample_stats.h"
#include "tap.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)

static uint64_t layout_bytes(bool pae, uint64_t va, uint64_t pa, uint64_t size, bool large)
{
    struct cmp_tables t;
    cmp_tables_start(&t, pae);
    cmp_tables_add(&t, va, pa, size, large);
    return cmp_tables_bytes(&t);
}

static void test_whole_address_space(void)
{
    /* Every 4 KiB page of 4 GiB, the figures docs/03-pae-vs-2level.md quotes. */
    uint64_t two = layout_bytes(false, 0, 0, CMP_FOUR_GIB, false);
    uint64_t pae = layout_bytes(true, 0, 0, CMP_FOUR_GIB, false);
    TAP_CHECK(two == 4100 * KIB, "all of 4 GiB, two-level 4 KiB pages: %llu bytes",
              (unsigned long long)two);
    TAP_CHECK(pae == 8208 * KIB + 32, "all of 4 GiB, PAE 4 KiB pages: %llu bytes",
              (unsigned long long)pae);
    TAP_CHECK(layout_bytes(false, 0, 0, CMP_FOUR_GIB, true) == 4 * KIB,
              "all of 4 GiB in 4 MiB pages: the PD alone");
    TAP_CHECK(layout_bytes(true, 0, 0, CMP_FOUR_GIB, true) == 16 * KIB + 32,
              "all of 4 GiB in 2 MiB pages: PDPT + 4 PDs");
}

static void test_direct_map(void)
{
    TAP_CHECK(layout_bytes(false, 0xC0000000u, 0, CMP_ONE_GIB, false) == 1028 * KIB,
              "1 GiB direct map, two-level 4 KiB: PD + 256 PTs");
    TAP_CHECK(layout_bytes(true, 0xC0000000u, 0, CMP_ONE_GIB, false) == 2052 * KIB + 32,
              "1 GiB direct map, PAE 4 KiB: PDPT + PD + 512 PTs");
    TAP_CHECK(layout_bytes(true, 0xC0000000u, 0, CMP_ONE_GIB, true) == 4 * KIB + 32,
              "1 GiB direct map, PAE 2 MiB: PDPT + PD");
}

static void test_large_pages_need_alignment(void)
{
    /* va and pa disagree modulo 4 MiB: no large page is possible. */
    TAP_CHECK(layout_bytes(false, 0x400000, 0x1000, 8 * MIB, true) ==
                  layout_bytes(false, 0x400000, 0x1000, 8 * MIB, false),
              "misaligned pa: large pages fall back to 4 KiB");
    /* 1 MiB head + 4 MiB large + 1 MiB tail: two PTs under two-level. */
    TAP_CHECK(layout_bytes(false, 0x300000, 0x300000, 6 * MIB, true) == 3 * 4 * KIB,
              "head and tail pieces each need a PT");
    /* Two runs sharing one 4 MiB region share its PT. */
    struct cmp_tables t;
    cmp_tables_start(&t, false);
    cmp_tables_add(&t, 0x1000, 0x1000, 0x1000, false);
    cmp_tables_add(&t, 0x3000, 0x3000, 0x1000, false);
    TAP_CHECK(t.pages[1] == 1 && cmp_tables_total_pages(&t) == 2, "shared PT counted once");
    cmp_tables_add(&t, 0x40000000, 0, 0x1000, false);
    TAP_CHECK(t.pages[1] == 2, "a far run gets its own PT");
}

static void test_write_cost(void)
{
    struct cmp_write_cost c = cmp_write_cost(false, 1);
    TAP_CHECK(c.entries == 2 && c.lines == 2 && c.new_tables == 1, "two-level, 1 page: %u %u %u",
              c.entries, c.lines, c.new_tables);
    c = cmp_write_cost(true, 1);
    TAP_CHECK(c.entries == 3 && c.lines == 3 && c.new_tables == 2, "PAE, 1 page: %u %u %u",
              c.entries, c.lines, c.new_tables);
    c = cmp_write_cost(false, 1024);
    TAP_CHECK(c.entries == 1025 && c.lines == 65 && c.new_tables == 1,
              "two-level, 1024 pages: %u %u %u", c.entries, c.lines, c.new_tables);
    c = cmp_write_cost(true, 1024);
    TAP_CHECK(c.entries == 1027 && c.lines == 130 && c.new_tables == 3, "PAE, 1024 pages: %u %u %u",
              c.entries, c.lines, c.new_tables);
    c = cmp_write_cost(true, 16);
    TAP_CHECK(c.lines == 2 + 1 + 1, "PAE, 16 pages: 2 leaf lines, a PDE line, a PDPTE line");
}

static void test_walk_and_reach(void)
{
    TAP_CHECK(cmp_levels_walked(false, false) == 2 && cmp_levels_walked(true, false) == 2,
              "4 KiB pages: PD and PT are walked in both formats");
    TAP_CHECK(cmp_levels_walked(false, true) == 1 && cmp_levels_walked(true, true) == 1,
              "large pages: the PD only");
    TAP_CHECK(cmp_phys_limit(false, 40) == CMP_FOUR_GIB, "two-level reaches 4 GiB");
    TAP_CHECK(cmp_phys_limit(true, 40) == 1ull << 40, "PAE reaches MAXPHYADDR");
    TAP_CHECK(cmp_phys_limit(true, 0) == 1ull << 36, "PAE without CPUID leaf: 36 bits");
    TAP_CHECK(cmp_phys_limit(true, 60) == 1ull << 52, "PAE caps at 52 bits");
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_stats(void)
{
    static uint32_t v[1000], ref[1000], scratch[1000];
    for (uint32_t i = 0; i < 100; i++)
        v[i] = 100 - i; /* 1..100 reversed */
    struct sample_stats s = sample_stats_of(v, 100, scratch);
    TAP_CHECK(s.min == 1 && s.median == 50 && s.p99 == 99, "1..100: min %u median %u p99 %u", s.min,
              s.median, s.p99);
    TAP_CHECK(s.mad == 25, "1..100: MAD %u", s.mad);
    srand(4);
    for (uint32_t i = 0; i < 1000; i++)
        ref[i] = v[i] = (uint32_t)rand() % 5000;
    qsort(ref, 1000, sizeof(ref[0]), cmp_u32);
    sample_sort(v, 1000);
    TAP_CHECK(!memcmp(v, ref, sizeof(v)), "heapsort agrees with qsort on 1000 values");
    s = sample_stats_of(v, 1000, scratch);
    TAP_CHECK(s.median == ref[499] && s.p99 == ref[989] && s.min == ref[0],
              "nearest-rank median and p99");
    uint32_t one = 7;
    s = sample_stats_of(&one, 1, scratch);
    TAP_CHECK(s.min == 7 && s.median == 7 && s.p99 == 7 && s.mad == 0, "one sample");
    s = sample_stats_of(v, 0, scratch);
    TAP_CHECK(s.count == 0 && s.median == 0, "no samples");
}

static void test_flat_and_sharing(void)
{
    TAP_CHECK(cmp_flat_table_bytes(false) == 4 * MIB && cmp_flat_table_bytes(true) == 8 * MIB,
              "flat single-level table: 2^20 entries, 4 MiB (4-byte) and 8 MiB (8-byte)");
    TAP_CHECK(cmp_kernel_root_entries(false, 0xC0000000u) == 256 &&
                  cmp_kernel_root_entries(true, 0xC0000000u) == 1,
              "a 3/1 split: 256 kernel PDEs copied per process, or one PDPTE");
    TAP_CHECK(cmp_kernel_root_entries(false, 0x80000000u) == 512 &&
                  cmp_kernel_root_entries(true, 0x80000000u) == 2,
              "a 2/2 split: 512 PDEs, or 2 PDPTEs");
    TAP_CHECK(cmp_kernel_change_copies(false, 64) == 64 && cmp_kernel_change_copies(true, 64) == 0,
              "a new kernel page table: a copy per process two-level, none under PAE");
}

int main(void)
{
    test_flat_and_sharing();
    test_whole_address_space();
    test_direct_map();
    test_large_pages_need_alignment();
    test_write_cost();
    test_walk_and_reach();
    test_stats();
    return tap_done();
}
