/*
 * IA32 hand-off: the firmware already runs in 32-bit protected mode, maybe with (PAE) paging on
 * and caches off. Load our GDT, reload every segment, paging off, CR4 and EFER cleared.
 * Called as trampoline_entry_fn(page): cdecl, the page at 4(%esp).
 */
#include "trampoline.h"

    .text
    .globl  TRAMPOLINE_C_SYMBOL(trampoline_start)
    .globl  TRAMPOLINE_C_SYMBOL(trampoline_end)

    .code32
TRAMPOLINE_C_SYMBOL(trampoline_start):
    cli
    movl    4(%esp), %esi
    lgdt    (TRAMPOLINE_PARAMS_OFFSET + TP_GDTR)(%esi)
    movl    (TRAMPOLINE_PARAMS_OFFSET + TP_STACK_TOP)(%esi), %esp
    leal    (trampoline_reload_cs - TRAMPOLINE_C_SYMBOL(trampoline_start))(%esi), %eax
    pushl   $TRAMPOLINE_SEL_CODE32
    pushl   %eax
    lret

trampoline_reload_cs:
    movl    $TRAMPOLINE_SEL_DATA, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %fs
    movl    %eax, %gs
    movl    %eax, %ss
    movl    %cr0, %eax
    testl   $CR0_PG, %eax
    jz      1f
    andl    $~CR0_PG, %eax
    movl    %eax, %cr0
1:
    xorl    %eax, %eax
    movl    %eax, %cr4
    /* EFER exists only where CPUID reports NX or long mode; writing it elsewhere faults. */
    movl    $CPUID_EXTENDED_MAX, %eax
    cpuid
    cmpl    $CPUID_EXTENDED_FEATURES, %eax
    jb      2f
    movl    $CPUID_EXTENDED_FEATURES, %eax
    cpuid
    testl   $(CPUID_EDX_NX | CPUID_EDX_LONG_MODE), %edx
    jz      2f
    movl    $MSR_EFER, %ecx
    xorl    %eax, %eax
    xorl    %edx, %edx
    wrmsr
2:
    jmp     trampoline_common

#include "trampoline_common.inc"

TRAMPOLINE_C_SYMBOL(trampoline_end):
