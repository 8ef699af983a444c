/*
 * The allocation ledger: every page the loader takes from the firmware is written down here, so
 * that a failure in any step can give all of it back before returning to the firmware.
 *
 * The bottom layer of the loader: it calls only the firmware's AllocatePages and FreePages.
 * Everything the 32-bit side touches after ExitBootServices must lie below 4 GiB and outside the
 * kernel's destination (the trampoline copies the kernel there with paging off and must not
 * overwrite its own code, stack or data while doing so); ledger_allocate_low() finds such pages.
 */
#ifndef PAGODA_LOADER_LEDGER_H
#define PAGODA_LOADER_LEDGER_H

#include "uefi.h"

#define LEDGER_MAX_ALLOCATIONS 64
#define LEDGER_BELOW_4G        0xFFFFFFFFull

struct ledger_allocation {
    EFI_PHYSICAL_ADDRESS base;
    UINTN pages;
};

struct ledger {
    EFI_BOOT_SERVICES *bs;
    struct ledger_allocation allocations[LEDGER_MAX_ALLOCATIONS];
    UINTN count;
};

/* A physical range the low allocations must stay out of; empty (start == end) avoids nothing. */
struct ledger_avoid {
    uint64_t start, end; /* page-aligned, end exclusive */
};

void ledger_init(struct ledger *ledger, EFI_BOOT_SERVICES *bs);

/* AllocatePages, recorded. Fails with EFI_OUT_OF_RESOURCES when the ledger is full. */
EFI_STATUS ledger_allocate_pages(struct ledger *ledger, EFI_ALLOCATE_TYPE how, EFI_MEMORY_TYPE type,
                                 UINTN pages, EFI_PHYSICAL_ADDRESS *address);

/*
 * PAGES pages below 4 GiB that do not touch AVOID. AllocateMaxAddress hands out the highest free
 * range under the limit; a range that overlaps AVOID is kept while the next try is capped below
 * AVOID (so the firmware cannot hand it out again), and freed once a good one is found.
 */
EFI_STATUS ledger_allocate_low(struct ledger *ledger, EFI_MEMORY_TYPE type, UINTN pages,
                               struct ledger_avoid avoid, EFI_PHYSICAL_ADDRESS *address);

/* Frees the allocation that starts at BASE; an unknown base is ignored. */
void ledger_free_pages(struct ledger *ledger, EFI_PHYSICAL_ADDRESS base);

/* Frees everything, newest first. */
void ledger_free_all(struct ledger *ledger);

#endif
