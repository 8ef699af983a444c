/*
 * The page tables as the CPU uses them: every test here changes or probes the live kernel
 * address space (kernel/vm) and checks what the MMU does, with expected faults caught through
 * fault_expect() so the run continues.
 */
#include "vmtest.h"

#include "../arch/cpu.h"
#include "exc_decode.h"
#include "../arch/layout.h"
#include "../arch/probe.h"
#include "../arch/pte_bits.h"
#include "../arch/x86.h"
#include "../boot/cmdline.h"
#include "../boot/takeover.h"
#include "../boot/units.h"
#include "../trap/trap.h"
#include "../vm/format.h"
#include "../vm/kernel_half.h"
#include "../vm/phys.h"
#include "../vm/window.h"
#include "pagoda/page.h"

/* Scratch addresses in the kernel space's (otherwise empty) user half. */
#define VM_TEST_VA 0x40000000u
/* More page tables than the pool holds (VM_POOL_FRAMES), so some come from the allocator: with
 * enough RAM those lie outside the direct map and are edited through the window. */
#define CHURN_PAGES 96u
/* Spread so the churn needs several page tables (and PAE page directories). */
#define CHURN_STRIDE 0x00500000u

extern const char kernel_text_start[], kernel_rodata_start[], kernel_data_start[];
extern const char boot_stack_guard[], double_fault_stack_guard[];

static const uint32_t vmtest_read_only_word = 0x600DF00Du;

/* What the remap test saw before its INVLPG, for the stale-translation report. */
struct remap_observation_t {
    bool ran;
    uint32_t seen;
    uint32_t old_value, new_value;
};
static struct remap_observation_t remap_observation;

static struct vm_space *space(void)
{
    return vm_kernel_space();
}

static const struct paging *pg(void)
{
    return vm_space_paging(space());
}

static bool booted_pae(void)
{
    return vm_format_chosen()->pae;
}

static struct frames *frames(void)
{
    return &takeover_memory_state()->frames;
}

static void walk(uint32_t va, struct paging_walk *w)
{
    vm_space_translate(space(), va, w);
}

static void counters(struct paging_counters *c)
{
    pg()->mode->counters(pg(), c);
}

static void diag_walk(const struct paging_walk *w)
{
    char text[640];
    paging_walk_describe(w, text, sizeof(text));
    char *line = text;
    while (*line) {
        char *end = line;
        while (*end && *end != '\n')
            end++;
        char saved = *end;
        *end = '\0';
        ktest_diag("%s", line);
        if (!saved)
            break;
        line = end + 1;
    }
}

static const char *rights(uint32_t prot, char *buf)
{
    buf[0] = 'R';
    buf[1] = (prot & PAGING_PROT_WRITE) ? 'W' : '-';
    buf[2] = (prot & PAGING_PROT_EXEC) ? 'X' : '-';
    buf[3] = '\0';
    return buf;
}

enum ktest_result vmtest_mode(struct ktest_context *ctx)
{
    (void)ctx;
    const struct vm_format_choice *choice = vm_format_chosen();
    bool want_pae = choice->asked == VM_PAGING_2LEVEL ? false : cpu.pae;
    ktest_diag("asked paging=%s, CPU PAE=%u NX=%u PSE=%u PGE=%u PAT=%u: %s (%s)",
               cmdline_paging_name(choice->asked), cpu.pae, cpu.nx, cpu.pse, cpu.pge, cpu.pat,
               pg()->mode->name, choice->why);
    if (booted_pae() != want_pae)
        return ktest_fail("chose %s", pg()->mode->name);
    if (vm_space_current() != space() || read_cr3() != vm_space_cr3(space()))
        return ktest_fail("CR3 0x%08x is not the kernel space's 0x%08x", read_cr3(),
                          vm_space_cr3(space()));
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    if (!(cr0 & CR0_PG) || !(cr0 & CR0_WP))
        return ktest_fail("CR0=0x%08x: PG=%u WP=%u", cr0, !!(cr0 & CR0_PG), !!(cr0 & CR0_WP));
    if (!!(cr4 & CR4_PAE) != booted_pae())
        return ktest_fail("CR4=0x%08x: PAE=%u for %s", cr4, !!(cr4 & CR4_PAE), pg()->mode->name);
    if (pg()->nx_enforced != (booted_pae() && cpu.nx))
        return ktest_fail("NX enforced=%u with PAE=%u NX=%u", pg()->nx_enforced, booted_pae(),
                          cpu.nx);
    if (pg()->nx_enforced && !(rdmsr(MSR_IA32_EFER) & EFER_NXE))
        return ktest_fail("NX claimed but EFER.NXE is clear");
    return KTEST_PASS;
}

