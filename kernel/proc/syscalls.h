/*
 * The system calls (include/pagoda/syscall.h): the number in the frame's EAX, arguments in EBX,
 * ECX, EDX, ESI, EDI, the result written back to EAX. Every pointer goes through the process's
 * regions (proc/uvm.h) before anything is read or written.
 */
#ifndef PAGODA_PROC_SYSCALLS_H
#define PAGODA_PROC_SYSCALLS_H

#include "../arch/trapframe.h"

void syscall_dispatch(struct isr_frame *frame);

#endif
