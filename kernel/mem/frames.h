/*
 * The physical frame allocator: 4 KiB frames anywhere in the 64-bit physical address space.
 *
 * Layout. The allocatable ranges of a normalized map (USABLE and RECLAIMABLE, see memmap.h) are
 * grouped into regions: maximal runs of touching allocatable ranges, split at 4 GiB so that every
 * region lies in one zone. Holes (the PCI hole below 4 GiB, MMIO above RAM) cost no metadata.
 * Each region owns two bitmaps over its frames:
 *   - "free": bit set = the frame is in the pool and not handed out. It is the leaf level of a
 *     summary tree: each bit of level k+1 says "word k of the level below is not zero", 32-bit
 *     words all the way up to one word. Finding the highest free frame reads one word per level
 *     (at most 7 levels for 2^31 frames), whatever the fill level: no scan from frame 0.
 *   - "allocated": bit set = the frame was handed out (alloc, alloc_run or reserve). It is what
 *     makes "double free" and "free of a frame never handed out" detectable.
 * A frame in neither bitmap is not in the pool: reclaimable memory not yet added.
 * Per zone, another summary tree has one bit per region "has free frames", so picking a region
 * is O(levels) too. Metadata costs about 2.03 bits per covered frame (measured on 4 GiB and
 * 64 GiB maps; small maps pay relatively more for region headers), see frames_metadata_bytes.
 *
 * Policy. Allocation is top-down: the highest free frame the request allows. FRAMES_ANYWHERE
 * takes memory above 4 GiB first, so low memory stays for what needs it (32-bit DMA, structures
 * the non-PAE kernel must reach); FRAMES_BELOW_4G never returns a frame at or above 4 GiB.
 *
 * Costs. Init: O(map entries + metadata words), never per frame. alloc/free: O(tree levels) plus
 * O(log regions) to find a frame's region on free. alloc_run: reads the free tree and skips whole
 * used windows; each candidate costs O(count / 32) word reads.
 *
 * Not thread-safe; the kernel is single-CPU and calls it with interrupts off.
 */
#ifndef PAGODA_FRAMES_H
#define PAGODA_FRAMES_H

#include <stdbool.h>
#include "pagoda/page.h"
#include <stddef.h>
#include <stdint.h>

#include "memmap.h"

#define FRAMES_NONE UINT64_MAX /* "no frame": returned when a request cannot be met */

/* First frame of the high zone: 4 GiB. */
#define FRAMES_LOW_LIMIT_PFN (1ull << (32 - PAGODA_PAGE_SHIFT))

/* Longer regions are split; it keeps in-region indices in 32 bits (2^31 frames = 8 TiB). */
#define FRAMES_MAX_REGION_FRAMES 0x80000000u

/* Summary levels needed for FRAMES_MAX_REGION_FRAMES bits with 32-bit words. */
#define FRAMES_TREE_MAX_LEVELS 7

enum frames_zone {
    FRAMES_ZONE_LOW = 0,  /* below 4 GiB */
    FRAMES_ZONE_HIGH = 1, /* at or above 4 GiB */
    FRAMES_ZONE_COUNT = 2,
};

enum frames_where {
    FRAMES_BELOW_4G = 0, /* low zone only */
    FRAMES_ANYWHERE = 1, /* high zone first, then low */
};

enum frames_status {
    FRAMES_OK = 0,
    FRAMES_ERR_METADATA_TOO_SMALL = 1,
    FRAMES_ERR_MAP_UNSORTED = 2, /* the map is not a normalized one (overlapping/unsorted) */
};

/* A bitmap with summary levels; level[0] holds one bit per item. */
struct frames_tree {
    uint32_t *level[FRAMES_TREE_MAX_LEVELS];
    uint32_t levels;
    uint32_t bits;
};

struct frames_region {
    uint64_t base_pfn;
    uint32_t frames;
    uint32_t free;      /* frames in the free bitmap */
    uint32_t allocated; /* frames in the allocated bitmap */
    uint32_t zone;      /* enum frames_zone */
    struct frames_tree free_tree;
    uint32_t *allocated_bits;
};

