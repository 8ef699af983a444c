/*
 * Snapshots of the firmware memory map in pool memory, for checks made before ExitBootServices.
 * (The final map, the one handed to the kernel, goes into a preallocated buffer instead.)
 */
#ifndef PAGODA_LOADER_MEMORY_MAP_H
#define PAGODA_LOADER_MEMORY_MAP_H

#include "loader.h"

struct memory_map_snapshot {
    UINT8 *descriptors; /* walk by descriptor_size, never by sizeof */
    UINTN size;
    UINTN descriptor_size;
    UINT32 descriptor_version;
    UINTN key;
};

EFI_STATUS memory_map_fetch(struct loader *ld, struct memory_map_snapshot *map);
void memory_map_release(struct loader *ld, struct memory_map_snapshot *map);

static inline EFI_MEMORY_DESCRIPTOR *memory_map_at(const struct memory_map_snapshot *map,
                                                   UINTN offset)
{
    return (EFI_MEMORY_DESCRIPTOR *)(map->descriptors + offset);
}

#endif
