/*
 * Read-only views of the raw UEFI memory map the loader passed: walking by the firmware's stride,
 * merging neighbours for display, totals per type, overlap and coverage checks. Pure code: no
 * hardware access, so tests/kernel/ runs it on the host under ASan/UBSan. (The normalized map the
 * frame allocator uses is kernel/mem/'s job; this is the as-the-firmware-said-it view.)
 */
#ifndef PAGODA_RAWMAP_H
#define PAGODA_RAWMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagoda/boot_info.h"
#include "pagoda/efi_memory.h"

struct rawmap {
    const unsigned char *base;
    size_t count;
    uint32_t stride;
};

/*
 * Which neighbours a run joins. RAWMAP_JOIN_TYPE: only descriptors of one type, the firmware's
 * own view. RAWMAP_JOIN_USE: also boot-services code with boot-services data, and loader code
 * with loader data: the kernel treats each pair alike (both become free frames once it owns the
 * machine), and firmwares interleave them by the dozen (on OVMF 128 runs of one type are 33 so).
 */
enum rawmap_join {
    RAWMAP_JOIN_TYPE,
    RAWMAP_JOIN_USE,
};

/* A run of consecutive descriptors (in map order) that touch, share attributes, and share a type
 * or (RAWMAP_JOIN_USE) a use. */
struct rawmap_run {
    uint32_t type; /* the first descriptor's */
    bool mixed;    /* code and data joined: the run holds both types of its pair */
    uint64_t start;
    uint64_t pages;
    uint64_t attribute;
    uint32_t entries; /* raw descriptors merged into this run */
};

/* Index PAGODA_EFI_MEMORY_TYPE_COUNT collects types the table does not know. */
#define RAWMAP_TYPE_SLOTS (PAGODA_EFI_MEMORY_TYPE_COUNT + 1)

struct rawmap_totals {
    uint64_t pages[RAWMAP_TYPE_SLOTS];
    uint32_t entries[RAWMAP_TYPE_SLOTS];
    uint64_t usable_pages;      /* Conventional: free right now */
    uint64_t reclaimable_pages; /* boot-services and loader code/data: free once consumed */
    uint64_t total_pages;
    uint64_t highest_end; /* one past the last byte described */
};

struct rawmap rawmap_of(const struct pagoda_boot_info *info);
const struct pagoda_efi_memory_descriptor *rawmap_at(const struct rawmap *view, size_t i);
/* One past the last byte of a descriptor, saturated at UINT64_MAX on overflow. */
uint64_t rawmap_desc_end(const struct pagoda_efi_memory_descriptor *d);

/* Fill *run from index i on; returns the index after the run (== i when i >= count). */
size_t rawmap_next_run(const struct rawmap *view, size_t i, enum rawmap_join join,
                       struct rawmap_run *run);
size_t rawmap_run_count(const struct rawmap *view, enum rawmap_join join);
/* The run's type as the boot log names it: "BS_Data", "BS_Code+Data" for a mixed run, and a type
 * the UEFI table does not name (OEM and OS types) by its number, "0x80000001", written into buf. */
#define RAWMAP_TYPE_NAME_SIZE 12
const char *rawmap_run_type_name(const struct rawmap_run *run, char buf[RAWMAP_TYPE_NAME_SIZE]);
void rawmap_totals(const struct rawmap *view, struct rawmap_totals *totals);

bool rawmap_type_is_usable(uint32_t type);      /* Conventional */
bool rawmap_type_is_reclaimable(uint32_t type); /* BS code/data, loader code/data */

/* Find two overlapping descriptors whose types are both in type_mask (bit per type);
 * order-insensitive. Returns true and their indices if found. */
bool rawmap_find_overlap(const struct rawmap *view, uint32_t type_mask, size_t *first,
                         size_t *second);
/* Whether [base, base+size) is covered by the union of descriptors whose type is in type_mask.
 * On false, *gap is the first address not covered. */
bool rawmap_covers(const struct rawmap *view, uint64_t base, uint64_t size, uint32_t type_mask,
                   uint64_t *gap);

#define RAWMAP_TYPE_BIT(t) (1u << (t))
/* Memory the loader may put a kernel into (placement rules): free or boot-time memory. */
#define RAWMAP_LOADER_USABLE_MASK                                                                  \
    (RAWMAP_TYPE_BIT(PAGODA_EFI_CONVENTIONAL) | RAWMAP_TYPE_BIT(PAGODA_EFI_LOADER_CODE) |          \
     RAWMAP_TYPE_BIT(PAGODA_EFI_LOADER_DATA) | RAWMAP_TYPE_BIT(PAGODA_EFI_BOOT_SERVICES_CODE) |    \
     RAWMAP_TYPE_BIT(PAGODA_EFI_BOOT_SERVICES_DATA))

#endif
