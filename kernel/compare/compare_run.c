#include "compare_run.h"

#include <stddef.h>

#include "../arch/x86.h"
#include "../proc/proc.h"
#include "../proc/sched.h"
#include "../vm/phys.h"
#include "compare_record.h"
#include "fmt.h"
#include "pagoda/page.h"

#define DEADLINE_SECONDS      60u
#define DEADLINE_CYCLES_NO_HZ (1ull << 38) /* about a minute at 4 GHz */

static uint64_t deadline_cycles = DEADLINE_CYCLES_NO_HZ;
static uint64_t cycles_per_ms, start_tsc;

/* What the scheduler's stop test looks at: it takes no arguments. */
static struct {
    struct compare_bench *runs;
    unsigned count;
    bool acked;
    uint64_t deadline;
} watch;

void compare_bench_setup(uint64_t tsc_hz)
{
    if (tsc_hz)
        deadline_cycles = tsc_hz * DEADLINE_SECONDS;
    cycles_per_ms = tsc_hz / 1000;
    start_tsc = rdtsc();
}

/* The box's state word, read through its frame; 0 until the program has touched the box. */
static uint32_t box_state(struct compare_bench *r, struct task *t)
{
    if (!r->box_frame) {
        struct paging_walk w;
        vm_space_translate(&t->uvm.space, t->uvm.heap_start, &w);
        if (!w.mapped || t->uvm.brk == t->uvm.heap_start)
            return 0;
        r->box_frame = pagoda_page_down(w.pa);
    }
    const volatile struct pagoda_bench_box *box = vm_frame_map(r->box_frame);
    return box->magic == PAGODA_BENCH_MAGIC ? box->state : 0;
}

/* Copies a finished box out; a process that has gone leaves an empty one. */
static bool collect(struct compare_bench *r)
{
    struct task *t = sched_task_by_pid(r->pid);
    if (!t || t->state == TASK_ZOMBIE) {
        r->box.state = 0;
        return true;
    }
    uint32_t state = box_state(r, t);
    if (state != PAGODA_BENCH_DONE && state != PAGODA_BENCH_FAILED)
        return false;
    if (uvm_copy_in(&t->uvm, &r->box, t->uvm.heap_start, sizeof(r->box)) != 0)
        r->box.state = 0;
    return true;
}

static void acknowledge(struct compare_bench *r)
{
    struct task *t = sched_task_by_pid(r->pid);
    uint32_t ack = PAGODA_BENCH_ACK;
    if (t && t->state != TASK_ZOMBIE)
        uvm_copy_out(&t->uvm,
                     t->uvm.heap_start + (uint32_t)offsetof(struct pagoda_bench_box, state), &ack,
                     sizeof(ack));
}

/* The scheduler's stop test, between two processes. */
static bool finished(void)
{
    bool all_read = true;
    for (unsigned i = 0; i < watch.count; i++) {
        struct compare_bench *r = &watch.runs[i];
        if (!r->read)
            r->read = collect(r);
        all_read = all_read && r->read;
    }
    if (!all_read) {
        if (rdtsc() > watch.deadline)
            compare_give_up("cmpbench did not finish within a minute");
        return false;
    }
    if (!watch.acked) {
        for (unsigned i = 0; i < watch.count; i++)
            acknowledge(&watch.runs[i]);
        watch.acked = true;
    }
    if (sched_task_count() != 0 && rdtsc() > watch.deadline)
        compare_give_up("cmpbench did not exit after its box was read");
    return sched_task_count() == 0;
}

bool compare_bench_run(enum compare_mode mode, struct compare_bench *runs, unsigned count,
                       char *why, size_t why_size)
{
    struct vm_space *kernel = compare_sides[mode].space;
    compare_serial("# compare: %s %s in %s paging, %u at once (at %llu ms)\n", runs[0].argv[0],
                   runs[0].argv[1], compare_mode_name(mode), count,
                   cycles_per_ms ? (unsigned long long)((rdtsc() - start_tsc) / cycles_per_ms)
                                 : 0ull);
    watch = (typeof(watch)){.runs = runs, .count = 0, .deadline = rdtsc() + deadline_cycles};
    for (unsigned i = 0; i < count; i++) {
        struct compare_bench *r = &runs[i];
        uint32_t argc = 0;
        while (argc < COMPARE_BENCH_MAX_ARGS && r->argv[argc])
            argc++;
        r->read = false;
        r->box_frame = 0;
        r->box.state = 0;
        r->pid = proc_spawn_in(kernel, r->argv[0], r->argv, argc, 0);
        if (r->pid < 0) {
            pg_snprintf(why, why_size, "%s %s: cannot start it", r->argv[0], r->argv[1]);
            break;
        }
        watch.count = i + 1;
    }
    sched_run(finished);
    for (unsigned i = 0; i < count; i++) {
        const struct compare_bench *r = &runs[i];
        const char *what = i < watch.count ? 0 : "not started";
        if (!what && r->box.state == 0)
            what = "ended before its box was done";
        else if (!what && r->box.state == PAGODA_BENCH_FAILED)
            what = r->box.what;
        if (what) {
            if (i < watch.count)
                pg_snprintf(why, why_size, "%s %s in %s: %s (error %u)", r->argv[0], r->argv[1],
                            compare_mode_name(mode), what, r->box.error);
            return false;
        }
    }
    return true;
}
