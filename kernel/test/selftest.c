#include "selftest.h"

#include "../arch/cpu.h"
#include "../arch/entry_state.h"
#include "exc_decode.h"
#include "../arch/lapic.h"
#include "../arch/pic.h"
#include "../arch/probe.h"
#include "../arch/tsc.h"
#include "../arch/x86_bits.h"
#include "../boot/bootinfo.h"
#include "../boot/bootlog.h"
#include "../boot/takeover.h"
#include "../mem/frames_stress.h"
#include "../boot/rawmap.h"
#include "../boot/phase.h"
#include "../boot/rsdp.h"
#include "../console/console.h"
#include "../console/fb.h"
#include "../kernel.h"
#include "../trap/trap.h"
#include "../arch/layout.h"
#include "ktest.h"
#include "vmtest.h"

/* Kernel calibration vs the loader's BS->Stall measurement: reported, and a warning past this. */
#define TSC_AGREEMENT_PERCENT 25u
#define TSC_MIN_PLAUSIBLE_HZ  10000000ull     /* 10 MHz */
#define TSC_MAX_PLAUSIBLE_HZ  100000000000ull /* 100 GHz */

/* Linker script: the image's physical extent, and the end of .bss (virtual). */
extern const char kernel_image_phys_start[], kernel_image_phys_end[], kernel_bss_end[];

static const struct tsc_calibration *calibration;

static enum ktest_result test_boot_info_valid(struct ktest_context *ctx)
{
    char why[160];
    if (!bootinfo_check(ctx->info, BOOTINFO_KERNEL_ADDRESS_LIMIT, why, sizeof(why)))
        return ktest_fail("%s", why);
    return KTEST_PASS;
}

static enum ktest_result test_memory_map_non_empty(struct ktest_context *ctx)
{
    struct rawmap view = rawmap_of(ctx->info);
    struct rawmap_totals totals;
    rawmap_totals(&view, &totals);
    ktest_diag("%u descriptors, %llu usable pages", (unsigned)view.count,
               (unsigned long long)totals.usable_pages);
    if (view.count == 0 || totals.usable_pages == 0)
        return ktest_fail("no descriptors or no Available memory");
    return KTEST_PASS;
}

static enum ktest_result test_no_overlapping_usable(struct ktest_context *ctx)
{
    struct rawmap view = rawmap_of(ctx->info);
    size_t a, b;
    if (rawmap_find_overlap(&view, RAWMAP_LOADER_USABLE_MASK, &a, &b)) {
        const struct pagoda_efi_memory_descriptor *x = rawmap_at(&view, a),
                                                  *y = rawmap_at(&view, b);
        return ktest_fail("entries %u (%s at 0x%llx) and %u (%s at 0x%llx) overlap", (unsigned)a,
                          pagoda_efi_memory_type_name(x->type),
                          (unsigned long long)x->physical_start, (unsigned)b,
                          pagoda_efi_memory_type_name(y->type),
                          (unsigned long long)y->physical_start);
    }
    return KTEST_PASS;
}

static enum ktest_result test_kernel_range_usable(struct ktest_context *ctx)
{
    struct rawmap view = rawmap_of(ctx->info);
    uint64_t base = (uintptr_t)kernel_image_phys_start;
    uint64_t size = (uintptr_t)kernel_image_phys_end - (uintptr_t)kernel_image_phys_start;
    uint64_t gap = 0;
    ktest_diag("kernel image 0x%llx-0x%llx", (unsigned long long)base,
               (unsigned long long)(base + size));
    if (!rawmap_covers(&view, base, size, RAWMAP_LOADER_USABLE_MASK, &gap))
        return ktest_fail("0x%llx is not in loader-usable memory (Available, loader or boot "
                          "services code/data)",
                          (unsigned long long)gap);
    return KTEST_PASS;
}

static const struct pagoda_range *find_range(const struct pagoda_boot_info *info, uint32_t kind)
{
    for (uint32_t i = 0; i < info->range_count; i++) {
        if (info->ranges[i].kind == kind)
            return &info->ranges[i];
    }
    return 0;
}

static enum ktest_result test_kernel_range_matches_image(struct ktest_context *ctx)
{
    const struct pagoda_range *r = find_range(ctx->info, PAGODA_RANGE_KERNEL);
    if (!r)
        return ktest_fail("the loader listed no kernel range");
    uint64_t start = (uintptr_t)kernel_image_phys_start, bss_end = KERNEL_PA(kernel_bss_end);
    ktest_diag("loader: 0x%llx-0x%llx, linker: 0x%llx-0x%llx (bss end)",
               (unsigned long long)r->base, (unsigned long long)(r->base + r->size),
               (unsigned long long)start, (unsigned long long)bss_end);
    if (r->base != start || r->base + r->size < bss_end)
        return ktest_fail("the loader's kernel range does not cover the linked image");
    return KTEST_PASS;
}

