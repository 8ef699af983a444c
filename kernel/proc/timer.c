#include "timer.h"

#include "../arch/lapic.h"
#include "../arch/vectors.h"
#include "../arch/x86.h"

/* Long enough for a count the TSC can time to a fraction of a percent, short enough to be no
 * wait at all: 2 ms. */
#define CALIBRATION_US 2000u

static struct timer_info info = {.why_not = "not started"};

static uint64_t measure_counts_per_second(uint64_t tsc_hz)
{
    uint64_t wait = tsc_hz * CALIBRATION_US / 1000000u;
    lapic_timer_count_down(0xFFFFFFFFu);
    uint64_t start = rdtsc();
    uint32_t first = lapic_timer_current();
    while (rdtsc() - start < wait)
        __asm__ volatile("pause");
    uint32_t last = lapic_timer_current();
    uint64_t elapsed = rdtsc() - start;
    lapic_timer_stop();
    return elapsed ? (uint64_t)(first - last) * tsc_hz / elapsed : 0;
}

const struct timer_info *timer_start(uint64_t tsc_hz, uint32_t tick_ms)
{
    if (!lapic_usable()) {
        info.why_not = "no usable local APIC";
        return &info;
    }
    if (!tsc_hz) {
        info.why_not = "no TSC rate to calibrate against";
        return &info;
    }
    lapic_software_enable(VECTOR_SPURIOUS);
    info.bus_hz = measure_counts_per_second(tsc_hz);
    uint64_t count = info.bus_hz * tick_ms / 1000u;
    if (count == 0 || count > 0xFFFFFFFFu) {
        info.why_not = "the timer's rate is out of range";
        return &info;
    }
    info.counts_per_tick = (uint32_t)count;
    lapic_timer_periodic(VECTOR_TIMER, info.counts_per_tick);
    info.running = true;
    info.why_not = 0;
    return &info;
}

const struct timer_info *timer_info(void)
{
    return &info;
}

void timer_acknowledge(void)
{
    lapic_end_of_interrupt();
}
