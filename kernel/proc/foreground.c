#include "foreground.h"

#include "../console/input.h"
#include "pagoda/syscall.h"
#include "sched.h"

static struct task *holder, *first;

void foreground_start(struct task *t)
{
    holder = first = t;
}

struct task *foreground_task(void)
{
    return holder;
}

static bool alive(const struct task *t)
{
    return t && t->state != TASK_ZOMBIE;
}

static bool is_ancestor(const struct task *ancestor, const struct task *t)
{
    for (; t; t = t->parent)
        if (t == ancestor)
            return true;
    return false;
}

/* The new holder may be blocked in read() already: it has input waiting for it. */
static void hand_to(struct task *t)
{
    holder = t;
    if (t && t->state == TASK_BLOCKED && t->wants_input)
        sched_wake(t);
}

int foreground_give(struct task *caller, int pid)
{
    if (!is_ancestor(caller, holder))
        return -PAGODA_EPERM;
    struct task *t = pid == 0 || pid == caller->pid ? caller : sched_task_by_pid(pid);
    if (!alive(t) || (t != caller && t->parent != caller))
        return -PAGODA_ESRCH;
    hand_to(t);
    return 0;
}

void foreground_task_ends(struct task *t)
{
    if (t != holder)
        return;
    if (alive(t->parent))
        hand_to(t->parent);
    else
        hand_to(alive(first) && first != t ? first : 0);
}

int foreground_read(struct task *self, char *buf, size_t len)
{
    if (self != holder)
        return -1;
    if (self->read_interrupted) {
        self->read_interrupted = false;
        return -PAGODA_EINTR;
    }
    return console_input_read(buf, len);
}

/* Ctrl-C: a reader's read fails, anyone else but the first process is ended. The first process
 * is never ended by it: when it is not reading yet (a shell between printing its prompt and
 * calling read), its next read fails instead, since the line it was about to read is gone. */
static void interrupt(struct task *t)
{
    if (!alive(t))
        return;
    bool reading = t->state == TASK_BLOCKED && t->wants_input;
    if (!reading && t != first) {
        t->killed = true;
        t->killed_by_ctrl_c = true;
        sched_wake(t);
        return;
    }
    t->read_interrupted = true;
    if (reading)
        sched_wake(t);
}

void foreground_input(void)
{
    if (console_input_take_interrupts())
        interrupt(holder);
    if (holder && holder->state == TASK_BLOCKED && holder->wants_input && console_input_readable())
        sched_wake(holder);
}
