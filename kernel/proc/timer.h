/*
 * The scheduler's tick: the local APIC timer in periodic mode, its rate measured against the TSC
 * (one short count, no long busy-wait). Without a usable local APIC there is no tick: processes
 * then run until they yield, block or end, and sleeps are timed by the TSC alone.
 */
#ifndef PAGODA_PROC_TIMER_H
#define PAGODA_PROC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer_info {
    bool running;
    uint32_t counts_per_tick; /* initial count at the bus clock / 16 */
    uint64_t bus_hz;          /* the timer's input clock, measured (after the divide by 16) */
    const char *why_not;      /* when not running */
};

/* Calibrates and starts the periodic tick on VECTOR_TIMER. */
const struct timer_info *timer_start(uint64_t tsc_hz, uint32_t tick_ms);
const struct timer_info *timer_info(void);
/* End of the tick's interrupt. */
void timer_acknowledge(void);

#endif
