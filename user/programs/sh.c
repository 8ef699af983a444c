/*
 * sh: Pagoda's shell, the first process of a normal boot. It reads a line at a time from the
 * console (the kernel edits and echoes it: backspace, left/right, history with up/down), runs
 * programs of the ramdisk with their arguments, waiting for them or, with a final "&", leaving
 * them in the background, and has commands that show memory as the kernel keeps it, every one
 * served by a system call:
 *
 *   ps            the processes: pid, parent, state, resident pages, page-table pages
 *   vm PID        the address-space regions, their permissions, mapped against reserved pages,
 *                 and the page-table pages per level
 *   walk PID VA   the translation of VA level by level: table, index, raw entry, decoded bits
 *   pt PID        the page-table pages and bytes per level in the current format
 *   tlb           INVLPG, CR3 reloads and global flushes since boot
 *   mem           frames per zone, page tables, the kernel heap per size class
 *   kill PID      ends a process
 *   help, exit
 *
 * A program in the foreground gets the console (foreground()) until it ends: Ctrl-C ends it and
 * the shell goes on. Ctrl-C at the prompt gives a fresh prompt; Ctrl-D (the end of input) or
 * exit ends the shell. Each wrong line gets one line that says what is wrong.
 *
 * Exit status: the one exit was given (0 by default, and at the end of input).
 */
#include <user.h>

#include "sh_parse.h"

#define PROMPT       "pagoda$ "
#define LINE_MAX     256
#define MAX_PROCS    128 /* the kernel's process table */
#define PID_MAX      0x7FFFFFFFu
#define KERNEL_START PAGODA_USER_END

static struct pagoda_proc_info procs[MAX_PROCS];
static int self;

/* ---- words ---- */

static const char *format_name(uint32_t format)
{
    return format == PAGODA_VM_PAE ? "PAE" : "two-level";
}

static const char *state_name(uint32_t state)
{
    static const char *const names[] = {
        [PAGODA_PROC_RUNNABLE] = "runnable", [PAGODA_PROC_RUNNING] = "running",
        [PAGODA_PROC_SLEEPING] = "sleeping", [PAGODA_PROC_WAITING] = "waiting",
        [PAGODA_PROC_READING] = "reading",   [PAGODA_PROC_ZOMBIE] = "zombie",
    };
    return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "?";
}

static const char *level_name(uint32_t level)
{
    return level == PAGODA_LEVEL_PDPT ? "PDPT" : level == PAGODA_LEVEL_PD ? "PD" : "PT";
}

/* The name of level i from the root in a format of levels levels. */
static uint32_t level_at(uint32_t levels, uint32_t i)
{
    return PAGODA_LEVEL_PT - (levels - 1 - i);
}

static void prot_text(uint32_t prot, char out[4])
{
    out[0] = prot & PAGODA_PROT_READ ? 'r' : '-';
    out[1] = prot & PAGODA_PROT_WRITE ? 'w' : '-';
    out[2] = prot & PAGODA_PROT_EXEC ? 'x' : '-';
    out[3] = '\0';
}

static const char *size_text(uint64_t bytes, char *buf, size_t size)
{
    if (bytes >= (1u << 30) && bytes % (1u << 30) == 0)
        snprintf(buf, size, "%u GiB", (unsigned)(bytes >> 30));
    else if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, size, "%u MiB", (unsigned)(bytes >> 20));
    else
        snprintf(buf, size, "%u KiB", (unsigned)(bytes >> 10));
    return buf;
}

/* ---- arguments ---- */

/* The command's argument i as a number up to max; prints why not and returns false. */
static bool number_arg(const struct sh_command *c, unsigned i, const char *what, uint32_t max,
                       const char *usage, uint32_t *out)
{
    if (i >= c->count) {
        printf("sh: %s: missing %s (usage: %s)\n", c->word[0], what, usage);
        return false;
    }
    switch (sh_parse_number(c->word[i], max, out)) {
    case SH_NUMBER_OK:
        return true;
    case SH_NUMBER_BAD:
        printf("sh: %s: %s \"%s\" is not a number (decimal, or hex with 0x)\n", c->word[0], what,
               c->word[i]);
        return false;
    case SH_NUMBER_RANGE:
        printf("sh: %s: %s %s is out of range (0 to %u, 0x%x)\n", c->word[0], what, c->word[i], max,
               max);
        return false;
    }
    return false;
}

