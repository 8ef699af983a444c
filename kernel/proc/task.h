/*
 * A process, as the scheduler (proc/sched.c) and the process lifecycle (proc/proc.c) share it.
 * Each has its own kernel stack (a slot of kernel/vm/kstack.h with a guard page below it), on
 * which its user traps are handled and its kernel context is saved when it is switched out.
 */
#ifndef PAGODA_PROC_TASK_H
#define PAGODA_PROC_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/context.h"
#include "../arch/trapframe.h"
#include "pagoda/syscall.h"
#include "uvm.h"

enum task_state {
    TASK_RUNNABLE, /* waiting for the CPU */
    TASK_RUNNING,  /* on the CPU */
    TASK_SLEEPING, /* sleep(ms): until wake_tsc */
    TASK_BLOCKED,  /* waiting for a child (wait) or for input (read) */
    TASK_ZOMBIE,   /* exited; its parent's wait collects the status and frees the rest */
};

struct task {
    int pid;
    char name[PAGODA_PROGRAM_NAME_LEN];
    enum task_state state;
    struct task *parent; /* NULL: nobody waits for it, the scheduler frees it when it ends */
    struct uvm uvm;
    uint32_t kstack_top;
    struct context *context; /* where it was switched out */
    struct isr_frame *frame; /* its user registers, at the top of its kernel stack */
    uint64_t wake_tsc;       /* TASK_SLEEPING */
    bool killed;             /* kill() asked: it ends the next time it would return to ring 3 */
    bool killed_by_ctrl_c;   /* ... and it was Ctrl-C at the console (proc/foreground.h) */
    bool wants_input;        /* blocked in read(): woken when the console has a line for it */
    bool read_interrupted;   /* Ctrl-C came while it waited in read(): the read fails */
    int exit_status;         /* PAGODA_WAIT_STATUS, once a zombie */
    uint64_t switches_in;    /* times the scheduler gave it the CPU */
};

#endif
