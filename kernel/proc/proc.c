#include "proc.h"

#include "../arch/context.h"
#include "../arch/x86.h"
#include "../arch/x86_bits.h"
#include "../console/console.h"
#include "../vm/kernel_half.h"
#include "../vm/kstack.h"
#include "exc_decode.h"
#include "fmt.h"
#include "foreground.h"
#include "pg_string.h"
#include "program.h"
#include "sched.h"

static int init_pid;
static bool init_ended;
static int init_status;

/* ---- spawn ---- */

/* The registers a new process starts with: ring 3 at entry, interrupts on. */
static void first_frame(struct task *t, uint32_t entry, uint32_t esp)
{
    struct isr_frame *f = (struct isr_frame *)(uintptr_t)(t->kstack_top - sizeof(*f));
    *f = (struct isr_frame){
        .gs = SEL_USER_DATA,
        .fs = SEL_USER_DATA,
        .es = SEL_USER_DATA,
        .ds = SEL_USER_DATA,
        .eip = entry,
        .cs = SEL_USER_CODE,
        .eflags = EFLAGS_RESERVED | EFLAGS_IF,
        .user_esp = esp,
        .user_ss = SEL_USER_DATA,
    };
    t->frame = f;
    /* Its first switch "returns" into trapframe_return with the frame right above. */
    struct context *c = (struct context *)f - 1;
    *c = (struct context){.eip = (uint32_t)(uintptr_t)trapframe_return};
    t->context = c;
}

static void say_cannot_start(const char *program, const char *why)
{
    console_set_color(CONSOLE_BAD);
    kprintf("pagoda: cannot start %s: %s\n", program, why);
    console_set_color(CONSOLE_NORMAL);
}

int proc_spawn(const char *program, const char *const *argv, uint32_t argc, struct task *parent)
{
    struct vm_space *kernel = parent ? parent->uvm.space.kernel : vm_kernel_space();
    return proc_spawn_in(kernel, program, argv, argc, parent);
}

int proc_spawn_in(struct vm_space *kernel, const char *program, const char *const *argv,
                  uint32_t argc, struct task *parent)
{
    char why[200];
    struct uvm_program image;
    int rc = program_find(program, &image);
    if (rc) {
        /* A parent hears it from spawn's ENOENT and can say it in its own words. */
        if (!parent)
            say_cannot_start(program, "no such program in the ramdisk");
        return rc;
    }
    struct task *t = sched_task_new();
    if (!t) {
        say_cannot_start(program, "the process table is full");
        return -PAGODA_EAGAIN;
    }
    t->kstack_top = vm_kstack_alloc();
    if (!t->kstack_top) {
        sched_task_free(t);
        say_cannot_start(program, "no memory for a kernel stack");
        return -PAGODA_ENOMEM;
    }
    uint32_t entry, esp;
    rc = uvm_create_in(&t->uvm, kernel, &image, argv, argc, &entry, &esp, why, sizeof(why));
    if (rc) {
        vm_kstack_free(t->kstack_top);
        sched_task_free(t);
        say_cannot_start(program, why);
        return rc;
    }
    pg_snprintf(t->name, sizeof(t->name), "%s", program);
    t->parent = parent;
    first_frame(t, entry, esp);
    if (!init_pid) {
        init_pid = t->pid;
        foreground_start(t);
    }
    sched_make_runnable(t);
    return t->pid;
}

/* ---- ending ---- */

/* Its children are nobody's now: when they end, the scheduler frees them. */
static void orphan_children(struct task *parent)
{
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        struct task *t = sched_task_at(i);
        if (!t || t->parent != parent)
            continue;
        t->parent = 0;
        if (t->state == TASK_ZOMBIE) {
            vm_kstack_free(t->kstack_top);
            sched_task_free(t);
        }
    }
}

void proc_exit(int status)
{
    struct task *t = sched_current();
    /* Off its address space before it goes: the CPU must not be using what is freed. Onto its
     * own kernel half, so that the format stays the same. */
    vm_space_switch(vm_space_kernel_half(&t->uvm.space));
    uvm_destroy(&t->uvm);
    orphan_children(t);
    foreground_task_ends(t);
    t->exit_status = status;
    t->state = TASK_ZOMBIE;
    if (t->pid == init_pid) {
        init_ended = true;
        init_status = status;
    }
    if (t->parent && t->parent->state == TASK_BLOCKED)
        sched_wake(t->parent);
    sched_exit_current();
}

static struct task *zombie_child(struct task *parent, int pid, bool *has_child)
{
    *has_child = false;
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        struct task *t = sched_task_at(i);
        if (!t || t->parent != parent || (pid != -1 && t->pid != pid))
            continue;
        *has_child = true;
        if (t->state == TASK_ZOMBIE)
            return t;
    }
    return 0;
}

