/*
 * The stack as trap/isr.S leaves it for the C dispatcher (lowest address first): the data
 * segments, the general registers in pushal order, the vector and error code (a zero where the
 * CPU pushes none), then what the CPU pushed: EIP, CS, EFLAGS, and, only when the interrupt came
 * from ring 3, the user ESP and SS. A fault in ring 0 pushes no ESP/SS: the interrupted ESP is
 * then just past eflags.
 */
#ifndef PAGODA_ARCH_TRAPFRAME_H
#define PAGODA_ARCH_TRAPFRAME_H

#include <stdbool.h>
#include <stdint.h>

struct isr_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_pushal, ebx, edx, ecx, eax; /* pushal order */
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
    uint32_t user_esp, user_ss; /* only when from_user() */
};

_Static_assert(sizeof(struct isr_frame) == 19 * 4, "isr.S pushes 17 dwords, ring 3 two more");

static inline bool isr_frame_from_user(const struct isr_frame *f)
{
    return (f->cs & 3u) == 3u;
}

/* ESP at the moment of the interrupt. */
static inline uint32_t isr_frame_esp(const struct isr_frame *f)
{
    return isr_frame_from_user(f) ? f->user_esp : (uint32_t)(uintptr_t)&f->user_esp;
}

#endif
