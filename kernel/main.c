/*
 * kernel_main: the order in which the kernel trusts and takes over the machine. Serial first (so
 * anything after can complain) and its own GDT and IDT (so a fault is reported, not a triple
 * fault), the boot info (entry.S's copy) checked before it is used, then the 8259, CPU features,
 * the TSC, memory (paging format, frame allocator, the kernel's own address space, the heap:
 * the takeover), the local APIC and the framebuffer through MMIO mappings, the boot log; then the
 * comparison (mode=compare), the self-tests (mode=test without init=), or the first process
 * (init=PROG, by default the shell "sh") with console input on, until it ends.
 */
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/entry_state.h"
#include "arch/gdt.h"
#include "arch/lapic.h"
#include "arch/layout.h"
#include "arch/pic.h"
#include "arch/tsc.h"
#include "arch/x86.h"
#include "boot/bootinfo.h"
#include "boot/bootlog.h"
#include "boot/cmdline.h"
#include "boot/phys.h"
#include "boot/summary.h"
#include "boot/takeover.h"
#include "compare/compare.h"
#include "console/console.h"
#include "console/input.h"
#include "console/serial.h"
#include "kernel.h"
#include "panic.h"
#include "proc/proc.h"
#include "proc/program.h"
#include "proc/sched.h"
#include "test/crash.h"
#include "test/selftest.h"
#include "trap/idt.h"
#include "vm/format.h"
#include "vm/mmio.h"

void kernel_main(void);
__attribute__((noreturn)) void kernel_bad_magic(uint32_t eax);

/* entry.S: what it copied out of the loader's memory before paging (vm/layout.h sizes). */
extern struct pagoda_boot_info boot_info_copy;
extern uint32_t boot_copy_problems;

_Static_assert(sizeof(struct pagoda_boot_info) == BOOT_INFO_SIZE, "entry.S copies BOOT_INFO_SIZE");
_Static_assert(BOOT_INFO_SIZE <= BOOT_COPY_INFO_MAX, "boot info copy buffer too small");
_Static_assert(BOOT_COPY_CMDLINE_MAX == BOOTINFO_MAX_CMDLINE, "cmdline buffer != cmdline limit");
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, memory_map, BOOT_INFO_OFF_MEMORY_MAP);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, memory_map_size, BOOT_INFO_OFF_MEMORY_MAP_SIZE);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, cmdline_size, BOOT_INFO_OFF_CMDLINE_SIZE);
PAGODA_ASSERT_OFFSET(struct pagoda_boot_info, cmdline, BOOT_INFO_OFF_CMDLINE);

void kernel_bad_magic(uint32_t eax)
{
    console_init_serial();
    kprintf("pagoda: kernel entered with EAX=0x%08x instead of PAGODA_BOOT_MAGIC 0x%08x:\n"
            "pagoda: not started by the Pagoda loader, so EBX means nothing. Halting.\n",
            eax, PAGODA_BOOT_MAGIC);
    cpu_halt_forever();
}

static void check_boot_copy(void)
{
    const struct pagoda_boot_info *info = &boot_info_copy;
    if (boot_copy_problems & BOOT_COPY_MAP_ABOVE_4G)
        panic("the memory map at 0x%llx (%llu bytes) lies above 4 GiB, out of reach before paging",
              (unsigned long long)info->memory_map, (unsigned long long)info->memory_map_size);
    if (boot_copy_problems & BOOT_COPY_MAP_TOO_LARGE)
        panic("the memory map is %llu bytes, more than the kernel's %u-byte copy buffer",
              (unsigned long long)info->memory_map_size, BOOT_COPY_MAP_MAX);
    if (boot_copy_problems & BOOT_COPY_CMDLINE_ABOVE_4G)
        panic("the command line at 0x%llx lies above 4 GiB, out of reach before paging",
              (unsigned long long)info->cmdline);
    if (boot_copy_problems & BOOT_COPY_CMDLINE_TOO_LARGE)
        panic("the command line is %u bytes, more than the kernel's %u-byte copy buffer",
              info->cmdline_size, BOOT_COPY_CMDLINE_MAX);
}

