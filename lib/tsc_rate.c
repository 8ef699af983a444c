#include "tsc_rate.h"

#define LEAF_VENDOR     0x0u
#define LEAF_SIGNATURE  0x1u
#define LEAF_TSC_RATIO  0x15u
#define LEAF_FREQUENCY  0x16u
#define HZ_PER_MHZ      1000000ull
#define FAMILY_INTEL_P6 6u

/* "GenuineIntel" in EBX, EDX, ECX of leaf 0 */
#define INTEL_EBX 0x756E6547u
#define INTEL_EDX 0x49656E69u
#define INTEL_ECX 0x6C65746Eu

struct known_crystal {
    uint32_t model; /* family 6, extended model folded in */
    uint64_t hz;
};

/* The SDM's nominal core crystal clocks for processors whose leaf 0x15 ECX is 0. */
static const struct known_crystal known_crystals[] = {
    {0x4E, 24000000}, /* 6th and 7th generation Core (Skylake, Kaby Lake) */
    {0x5E, 24000000}, {0x8E, 24000000}, {0x9E, 24000000}, {0x5C, 19200000}, /* Atom, Goldmont */
};

static uint64_t known_crystal_hz(const struct tsc_cpuid_regs *vendor, uint32_t signature)
{
    if (vendor->ebx != INTEL_EBX || vendor->edx != INTEL_EDX || vendor->ecx != INTEL_ECX)
        return 0;
    uint32_t family = (signature >> 8) & 0xFu;
    uint32_t model = ((signature >> 4) & 0xFu) | ((signature >> 16) & 0xFu) << 4;
    if (family != FAMILY_INTEL_P6)
        return 0;
    for (unsigned i = 0; i < sizeof(known_crystals) / sizeof(known_crystals[0]); i++) {
        if (known_crystals[i].model == model)
            return known_crystals[i].hz;
    }
    return 0;
}

static struct tsc_cpuid_rate not_given(struct tsc_cpuid_rate rate, const char *why)
{
    rate.hz = 0;
    rate.why = why;
    return rate;
}

struct tsc_cpuid_rate tsc_rate_from_cpuid(tsc_cpuid_fn cpuid)
{
    struct tsc_cpuid_rate rate = {.source = TSC_CRYSTAL_NONE};
    struct tsc_cpuid_regs vendor = cpuid(LEAF_VENDOR);
    uint32_t max_leaf = vendor.eax;
    if (max_leaf < LEAF_TSC_RATIO)
        return not_given(rate, "no CPUID leaf 0x15");
    struct tsc_cpuid_regs ratio = cpuid(LEAF_TSC_RATIO);
    rate.denominator = ratio.eax;
    rate.numerator = ratio.ebx;
    if (ratio.eax == 0 || ratio.ebx == 0)
        return not_given(rate, "CPUID leaf 0x15 gives no TSC/crystal ratio");
    if (ratio.ecx != 0) {
        rate.crystal_hz = ratio.ecx;
        rate.source = TSC_CRYSTAL_CPUID_15;
    } else if ((rate.crystal_hz = known_crystal_hz(&vendor, cpuid(LEAF_SIGNATURE).eax)) != 0) {
        rate.source = TSC_CRYSTAL_KNOWN_MODEL;
    } else if (max_leaf >= LEAF_FREQUENCY && (cpuid(LEAF_FREQUENCY).eax & 0xFFFFu) != 0) {
        /* The TSC runs at the base frequency: crystal = base x denominator / numerator. */
        uint64_t base_hz = (cpuid(LEAF_FREQUENCY).eax & 0xFFFFu) * HZ_PER_MHZ;
        rate.crystal_hz = base_hz * ratio.eax / ratio.ebx;
        rate.source = TSC_CRYSTAL_CPUID_16;
        rate.hz = base_hz;
    } else {
        return not_given(rate, "CPUID leaf 0x15 gives no crystal clock, leaf 0x16 no base "
                               "frequency");
    }
    if (rate.source != TSC_CRYSTAL_CPUID_16) {
        /* crystal < 2^32 and numerator < 2^32: the product fits in 64 bits */
        rate.hz = rate.crystal_hz * ratio.ebx / ratio.eax;
    }
    if (rate.hz < TSC_RATE_MIN_HZ || rate.hz > TSC_RATE_MAX_HZ)
        return not_given(rate, "CPUID leaf 0x15 gives an implausible rate");
    return rate;
}

const char *tsc_crystal_source_name(enum tsc_crystal_source source)
{
    switch (source) {
    case TSC_CRYSTAL_CPUID_15:
        return "leaf 0x15 ECX";
    case TSC_CRYSTAL_KNOWN_MODEL:
        return "known crystal";
    case TSC_CRYSTAL_CPUID_16:
        return "leaf 0x16 base frequency";
    case TSC_CRYSTAL_NONE:
        break;
    }
    return "none";
}
