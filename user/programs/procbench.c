/*
 * procbench [--samples N]: what the kernel's process machinery costs, in TSC cycles timed from
 * ring 3, in the paging format the kernel runs (tools/procbench-report boots both formats and
 * sets them side by side). One sample of each metric is:
 *
 *   getpid          one getpid(): int $0x80 in, the dispatcher, iret out; nothing copied
 *   uptime          one uptime(&ms): the same round trip with 8 bytes copied out to the caller
 *   yield_self      one yield() with no other process ready: into the scheduler and straight
 *                   back to the same process (the same address space: no CR3 load)
 *   yield_pingpong  one yield() while a partner (spawnee --yield) yields too: this process is
 *                   switched out, the partner runs until its own yield, this process is switched
 *                   back in. One round trip = two process switches, each through the scheduler
 *                   with a CR3 load, plus the partner's return to ring 3 and its next yield.
 *   fault           the first write to a fresh heap page: #PF, a frame taken and zeroed, the
 *                   page mapped, the write retried. Every page of a region sbrk gave is written
 *                   once, then the region is given back; a few samples also pay for a page table.
 *   spawn_wait      spawn() of spawnee then wait() for it: a new address space with the
 *                   program's pages, stack and argv, its run (it exits at once) and the reaping
 *   spawn_wait_big  the same with spawnee_big, which has extra pages of initialised data
 *   spawn_page      per extra page: (spawn_wait_big - spawn_wait) / extra pages, from a spawn of
 *                   each run back to back (0 when the pair came out the other way round)
 *
 * Method, as in the kernel's comparison (kernel/compare/compare_time.c): TSC reads serialized
 * with LFENCE where the CPU has SSE2, CPUID otherwise; the median of 1000 empty brackets
 * subtracted; warm-up iterations not recorded; N samples per metric (1000 to MAX_SAMPLES,
 * default 1000); min, median, p99 and MAD (lib/sample_stats.h). Interrupts are on in ring 3: a
 * sample that a timer tick lands in is an outlier, which the median ignores and p99 may show.
 *
 * Output: a line per metric for tools/procbench-report,
 *   PROCBENCH,<metric>,<2level|pae>,<samples>,<min>,<median>,<p99>,<mad>,cycles
 * PROCBENCHINFO,<key>,<value> lines (the machine, the method, the programs' sizes, and before
 * each metric about_<metric>: what one sample is), a table for people, and PROCBENCHEND,<ok|fail>
 * last. Under a hypervisor (CPUID leaf 0x40000000, which ring
 * 3 may read) the timings are labelled so: "emulator figure (QEMU TCG)" under TCG.
 *
 * Exit status: 0 every metric measured; 1 one could not be (a line says why); 2 bad arguments.
 */
#include <stdbool.h>
#include <user.h>

#include "sample_stats.h"

#define DEFAULT_SAMPLES   1000u
#define MIN_SAMPLES       1000u
#define MAX_SAMPLES       4096u
#define WARMUP            100u
#define BRACKETS          1000u /* empty brackets measured for the overhead */
#define FAULT_ROUND_PAGES 256u  /* pages sbrk gives per round of the fault metric */
#define SPAWNEE           "spawnee"
#define SPAWNEE_BIG       "spawnee_big"

/* CPUID bits procbench reads (Intel SDM vol. 2A, CPUID). */
#define CPUID_1_EDX_SSE2       (1u << 26) /* LFENCE exists */
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_LEAF_HYPERVISOR  0x40000000u /* vendor: "TCGTCGTCGTCG", "KVMKVMKVM" */
#define CPUID_LEAF_EXT_MAX     0x80000000u
#define CPUID_LEAF_BRAND       0x80000002u /* three leaves of 16 bytes each */

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static struct cpuid_regs cpuid(uint32_t leaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(0));
    return r;
}

static bool use_lfence;
static uint32_t bracket_overhead;

