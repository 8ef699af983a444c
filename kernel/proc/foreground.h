/*
 * The console's foreground process (include/pagoda/syscall.h has the rules): who gets the input
 * and whom Ctrl-C is for. The first process holds the console from its start; foreground() hands
 * it to a child, and it comes back to the parent when the child ends.
 */
#ifndef PAGODA_PROC_FOREGROUND_H
#define PAGODA_PROC_FOREGROUND_H

#include <stddef.h>

#include "task.h"

/* The first process: it holds the console, and Ctrl-C never ends it. */
void foreground_start(struct task *first);
struct task *foreground_task(void);
/* foreground(pid) for caller: 0, -PAGODA_EPERM or -PAGODA_ESRCH. */
int foreground_give(struct task *caller, int pid);
/* t is ending: the console goes back to its parent (or the first process). */
void foreground_task_ends(struct task *t);
/* A read of the console by self: bytes of a finished line, 0 at the end of input, -PAGODA_EINTR
 * after a Ctrl-C that came while it waited, or -1 when it must wait (no line yet, or self is not
 * the foreground). */
int foreground_read(struct task *self, char *buf, size_t len);
/* After an input interrupt: Ctrl-C is dealt with and a waiting reader woken. */
void foreground_input(void);

#endif
