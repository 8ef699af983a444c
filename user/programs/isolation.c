/*
 * isolation: the demonstration that paging isolates processes (init=isolation). It starts
 *   - reader, a "PDF reader" that keeps printing its progress;
 *   - browser, which writes past the end of its array into unmapped memory;
 *   - browser --kernel, which writes into the kernel half;
 *   - stackexec, which copies code onto its stack and jumps to it;
 * waits for all of them (60 s at most) and prints what happened to each and why, from the wait
 * statuses and from vminfo's paging format and nx field.
 *
 * Exit status 0 when everything went as isolation says it must: both browsers killed by #PF,
 * the reader finished with its pages intact, stackexec killed by #PF under NX or run to a clean
 * exit without it. 1 otherwise; 2 when a program could not be started.
 */
#include <user.h>

#define DEADLINE_MS 60000

enum { READER, BROWSER, BROWSER_KERNEL, STACKEXEC, PROGRAMS };

static const char *const names[PROGRAMS] = {"reader", "browser", "browser --kernel", "stackexec"};
static const char *const roles[PROGRAMS] = {
    "a PDF reader that keeps printing its progress",
    "a buggy browser that writes past the end of its array",
    "the browser again, writing into the kernel half",
    "copies code onto its stack and jumps to it",
};

static int start(int which)
{
    const char *argv[3] = {NULL, NULL, NULL};
    const char *program = which == BROWSER_KERNEL ? "browser" : names[which];
    argv[0] = program;
    if (which == BROWSER_KERNEL)
        argv[1] = "--kernel";
    int pid = spawn(program, argv);
    if (pid < 0)
        printf("isolation: cannot start %s: %s\n", names[which], strerror(errno));
    else
        printf("isolation: started %s (pid %d): %s\n", names[which], pid, roles[which]);
    return pid;
}

static int is_fault(int status, uint32_t vector)
{
    return PAGODA_WAIT_HOW(status) == PAGODA_WAIT_FAULT && PAGODA_WAIT_WHAT(status) == vector;
}

static int is_clean_exit(int status)
{
    return PAGODA_WAIT_HOW(status) == PAGODA_WAIT_EXITED && PAGODA_WAIT_WHAT(status) == 0;
}

int main(void)
{
    struct pagoda_vm_info info;
    if (vminfo(0, &info) < 0) {
        printf("isolation: vminfo: %s\n", strerror(errno));
        return 2;
    }
    const char *format = info.format == PAGODA_VM_PAE ? "PAE" : "two-level";
    printf("isolation: four programs, each in its own address space (%s paging, NX %s)\n", format,
           info.nx ? "enforced" : "not available");

    struct child children[PROGRAMS];
    children[READER].pid = start(READER);
    if (children[READER].pid < 0)
        return 2;
    sleep_ms(400); /* let the reader show a page or two before the crashes */
    int started = 1;
    for (int i = BROWSER; i < PROGRAMS; i++) {
        children[i].pid = start(i);
        if (children[i].pid < 0)
            break;
        started++;
    }
    if (wait_children(children, started, DEADLINE_MS) < 0) {
        printf("isolation: waiting for the programs: %s\n", strerror(errno));
        return 2;
    }
    if (started < PROGRAMS)
        return 2;

    int ok = 1;
    char text[64];
    for (int i = 0; i < PROGRAMS; i++) {
        int status = children[i].status;
        const char *verdict;
        int expected;
        switch (i) {
        case READER:
            expected = is_clean_exit(status);
            verdict = expected ? "it read all its pages, untouched by the crashes next to it"
                               : "it should have finished its pages";
            break;
        case BROWSER:
            expected = is_fault(status, 14);
            verdict = expected ? "its overflow reached an unmapped page; only it died"
                               : "it should have been killed by #PF";
            break;
        case BROWSER_KERNEL:
            expected = is_fault(status, 14);
            verdict = expected ? "kernel pages are mapped without the user bit; only it died"
                               : "it should have been killed by #PF";
            break;
        default:
            if (info.nx) {
                expected = is_fault(status, 14);
                verdict = expected ? "NX: the CPU refused to fetch code from its stack"
                                   : "under NX it should have been killed by #PF";
            } else {
                expected = is_clean_exit(status);
                verdict = expected ? (info.format == PAGODA_VM_PAE
                                          ? "no NX on this CPU: the stack code ran"
                                          : "two-level paging has no execute-disable bit: the "
                                            "stack code ran")
                                   : "without NX its stack code should have run";
            }
            break;
        }
        printf("isolation: %s (pid %d) %s%s: %s\n", names[i], children[i].pid,
               wait_status_text(status, text, sizeof(text)),
               children[i].timed_out ? " after the deadline" : "", verdict);
        ok &= expected;
    }
    if (ok)
        printf("isolation: PASS: both browsers killed, the reader finished, stackexec %s, "
               "the kernel runs on (%s paging)\n",
               info.nx ? "stopped by NX" : "ran its stack code", format);
    else
        printf("isolation: FAIL: see the lines above\n");
    return ok ? 0 : 1;
}
