/*
 * Waiting for a group of children with a deadline. wait() blocks and kill() ends a process, so
 * the deadline is one more child, the `sleep` program: whichever ends first decides.
 */
#include "user.h"

static struct child *find_child(struct child *children, int count, int pid)
{
    for (int i = 0; i < count; i++) {
        if (children[i].pid == pid)
            return &children[i];
    }
    return NULL;
}

/* Kills every child still pending and reaps it. A child that ended by itself meanwhile keeps
 * its own status; the others are marked as ended by the deadline when by_deadline is set. */
static void kill_pending(struct child *children, int count, int by_deadline)
{
    for (int i = 0; i < count; i++) {
        if (children[i].timed_out < 0)
            kill(children[i].pid);
    }
    for (int i = 0; i < count; i++) {
        if (children[i].timed_out >= 0)
            continue;
        int status = 0;
        if (wait(children[i].pid, &status) < 0)
            status = PAGODA_WAIT_STATUS(PAGODA_WAIT_KILLED, 0);
        children[i].status = status;
        children[i].timed_out = by_deadline && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_KILLED;
    }
}

int wait_children(struct child *children, int count, uint32_t timeout_ms)
{
    for (int i = 0; i < count; i++) {
        children[i].status = 0;
        children[i].timed_out = -1; /* pending */
    }
    int timer = 0;
    if (timeout_ms) {
        char ms[12];
        snprintf(ms, sizeof(ms), "%u", timeout_ms);
        const char *argv[] = {"sleep", ms, NULL};
        timer = spawn("sleep", argv);
        if (timer < 0) {
            int error = errno;
            kill_pending(children, count, 0);
            errno = error;
            return -1;
        }
    }
    int pending = count;
    while (pending > 0) {
        int status;
        int pid = wait(-1, &status);
        if (pid < 0) {
            int error = errno;
            kill_pending(children, count, 0);
            if (timer > 0) {
                kill(timer);
                wait(timer, &status);
            }
            errno = error;
            return -1;
        }
        if (pid == timer) {
            timer = 0;
            kill_pending(children, count, 1);
            break;
        }
        struct child *c = find_child(children, count, pid);
        if (c && c->timed_out < 0) {
            c->status = status;
            c->timed_out = 0;
            pending--;
        }
    }
    if (timer > 0) {
        int status;
        kill(timer);
        wait(timer, &status);
    }
    return 0;
}