/* prot must hold every bit of want and none of refuse. */
static bool check_rights(const char *what, uint32_t va, uint32_t want, uint32_t refuse)
{
    struct paging_walk w;
    char buf[4];
    walk(va, &w);
    if (!w.mapped) {
        ktest_diag("%s at 0x%08x is not mapped", what, va);
        return false;
    }
    bool ok = (w.prot & want) == want && !(w.prot & refuse);
    ktest_diag("%s at 0x%08x: %s%s, %llu KiB page%s", what, va, rights(w.prot, buf),
               (w.prot & PAGING_PROT_GLOBAL) ? " global" : "",
               (unsigned long long)(w.page_size >> 10), ok ? "" : "  <- wrong");
    return ok;
}

enum ktest_result vmtest_kernel_rights(struct ktest_context *ctx)
{
    (void)ctx;
    uint32_t global = pg()->global_enabled ? PAGING_PROT_GLOBAL : 0;
    uint32_t nx = pg()->nx_enforced ? PAGING_PROT_EXEC : 0;
    bool ok = check_rights("text", (uint32_t)(uintptr_t)kernel_text_start,
                           PAGING_PROT_EXEC | global, PAGING_PROT_WRITE);
    ok &= check_rights("rodata", (uint32_t)(uintptr_t)kernel_rodata_start, global,
                       PAGING_PROT_WRITE | nx);
    ok &= check_rights("data", (uint32_t)(uintptr_t)kernel_data_start, PAGING_PROT_WRITE | global,
                       nx);
    ok &= check_rights("direct map (allocator metadata)",
                       (uint32_t)KERNEL_VA(takeover_memory_state()->metadata_phys),
                       PAGING_PROT_WRITE | global, nx);
    ok &= check_rights("direct map (its start, physical 0)", KERNEL_VIRT_BASE,
                       PAGING_PROT_WRITE | global, nx);
    return ok ? KTEST_PASS : ktest_fail("a kernel range has the wrong rights (see above)");
}

static bool expect_unmapped(const char *what, uint32_t va)
{
    struct paging_walk w;
    walk(va, &w);
    if (w.mapped) {
        ktest_diag("%s at 0x%08x is mapped", what, va);
        return false;
    }
    struct fault_record record;
    fault_expect(EXC_PF, (uintptr_t)probe_read32_resume);
    probe_read32(va);
    if (!fault_take(&record)) {
        ktest_diag("reading %s at 0x%08x did not fault", what, va);
        return false;
    }
    ktest_diag("%s at 0x%08x: not mapped, read faults (error 0x%x, CR2 0x%08x)", what, va,
               record.error_code, record.cr2);
    return record.cr2 == va && !(record.error_code & PF_ERR_PRESENT);
}

enum ktest_result vmtest_unmapped(struct ktest_context *ctx)
{
    (void)ctx;
    bool ok = expect_unmapped("page 0", 0);
    ok &= expect_unmapped("the switch code's identity mapping", KERNEL_PHYS_BASE);
    ok &= expect_unmapped("boot stack guard", (uint32_t)(uintptr_t)boot_stack_guard);
    ok &=
        expect_unmapped("double-fault stack guard", (uint32_t)(uintptr_t)double_fault_stack_guard);
    return ok ? KTEST_PASS : ktest_fail("something that must be unmapped is mapped");
}