static enum ktest_result test_ranges_clear_of_kernel(struct ktest_context *ctx)
{
    uint64_t start = (uintptr_t)kernel_image_phys_start, end = (uintptr_t)kernel_image_phys_end;
    for (uint32_t i = 0; i < ctx->info->range_count; i++) {
        const struct pagoda_range *r = &ctx->info->ranges[i];
        if (r->kind == PAGODA_RANGE_KERNEL)
            continue;
        if (r->base < end && start < r->base + r->size)
            return ktest_fail("%s at 0x%llx-0x%llx overlaps the kernel image",
                              bootinfo_range_name(r->kind), (unsigned long long)r->base,
                              (unsigned long long)(r->base + r->size));
    }
    uint64_t info_phys = entry_state.boot_info; /* the loader's block, not the kernel's copy */
    if (info_phys < end && start < info_phys + sizeof(*ctx->info))
        return ktest_fail("the boot info block itself overlaps the kernel image");
    return KTEST_PASS;
}

static enum ktest_result test_entry_paging_off(struct ktest_context *ctx)
{
    (void)ctx;
    if (entry_state.cr0 & CR0_PG)
        return ktest_fail("CR0=0x%08x has PG set", entry_state.cr0);
    if (!(entry_state.cr0 & CR0_PE))
        return ktest_fail("CR0=0x%08x has PE clear", entry_state.cr0);
    return KTEST_PASS;
}

static enum ktest_result test_entry_caches_on(struct ktest_context *ctx)
{
    (void)ctx;
    if (entry_state.cr0 & (CR0_CD | CR0_NW))
        return ktest_fail("CR0=0x%08x: CD=%u NW=%u", entry_state.cr0, !!(entry_state.cr0 & CR0_CD),
                          !!(entry_state.cr0 & CR0_NW));
    return KTEST_PASS;
}

static enum ktest_result test_entry_cr4_zero(struct ktest_context *ctx)
{
    (void)ctx;
    if (entry_state.cr4 != 0)
        return ktest_fail("CR4=0x%08x (PAE=%u PSE=%u PGE=%u)", entry_state.cr4,
                          !!(entry_state.cr4 & CR4_PAE), !!(entry_state.cr4 & CR4_PSE),
                          !!(entry_state.cr4 & CR4_PGE));
    return KTEST_PASS;
}

static enum ktest_result test_entry_efer_zero(struct ktest_context *ctx)
{
    if (!entry_state.efer_present)
        return ktest_skip(ctx, "CPU has no IA32_EFER");
    if (entry_state.efer_lo != 0 || entry_state.efer_hi != 0)
        return ktest_fail("EFER=0x%08x (LME=%u LMA=%u NXE=%u SCE=%u)", entry_state.efer_lo,
                          !!(entry_state.efer_lo & EFER_LME), !!(entry_state.efer_lo & EFER_LMA),
                          !!(entry_state.efer_lo & EFER_NXE), !!(entry_state.efer_lo & EFER_SCE));
    return KTEST_PASS;
}

static enum ktest_result test_entry_interrupts_off(struct ktest_context *ctx)
{
    (void)ctx;
    if (entry_state.eflags & EFLAGS_IF)
        return ktest_fail("EFLAGS=0x%08x has IF set", entry_state.eflags);
    return KTEST_PASS;
}

static enum ktest_result test_framebuffer_pixel(struct ktest_context *ctx)
{
    const struct pagoda_framebuffer *fb = &ctx->info->framebuffer;
    if (fb->format == PAGODA_PIXEL_NONE)
        return ktest_skip(ctx, "no framebuffer from the loader");
    if (!fb_ready())
        return ktest_skip(ctx, "framebuffer at 0x%llx could not be mapped",
                          (unsigned long long)fb->base);
    uint32_t written = 0, read = 0;
    /* bottom-right corner: inside the margin, so the probe never hides text */
    if (!fb_probe_pixel(fb->width - 1, fb->height - 1, 0x00A5C3E1u, &written, &read))
        return ktest_fail("wrote 0x%08x, read back 0x%08x", written, read);
    return KTEST_PASS;
}

static enum ktest_result test_rsdp_checksum(struct ktest_context *ctx)
{
    if (ctx->info->rsdp == 0)
        return ktest_skip(ctx, "firmware reported no RSDP");
    struct rsdp_result r = bootlog_read_rsdp(ctx->info);
    if (!rsdp_valid(&r))
        return ktest_fail("signature %d checksum %d extended %d (revision %u)", r.signature_ok,
                          r.checksum_ok, r.extended_checksum_ok, r.revision);
    return KTEST_PASS;
}

