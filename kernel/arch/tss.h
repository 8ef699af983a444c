/*
 * The 32-bit TSS (SDM Vol. 3A 7.2.1) and the double-fault task. #DF goes through a task gate, so
 * it runs on its own stack with its own segment state: even when the kernel stack or segments
 * are what broke, the machine prints a report instead of triple-faulting.
 */
#ifndef PAGODA_TSS_H
#define PAGODA_TSS_H

#include <stddef.h>
#include <stdint.h>

struct tss32 {
    uint32_t link; /* previous task's selector, set by the CPU on a nested task switch */
    uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs;
    uint32_t ldt;
    uint16_t trap;
    uint16_t iomap_base;
};

_Static_assert(sizeof(struct tss32) == 104, "TSS layout (SDM Vol. 3A figure 7-2)");

extern struct tss32 tss_main, tss_double_fault;

/* Fill both TSSs (the double-fault task starts at double_fault_eip, on CR3 as it is now) and
 * load the task register with the main TSS. Needs the GDT. */
void tss_init(uint32_t double_fault_eip);
/* The tables the double-fault task runs on. A task switch loads CR3 but not CR4, so this must
 * be a space of the format the CPU runs: kernel/vm sets it whenever the kernel half changes. */
void tss_set_double_fault_cr3(uint32_t cr3);
/* The stack the CPU switches to on an interrupt from ring 3 (ESP0): the running process's kernel
 * stack. */
void tss_set_kernel_stack(uint32_t esp0);

#endif
