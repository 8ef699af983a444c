/*
 * _start: the first kernel code. The loader jumps here in 32-bit protected mode, paging off,
 * EAX = PAGODA_BOOT_MAGIC, EBX = boot info physical address (include/pagoda/boot_info.h).
 * Record the entry state before touching anything, switch to the kernel's own stack, call C.
 */
#include "entry_state.h"
#include "x86_bits.h"

#define BOOT_STACK_SIZE   16384

    .section .text.entry, "ax"
    .code32
    .global _start
    .type _start, @function
_start:
    /* EAX, EBX and the TSC first: nothing below may disturb them. */
    movl %eax, entry_state + ENTRY_STATE_MAGIC
    movl %ebx, entry_state + ENTRY_STATE_BOOT_INFO
    rdtsc
    movl %eax, entry_state + ENTRY_STATE_TSC_LO
    movl %edx, entry_state + ENTRY_STATE_TSC_HI
    /* EFLAGS before our own cli: one push onto the loader's stack, which the ABI promises. */
    movl %esp, entry_state + ENTRY_STATE_LOADER_ESP
    pushfl
    popl entry_state + ENTRY_STATE_EFLAGS
    cli
    cld

    /* The loader zeroes bss already; zero it again so a loader bug cannot leave garbage in it. */
    movl $kernel_bss_start, %edi
    movl $kernel_bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp

    movl %cr0, %eax
    movl %eax, entry_state + ENTRY_STATE_CR0
    movl %cr4, %eax
    movl %eax, entry_state + ENTRY_STATE_CR4

    /* Reading IA32_EFER where it does not exist is a #GP with no IDT yet: ask CPUID first. */
    movl $CPUID_LEAF_EXT_MAX, %eax
    cpuid
    cmpl $CPUID_LEAF_EXT_FEATURES, %eax
    jb 1f
    movl $CPUID_LEAF_EXT_FEATURES, %eax
    cpuid
    testl $CPUID_81_EDX_EFER_FEATURES, %edx
    jz 1f
    movl $MSR_IA32_EFER, %ecx
    rdmsr
    movl %eax, entry_state + ENTRY_STATE_EFER_LO
    movl %edx, entry_state + ENTRY_STATE_EFER_HI
    movl $1, entry_state + ENTRY_STATE_EFER_PRESENT
1:
    cmpl $ENTRY_BOOT_MAGIC, entry_state + ENTRY_STATE_MAGIC
    jne 2f
    pushl entry_state + ENTRY_STATE_BOOT_INFO
    call kernel_main
    jmp 3f
2:
    /* Not started by the Pagoda loader: EBX means nothing. Say so on the serial port. */
    pushl entry_state + ENTRY_STATE_MAGIC
    call kernel_bad_magic
3:
    cli
    hlt
    jmp 3b
    .size _start, . - _start

    .section .data
    .balign 4
    .global entry_state
    .type entry_state, @object
entry_state:
    .skip ENTRY_STATE_SIZE
    .size entry_state, . - entry_state

    .section .bss
    .balign 16
    .global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
