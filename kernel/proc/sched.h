/*
 * The table of processes and the CPU: preemptive round robin, as in xv6. The scheduler runs on
 * the boot stack; it switches to a runnable process (its address space, its kernel stack in the
 * TSS, its context), and a process switches back when it yields, blocks, sleeps or ends. The
 * local APIC timer ticks every SCHED_TICK_MS; a process that has used its quantum in ring 3 is
 * preempted at the next tick. The kernel itself runs with interrupts off and is never
 * preempted; with nothing to run the scheduler halts with interrupts on until the next tick.
 */
#ifndef PAGODA_PROC_SCHED_H
#define PAGODA_PROC_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "task.h"

#define SCHED_MAX_TASKS 128
#define SCHED_TICK_MS   10u
#define SCHED_QUANTUM   2u /* ticks */

/* Starts the tick (proc/timer.h). tsc_hz: the TSC rate the sleeps are measured in. */
void sched_init(uint64_t tsc_hz);

/* A free slot with a fresh pid, zeroed, not yet runnable; NULL when the table is full. */
struct task *sched_task_new(void);
/* Gives a slot back (its kernel stack must be freed already). */
void sched_task_free(struct task *t);
struct task *sched_task_by_pid(int pid);
/* Slot i of the table, NULL if unused (for walks over every process). */
struct task *sched_task_at(unsigned i);
unsigned sched_task_count(void);

/* The process on the CPU, or NULL in the scheduler. */
struct task *sched_current(void);

void sched_make_runnable(struct task *t);
/* From a process: give the CPU up and come back later (runnable). */
void sched_yield(void);
/* From a process: give the CPU up until sched_wake (state set by the caller). */
void sched_block(enum task_state why);
/* Makes a blocked or sleeping process runnable again. */
void sched_wake(struct task *t);
/* From a process: sleep for ms milliseconds (a kill ends the sleep early). */
void sched_sleep(uint32_t ms);
/* From a process that has ended (a zombie): switch away for good. */
__attribute__((noreturn)) void sched_exit_current(void);

/* Every tick (from the timer interrupt): wakes sleepers and preempts a process that has used
 * its quantum. from_user: the tick interrupted ring 3. */
void sched_tick(bool from_user);
/* Milliseconds since sched_init, from the TSC. */
uint64_t sched_uptime_ms(void);
/* Ticks since sched_init. */
uint64_t sched_ticks(void);

/* Runs processes while until() is false, then returns (on the boot stack, no process on the
 * CPU). */
void sched_run(bool (*until)(void));

/* Counters for the boot log and the comparison. */
struct sched_stats {
    uint64_t switches;    /* context switches to a process */
    uint64_t preemptions; /* of them: quantum used up at a tick */
    uint64_t idle_halts;
    uint64_t idle_ms; /* with nothing to run */
    uint64_t ticks;
};
void sched_stats(struct sched_stats *out);

#endif
