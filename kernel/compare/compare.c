#include "compare.h"

#include "../arch/cpu.h"
#include "../arch/x86.h"
#include "../console/console.h"
#include "../kernel.h"
#include "../vm/format.h"
#include "../proc/program.h"
#include "compare_run.h"
#include "compare_frag.h"
#include "compare_proc.h"
#include "compare_record.h"
#include "compare_struct.h"
#include "compare_time.h"
#include "fmt.h"
#include "pg_string.h"

static char hypervisor[13];

#define COMPARE_HOLD_MS 1500u

/* ---- the machine ---- */

static const char *timing_label(void)
{
    if (!cpu.hypervisor)
        return "this machine";
    if (!strcmp(hypervisor, "TCGTCGTCGTCG"))
        return "emulator figure (QEMU TCG)";
    return "virtual machine figure";
}

static void read_hypervisor(void)
{
    if (!cpu.hypervisor)
        return;
    struct cpuid_regs r = cpuid(COMPARE_CPUID_LEAF_HYPERVISOR, 0);
    memcpy(hypervisor, &r.ebx, 4);
    memcpy(hypervisor + 4, &r.ecx, 4);
    memcpy(hypervisor + 8, &r.edx, 4);
    hypervisor[12] = 0;
}

static void machine_info(uint64_t tsc_hz, bool calibrated)
{
    read_hypervisor();
    compare_info("cpu_vendor", "%s", cpu.vendor);
    compare_info("cpu_brand", "%s", cpu.brand[0] ? cpu.brand : "-");
    compare_info("cpu_signature", "family %u model %u stepping %u", cpu.family, cpu.model,
                 cpu.stepping);
    compare_info("hypervisor", "%s", cpu.hypervisor ? hypervisor : "none");
    compare_info("timing_label", "%s", timing_label());
    compare_info("invariant_tsc", "%s", cpu.invariant_tsc ? "yes" : "no");
    compare_info("tsc_hz", "%llu", (unsigned long long)tsc_hz);
    compare_info("tsc_calibrated", "%s", calibrated ? "yes" : "no");
    compare_info("max_phys_bits", "%u", cpu.physical_address_bits);
    compare_info("booted_in", "%s", vm_format_chosen()->pae ? "pae" : "2level");
    compare_info("run", "%s", compare_short ? "short" : "full");
    compare_info("serialization", "%s",
                 (cpu.features_edx & COMPARE_CPUID_1_EDX_SSE2) ? "lfence;rdtsc;lfence"
                                                               : "cpuid;rdtsc");
    compare_info(
        "test_frames", "%u pages in %u runs of 4 MiB: 0x%llx 0x%llx 0x%llx 0x%llx",
        compare_frames.pages, compare_frames.runs, (unsigned long long)compare_frames.run[0],
        (unsigned long long)compare_frames.run[1], (unsigned long long)compare_frames.run[2],
        (unsigned long long)compare_frames.run[3]);
}

/* ---- the screen ---- */

static void kib(char *buf, size_t size, uint64_t bytes)
{
    if (bytes % 1024)
        pg_snprintf(buf, size, "%llu.%02u", (unsigned long long)(bytes / 1024),
                    (unsigned)(bytes % 1024 * 100 / 1024));
    else
        pg_snprintf(buf, size, "%llu", (unsigned long long)(bytes / 1024));
}

static void print_structural_table(void)
{
    unsigned structural_count, structural_mismatches;
    compare_structural_counts(&structural_count, &structural_mismatches);
    static const char *const layouts[4] = {"kernel space (as booted)", "1 GiB direct map",
                                           "sparse 4 GiB user layout", "all of 4 GiB"};
    const struct compare_summary *s = &compare_summary;
    kheading("Two-level vs PAE: structural (exact: the same on every PC)");
    kprintf("  page-table KiB              two-level 4K   4M pages |      PAE 4K   2M pages\n");
    for (unsigned l = 0; l < 4; l++) {
        char a[16], b[16], c[16], d[16];
        kib(a, sizeof(a), s->bytes[0][l][0]);
        kib(b, sizeof(b), s->bytes[0][l][1]);
        kib(c, sizeof(c), s->bytes[1][l][0]);
        kib(d, sizeof(d), s->bytes[1][l][1]);
        kprintf("  %-26s %12s %10s | %11s %10s\n", layouts[l], a, b, c, d);
    }
    kprintf("  levels walked per TLB miss  4K %u, large %u          | 4K %u, large %u "
            "(+ PDPTEs loaded at CR3 load)\n",
            s->walked[0][0], s->walked[0][1], s->walked[1][0], s->walked[1][1]);
    kprintf("  NX enforced                 %-22s | %s\n", s->nx[0] ? "yes" : "no (no NX bit)",
            s->nx[1] ? "yes" : "no");
    kprintf("  highest usable frame        0x%-20llx | 0x%llx\n", (unsigned long long)s->highest[0],
            (unsigned long long)s->highest[1]);
    char two[24], pae[24];
    pg_snprintf(two, sizeof(two), "%llu MiB", (unsigned long long)(s->usable[0] >> 20));
    pg_snprintf(pae, sizeof(pae), "%llu MiB", (unsigned long long)(s->usable[1] >> 20));
    kprintf("  usable RAM in reach         %-22s | %s\n", two, pae);
    if (structural_mismatches)
        console_set_color(CONSOLE_BAD);
    else
        console_set_color(CONSOLE_GOOD);
    kprintf("  %u structural values, %u differ from the arithmetic of the entry formats\n",
            structural_count, structural_mismatches);
    console_set_color(CONSOLE_NORMAL);
}

