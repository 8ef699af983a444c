#include "ledger.h"

#include <pagoda/page.h>

#define LEDGER_LOW_TRIES 4

void ledger_init(struct ledger *ledger, EFI_BOOT_SERVICES *bs)
{
    ledger->bs = bs;
    ledger->count = 0;
}

EFI_STATUS ledger_allocate_pages(struct ledger *ledger, EFI_ALLOCATE_TYPE how, EFI_MEMORY_TYPE type,
                                 UINTN pages, EFI_PHYSICAL_ADDRESS *address)
{
    if (ledger->count == LEDGER_MAX_ALLOCATIONS)
        return EFI_OUT_OF_RESOURCES;
    EFI_STATUS status = ledger->bs->AllocatePages(how, type, pages, address);
    if (EFI_ERROR(status))
        return status;
    ledger->allocations[ledger->count].base = *address;
    ledger->allocations[ledger->count].pages = pages;
    ledger->count++;
    return EFI_SUCCESS;
}

static int ledger_overlaps(struct ledger_avoid avoid, uint64_t base, UINTN pages)
{
    uint64_t end = base + (uint64_t)pages * PAGODA_PAGE_SIZE;
    return base < avoid.end && avoid.start < end;
}

EFI_STATUS ledger_allocate_low(struct ledger *ledger, EFI_MEMORY_TYPE type, UINTN pages,
                               struct ledger_avoid avoid, EFI_PHYSICAL_ADDRESS *out)
{
    EFI_PHYSICAL_ADDRESS rejected[LEDGER_LOW_TRIES];
    UINTN rejected_count = 0;
    EFI_PHYSICAL_ADDRESS limit = LEDGER_BELOW_4G;
    EFI_STATUS status = EFI_OUT_OF_RESOURCES;

    for (int attempt = 0; attempt < LEDGER_LOW_TRIES; attempt++) {
        EFI_PHYSICAL_ADDRESS address = limit;
        status = ledger_allocate_pages(ledger, AllocateMaxAddress, type, pages, &address);
        if (EFI_ERROR(status))
            break;
        if (address != 0 && !ledger_overlaps(avoid, address, pages)) {
            *out = address;
            break;
        }
        rejected[rejected_count++] = address;
        status = EFI_OUT_OF_RESOURCES;
        if (address != 0) {
            if (avoid.start <= PAGODA_PAGE_SIZE)
                break; /* nothing usable below the avoided range either */
            limit = avoid.start - 1;
        }
    }
    for (UINTN i = 0; i < rejected_count; i++)
        ledger_free_pages(ledger, rejected[i]);
    return status;
}

void ledger_free_pages(struct ledger *ledger, EFI_PHYSICAL_ADDRESS base)
{
    for (UINTN i = 0; i < ledger->count; i++) {
        if (ledger->allocations[i].base != base)
            continue;
        ledger->bs->FreePages(base, ledger->allocations[i].pages);
        ledger->allocations[i] = ledger->allocations[--ledger->count];
        return;
    }
}

void ledger_free_all(struct ledger *ledger)
{
    while (ledger->count > 0) {
        struct ledger_allocation *a = &ledger->allocations[--ledger->count];
        ledger->bs->FreePages(a->base, a->pages);
    }
}
