/*
 * The x86 base page: 4 KiB in every paging format, in the UEFI memory map and in the frame
 * allocator. Named once here for the loader, the kernel, user programs and the host tests.
 */
#ifndef PAGODA_PAGE_H
#define PAGODA_PAGE_H

#define PAGODA_PAGE_SHIFT 12
#ifdef __ASSEMBLER__
#define PAGODA_PAGE_SIZE 4096
#else
#define PAGODA_PAGE_SIZE 4096u
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>

#define PAGODA_PAGE_MASK ((uint64_t)PAGODA_PAGE_SIZE - 1)

/* Rounding to whole pages; addresses are 64-bit so physical ones above 4 GiB fit. Rounding up
 * a value within the last page below 2^64 wraps to 0: callers bound their inputs first. */
static inline uint64_t pagoda_page_down(uint64_t value)
{
    return value & ~PAGODA_PAGE_MASK;
}

static inline uint64_t pagoda_page_up(uint64_t value)
{
    return (value + PAGODA_PAGE_MASK) & ~PAGODA_PAGE_MASK;
}

static inline int pagoda_page_aligned(uint64_t value)
{
    return (value & PAGODA_PAGE_MASK) == 0;
}
#endif

#endif