/* The copy entry.S made; its memory map and command line fields point at the kernel's copies. */
static struct pagoda_boot_info *checked_boot_info(void)
{
    char why[160];
    check_boot_copy();
    if (!bootinfo_check(&boot_info_copy, BOOTINFO_KERNEL_ADDRESS_LIMIT, why, sizeof(why)))
        panic("boot info (loader's block at 0x%08x) is invalid: %s", entry_state.boot_info, why);
    return &boot_info_copy;
}

/* The framebuffer through an MMIO mapping: write-combining when the PAT allows it. */
static void attach_framebuffer(const struct pagoda_framebuffer *fb)
{
    struct pagoda_framebuffer mapped = *fb;
    if (fb->format != PAGODA_PIXEL_NONE && fb->base != 0) {
        const char *why = "";
        uint64_t bytes = (uint64_t)fb->pitch * fb->height;
        void *va = bytes <= fb->size ? vm_map_physical("framebuffer", fb->base, bytes,
                                                       PAGING_PROT_READ | PAGING_PROT_WRITE,
                                                       PAGING_CACHE_WC, &why)
                                     : 0;
        if (!va) {
            kprintf("console: framebuffer at 0x%llx cannot be mapped (%s): serial only\n",
                    (unsigned long long)fb->base, bytes <= fb->size ? why : "size too small");
            return;
        }
        mapped.base = (uintptr_t)va;
        mapped.size = bytes;
    }
    console_attach_framebuffer(&mapped);
}

/* About 200 lines at once: the screen is drawn when they are all printed, not line by line. */
static void print_boot_log(const struct bootlog_context *ctx)
{
    console_hold_screen();
    bootlog_firmware(ctx);
    bootlog_cpu();
    bootlog_memory_map(ctx);
    bootlog_framebuffer(ctx);
    bootlog_rsdp(ctx);
    bootlog_cmdline(ctx);
    bootlog_ranges(ctx);
    bootlog_tsc(ctx);
    bootlog_memory_layer();
    bootlog_vm(ctx->tsc_hz);
    console_release_screen();
}

/* The local APIC's timer still runs after the firmware: silence it through its MMIO page. */
static void quiet_local_apic(void)
{
    const char *why = 0;
    uint64_t base = lapic_detect();
    volatile uint8_t *regs =
        base ? vm_map_physical("local APIC", base, LAPIC_MMIO_SIZE,
                               PAGING_PROT_READ | PAGING_PROT_WRITE, PAGING_CACHE_UC, &why)
             : 0;
    lapic_quiet(regs, why);
}

static bool init_has_ended(void)
{
    int status;
    return proc_init_ended(&status);
}

/* The first process (init=PROG ARGS, else the shell) until it ends, then what it said. Returns
 * false when there is no first process to run. */
static bool run_first_process(const struct pagoda_boot_info *info,
                              const struct cmdline_options *options, uint64_t tsc_hz)
{
    static const char *const default_init[] = {"sh", 0};
    const char *const *argv = options->init_argc ? options->init_argv : default_init;
    uint32_t argc = options->init_argc ? options->init_argc : 1;
    program_init(info);
    struct uvm_program program;
    if (!options->init_argc && program_find(argv[0], &program) != 0)
        return false;
    sched_init(tsc_hz);
    console_input_start(tsc_hz);
    if (proc_spawn(argv[0], argv, argc, 0) < 0)
        kernel_stop(true);
    sched_run(init_has_ended);
    int status;
    proc_init_ended(&status);
    const struct uvm_stats *u = uvm_stats();
    struct sched_stats s;
    struct paging_counters c;
    sched_stats(&s);
    vm_format_boot()->mode->counters(vm_format_boot(), &c);
    kprintf("pagoda: user pages mapped: %llu, %llu of them on demand; user frames above 4 GiB: "
            "%llu; %llu switches to processes, %llu preemptions, %llu ticks, %llu ms idle; %u CR3 "
            "reloads, %u global flushes\n",
            (unsigned long long)u->pages_mapped, (unsigned long long)u->demand_faults,
            (unsigned long long)u->high_frames, (unsigned long long)s.switches,
            (unsigned long long)s.preemptions, (unsigned long long)s.ticks,
            (unsigned long long)s.idle_ms, c.cr3_reloads, c.global_flushes);
    if (serial_dropped_bytes() != 0) {
        console_set_color(CONSOLE_WARN);
        kprintf("pagoda: %u bytes of serial output were dropped: COM1 stayed busy for a second\n",
                serial_dropped_bytes());
        console_set_color(CONSOLE_NORMAL);
    }
    uint32_t how = PAGODA_WAIT_HOW(status), what = PAGODA_WAIT_WHAT(status);
    console_set_color(how == PAGODA_WAIT_EXITED && what == 0 ? CONSOLE_GOOD : CONSOLE_BAD);
    if (how == PAGODA_WAIT_EXITED)
        kprintf("pagoda: init exited with status %u\n", what);
    else
        kprintf("pagoda: init was ended by the kernel (%s, vector %u)\n",
                how == PAGODA_WAIT_FAULT ? "a CPU exception" : "out of memory", what);
    console_set_color(CONSOLE_NORMAL);
    kernel_stop(status != 0);
}