static inline uint64_t tsc_read(void)
{
    uint32_t lo, hi;
    if (use_lfence) {
        __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    } else {
        uint32_t ecx = 0;
        __asm__ volatile("cpuid\n\trdtsc"
                         : "=a"(lo), "=d"(hi), "+c"(ecx)
                         : "a"(0)
                         : "ebx", "memory");
    }
    return ((uint64_t)hi << 32) | lo;
}

/* The cycles between two reads, less the empty bracket. */
static uint32_t cycles_between(uint64_t t0, uint64_t t1)
{
    uint64_t cycles = t1 - t0;
    cycles = cycles > bracket_overhead ? cycles - bracket_overhead : 0;
    return cycles > UINT32_MAX ? UINT32_MAX : (uint32_t)cycles;
}

static uint32_t sample_count = DEFAULT_SAMPLES;
static uint32_t samples[MAX_SAMPLES], big_samples[MAX_SAMPLES], per_page[MAX_SAMPLES];
static uint32_t scratch[MAX_SAMPLES];

/* WARMUP runs of statement, then sample_count timed ones into samples[]. */
#define SAMPLE_EACH(statement)                                                                     \
    do {                                                                                           \
        for (uint32_t run_ = 0; run_ < WARMUP + sample_count; run_++) {                            \
            uint64_t t0_ = tsc_read();                                                             \
            statement;                                                                             \
            uint64_t t1_ = tsc_read();                                                             \
            if (run_ >= WARMUP)                                                                    \
                samples[run_ - WARMUP] = cycles_between(t0_, t1_);                                 \
        }                                                                                          \
    } while (0)

/* ---- the machine ---- */

static struct pagoda_vm_info self;
static const char *paging_name = "?";
static const char *timing_label = "this machine";

static void info_line(const char *key, const char *value)
{
    printf("PROCBENCHINFO,%s,%s\n", key, value);
}

static void machine_info(void)
{
    struct cpuid_regs leaf0 = cpuid(0), leaf1 = cpuid(1);
    use_lfence = (leaf1.edx & CPUID_1_EDX_SSE2) != 0;

    char vendor[13];
    memcpy(vendor, &leaf0.ebx, 4);
    memcpy(vendor + 4, &leaf0.edx, 4);
    memcpy(vendor + 8, &leaf0.ecx, 4);
    vendor[12] = 0;
    info_line("cpu_vendor", vendor);

    char brand[49] = "-";
    if (cpuid(CPUID_LEAF_EXT_MAX).eax >= CPUID_LEAF_BRAND + 2) {
        for (uint32_t i = 0; i < 3; i++) {
            struct cpuid_regs r = cpuid(CPUID_LEAF_BRAND + i);
            memcpy(brand + 16 * i, &r, 16);
        }
        brand[48] = 0;
    }
    const char *trimmed = brand;
    while (*trimmed == ' ')
        trimmed++;
    info_line("cpu_brand", trimmed);

    char hypervisor[13] = "none";
    if (leaf1.ecx & CPUID_1_ECX_HYPERVISOR) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_HYPERVISOR);
        memcpy(hypervisor, &r.ebx, 4);
        memcpy(hypervisor + 4, &r.ecx, 4);
        memcpy(hypervisor + 8, &r.edx, 4);
        hypervisor[12] = 0;
        timing_label = strcmp(hypervisor, "TCGTCGTCGTCG") ? "virtual machine figure"
                                                          : "emulator figure (QEMU TCG)";
    }
    info_line("hypervisor", hypervisor);
    info_line("timing_label", timing_label);
    info_line("serialization", use_lfence ? "lfence;rdtsc;lfence" : "cpuid;rdtsc");

    paging_name = self.format == PAGODA_VM_PAE ? "pae" : "2level";
    info_line("paging", paging_name);
    printf("PROCBENCHINFO,paging_levels,%u levels, %u-byte entries\n", self.levels,
           self.entry_bytes);
    info_line("nx", self.nx ? "enforced" : "no");
}