static void timing_row(const char *label, const uint32_t *two, const uint32_t *pae)
{
    char a[16], b[16], c[16], d[16];
    compare_hundredths(a, sizeof(a), two[0]);
    compare_hundredths(b, sizeof(b), two[1]);
    compare_hundredths(c, sizeof(c), pae[0]);
    compare_hundredths(d, sizeof(d), pae[1]);
    kprintf("  %-26s %12s %10s | %11s %10s\n", label, a, b, c, d);
}

static void print_timing_table(void)
{
    const struct compare_summary *s = &compare_summary;
    kheading("Two-level vs PAE: timing, median TSC cycles, %s", timing_label());
    kprintf("  pointer chase, per access   two-level 4K   4M pages |      PAE 4K   2M pages\n");
    for (unsigned i = 0; i < s->chase_sizes; i++) {
        char label[40];
        uint32_t two[2] = {s->chase[0][0][i], s->chase[0][1][i]};
        uint32_t pae[2] = {s->chase[1][0][i], s->chase[1][1][i]};
        pg_snprintf(label, sizeof(label), "%u pages (%u KiB)", s->chase_n[i], s->chase_n[i] * 4);
        timing_row(label, two, pae);
    }
    kprintf("                                 two-level             |         PAE\n");
    uint32_t two[2] = {s->map[0], s->unmap[0]}, pae[2] = {s->map[1], s->unmap[1]};
    timing_row("map / unmap one 4K page", two, pae);
    uint32_t two2[2] = {s->invlpg1[0], s->cr3[0]}, pae2[2] = {s->invlpg1[1], s->cr3[1]};
    timing_row("INVLPG 1 / CR3 (+256 refill)", two2, pae2);
    kprintf("  %-26s %12u %10s | %11u\n", "INVLPG break-even (pages)", s->breakeven[0], "",
            s->breakeven[1]);
    char a[16], b[16];
    compare_hundredths(a, sizeof(a), s->window[0]);
    compare_hundredths(b, sizeof(b), s->window[1]);
    kprintf("  %-26s %12s %10s | %11s\n", "window remap + read", a, "", b);
    kprintf("  (break-even 0: 256 INVLPGs still cheaper than one CR3 reload)\n");
}

/* Label, then the two modes' values right-aligned. */
static void mode_row(const char *label, const char *two, const char *pae)
{
    kprintf("  %-36s %20s | %20s\n", label, two, pae);
}

static void per_mode_row(const char *label, const uint32_t *values, bool hundredths)
{
    char a[24], b[24];
    if (hundredths) {
        compare_hundredths(a, sizeof(a), values[0]);
        compare_hundredths(b, sizeof(b), values[1]);
    } else {
        pg_snprintf(a, sizeof(a), "%u", values[0]);
        pg_snprintf(b, sizeof(b), "%u", values[1]);
    }
    mode_row(label, a, b);
}

static const char *stack_outcome(uint32_t outcome)
{
    static const char *const names[] = {"ran (no NX bit)", "stopped by NX (#PF)", "other (a bug)",
                                        "not run"};
    return names[outcome < 4 ? outcome : 3];
}

