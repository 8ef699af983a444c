#include "cpu.h"

#include "pg_string.h"
#include "x86.h"

struct cpu_info cpu;

static void copy_register_text(char *dst, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        dst[i] = (char)(value >> (8 * i));
}

static void detect_vendor(void)
{
    struct cpuid_regs r = cpuid(CPUID_LEAF_VENDOR, 0);
    cpu.max_leaf = r.eax;
    copy_register_text(cpu.vendor, r.ebx);
    copy_register_text(cpu.vendor + 4, r.edx);
    copy_register_text(cpu.vendor + 8, r.ecx);
    cpu.vendor[12] = '\0';
}

static void detect_signature_and_features(void)
{
    if (cpu.max_leaf < CPUID_LEAF_FEATURES)
        return;
    struct cpuid_regs r = cpuid(CPUID_LEAF_FEATURES, 0);
    uint32_t family = (r.eax >> 8) & 0xFu, model = (r.eax >> 4) & 0xFu;
    /* SDM Vol. 2A CPUID: extended family only for family 15, extended model for 6 and 15. */
    if (family == 0xF)
        family += (r.eax >> 20) & 0xFFu;
    if (family == 0x6 || family >= 0xF)
        model += ((r.eax >> 16) & 0xFu) << 4;
    cpu.family = family;
    cpu.model = model;
    cpu.stepping = r.eax & 0xFu;
    cpu.features_edx = r.edx;
    cpu.features_ecx = r.ecx;
    cpu.fpu = r.edx & CPUID_1_EDX_FPU;
    cpu.tsc = r.edx & CPUID_1_EDX_TSC;
    cpu.msr = r.edx & CPUID_1_EDX_MSR;
    cpu.pae = r.edx & CPUID_1_EDX_PAE;
    cpu.pse = r.edx & CPUID_1_EDX_PSE;
    cpu.pse36 = r.edx & CPUID_1_EDX_PSE36;
    cpu.pge = r.edx & CPUID_1_EDX_PGE;
    cpu.pat = r.edx & CPUID_1_EDX_PAT;
    cpu.mtrr = r.edx & CPUID_1_EDX_MTRR;
    cpu.apic = r.edx & CPUID_1_EDX_APIC;
    cpu.x2apic = r.ecx & CPUID_1_ECX_X2APIC;
    cpu.hypervisor = r.ecx & CPUID_1_ECX_HYPERVISOR;
}

static void detect_brand(void)
{
    if (cpu.max_ext_leaf < CPUID_LEAF_BRAND_FIRST + 2)
        return;
    for (uint32_t i = 0; i < 3; i++) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_BRAND_FIRST + i, 0);
        copy_register_text(cpu.brand + 16 * i, r.eax);
        copy_register_text(cpu.brand + 16 * i + 4, r.ebx);
        copy_register_text(cpu.brand + 16 * i + 8, r.ecx);
        copy_register_text(cpu.brand + 16 * i + 12, r.edx);
    }
    cpu.brand[48] = '\0';
    /* Intel pads the brand string with leading spaces. */
    size_t skip = 0;
    while (cpu.brand[skip] == ' ')
        skip++;
    memmove(cpu.brand, cpu.brand + skip, sizeof(cpu.brand) - skip);
}

static void detect_extended(void)
{
    cpu.max_ext_leaf = cpuid(CPUID_LEAF_EXT_MAX, 0).eax;
    if (cpu.max_ext_leaf < CPUID_LEAF_EXT_MAX || cpu.max_ext_leaf > CPUID_LEAF_EXT_MAX + 0xFFFF)
        cpu.max_ext_leaf = 0; /* very old CPUs echo garbage for unknown leaves */
    if (cpu.max_ext_leaf >= CPUID_LEAF_EXT_FEATURES) {
        uint32_t edx = cpuid(CPUID_LEAF_EXT_FEATURES, 0).edx;
        cpu.ext_features_edx = edx;
        cpu.nx = edx & CPUID_81_EDX_NX;
        cpu.long_mode = edx & CPUID_81_EDX_LM;
        cpu.pdpe1gb = edx & CPUID_81_EDX_PDPE1GB;
        cpu.syscall = edx & CPUID_81_EDX_SYSCALL;
        cpu.has_efer = edx & CPUID_81_EDX_EFER_FEATURES;
    }
    if (cpu.max_ext_leaf >= CPUID_LEAF_POWER)
        cpu.invariant_tsc = cpuid(CPUID_LEAF_POWER, 0).edx & CPUID_87_EDX_INVARIANT_TSC;
    cpu.physical_address_bits = cpu.pae ? 36 : 32;
    cpu.linear_address_bits = 32;
    if (cpu.max_ext_leaf >= CPUID_LEAF_ADDRESS_SIZES) {
        uint32_t eax = cpuid(CPUID_LEAF_ADDRESS_SIZES, 0).eax;
        cpu.physical_address_bits = eax & 0xFFu;
        cpu.linear_address_bits = (eax >> 8) & 0xFFu;
        cpu.address_bits_from_cpuid = true;
    }
}

void cpu_detect(void)
{
    memset(&cpu, 0, sizeof(cpu));
    detect_vendor();
    detect_signature_and_features();
    detect_extended();
    detect_brand();
}

void cpu_refuse_fpu(void)
{
    write_cr0((read_cr0() | CR0_EM) & ~CR0_MP);
}

uint64_t cpu_read_efer(void)
{
    return cpu.has_efer ? rdmsr(MSR_IA32_EFER) : 0;
}

void cpu_clear_features(uint32_t mask)
{
    cpu.cleared = mask;
    if (mask & CPU_FEATURE_PAE)
        cpu.pae = false;
    if (mask & CPU_FEATURE_NX)
        cpu.nx = false;
    if (mask & CPU_FEATURE_PGE)
        cpu.pge = false;
    if (mask & CPU_FEATURE_PAT)
        cpu.pat = false;
}
