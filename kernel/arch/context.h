/*
 * Kernel threads of control: a saved context is what context_switch pushed on the stack it left
 * (callee-saved registers and the return address), and a pointer to it is all a thread needs to
 * be resumed. Each process runs on its own kernel stack; the scheduler on the boot stack.
 */
#ifndef PAGODA_ARCH_CONTEXT_H
#define PAGODA_ARCH_CONTEXT_H

#include <stdint.h>

struct context {
    uint32_t edi, esi, ebx, ebp;
    uint32_t eip; /* where context_switch returns to */
};

/* Saves the caller's context on its stack, stores a pointer to it in *save, and resumes load.
 * Returns when something switches back to *save. Interrupts must be off. */
void context_switch(struct context **save, struct context *load);

/* arch/trapframe.S: pops a struct isr_frame (arch/trapframe.h) from the stack and irets to it.
 * A new process's first context returns here, with its frame right above. */
void trapframe_return(void);

#endif
