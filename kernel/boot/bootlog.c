#include "bootlog.h"
#include "pagoda/page.h"

#include "../arch/cpu.h"
#include "../arch/entry_state.h"
#include "../arch/lapic.h"
#include "../console/console.h"
#include "../console/fb.h"
#include "bootinfo.h"
#include "fmt.h"
#include "loader_log.h"
#include "rawmap.h"
#include "phase.h"
#include "phys.h"
#include "rsdp.h"
#include "units.h"

#define SIZE_TEXT 24

static const char *yes_no(bool value)
{
    return value ? "yes" : "no";
}

static char loader_log_text[LOADER_LOG_BYTES];
static struct loader_log_view loader_log;

void bootlog_keep_loader_log(const struct pagoda_boot_info *info)
{
    loader_log = loader_log_read(info, loader_log_text, sizeof(loader_log_text));
}

void bootlog_loader_log(void)
{
    if (!loader_log.text) {
        kprintf("pagoda kernel: no loader log: %s\n", loader_log.why ? loader_log.why : "not read");
        return;
    }
    console_write(loader_log.text, loader_log.size);
    if (loader_log.size > 0 && loader_log.text[loader_log.size - 1] != '\n')
        kprintf("\n");
    if (loader_log.dropped)
        kprintf("loader: (%u more bytes of log did not fit in its %u-byte block)\n",
                loader_log.dropped,
                (unsigned)(LOADER_LOG_BYTES - sizeof(struct pagoda_loader_log)));
}

void bootlog_cleared_features(uint32_t mask)
{
    if (mask)
        kprintf("pagoda: clearcpuid=: treating%s%s%s%s as absent\n",
                (mask & CPU_FEATURE_PAE) ? " PAE" : "", (mask & CPU_FEATURE_NX) ? " NX" : "",
                (mask & CPU_FEATURE_PGE) ? " PGE" : "", (mask & CPU_FEATURE_PAT) ? " PAT" : "");
}

void bootlog_firmware(const struct bootlog_context *ctx)
{
    const struct pagoda_boot_info *info = ctx->info;
    uint32_t uefi = info->uefi_revision;
    kheading("Firmware");
    kprintf("  %s, vendor \"%s\", firmware revision 0x%08x, UEFI %u.%u",
            bootinfo_firmware_name(info->firmware_kind), info->firmware_vendor,
            info->firmware_revision, uefi >> 16, (uefi & 0xFFFFu) / 10);
    if ((uefi & 0xFFFFu) % 10)
        kprintf(".%u", (uefi & 0xFFFFu) % 10);
    kprintf("\n  boot info v%u, %u bytes, kernel entry 0x%llx\n", info->version, info->size,
            (unsigned long long)info->kernel_entry);
}

static void print_lapic(void)
{
    if (!lapic.present)
        kprintf("  local APIC: none\n");
    else if (!lapic.enabled)
        kprintf("  local APIC: globally disabled (IA32_APIC_BASE.EN=0)\n");
    else if (!lapic.reachable)
        kprintf("  local APIC at 0x%llx: cannot be mapped (%s), left alone\n",
                (unsigned long long)lapic.base, lapic.unreachable_why);
    else
        kprintf("  local APIC %s at 0x%llx (mapped uncached at 0x%08x), timer was LVT=0x%08x "
                "initial=%u current=%u:\n"
                "    masked and stopped\n",
                lapic.x2apic ? "(x2APIC mode)" : "(xAPIC)", (unsigned long long)lapic.base,
                (unsigned)(uintptr_t)lapic.regs, lapic.timer_lvt_before, lapic.timer_initial_before,
                lapic.timer_current_before);
}

