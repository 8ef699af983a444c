/*
 * void trapframe_return(void) (arch/context.h): ESP points at a struct isr_frame
 * (arch/trapframe.h); restore the data segments and general registers, drop the vector and error
 * code, and iret: back to where the interrupt came from, or, for a new process, into ring 3
 * (the frame then holds user CS, EIP, EFLAGS, ESP and SS).
 */
    .section .text
    .code32
    .global trapframe_return
    .type trapframe_return, @function
trapframe_return:
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp /* vector and error code */
    iretl
    .size trapframe_return, . - trapframe_return

    .section .note.GNU-stack, "", @progbits