static enum ktest_result test_tsc_monotonic(struct ktest_context *ctx)
{
    unsigned bad = 0, stamped = 0;
    for (unsigned p = 0; p < PAGODA_PHASE_COUNT; p++)
        stamped += ctx->info->tsc[p] != 0;
    if (!phase_stamps_monotonic(ctx->info->tsc, &bad))
        return ktest_fail("stamp %s (0x%llx) is earlier than the one before", phase_name(bad),
                          (unsigned long long)ctx->info->tsc[bad]);
    if (stamped != PAGODA_PHASE_COUNT)
        return ktest_fail("only %u of %u phases stamped", stamped, PAGODA_PHASE_COUNT);
    return KTEST_PASS;
}

static enum ktest_result test_tsc_calibration(struct ktest_context *ctx)
{
    uint64_t mine = calibration->hz, loader = ctx->info->loader_tsc_hz;
    if (calibration->method == TSC_METHOD_CPUID)
        ktest_diag("kernel %llu kHz (CPUID 0x15, %s), loader %llu kHz",
                   (unsigned long long)(mine / 1000),
                   tsc_crystal_source_name(calibration->cpuid.source),
                   (unsigned long long)(loader / 1000));
    else
        ktest_diag("kernel %llu kHz (PIT: fastest of %u clean samples in %u attempts, spread %llu "
                   "cycles), loader %llu kHz",
                   (unsigned long long)(mine / 1000), calibration->samples, calibration->attempts,
                   (unsigned long long)calibration->spread_cycles,
                   (unsigned long long)(loader / 1000));
    if (mine && loader) {
        uint64_t diff = mine > loader ? mine - loader : loader - mine;
        /* Not a failure: the loader's Stall-based number is the one more easily disturbed. */
        if (diff * 100 > loader * TSC_AGREEMENT_PERCENT)
            ktest_diag("warning: kernel and loader rates differ by more than %u%%",
                       TSC_AGREEMENT_PERCENT);
    }
    if (calibration->status == TSC_CAL_NOISY)
        return ktest_skip(ctx, "host too busy: %s", calibration->failure);
    if (!calibration->ok)
        return ktest_fail("kernel calibration failed: %s", calibration->failure);
    if (mine < TSC_MIN_PLAUSIBLE_HZ || mine > TSC_MAX_PLAUSIBLE_HZ)
        return ktest_fail("%llu Hz is not a plausible TSC rate", (unsigned long long)mine);
    return KTEST_PASS;
}

static enum ktest_result test_int3_resumes(struct ktest_context *ctx)
{
    (void)ctx;
    struct fault_record record;
    fault_expect(EXC_BP, 0);
    probe_int3();
    if (!fault_take(&record))
        return ktest_fail("int3 returned without reaching the exception handler");
    if (record.vector != EXC_BP)
        return ktest_fail("handler saw vector %u", record.vector);
    return KTEST_PASS;
}

static enum ktest_result test_ud2_expected(struct ktest_context *ctx)
{
    (void)ctx;
    struct fault_record record;
    fault_expect(EXC_UD, (uintptr_t)probe_ud2_resume);
    probe_ud2();
    if (!fault_take(&record))
        return ktest_fail("ud2 did not fault");
    if (record.eip != (uintptr_t)probe_ud2)
        return ktest_fail("#UD reported at 0x%08x, ud2 is at 0x%08x", record.eip,
                          (unsigned)(uintptr_t)probe_ud2);
    return KTEST_PASS;
}

static enum ktest_result test_probe_without_fault(struct ktest_context *ctx)
{
    (void)ctx;
    static volatile uint32_t target = 0x5A5AA5A5u;
    fault_expect(EXC_GP, (uintptr_t)probe_read32_resume);
    uint32_t value = probe_read32((uint32_t)(uintptr_t)&target);
    if (fault_take(0))
        return ktest_fail("a plain read was recorded as a fault");
    if (value != 0x5A5AA5A5u)
        return ktest_fail("probe_read32 returned 0x%08x", value);
    fault_expect(EXC_GP, (uintptr_t)probe_write32_resume);
    probe_write32((uint32_t)(uintptr_t)&target, 0x12345678u);
    if (fault_take(0) || target != 0x12345678u)
        return ktest_fail("probe_write32 did not store, or was recorded as a fault");
    return KTEST_PASS;
}

#define STRESS_OPS    4000u
#define STRESS_BLOCKS 256u
#define STRESS_SEED   0x9A60DA5EEDull

static enum ktest_result test_memory_layer_started(struct ktest_context *ctx)
{
    (void)ctx;
    struct mem_setup *mem = takeover_memory_state();
    if (takeover_report()->status != MEM_SETUP_OK)
        return ktest_fail("mem_setup: %s (memmap: %s)",
                          mem_setup_status_text(takeover_report()->status),
                          memmap_status_text(mem->memmap_status));
    ktest_diag("%u normalized ranges, %llu frames, %llu free", mem->map.count,
               (unsigned long long)frames_total(&mem->frames),
               (unsigned long long)frames_free_count(&mem->frames));
    if (frames_free_count(&mem->frames) == 0)
        return ktest_fail("no free frames");
    return KTEST_PASS;
}

