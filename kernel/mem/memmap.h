/*
 * Memory-map normalization: from the raw UEFI memory map (plus the ranges the loader left in use)
 * to a sorted list of non-overlapping, merged ranges, each of one kind.
 *
 * Why a separate normalized form: firmware maps are unsorted, may overlap, may hold empty or
 * unaligned entries, and know nothing about what the loader placed where. Everything after this
 * step (the frame allocator, the boot report, the page tables) can rely on the output being
 * sorted by address, non-overlapping, with adjacent ranges of the same kind merged, and with
 * every range that may be handed out (USABLE, RECLAIMABLE) page-aligned.
 *
 * Precedence. Where inputs overlap, the MOST RESTRICTIVE kind wins. The enum below is ordered by
 * restrictiveness, so the larger value wins:
 *
 *   USABLE < RECLAIMABLE < ACPI_RECLAIM < LOADER_IN_USE < KERNEL < ACPI_NVS < RESERVED
 *          < UNUSABLE < MMIO
 *
 *   - usable RAM loses to everything: handing out a frame someone else owns corrupts memory,
 *     while wrongly withholding one only wastes 4 KiB;
 *   - RECLAIMABLE (boot-services code/data, loader code/data) becomes usable once the kernel has
 *     consumed the loader's data, ACPI_RECLAIM once the ACPI tables are parsed, LOADER_IN_USE once
 *     the kernel has copied what it needs from the boot info, KERNEL never;
 *   - ACPI NVS, firmware-reserved (including runtime-services code/data, PAL code, persistent and
 *     unaccepted memory) and unusable (failed) RAM are never touched by the kernel;
 *   - MMIO is not RAM at all, so a claim that an address is device memory beats any RAM type.
 *
 * Rounding. USABLE and RECLAIMABLE inputs are rounded INWARD to whole 4 KiB pages (a partial page
 * cannot be handed out); every other kind is rounded OUTWARD (a partial page of firmware data
 * protects the whole page). Because every boundary is then page-aligned, every output range is.
 *
 * Address space. Addresses are 64-bit; ranges above 4 GiB are kept. An input whose exclusive end
 * lies beyond MEMMAP_END_LIMIT (the start of the last page below 2^64) is rejected as wrapping, so
 * that outward rounding never overflows. Nothing real is lost: x86 physical addresses stop at
 * 2^52.
 *
 * Cost. The normalizer sweeps the address boundaries in order without any scratch memory:
 * O(n^2) for n inputs, which is a few hundred thousand steps for the largest real maps (about
 * 250 descriptors). No recursion, no allocation: the caller hands in the output array.
 */
#ifndef PAGODA_MEMMAP_H
#define PAGODA_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

/* Smallest descriptor stride the UEFI spec allows: sizeof(EFI_MEMORY_DESCRIPTOR). */
#define MEMMAP_MIN_DESCRIPTOR_SIZE 40u

/* Highest exclusive end an input may have (see "Address space" above). */
#define MEMMAP_END_LIMIT 0xFFFFFFFFFFFFF000ull

/* Ordered by precedence: where ranges overlap, the larger value wins (see above). */
enum memmap_kind {
    MEMMAP_USABLE = 0,        /* conventional memory: free for the kernel now */
    MEMMAP_RECLAIMABLE = 1,   /* boot-services code/data, loader code/data not in use */
    MEMMAP_ACPI_RECLAIM = 2,  /* ACPI tables: usable after they are parsed */
    MEMMAP_LOADER_IN_USE = 3, /* boot info, raw map, cmdline, stack, trampoline, staging */
    MEMMAP_KERNEL = 4,        /* the kernel image */
    MEMMAP_ACPI_NVS = 5,      /* firmware state kept across sleep */
    MEMMAP_RESERVED = 6,      /* reserved, runtime services, PAL, persistent, unknown types */
    MEMMAP_UNUSABLE = 7,      /* RAM the firmware found faulty */
    MEMMAP_MMIO = 8,          /* device memory and port space: not RAM */
    MEMMAP_KIND_COUNT = 9,
};

/* One normalized range, [start, end): end is exclusive, start < end. */
struct memmap_entry {
    uint64_t start;
    uint64_t end;
    uint32_t kind; /* enum memmap_kind */
    uint32_t pad;
};

enum memmap_status {
    MEMMAP_OK = 0,
    MEMMAP_ERR_DESCRIPTOR_SIZE = 1, /* stride below MEMMAP_MIN_DESCRIPTOR_SIZE */
    MEMMAP_ERR_MAP_SIZE = 2,        /* map size not a multiple of the stride, or >= 4 GiB */
    MEMMAP_ERR_WRAPS = 3,           /* an input range ends beyond MEMMAP_END_LIMIT */
    MEMMAP_ERR_BAD_KIND = 4,        /* an extra range has a kind >= MEMMAP_KIND_COUNT */
    MEMMAP_ERR_CAPACITY = 5,        /* output array too small: see memmap.needed */
    MEMMAP_ERR_NO_INPUT = 6,        /* a count or size is non-zero but its pointer is NULL */
};

/*
 * The inputs. Any of the three sources may be empty. extra lets the caller (or a test feeding an
 * e820 table) add ranges that are already classified; they need not be page-aligned.
 */
struct memmap_input {
    const void *efi_map;      /* first raw UEFI descriptor */
    uint64_t efi_map_size;    /* bytes: a multiple of descriptor_size */
    uint32_t descriptor_size; /* the firmware's stride, >= 40 */
    uint32_t loader_range_count;
    const struct pagoda_range *loader_ranges; /* PAGODA_RANGE_KERNEL -> KERNEL, rest LOADER */
    const struct memmap_entry *extra;
    uint32_t extra_count;
};

/* The output: the caller provides entries/capacity; the normalizer fills in the rest. */
struct memmap {
    struct memmap_entry *entries;
    uint32_t capacity;
    uint32_t count;      /* entries written (only meaningful on MEMMAP_OK) */
    uint32_t needed;     /* entries the full result needs: > capacity on MEMMAP_ERR_CAPACITY */
    uint32_t bad_index;  /* on WRAPS/BAD_KIND: index of the offending input in its source */
    uint32_t bad_source; /* enum memmap_source of the offending input */
};

enum memmap_source {
    MEMMAP_SOURCE_EFI = 0,
    MEMMAP_SOURCE_LOADER = 1,
    MEMMAP_SOURCE_EXTRA = 2,
};

/* Normalizes in into map->entries. On any error map->count is 0 and nothing is usable. */
enum memmap_status memmap_normalize(struct memmap *map, const struct memmap_input *in);

/* What a UEFI memory type becomes (unknown, OEM and OS types are RESERVED). */
enum memmap_kind memmap_kind_of_efi_type(uint32_t efi_type);

/* What a loader range becomes: KERNEL for the image, LOADER_IN_USE for everything else. */
enum memmap_kind memmap_kind_of_loader_range(uint32_t range_kind);

/* Whether a kind can be handed out by the frame allocator (now or after reclaiming). */
static inline bool memmap_kind_is_allocatable(uint32_t kind)
{
    return kind == MEMMAP_USABLE || kind == MEMMAP_RECLAIMABLE;
}

/* Bytes per kind over the whole map; totals must hold MEMMAP_KIND_COUNT elements. */
void memmap_totals(const struct memmap *map, uint64_t *totals);

/* Short fixed names for reports ("usable", "reclaimable", ...); "?" for out-of-range values. */
const char *memmap_kind_name(uint32_t kind);
const char *memmap_status_text(enum memmap_status status);

#endif
