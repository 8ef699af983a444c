/*
 * cmpbench: the ring-3 half of the kernel's process comparison (mode=compare). The kernel
 * starts it in one paging format, it measures system calls, context switches, demand-paging
 * faults with the TSC, or runs stackexec, and leaves the samples in its box for the
 * kernel to read (the protocol and every argument: include/pagoda/compare_bench.h). It prints
 * nothing while it measures, so the console costs nothing in the samples.
 *
 * The TSC is read as the kernel's comparison reads it: LFENCE; RDTSC; LFENCE where SSE2 has
 * LFENCE, else CPUID; RDTSC.
 */
#include <user.h>

#include "pagoda/compare_bench.h"

#define CPUID_1_EDX_SSE2 (1u << 26)

static struct pagoda_bench_box *box;
static int use_lfence;

static void cpuid(uint32_t leaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    __asm__ volatile("cpuid" : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx) : "a"(leaf), "c"(0));
}

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    if (use_lfence) {
        __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    } else {
        uint32_t a, b, c, d;
        cpuid(0, &a, &b, &c, &d);
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    }
    return ((uint64_t)hi << 32) | lo;
}

static void record(unsigned series, uint64_t t0, uint64_t t1)
{
    uint64_t cycles = t1 - t0;
    if (box->count[series] < PAGODA_BENCH_MAX_SAMPLES)
        box->samples[series][box->count[series]++] =
            cycles > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)cycles;
}

/* Tells the kernel, waits for its answer, and leaves. */
__attribute__((noreturn)) static void finish(uint32_t state)
{
    box->state = state;
    while (box->state != PAGODA_BENCH_ACK)
        yield();
    exit(state == PAGODA_BENCH_DONE ? 0 : 1);
}

__attribute__((noreturn)) static void fail(const char *what)
{
    box->error = (uint32_t)errno;
    snprintf(box->what, sizeof(box->what), "%s", what);
    finish(PAGODA_BENCH_FAILED);
}

static void brackets(uint32_t n)
{
    for (uint32_t i = 0; i < PAGODA_BENCH_WARMUP + n; i++) {
        uint64_t t0 = tsc();
        uint64_t t1 = tsc();
        if (i >= PAGODA_BENCH_WARMUP)
            record(0, t0, t1);
    }
}

/* n calls of a system call that takes nothing, each timed; a negative result is a failure. */
static inline __attribute__((always_inline)) void calls(int (*call)(void), const char *name,
                                                        uint32_t n)
{
    for (uint32_t i = 0; i < PAGODA_BENCH_WARMUP + n; i++) {
        uint64_t t0 = tsc();
        int rc = call();
        uint64_t t1 = tsc();
        if (rc < 0)
            fail(name);
        if (i >= PAGODA_BENCH_WARMUP)
            record(1, t0, t1);
    }
}

/* The warm-up pages fault too: the first recorded fault finds the path warm. */
static void faults(uint32_t n)
{
    uint32_t pages = PAGODA_BENCH_WARMUP + n;
    volatile uint8_t *heap = sbrk((int32_t)(pages * PAGODA_PAGE_SIZE));
    if (heap == (void *)-1)
        fail("sbrk");
    for (unsigned pass = 1; pass <= 2; pass++)
        for (uint32_t i = 0; i < pages; i++) {
            uint64_t t0 = tsc();
            heap[i * PAGODA_PAGE_SIZE] = (uint8_t)pass;
            uint64_t t1 = tsc();
            if (i >= PAGODA_BENCH_WARMUP)
                record(pass, t0, t1);
        }
}

static void stack_code(void)
{
    static const char *const argv[] = {"stackexec", NULL};
    int pid = spawn("stackexec", argv);
    if (pid < 0)
        fail("spawn stackexec");
    int status;
    if (wait(pid, &status) != pid)
        fail("wait stackexec");
    box->value = (uint32_t)status;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    box = sbrk((int32_t)sizeof(*box));
    if (box == (void *)-1)
        return 2; /* no box: the kernel sees no magic and says so */
    box->magic = PAGODA_BENCH_MAGIC;
    box->state = PAGODA_BENCH_RUNNING;
    uint32_t a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    use_lfence = (d & CPUID_1_EDX_SSE2) != 0;
    uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : PAGODA_BENCH_MAX_SAMPLES;
    if (n > PAGODA_BENCH_MAX_SAMPLES)
        n = PAGODA_BENCH_MAX_SAMPLES;
    brackets(n);
    if (!strcmp(what, "syscall"))
        calls(getpid, "getpid", n);
    else if (!strcmp(what, "switch"))
        calls(yield, "yield", n);
    else if (!strcmp(what, "fault"))
        faults(n);
    else if (!strcmp(what, "nx"))
        stack_code();
    else {
        errno = EINVAL;
        fail("arguments");
    }
    finish(PAGODA_BENCH_DONE);
}
