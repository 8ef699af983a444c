#include "summary.h"

#include "../arch/cpu.h"
#include "../arch/layout.h"
#include "../arch/x86.h"
#include "../console/console.h"
#include "../mem/memmap.h"
#include "../vm/format.h"
#include "../vm/kernel_half.h"
#include "bootinfo.h"
#include "fmt.h"
#include "pagoda/page.h"
#include "phase.h"
#include "takeover.h"
#include "units.h"

#define SUMMARY_KINDS_PER_LINE  3u
#define SUMMARY_PHASES_PER_LINE 2u
#define FOUR_GIB                (1ull << 32)

static const char *yes_no(bool value)
{
    return value ? "yes" : "no";
}

static void line(const char *fmt, const char *value)
{
    console_screen_printf(CONSOLE_NORMAL, fmt, value);
}

static void heading(const char *title)
{
    console_screen_printf(CONSOLE_HEADING, "\n%s\n", title);
}

static void show_machine(const struct bootlog_context *ctx)
{
    const struct pagoda_boot_info *info = ctx->info;
    uint32_t uefi = info->uefi_revision;
    console_screen_printf(CONSOLE_NORMAL, "  Firmware  %s, \"%s\", UEFI %u.%u\n",
                          bootinfo_firmware_name(info->firmware_kind), info->firmware_vendor,
                          uefi >> 16, (uefi & 0xFFFFu) / 10);
    console_screen_printf(CONSOLE_NORMAL, "  CPU       %s %s\n", cpu.vendor,
                          cpu.brand[0] ? cpu.brand : "");
    console_screen_printf(CONSOLE_NORMAL,
                          "  Features  PAE %s  PSE %s  PSE-36 %s  PGE %s  PAT %s  NX %s  "
                          "physical address bits %u\n",
                          yes_no(cpu.pae), yes_no(cpu.pse), yes_no(cpu.pse36), yes_no(cpu.pge),
                          yes_no(cpu.pat), yes_no(cpu.nx), cpu.physical_address_bits);
    const struct pagoda_framebuffer *fb = &info->framebuffer;
    console_screen_printf(CONSOLE_NORMAL, "  Screen    %ux%u, %u bits per pixel, at phys 0x%llx\n",
                          fb->width, fb->height, fb->bits_per_pixel, (unsigned long long)fb->base);
}

static void show_memory(void)
{
    const struct mem_setup *mem = takeover_memory_state();
    uint64_t totals[MEMMAP_KIND_COUNT];
    char size_text[24];
    memmap_totals(&mem->map, totals);
    heading("Memory (firmware map, normalized)");
    unsigned shown = 0;
    for (unsigned kind = 0; kind < MEMMAP_KIND_COUNT; kind++) {
        if (!totals[kind])
            continue;
        units_format_size(totals[kind], size_text, sizeof(size_text));
        console_screen_printf(CONSOLE_NORMAL, "  %-14s %10s", memmap_kind_name(kind), size_text);
        if (++shown % SUMMARY_KINDS_PER_LINE == 0)
            line("%s", "\n");
    }
    if (shown % SUMMARY_KINDS_PER_LINE)
        line("%s", "\n");
    if (mem->withheld_bytes) {
        units_format_size(mem->withheld_bytes, size_text, sizeof(size_text));
        console_screen_printf(CONSOLE_WARN,
                              "  %s of RAM at or above 4 GiB left unused: two-level paging cannot "
                              "map it for the allocator\n",
                              size_text);
    }
}

static void show_tables(const struct paging *pg, const char *label, const uint32_t *tables)
{
    uint32_t total = 0;
    console_screen_printf(CONSOLE_NORMAL, "  %-22s", label);
    for (unsigned level = 0; level < pg->mode->levels; level++) {
        console_screen_printf(CONSOLE_NORMAL, " %s %u", pg->mode->level_names[level],
                              tables[level]);
        total += tables[level];
    }
    console_screen_printf(CONSOLE_NORMAL, " = %u pages (%u KiB)\n", total,
                          total * (PAGODA_PAGE_SIZE / 1024u));
}