static void measure_bracket_overhead(void)
{
    for (uint32_t i = 0; i < BRACKETS; i++) {
        uint64_t t0 = tsc_read();
        uint64_t t1 = tsc_read();
        samples[i] = (uint32_t)(t1 - t0);
    }
    bracket_overhead = sample_stats_of(samples, BRACKETS, scratch).median;
    printf("PROCBENCHINFO,tsc_overhead,%u cycles (median of %u empty brackets; subtracted)\n",
           bracket_overhead, BRACKETS);
}

/* ---- results ---- */

struct result {
    const char *metric;
    const char *what;
    struct sample_stats stats;
};

#define METRICS 8
static struct result results[METRICS];
static unsigned result_count;
static unsigned failures;

static void report(const char *metric, const char *what, uint32_t *values)
{
    struct sample_stats s = sample_stats_of(values, sample_count, scratch);
    printf("PROCBENCHINFO,about_%s,%s\n", metric, what);
    printf("PROCBENCH,%s,%s,%u,%u,%u,%u,%u,cycles\n", metric, paging_name, s.count, s.min, s.median,
           s.p99, s.mad);
    if (result_count < METRICS)
        results[result_count++] = (struct result){metric, what, s};
}

__attribute__((format(printf, 2, 3))) static int fail(const char *metric, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    printf("procbench: %s not measured: %s\n", metric, why);
    failures++;
    return -1;
}

/* ---- system calls and yield ---- */

static void measure_syscalls(void)
{
    SAMPLE_EACH(getpid());
    report("getpid", "getpid(): int $0x80 round trip, nothing copied", samples);

    uint64_t ms;
    unsigned refused = 0;
    SAMPLE_EACH(refused += uptime(&ms) < 0);
    if (refused)
        fail("uptime", "%u calls failed: %s", refused, strerror(errno));
    else
        report("uptime", "uptime(&ms): round trip, 8 bytes copied out", samples);
}

/* Before any child exists: nothing else is ready to run. */
static void measure_yield_self(void)
{
    SAMPLE_EACH(yield());
    report("yield_self", "yield() alone: to the scheduler and back, no CR3 load", samples);
}

static int measure_pingpong(void)
{
    const char *const argv[] = {SPAWNEE, "--yield", NULL};
    int partner = spawn(SPAWNEE, argv);
    if (partner < 0)
        return fail("yield_pingpong", "spawn(%s): %s", SPAWNEE, strerror(errno));
    SAMPLE_EACH(yield());
    int status = 0;
    if (kill(partner) < 0 || wait(partner, &status) != partner)
        return fail("yield_pingpong", "ending the partner (pid %d): %s", partner, strerror(errno));
    if (PAGODA_WAIT_HOW(status) != PAGODA_WAIT_KILLED) {
        char text[64];
        return fail("yield_pingpong", "the partner %s before it was killed",
                    wait_status_text(status, text, sizeof(text)));
    }
    report("yield_pingpong", "yield() round trip with a partner: 2 process switches", samples);
    return 0;
}

/* ---- demand paging ---- */

static int resident_pages(uint32_t *pages)
{
    struct pagoda_vm_info info;
    if (vminfo(0, &info) < 0)
        return -1;
    *pages = info.resident_pages;
    return 0;
}

/* One round: sbrk pages fresh pages, write each once (timed when into is not NULL), give them
 * back. Every write must have mapped a page, or the samples would not be faults. */
