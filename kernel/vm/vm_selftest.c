/*
 * PSE-36 on the real CPU. Two-level paging keeps RAM above 4 GiB out of the frame allocator
 * (4 KiB pages cannot reach it), so a usable 4 MiB there is free to borrow: map it with one
 * PSE-36 page, write a signature into it, read it back, and check that the same offsets below
 * 4 GiB (where a CPU that ignored PDE bits 20:13 would have written) did not change.
 */
#include "vm_selftest.h"

#include "../boot/bootmem.h"
#include "../paging/pte_bits.h"
#include "vm.h"

#define PSE36_TEST_VA     0x80000000u /* user half, clear of the other tests' scratch pages */
#define PSE36_PAGE        (4u << 20)
#define PSE36_SAMPLE_STEP (64u << 10)
#define PSE36_SAMPLES     (PSE36_PAGE / PSE36_SAMPLE_STEP)
#define FOUR_GIB          (1ull << 32)

/* The first 4 MiB-aligned stretch of usable RAM at or above 4 GiB. */
static bool find_high_chunk(uint64_t *chunk)
{
    const struct memmap *map = &bootmem_state()->map;
    for (uint32_t i = 0; i < map->count; i++) {
        const struct memmap_entry *e = &map->entries[i];
        if (e->kind != MEMMAP_USABLE || e->end <= FOUR_GIB)
            continue;
        uint64_t start = e->start < FOUR_GIB ? FOUR_GIB : e->start;
        start = (start + PSE36_PAGE - 1) & ~(uint64_t)(PSE36_PAGE - 1);
        if (start + PSE36_PAGE <= e->end) {
            *chunk = start;
            return true;
        }
    }
    return false;
}

static uint32_t signature(uint64_t chunk, unsigned i)
{
    return 0x5e360000u ^ (uint32_t)(chunk >> 32) << 8 ^ i;
}

/* The word at phys through the direct map; 0 where the direct map has a hole there (the stacks'
 * guard pages are unmapped on purpose: reading one would fault). */
static uint32_t read_low_word(uint64_t phys)
{
    const volatile uint32_t *p = vm_phys_ptr(phys);
    struct paging_walk w;
    if (!p)
        return 0;
    vm.pg.mode->translate(&vm.kernel_as, (uint32_t)(uintptr_t)p, &w);
    return w.mapped ? *p : 0;
}

static enum ktest_result round_trip(uint64_t chunk)
{
    const struct paging_mode *m = vm.pg.mode;
    struct paging_walk w;
    m->translate(&vm.kernel_as, PSE36_TEST_VA + 0x1234u, &w);
    uint64_t pde = w.level[0].entry;
    uint64_t high = (pde & PTE32_PSE36_HIGH_MASK) >> PTE32_PSE36_SHIFT;
    ktest_diag("PDE 0x%08llx: bits 20:13 = 0x%llx -> phys 0x%llx", (unsigned long long)pde,
               (unsigned long long)high, (unsigned long long)w.pa);
    if (!w.mapped || w.page_size != PSE36_PAGE || w.pa != chunk + 0x1234u || high != chunk >> 32)
        return ktest_fail("walk of the PSE-36 page is wrong");
    uint32_t alias_before[PSE36_SAMPLES];
    uint64_t alias = chunk & (FOUR_GIB - 1);
    for (unsigned i = 0; i < PSE36_SAMPLES; i++)
        alias_before[i] = read_low_word(alias + i * PSE36_SAMPLE_STEP);
    volatile uint32_t *page = (volatile uint32_t *)(uintptr_t)PSE36_TEST_VA;
    for (unsigned i = 0; i < PSE36_SAMPLES; i++)
        page[i * PSE36_SAMPLE_STEP / 4] = signature(chunk, i);
    for (unsigned i = 0; i < PSE36_SAMPLES; i++) {
        uint32_t got = page[i * PSE36_SAMPLE_STEP / 4];
        if (got != signature(chunk, i))
            return ktest_fail("offset 0x%x reads 0x%08x, wrote 0x%08x", i * PSE36_SAMPLE_STEP, got,
                              signature(chunk, i));
    }
    for (unsigned i = 0; i < PSE36_SAMPLES; i++) {
        uint32_t now = read_low_word(alias + i * PSE36_SAMPLE_STEP);
        if (now != alias_before[i])
            return ktest_fail("phys 0x%llx below 4 GiB changed (0x%08x -> 0x%08x): the write "
                              "lost address bits 39:32",
                              (unsigned long long)(alias + i * PSE36_SAMPLE_STEP), alias_before[i],
                              now);
    }
    ktest_diag("%u words at 0x%llx written and read back; the alias at 0x%llx is untouched",
               PSE36_SAMPLES, (unsigned long long)chunk, (unsigned long long)alias);
    return KTEST_PASS;
}

enum ktest_result vm_selftest_pse36_high_ram(struct ktest_context *ctx)
{
    const struct paging_mode *m = vm.pg.mode;
    if (vm.pae)
        return ktest_skip(ctx, "PAE maps RAM above 4 GiB with ordinary pages (window test)");
    uint64_t chunk;
    if (!find_high_chunk(&chunk))
        return ktest_skip(ctx, "no usable RAM above 4 GiB on this machine (try -m 6G)");
    uint32_t rw = PAGING_PROT_READ | PAGING_PROT_WRITE;
    int rc = m->map(&vm.kernel_as, PSE36_TEST_VA, chunk, PSE36_PAGE, rw, PAGING_SIZE_AUTO, 0);
    if (!vm.pg.env.pse36_available) {
        if (rc != PAGING_ERR_PHYS)
            return ktest_fail("without PSE-36, mapping 0x%llx gave %s, not PAGING_ERR_PHYS",
                              (unsigned long long)chunk, paging_error_name(rc));
        return ktest_skip(ctx, "no PSE-36 on this CPU (0x%llx correctly refused)",
                          (unsigned long long)chunk);
    }
    if (rc != PAGING_OK)
        return ktest_fail("mapping 0x%llx with PSE-36: %s", (unsigned long long)chunk,
                          paging_error_name(rc));
    int small = m->map(&vm.kernel_as, PSE36_TEST_VA + PSE36_PAGE, chunk, PAGING_PAGE_SIZE, rw,
                       PAGING_PAGE_SIZE, 0);
    int cut = m->unmap(&vm.kernel_as, PSE36_TEST_VA + PAGING_PAGE_SIZE, PAGING_PAGE_SIZE);
    enum ktest_result result = round_trip(chunk);
    int undo = m->unmap(&vm.kernel_as, PSE36_TEST_VA, PSE36_PAGE);
    if (undo != PAGING_OK)
        return ktest_fail("unmapping the PSE-36 page: %s", paging_error_name(undo));
    if (result == KTEST_PASS && (small != PAGING_ERR_PHYS || cut != PAGING_ERR_PHYS))
        return ktest_fail("a 4 KiB page of 0x%llx gave %s and cutting the PSE-36 page gave %s: "
                          "both should be PAGING_ERR_PHYS",
                          (unsigned long long)chunk, paging_error_name(small),
                          paging_error_name(cut));
    return result;
}