static uint64_t take_frame(void)
{
    return frames_alloc(frames(), booted_pae() ? FRAMES_ANYWHERE : FRAMES_BELOW_4G);
}

static uint32_t *frame_words(uint64_t phys)
{
    return vm_frame_map(phys);
}

enum ktest_result vmtest_map_protect_unmap(struct ktest_context *ctx)
{
    (void)ctx;
    struct paging_counters before, after;
    struct fault_record record;
    struct paging_walk w;
    uint32_t va = VM_TEST_VA;
    uint64_t frame = take_frame();
    if (frame == FRAMES_NONE)
        return ktest_fail("no free frame");
    counters(&before);
    int rc = vm_space_map(space(), va, frame, PAGODA_PAGE_SIZE,
                          PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0);
    if (rc != PAGING_OK)
        return ktest_fail("map: %s", paging_error_name(rc));
    walk(va, &w);
    diag_walk(&w);
    probe_write32(va, 0xC0FFEE01u);
    uint32_t through_frame = frame_words(frame)[0];
    if (!w.mapped || w.pa != frame || through_frame != 0xC0FFEE01u)
        return ktest_fail("walk pa 0x%llx (frame 0x%llx); frame holds 0x%08x",
                          (unsigned long long)w.pa, (unsigned long long)frame, through_frame);

    rc = vm_space_protect(space(), va, PAGODA_PAGE_SIZE, PAGING_PROT_READ);
    fault_expect(EXC_PF, (uintptr_t)probe_write32_resume);
    probe_write32(va, 0xBAD);
    bool caught = fault_take(&record);
    if (rc != PAGING_OK || !caught || record.cr2 != va ||
        (record.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)) != (PF_ERR_PRESENT | PF_ERR_WRITE))
        return ktest_fail("protect %s; write after it: caught=%u error 0x%x CR2 0x%08x",
                          paging_error_name(rc), caught, record.error_code, record.cr2);

    rc = vm_space_unmap(space(), va, PAGODA_PAGE_SIZE);
    fault_expect(EXC_PF, (uintptr_t)probe_read32_resume);
    probe_read32(va);
    caught = fault_take(&record);
    counters(&after);
    frames_free(frames(), frame);
    if (rc != PAGING_OK || !caught || (record.error_code & PF_ERR_PRESENT))
        return ktest_fail("unmap %s; read after it: caught=%u error 0x%x", paging_error_name(rc),
                          caught, record.error_code);
    ktest_diag("INVLPG +%u (protect downgrade, unmap), tables allocated +%u, freed +%u",
               after.invlpg - before.invlpg, after.table_allocs - before.table_allocs,
               after.table_frees - before.table_frees);
    if (after.invlpg - before.invlpg < 2)
        return ktest_fail("expected an INVLPG for the downgrade and one for the unmap");
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        if (after.tables[level] != before.tables[level])
            return ktest_fail("level %u: %u tables before, %u after", level, before.tables[level],
                              after.tables[level]);
    return KTEST_PASS;
}

/* One 64-bit store (CMPXCHG8B on i686): the CPU must never see half a PAE entry. */
typedef uint64_t __attribute__((aligned(8))) pae_entry64;

/* Points the leaf entry for va at new_frame behind the paging layer's back (no INVLPG). */
static bool rewrite_leaf(uint32_t va, uint64_t new_frame)
{
    struct paging_walk w;
    walk(va, &w);
    if (!w.mapped || w.page_size != PAGODA_PAGE_SIZE)
        return false;
    const struct paging_walk_level *leaf = &w.level[w.count - 1];
    volatile void *entry = vm_space_entry(space(), leaf);
    if (paging_entry_bytes(pg()) == 8)
        __atomic_store_n((volatile pae_entry64 *)entry,
                         (leaf->entry & ~PTEPAE_ADDR_MASK) | new_frame, __ATOMIC_RELAXED);
    else
        *(volatile uint32_t *)entry = (uint32_t)((leaf->entry & ~PTE32_ADDR_MASK) | new_frame);
    return true;
}

