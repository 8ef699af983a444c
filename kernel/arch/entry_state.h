/*
 * What the CPU looked like when the loader jumped to _start, recorded by start.S before the
 * kernel changes anything, so the self-tests can check the boot ABI's promises (paging off,
 * caches on, CR4 = 0, EFER = 0, interrupts off).
 */
#ifndef PAGODA_ENTRY_STATE_H
#define PAGODA_ENTRY_STATE_H

/* PAGODA_BOOT_MAGIC for start.S, which cannot include the C ABI header; checked below. */
#define ENTRY_BOOT_MAGIC 0x41444750

#define ENTRY_STATE_MAGIC        0
#define ENTRY_STATE_BOOT_INFO    4
#define ENTRY_STATE_TSC_LO       8
#define ENTRY_STATE_TSC_HI       12
#define ENTRY_STATE_EFLAGS       16
#define ENTRY_STATE_CR0          20
#define ENTRY_STATE_CR4          24
#define ENTRY_STATE_EFER_LO      28
#define ENTRY_STATE_EFER_HI      32
#define ENTRY_STATE_EFER_PRESENT 36
#define ENTRY_STATE_LOADER_ESP   40
#define ENTRY_STATE_SIZE         44

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

_Static_assert(ENTRY_BOOT_MAGIC == PAGODA_BOOT_MAGIC, "start.S checks the wrong magic");

struct entry_state {
    uint32_t magic;          /* EAX */
    uint32_t boot_info;      /* EBX */
    uint32_t tsc_lo, tsc_hi; /* first instructions of _start */
    uint32_t eflags;
    uint32_t cr0;
    uint32_t cr4;
    uint32_t efer_lo, efer_hi;
    uint32_t efer_present; /* CPUID says IA32_EFER exists */
    uint32_t loader_esp;
};

_Static_assert(offsetof(struct entry_state, eflags) == ENTRY_STATE_EFLAGS, "start.S layout");
_Static_assert(offsetof(struct entry_state, efer_present) == ENTRY_STATE_EFER_PRESENT,
               "start.S layout");
_Static_assert(sizeof(struct entry_state) == ENTRY_STATE_SIZE, "start.S layout");

extern struct entry_state entry_state;

static inline uint64_t entry_state_tsc(void)
{
    return ((uint64_t)entry_state.tsc_hi << 32) | entry_state.tsc_lo;
}
#endif

#endif