static bool no_more_args(const struct sh_command *c, unsigned expected, const char *usage)
{
    if (c->count <= expected)
        return true;
    printf("sh: %s: too many arguments (usage: %s)\n", c->word[0], usage);
    return false;
}

/* ---- ps ---- */

static int list_processes(void)
{
    int count = proclist(procs, MAX_PROCS);
    if (count < 0)
        printf("sh: proclist: %s\n", strerror(errno));
    return count < MAX_PROCS ? count : MAX_PROCS;
}

static void cmd_ps(const struct sh_command *c)
{
    if (!no_more_args(c, 1, "ps"))
        return;
    int count = list_processes();
    if (count < 0)
        return;
    printf("  PID  PPID  STATE     RESIDENT  TABLES  SWITCHES  NAME\n");
    for (int i = 0; i < count; i++) {
        const struct pagoda_proc_info *p = &procs[i];
        printf("%5u %5u  %-8s  %8u  %6u  %8llu  %.*s%s%s\n", p->pid, p->parent,
               state_name(p->state), p->resident_pages, p->table_pages,
               (unsigned long long)p->switches, PAGODA_PROGRAM_NAME_LEN, p->name,
               p->flags & PAGODA_PROC_FOREGROUND ? " (console)" : "",
               p->flags & PAGODA_PROC_KILLED ? " (killed)" : "");
    }
    printf("ps: %d processes; RESIDENT: user pages mapped, TABLES: page-table pages of its own\n",
           count);
}

/* ---- vm and pt ---- */

static bool get_vminfo(const struct sh_command *c, uint32_t pid, struct pagoda_vm_info *info)
{
    if (vminfo((int)pid, info) == 0)
        return true;
    printf("sh: %s: process %u: %s\n", c->word[0], pid, strerror(errno));
    return false;
}

static void print_tables(const struct pagoda_vm_info *info, const char *prefix)
{
    char line[160];
    size_t used = (size_t)snprintf(line, sizeof(line), "%spage-table pages of its own:", prefix);
    uint32_t total = 0;
    for (uint32_t i = 0; i < info->levels && i < PAGODA_VM_MAX_LEVELS; i++) {
        used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %u",
                                 level_name(level_at(info->levels, i)), info->table_pages[i]);
        total += info->table_pages[i];
    }
    printf("%s = %u; kernel-half tables shared with every process: %u\n", line, total,
           info->kernel_tables);
}

static void cmd_vm(const struct sh_command *c)
{
    uint32_t pid;
    struct pagoda_vm_info info;
    if (!number_arg(c, 1, "PID", PID_MAX, "vm PID", &pid) || !no_more_args(c, 2, "vm PID") ||
        !get_vminfo(c, pid, &info))
        return;
    printf("vm: process %u (%.*s): %s paging, %u levels, %u-byte entries, NX %s\n", info.pid,
           PAGODA_PROGRAM_NAME_LEN, info.name, format_name(info.format), info.levels,
           info.entry_bytes, info.nx ? "on" : "off");
    printf("vm:   start      end          kind    prot  reserved  mapped\n");
    uint32_t regions =
        info.region_count < PAGODA_VM_MAX_REGIONS ? info.region_count : PAGODA_VM_MAX_REGIONS;
    for (uint32_t i = 0; i < regions; i++) {
        const struct pagoda_vm_region *r = &info.regions[i];
        char prot[4];
        prot_text(r->prot, prot);
        printf("vm:   0x%08x 0x%08x   %-7s %s   %8u  %6u\n", r->start, r->end,
               pagoda_region_kind_name(r->kind), prot, (r->end - r->start) / PAGODA_PAGE_SIZE,
               r->resident_pages);
    }
    print_tables(&info, "vm:   ");
    printf("vm:   resident user pages: %u (reserved and mapped are in 4 KiB pages)\n",
           info.resident_pages);
}