void kernel_main(void)
{
    console_init_serial();
    /* Own descriptor tables before touching the boot info: from here on a fault is reported
     * instead of triple-faulting through the loader's empty IDT. */
    gdt_init();
    idt_init();
    kprintf("\npagoda kernel: entered at the higher half, boot info was at 0x%08x\n",
            entry_state.boot_info);
    struct pagoda_boot_info *info = checked_boot_info();
    /* The kernel's copy of the block: it adds its own stamps to it. */
    info->tsc[PAGODA_PHASE_KERNEL_ENTRY] = entry_state_tsc();
    bootlog_keep_loader_log(info); /* before the memory takeover reuses the loader's pages */

    struct cmdline_options options;
    cmdline_parse(info->cmdline ? phys_to_ptr(info->cmdline) : 0, &options);
    kernel_stop_exits_qemu = options.mode == KERNEL_MODE_TEST;

    pic_init();
    cpu_detect();
    cpu_refuse_fpu();
    cpu_clear_features(options.clear_cpuid);
    bootlog_cleared_features(options.clear_cpuid);
    struct tsc_calibration tsc = tsc_calibrate();
    if (!takeover_memory(info, options.paging, options.mode == KERNEL_MODE_TEST)) {
        bootlog_memory_layer();
        panic("the memory layer could not start (see above): no frames for page tables");
    }
    quiet_local_apic();
    attach_framebuffer(&info->framebuffer);
    /* The loader's log, the heading and the boot log are one burst: the screen is drawn once. */
    console_hold_screen();
    bootlog_loader_log();
    console_set_color(CONSOLE_HEADING);
    kprintf("Pagoda kernel (i686, higher half, %s paging, mode=%s)\n", vm_format_boot()->mode->name,
            cmdline_mode_name(options.mode));
    console_set_color(CONSOLE_NORMAL);

    struct bootlog_context ctx = {
        .info = info,
        .options = &options,
        .tsc = &tsc,
        .tsc_hz = tsc.ok                ? tsc.hz
                  : info->loader_tsc_hz ? info->loader_tsc_hz
                                        : tsc.hz,
    };
    print_boot_log(&ctx);
    console_release_screen();
    info->tsc[PAGODA_PHASE_KERNEL_READY] = rdtsc();
    bootlog_phases(&ctx);

    crash_on_purpose(options.crash);
    if (options.mode == KERNEL_MODE_COMPARE)
        compare_main(info, options.compare_short, ctx.tsc_hz, tsc.ok);
    if (options.mode == KERNEL_MODE_TEST && !options.init_argc) {
        bootlog_phase_tap_lines(&ctx);
        selftest_run(info, &tsc);
    }
    if (options.mode == KERNEL_MODE_BOOT)
        summary_show(&ctx);
    if (!run_first_process(info, &options, ctx.tsc_hz))
        kprintf("pagoda: no init program in the ramdisk: nothing to run\n");
    console_set_color(CONSOLE_GOOD);
    kprintf("pagoda: boot complete.\n");
    console_set_color(CONSOLE_NORMAL);
    kernel_stop(false);
}