void bootlog_cpu(void)
{
    kheading("CPU");
    kprintf("  %s family %u model %u stepping %u%s\n", cpu.vendor, cpu.family, cpu.model,
            cpu.stepping, cpu.hypervisor ? " (under a hypervisor)" : "");
    if (cpu.brand[0])
        kprintf("  %s\n", cpu.brand);
    kprintf("  paging: PAE %s  PSE %s  PSE-36 %s  PGE %s  PAT %s  NX %s  LM %s  1G %s\n",
            yes_no(cpu.pae), yes_no(cpu.pse), yes_no(cpu.pse36), yes_no(cpu.pge), yes_no(cpu.pat),
            yes_no(cpu.nx), yes_no(cpu.long_mode), yes_no(cpu.pdpe1gb));
    kprintf("  TSC %s (invariant %s)  MSR %s  MTRR %s  APIC %s  x2APIC %s\n", yes_no(cpu.tsc),
            yes_no(cpu.invariant_tsc), yes_no(cpu.msr), yes_no(cpu.mtrr), yes_no(cpu.apic),
            yes_no(cpu.x2apic));
    kprintf("  address bits: physical %u, linear %u (%s)\n", cpu.physical_address_bits,
            cpu.linear_address_bits,
            cpu.address_bits_from_cpuid ? "CPUID 0x80000008" : "default: no leaf 0x80000008");
    kprintf("  at entry: CR0=0x%08x CR4=0x%08x EFER=", entry_state.cr0, entry_state.cr4);
    if (entry_state.efer_present)
        kprintf("0x%08x", entry_state.efer_lo);
    else
        kprintf("(none)");
    kprintf(" EFLAGS=0x%08x\n", entry_state.eflags);
    print_lapic();
}

static void attribute_text(uint64_t attribute, char *buf, size_t size)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        {PAGODA_EFI_MEMORY_UC, "UC"},      {PAGODA_EFI_MEMORY_WC, "WC"},
        {PAGODA_EFI_MEMORY_WT, "WT"},      {PAGODA_EFI_MEMORY_WB, "WB"},
        {PAGODA_EFI_MEMORY_RUNTIME, "RT"},
    };
    size_t used = 0;
    uint64_t unnamed = attribute;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used < size; i++) {
        unnamed &= ~names[i].bit;
        if (attribute & names[i].bit)
            used += (size_t)pg_snprintf(buf + used, size - used, "%s%s", used ? " " : "",
                                        names[i].name);
    }
    /* The rest in hex (XP, RO, SP...): two rows that look alike must not differ unseen. */
    if (unnamed && used < size)
        pg_snprintf(buf + used, size - used, "%s0x%llx", used ? " " : "",
                    (unsigned long long)unnamed);
}