static void cmd_pt(const struct sh_command *c)
{
    uint32_t pid;
    struct pagoda_vm_info info;
    if (!number_arg(c, 1, "PID", PID_MAX, "pt PID", &pid) || !no_more_args(c, 2, "pt PID") ||
        !get_vminfo(c, pid, &info))
        return;
    uint32_t entries = PAGODA_PAGE_SIZE / info.entry_bytes;
    printf("pt: process %u (%.*s): %s paging, %u levels, %u entries of %u bytes per table%s\n",
           info.pid, PAGODA_PROGRAM_NAME_LEN, info.name, format_name(info.format), info.levels,
           entries, info.entry_bytes,
           info.format == PAGODA_VM_PAE ? " (the PDPT uses 4 entries, 32 bytes, of its page)" : "");
    printf("pt:   level  pages     bytes  one entry maps\n");
    uint32_t total = 0;
    uint64_t span = PAGODA_PAGE_SIZE;
    uint64_t spans[PAGODA_VM_MAX_LEVELS];
    for (uint32_t i = info.levels; i-- > 0;) {
        spans[i] = span;
        span *= entries;
    }
    for (uint32_t i = 0; i < info.levels && i < PAGODA_VM_MAX_LEVELS; i++) {
        char text[16];
        printf("pt:   %-5s %6u %9u  %s\n", level_name(level_at(info.levels, i)),
               info.table_pages[i], info.table_pages[i] * PAGODA_PAGE_SIZE,
               size_text(spans[i], text, sizeof(text)));
        total += info.table_pages[i];
    }
    printf("pt:   total %6u %9u  (and %u kernel-half tables, %u bytes, shared with every "
           "process)\n",
           total, total * PAGODA_PAGE_SIZE, info.kernel_tables,
           info.kernel_tables * PAGODA_PAGE_SIZE);
}

/* ---- walk ---- */

static void bits_text(uint32_t bits, char *buf, size_t size)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {PAGODA_PTE_PRESENT, "P"}, {PAGODA_PTE_WRITE, "W"},  {PAGODA_PTE_USER, "U"},
        {PAGODA_PTE_PWT, "PWT"},   {PAGODA_PTE_PCD, "PCD"},  {PAGODA_PTE_ACCESSED, "A"},
        {PAGODA_PTE_DIRTY, "D"},   {PAGODA_PTE_LARGE, "PS"}, {PAGODA_PTE_GLOBAL, "G"},
        {PAGODA_PTE_NX, "NX"},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]) && used < size; i++)
        if (bits & names[i].bit)
            used +=
                (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i].name);
    if (!used)
        snprintf(buf, size, "-");
}

static void walk_outcome(const struct pagoda_walk *w)
{
    if (w->end == PAGODA_WALK_MAPPED) {
        char prot[4], size[16];
        prot_text(w->prot, prot);
        printf("walk:   -> frame 0x%llx + offset 0x%x = pa 0x%llx; %s page, %s %s%s%s\n",
               (unsigned long long)(w->pa & ~(w->page_size - 1)),
               (unsigned)(w->va & (w->page_size - 1)), (unsigned long long)w->pa,
               size_text(w->page_size, size, sizeof(size)), prot,
               w->user ? "user" : "supervisor only", w->global ? ", global" : "",
               w->format == PAGODA_VM_PAE && !w->nx_enforced ? " (NX not enforced)" : "");
        return;
    }
    const struct pagoda_walk_step *last = &w->step[w->steps ? w->steps - 1 : 0];
    printf("walk:   -> stops at %s[%u]: the entry is not present (P = 0), so an access raises "
           "#PF\n",
           level_name(last->level), last->index);
}

