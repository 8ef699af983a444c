/*
 * MSVC's 64-bit division helpers: two u64 arguments on the stack, result in %edx:%eax, the
 * callee pops its 16 bytes of arguments. Both forward to ia32_udivmod64 (cdecl).
 */
    .text
    .globl  __aulldiv
    .globl  __aullrem

__aulldiv:
    pushl   $0                      /* remainder pointer: not wanted */
    pushl   20(%esp)                /* divisor high */
    pushl   20(%esp)                /* divisor low */
    pushl   20(%esp)                /* dividend high */
    pushl   20(%esp)                /* dividend low */
    call    _ia32_udivmod64
    addl    $20, %esp
    ret     $16

__aullrem:
    subl    $8, %esp                /* the remainder lands here */
    pushl   %esp                    /* pushes the address of that slot */
    pushl   28(%esp)                /* divisor high */
    pushl   28(%esp)                /* divisor low */
    pushl   28(%esp)                /* dividend high */
    pushl   28(%esp)                /* dividend low */
    call    _ia32_udivmod64
    addl    $20, %esp
    movl    (%esp), %eax
    movl    4(%esp), %edx
    addl    $8, %esp
    ret     $16
