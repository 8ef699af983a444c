/*
 * crashme_enter(const struct crash_registers *r): loads every general register, EFLAGS and ESP
 * from *r and jumps to r->target. It never returns: the code it jumps to is random bytes.
 * Layout of struct crash_registers (crashme.c): eax ebx ecx edx esi edi ebp esp eflags target,
 * 4 bytes each.
 */
    .text
    .globl crashme_enter
    .type crashme_enter, @function
crashme_enter:
    movl 4(%esp), %eax
    movl 36(%eax), %ecx
    movl %ecx, crashme_target
    pushl 32(%eax)
    popfl                       /* in ring 3 POPF changes only the flags it may (not IF, IOPL) */
    movl 4(%eax), %ebx
    movl 8(%eax), %ecx
    movl 12(%eax), %edx
    movl 16(%eax), %esi
    movl 20(%eax), %edi
    movl 24(%eax), %ebp
    movl 28(%eax), %esp
    movl 0(%eax), %eax
    jmp *crashme_target
    .size crashme_enter, . - crashme_enter

    .bss
    .balign 4
crashme_target:
    .long 0