static void walk_region(const struct pagoda_walk *w)
{
    char prot[4];
    prot_text(w->region_prot, prot);
    if (w->region_kind == PAGODA_REGION_KERNEL)
        printf("walk:   region: the kernel half, the same in every process; ring 3 may not touch "
               "it\n");
    else if (!w->region_kind)
        printf("walk:   region: none: an access from ring 3 kills the process\n");
    else if (w->region_kind == PAGODA_REGION_GUARD)
        printf("walk:   region: the stack's guard gap: never mapped, a touch kills the process\n");
    else if (w->end != PAGODA_WALK_MAPPED &&
             (w->region_kind == PAGODA_REGION_HEAP || w->region_kind == PAGODA_REGION_STACK))
        printf("walk:   region: %s %s, not touched yet: the first access maps a zeroed page\n",
               pagoda_region_kind_name(w->region_kind), prot);
    else
        printf("walk:   region: %s %s\n", pagoda_region_kind_name(w->region_kind), prot);
}

static void cmd_walk(const struct sh_command *c)
{
    uint32_t pid, va;
    const char *usage = "walk PID VA";
    if (!number_arg(c, 1, "PID", PID_MAX, usage, &pid) ||
        !number_arg(c, 2, "VA", 0xFFFFFFFFu, usage, &va) || !no_more_args(c, 3, usage))
        return;
    struct pagoda_walk w;
    if (walk((int)pid, va, &w) < 0) {
        printf("sh: walk: process %u: %s\n", pid, strerror(errno));
        return;
    }
    printf("walk: process %u, va 0x%08x, %s paging, %u-byte entries, CR3 0x%08llx\n", w.pid, w.va,
           format_name(w.format), w.entry_bytes, (unsigned long long)w.cr3);
    for (uint32_t i = 0; i < w.steps && i < PAGODA_WALK_MAX_LEVELS; i++) {
        const struct pagoda_walk_step *s = &w.step[i];
        char bits[48];
        bits_text(s->bits, bits, sizeof(bits));
        if (w.entry_bytes == 8)
            printf("walk:   %-4s table 0x%09llx [%3u] = 0x%016llx  %s%s\n", level_name(s->level),
                   (unsigned long long)s->table, s->index, (unsigned long long)s->entry, bits,
                   s->leaf ? "  (maps the page)" : "");
        else
            printf("walk:   %-4s table 0x%09llx [%4u] = 0x%08llx  %s%s\n", level_name(s->level),
                   (unsigned long long)s->table, s->index, (unsigned long long)s->entry, bits,
                   s->leaf ? "  (maps the page)" : "");
    }
    walk_outcome(&w);
    walk_region(&w);
}

/* ---- tlb and mem ---- */

static void cmd_tlb(const struct sh_command *c)
{
    if (!no_more_args(c, 1, "tlb"))
        return;
    struct pagoda_tlb_info t;
    if (tlbinfo(&t) < 0) {
        printf("sh: tlb: %s\n", strerror(errno));
        return;
    }
    printf("tlb: %s paging, global pages %s: %llu INVLPG, %llu CR3 reloads, %llu global flushes "
           "since boot\n",
           format_name(t.format), t.global_pages ? "on" : "off", (unsigned long long)t.invlpg,
           (unsigned long long)t.cr3_reloads, (unsigned long long)t.global_flushes);
}

