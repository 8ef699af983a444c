/*
 * Processes in both formats, in the same boot:
 *  - page tables per process (exact): every program of the ramdisk as spawned, usertests grown
 *    the way its cases grow it, and the sparse layout in a user space; the tables the space owns,
 *    read from kernel/paging's counters, against compare_arith.c applied to the runs of pages
 *    that are mapped (each run also goes out as a CMPRUN line for the report's own arithmetic),
 *    and the seed's flat single-level table beside them;
 *  - the kernel half's sharing (exact): root entries a new user space copies, and copies made
 *    when the kernel half gets a new page table while 1, 8 or 64 user spaces share it, counted
 *    where kernel/paging makes them;
 *  - the NX row: stackexec, which runs code it copied onto its stack, started by cmpbench;
 *  - timings in ring 3 (cmpbench, compare_run.h): getpid round trip, yield between two
 *    processes with and without global kernel pages, a demand-paging fault per page; and in the
 *    kernel, a spawn's address space for two programs of different sizes.
 */
#include "compare_proc.h"

#include "../arch/layout.h"
#include "../arch/pte_bits.h"
#include "../console/console.h"
#include "../proc/program.h"
#include "../proc/uvm.h"
#include "../vm/kernel_half.h"
#include "compare_arith.h"
#include "compare_run.h"
#include "compare_record.h"
#include "sample_stats.h"
#include "compare_struct.h"
#include "compare_time.h"
#include "exc_decode.h"
#include "fmt.h"
#include "pagoda/page.h"
#include "pagoda/user_layout.h"
#include "pg_string.h"

#define KIB 1024u
#define MIB (1024u * KIB)

#define BENCH_PROGRAM "cmpbench"
#define LOAD_PROGRAM  "cmpload"
#define PAIR_SAMPLES  "500" /* each of the two switching processes: 1000 samples together */
#define HEAP_TO_LIMIT UINT32_MAX

/* usertests' cases run in child processes of usertests: each grows the same image its way. */
static const struct usertests_layout {
    const char *name;
    uint32_t stack_bytes; /* mapped from the stack's top down */
    uint32_t heap_bytes;  /* the break moved up by this much (HEAP_TO_LIMIT: to the limit) */
    bool touch_heap;      /* and every page of it touched */
} usertests_layouts[] = {
    {"usertests/stack_grow", 900 * KIB, 0, false},      /* recursion to 900 KiB */
    {"usertests/stack_object_64k", 68 * KIB, 0, false}, /* a 64 KiB local below the top */
    {"usertests/sbrk_grow", 0, 1 * MIB, true},          /* 1 MiB of heap, every page written */
    {"usertests/sbrk_limits", 0, HEAP_TO_LIMIT, false}, /* the break at its limit, untouched */
    {"usertests/exhaust_memory", 0, 64 * MIB, true},    /* one hog after its first 64 MiB */
};
#define USERTESTS_LAYOUTS (sizeof(usertests_layouts) / sizeof(usertests_layouts[0]))

/* Layouts the screen shows (the records hold them all). */
static const char *const screen_layouts[COMPARE_SCREEN_LAYOUTS] = {
    "sh", "usertests", "usertests/exhaust_memory", "sparse"};

static const uint32_t share_users[] = {1, 8, 64};
#define SHARE_MAX_USERS 64u

static struct uvm layout;
static struct vm_space bare[SHARE_MAX_USERS];
static struct compare_bench runs[2];
static uint32_t scratch[2 * PAGODA_BENCH_MAX_SAMPLES];
static uint32_t pair_samples[2 * PAGODA_BENCH_MAX_SAMPLES];
static uint32_t spawn_pages[COMPARE_MODES][2]; /* cmpbench, cmpload */

/* cmpbench's arguments (n may be NULL); the box is left alone: it is 12 KiB, more than a
 * temporary on the boot stack may take. */
static struct compare_bench *bench_args(struct compare_bench *r, const char *what, const char *n)
{
    r->argv[0] = BENCH_PROGRAM;
    r->argv[1] = what;
    r->argv[2] = n;
    r->argv[3] = 0;
    return r;
}

/* The programs the process metrics run; without one of them (an image made without the
 * build's programs.tar) they are left out. */
static const char *const needed_programs[] = {BENCH_PROGRAM, LOAD_PROGRAM, "usertests",
                                              "stackexec"};
static bool processes_possible;

