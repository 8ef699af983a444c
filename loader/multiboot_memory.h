/*
 * The Multiboot memory map, made from the raw UEFI memory map that ExitBootServices was given.
 * Pure C on raw descriptors (include/pagoda/efi_memory.h), read byte by byte with the firmware's
 * stride, so the host tests run it on the real-PC maps of tests/data/memmaps.
 *
 * Type rules (the kernel starts after ExitBootServices, so boot-services memory is free):
 *   Conventional, BootServicesCode/Data, LoaderCode/Data   -> 1 available
 *   ACPIReclaimMemory                                      -> 3 ACPI (reclaimable)
 *   ACPIMemoryNVS                                          -> 4 preserve on hibernation
 *   UnusableMemory                                         -> 5 defective RAM
 *   everything else: Reserved, RuntimeServicesCode/Data, MMIO, MMIO port space, PalCode,
 *   Persistent, Unaccepted and every OEM/OS type            -> 2 reserved
 * Loader data includes the Multiboot information, the modules and the kernel itself, as GRUB
 * reports them too: the specification leaves it to the kernel not to overwrite them.
 *
 * The output is sorted by address, holes are left out, and touching ranges of the same type are
 * merged. Where descriptors overlap (real firmware does not do it, the format allows it) the
 * more restrictive type wins, in the order available < ACPI < NVS < reserved < defective.
 * Empty descriptors are skipped, and so are descriptors that run past 2^64. No scratch memory:
 * the sweep over the address boundaries is O(n^2), a few hundred thousand steps for the largest
 * real maps (about 250 descriptors).
 */
#ifndef PAGODA_LOADER_MULTIBOOT_MEMORY_H
#define PAGODA_LOADER_MULTIBOOT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct mb_memory_entry {
    uint64_t base;
    uint64_t length; /* > 0 */
    uint32_t type;   /* MB_MEMORY_* */
};

/* The Multiboot type of a UEFI memory type (the rules above). */
uint32_t mb_memory_type_of_efi(uint32_t efi_type);

/*
 * Converts the raw map (map_size bytes, stride descriptor_size) into out[0..capacity); returns
 * the number of entries, or -1 when the stride is not a valid descriptor size (>= 40, a multiple
 * of 8) or capacity is too small. 2 * (map_size / descriptor_size) entries always suffice.
 */
long mb_memory_convert(const void *map, size_t map_size, size_t descriptor_size,
                       struct mb_memory_entry *out, size_t capacity);

/*
 * mem_lower and mem_upper in KiB: the available memory that starts at 0 (at most 640 KiB) and
 * the available memory that starts at 1 MiB, each up to the first address that is not available.
 */
void mb_memory_basic(const struct mb_memory_entry *entries, size_t count, uint32_t *lower_kb,
                     uint32_t *upper_kb);

#endif
