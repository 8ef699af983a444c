/*
 * kernel_main: the order in which the kernel trusts and takes over the machine. Serial first (so
 * anything after can complain) and its own GDT/IDT (so a fault is reported, not a triple fault),
 * the boot info (entry.S's copy) checked before it is used, then the 8259, CPU features, the
 * paging mode, the TSC, memory (frame allocator, then the kernel's own page tables: kernel/vm),
 * the local APIC and framebuffer through MMIO mappings, the boot log; then either the
 * self-tests (mode=test) or a halt.
 */
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/entry_state.h"
#include "arch/gdt.h"
#include "arch/idt.h"
#include "arch/lapic.h"
#include "arch/pic.h"
#include "arch/tsc.h"
#include "arch/x86.h"
#include "boot/bootinfo.h"
#include "boot/bootlog.h"
#include "boot/bootmem.h"
#include "boot/cmdline.h"
#include "boot/phys.h"
#include "compare/compare.h"
#include "console/console.h"
#include "console/summary.h"
#include "kernel.h"
#include "panic.h"
#include "test/crash.h"
#include "test/selftest.h"
#include "vm/layout.h"
#include "vm/vm.h"

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
        void *va = bytes <= fb->size ? vm_map_mmio(fb->base, bytes, PAGING_CACHE_WC, &why) : 0;
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

/* The memory layer (map, allocator), then the kernel's own address space built from it. */
static void take_over_memory(const struct pagoda_boot_info *info)
{
    uint64_t start = rdtsc();
    vm.raw_descriptors = (uint32_t)(info->memory_map_size / info->descriptor_size);
    if (!bootmem_init(info, vm_pool_limit())) {
        bootlog_memory_layer();
        panic("the memory layer could not start (see above): no frames for page tables");
    }
    vm.setup_cycles = rdtsc() - start;
    vm_init(bootmem_state());
    bootmem_reclaim();
    vm.init_cycles = rdtsc() - start;
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

    struct cmdline_options options;
    cmdline_parse(info->cmdline ? phys_to_ptr(info->cmdline) : 0, &options);
    kernel_test_mode = options.mode == KERNEL_MODE_TEST;

    pic_init();
    cpu_detect();
    cpu_clear_features(options.clear_cpuid);
    vm_choose_mode(options.paging);
    struct tsc_calibration tsc = tsc_calibrate();
    take_over_memory(info);
    lapic_quiet();
    attach_framebuffer(&info->framebuffer);
    console_set_color(CONSOLE_HEADING);
    kprintf("Pagoda kernel (i686, higher half, %s paging, mode=%s)\n", vm.pg.mode->name,
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
    info->tsc[PAGODA_PHASE_KERNEL_READY] = rdtsc();
    bootlog_phases(&ctx);

    crash_on_purpose(options.crash);
    if (options.mode == KERNEL_MODE_COMPARE)
        compare_main(options.compare_short, ctx.tsc_hz, tsc.ok);
    if (kernel_test_mode) {
        bootlog_phase_tap_lines(&ctx);
        selftest_run(info, &tsc);
    }
    if (options.mode == KERNEL_MODE_BOOT)
        summary_show(&ctx);
    console_set_color(CONSOLE_GOOD);
    kprintf("pagoda: boot complete.\n");
    console_set_color(CONSOLE_NORMAL);
    kernel_stop(false);
}