static void cmd_mem(const struct sh_command *c)
{
    if (!no_more_args(c, 1, "mem"))
        return;
    static struct pagoda_mem_info m;
    if (meminfo(&m) < 0) {
        printf("sh: mem: %s\n", strerror(errno));
        return;
    }
    static const char *const zone_names[PAGODA_MEM_ZONES] = {"below 4 GiB", "above 4 GiB"};
    printf("mem: frames (4 KiB)   total       free       used\n");
    for (unsigned z = 0; z < PAGODA_MEM_ZONES; z++)
        printf("mem:   %-12s %9llu  %9llu  %9llu\n", zone_names[z],
               (unsigned long long)m.zone[z].total, (unsigned long long)m.zone[z].free,
               (unsigned long long)(m.zone[z].total - m.zone[z].free));
    char line[160];
    size_t used =
        (size_t)snprintf(line, sizeof(line), "mem: page tables (%s):", format_name(m.format));
    uint32_t total = 0, kernel = 0;
    for (uint32_t i = 0; i < m.levels && i < PAGODA_VM_MAX_LEVELS; i++) {
        used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %u",
                                 level_name(level_at(m.levels, i)), m.table_pages[i]);
        total += m.table_pages[i];
        kernel += m.kernel_table_pages[i];
    }
    printf("%s = %u pages, %u of them the kernel space's own\n", line, total, kernel);
    printf("mem: kernel heap: %u pages backed (peak %u) of a %u-page region; size classes used:\n",
           m.heap_backed_pages, m.heap_peak_pages, m.heap_region_pages);
    printf("mem:     size  slabs  objects/slab  in use   peak     allocs      frees\n");
    for (uint32_t i = 0; i < m.heap_class_count && i < PAGODA_MEM_MAX_CLASSES; i++) {
        const struct pagoda_heap_class *k = &m.heap_class[i];
        if (!k->allocs)
            continue;
        printf("mem:   %6u %6u  %12u %7u %6u %10llu %10llu\n", k->size, k->slabs,
               k->objects_per_slab, k->in_use, k->peak_in_use, (unsigned long long)k->allocs,
               (unsigned long long)k->frees);
    }
    printf("mem:   large blocks: %u (%u pages) holding %llu bytes\n", m.large_blocks, m.large_pages,
           (unsigned long long)m.large_bytes);
}

/* ---- processes ---- */

static void report_end(const char *name, int pid, int status, const char *when)
{
    if (PAGODA_WAIT_HOW(status) == PAGODA_WAIT_EXITED && PAGODA_WAIT_WHAT(status) == 0 && !*when)
        return;
    char text[64];
    printf("sh: %s (pid %d)%s %s\n", name, pid, when, wait_status_text(status, text, sizeof(text)));
}

/* Children that ended in the background: collected, and said once. */
static void reap_background(void)
{
    int count = proclist(procs, MAX_PROCS);
    for (int i = 0; i < count && i < MAX_PROCS; i++) {
        const struct pagoda_proc_info *p = &procs[i];
        if (p->parent != (uint32_t)self || p->state != PAGODA_PROC_ZOMBIE)
            continue;
        int status;
        if (wait((int)p->pid, &status) == (int)p->pid) {
            char name[PAGODA_PROGRAM_NAME_LEN + 1];
            snprintf(name, sizeof(name), "%.*s", PAGODA_PROGRAM_NAME_LEN, p->name);
            report_end(name, (int)p->pid, status, " in the background");
        }
    }
}

static void cmd_kill(const struct sh_command *c)
{
    uint32_t pid;
    if (!number_arg(c, 1, "PID", PID_MAX, "kill PID", &pid) || !no_more_args(c, 2, "kill PID"))
        return;
    if (kill((int)pid) < 0)
        printf("sh: kill: process %u: %s\n", pid, strerror(errno));
}

static void run_program(const struct sh_command *c)
{
    int pid = spawn(c->word[0], (const char *const *)c->word);
    if (pid < 0) {
        if (errno == ENOENT)
            printf("sh: %s: no such command, and no such program in the ramdisk (try help)\n",
                   c->word[0]);
        else
            printf("sh: %s: %s\n", c->word[0], strerror(errno));
        return;
    }
    if (c->background) {
        printf("sh: %s (pid %d) runs in the background\n", c->word[0], pid);
        return;
    }
    if (foreground(pid) < 0)
        printf("sh: cannot hand the console to %s (pid %d): %s\n", c->word[0], pid,
               strerror(errno));
    int status;
    if (wait(pid, &status) != pid) {
        printf("sh: wait for %s (pid %d): %s\n", c->word[0], pid, strerror(errno));
        return;
    }
    report_end(c->word[0], pid, status, "");
}

/* ---- the loop ---- */

