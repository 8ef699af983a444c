/*
 * void context_switch(struct context **save, struct context *load) (arch/context.h): push the
 * callee-saved registers (the return address is already on the stack), store ESP in *save, load
 * ESP from load, pop the other thread's registers and return into it. The System V i386 ABI lets
 * the caller assume only EBX, ESI, EDI, EBP and ESP survive a call, so nothing else is saved.
 */
    .section .text
    .code32
    .global context_switch
    .type context_switch, @function
context_switch:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret
    .size context_switch, . - context_switch

    .section .note.GNU-stack, "", @progbits