struct frames_stats {
    uint64_t total; /* frames in the pool: free + allocated */
    uint64_t free;
};

struct frames {
    struct frames_region *regions;
    uint32_t region_count;
    uint32_t zone_first[FRAMES_ZONE_COUNT + 1]; /* zone z owns regions [first[z], first[z+1]) */
    struct frames_tree zone_tree[FRAMES_ZONE_COUNT]; /* bit = zone-local region has free frames */
    struct frames_stats zone[FRAMES_ZONE_COUNT];
    uint64_t covered_frames; /* frames the metadata describes (usable + reclaimable) */
    uint64_t limit_pfn;      /* first frame number left out of the pool (frames_init's limit) */
    size_t metadata_bytes;
};

/* No limit for frames_init: every allocatable frame of the map joins the pool. */
#define FRAMES_NO_LIMIT UINT64_MAX

/* Bytes of metadata frames_init needs for this map and limit (any alignment is fine: slack
 * included). */
size_t frames_metadata_bytes(const struct memmap *map, uint64_t limit);

/*
 * Builds the allocator over map (a memmap_normalize result): USABLE frames start free,
 * RECLAIMABLE ones are covered but stay out of the pool until frames_add_reclaimable. Frames at
 * or above limit are left out for good (two-level paging cannot map memory above 4 GiB), so
 * they cost no metadata either; FRAMES_NO_LIMIT takes everything. The
 * metadata memory must stay reserved for the allocator's lifetime: if it lies in usable RAM,
 * frames_reserve it right after init.
 */
enum frames_status frames_init(struct frames *f, const struct memmap *map, uint64_t limit,
                               void *metadata, size_t metadata_size);

/* One frame's physical address, or FRAMES_NONE when the zone is exhausted. */
uint64_t frames_alloc(struct frames *f, enum frames_where where);

/*
 * count contiguous frames whose first frame number is a multiple of align_frames (a power of
 * two): 512/512 for a 2 MiB page, 1024/1024 for a 4 MiB page. FRAMES_NONE if no such run is free
 * or the arguments are invalid (count 0, align not a power of two).
 */
uint64_t frames_alloc_run(struct frames *f, uint32_t count, uint32_t align_frames,
                          enum frames_where where);

/* Gives a frame back. Panics on a double free or on a frame the allocator never handed out. */
void frames_free(struct frames *f, uint64_t phys);
void frames_free_run(struct frames *f, uint64_t phys, uint32_t count);

/*
 * Takes the frames overlapping [start, end) (rounded outward) out of the pool as if allocated:
 * free frames and not-yet-reclaimed ones are claimed, frames already handed out are left to
 * their owner. Frames outside every region are ignored (never in the pool). Returns the number
 * of frames newly claimed; they can later be given back with frames_free.
 */
uint64_t frames_reserve(struct frames *f, uint64_t start, uint64_t end);

/*
 * Adds the map's RECLAIMABLE ranges to the pool: call once the kernel no longer needs anything
 * in boot-services or loader memory. Frames claimed by frames_reserve stay claimed; calling it
 * twice adds nothing the second time. Returns the number of frames added.
 */
uint64_t frames_add_reclaimable(struct frames *f, const struct memmap *map);

uint64_t frames_total(const struct frames *f);
uint64_t frames_free_count(const struct frames *f);

/* Metadata bits per covered frame, times 1000 (e.g. 2070 = 2.07 bits). */
uint32_t frames_metadata_millibits_per_frame(const struct frames *f);

/*
 * Recomputes every count from the bitmaps and checks all invariants (free and allocated
 * disjoint, summaries exact, no bits past a region's end, zone trees and totals consistent).
 * Returns true if consistent; otherwise writes what broke into msg.
 */
bool frames_audit(const struct frames *f, char *msg, size_t msg_size);

#endif
