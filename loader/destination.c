/*
 * Step 6: every PT_LOAD destination must be memory the loader may overwrite once boot services
 * are gone. Checked against a fresh map before anything is reserved for the hand-off.
 *
 * debug_occupy_kernel_range first claims the free parts of the kernel's range as
 * EfiBootServicesData, so the kernel's destination is guaranteed to be busy while the loader
 * runs: a boot that still works proves the copy really happens after ExitBootServices.
 */
#include "console.h"
#include "memory_map.h"
#include "placement.h"

#define DESTINATION_WHY_MAX 160
#define DESTINATION_PAGE    4096ull

static uint64_t destination_page_down(uint64_t a)
{
    return a & ~(DESTINATION_PAGE - 1);
}

static uint64_t destination_page_up(uint64_t a)
{
    return (a + DESTINATION_PAGE - 1) & ~(DESTINATION_PAGE - 1);
}

static void destination_occupy_descriptor(struct loader *ld, const EFI_MEMORY_DESCRIPTOR *d,
                                          uint64_t start, uint64_t end, UINTN *pages_taken)
{
    uint64_t d_start = d->PhysicalStart;
    uint64_t d_end = d_start + d->NumberOfPages * DESTINATION_PAGE;
    uint64_t from = start > d_start ? start : d_start;
    uint64_t to = end < d_end ? end : d_end;
    EFI_PHYSICAL_ADDRESS address = from;

    if (d->Type != EfiConventionalMemory || from >= to)
        return;
    UINTN pages = (UINTN)((to - from) / DESTINATION_PAGE);
    if (!EFI_ERROR(ledger_allocate_pages(&ld->ledger, AllocateAddress, EfiBootServicesData, pages,
                                         &address)))
        *pages_taken += pages;
}

static EFI_STATUS destination_occupy(struct loader *ld)
{
    struct memory_map_snapshot map;
    uint64_t start = destination_page_down(ld->elf.phys_start);
    uint64_t end = destination_page_up(ld->elf.phys_end);
    UINTN pages_taken = 0;
    EFI_STATUS status = memory_map_fetch(ld, &map);

    if (EFI_ERROR(status))
        return status;
    for (UINTN offset = 0; offset + map.descriptor_size <= map.size; offset += map.descriptor_size)
        destination_occupy_descriptor(ld, memory_map_at(&map, offset), start, end, &pages_taken);
    memory_map_release(ld, &map);
    console_print("loader: debug: occupied %u of %u kernel pages as BootServicesData\n",
                  (unsigned)pages_taken, (unsigned)((end - start) / DESTINATION_PAGE));
    return EFI_SUCCESS;
}

EFI_STATUS destination_check(struct loader *ld)
{
    struct memory_map_snapshot map;
    char why[DESTINATION_WHY_MAX];
    EFI_STATUS status;

    if (ld->config.debug_occupy_kernel_range) {
        status = destination_occupy(ld);
        if (EFI_ERROR(status))
            return status;
    }
    status = memory_map_fetch(ld, &map);
    if (EFI_ERROR(status))
        return status;
    for (uint32_t i = 0; i < ld->elf.segment_count; i++) {
        const struct elf_segment *s = &ld->elf.segments[i];
        if (placement_check(map.descriptors, map.size, map.descriptor_size, s->paddr, s->mem_size,
                            why, sizeof(why)) != PLACEMENT_OK) {
            console_print("pagoda: %s: segment %u cannot be loaded: %s\n", ld->kernel_path,
                          s->header_index, why);
            status = LOADER_STATUS_BAD_DESTINATION;
            break;
        }
    }
    memory_map_release(ld, &map);
    if (!EFI_ERROR(status))
        console_print("loader: kernel destination [0x%llx-0x%llx) is usable RAM\n",
                      (unsigned long long)ld->elf.phys_start, (unsigned long long)ld->elf.phys_end);
    return status;
}