void compare_proc_setup(void)
{
    for (unsigned m = 0; m < COMPARE_MODES; m++)
        compare_info(m ? "pge_pae" : "pge_2level", "%s",
                     compare_paging(m)->env.pge_available ? "yes" : "no");
    processes_possible = true;
    for (unsigned i = 0; i < sizeof(needed_programs) / sizeof(needed_programs[0]); i++) {
        struct uvm_program p;
        if (program_find(needed_programs[i], &p) == 0)
            continue;
        console_set_color(CONSOLE_WARN);
        kprintf("compare: no program %s in the ramdisk (an image without the build's "
                "programs.tar): the processes are left out of this comparison\n",
                needed_programs[i]);
        console_set_color(CONSOLE_NORMAL);
        processes_possible = false;
        break;
    }
    compare_info("processes", "%s", processes_possible ? "yes" : "no (no programs)");
    compare_summary.processes = processes_possible;
}

/* ---- page tables per process ---- */

struct layout_walk {
    enum compare_mode mode;
    const char *name;
    struct vm_space *space;
    struct cmp_tables expect;
    uint32_t mapped;
};

static void end_run(struct layout_walk *lw, uint32_t start, uint32_t *pages)
{
    if (!*pages)
        return;
    cmp_tables_add(&lw->expect, start, start, (uint64_t)*pages * PAGODA_PAGE_SIZE, false);
    compare_serial("CMPRUN,%s,%s,0x%08x,%u\n", lw->name, compare_mode_name(lw->mode), start,
                   *pages);
    lw->mapped += *pages;
    *pages = 0;
}

/* The mapped runs of [start, end) (4 KiB pages, as processes have them): each one into the
 * arithmetic and the record. Where an entry above the leaves is missing, the walk skips all it
 * would cover. */
static void walk_range(struct layout_walk *lw, uint32_t start, uint32_t end)
{
    const struct paging *pg = vm_space_paging(lw->space);
    uint32_t run_start = 0, run_pages = 0;
    uint64_t va = start;
    while (va < end) {
        struct paging_walk w;
        vm_space_translate(lw->space, (uint32_t)va, &w);
        if (w.mapped) {
            if (!run_pages)
                run_start = (uint32_t)va;
            run_pages++;
            va += PAGODA_PAGE_SIZE;
            continue;
        }
        end_run(lw, run_start, &run_pages);
        uint64_t span = paging_level_span(pg, w.count - 1);
        va = (va & ~(span - 1)) + span;
    }
    end_run(lw, run_start, &run_pages);
}

static void layout_records(struct layout_walk *lw, uint32_t resident)
{
    enum compare_mode mode = lw->mode;
    bool pae = compare_sides[mode].pae;
    const uint32_t *tables = vm_space_tables(lw->space);
    unsigned levels = compare_paging(mode)->mode->levels;
    uint32_t total = 0;
    for (unsigned level = 0; level < levels; level++)
        total += tables[level];
    uint64_t bytes = (uint64_t)(pae ? CMP_PDPT_BYTES : PAGODA_PAGE_SIZE) +
                     (uint64_t)(total - tables[0]) * PAGODA_PAGE_SIZE;
    const char *n = lw->name;
    compare_structural("proc_pt_bytes", mode, "4k", n, bytes, cmp_tables_bytes(&lw->expect),
                       "bytes");
    compare_structural("proc_pt_pages", mode, "4k", n, total, cmp_tables_total_pages(&lw->expect),
                       "pages");
    compare_structural("proc_pt_leaf", mode, "4k", n, tables[levels - 1],
                       lw->expect.pages[levels - 1], "pages");
    compare_structural("proc_pt_mid", mode, "4k", n, pae ? tables[1] : 0,
                       pae ? lw->expect.pages[1] : 0, "pages");
    compare_structural("proc_mapped", mode, "4k", n, lw->mapped, resident, "pages");
    for (unsigned i = 0; i < COMPARE_SCREEN_LAYOUTS; i++)
        if (!strcmp(n, screen_layouts[i]))
            compare_summary.proc_bytes[mode][i] = bytes;
}

static void uvm_layout(enum compare_mode mode, const char *name)
{
    struct layout_walk lw = {.mode = mode, .name = name, .space = &layout.space};
    cmp_tables_start(&lw.expect, compare_sides[mode].pae);
    for (unsigned i = 0; i < layout.regions.count; i++) {
        const struct region *r = &layout.regions.item[i];
        if (r->kind != PAGODA_REGION_GUARD)
            walk_range(&lw, r->start, r->end);
    }
    layout_records(&lw, layout.resident);
}