enum ktest_result vmtest_invlpg_remap(struct ktest_context *ctx)
{
    (void)ctx;
    uint32_t va = VM_TEST_VA + PAGODA_PAGE_SIZE;
    uint64_t a = take_frame(), b = take_frame();
    if (a == FRAMES_NONE || b == FRAMES_NONE)
        return ktest_fail("no free frames");
    int rc = vm_space_map(space(), va, a, PAGODA_PAGE_SIZE, PAGING_PROT_READ | PAGING_PROT_WRITE,
                          PAGODA_PAGE_SIZE, 0);
    if (rc != PAGING_OK)
        return ktest_fail("map: %s", paging_error_name(rc));
    volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)va;
    *p = 0xAAAA0001u;
    frame_words(b)[0] = 0xBBBB0002u;
    uint32_t before = *p; /* the TLB now holds va -> a */
    bool rewritten = rewrite_leaf(va, b);
    uint32_t stale = *p;
    invlpg(va);
    uint32_t fresh = *p;
    remap_observation = (struct remap_observation_t){0};
    remap_observation.ran = true;
    remap_observation.seen = stale;
    remap_observation.old_value = before;
    remap_observation.new_value = fresh;
    vm_space_unmap(space(), va, PAGODA_PAGE_SIZE);
    frames_free(frames(), a);
    frames_free(frames(), b);
    ktest_diag("frame A 0x%llx, frame B 0x%llx: before 0x%08x, entry rewritten without INVLPG "
               "0x%08x, after INVLPG 0x%08x",
               (unsigned long long)a, (unsigned long long)b, before, stale, fresh);
    if (!rewritten || before != 0xAAAA0001u || fresh != 0xBBBB0002u)
        return ktest_fail("after INVLPG the page must show frame B");
    return KTEST_PASS;
}

enum ktest_result vmtest_stale_without_invlpg(struct ktest_context *ctx)
{
    if (!remap_observation.ran)
        return ktest_skip(ctx, "the remap test did not run");
    /* The CPU may drop a TLB entry at any time, so a stale read is allowed, never promised. */
    return ktest_skip(ctx, "not deterministic (a TLB entry may go any time); this run saw the %s",
                      remap_observation.seen == remap_observation.old_value
                          ? "OLD frame: stale TLB entry"
                          : "new frame");
}

enum ktest_result vmtest_write_read_only(struct ktest_context *ctx)
{
    (void)ctx;
    struct fault_record record;
    uint32_t va = (uint32_t)(uintptr_t)&vmtest_read_only_word;
    fault_expect(EXC_PF, (uintptr_t)probe_write32_resume);
    probe_write32(va, 0xBADBAD);
    bool caught = fault_take(&record);
    char decoded[160];
    if (caught)
        ktest_diag("#PF at EIP 0x%08x, CR2 0x%08x: %s", record.eip, record.cr2,
                   exc_decode_error(EXC_PF, record.error_code, decoded, sizeof(decoded)));
    if (!caught)
        return ktest_fail("a kernel write to rodata at 0x%08x did not fault", va);
    if (record.cr2 != va ||
        (record.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)) != (PF_ERR_PRESENT | PF_ERR_WRITE))
        return ktest_fail("error 0x%x CR2 0x%08x", record.error_code, record.cr2);
    if (*(volatile const uint32_t *)&vmtest_read_only_word != 0x600DF00Du)
        return ktest_fail("the read-only word changed");
    return KTEST_PASS;
}

