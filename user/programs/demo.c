/*
 * demo: a first process that needs no keyboard (init=demo on the kernel command line): it says
 * what it is, starts hello, hello with arguments and vm, waits for them (30 s at most), reports
 * how each ended, and exits.
 *
 * Exit status: 0 when every program exited with status 0; 1 otherwise; 2 when one could not be
 * started.
 */
#include <user.h>

#define DEADLINE_MS 30000

static const char *const hello_plain[] = {"hello", NULL};
static const char *const hello_args[] = {"hello", "from", "demo", NULL};
static const char *const vm_self[] = {"vm", NULL};

static const struct {
    const char *program;
    const char *const *argv;
} programs[] = {
    {"hello", hello_plain},
    {"hello", hello_args},
    {"vm", vm_self},
};
#define PROGRAM_COUNT (int)(sizeof(programs) / sizeof(programs[0]))

int main(void)
{
    printf("demo: process %d: starting %d programs, then exiting\n", getpid(), PROGRAM_COUNT);
    struct child children[PROGRAM_COUNT];
    int started = 0;
    for (; started < PROGRAM_COUNT; started++) {
        int pid = spawn(programs[started].program, programs[started].argv);
        if (pid < 0) {
            printf("demo: cannot start %s: %s\n", programs[started].program, strerror(errno));
            break;
        }
        children[started].pid = pid;
    }
    if (wait_children(children, started, DEADLINE_MS) < 0) {
        printf("demo: waiting: %s\n", strerror(errno));
        return 2;
    }
    int all_zero = 1;
    char text[64];
    for (int i = 0; i < started; i++) {
        int status = children[i].status;
        printf("demo: %s (pid %d) %s%s\n", programs[i].program, children[i].pid,
               wait_status_text(status, text, sizeof(text)),
               children[i].timed_out ? " after the deadline" : "");
        all_zero &= PAGODA_WAIT_HOW(status) == PAGODA_WAIT_EXITED && PAGODA_WAIT_WHAT(status) == 0;
    }
    if (started < PROGRAM_COUNT)
        return 2;
    printf("demo: %s\n", all_zero ? "all programs exited with status 0"
                                  : "some programs did not exit with status 0");
    return all_zero ? 0 : 1;
}
