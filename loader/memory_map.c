#include "memory_map.h"

#include "console.h"

/* The pool allocation for the copy can itself split a free range and add descriptors. */
#define MEMORY_MAP_SLACK_DESCRIPTORS 8
#define MEMORY_MAP_ATTEMPTS          4

EFI_STATUS memory_map_fetch(struct loader *ld, struct memory_map_snapshot *map)
{
    EFI_STATUS status = EFI_BUFFER_TOO_SMALL;

    map->descriptors = NULL;
    for (int attempt = 0; attempt < MEMORY_MAP_ATTEMPTS && status == EFI_BUFFER_TOO_SMALL;
         attempt++) {
        UINTN size = 0;
        status = ld->bs->GetMemoryMap(&size, NULL, &map->key, &map->descriptor_size,
                                      &map->descriptor_version);
        if (status != EFI_BUFFER_TOO_SMALL)
            break;
        size += MEMORY_MAP_SLACK_DESCRIPTORS * map->descriptor_size;
        status = ld->bs->AllocatePool(EfiLoaderData, size, (void **)&map->descriptors);
        if (EFI_ERROR(status))
            break;
        map->size = size;
        status = ld->bs->GetMemoryMap(&map->size, (EFI_MEMORY_DESCRIPTOR *)map->descriptors,
                                      &map->key, &map->descriptor_size, &map->descriptor_version);
        if (EFI_ERROR(status)) {
            ld->bs->FreePool(map->descriptors);
            map->descriptors = NULL;
        }
    }
    if (EFI_ERROR(status))
        console_print("pagoda: GetMemoryMap failed: %s\n", console_status_text(status));
    return status;
}

void memory_map_release(struct loader *ld, struct memory_map_snapshot *map)
{
    if (map->descriptors != NULL)
        ld->bs->FreePool(map->descriptors);
    map->descriptors = NULL;
}
