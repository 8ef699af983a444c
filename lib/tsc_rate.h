/*
 * The TSC rate as the processor states it, without measuring anything: CPUID leaf 0x15 gives the
 * ratio of the TSC to the core crystal clock (EBX/EAX) and, on most processors that have it, the
 * crystal's frequency (ECX). When ECX is 0 the crystal is taken from the SDM's table of nominal
 * crystal clocks (Vol. 3B, "Determining the Processor Base Frequency"), else derived from leaf
 * 0x16's processor base frequency (which the TSC runs at on those processors). Shared by the
 * loader and the kernel; pure (CPUID comes through a callback), host-tested.
 */
#ifndef PAGODA_TSC_RATE_H
#define PAGODA_TSC_RATE_H

#include <stdint.h>

/* A rate outside this range is not believed (a hypervisor's or a firmware's stray values). */
#define TSC_RATE_MIN_HZ 100000000ull   /* 100 MHz */
#define TSC_RATE_MAX_HZ 10000000000ull /* 10 GHz */

struct tsc_cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};
typedef struct tsc_cpuid_regs (*tsc_cpuid_fn)(uint32_t leaf);

enum tsc_crystal_source {
    TSC_CRYSTAL_NONE,
    TSC_CRYSTAL_CPUID_15,    /* leaf 0x15 ECX */
    TSC_CRYSTAL_KNOWN_MODEL, /* the SDM's nominal crystal for this family/model */
    TSC_CRYSTAL_CPUID_16,    /* base frequency (leaf 0x16 EAX) x EAX / EBX of leaf 0x15 */
};

struct tsc_cpuid_rate {
    uint64_t hz;                    /* 0: CPUID does not give a believable rate (see why) */
    uint64_t crystal_hz;            /* the core crystal clock used */
    uint32_t numerator;             /* leaf 0x15 EBX */
    uint32_t denominator;           /* leaf 0x15 EAX */
    enum tsc_crystal_source source; /* where crystal_hz came from */
    const char *why;                /* when hz is 0: why not, for the log */
};

struct tsc_cpuid_rate tsc_rate_from_cpuid(tsc_cpuid_fn cpuid);
/* "leaf 0x15 ECX", "known crystal", "leaf 0x16 base frequency" */
const char *tsc_crystal_source_name(enum tsc_crystal_source source);

#endif
