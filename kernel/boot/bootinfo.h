/*
 * Validation of the boot info block before anything trusts it: a loader bug must produce a clear
 * message, not a wild pointer. Pure code (host-testable): pointers inside the block are followed
 * through phys_to_ptr() only after their range has been checked.
 */
#ifndef PAGODA_BOOTINFO_H
#define PAGODA_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

#define BOOTINFO_MIN_DESCRIPTOR_SIZE 40u
#define BOOTINFO_MAX_DESCRIPTORS     65536u
#define BOOTINFO_MAX_CMDLINE         4096u
#define BOOTINFO_RSDP_V1_SIZE        20u

/* What the boot ABI promises (everything the block points at lies below 4 GiB) and what start.S
 * can copy with paging off. */
#define BOOTINFO_KERNEL_ADDRESS_LIMIT (1ull << 32)

/*
 * Check every field of *info. Addresses the kernel must dereference (memory map, command line,
 * RSDP) must end at or below address_limit (the kernel passes BOOTINFO_KERNEL_ADDRESS_LIMIT,
 * host tests UINT64_MAX). Returns true if valid; otherwise writes the first problem found into
 * why ("memory map: descriptor_size 24 is below 40").
 */
bool bootinfo_check(const struct pagoda_boot_info *info, uint64_t address_limit, char *why,
                    size_t why_size);

/* Names for logs. */
const char *bootinfo_firmware_name(uint32_t kind);
const char *bootinfo_range_name(uint32_t kind);
const char *bootinfo_pixel_format_name(uint32_t format);

#endif
