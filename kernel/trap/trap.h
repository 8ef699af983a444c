/*
 * How the CPU enters the kernel: the IDT (trap/idt.c) points every vector at an entry stub
 * (trap/isr.S), and every stub calls one C dispatcher, this file's isr_dispatch. Unexpected
 * exceptions print a decoded report (name, error code decoded, CR2 with the page walk, registers,
 * control registers) and stop; self-tests can announce a fault they expect and where execution
 * should resume.
 */
#ifndef PAGODA_TRAP_H
#define PAGODA_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/trapframe.h"

struct fault_record {
    uint32_t vector;
    uint32_t error_code;
    uint32_t eip; /* where the fault happened */
    uint32_t cr2;
};

/* Arm: the next exception with this vector is recorded instead of reported, and execution
 * resumes at resume_eip (0: where the CPU would resume anyway, right for traps like int3).
 * Only one expectation at a time; any other vector is still reported as unexpected. */
void fault_expect(uint32_t vector, uintptr_t resume_eip);
/* Disarm. Returns true and fills *record if the expected fault happened since fault_expect. */
bool fault_take(struct fault_record *record);

/* Count of IRQs (vectors 0x20..0x2f) on lines no driver unmasked: they should never come. */
uint32_t trap_irq_count(void);

/* Called by isr.S for every vector, and by the double-fault task (on its own stack). */
void isr_dispatch(struct isr_frame *frame);
void double_fault_task(uint32_t error_code);

#endif
