#include "idt.h"

#include <stdbool.h>
#include <stdint.h>

#include "../arch/tss.h"
#include "../arch/vectors.h"
#include "../arch/x86_bits.h"

#define IDT_GATE_PRESENT        0x80u
#define IDT_GATE_INTERRUPT32    0x0Eu /* interrupts stay off inside handlers */
#define IDT_GATE_TASK           0x05u /* switch to the task named by the selector */
#define IDT_VECTOR_DOUBLE_FAULT 8u

struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_high;
};

struct __attribute__((packed)) idt_pointer {
    uint16_t limit;
    uint32_t base;
};

/* isr.S: the stubs, and the double-fault task's entry. */
extern const uint32_t isr_stub_table[IDT_STUB_COUNT];
extern void isr_stub_timer(void), isr_stub_syscall(void), isr_stub_spurious(void);
extern void double_fault_task_entry(void);

static struct idt_gate idt[IDT_VECTOR_COUNT] __attribute__((aligned(8)));

/* An interrupt gate: interrupts stay off in every handler, the kernel is never preempted. */
static void set_gate(unsigned vector, uint32_t handler, uint8_t dpl)
{
    idt[vector] = (struct idt_gate){
        .offset_low = handler & 0xFFFFu,
        .selector = SEL_KERNEL_CODE,
        .zero = 0,
        .type_attr = IDT_GATE_PRESENT | IDT_GATE_INTERRUPT32 | (uint8_t)(dpl << 5),
        .offset_high = handler >> 16,
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < IDT_STUB_COUNT; v++)
        set_gate(v, isr_stub_table[v], 0);
    set_gate(VECTOR_TIMER, (uint32_t)(uintptr_t)isr_stub_timer, 0);
    set_gate(VECTOR_SPURIOUS, (uint32_t)(uintptr_t)isr_stub_spurious, 0);
    /* DPL 3: the one gate ring 3 may name with int; every other vector faults with #GP. */
    set_gate(VECTOR_SYSCALL, (uint32_t)(uintptr_t)isr_stub_syscall, 3);
    /* #DF by task gate: its own stack and segments, whatever state caused it (tss.h). */
    tss_init((uint32_t)(uintptr_t)double_fault_task_entry);
    idt[IDT_VECTOR_DOUBLE_FAULT] =
        (struct idt_gate){.selector = SEL_DF_TSS, .type_attr = IDT_GATE_PRESENT | IDT_GATE_TASK};
    struct idt_pointer pointer = {.limit = sizeof(idt) - 1, .base = (uint32_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
}

void idt_set_present(unsigned vector, bool present)
{
    if (vector >= IDT_VECTOR_COUNT)
        return;
    if (present)
        idt[vector].type_attr |= IDT_GATE_PRESENT;
    else
        idt[vector].type_attr &= (uint8_t)~IDT_GATE_PRESENT;
}
