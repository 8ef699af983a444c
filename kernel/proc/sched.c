#include "sched.h"

#include "../arch/tss.h"
#include "../arch/x86.h"
#include "../mem/heap.h"
#include "../panic.h"
#include "../vm/space.h"
#include "../vm/kstack.h"
#include "pg_string.h"
#include "timer.h"

static struct task *table[SCHED_MAX_TASKS];
static unsigned task_count;
static int next_pid = 1;
static struct task *current;
static struct context *scheduler_context;
static unsigned last_run; /* round robin: the slot after it is tried first */
static uint32_t quantum_left;
static uint64_t tsc_hz, start_tsc;
static struct sched_stats stats;
static uint64_t idle_cycles;

void sched_init(uint64_t rate)
{
    tsc_hz = rate;
    start_tsc = rdtsc();
    timer_start(tsc_hz, SCHED_TICK_MS);
}

/* ---- the table ---- */

struct task *sched_task_new(void)
{
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        if (table[i])
            continue;
        struct task *t = kzalloc(sizeof(*t));
        if (!t)
            return 0;
        t->pid = next_pid++;
        table[i] = t;
        task_count++;
        return t;
    }
    return 0;
}

void sched_task_free(struct task *t)
{
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        if (table[i] != t)
            continue;
        table[i] = 0;
        task_count--;
        kfree(t);
        return;
    }
    panic("sched: freeing a task (pid %d) that is not in the table", t->pid);
}

struct task *sched_task_by_pid(int pid)
{
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++)
        if (table[i] && table[i]->pid == pid)
            return table[i];
    return 0;
}

struct task *sched_task_at(unsigned i)
{
    return i < SCHED_MAX_TASKS ? table[i] : 0;
}

unsigned sched_task_count(void)
{
    return task_count;
}

struct task *sched_current(void)
{
    return current;
}

/* ---- giving up the CPU ---- */

static void switch_to_scheduler(void)
{
    struct task *t = current;
    context_switch(&t->context, scheduler_context);
}

void sched_make_runnable(struct task *t)
{
    t->state = TASK_RUNNABLE;
}

void sched_yield(void)
{
    current->state = TASK_RUNNABLE;
    switch_to_scheduler();
}

void sched_block(enum task_state why)
{
    current->state = why;
    switch_to_scheduler();
}

void sched_wake(struct task *t)
{
    if (t->state == TASK_BLOCKED || t->state == TASK_SLEEPING)
        t->state = TASK_RUNNABLE;
}

void sched_sleep(uint32_t ms)
{
    current->wake_tsc = rdtsc() + tsc_hz / 1000u * ms; /* no overflow for any ms */
    while (!current->killed && rdtsc() < current->wake_tsc)
        sched_block(TASK_SLEEPING);
}

void sched_exit_current(void)
{
    if (current->state != TASK_ZOMBIE)
        panic("sched: pid %d leaves the CPU for good without having ended", current->pid);
    switch_to_scheduler();
    panic("sched: pid %d ran again after it ended", current->pid);
}

/* ---- time ---- */

uint64_t sched_uptime_ms(void)
{
    return tsc_hz ? (rdtsc() - start_tsc) * 1000u / tsc_hz : 0;
}

uint64_t sched_ticks(void)
{
    return stats.ticks;
}

/* Sleepers whose time has come. (Readers are woken by the input interrupt, proc/foreground.h.) */
static void wake_sleepers(void)
{
    uint64_t now = rdtsc();
    for (unsigned i = 0; i < SCHED_MAX_TASKS; i++) {
        struct task *t = table[i];
        if (t && t->state == TASK_SLEEPING && (now >= t->wake_tsc || t->killed))
            t->state = TASK_RUNNABLE;
    }
}

void sched_tick(bool from_user)
{
    stats.ticks++;
    timer_acknowledge();
    wake_sleepers();
    if (!current || !from_user)
        return;
    if (quantum_left > 1) {
        quantum_left--;
        return;
    }
    stats.preemptions++;
    sched_yield();
}

/* ---- the scheduler ---- */

static struct task *pick_next(void)
{
    for (unsigned n = 1; n <= SCHED_MAX_TASKS; n++) {
        unsigned i = (last_run + n) % SCHED_MAX_TASKS;
        if (table[i] && table[i]->state == TASK_RUNNABLE) {
            last_run = i;
            return table[i];
        }
    }
    return 0;
}

static void run(struct task *t)
{
    vm_space_switch(&t->uvm.space);
    tss_set_kernel_stack(t->kstack_top);
    t->state = TASK_RUNNING;
    t->switches_in++;
    stats.switches++;
    quantum_left = SCHED_QUANTUM;
    current = t;
    context_switch(&scheduler_context, t->context);
    current = 0;
    /* An ended process nobody waits for: its kernel stack is no longer in use now. */
    if (t->state == TASK_ZOMBIE && !t->parent) {
        vm_kstack_free(t->kstack_top);
        sched_task_free(t);
    }
}

/* Nothing to run: halt with interrupts on until the next interrupt (the tick, input). Without
 * a tick, only the TSC tells when a sleeper is due; input still comes by its interrupt, taken
 * in the moment the pause leaves interrupts on. */
static void idle(void)
{
    uint64_t start = rdtsc();
    stats.idle_halts++;
    if (timer_info()->running)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    else
        __asm__ volatile("sti; pause; cli" ::: "memory");
    idle_cycles += rdtsc() - start;
    wake_sleepers();
}

void sched_run(bool (*until)(void))
{
    while (!until()) {
        struct task *t = pick_next();
        if (t)
            run(t);
        else
            idle();
    }
    /* Back on a kernel space (of the last process's format): its space may be destroyed next. */
    vm_space_switch(vm_space_kernel_half(vm_space_current()));
}

void sched_stats(struct sched_stats *out)
{
    *out = stats;
    out->idle_ms = tsc_hz ? idle_cycles * 1000u / tsc_hz : 0;
}
