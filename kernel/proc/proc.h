/*
 * The lifecycle of a process: spawn (a program of the ramdisk, with arguments, in a fresh address
 * space), exit, wait, kill, and the end of a process that broke a rule: a fault in ring 3 that is
 * not demand paging prints one decoded line and ends only that process.
 *
 * Exit statuses are PAGODA_WAIT_STATUS values (include/pagoda/syscall.h). A process whose parent
 * ends first is nobody's child any more: when it ends, the scheduler frees it. Everything a
 * process holds (its frames, its page tables, its kernel stack, its slot) is given back when it
 * is reaped, so the free-frame count after all processes have ended equals the count before.
 */
#ifndef PAGODA_PROC_PROC_H
#define PAGODA_PROC_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/trapframe.h"
#include "task.h"

/* A new runnable process running program with argv (argc strings, kernel memory). Its pid, or a
 * negated PAGODA_E* code (the reason is printed). parent: NULL for the first process. */
int proc_spawn(const char *program, const char *const *argv, uint32_t argc, struct task *parent);
/* The same in the paging format of kernel, a kernel space of either format (vm_kernel_space_of).
 * proc_spawn takes the parent's format (the boot format for the first process): a process's
 * children run in its format. */
int proc_spawn_in(struct vm_space *kernel, const char *program, const char *const *argv,
                  uint32_t argc, struct task *parent);
/* Ends the current process with status. */
__attribute__((noreturn)) void proc_exit(int status);
/* Waits for a child to end (pid -1: any) and reaps it: its pid and *status, or -PAGODA_ECHILD
 * when there is no such child. A kill of the waiting process ends the wait early (with
 * -PAGODA_ECHILD); the process then ends on its way back to ring 3. */
int proc_wait(int pid, int *status);
/* Asks process pid to end (it does the next time it would return to ring 3). 0, -PAGODA_ESRCH,
 * or -PAGODA_EPERM for the first process. */
int proc_kill(int pid);

/* A CPU exception in ring 3 (frame from the current process). Returns if it was demand paging:
 * the access is retried. Otherwise prints why and ends the process. */
void proc_user_exception(struct isr_frame *frame, uint32_t cr2);
/* On every way back to ring 3: a process that was killed ends here. */
void proc_return_to_user(void);

/* The first process's pid (0 before it exists) and, once it has ended, its status. */
int proc_init_pid(void);
bool proc_init_ended(int *status);

#endif
