/*
 * Exception handling: every vector lands in isr_dispatch with one frame layout. Unexpected
 * exceptions print a decoded report (name, error code decoded, CR2, registers, control registers)
 * and stop; self-tests can announce a fault they expect and where execution should resume.
 */
#ifndef PAGODA_EXCEPTION_H
#define PAGODA_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

/* The stack as isr.S leaves it (lowest address first). No privilege change ever happens in this
 * kernel, so the CPU pushed no ESP/SS: the interrupted ESP is just past eflags. */
struct isr_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* pushal order */
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
};

_Static_assert(sizeof(struct isr_frame) == 17 * 4, "isr.S pushes 17 dwords");

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

/* Count of IRQs (vectors 0x20..0x2f) seen; they should not happen with everything masked. */
uint32_t exception_irq_count(void);

void isr_dispatch(struct isr_frame *frame);

#endif