static void process_rows(const struct compare_summary *s)
{
    static const char *const layouts[COMPARE_SCREEN_LAYOUTS] = {
        "sh (the shell)", "usertests", "usertests, a 64 MiB heap", "sparse user layout"};
    char a[16], b[16];
    mode_row("own page tables, KiB", "two-level", "PAE");
    kib(a, sizeof(a), s->flat_bytes[0]);
    kib(b, sizeof(b), s->flat_bytes[1]);
    mode_row("flat single-level table", a, b);
    for (unsigned l = 0; l < COMPARE_SCREEN_LAYOUTS; l++) {
        kib(a, sizeof(a), s->proc_bytes[0][l]);
        kib(b, sizeof(b), s->proc_bytes[1][l]);
        mode_row(layouts[l], a, b);
    }
    per_mode_row("kernel-half root entries per spawn", s->kshare_copied, false);
    per_mode_row("copies of a new kernel PT, 64 procs", s->kshare_synced, false);
    mode_row("code on the stack (stackexec)", stack_outcome(s->nx_stack[0]),
             stack_outcome(s->nx_stack[1]));
    kprintf("  median TSC cycles, %s:\n", timing_label());
    per_mode_row("getpid round trip", s->syscall, true);
    uint32_t global[2] = {s->ctx[0][0], s->ctx[1][0]}, none[2] = {s->ctx[0][1], s->ctx[1][1]};
    per_mode_row("switch, global kernel pages", global, true);
    per_mode_row("switch, no global pages", none, true);
    per_mode_row("demand-paging fault, per page", s->fault, true);
    per_mode_row("spawn, per page of the program", s->spawn_page, true);
}

static void print_process_table(void)
{
    const struct compare_summary *s = &compare_summary;
    kheading("Two-level vs PAE: processes");
    if (!s->processes)
        kprintf("  (no processes: the ramdisk lacks the programs they run)\n");
    else
        process_rows(s);
    for (unsigned k = 0; k < 2; k++) {
        uint32_t requests = s->frag_requests[k] ? s->frag_requests[k] : 1;
        uint32_t share = (uint32_t)((uint64_t)s->frag_failed_with_room[k] * 10000 / requests);
        char pct[16];
        compare_hundredths(pct, sizeof(pct), share);
        kprintf("  %s: %u of %u requests refused with enough memory free (%s%%)",
                k ? "pages     " : "contiguous", s->frag_failed_with_room[k], s->frag_requests[k],
                pct);
        if (k) {
            uint32_t served = s->frag_served[1] ? s->frag_served[1] : 1;
            kprintf("; last-page waste %u bytes per allocation (half a page: 2048)",
                    (uint32_t)(s->frag_waste[1] / served));
        }
        kprintf("\n");
    }
    kprintf("  (segmentation against paging: %u MiB of RAM, the same frames for both)\n",
            s->frag_arena_frames / 256);
}

/* ---- the run ---- */

static uint64_t elapsed_ms(uint64_t start, uint64_t tsc_hz)
{
    return tsc_hz ? (rdtsc() - start) * 1000 / tsc_hz : 0;
}

/* Under QEMU the end leaves the emulator: the table stays up long enough for a screendump. */
static void hold_screen(uint64_t tsc_hz)
{
    uint64_t start = rdtsc();
    while (tsc_hz && rdtsc() - start < tsc_hz * COMPARE_HOLD_MS / 1000)
        __asm__ volatile("pause");
}

void compare_main(const struct pagoda_boot_info *info, bool short_run, uint64_t tsc_hz,
                  bool calibrated)
{
    char why[120];
    uint64_t start = rdtsc();
    /* A panic, and the end, leave QEMU with a status the host tool can read. */
    kernel_stop_exits_qemu = true;
    compare_short = short_run;
    kheading("Comparing two-level and PAE paging in this boot (%s run)",
             short_run ? "short" : "full");
    if (!compare_take_frames())
        compare_give_up("no 4 MiB-aligned run of free frames below 4 GiB for the test pages");
    machine_info(tsc_hz, calibrated);
    program_init(info); /* cmpbench and the programs whose page tables are counted */
    if (!compare_sides_init(why, sizeof(why)))
        compare_give_up(why);
    compare_time_setup();
    compare_bench_setup(tsc_hz);
    compare_proc_setup();
    unsigned rounds = short_run ? 2 : 4;
    for (unsigned round = 0; round < rounds; round++) {
        enum compare_mode mode = (enum compare_mode)(round % 2); /* A/B/A/B */
        compare_enter(mode);
        compare_serial("# compare: round %u of %u in %s paging (CR3 0x%08x CR4 0x%08x)\n",
                       round + 1, rounds, compare_mode_name(mode), read_cr3(), read_cr4());
        if (round < COMPARE_MODES)
            compare_struct_run(mode);
        compare_time_round(mode);
        compare_proc_round(mode, round < COMPARE_MODES, round);
    }
    compare_frag_run();
    compare_sides_finish();
    compare_give_frames_back();
    compare_time_report();
    compare_proc_report();
    compare_info("elapsed_ms", "%llu", (unsigned long long)elapsed_ms(start, tsc_hz));
    print_structural_table();
    print_timing_table();
    print_process_table();
    compare_serial("CMPEND,%s,%u\n", compare_failures ? "fail" : "pass", compare_failures);
    hold_screen(tsc_hz);
    kernel_stop(compare_failures != 0);
}
