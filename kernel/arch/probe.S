/*
 * Instructions that are expected to fault, each followed by a global resume label: a test arms
 * fault_expect(vector, <label>) and calls the probe; the exception handler records the fault and
 * continues at the label, whose `ret` returns to the test as if the instruction had completed.
 * Register state at the label is the state at the fault, so the stack is still balanced.
 */
    .section .text
    .code32

    /* uint32_t probe_read32(uint32_t address) */
    .global probe_read32, probe_read32_resume
probe_read32:
    movl 4(%esp), %ecx
    xorl %eax, %eax
    movl (%ecx), %eax
probe_read32_resume:
    ret

    /* void probe_write32(uint32_t address, uint32_t value) */
    .global probe_write32, probe_write32_resume
probe_write32:
    movl 4(%esp), %ecx
    movl 8(%esp), %eax
    movl %eax, (%ecx)
probe_write32_resume:
    ret

    /* void probe_ud2(void) */
    .global probe_ud2, probe_ud2_resume
probe_ud2:
    ud2
probe_ud2_resume:
    ret

    /* void probe_int3(void): a trap, so the CPU itself resumes after it */
    .global probe_int3
probe_int3:
    int3
    ret

    /* void probe_exec(uint32_t address): calls address (which should hold a ret). If the fetch
       faults, the resume label drops the return address the call pushed by restoring ESP. */
    .global probe_exec, probe_exec_resume
probe_exec:
    pushl %ebp
    movl %esp, %ebp
    movl 8(%esp), %ecx
    call *%ecx
probe_exec_resume:
    movl %ebp, %esp
    popl %ebp
    ret

    .section .note.GNU-stack, "", @progbits
