/*
 * Where the kernel may go: checks a physical range against the firmware's raw memory map.
 *
 * After ExitBootServices the trampoline copies the kernel over memory the firmware no longer
 * owns. Only Conventional, BootServicesCode/Data and LoaderCode/Data qualify; anything else
 * (runtime services, ACPI, MMIO, reserved, unusable, unknown types) or a hole in the map means
 * the kernel cannot be placed there. Pure C on raw descriptors (include/pagoda/efi_memory.h),
 * read byte by byte with the firmware's stride, so the host tests and fuzzers run it unchanged.
 */
#ifndef PAGODA_LOADER_PLACEMENT_H
#define PAGODA_LOADER_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

enum placement_error {
    PLACEMENT_OK = 0,
    PLACEMENT_BAD_DESCRIPTOR_SIZE, /* descriptor_size < 40 or not a multiple of 8 */
    PLACEMENT_BAD_MAP_SIZE,        /* map_size not a multiple of descriptor_size */
    PLACEMENT_RANGE_WRAPS,         /* base + size passes 2^64 */
    PLACEMENT_DESCRIPTOR_WRAPS,    /* a descriptor's start + pages * 4096 passes 2^64 */
    PLACEMENT_MEMORY_IN_USE,       /* part of the range has a type the loader may not overwrite */
    PLACEMENT_NOT_DESCRIBED,       /* part of the range is in no descriptor at all */
    PLACEMENT_NO_ROOM,             /* placement_find: no usable range of that size and alignment */
    PLACEMENT_ERROR_COUNT,
};

/*
 * Checks [base, base+size) lies wholly in memory the loader may overwrite after
 * ExitBootServices according to the raw map (map_size bytes, stride descriptor_size; unsorted
 * maps and ranges spread over several touching descriptors are fine). An empty range is OK.
 * Otherwise writes which range and which memory type is in the way into why (may be NULL).
 */
enum placement_error placement_check(const void *map, size_t map_size, size_t descriptor_size,
                                     uint64_t base, uint64_t size, char *why, size_t why_size);

enum placement_preference {
    PLACEMENT_LOWEST,  /* the lowest base that works */
    PLACEMENT_HIGHEST, /* the highest base that works */
};

/*
 * Finds a base for SIZE bytes (size > 0) that placement_check() accepts, a multiple of ALIGN
 * (a power of two; 0 counts as 1), with lowest <= base and base + size <= end_limit, the lowest or
 * the highest one. On PLACEMENT_NO_ROOM why says what was asked. Every candidate is the start
 * of the window or a descriptor boundary rounded to the alignment: the best base always is one.
 */
enum placement_error placement_find(const void *map, size_t map_size, size_t descriptor_size,
                                    uint64_t size, uint64_t align, uint64_t lowest,
                                    uint64_t end_limit, enum placement_preference preference,
                                    uint64_t *base, char *why, size_t why_size);

/* "PLACEMENT_MEMORY_IN_USE" etc., for tests and logs; "PLACEMENT_?" for values out of range. */
const char *placement_error_name(enum placement_error e);

/* 1 if the loader may overwrite memory of this UEFI type after ExitBootServices. */
int placement_type_allowed(uint32_t type);

#endif
