/*
 * Time stamps for the boot phases, and the TSC rate, so the kernel can turn the stamps into time.
 *
 * The rate comes from CPUID leaf 0x15 when the processor states it (lib/tsc_rate.h): no waiting
 * at all. Otherwise it is measured against the firmware's Stall() (a calibrated microsecond
 * delay), in about 3 ms where five samples of 10 ms used to cost 50 ms of every boot:
 *  - Stall() can only return late, never early: when the (virtual) CPU is descheduled or an SMI
 *    runs during a sample, the sample counts too many ticks. So each length is sampled twice and
 *    the smaller count kept, at TPL_HIGH_LEVEL so that the firmware's own timer interrupt stays
 *    out of the samples.
 *  - Every call costs a fixed number of ticks on top of its delay (entering the firmware, the
 *    timer reads: about 16 us under QEMU, 1.5% of a 1 ms sample). The rate is taken from the
 *    difference between a long and a short stall, in which that cost cancels. A disturbed short
 *    stall would make that difference too small; the long stall alone is an upper bound on the
 *    rate (cost and disturbance only add ticks), so a difference that puts the cost above
 *    TSC_MAX_CALL_COST_PERMILLE of the long stall is not believed and the bound is used.
 * The kernel measures the rate again itself; this one converts the loader's stamps when it cannot.
 */
#include <stdbool.h>

#include "console.h"
#include "loader.h"
#include "tsc_rate.h"

#define TSC_SHORT_US               500u
#define TSC_LONG_US                1000u
#define TSC_ROUNDS                 2
#define TSC_MAX_CALL_COST_PERMILLE 60u
#define TSC_US_PER_SECOND          1000000u

uint64_t tsc_read(void)
{
    return __builtin_ia32_rdtsc();
}

void tsc_stamp(struct loader *ld, enum pagoda_phase phase)
{
    ld->tsc[phase] = tsc_read();
}

static struct tsc_cpuid_regs read_cpuid(uint32_t leaf)
{
    struct tsc_cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(0));
    return r;
}

/* TSC ticks over one Stall(us); 0 if Stall failed. */
static uint64_t stall_ticks(struct loader *ld, UINTN us)
{
    uint64_t start = tsc_read();
    EFI_STATUS status = ld->bs->Stall(us);
    uint64_t ticks = tsc_read() - start;
    return EFI_ERROR(status) ? 0 : ticks;
}

static uint64_t fewer(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

struct stall_rate {
    uint64_t hz;     /* 0 if Stall failed */
    bool difference; /* long minus short; else the long stall alone */
};

static struct stall_rate stall_rate(struct loader *ld)
{
    struct stall_rate rate = {0, false};
    uint64_t shortest = UINT64_MAX, longest = UINT64_MAX;
    /* No firmware timer interrupt in the middle of a sample (Stall may be called at any TPL). */
    EFI_TPL tpl = ld->bs->RaiseTPL(TPL_HIGH_LEVEL);
    for (int round = 0; round < TSC_ROUNDS; round++) {
        uint64_t short_ticks = stall_ticks(ld, TSC_SHORT_US);
        uint64_t long_ticks = stall_ticks(ld, TSC_LONG_US);
        if (short_ticks == 0 || long_ticks == 0)
            break;
        shortest = fewer(shortest, short_ticks);
        longest = fewer(longest, long_ticks);
    }
    ld->bs->RestoreTPL(tpl);
    if (shortest == UINT64_MAX || longest == UINT64_MAX)
        return rate;
    uint64_t bound = longest * (TSC_US_PER_SECOND / TSC_LONG_US);
    uint64_t difference =
        longest > shortest
            ? (longest - shortest) * (TSC_US_PER_SECOND / (TSC_LONG_US - TSC_SHORT_US))
            : 0;
    rate.difference = difference * 1000 >= bound * (1000 - TSC_MAX_CALL_COST_PERMILLE);
    rate.hz = rate.difference ? difference : bound;
    return rate;
}

void tsc_measure(struct loader *ld)
{
    struct tsc_cpuid_rate cpuid = tsc_rate_from_cpuid(read_cpuid);
    if (cpuid.hz) {
        ld->tsc_hz = cpuid.hz;
        console_print("loader: TSC %llu kHz (CPUID 0x15: crystal %llu kHz x %u/%u, %s)\n",
                      (unsigned long long)(ld->tsc_hz / 1000),
                      (unsigned long long)(cpuid.crystal_hz / 1000), cpuid.numerator,
                      cpuid.denominator, tsc_crystal_source_name(cpuid.source));
        return;
    }
    struct stall_rate stall = stall_rate(ld);
    ld->tsc_hz = stall.hz;
    if (stall.hz == 0)
        console_print("loader: TSC rate unknown (%s; Stall failed)\n", cpuid.why);
    else if (stall.difference)
        console_print("loader: TSC %llu kHz (Stall %u us minus Stall %u us, fewest ticks of %d "
                      "each; %s)\n",
                      (unsigned long long)(stall.hz / 1000), TSC_LONG_US, TSC_SHORT_US, TSC_ROUNDS,
                      cpuid.why);
    else
        console_print("loader: TSC %llu kHz (Stall %u us, fewest ticks of %d, an upper bound: "
                      "the %u us stalls were disturbed; %s)\n",
                      (unsigned long long)(stall.hz / 1000), TSC_LONG_US, TSC_ROUNDS, TSC_SHORT_US,
                      cpuid.why);
}