int proc_wait(int pid, int *status)
{
    struct task *self = sched_current();
    for (;;) {
        bool has_child;
        struct task *child = zombie_child(self, pid, &has_child);
        if (child) {
            int child_pid = child->pid;
            *status = child->exit_status;
            vm_kstack_free(child->kstack_top);
            sched_task_free(child);
            return child_pid;
        }
        if (!has_child)
            return -PAGODA_ECHILD;
        if (self->killed)
            return -PAGODA_ECHILD; /* it ends on its way back to ring 3 */
        sched_block(TASK_BLOCKED);
    }
}

int proc_kill(int pid)
{
    struct task *t = sched_task_by_pid(pid);
    if (!t || t->state == TASK_ZOMBIE)
        return -PAGODA_ESRCH;
    if (pid == init_pid)
        return -PAGODA_EPERM;
    t->killed = true;
    sched_wake(t);
    return 0;
}

void proc_return_to_user(void)
{
    struct task *t = sched_current();
    if (t && t->killed)
        proc_exit(PAGODA_WAIT_STATUS(PAGODA_WAIT_KILLED, t->killed_by_ctrl_c
                                                             ? PAGODA_KILLED_BY_CTRL_C
                                                             : PAGODA_KILLED_BY_KILL));
}

/* ---- faults ---- */

/* "PDPT[0] PD[2] PT[3] not present" or "... -> frame 0x... R-X". */
static void describe_walk(const struct task *t, uint32_t va, char *buf, size_t size)
{
    struct paging_walk w;
    vm_space_translate(&t->uvm.space, va, &w);
    size_t at = 0;
    for (unsigned i = 0; i < w.count && at < size; i++)
        at += (size_t)pg_snprintf(buf + at, size - at, "%s%s[%u]", i ? " " : "", w.level[i].name,
                                  w.level[i].index);
    if (at >= size)
        return;
    if (!w.mapped)
        pg_snprintf(buf + at, size - at, " not present");
    else
        pg_snprintf(buf + at, size - at, " -> frame 0x%llx %c%c%c %s",
                    (unsigned long long)pagoda_page_down(w.pa), 'R',
                    (w.prot & PAGING_PROT_WRITE) ? 'W' : '-',
                    (w.prot & PAGING_PROT_EXEC) ? 'X' : '-',
                    (w.prot & PAGING_PROT_USER) ? "user" : "supervisor");
}

static __attribute__((noreturn)) void kill_for(struct isr_frame *f, uint32_t cr2, int status,
                                               const char *why)
{
    struct task *t = sched_current();
    char decoded[160] = "", walk[200] = "";
    if (exc_has_error_code(f->vector))
        exc_decode_error(f->vector, f->error_code, decoded, sizeof(decoded));
    console_set_color(CONSOLE_BAD);
    if (f->vector == EXC_PF) {
        describe_walk(t, cr2, walk, sizeof(walk));
        kprintf("pagoda: process %d (%s) killed: %s %s at 0x%08x (EIP 0x%08x): %s; %s; walk: %s\n",
                t->pid, t->name, exc_mnemonic(f->vector), exc_name(f->vector), cr2, f->eip, decoded,
                why, walk);
    } else {
        kprintf("pagoda: process %d (%s) killed: %s %s at EIP 0x%08x%s%s%s\n", t->pid, t->name,
                exc_mnemonic(f->vector), exc_name(f->vector), f->eip, decoded[0] ? " (" : "",
                decoded, decoded[0] ? ")" : "");
    }
    console_set_color(CONSOLE_NORMAL);
    proc_exit(status);
}

void proc_user_exception(struct isr_frame *f, uint32_t cr2)
{
    struct task *t = sched_current();
    int fault = PAGODA_WAIT_STATUS(PAGODA_WAIT_FAULT, f->vector);
    if (f->vector != EXC_PF)
        kill_for(f, cr2, fault, "");
    const char *why = "";
    switch (uvm_fault(&t->uvm, cr2, f->error_code, &why)) {
    case UVM_FAULT_HANDLED:
        return;
    case UVM_FAULT_NOMEM:
        kill_for(f, cr2, PAGODA_WAIT_STATUS(PAGODA_WAIT_NOMEM, f->vector), why);
    case UVM_FAULT_BAD:
        break;
    }
    kill_for(f, cr2, fault, why);
}

/* ---- the first process ---- */

int proc_init_pid(void)
{
    return init_pid;
}

bool proc_init_ended(int *status)
{
    if (init_ended)
        *status = init_status;
    return init_ended;
}
