#include "crash.h"

#include <stdint.h>

#include "../arch/gdt.h"
#include "../arch/vectors.h"
#include "../console/console.h"
#include "../panic.h"
#include "../trap/idt.h"
#include "exc_decode.h"

/* Past the end of the kernel's GDT: loading it is a #GP(selector). */
#define CRASH_SELECTOR_PAST_GDT (GDT_ENTRIES * 8u)
/* No gate is installed for this vector: `int` through it is a #GP naming the IDT entry. */
#define CRASH_ABSENT_VECTOR (VECTOR_SYSCALL + 1)
/* arch/boot_data.S: the unmapped page below the boot stack. Writing it is what a stack overflow
 * does. */
extern char boot_stack_guard[];

void crash_on_purpose(enum kernel_crash crash)
{
    if (crash == KERNEL_CRASH_NONE)
        return;
    console_set_color(CONSOLE_WARN);
    kprintf("crash=%s on the command line: raising it now\n", cmdline_crash_name(crash));
    console_set_color(CONSOLE_NORMAL);
    switch (crash) {
    case KERNEL_CRASH_UD:
        __asm__ volatile("ud2");
        break;
    case KERNEL_CRASH_GP:
        __asm__ volatile("mov %0, %%ds" : : "r"(CRASH_SELECTOR_PAST_GDT));
        break;
    case KERNEL_CRASH_DE:
        __asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" : : "a"(1), "d"(0) : "ecx");
        break;
    case KERNEL_CRASH_IDT:
        __asm__ volatile("int %0" : : "i"(CRASH_ABSENT_VECTOR));
        break;
    case KERNEL_CRASH_BP:
        __asm__ volatile("int3");
        break;
    case KERNEL_CRASH_DF:
        idt_set_present(EXC_GP, false);
        __asm__ volatile("int %0" : : "i"(CRASH_ABSENT_VECTOR));
        break;
    case KERNEL_CRASH_PF:
        *(volatile uint32_t *)(boot_stack_guard + 0xFFC) = 0xDEADu;
        break;
    case KERNEL_CRASH_NONE:
        break;
    }
    panic("crash=%s: the exception did not happen", cmdline_crash_name(crash));
}
