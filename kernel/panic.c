#include "panic.h"

#include <stdarg.h>

#include "arch/qemu_exit.h"
#include "arch/x86.h"
#include "console/console.h"
#include "kernel.h"

bool kernel_stop_exits_qemu;

void kernel_stop(bool failed)
{
    console_flush();
    if (kernel_stop_exits_qemu)
        qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
    kprintf("pagoda: halted.\n");
    cpu_halt_forever();
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_set_color(CONSOLE_BAD);
    kprintf("\nPANIC: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    console_set_color(CONSOLE_NORMAL);
    va_end(ap);
    if (kernel_stop_exits_qemu)
        kprintf("not ok - kernel panic (see above)\nBail out! kernel panic\n");
    kernel_stop(true);
}
