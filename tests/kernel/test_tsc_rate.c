/*
 * The TSC rate from CPUID (lib/tsc_rate.c, used by the loader and the kernel) on the host, under
 * ASan/UBSan: processors described by their CPUID leaves, answered by a fake CPUID.
 */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "tsc_rate.h"

#define INTEL_EBX 0x756E6547u /* "Genu" */
#define INTEL_EDX 0x49656E69u /* "ineI" */
#define INTEL_ECX 0x6C65746Eu /* "ntel" */
#define AMD_EBX   0x68747541u /* "Auth" */

static struct {
    uint32_t max_leaf, vendor_ebx, vendor_ecx, vendor_edx;
    uint32_t signature;
    struct tsc_cpuid_regs leaf15, leaf16;
    unsigned calls_above_max; /* a leaf above max_leaf was asked for */
} cpu;

static struct tsc_cpuid_regs fake_cpuid(uint32_t leaf)
{
    if (leaf > cpu.max_leaf) {
        cpu.calls_above_max++;
        return (struct tsc_cpuid_regs){0xBAD, 0xBAD, 0xBAD, 0xBAD};
    }
    switch (leaf) {
    case 0:
        return (struct tsc_cpuid_regs){cpu.max_leaf, cpu.vendor_ebx, cpu.vendor_ecx,
                                       cpu.vendor_edx};
    case 1:
        return (struct tsc_cpuid_regs){cpu.signature, 0, 0, 0};
    case 0x15:
        return cpu.leaf15;
    case 0x16:
        return cpu.leaf16;
    default:
        return (struct tsc_cpuid_regs){0, 0, 0, 0};
    }
}

/* family 6 with the display model split into model and extended model */
static uint32_t signature(uint32_t family, uint32_t model)
{
    return family << 8 | (model & 0xFu) << 4 | (model >> 4) << 16 | 0x3u;
}

static void intel(uint32_t max_leaf, uint32_t model)
{
    memset(&cpu, 0, sizeof(cpu));
    cpu.max_leaf = max_leaf;
    cpu.vendor_ebx = INTEL_EBX, cpu.vendor_ecx = INTEL_ECX, cpu.vendor_edx = INTEL_EDX;
    cpu.signature = signature(6, model);
}

int main(void)
{
    struct tsc_cpuid_rate r;

    intel(0xD, 0x3A); /* Ivy Bridge: no leaf 0x15 */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0 && strstr(r.why, "no CPUID leaf 0x15") && cpu.calls_above_max == 0,
              "max leaf 0xd: no rate, leaf 0x15 never read (%s)", r.why);

    memset(&cpu, 0, sizeof(cpu));
    cpu.max_leaf = 0x10, cpu.vendor_ebx = AMD_EBX; /* an AMD EPYC-like processor */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0 && cpu.calls_above_max == 0, "AMD, max leaf 0x10: no rate");

    intel(0x1B, 0x97); /* Alder Lake: ECX states the 38.4 MHz crystal */
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 188, 38400000, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 3609600000ull && r.source == TSC_CRYSTAL_CPUID_15 &&
                  r.crystal_hz == 38400000 && r.numerator == 188 && r.denominator == 2,
              "crystal in ECX: 38.4 MHz x 188/2 = 3609.6 MHz (%llu Hz, %s)",
              (unsigned long long)r.hz, tsc_crystal_source_name(r.source));

    intel(0x16, 0x9E); /* Kaby Lake desktop: ECX 0, the SDM's 24 MHz */
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 300, 0, 0};
    cpu.leaf16 = (struct tsc_cpuid_regs){3601, 4200, 100, 0}; /* deliberately not 3600 */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 3600000000ull && r.source == TSC_CRYSTAL_KNOWN_MODEL &&
                  r.crystal_hz == 24000000,
              "ECX 0, model 0x9E: known 24 MHz crystal wins over leaf 0x16 (%llu Hz)",
              (unsigned long long)r.hz);

    intel(0x16, 0x5C); /* Goldmont: 19.2 MHz */
    cpu.leaf15 = (struct tsc_cpuid_regs){1, 57, 0, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 1094400000ull && r.source == TSC_CRYSTAL_KNOWN_MODEL,
              "ECX 0, Goldmont: 19.2 MHz x 57 = 1094.4 MHz (%llu Hz)", (unsigned long long)r.hz);

    intel(0x16, 0x55); /* a model outside the table: the base frequency from leaf 0x16 */
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 168, 0, 0};
    cpu.leaf16 = (struct tsc_cpuid_regs){2100, 3700, 100, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 2100000000ull && r.source == TSC_CRYSTAL_CPUID_16 && r.crystal_hz == 25000000,
              "ECX 0, unknown model: 2100 MHz base, crystal 2100 x 2/168 = 25 MHz (%llu Hz)",
              (unsigned long long)r.hz);

    intel(0x15, 0x55); /* ... but without leaf 0x16 there is no crystal to use */
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 168, 0, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0 && cpu.calls_above_max == 0 && strstr(r.why, "no crystal"),
              "ECX 0, unknown model, max leaf 0x15: no rate, leaf 0x16 not read (%s)", r.why);

    memset(&cpu, 0, sizeof(cpu));
    cpu.max_leaf = 0x16, cpu.vendor_ebx = AMD_EBX, cpu.signature = signature(6, 0x9E);
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 300, 0, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0, "the known-crystal table is for Intel only");

    intel(0x16, 0x9E);
    cpu.leaf15 = (struct tsc_cpuid_regs){0, 300, 24000000, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0 && strstr(r.why, "ratio"), "denominator 0: no rate (%s)", r.why);
    cpu.leaf15 = (struct tsc_cpuid_regs){2, 0, 24000000, 0};
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0, "numerator 0: no rate");

    intel(0x16, 0x9E);
    cpu.leaf15 = (struct tsc_cpuid_regs){1, 1, 24000000, 0}; /* 24 MHz TSC */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0 && strstr(r.why, "implausible"), "24 MHz: implausible, refused (%s)",
              r.why);
    cpu.leaf15 = (struct tsc_cpuid_regs){1, 0xFFFFFFFFu, 0xFFFFFFFFu, 0}; /* ~1.8e19 Hz */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0, "largest ECX and numerator: no overflow (UBSan), refused");
    cpu.leaf15 = (struct tsc_cpuid_regs){1, 417, 24000000, 0}; /* 10.008 GHz */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == 0, "just above 10 GHz: refused");
    cpu.leaf15 = (struct tsc_cpuid_regs){3, 25, 12000000, 0}; /* exactly 100 MHz */
    r = tsc_rate_from_cpuid(fake_cpuid);
    TAP_CHECK(r.hz == TSC_RATE_MIN_HZ, "exactly 100 MHz: accepted");
    return tap_done();
}
