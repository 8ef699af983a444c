/*
 * kernel_main: the order in which the kernel trusts and takes over the machine. Serial first (so
 * anything after can complain) and its own GDT/IDT (so a fault is reported, not a triple fault),
 * the boot info checked before it is used, then the interrupt controllers, the framebuffer
 * console, CPU features, the TSC, the boot log; then either the self-tests (mode=test) or a halt.
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
#include "console/console.h"
#include "kernel.h"
#include "panic.h"
#include "test/crash.h"
#include "test/selftest.h"

void kernel_main(uint32_t boot_info_phys);
__attribute__((noreturn)) void kernel_bad_magic(uint32_t eax);

void kernel_bad_magic(uint32_t eax)
{
    console_init_serial();
    kprintf("pagoda: kernel entered with EAX=0x%08x instead of PAGODA_BOOT_MAGIC 0x%08x:\n"
            "pagoda: not started by the Pagoda loader, so EBX means nothing. Halting.\n",
            eax, PAGODA_BOOT_MAGIC);
    cpu_halt_forever();
}

static const struct pagoda_boot_info *checked_boot_info(uint32_t phys)
{
    char why[160];
    if (phys == 0 || phys % 8 != 0 || phys > UINT32_MAX - sizeof(struct pagoda_boot_info))
        panic("boot info address 0x%08x is null, unaligned or runs past 4 GiB", phys);
    const struct pagoda_boot_info *info = phys_to_ptr(phys);
    if (!bootinfo_check(info, BOOTINFO_KERNEL_ADDRESS_LIMIT, why, sizeof(why)))
        panic("boot info at 0x%08x is invalid: %s", phys, why);
    return info;
}

static void take_over_cpu(void)
{
    pic_init();
    cpu_detect();
    lapic_quiet();
}

static void print_boot_log(const struct bootlog_context *ctx)
{
    bootlog_firmware(ctx);
    bootlog_cpu();
    bootlog_memory_map(ctx);
    bootlog_framebuffer(ctx);
    bootlog_rsdp(ctx);
    bootlog_cmdline(ctx);
    bootlog_ranges(ctx);
    bootlog_tsc(ctx);
    bootlog_memory_layer();
}

void kernel_main(uint32_t boot_info_phys)
{
    console_init_serial();
    /* Own descriptor tables before touching the boot info: from here on a fault is reported
     * instead of triple-faulting through the loader's empty IDT. */
    gdt_init();
    idt_init();
    kprintf("\npagoda kernel: entered, boot info at 0x%08x\n", boot_info_phys);
    const struct pagoda_boot_info *info = checked_boot_info(boot_info_phys);
    /* The block is the loader's, left in use for us: the kernel adds its own stamps to it. */
    struct pagoda_boot_info *stamps = (struct pagoda_boot_info *)(uintptr_t)boot_info_phys;
    stamps->tsc[PAGODA_PHASE_KERNEL_ENTRY] = entry_state_tsc();

    struct cmdline_options options;
    cmdline_parse(info->cmdline ? phys_to_ptr(info->cmdline) : 0, &options);
    kernel_test_mode = options.mode == KERNEL_MODE_TEST;

    take_over_cpu();
    console_attach_framebuffer(&info->framebuffer);
    console_set_color(CONSOLE_HEADING);
    kprintf("Pagoda kernel (i686, paging off, mode=%s)\n", cmdline_mode_name(options.mode));
    console_set_color(CONSOLE_NORMAL);

    struct tsc_calibration tsc = tsc_calibrate();
    bootmem_init(info);
    struct bootlog_context ctx = {
        .info = info,
        .options = &options,
        .tsc = &tsc,
        .tsc_hz = tsc.ok                ? tsc.hz
                  : info->loader_tsc_hz ? info->loader_tsc_hz
                                        : tsc.hz,
    };
    print_boot_log(&ctx);
    stamps->tsc[PAGODA_PHASE_KERNEL_READY] = rdtsc();
    bootlog_phases(&ctx);

    crash_on_purpose(options.crash);
    if (kernel_test_mode) {
        bootlog_phase_tap_lines(&ctx);
        selftest_run(info, &tsc);
    }
    console_set_color(CONSOLE_GOOD);
    kprintf("pagoda: boot complete.\n");
    console_set_color(CONSOLE_NORMAL);
    kernel_stop(false);
}