static void show_paging(void)
{
    const struct vm_format_choice *choice = vm_format_chosen();
    const struct paging *pg = vm_format_boot();
    const struct vm_kernel_half_report *half = vm_kernel_half_report();
    heading("Paging");
    struct paging_counters counters;
    pg->mode->counters(pg, &counters);
    console_screen_printf(CONSOLE_GOOD, "  %s", pg->mode->name);
    console_screen_printf(choice->fallback ? CONSOLE_WARN : CONSOLE_NORMAL, " (%s)\n", choice->why);
    console_screen_printf(CONSOLE_NORMAL,
                          "  NX %s, global pages %s, CR0.WP %s, write-combining %s\n",
                          pg->nx_enforced ? "enforced"
                          : choice->pae   ? "not on this CPU"
                                          : "not in this format",
                          pg->global_enabled ? "on" : "off", (read_cr0() & CR0_WP) ? "on" : "off",
                          pg->env.pat_available ? "via PAT" : "not available");
    char size_text[24];
    units_format_size(half->direct_map_end, size_text, sizeof(size_text));
    console_screen_printf(
        CONSOLE_NORMAL, "  direct map of the first %s at 0x%08x, %u KiB pages\n", size_text,
        KERNEL_VIRT_BASE,
        (unsigned)((pg->large_pages ? pg->mode->large_page_size : PAGODA_PAGE_SIZE) >> 10));
    show_tables(pg, "tables (kernel half):", half->built_tables);
    show_tables(pg, "tables (in use now):", counters.tables);
}

static void show_phases(const struct bootlog_context *ctx)
{
    const uint64_t *tsc = ctx->info->tsc;
    heading("Boot phases (ms since the loader started, + step)");
    if (!ctx->tsc_hz || !tsc[PAGODA_PHASE_LOADER_ENTRY]) {
        line("  %s\n", "no TSC rate or stamps: no times");
        return;
    }
    uint64_t previous = tsc[PAGODA_PHASE_LOADER_ENTRY];
    unsigned shown = 0;
    for (unsigned p = 1; p < PAGODA_PHASE_COUNT; p++) {
        if (!tsc[p] || tsc[p] < previous)
            continue;
        uint64_t since = phase_tenths_of_ms(tsc[p] - tsc[PAGODA_PHASE_LOADER_ENTRY], ctx->tsc_hz);
        uint64_t step = phase_tenths_of_ms(tsc[p] - previous, ctx->tsc_hz);
        char step_text[24];
        pg_snprintf(step_text, sizeof(step_text), "(+%llu.%u)", (unsigned long long)(step / 10),
                    (unsigned)(step % 10));
        console_screen_printf(CONSOLE_NORMAL, "  %-18s %7llu.%u %-10s", phase_name(p),
                              (unsigned long long)(since / 10), (unsigned)(since % 10), step_text);
        if (++shown % SUMMARY_PHASES_PER_LINE == 0)
            line("%s", "\n");
        previous = tsc[p];
    }
    if (shown % SUMMARY_PHASES_PER_LINE)
        line("%s", "\n");
}

void summary_show(const struct bootlog_context *ctx)
{
    if (!console_has_screen())
        return;
    kprintf("console: the screen now shows a one-page summary; this serial log is the full "
            "record\n");
    console_screen_clear();
    console_screen_printf(CONSOLE_HEADING, "Pagoda booted: i686 kernel, higher half, %s paging\n",
                          vm_format_boot()->mode->name);
    heading("Machine");
    show_machine(ctx);
    show_memory();
    show_paging();
    show_phases(ctx);
    console_screen_printf(CONSOLE_DIM, "\nThe serial port (COM1) has the full boot log.\n");
}