static bool spawned(enum compare_mode mode, const char *program, char *why, size_t why_size)
{
    struct uvm_program image;
    if (program_find(program, &image)) {
        pg_snprintf(why, why_size, "no program %s in the ramdisk", program);
        return false;
    }
    const char *argv[] = {program, 0};
    uint32_t entry, esp;
    return uvm_create_in(&layout, compare_sides[mode].space, &image, argv, 1, &entry, &esp, why,
                         why_size) == 0;
}

/* Maps the page at va the way a fault of the process would, unless it is mapped already. */
static bool touch(uint32_t va)
{
    struct paging_walk w;
    vm_space_translate(&layout.space, va, &w);
    const char *why;
    return w.mapped ||
           uvm_fault(&layout, va, PF_ERR_WRITE | PF_ERR_USER, &why) == UVM_FAULT_HANDLED;
}

static bool grow(const struct usertests_layout *l)
{
    for (uint32_t done = PAGODA_PAGE_SIZE; done <= l->stack_bytes; done += PAGODA_PAGE_SIZE)
        if (!touch(PAGODA_USER_STACK_TOP - done))
            return false;
    uint32_t left =
        l->heap_bytes == HEAP_TO_LIMIT ? PAGODA_USER_HEAP_LIMIT - layout.brk : l->heap_bytes;
    while (left) {
        uint32_t step = left < (1u << 30) ? left : (1u << 30); /* sbrk takes an int32_t */
        uint32_t old;
        if (uvm_sbrk(&layout, (int32_t)step, &old))
            return false;
        for (uint32_t off = 0; l->touch_heap && off < step; off += PAGODA_PAGE_SIZE)
            if (!touch(old + off))
                return false;
        left -= step;
    }
    return true;
}

static void sparse_layout(enum compare_mode mode)
{
    struct vm_space *s = &bare[0];
    struct layout_walk lw = {.mode = mode, .name = "sparse", .space = s};
    cmp_tables_start(&lw.expect, compare_sides[mode].pae);
    int rc = vm_space_create_user(s, compare_sides[mode].space);
    unsigned count;
    const struct compare_piece *pieces = compare_sparse_layout(&count);
    uint32_t pages = 0;
    for (unsigned i = 0; i < count && rc == PAGING_OK; i++) {
        if (pieces[i].va >= PAGING_KERNEL_BASE)
            continue; /* a process has only the user half of it */
        /* Any frame: the space is never used, only its tables are counted. */
        rc = vm_space_map(s, pieces[i].va, pieces[i].va, pieces[i].size,
                          PAGING_PROT_READ | PAGING_PROT_USER, PAGODA_PAGE_SIZE, 0);
        pages += pieces[i].size / PAGODA_PAGE_SIZE;
    }
    if (rc == PAGING_OK) {
        for (unsigned i = 0; i < count; i++)
            if (pieces[i].va < PAGING_KERNEL_BASE)
                walk_range(&lw, pieces[i].va, pieces[i].va + pieces[i].size);
        layout_records(&lw, pages);
    } else {
        compare_serial("# compare: sparse user layout: %s\n", paging_error_name(rc));
        compare_failures++;
    }
    vm_space_destroy(s);
}

static void process_tables(enum compare_mode mode)
{
    char why[160];
    for (unsigned i = 0; i < program_count(); i++) {
        struct uvm_program p;
        if (!program_at(i, &p))
            continue;
        if (!spawned(mode, p.name, why, sizeof(why))) {
            compare_serial("# compare: %s: %s\n", p.name, why);
            compare_failures++;
            continue;
        }
        uvm_layout(mode, p.name);
        uvm_destroy(&layout);
    }
    for (unsigned i = 0; i < USERTESTS_LAYOUTS; i++) {
        const struct usertests_layout *l = &usertests_layouts[i];
        if (!spawned(mode, "usertests", why, sizeof(why)) || !grow(l)) {
            compare_serial("# compare: %s cannot be built\n", l->name);
            compare_failures++;
        } else {
            uvm_layout(mode, l->name);
        }
        if (layout.space.as.root)
            uvm_destroy(&layout);
    }
    sparse_layout(mode);
    bool pae = compare_sides[mode].pae;
    uint64_t flat =
        (PAGING_ADDR_SPACE >> PAGODA_PAGE_SHIFT) * paging_entry_bytes(compare_paging(mode));
    compare_structural("flat_bytes", mode, "4k", "4g", flat, cmp_flat_table_bytes(pae), "bytes");
    compare_summary.flat_bytes[mode] = flat;
}