static enum ktest_result test_frames_stress(struct ktest_context *ctx)
{
    static struct frames_stress_block blocks[STRESS_BLOCKS];
    struct mem_setup *mem = takeover_memory_state();
    struct frames_stress_report report = {0};
    char msg[160];
    if (takeover_report()->status != MEM_SETUP_OK)
        return ktest_skip(ctx, "memory layer did not start");
    uint64_t free_before = frames_free_count(&mem->frames);
    if (!frames_stress(&mem->frames, &mem->map, STRESS_SEED, STRESS_OPS, blocks, STRESS_BLOCKS,
                       &report, msg, sizeof(msg)))
        return ktest_fail("%s", msg);
    ktest_diag("%u allocs, %u runs, %u frees, peak %u frames held", report.allocs, report.runs,
               report.frees, report.max_held);
    if (!frames_audit(&mem->frames, msg, sizeof(msg)))
        return ktest_fail("audit: %s", msg);
    if (frames_free_count(&mem->frames) != free_before)
        return ktest_fail("free count %llu after the run, %llu before",
                          (unsigned long long)frames_free_count(&mem->frames),
                          (unsigned long long)free_before);
    return KTEST_PASS;
}

static enum ktest_result test_pic_masked(struct ktest_context *ctx)
{
    (void)ctx;
    uint16_t masks = pic_read_masks();
    if (masks != 0xFFFFu)
        return ktest_fail("IMR master 0x%02x slave 0x%02x, want 0xff 0xff", masks & 0xFFu,
                          masks >> 8);
    if (trap_irq_count() != 0)
        return ktest_fail("%u IRQs arrived anyway", trap_irq_count());
    return KTEST_PASS;
}

static enum ktest_result test_lapic_timer_masked(struct ktest_context *ctx)
{
    if (!lapic.present)
        return ktest_skip(ctx, "no local APIC");
    if (!lapic.enabled)
        return ktest_skip(ctx, "local APIC globally disabled");
    if (!lapic.reachable)
        return ktest_skip(ctx, "local APIC not mappable: %s", lapic.unreachable_why);
    uint32_t lvt = 0, current = 0;
    if (!lapic_timer_is_quiet(&lvt, &current))
        return ktest_fail("LVT timer 0x%08x, current count %u", lvt, current);
    return KTEST_PASS;
}

static const struct ktest selftests[] = {
    {"boot info is valid", test_boot_info_valid},
    {"memory map is non-empty", test_memory_map_non_empty},
    {"no two usable descriptors overlap", test_no_overlapping_usable},
    {"kernel image lies in loader-usable memory", test_kernel_range_usable},
    {"loader's kernel range matches the linked image", test_kernel_range_matches_image},
    {"loader's other ranges stay clear of the kernel", test_ranges_clear_of_kernel},
    {"entry: paging off (CR0.PG=0, PE=1)", test_entry_paging_off},
    {"entry: caches on (CR0.CD=0, NW=0)", test_entry_caches_on},
    {"entry: CR4=0", test_entry_cr4_zero},
    {"entry: EFER=0", test_entry_efer_zero},
    {"entry: interrupts off (IF=0)", test_entry_interrupts_off},
    {"framebuffer pixel reads back", test_framebuffer_pixel},
    {"RSDP checksum", test_rsdp_checksum},
    {"TSC stamps monotonic across phases", test_tsc_monotonic},
    {"TSC rate from CPUID 0x15 or PIT channel 2", test_tsc_calibration},
    {"int3 is caught and execution resumes", test_int3_resumes},
    {"ud2 is caught through the expect-fault hook", test_ud2_expected},
    {"fault probes read and write when nothing faults", test_probe_without_fault},
    {"memory layer: normalized map and frame allocator built", test_memory_layer_started},
    {"frame allocator stress on the real map, then audit", test_frames_stress},
    {"8259 PIC fully masked", test_pic_masked},
    {"LAPIC timer masked and stopped", test_lapic_timer_masked},
    VMTEST_LIST};

void selftest_run(const struct pagoda_boot_info *info, const struct tsc_calibration *tsc)
{
    calibration = tsc;
    struct ktest_context ctx = {.info = info};
    kheading("Self-tests (TAP)");
    unsigned failed = ktest_run(selftests, sizeof(selftests) / sizeof(selftests[0]), &ctx);
    kprintf("# %u of %u self-tests failed\n", failed,
            (unsigned)(sizeof(selftests) / sizeof(selftests[0])));
    kernel_stop(failed != 0);
}
