/*
 * Interrupt entry stubs: every vector pushes the same frame (struct isr_frame in arch/trapframe.h):
 * a zero where the CPU pushes no error code, then the vector, then the general registers and
 * data segments, so one C dispatcher serves every vector.
 */
#include "../arch/vectors.h"
#include "../arch/x86_bits.h"

#define ISR_VECTOR_COUNT 48

    .section .text
    .code32

.macro ISR_NO_ERROR vector
isr_stub_\vector:
    pushl $0
    pushl $\vector
    jmp isr_common
.endm

.macro ISR_ERROR vector
isr_stub_\vector:
    pushl $\vector
    jmp isr_common
.endm

/* Vectors where the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30 (SDM Vol. 3A 6.13). */
ISR_NO_ERROR 0
ISR_NO_ERROR 1
ISR_NO_ERROR 2
ISR_NO_ERROR 3
ISR_NO_ERROR 4
ISR_NO_ERROR 5
ISR_NO_ERROR 6
ISR_NO_ERROR 7
ISR_ERROR 8
ISR_NO_ERROR 9
ISR_ERROR 10
ISR_ERROR 11
ISR_ERROR 12
ISR_ERROR 13
ISR_ERROR 14
ISR_NO_ERROR 15
ISR_NO_ERROR 16
ISR_ERROR 17
ISR_NO_ERROR 18
ISR_NO_ERROR 19
ISR_NO_ERROR 20
ISR_ERROR 21
ISR_NO_ERROR 22
ISR_NO_ERROR 23
ISR_NO_ERROR 24
ISR_NO_ERROR 25
ISR_NO_ERROR 26
ISR_NO_ERROR 27
ISR_NO_ERROR 28
ISR_ERROR 29
ISR_ERROR 30
ISR_NO_ERROR 31
.irp vector, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
ISR_NO_ERROR \vector
.endr

/* The kernel's own vectors (arch/vectors.h), installed one by one by idt.c. */
    .global isr_stub_timer, isr_stub_syscall, isr_stub_spurious
isr_stub_timer:
    pushl $0
    pushl $VECTOR_TIMER
    jmp isr_common
isr_stub_syscall:
    pushl $0
    pushl $VECTOR_SYSCALL
    jmp isr_common
isr_stub_spurious:
    pushl $0
    pushl $VECTOR_SPURIOUS
    jmp isr_common

isr_common:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    movl $SEL_KERNEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    cld
    pushl %esp /* struct isr_frame * */
    call isr_dispatch
    addl $4, %esp
    jmp trapframe_return

/* Entry of the double-fault task (arch/tss.c runs it; trap.c reports): the CPU pushed the error
 * code on the task's fresh stack, which makes it the C function's first argument once `call` adds
 * a return address. */
    .global double_fault_task_entry
double_fault_task_entry:
    cld
    call double_fault_task
1:
    cli
    hlt
    jmp 1b

    .section .rodata
    .balign 4
    .global isr_stub_table
isr_stub_table:
.irp vector, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23
    .long isr_stub_\vector
.endr
.irp vector, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44
    .long isr_stub_\vector
.endr
.irp vector, 45, 46, 47
    .long isr_stub_\vector
.endr

    .section .note.GNU-stack, "", @progbits
