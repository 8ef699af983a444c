/*
 * Architectural bit and register numbers (Intel SDM Vol. 3A ch. 2 and 10, Vol. 2A CPUID), each
 * named once here and used by name everywhere else. Plain macros so assembly can include it too.
 */
#ifndef PAGODA_X86_BITS_H
#define PAGODA_X86_BITS_H

/* Unsigned in C, plain in assembly (gas has no integer suffixes). */
#ifdef __ASSEMBLER__
#define X86_U(x)   x
#define X86_ULL(x) x
#else
#define X86_U(x)   x##u
#define X86_ULL(x) x##ull
#endif

/* CR0 */
#define CR0_PE (X86_U(1) << 0)
#define CR0_MP (X86_U(1) << 1)
#define CR0_EM (X86_U(1) << 2)
#define CR0_TS (X86_U(1) << 3)
#define CR0_ET (X86_U(1) << 4)
#define CR0_NE (X86_U(1) << 5)
#define CR0_WP (X86_U(1) << 16)
#define CR0_AM (X86_U(1) << 18)
#define CR0_NW (X86_U(1) << 29)
#define CR0_CD (X86_U(1) << 30)
#define CR0_PG (X86_U(1) << 31)

/* CR4 */
#define CR4_VME        (X86_U(1) << 0)
#define CR4_PVI        (X86_U(1) << 1)
#define CR4_TSD        (X86_U(1) << 2)
#define CR4_DE         (X86_U(1) << 3)
#define CR4_PSE        (X86_U(1) << 4)
#define CR4_PAE        (X86_U(1) << 5)
#define CR4_MCE        (X86_U(1) << 6)
#define CR4_PGE        (X86_U(1) << 7)
#define CR4_PCE        (X86_U(1) << 8)
#define CR4_OSFXSR     (X86_U(1) << 9)
#define CR4_OSXMMEXCPT (X86_U(1) << 10)

/* EFLAGS */
#define EFLAGS_CF       (X86_U(1) << 0)
#define EFLAGS_RESERVED (X86_U(1) << 1) /* always reads as 1 */
#define EFLAGS_TF       (X86_U(1) << 8)
#define EFLAGS_IF       (X86_U(1) << 9)
#define EFLAGS_DF       (X86_U(1) << 10)
#define EFLAGS_ID       (X86_U(1) << 21)

/* MSRs */
#define MSR_IA32_APIC_BASE X86_U(0x0000001B)
#define MSR_IA32_EFER      X86_U(0xC0000080)
#define MSR_IA32_PAT       X86_U(0x00000277)
#define MSR_X2APIC_BASE                                                                            \
    X86_U(0x00000800) /* x2APIC register = MSR_X2APIC_BASE + (MMIO offset >> 4) */

/* IA32_APIC_BASE */
#define APIC_BASE_BSP       (X86_U(1) << 8)
#define APIC_BASE_X2APIC    (X86_U(1) << 10)
#define APIC_BASE_ENABLE    (X86_U(1) << 11)
#define APIC_BASE_ADDR_MASK X86_U(0xFFFFF000) /* low half; bits 32.. are in the high half */

/* IA32_EFER */
#define EFER_SCE (X86_U(1) << 0)
#define EFER_LME (X86_U(1) << 8)
#define EFER_LMA (X86_U(1) << 10)
#define EFER_NXE (X86_U(1) << 11)

/* CPUID leaves and feature bits */
#define CPUID_LEAF_VENDOR        X86_U(0x00000000)
#define CPUID_LEAF_FEATURES      X86_U(0x00000001)
#define CPUID_LEAF_EXT_MAX       X86_U(0x80000000)
#define CPUID_LEAF_EXT_FEATURES  X86_U(0x80000001)
#define CPUID_LEAF_BRAND_FIRST   X86_U(0x80000002)
#define CPUID_LEAF_POWER         X86_U(0x80000007)
#define CPUID_LEAF_ADDRESS_SIZES X86_U(0x80000008)

#define CPUID_1_EDX_FPU        (X86_U(1) << 0)
#define CPUID_1_EDX_PSE        (X86_U(1) << 3)
#define CPUID_1_EDX_TSC        (X86_U(1) << 4)
#define CPUID_1_EDX_MSR        (X86_U(1) << 5)
#define CPUID_1_EDX_PAE        (X86_U(1) << 6)
#define CPUID_1_EDX_APIC       (X86_U(1) << 9)
#define CPUID_1_EDX_MTRR       (X86_U(1) << 12)
#define CPUID_1_EDX_PGE        (X86_U(1) << 13)
#define CPUID_1_EDX_PAT        (X86_U(1) << 16)
#define CPUID_1_EDX_PSE36      (X86_U(1) << 17)
#define CPUID_1_ECX_X2APIC     (X86_U(1) << 21)
#define CPUID_1_ECX_HYPERVISOR (X86_U(1) << 31)

#define CPUID_81_EDX_SYSCALL (X86_U(1) << 11)
#define CPUID_81_EDX_NX      (X86_U(1) << 20)
#define CPUID_81_EDX_PDPE1GB (X86_U(1) << 26)
#define CPUID_81_EDX_LM      (X86_U(1) << 29)

#define CPUID_87_EDX_INVARIANT_TSC (X86_U(1) << 8)

/* EFER exists when the CPU reports any feature that lives in it. */
#define CPUID_81_EDX_EFER_FEATURES (CPUID_81_EDX_SYSCALL | CPUID_81_EDX_NX | CPUID_81_EDX_LM)

/* Segment selectors of the kernel's GDT (same values the loader's GDT used). */
#define SEL_KERNEL_CODE X86_U(0x08)
#define SEL_KERNEL_DATA X86_U(0x10)
#define SEL_MAIN_TSS    X86_U(0x18) /* the kernel's own task: where a task switch saves it */
#define SEL_DF_TSS      X86_U(0x20) /* the double-fault task: fresh stack, reports and halts */
/* Ring 3: descriptors with DPL 3, selectors with RPL 3. */
#define SEL_RPL_USER  X86_U(3)
#define SEL_USER_CODE (X86_U(0x28) | SEL_RPL_USER)
#define SEL_USER_DATA (X86_U(0x30) | SEL_RPL_USER)

#endif
