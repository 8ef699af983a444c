/* The TSC as the kernel's clock: its rate from CPUID leaf 0x15, else measured against PIT
 * channel 2 in a couple of milliseconds; compared with the loader's in the boot log. */
#ifndef PAGODA_TSC_H
#define PAGODA_TSC_H

#include <stdbool.h>
#include <stdint.h>

#include "tsc_rate.h"

#define TSC_CALIBRATION_MS       1u /* per sample */
#define TSC_CALIBRATION_SAMPLES  2u /* clean samples wanted: the smallest is used */
#define TSC_CALIBRATION_ATTEMPTS 6u

enum tsc_calibration_status {
    TSC_CAL_OK,
    TSC_CAL_NOISY,  /* every attempt was disturbed (a busy host under QEMU, SMIs) */
    TSC_CAL_NO_PIT, /* channel 2's output never rose, or was high at once in every attempt */
    TSC_CAL_NO_TSC, /* the TSC did not advance */
};

enum tsc_method {
    TSC_METHOD_CPUID, /* the rate CPUID leaf 0x15 states: nothing measured */
    TSC_METHOD_PIT,   /* measured against PIT channel 2 */
};

struct tsc_calibration {
    enum tsc_calibration_status status;
    bool ok;                /* status == TSC_CAL_OK */
    enum tsc_method method; /* where hz comes from */
    uint64_t hz;            /* the rate (PIT: chosen sample's, also set when NOISY), 0 otherwise */
    struct tsc_cpuid_rate cpuid; /* what CPUID said (why not, when the PIT was used) */
    /* PIT only: */
    uint64_t cycles;        /* TSC cycles over the PIT interval, chosen sample */
    uint64_t uncertainty;   /* cycles its start and end could each be off by */
    uint64_t spread_cycles; /* largest minus smallest clean sample */
    uint32_t attempts;      /* attempts made */
    uint32_t samples;       /* clean attempts among them */
    uint32_t pit_ticks;     /* PIT ticks waited per attempt */
    uint32_t polls;         /* port reads until the PIT's output rose, chosen sample */
    const char *failure;    /* why it is not OK */
};

/*
 * The rate CPUID leaf 0x15 states when it is there and plausible (lib/tsc_rate.h). Else
 * busy-wait TSC_CALIBRATION_MS on PIT channel 2 (gate via port 0x61, mode 0) and count cycles.
 * The start and end are each bracketed by two TSC reads; an attempt whose brackets are wider than
 * 1% of the interval (the CPU was elsewhere: a descheduled vCPU, an SMI) is thrown away. Of
 * TSC_CALIBRATION_SAMPLES clean attempts the one with the fewest cycles wins: disturbances only
 * add cycles (under a busy QEMU/TCG host the PIT's virtual clock was seen to fall behind the TSC).
 */
struct tsc_calibration tsc_calibrate(void);

#endif