/* ---- the kernel half's sharing ---- */

/* Where a kernel-half change can be staged: 4 MiB outside every kernel region and below the
 * window, with no page table behind it yet in this kernel space. 0 if there is none. */
static uint32_t free_kernel_stretch(struct vm_space *kernel)
{
    const struct vm_kernel_region *regions;
    unsigned count = vm_kernel_regions(&regions);
    unsigned levels = vm_space_paging(kernel)->mode->levels;
    for (uint64_t va = PAGING_KERNEL_BASE; va + 4 * MIB <= (VM_WINDOW_BASE & ~(4 * MIB - 1));
         va += 4 * MIB) {
        bool taken = false;
        for (unsigned i = 0; i < count && !taken; i++)
            taken = regions[i].va < va + 4 * MIB && va < regions[i].va + regions[i].size;
        for (uint64_t half = va; half < va + 4 * MIB && !taken; half += 2 * MIB) {
            struct paging_walk w;
            vm_space_translate(kernel, (uint32_t)half, &w);
            taken = w.mapped || w.count == levels; /* a page table is there */
        }
        if (!taken)
            return (uint32_t)va;
    }
    return 0;
}

static void kernel_sharing(enum compare_mode mode)
{
    struct paging *pg = compare_paging(mode);
    struct vm_space *kernel = compare_sides[mode].space;
    bool pae = compare_sides[mode].pae;
    struct paging_counters a, b, c;
    char why[160];
    pg->mode->counters(pg, &a);
    bool ok = spawned(mode, BENCH_PROGRAM, why, sizeof(why));
    pg->mode->counters(pg, &b);
    if (ok)
        uvm_destroy(&layout);
    uint32_t want = cmp_kernel_root_entries(pae, PAGING_KERNEL_BASE);
    uint32_t copied = ok ? b.kernel_entries_copied - a.kernel_entries_copied : 0;
    compare_structural("kshare_spawn_copied", mode, "-", "1", copied, want, "entries");
    compare_structural("kshare_spawn_bytes", mode, "-", "1",
                       (uint64_t)copied * paging_entry_bytes(pg),
                       (uint64_t)want * cmp_geometry_of(pae).entry_bytes, "bytes");
    compare_structural("kshare_spawn_synced", mode, "-", "1",
                       b.kernel_entries_synced - a.kernel_entries_synced, 0, "entries");
    compare_summary.kshare_copied[mode] = copied;
    uint32_t va = free_kernel_stretch(kernel);
    if (!va) {
        compare_serial("# compare: no free 4 MiB in the kernel half to stage a change\n");
        compare_failures++;
        return;
    }
    for (unsigned u = 0; u < sizeof(share_users) / sizeof(share_users[0]); u++) {
        uint32_t users = 0;
        while (users < share_users[u] && vm_space_create_user(&bare[users], kernel) == PAGING_OK)
            users++;
        pg->mode->counters(pg, &a);
        int rc = vm_space_map(kernel, va, compare_frame(0), PAGODA_PAGE_SIZE, PAGING_PROT_READ,
                              PAGODA_PAGE_SIZE, 0);
        pg->mode->counters(pg, &b);
        vm_space_unmap(kernel, va, PAGODA_PAGE_SIZE);
        pg->mode->counters(pg, &c);
        while (users)
            vm_space_destroy(&bare[--users]);
        char n[12];
        pg_snprintf(n, sizeof(n), "%u", share_users[u]);
        uint32_t expect = cmp_kernel_change_copies(pae, share_users[u]);
        bool mapped = rc == PAGING_OK;
        compare_structural("kshare_change_tables", mode, "-", n,
                           mapped ? b.table_allocs - a.table_allocs : 0, 1, "tables");
        compare_structural("kshare_change_synced", mode, "-", n,
                           mapped ? b.kernel_entries_synced - a.kernel_entries_synced : UINT32_MAX,
                           expect, "entries");
        compare_structural("kshare_free_synced", mode, "-", n,
                           mapped ? c.kernel_entries_synced - b.kernel_entries_synced : UINT32_MAX,
                           expect, "entries");
        if (share_users[u] == SHARE_MAX_USERS)
            compare_summary.kshare_synced[mode] = b.kernel_entries_synced - a.kernel_entries_synced;
    }
}

