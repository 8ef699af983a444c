/*
 * Boot-time wiring of the memory layer: boot info -> normalized map -> frame allocator, with the
 * allocator's metadata placed in usable RAM below a caller-given limit and reserved.
 *
 * The kernel calls mem_setup_limited once with its copy of the boot info and a translation
 * through the boot direct map (kernel/boot/takeover.c); host tests pass a translation into a
 * buffer that stands in for RAM.
 */
#ifndef PAGODA_MEM_SETUP_H
#define PAGODA_MEM_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "frames.h"
#include "memmap.h"
#include "pagoda/boot_info.h"

/* Normalized ranges kept; real maps need under 100, OVMF about 40-150. */
#define MEM_SETUP_MAX_ENTRIES 512

enum mem_setup_status {
    MEM_SETUP_OK = 0,
    MEM_SETUP_ERR_MEMMAP = 1,      /* memmap_normalize failed: see memmap_status */
    MEM_SETUP_ERR_NO_ROOM = 2,     /* no usable range below the limit holds the metadata */
    MEM_SETUP_ERR_FRAMES = 3,      /* frames_init failed: see frames_status */
    MEM_SETUP_ERR_RANGE_COUNT = 4, /* boot info claims more than PAGODA_MAX_RANGES ranges */
};

/* Turns a physical range into a pointer the code can use, or NULL if it cannot reach it. */
typedef void *(*mem_setup_phys_fn)(void *ctx, uint64_t phys, size_t size);

struct mem_setup {
    struct memmap map;
    struct memmap_entry entries[MEM_SETUP_MAX_ENTRIES];
    struct frames frames;
    uint64_t metadata_phys;
    size_t metadata_bytes;
    enum memmap_status memmap_status;
    enum frames_status frames_status;
    uint64_t pool_limit;     /* frames at or above this address were not added to the pool */
    uint64_t withheld_bytes; /* usable + reclaimable RAM at or above pool_limit */
};

/*
 * Normalizes the boot info's raw map and loader ranges, places the allocator metadata at the top
 * of the highest usable range that ends at or below metadata_limit (exclusive; e.g. 4 GiB, or the
 * end of what the kernel has mapped), builds the allocator and reserves the metadata.
 * phys translates the raw map address and the metadata address into pointers.
 */
enum mem_setup_status mem_setup(struct mem_setup *s, const struct pagoda_boot_info *bi,
                                uint64_t metadata_limit, mem_setup_phys_fn phys, void *ctx);

/*
 * The same, but only frames below pool_limit join the allocator (the rest of the map is still
 * normalized and reported, and counted in withheld_bytes): the kernel passes 4 GiB under
 * two-level paging, which cannot map anything above.
 */
enum mem_setup_status mem_setup_limited(struct mem_setup *s, const struct pagoda_boot_info *bi,
                                        uint64_t metadata_limit, uint64_t pool_limit,
                                        mem_setup_phys_fn phys, void *ctx);

const char *mem_setup_status_text(enum mem_setup_status status);

#endif