enum ktest_result vmtest_execute_nx(struct ktest_context *ctx)
{
    if (!pg()->nx_enforced)
        return ktest_skip(ctx, "%s",
                          booted_pae() ? "this CPU has no NX (execute-disable)"
                                       : "two-level paging has no execute-disable bit");
    struct fault_record record;
    uint32_t va = VM_TEST_VA + 2 * PAGODA_PAGE_SIZE;
    uint64_t frame = take_frame();
    if (frame == FRAMES_NONE)
        return ktest_fail("no free frame");
    int rc = vm_space_map(space(), va, frame, PAGODA_PAGE_SIZE,
                          PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0);
    if (rc != PAGING_OK)
        return ktest_fail("map: %s", paging_error_name(rc));
    *(volatile uint8_t *)(uintptr_t)va = 0xC3; /* ret: harmless if it did run */
    fault_expect(EXC_PF, (uintptr_t)probe_exec_resume);
    probe_exec(va);
    bool caught = fault_take(&record);
    vm_space_unmap(space(), va, PAGODA_PAGE_SIZE);
    frames_free(frames(), frame);
    char decoded[160];
    if (!caught)
        return ktest_fail("a call into the no-execute page at 0x%08x returned", va);
    ktest_diag("#PF at EIP 0x%08x, CR2 0x%08x: %s", record.eip, record.cr2,
               exc_decode_error(EXC_PF, record.error_code, decoded, sizeof(decoded)));
    if (record.cr2 != va || record.eip != va || !(record.error_code & PF_ERR_FETCH) ||
        !(record.error_code & PF_ERR_PRESENT))
        return ktest_fail("want a present-page instruction-fetch fault at 0x%08x", va);
    return KTEST_PASS;
}

enum ktest_result vmtest_null_dereference(struct ktest_context *ctx)
{
    (void)ctx;
    struct fault_record record;
    struct paging_walk w;
    fault_expect(EXC_PF, (uintptr_t)probe_read32_resume);
    probe_read32(0);
    bool caught = fault_take(&record);
    if (!caught)
        return ktest_fail("reading address 0 did not fault");
    char decoded[160];
    ktest_diag("#PF at EIP 0x%08x, CR2 0x%08x: %s; the walk:", record.eip, record.cr2,
               exc_decode_error(EXC_PF, record.error_code, decoded, sizeof(decoded)));
    walk(record.cr2, &w);
    diag_walk(&w);
    if (record.cr2 != 0 || (record.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)))
        return ktest_fail("want a not-present read fault at 0 (error 0x%x)", record.error_code);
    return KTEST_PASS;
}

/* Writes a pattern into frame through the window, drops the mapping, maps again, reads. */
static enum ktest_result window_round_trip(uint64_t frame)
{
    uint32_t *words = frame_words(frame);
    if (!words)
        return ktest_fail("the window cannot map 0x%llx", (unsigned long long)frame);
    struct paging_walk w;
    walk((uint32_t)(uintptr_t)words, &w);
    if (!w.mapped || w.pa != frame)
        return ktest_fail("window VA 0x%08x maps 0x%llx, not 0x%llx", (unsigned)(uintptr_t)words,
                          (unsigned long long)w.pa, (unsigned long long)frame);
    for (uint32_t i = 0; i < PAGODA_PAGE_SIZE / 4; i++)
        words[i] = (uint32_t)(frame >> 12) ^ (i * 0x9E3779B9u);
    window_unmap(WINDOW_SLOT_CLIENT);
    words = frame_words(frame);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < PAGODA_PAGE_SIZE / 4; i++)
        bad += words[i] != ((uint32_t)(frame >> 12) ^ (i * 0x9E3779B9u));
    ktest_diag("frame 0x%llx through window VA 0x%08x: %u of 1024 words wrong",
               (unsigned long long)frame, (unsigned)(uintptr_t)words, bad);
    return bad ? ktest_fail("read back differs") : KTEST_PASS;
}

enum ktest_result vmtest_frame_above_4g(struct ktest_context *ctx)
{
    char size_text[24];
    struct mem_setup *mem = takeover_memory_state();
    if (!booted_pae() && mem->withheld_bytes == 0)
        return ktest_skip(ctx, "two-level paging cannot reach frames above 4 GiB (none here)");
    if (!booted_pae()) {
        units_format_size(mem->withheld_bytes, size_text, sizeof(size_text));
        return ktest_skip(ctx, "two-level paging cannot reach frames above 4 GiB (%s withheld)",
                          size_text);
    }
    if (mem->frames.zone[FRAMES_ZONE_HIGH].free == 0)
        return ktest_skip(ctx, "no free RAM above 4 GiB on this machine (try -m 6G)");
    uint64_t frame = frames_alloc(&mem->frames, FRAMES_ANYWHERE);
    if (frame == FRAMES_NONE || frame < (1ull << 32)) {
        if (frame != FRAMES_NONE)
            frames_free(&mem->frames, frame);
        return ktest_fail("FRAMES_ANYWHERE gave 0x%llx, not a frame above 4 GiB",
                          (unsigned long long)frame);
    }
    enum ktest_result r = window_round_trip(frame);
    frames_free(&mem->frames, frame);
    return r;
}

