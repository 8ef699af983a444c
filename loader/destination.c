/*
 * destination_check: every PT_LOAD destination must be memory the loader may overwrite once boot
 * services are gone. Checked against a fresh map before anything is reserved for the hand-off.
 *
 * A relocatable Multiboot 2 kernel is first given its address: the lowest or highest base its
 * tag allows that placement_find() finds usable (with no preference, its link address when that
 * is usable, else the lowest), and the whole plan and the entry move by the same distance.
 *
 * debug_occupy_kernel_range first claims the free parts of the kernel's range as
 * EfiBootServicesData, so the kernel's destination is guaranteed to be busy while the loader
 * runs: a boot that still works proves the copy really happens after ExitBootServices.
 */
#include "console.h"
#include "memory_map.h"
#include "multiboot.h"
#include "placement.h"

#include "pagoda/page.h"

#define DESTINATION_WHY_MAX 160

static void destination_occupy_descriptor(struct loader *ld, const EFI_MEMORY_DESCRIPTOR *d,
                                          uint64_t start, uint64_t end, UINTN *pages_taken)
{
    uint64_t d_start = d->PhysicalStart;
    uint64_t d_end = d_start + d->NumberOfPages * PAGODA_PAGE_SIZE;
    uint64_t from = start > d_start ? start : d_start;
    uint64_t to = end < d_end ? end : d_end;
    EFI_PHYSICAL_ADDRESS address = from;

    if (d->Type != EfiConventionalMemory || from >= to)
        return;
    UINTN pages = (UINTN)((to - from) / PAGODA_PAGE_SIZE);
    if (!EFI_ERROR(ledger_allocate_pages(&ld->ledger, AllocateAddress, EfiBootServicesData, pages,
                                         &address)))
        *pages_taken += pages;
}

static EFI_STATUS destination_occupy(struct loader *ld)
{
    struct memory_map_snapshot map;
    uint64_t start = pagoda_page_down(ld->elf.phys_start);
    uint64_t end = pagoda_page_up(ld->elf.phys_end);
    UINTN pages_taken = 0;
    EFI_STATUS status = memory_map_fetch(ld, &map);

    if (EFI_ERROR(status))
        return status;
    for (UINTN offset = 0; offset + map.descriptor_size <= map.size; offset += map.descriptor_size)
        destination_occupy_descriptor(ld, memory_map_at(&map, offset), start, end, &pages_taken);
    memory_map_release(ld, &map);
    console_print("loader: debug: occupied %u of %u kernel pages as BootServicesData\n",
                  (unsigned)pages_taken, (unsigned)((end - start) / PAGODA_PAGE_SIZE));
    return EFI_SUCCESS;
}

static void destination_move(struct loader *ld, uint64_t base)
{
    struct elf_image *plan = &ld->elf;
    uint32_t delta = (uint32_t)(base - plan->phys_start); /* modulo 2^32: moves down too */

    for (uint32_t i = 0; i < plan->segment_count; i++)
        plan->segments[i].paddr += delta;
    plan->entry_physical += delta;
    plan->phys_end = plan->phys_end - plan->phys_start + base;
    plan->phys_start = base;
}

static EFI_STATUS destination_relocate(struct loader *ld)
{
    const struct mb_kernel *k = &ld->multiboot;
    const struct elf_image *plan = &ld->elf;
    uint64_t size = plan->phys_end - plan->phys_start, base = plan->phys_start;
    struct memory_map_snapshot map;
    char why[DESTINATION_WHY_MAX];
    EFI_STATUS status = memory_map_fetch(ld, &map);

    if (EFI_ERROR(status))
        return status;
    int keep = k->preference != MB2_PREFERENCE_LOWEST && k->preference != MB2_PREFERENCE_HIGHEST &&
               base >= k->min_addr && base + size <= k->max_addr &&
               (k->align == 0 || base % k->align == 0) &&
               placement_check(map.descriptors, map.size, map.descriptor_size, base, size, NULL,
                               0) == PLACEMENT_OK;
    enum placement_error e = PLACEMENT_OK;
    if (!keep)
        e = placement_find(map.descriptors, map.size, map.descriptor_size, size, k->align,
                           k->min_addr, k->max_addr,
                           k->preference == MB2_PREFERENCE_HIGHEST ? PLACEMENT_HIGHEST
                                                                   : PLACEMENT_LOWEST,
                           &base, why, sizeof(why));
    memory_map_release(ld, &map);
    if (e != PLACEMENT_OK) {
        console_print("pagoda: %s: relocatable kernel cannot be placed: %s\n", ld->kernel_path,
                      why);
        return LOADER_STATUS_BAD_DESTINATION;
    }
    console_print("loader: relocatable kernel linked at 0x%llx, loaded at 0x%llx (%s)\n",
                  (unsigned long long)plan->phys_start, (unsigned long long)base,
                  keep                                      ? "its link address is usable"
                  : k->preference == MB2_PREFERENCE_HIGHEST ? "the highest usable base"
                                                            : "the lowest usable base");
    destination_move(ld, base);
    return EFI_SUCCESS;
}

EFI_STATUS destination_check(struct loader *ld)
{
    struct memory_map_snapshot map;
    char why[DESTINATION_WHY_MAX];
    EFI_STATUS status;

    if (loader_is_multiboot(ld) && ld->multiboot.relocatable) {
        status = destination_relocate(ld);
        if (EFI_ERROR(status))
            return status;
    }
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
            if (loader_is_multiboot(ld) && ld->multiboot.address_fields)
                console_print("pagoda: %s: the load range of the address fields cannot be "
                              "loaded: %s\n",
                              ld->kernel_path, why);
            else
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
