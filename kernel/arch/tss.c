#include "tss.h"

#include "../console/console.h"
#include "../kernel.h"
#include "exc_decode.h"
#include "x86.h"

#define TSS_NO_IOMAP sizeof(struct tss32) /* I/O bitmap offset past the limit: none */

struct tss32 tss_main, tss_double_fault;

/* entry.S: the double-fault stack, above its own unmapped guard page. */
extern uint8_t double_fault_stack_top[];

/* isr.S: the task's entry, which calls double_fault_task(error_code) and halts. */
extern void double_fault_task_entry(void);
void double_fault_task(uint32_t error_code);

void tss_init(void)
{
    tss_main = (struct tss32){.ss0 = SEL_KERNEL_DATA, .iomap_base = TSS_NO_IOMAP};
    tss_double_fault = (struct tss32){
        .ss0 = SEL_KERNEL_DATA,
        .cr3 = read_cr3(),
        .eip = (uint32_t)(uintptr_t)double_fault_task_entry,
        .eflags = EFLAGS_RESERVED, /* interrupts off */
        .esp = (uint32_t)(uintptr_t)double_fault_stack_top,
        .es = SEL_KERNEL_DATA,
        .cs = SEL_KERNEL_CODE,
        .ss = SEL_KERNEL_DATA,
        .ds = SEL_KERNEL_DATA,
        .fs = SEL_KERNEL_DATA,
        .gs = SEL_KERNEL_DATA,
        .iomap_base = TSS_NO_IOMAP,
    };
    __asm__ volatile("ltr %w0" : : "r"(SEL_MAIN_TSS) : "memory");
}

/* The interrupted task's registers are in tss_main: the CPU saved them there on the switch. */
void double_fault_task(uint32_t error_code)
{
    const struct tss32 *t = &tss_main;
    console_set_color(CONSOLE_BAD);
    kprintf("\n*** CPU exception %u: %s %s (on its own task and stack) ***\n", EXC_DF,
            exc_mnemonic(EXC_DF), exc_name(EXC_DF));
    console_set_color(CONSOLE_NORMAL);
    kprintf("  an exception happened while delivering another one; error code 0x%x\n", error_code);
    kprintf("  interrupted task: EIP=%08x CS=%04x EFLAGS=%08x ESP=%08x\n", t->eip, t->cs, t->eflags,
            t->esp);
    kprintf("  EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x EBP=%08x\n", t->eax, t->ebx,
            t->ecx, t->edx, t->esi, t->edi, t->ebp);
    kprintf("  CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", read_cr0(), read_cr2(), read_cr3(),
            read_cr4());
    if (kernel_test_mode)
        kprintf("not ok - double fault\nBail out! double fault\n");
    kernel_stop(true);
}