/* ---- the NX row ---- */

enum stack_outcome {
    STACK_CODE_RAN = 0,     /* exited 0: nothing stopped the code on its stack */
    STACK_CODE_STOPPED = 1, /* killed by #PF: the fetch from a no-execute page */
    STACK_CODE_OTHER = 2,   /* anything else: a bug */
    STACK_CODE_NO_RUN = 3,  /* cmpbench could not run it */
};

static void stack_code(enum compare_mode mode)
{
    char why[160] = "";
    struct compare_bench *r = bench_args(&runs[0], "nx", 0);
    bool ok = compare_bench_run(mode, r, 1, why, sizeof(why));
    int status = (int)r->box.value;
    enum stack_outcome outcome = STACK_CODE_NO_RUN;
    if (ok && status == PAGODA_WAIT_STATUS(PAGODA_WAIT_EXITED, 0))
        outcome = STACK_CODE_RAN;
    else if (ok && PAGODA_WAIT_HOW(status) == PAGODA_WAIT_FAULT &&
             PAGODA_WAIT_WHAT(status) == EXC_PF)
        outcome = STACK_CODE_STOPPED;
    else if (ok)
        outcome = STACK_CODE_OTHER;
    if (!ok)
        compare_serial("# compare: %s\n", why);
    bool nx = compare_sides[mode].pae && compare_paging(mode)->env.nx_available;
    compare_structural("nx_stack_code", mode, "4k", "stackexec", outcome,
                       nx ? STACK_CODE_STOPPED : STACK_CODE_RAN, "outcome");
    compare_info(mode == COMPARE_PAE ? "stackexec_status_pae" : "stackexec_status_2level", "0x%x",
                 (unsigned)status);
    compare_summary.nx_stack[mode] = outcome;
}

/* ---- timings in ring 3 ---- */

/* The median of the box's own empty brackets: what each of its samples carries on top. */
static uint32_t bracket_median(const struct pagoda_bench_box *box)
{
    uint32_t n = box->count[0];
    memcpy(pair_samples, box->samples[0], n * sizeof(uint32_t));
    return sample_stats_of(pair_samples, n, scratch).median;
}

static bool bench(enum compare_mode mode, struct compare_bench *r, unsigned count)
{
    char why[160];
    if (compare_bench_run(mode, r, count, why, sizeof(why)))
        return true;
    compare_serial("# compare: %s\n", why);
    compare_failures++;
    return false;
}

/* Where one of a box's series goes (metric NULL: nowhere). */
struct bench_series {
    const char *metric, *page;
    uint32_t n;
    const char *unit;
};

/* cmpbench WHAT 1000, alone: its series 0 (the empty brackets) as they are, the others less the
 * brackets' median. */
static void solo(enum compare_mode mode, const char *what,
                 const struct bench_series series[PAGODA_BENCH_SERIES])
{
    struct compare_bench *r = bench_args(&runs[0], what, "1000");
    if (!bench(mode, r, 1))
        return;
    uint32_t overhead = bracket_median(&r->box);
    for (unsigned i = 0; i < PAGODA_BENCH_SERIES; i++)
        if (series[i].metric)
            compare_time_add_samples(series[i].metric, mode, series[i].page, series[i].n,
                                     series[i].unit, r->box.samples[i], r->box.count[i],
                                     i ? overhead : 0, 1);
}

static void syscall_round_trip(enum compare_mode mode)
{
    static const struct bench_series series[PAGODA_BENCH_SERIES] = {
        {"user_bracket", "-", 0, "cycles"}, {"syscall", "-", 1, "cycles"}, {0}};
    solo(mode, "syscall", series);
}