static void cmd_help(void)
{
    printf("Commands (PID and VA: decimal, or hex with 0x; PID 0 is the shell itself):\n"
           "  ps              processes: state, resident pages, page-table pages\n"
           "  vm PID          address-space regions, permissions, reserved and mapped pages\n"
           "  walk PID VA     the page walk of VA: each level's table, index, entry and bits\n"
           "  pt PID          page-table pages and bytes per level\n"
           "  tlb             INVLPG, CR3 reloads and global flushes since boot\n"
           "  mem             frames per zone, page tables, kernel heap per size class\n"
           "  kill PID        end a process\n"
           "  help, exit [N]  this list; leave the shell (N: its exit status)\n"
           "  PROGRAM [ARGS]  run a program of the ramdisk and wait for it; a final & runs it in\n"
           "                  the background (try: hello, vm, poke, reader, sleep, usertests)\n"
           "Keys: left/right, up/down (history), backspace; Ctrl-C ends the program that runs,\n"
           "Ctrl-D ends the input.\n"
           "Addresses to try: walk 0 0x%x (the kernel), walk 0 0xbffff000 (this stack),\n"
           "walk 0 0x10000000 (nothing there); poke read 0 (a fault, contained).\n",
           KERNEL_START + 0x101000u);
}

/* Returns false for exit (with *status). */
static bool run_line(char *line, int *status)
{
    struct sh_command c;
    const char *bad = sh_parse_line(line, &c);
    if (bad) {
        printf("sh: %s\n", bad);
        return true;
    }
    if (c.count == 0)
        return true;
    const char *name = c.word[0];
    if (c.background && (!strcmp(name, "ps") || !strcmp(name, "vm") || !strcmp(name, "walk") ||
                         !strcmp(name, "pt") || !strcmp(name, "tlb") || !strcmp(name, "mem") ||
                         !strcmp(name, "kill") || !strcmp(name, "help") || !strcmp(name, "exit"))) {
        printf("sh: %s: a command of the shell itself cannot run in the background\n", name);
        return true;
    }
    if (!strcmp(name, "exit")) {
        uint32_t code = 0;
        if (c.count > 1 && !number_arg(&c, 1, "status", 255, "exit [STATUS]", &code))
            return true;
        if (!no_more_args(&c, 2, "exit [STATUS]"))
            return true;
        *status = (int)code;
        return false;
    }
    if (!strcmp(name, "help"))
        cmd_help();
    else if (!strcmp(name, "ps"))
        cmd_ps(&c);
    else if (!strcmp(name, "vm"))
        cmd_vm(&c);
    else if (!strcmp(name, "walk"))
        cmd_walk(&c);
    else if (!strcmp(name, "pt"))
        cmd_pt(&c);
    else if (!strcmp(name, "tlb"))
        cmd_tlb(&c);
    else if (!strcmp(name, "mem"))
        cmd_mem(&c);
    else if (!strcmp(name, "kill"))
        cmd_kill(&c);
    else
        run_program(&c);
    return true;
}

enum line_result { LINE_OK, LINE_INTERRUPTED, LINE_END };

/* One line of input (the kernel's read returns at most one), or the end of input. */
static enum line_result read_line(char *line, size_t size)
{
    size_t used = 0;
    while (used < size - 1) {
        int n = read(PAGODA_FD_STDIN, line + used, (uint32_t)(size - 1 - used));
        if (n < 0)
            return errno == EINTR ? LINE_INTERRUPTED : LINE_END;
        if (n == 0)
            break;
        used += (size_t)n;
        if (line[used - 1] == '\n')
            break;
    }
    line[used] = '\0';
    return used ? LINE_OK : LINE_END;
}

int main(void)
{
    self = getpid();
    struct pagoda_vm_info info;
    const char *format = vminfo(0, &info) == 0 ? format_name(info.format) : "?";
    printf("sh: Pagoda's shell, process %d, %s paging. Type help for the commands.\n", self,
           format);
    char line[LINE_MAX];
    for (;;) {
        reap_background();
        printf(PROMPT);
        enum line_result got = read_line(line, sizeof(line));
        if (got == LINE_INTERRUPTED)
            continue;
        if (got == LINE_END) {
            printf("exit\n");
            return 0;
        }
        int status = 0;
        if (!run_line(line, &status))
            return status;
    }
}
