/*
 * The entry point of every program. The kernel starts it with ESP at argc, then argv[0..argc-1],
 * a NULL, and the strings above (include/pagoda/syscall.h). EBP is zeroed so that a backtrace
 * ends here; the stack is aligned to 16 bytes at the call, as the i386 System V ABI wants.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    movl (%esp), %eax        /* argc */
    leal 4(%esp), %edx       /* argv */
    andl $-16, %esp
    subl $8, %esp
    pushl %edx
    pushl %eax
    call user_start          /* exit(main(argc, argv)): never returns */
    ud2
    .size _start, . - _start
