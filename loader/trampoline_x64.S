/*
 * x64 hand-off: long mode -> 32-bit compatibility mode -> 32-bit protected mode, paging off.
 * Runs from the trampoline page (identity mapped by the firmware, LoaderCode so executable).
 * Called as trampoline_entry_fn(page): MS x64 ABI, %rcx = the page.
 */
#include "trampoline.h"

    .text
    .globl  TRAMPOLINE_C_SYMBOL(trampoline_start)
    .globl  TRAMPOLINE_C_SYMBOL(trampoline_end)

    .code64
TRAMPOLINE_C_SYMBOL(trampoline_start):
    cli
    movq    %rcx, %rsi
    /* Long mode cannot drop CR4.PAE, but PCIDE and CET go now: both would fault the exit. */
    movq    %cr4, %rax
    andq    $~(CR4_PCIDE | CR4_CET), %rax
    movq    %rax, %cr4
    lgdt    (TRAMPOLINE_PARAMS_OFFSET + TP_GDTR)(%rsi)
    /* Our stack (below 4 GiB) before the far return: compatibility mode uses only %esp. */
    movl    (TRAMPOLINE_PARAMS_OFFSET + TP_STACK_TOP)(%rsi), %esp
    leaq    (trampoline_compat32 - TRAMPOLINE_C_SYMBOL(trampoline_start))(%rsi), %rax
    pushq   $TRAMPOLINE_SEL_CODE32
    pushq   %rax
    lretq

    .code32
trampoline_compat32:
    movl    $TRAMPOLINE_SEL_DATA, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %fs
    movl    %eax, %gs
    movl    %eax, %ss
    /* Paging off leaves long mode (EFER.LMA drops); the next fetch is identity mapped. */
    movl    %cr0, %eax
    andl    $~CR0_PG, %eax
    movl    %eax, %cr0
    /* EFER exists on every x64 CPU: clear LME, NXE, SCE at once. */
    movl    $MSR_EFER, %ecx
    xorl    %eax, %eax
    xorl    %edx, %edx
    wrmsr
    movl    %eax, %cr4
    jmp     trampoline_common

#include "trampoline_common.inc"

TRAMPOLINE_C_SYMBOL(trampoline_end):