enum ktest_result vmtest_high_memory(struct ktest_context *ctx)
{
    struct mem_setup *mem = takeover_memory_state();
    uint64_t frame = frames_alloc(&mem->frames, FRAMES_BELOW_4G); /* the highest low frame */
    if (frame == FRAMES_NONE)
        return ktest_fail("no free frame below 4 GiB");
    if (vm_in_direct_map(frame)) {
        frames_free(&mem->frames, frame);
        return ktest_skip(ctx, "all RAM below 4 GiB is in the direct map (ends 0x%llx)",
                          (unsigned long long)vm_phys_direct_end());
    }
    enum ktest_result r = window_round_trip(frame);
    frames_free(&mem->frames, frame);
    return r;
}

enum ktest_result vmtest_churn_audit(struct ktest_context *ctx)
{
    (void)ctx;
    static uint64_t held[CHURN_PAGES];
    struct paging_counters before, during, after;
    struct mem_setup *mem = takeover_memory_state();
    char msg[160];
    uint64_t free_before = frames_free_count(&mem->frames);
    uint32_t remaps_before = window_remaps();
    counters(&before);
    for (uint32_t i = 0; i < CHURN_PAGES; i++) {
        held[i] = take_frame();
        uint32_t va = VM_TEST_VA + i * CHURN_STRIDE;
        int rc = held[i] == FRAMES_NONE
                     ? PAGING_ERR_NO_MEMORY
                     : vm_space_map(space(), va, held[i], PAGODA_PAGE_SIZE,
                                    PAGING_PROT_READ | PAGING_PROT_WRITE, PAGODA_PAGE_SIZE, 0);
        if (rc != PAGING_OK)
            return ktest_fail("page %u: %s", i, paging_error_name(rc));
        *(volatile uint32_t *)(uintptr_t)va = i;
    }
    counters(&during);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < CHURN_PAGES; i++) {
        wrong += frame_words(held[i])[0] != i;
        vm_space_unmap(space(), VM_TEST_VA + i * CHURN_STRIDE, PAGODA_PAGE_SIZE);
        frames_free(&mem->frames, held[i]);
    }
    counters(&after);
    ktest_diag("%u pages over %u MiB: tables %u -> %u -> %u (allocs +%u, frees +%u); "
               "INVLPG +%u; window remaps +%u",
               CHURN_PAGES, CHURN_PAGES * (CHURN_STRIDE >> 20),
               before.tables[0] + before.tables[1] + before.tables[2],
               during.tables[0] + during.tables[1] + during.tables[2],
               after.tables[0] + after.tables[1] + after.tables[2],
               after.table_allocs - before.table_allocs, after.table_frees - before.table_frees,
               after.invlpg - before.invlpg, window_remaps() - remaps_before);
    if (wrong)
        return ktest_fail("%u pages did not reach their frame", wrong);
    for (unsigned level = 0; level < PAGING_MAX_LEVELS; level++)
        if (after.tables[level] != before.tables[level])
            return ktest_fail("level %u: %u tables before, %u after", level, before.tables[level],
                              after.tables[level]);
    if (!frames_audit(&mem->frames, msg, sizeof(msg)))
        return ktest_fail("audit: %s", msg);
    if (frames_free_count(&mem->frames) != free_before)
        return ktest_fail("free frames %llu, %llu before",
                          (unsigned long long)frames_free_count(&mem->frames),
                          (unsigned long long)free_before);
    return KTEST_PASS;
}