static void print_memory_runs(const struct rawmap *view, enum rawmap_join join)
{
    char size_text[SIZE_TEXT], attr_text[48], type_text[RAWMAP_TYPE_NAME_SIZE];
    console_set_color(CONSOLE_DIM);
    kprintf("  %-15s %-18s %-18s %9s %10s  %s\n", "type", "start", "end (exclusive)", "pages",
            "size", "attributes (merged runs)");
    console_set_color(CONSOLE_NORMAL);
    struct rawmap_run run;
    for (size_t i = 0; i < view->count;) {
        i = rawmap_next_run(view, i, join, &run);
        attribute_text(run.attribute, attr_text, sizeof(attr_text));
        units_format_size(run.pages * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
        kprintf("  %-15s 0x%016llx 0x%016llx %9llu %10s  %s", rawmap_run_type_name(&run, type_text),
                (unsigned long long)run.start,
                (unsigned long long)(run.start + run.pages * PAGODA_PAGE_SIZE),
                (unsigned long long)run.pages, size_text, attr_text);
        if (run.entries > 1)
            kprintf(" (%u entries)", run.entries);
        kprintf("\n");
    }
}

static void print_memory_totals(const struct rawmap *view)
{
    struct rawmap_totals totals;
    char size_text[SIZE_TEXT];
    rawmap_totals(view, &totals);
    kprintf("  totals per type:\n");
    for (uint32_t t = 0; t < RAWMAP_TYPE_SLOTS; t++) {
        if (totals.entries[t] == 0)
            continue;
        units_format_size(totals.pages[t] * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
        kprintf("    %-10s %4u entries %9llu pages %12s\n",
                t < PAGODA_EFI_MEMORY_TYPE_COUNT ? pagoda_efi_memory_type_name(t) : "other",
                totals.entries[t], (unsigned long long)totals.pages[t], size_text);
    }
    console_set_color(CONSOLE_GOOD);
    units_format_size(totals.usable_pages * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
    kprintf("  usable now (Available): %s", size_text);
    units_format_size((totals.usable_pages + totals.reclaimable_pages) * PAGODA_PAGE_SIZE,
                      size_text, sizeof(size_text));
    kprintf("; with boot-services and loader memory reclaimed: %s\n", size_text);
    console_set_color(CONSOLE_NORMAL);
    units_format_size(totals.total_pages * PAGODA_PAGE_SIZE, size_text, sizeof(size_text));
    kprintf("  described: %s, highest address 0x%llx\n", size_text,
            (unsigned long long)totals.highest_end);
}

/* Every byte of the boot log costs a port write (about 87 us at 115200 baud on a real UART): the
 * map's table is grouped by use unless memmap=full asks for every run of one type. */
void bootlog_memory_map(const struct bootlog_context *ctx)
{
    struct rawmap view = rawmap_of(ctx->info);
    bool full = ctx->options->memmap_full;
    kheading("Memory map");
    size_t by_type = rawmap_run_count(&view, RAWMAP_JOIN_TYPE);
    kprintf("  %u raw descriptors of %u bytes (descriptor version %u), %u runs of one type\n",
            (unsigned)view.count, view.stride, ctx->info->descriptor_version, (unsigned)by_type);
    if (!full)
        kprintf("  below: %u runs, boot-services and loader code joined with their data "
                "(memmap=full: all %u)\n",
                (unsigned)rawmap_run_count(&view, RAWMAP_JOIN_USE), (unsigned)by_type);
    print_memory_runs(&view, full ? RAWMAP_JOIN_TYPE : RAWMAP_JOIN_USE);
    print_memory_totals(&view);
}

void bootlog_framebuffer(const struct bootlog_context *ctx)
{
    const struct pagoda_framebuffer *fb = &ctx->info->framebuffer;
    kheading("Framebuffer");
    if (fb->format == PAGODA_PIXEL_NONE) {
        kprintf("  none (no GOP, or a BltOnly mode)\n");
        return;
    }
    kprintf("  %ux%u, %u bits per pixel, pitch %u bytes, %s", fb->width, fb->height,
            fb->bits_per_pixel, fb->pitch, bootinfo_pixel_format_name(fb->format));
    if (fb->format == PAGODA_PIXEL_BITMASK)
        kprintf(" (R 0x%08x G 0x%08x B 0x%08x X 0x%08x)", fb->red_mask, fb->green_mask,
                fb->blue_mask, fb->reserved_mask);
    kprintf("\n  at 0x%llx, %llu bytes\n", (unsigned long long)fb->base,
            (unsigned long long)fb->size);
    if (fb_ready()) {
        unsigned cols, rows, fw, fh;
        fb_text_geometry(&cols, &rows, &fw, &fh);
        kprintf("  console: %ux%u characters, Terminus %ux%u font\n", cols, rows, fw, fh);
    } else {
        kprintf("  console: not in use (see above), serial only\n");
    }
}

struct rsdp_result bootlog_read_rsdp(const struct pagoda_boot_info *info)
{
    struct rsdp_result none = {0};
    if (info->rsdp == 0)
        return none;
    const uint8_t *bytes = phys_to_ptr(info->rsdp);
    size_t available = RSDP_V2_LENGTH;
    if (bytes[RSDP_OFFSET_REVISION] >= 2) {
        uint32_t length = bytes[RSDP_OFFSET_LENGTH] | (uint32_t)bytes[RSDP_OFFSET_LENGTH + 1] << 8;
        if (length > available && length <= 4096)
            available = length;
    }
    return rsdp_check(bytes, available);
}

void bootlog_rsdp(const struct bootlog_context *ctx)
{
    kheading("ACPI");
    if (ctx->info->rsdp == 0) {
        kprintf("  no RSDP from the firmware\n");
        return;
    }
    struct rsdp_result r = bootlog_read_rsdp(ctx->info);
    console_set_color(rsdp_valid(&r) ? CONSOLE_NORMAL : CONSOLE_BAD);
    kprintf("  RSDP at 0x%llx (loader says revision %u), OEM \"%s\", revision %u\n",
            (unsigned long long)ctx->info->rsdp, ctx->info->rsdp_revision, r.oem_id, r.revision);
    kprintf("  signature %s, checksum %s", r.signature_ok ? "ok" : "BAD",
            r.checksum_ok ? "ok" : "BAD");
    if (r.revision >= 2)
        kprintf(", extended checksum over %u bytes %s", r.length,
                r.extended_checksum_ok ? "ok" : "BAD");
    kprintf("\n");
    console_set_color(CONSOLE_NORMAL);
}

void bootlog_cmdline(const struct bootlog_context *ctx)
{
    const char *text = ctx->info->cmdline ? phys_to_ptr(ctx->info->cmdline) : "";
    kheading("Command line");
    kprintf("  \"%s\" -> mode=%s paging=%s", text, cmdline_mode_name(ctx->options->mode),
            cmdline_paging_name(ctx->options->paging));
    if (ctx->options->crash != KERNEL_CRASH_NONE)
        kprintf(" crash=%s", cmdline_crash_name(ctx->options->crash));
    if (ctx->options->memmap_full)
        kprintf(" memmap=full");
    kprintf("\n");
    for (unsigned i = 0; i < ctx->options->problem_count && i < CMDLINE_MAX_PROBLEMS; i++) {
        console_set_color(CONSOLE_WARN);
        kprintf("  warning: %s\n", ctx->options->problems[i]);
        console_set_color(CONSOLE_NORMAL);
    }
    if (ctx->options->problem_count > CMDLINE_MAX_PROBLEMS)
        kprintf("  (%u more problems not shown)\n",
                ctx->options->problem_count - CMDLINE_MAX_PROBLEMS);
}

void bootlog_ranges(const struct bootlog_context *ctx)
{
    char size_text[SIZE_TEXT];
    kheading("Ranges the loader left in use");
    if (ctx->info->range_count == 0)
        kprintf("  none listed\n");
    for (uint32_t i = 0; i < ctx->info->range_count; i++) {
        const struct pagoda_range *r = &ctx->info->ranges[i];
        units_format_size(r->size, size_text, sizeof(size_text));
        kprintf("  %-15s 0x%016llx-0x%016llx %10s\n", bootinfo_range_name(r->kind),
                (unsigned long long)r->base, (unsigned long long)(r->base + r->size), size_text);
    }
}

/* "1234.5" from tenths */
static void print_tenths(uint64_t tenths)
{
    kprintf("%llu.%u", (unsigned long long)(tenths / 10), (unsigned)(tenths % 10));
}

void bootlog_tsc(const struct bootlog_context *ctx)
{
    kheading("TSC");
    const struct tsc_calibration *t = ctx->tsc;
    if (t->method == TSC_METHOD_CPUID) {
        kprintf("  kernel (CPUID 0x15: crystal %llu kHz x %u/%u, %s): %llu kHz\n",
                (unsigned long long)(t->cpuid.crystal_hz / 1000), t->cpuid.numerator,
                t->cpuid.denominator, tsc_crystal_source_name(t->cpuid.source),
                (unsigned long long)(t->hz / 1000));
    } else if (t->status == TSC_CAL_OK || t->status == TSC_CAL_NOISY) {
        kprintf("  kernel (PIT channel 2, fastest of %u x %u ms, %u attempts; %s): %llu kHz\n",
                t->samples, TSC_CALIBRATION_MS, t->attempts, t->cpuid.why,
                (unsigned long long)(t->hz / 1000));
        kprintf("  %llu cycles +- %llu, samples spread over %llu cycles\n",
                (unsigned long long)t->cycles, (unsigned long long)t->uncertainty,
                (unsigned long long)t->spread_cycles);
    }
    if (!t->ok) {
        console_set_color(CONSOLE_WARN);
        kprintf("  kernel calibration not trusted: %s\n", t->failure);
        console_set_color(CONSOLE_NORMAL);
    }
    if (ctx->info->loader_tsc_hz)
        kprintf("  loader (%s): %llu kHz\n",
                t->method == TSC_METHOD_CPUID ? "the same CPUID leaf" : "BS->Stall",
                (unsigned long long)(ctx->info->loader_tsc_hz / 1000));
    else
        kprintf("  loader: no measurement\n");
    if (t->hz && ctx->info->loader_tsc_hz) {
        uint64_t a = t->hz, b = ctx->info->loader_tsc_hz;
        uint64_t diff = a > b ? a - b : b - a;
        kprintf("  difference: %llu.%llu %% of the loader's value\n",
                (unsigned long long)(diff * 100 / b), (unsigned long long)(diff * 1000 / b % 10));
    }
    kprintf("  phase times below use the %s rate\n", t->ok ? "kernel's"
                                                     : ctx->info->loader_tsc_hz
                                                         ? "loader's"
                                                         : "kernel's (untrusted)");
}

void bootlog_phases(const struct bootlog_context *ctx)
{
    const uint64_t *tsc = ctx->info->tsc;
    kheading("Boot phases (ms)");
    if (ctx->tsc_hz == 0) {
        kprintf("  no TSC rate known: cannot convert\n");
        return;
    }
    kprintf("  %-20s %12s %12s\n", "phase", "since entry", "step");
    uint64_t previous = tsc[PAGODA_PHASE_LOADER_ENTRY];
    for (unsigned p = 0; p < PAGODA_PHASE_COUNT; p++) {
        kprintf("  %-20s ", phase_name(p));
        if (tsc[p] == 0 || tsc[p] < previous) {
            kprintf("%12s\n", tsc[p] ? "out of order" : "not stamped");
            continue;
        }
        uint64_t since = phase_tenths_of_ms(tsc[p] - tsc[PAGODA_PHASE_LOADER_ENTRY], ctx->tsc_hz);
        uint64_t step = phase_tenths_of_ms(tsc[p] - previous, ctx->tsc_hz);
        kprintf("%10llu.%u %10llu.%u\n", (unsigned long long)(since / 10), (unsigned)(since % 10),
                (unsigned long long)(step / 10), (unsigned)(step % 10));
        previous = tsc[p];
    }
}

void bootlog_phase_tap_lines(const struct bootlog_context *ctx)
{
    const uint64_t *tsc = ctx->info->tsc;
    if (ctx->tsc_hz == 0)
        return;
    unsigned previous = PAGODA_PHASE_LOADER_ENTRY;
    for (unsigned p = 1; p < PAGODA_PHASE_COUNT; p++) {
        if (tsc[p] == 0 || tsc[previous] == 0 || tsc[p] < tsc[previous])
            continue;
        kprintf("# phase %s->%s ms=", phase_name(previous), phase_name(p));
        print_tenths(phase_tenths_of_ms(tsc[p] - tsc[previous], ctx->tsc_hz));
        kprintf("\n");
        previous = p;
    }
    unsigned first = PAGODA_PHASE_LOADER_ENTRY, last = PAGODA_PHASE_KERNEL_READY;
    if (tsc[first] && tsc[last] >= tsc[first]) {
        kprintf("# phase %s->%s ms=", phase_name(first), phase_name(last));
        print_tenths(phase_tenths_of_ms(tsc[last] - tsc[first], ctx->tsc_hz));
        kprintf("\n");
    }
}