static int fault_round(uint32_t pages, uint32_t *into)
{
    uint8_t *brk = sbrk(0);
    uint32_t pad = (uint32_t)(pagoda_page_up((uintptr_t)brk) - (uintptr_t)brk);
    int32_t bytes = (int32_t)(pad + pages * PAGODA_PAGE_SIZE);
    uint32_t before, after;
    if (brk == (void *)-1 || resident_pages(&before) < 0 || sbrk(bytes) == (void *)-1)
        return fail("fault", "sbrk(%d) or vminfo: %s", bytes, strerror(errno));
    uint8_t *first = brk + pad;
    for (uint32_t p = 0; p < pages; p++) {
        volatile uint32_t *word = (volatile uint32_t *)(first + p * PAGODA_PAGE_SIZE);
        uint64_t t0 = tsc_read();
        *word = p;
        uint64_t t1 = tsc_read();
        if (into)
            into[p] = cycles_between(t0, t1);
    }
    int counted = resident_pages(&after);
    if (sbrk(-bytes) == (void *)-1)
        return fail("fault", "giving back %d bytes with sbrk: %s", bytes, strerror(errno));
    if (counted < 0)
        return fail("fault", "vminfo: %s", strerror(errno));
    if (after - before != pages)
        return fail("fault", "%u first writes mapped %u pages", pages, after - before);
    return 0;
}

static int measure_fault(void)
{
    if (fault_round(WARMUP, NULL))
        return -1;
    for (uint32_t done = 0; done < sample_count;) {
        uint32_t pages =
            sample_count - done < FAULT_ROUND_PAGES ? sample_count - done : FAULT_ROUND_PAGES;
        if (fault_round(pages, samples + done))
            return -1;
        done += pages;
    }
    report("fault", "first write to a fresh heap page: #PF, zeroed frame, map", samples);
    return 0;
}

/* ---- spawn ---- */

static int spawn_and_wait(const char *program, uint32_t *cycles)
{
    const char *const argv[] = {program, NULL};
    int status = -1;
    uint64_t t0 = tsc_read();
    int pid = spawn(program, argv);
    int reaped = pid < 0 ? -1 : wait(pid, &status);
    uint64_t t1 = tsc_read();
    if (pid < 0 || reaped != pid)
        return fail("spawn_wait", "spawn or wait of %s: %s", program, strerror(errno));
    if (status != PAGODA_WAIT_STATUS(PAGODA_WAIT_EXITED, 0)) {
        char text[64];
        return fail("spawn_wait", "%s %s", program, wait_status_text(status, text, sizeof(text)));
    }
    *cycles = cycles_between(t0, t1);
    return 0;
}

/* The pages a program has mapped once spawned (its segments and its first stack page), by
 * region kind, and their total: from vminfo of a child that cannot have ended yet (it yields
 * until it is killed), since a timer tick may hand it the CPU before vminfo. */
static int program_pages(const char *program, uint32_t *total)
{
    const char *const argv[] = {program, "--yield", NULL};
    int pid = spawn(program, argv);
    if (pid < 0)
        return fail("spawn_wait", "spawn(%s): %s", program, strerror(errno));
    struct pagoda_vm_info info;
    int looked = vminfo(pid, &info);
    int status;
    if (kill(pid) < 0 || wait(pid, &status) != pid || looked < 0)
        return fail("spawn_wait", "vminfo, kill or wait of %s: %s", program, strerror(errno));
    uint32_t by_kind[PAGODA_REGION_GUARD + 1] = {0};
    for (uint32_t i = 0; i < info.region_count && i < PAGODA_VM_MAX_REGIONS; i++)
        if (info.regions[i].kind <= PAGODA_REGION_GUARD)
            by_kind[info.regions[i].kind] += info.regions[i].resident_pages;
    printf("PROCBENCHINFO,%s_pages,%u pages (code %u, rodata %u, data %u, stack %u)\n", program,
           info.resident_pages, by_kind[PAGODA_REGION_CODE], by_kind[PAGODA_REGION_RODATA],
           by_kind[PAGODA_REGION_DATA], by_kind[PAGODA_REGION_STACK]);
    *total = info.resident_pages;
    return 0;
}

