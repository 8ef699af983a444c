#include "tss.h"

#include "x86.h"

#define TSS_NO_IOMAP sizeof(struct tss32) /* I/O bitmap offset past the limit: none */

struct tss32 tss_main, tss_double_fault;

/* arch/boot_data.S: the double-fault stack, above its own unmapped guard page. */
extern uint8_t double_fault_stack_top[];

void tss_set_double_fault_cr3(uint32_t cr3)
{
    tss_double_fault.cr3 = cr3;
}

void tss_set_kernel_stack(uint32_t esp0)
{
    tss_main.esp0 = esp0;
}

void tss_init(uint32_t double_fault_eip)
{
    tss_main = (struct tss32){.ss0 = SEL_KERNEL_DATA, .iomap_base = TSS_NO_IOMAP};
    tss_double_fault = (struct tss32){
        .ss0 = SEL_KERNEL_DATA,
        .cr3 = read_cr3(),
        .eip = double_fault_eip,
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
