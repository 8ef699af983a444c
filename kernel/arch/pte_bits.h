/*
 * Every bit of an x86 paging-structure entry, named once (Intel SDM vol. 3A, 4.3 for 32-bit
 * paging, 4.4 for PAE paging), and the control-register bits that switch the formats on.
 * Code uses these names only; no bare bit numbers elsewhere in kernel/paging/.
 *
 * The low 12 bits mean the same thing in both formats, so they are shared. Where the formats
 * differ (address masks, NX, which bits a PAE PDPTE may carry) the name says which format.
 */
#ifndef PAGODA_PTE_BITS_H
#define PAGODA_PTE_BITS_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#include "x86_bits.h"

/* Bits 0-8: identical in PDEs and PTEs of both formats. */
#define PTE_P   (X86_ULL(1) << 0) /* present */
#define PTE_RW  (X86_ULL(1) << 1) /* writable (supervisor writes too, with CR0.WP) */
#define PTE_US  (X86_ULL(1) << 2) /* user-accessible */
#define PTE_PWT (X86_ULL(1) << 3) /* page write-through: PAT index bit 0 */
#define PTE_PCD (X86_ULL(1) << 4) /* page cache disable: PAT index bit 1 */
#define PTE_A   (X86_ULL(1) << 5) /* accessed, set by the CPU */
#define PTE_D   (X86_ULL(1) << 6) /* dirty, set by the CPU (leaf entries only) */
#define PTE_PS  (X86_ULL(1) << 7) /* in a PDE: this entry maps a large page */
#define PTE_PAT (X86_ULL(1) << 7) /* in a 4 KiB PTE: PAT index bit 2 (same position as PS) */
#define PTE_G   (X86_ULL(1) << 8) /* global: survives CR3 loads when CR4.PGE = 1 */
/* In a large-page PDE bit 7 is PS, so the PAT index bit 2 moves up to bit 12. */
#define PTE_PAT_LARGE (X86_ULL(1) << 12)

/* PAE only: execute-disable, honoured when EFER.NXE = 1 (reserved, i.e. faults, otherwise). */
#define PTE_NX (X86_ULL(1) << 63)

/* PAE PDPTE: only P, PWT and PCD exist; bits 1-2 and 5-8 are reserved and fault when set. */
#define PDPTE_ALLOWED_FLAGS (PTE_P | PTE_PWT | PTE_PCD)

/* Address fields. 32-bit paging: 20-bit frame numbers; a 4 MiB PDE keeps bits 31:22. */
#define PTE32_ADDR_MASK       0xfffff000ull
#define PTE32_LARGE_ADDR_MASK 0xffc00000ull
/* PSE-36 (CPUID.1:EDX bit 17, SDM 4.3 table 4-4): a 4 MiB PDE carries physical address bits
   (M-1):32 in its bits (M-20):13, M = min(MAXPHYADDR, 40); bits 21:(M-19) stay reserved. 4 KiB
   pages and the tables themselves stay below 4 GiB. */
#define PTE32_PSE36_SHIFT     13u
#define PTE32_PSE36_PHYS_BITS 40u
#define PTE32_PSE36_HIGH_MASK (0xffull << PTE32_PSE36_SHIFT)
/* PAE: bits 51:12 (the CPU's MAXPHYADDR cuts them further); a 2 MiB PDE keeps bits 51:21. */
#define PTEPAE_ADDR_MASK       0x000ffffffffff000ull
#define PTEPAE_LARGE_ADDR_MASK 0x000fffffffe00000ull
#define PAE_MAX_PHYS_BITS      52u

/* CR4.PSE/PAE/PGE and EFER.NXE are named once, with the other CPU bits, in arch/x86_bits.h;
   what CR3 holds in each format is paging's own. */
#define CR3_PDPT_ALIGN     32u             /* PAE: CR3 bits 31:5 locate the PDPT */
#define CR3_PD_ADDR_MASK   PTE32_ADDR_MASK /* 32-bit paging: CR3 bits 31:12 locate the PD */
#define CR3_PDPT_ADDR_MASK 0xffffffe0ull   /* PAE */

/*
 * The PAT layout this code assumes. Entries 0-3 are the power-on defaults (WB, WT, UC-, UC), so
 * mappings that use only PWT/PCD work whether or not the kernel reprograms the PAT. Entry 4 is
 * changed from WB to WC: write-combining mappings set the PAT bit and need the kernel to write
 * PAGING_PAT_MSR_VALUE to IA32_PAT (MSR 0x277) first.
 */
#define PAT_TYPE_UC        0x00u
#define PAT_TYPE_WC        0x01u
#define PAT_TYPE_WT        0x04u
#define PAT_TYPE_WP        0x05u
#define PAT_TYPE_WB        0x06u
#define PAT_TYPE_UC_MINUS  0x07u
#define PAT_ENTRY(i, type) ((uint64_t)(type) << ((i)*8))
#define PAGING_PAT_MSR_VALUE                                                                       \
    (PAT_ENTRY(0, PAT_TYPE_WB) | PAT_ENTRY(1, PAT_TYPE_WT) | PAT_ENTRY(2, PAT_TYPE_UC_MINUS) |     \
     PAT_ENTRY(3, PAT_TYPE_UC) | PAT_ENTRY(4, PAT_TYPE_WC) | PAT_ENTRY(5, PAT_TYPE_WT) |           \
     PAT_ENTRY(6, PAT_TYPE_UC_MINUS) | PAT_ENTRY(7, PAT_TYPE_UC))

#endif