/* Two processes yielding to each other: each sample is two switches (there and back). */
static void context_switch(enum compare_mode mode, bool global)
{
    struct paging *pg = compare_paging(mode);
    if (global && !pg->env.pge_available)
        return; /* clearcpuid=pge: there are no global pages to keep */
    for (unsigned i = 0; i < 2; i++)
        bench_args(&runs[i], "switch", PAIR_SAMPLES);
    paging_set_global(pg, global);
    bool ok = bench(mode, runs, 2);
    paging_set_global(pg, true);
    if (!ok)
        return;
    uint32_t overheads[2] = {bracket_median(&runs[0].box), bracket_median(&runs[1].box)}, n = 0;
    for (unsigned i = 0; i < 2; i++) {
        uint32_t overhead = overheads[i];
        for (uint32_t k = 0; k < runs[i].box.count[1]; k++) {
            uint32_t v = runs[i].box.samples[1][k];
            pair_samples[n++] = v > overhead ? v - overhead : 0;
        }
    }
    compare_time_add_samples("ctx_switch", mode, global ? "global" : "noglobal", 2, "cycles/switch",
                             pair_samples, n, 0, 2);
}

static void demand_faults(enum compare_mode mode)
{
    static const struct bench_series series[PAGODA_BENCH_SERIES] = {
        {0}, {"fault", "4k", 1, "cycles/page"}, {"touch", "4k", 1, "cycles/page"}};
    solo(mode, "fault", series);
}

/* What the spawn of a program costs per page of it: its address space made (uvm_create_in: the
 * tables, the program's pages filled from the file, the first stack page) in the kernel, by
 * today's method, for cmpbench and for cmpload (16 pages more of file data), each destroyed
 * again outside the brackets. The slope between the two is the cost of one page. */
struct spawn_space {
    enum compare_mode mode;
    const char *program;
};

static bool make_space(void *ctx)
{
    struct spawn_space *sp = ctx;
    char why[160];
    if (spawned(sp->mode, sp->program, why, sizeof(why)))
        return true;
    compare_serial("# compare: spawning %s: %s\n", sp->program, why);
    return false;
}

static void drop_space(void *ctx)
{
    (void)ctx;
    uvm_destroy(&layout);
}

static void spawns(enum compare_mode mode)
{
    static const char *const programs[2] = {BENCH_PROGRAM, LOAD_PROGRAM};
    for (unsigned p = 0; p < 2; p++) {
        struct spawn_space sp = {.mode = mode, .program = programs[p]};
        char why[160];
        /* The pages a spawn fills: what the space has mapped right after it is made. */
        if (!spawned(mode, programs[p], why, sizeof(why))) {
            compare_serial("# compare: spawning %s: %s\n", programs[p], why);
            compare_failures++;
            continue;
        }
        uint32_t pages = layout.resident;
        uvm_destroy(&layout);
        spawn_pages[mode][p] = pages;
        /* Per page: a spawn of millions of cycles would overflow hundredths of a cycle. */
        if (!compare_time_call("spawn", mode, "-", pages, "cycles/page", pages ? pages : 1,
                               compare_time_share(), make_space, drop_space, &sp))
            compare_failures++;
    }
}

void compare_proc_round(enum compare_mode mode, bool first, unsigned round)
{
    if (!processes_possible)
        return;
    if (first) {
        process_tables(mode);
        kernel_sharing(mode);
        stack_code(mode);
    }
    syscall_round_trip(mode);
    /* A/B inside the round too: which of the two switch series comes first alternates. */
    bool global_first = (round / COMPARE_MODES) % 2 == 0;
    context_switch(mode, global_first);
    context_switch(mode, !global_first);
    demand_faults(mode);
    spawns(mode);
}

void compare_proc_report(void)
{
    struct compare_summary *s = &compare_summary;
    if (!processes_possible)
        return;
    for (unsigned m = 0; m < COMPARE_MODES; m++) {
        s->syscall[m] = compare_time_median("syscall", m, "-", 1);
        s->ctx[m][0] = compare_time_median("ctx_switch", m, "global", 2);
        s->ctx[m][1] = compare_time_median("ctx_switch", m, "noglobal", 2);
        s->fault[m] = compare_time_median("fault", m, "4k", 1);
        uint32_t small = spawn_pages[m][0], large = spawn_pages[m][1];
        if (large <= small)
            continue;
        uint64_t a = (uint64_t)compare_time_median("spawn", m, "-", small) * small;
        uint64_t b = (uint64_t)compare_time_median("spawn", m, "-", large) * large;
        /* What one more page of the program adds to a spawn: the slope between the two. */
        uint32_t per_page = b > a ? (uint32_t)((b - a) / (large - small)) : 0;
        s->spawn_page[m] = per_page;
        struct sample_stats one = {
            .count = 1, .min = per_page, .median = per_page, .p99 = per_page, .mad = 0};
        compare_timing("spawn_marginal", m, "-", large - small, &one, "cycles/page");
    }
}
