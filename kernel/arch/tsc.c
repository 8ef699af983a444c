#include "tsc.h"

#include "x86.h"

#define PIT_HZ                1193182u
#define PIT_CHANNEL2_DATA     0x42u
#define PIT_COMMAND           0x43u
#define PIT_CMD_CHANNEL2      (2u << 6)
#define PIT_CMD_LOBYTE_HIBYTE (3u << 4)
#define PIT_CMD_MODE0         (0u << 1) /* interrupt on terminal count: OUT rises at zero */
#define PORT_SYSTEM_CONTROL   0x61u
#define SYSCTL_GATE2          (1u << 0)
#define SYSCTL_SPEAKER        (1u << 1)
#define SYSCTL_OUT2           (1u << 5)
#define PIT_MAX_POLLS         50000000u /* far more than 1 ms of port reads on any machine */
#define ACCEPT_PERMILLE       10u       /* accept up to 1% */

struct attempt {
    enum tsc_calibration_status status;
    bool high_at_once; /* the first read already saw the output high */
    uint64_t cycles;
    uint64_t uncertainty;
    uint32_t polls;
};

static struct attempt measure_once(uint32_t ticks)
{
    struct attempt a = {.status = TSC_CAL_OK};
    outb(PIT_COMMAND, PIT_CMD_CHANNEL2 | PIT_CMD_LOBYTE_HIBYTE | PIT_CMD_MODE0);
    outb(PIT_CHANNEL2_DATA, ticks & 0xFFu);
    uint64_t start_before = rdtsc();
    outb(PIT_CHANNEL2_DATA, (uint8_t)(ticks >> 8)); /* counting starts with the high byte */
    uint64_t start_after = rdtsc();

    /* The output rose between the last read that saw it low and the one that saw it high. */
    uint64_t last_low = start_after, end_after = start_after;
    bool high = false;
    while (a.polls < PIT_MAX_POLLS) {
        a.polls++;
        high = inb(PORT_SYSTEM_CONTROL) & SYSCTL_OUT2;
        end_after = rdtsc();
        if (high)
            break;
        last_low = end_after;
    }
    if (!high) {
        a.status = TSC_CAL_NO_PIT;
        return a;
    }
    /* High at the first read: either no PIT answers (the port reads as all ones), or the vCPU
     * lost more than the whole interval between starting the count and reading it (a busy host
     * under QEMU). Only another attempt tells which. */
    if (a.polls == 1) {
        a.high_at_once = true;
        a.status = TSC_CAL_NO_PIT;
        return a;
    }
    uint64_t start = start_before + (start_after - start_before) / 2;
    uint64_t end = last_low + (end_after - last_low) / 2;
    if (end <= start) {
        a.status = TSC_CAL_NO_TSC;
        return a;
    }
    a.cycles = end - start;
    uint64_t start_width = start_after - start_before, end_width = end_after - last_low;
    a.uncertainty = start_width > end_width ? start_width : end_width;
    return a;
}

static bool attempt_is_clean(const struct attempt *a)
{
    return a->status == TSC_CAL_OK && a->uncertainty * 1000 <= a->cycles * ACCEPT_PERMILLE;
}

/* Index of the sample with the fewest cycles. Everything that disturbs a measurement (an SMI,
 * a descheduled vCPU, QEMU's virtual clock falling behind the host TSC under load) only ever adds
 * TSC cycles to the PIT interval, so the smallest clean sample is the best estimate. */
static uint32_t fastest_index(const struct attempt *samples, uint32_t count)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < count; i++) {
        if (samples[i].cycles < samples[best].cycles)
            best = i;
    }
    return best;
}

static void fail_with(struct tsc_calibration *result, const struct attempt *a)
{
    result->status = a->status;
    result->failure = a->status == TSC_CAL_NO_TSC
                          ? "the TSC did not advance"
                          : "PIT channel 2 output never rose, or was high at every first read: "
                            "no PIT?";
}

static struct tsc_cpuid_regs read_cpuid(uint32_t leaf)
{
    struct cpuid_regs r = cpuid(leaf, 0);
    return (struct tsc_cpuid_regs){r.eax, r.ebx, r.ecx, r.edx};
}

static struct tsc_calibration measure_on_pit(struct tsc_calibration result)
{
    const uint32_t ticks = PIT_HZ / (1000u / TSC_CALIBRATION_MS);
    result.method = TSC_METHOD_PIT;
    result.status = TSC_CAL_NO_PIT;
    result.pit_ticks = ticks;
    struct attempt samples[TSC_CALIBRATION_SAMPLES], last = {.status = TSC_CAL_NO_PIT};
    struct attempt disturbed = {.status = TSC_CAL_NO_PIT}; /* the last measured but unclean one */
    uint32_t clean = 0;

    uint8_t control = inb(PORT_SYSTEM_CONTROL);
    outb(PORT_SYSTEM_CONTROL, (uint8_t)((control & ~SYSCTL_SPEAKER) | SYSCTL_GATE2));
    while (clean < TSC_CALIBRATION_SAMPLES && result.attempts < TSC_CALIBRATION_ATTEMPTS) {
        last = measure_once(ticks);
        result.attempts++;
        if (last.status != TSC_CAL_OK && !last.high_at_once)
            break; /* the output never rose, or the TSC stands still: retrying will not help */
        if (attempt_is_clean(&last))
            samples[clean++] = last;
        else if (last.status == TSC_CAL_OK)
            disturbed = last;
    }
    outb(PORT_SYSTEM_CONTROL, control);

    result.samples = clean;
    bool hard_failure = last.status != TSC_CAL_OK && !last.high_at_once;
    if (hard_failure || (clean == 0 && disturbed.status != TSC_CAL_OK)) {
        fail_with(&result, &last); /* or not one attempt saw the output rise after the start */
        return result;
    }
    if (clean == 0) {
        /* Report the last disturbed attempt's rate, but do not trust it. */
        result.cycles = disturbed.cycles;
        result.uncertainty = disturbed.uncertainty;
        result.hz = disturbed.cycles * PIT_HZ / ticks;
        result.status = TSC_CAL_NOISY;
        result.failure = "every attempt was disturbed by more than 1%";
        return result;
    }
    const struct attempt *chosen = &samples[fastest_index(samples, clean)];
    uint64_t high = chosen->cycles;
    for (uint32_t i = 0; i < clean; i++) {
        high = samples[i].cycles > high ? samples[i].cycles : high;
    }
    result.cycles = chosen->cycles;
    result.uncertainty = chosen->uncertainty;
    result.polls = chosen->polls;
    result.spread_cycles = high - chosen->cycles;
    result.hz = chosen->cycles * PIT_HZ / ticks;
    result.status = TSC_CAL_OK;
    result.ok = true;
    return result;
}

struct tsc_calibration tsc_calibrate(void)
{
    struct tsc_calibration result = {.cpuid = tsc_rate_from_cpuid(read_cpuid)};
    if (result.cpuid.hz == 0)
        return measure_on_pit(result);
    result.method = TSC_METHOD_CPUID;
    result.hz = result.cpuid.hz;
    result.status = TSC_CAL_OK;
    result.ok = true;
    return result;
}