static int measure_spawn(void)
{
    uint32_t small_pages, big_pages;
    if (program_pages(SPAWNEE, &small_pages) || program_pages(SPAWNEE_BIG, &big_pages))
        return -1;
    if (big_pages <= small_pages)
        return fail("spawn_page", "%s has %u pages, no more than %s's %u", SPAWNEE_BIG, big_pages,
                    SPAWNEE, small_pages);
    uint32_t extra = big_pages - small_pages;
    for (uint32_t run = 0; run < WARMUP + sample_count; run++) {
        uint32_t small, big;
        if (spawn_and_wait(SPAWNEE, &small) || spawn_and_wait(SPAWNEE_BIG, &big))
            return -1;
        if (run < WARMUP)
            continue;
        uint32_t i = run - WARMUP;
        samples[i] = small;
        big_samples[i] = big;
        per_page[i] = big > small ? (big - small) / extra : 0;
    }
    static char small_what[80], big_what[80], page_what[80];
    snprintf(small_what, sizeof(small_what), "spawn+wait of %s (%u pages)", SPAWNEE, small_pages);
    snprintf(big_what, sizeof(big_what), "spawn+wait of %s (%u pages)", SPAWNEE_BIG, big_pages);
    snprintf(page_what, sizeof(page_what), "(big - small) / %u extra pages", extra);
    report("spawn_wait", small_what, samples);
    report("spawn_wait_big", big_what, big_samples);
    report("spawn_page", page_what, per_page);
    return 0;
}

/* ---- main ---- */

static void print_table(void)
{
    printf("procbench: %s paging (%u levels, %u-byte entries), NX %s; TSC cycles, %s\n",
           self.format == PAGODA_VM_PAE ? "PAE" : "two-level", self.levels, self.entry_bytes,
           self.nx ? "enforced" : "off", timing_label);
    printf("procbench: %-15s %7s %9s %9s %9s %8s  %s\n", "metric", "samples", "min", "median",
           "p99", "MAD", "one sample");
    for (unsigned i = 0; i < result_count; i++) {
        const struct result *r = &results[i];
        printf("procbench: %-15s %7u %9u %9u %9u %8u  %s\n", r->metric, r->stats.count,
               r->stats.min, r->stats.median, r->stats.p99, r->stats.mad, r->what);
    }
}

static int parse_arguments(int argc, char **argv)
{
    if (argc == 1)
        return 0;
    char *end;
    unsigned long n = argc == 3 && !strcmp(argv[1], "--samples") ? strtoul(argv[2], &end, 10) : 0;
    if (argc != 3 || end == argv[2] || *end || n < MIN_SAMPLES || n > MAX_SAMPLES) {
        dprintf(PAGODA_FD_STDERR, "usage: procbench [--samples N]  (N from %u to %u)\n",
                MIN_SAMPLES, MAX_SAMPLES);
        return -1;
    }
    sample_count = (uint32_t)n;
    return 0;
}

int main(int argc, char **argv)
{
    if (parse_arguments(argc, argv))
        return 2;
    if (vminfo(0, &self) < 0) {
        printf("procbench: vminfo: %s\n", strerror(errno));
        return 1;
    }
    uint64_t start_tsc = tsc_read(), start_ms = uptime_ms();
    machine_info();
    measure_bracket_overhead();
    printf("PROCBENCHINFO,samples,%u per metric after %u warm-up runs\n", sample_count, WARMUP);

    measure_syscalls();
    measure_yield_self();
    measure_fault();
    measure_pingpong();
    measure_spawn();

    uint64_t ms = uptime_ms() - start_ms, cycles = tsc_read() - start_tsc;
    printf("PROCBENCHINFO,run_ms,%llu\n", (unsigned long long)ms);
    if (ms)
        printf("PROCBENCHINFO,tsc_mhz,%llu MHz (the rate the kernel counts its uptime in)\n",
               (unsigned long long)(cycles / ms / 1000u));
    print_table();
    printf("PROCBENCHEND,%s\n", failures ? "fail" : "ok");
    return failures ? 1 : 0;
}
