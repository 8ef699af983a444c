/* What CPUID says about this processor, read once at boot. */
#ifndef PAGODA_CPU_H
#define PAGODA_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_info {
    char vendor[13];
    char brand[49];
    uint32_t max_leaf, max_ext_leaf;
    uint32_t family, model, stepping;    /* display values (extended fields folded in) */
    uint32_t features_edx, features_ecx; /* leaf 1 */
    uint32_t ext_features_edx;           /* leaf 0x80000001 */
    bool fpu, tsc, msr, pae, pse, pse36, pge, pat, mtrr, apic, x2apic, hypervisor;
    bool nx, long_mode, pdpe1gb, syscall, invariant_tsc, has_efer;
    uint32_t physical_address_bits; /* 0x80000008, else 36 with PAE and 32 without */
    uint32_t linear_address_bits;   /* 0x80000008, else 32 */
    bool address_bits_from_cpuid;
    uint32_t cleared; /* CPU_FEATURE_* hidden by cpu_clear_features */
};

extern struct cpu_info cpu;

/* Features the kernel can be told to treat as absent (clearcpuid= on the command line, like
 * Linux's), to show the paths a CPU without them takes on hardware that has them. */
#define CPU_FEATURE_PAE (1u << 0)
#define CPU_FEATURE_NX  (1u << 1)
#define CPU_FEATURE_PGE (1u << 2)
#define CPU_FEATURE_PAT (1u << 3)

void cpu_detect(void);
/* Treat the features in mask (CPU_FEATURE_*) as absent from now on. */
void cpu_clear_features(uint32_t mask);
/* No process gets the FPU: the kernel keeps no x87 or SSE state per process, so CR0.EM makes
 * every x87, MMX and SSE instruction fault (#NM, #UD) instead of letting processes share one
 * register file. The kernel itself is built without them. */
void cpu_refuse_fpu(void);
/* IA32_EFER, or 0 where the register does not exist. */
uint64_t cpu_read_efer(void);

#endif
