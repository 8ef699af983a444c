/*
 * low_memory_allocate: every buffer the 32-bit side touches, allocated below 4 GiB and outside the
 * kernel's physical range (the trampoline copies the kernel there with paging off, and must not
 * overwrite its own code, stack, parameters or the boot info while doing so).
 *
 * The ledger's low allocations (ledger_allocate_low) keep each buffer out of the kernel's range.
 */
#include "console.h"
#include "memory_map.h"

#include "pg_string.h"

#define LOW_MEMORY_MAP_SLACK 32 /* descriptors: our own allocations split free ranges */

static UINTN low_memory_pages(uint64_t bytes)
{
    return (UINTN)((bytes + PAGODA_PAGE_SIZE - 1) / PAGODA_PAGE_SIZE);
}

static int low_memory_overlaps_kernel(const struct loader *ld, uint64_t base, UINTN pages)
{
    struct ledger_avoid kernel = loader_kernel_range(ld);
    return base < kernel.end && kernel.start < base + pages * PAGODA_PAGE_SIZE;
}

static EFI_STATUS low_memory_allocate_pages(struct loader *ld, EFI_MEMORY_TYPE type, UINTN pages,
                                            EFI_PHYSICAL_ADDRESS *out)
{
    return ledger_allocate_low(&ld->ledger, type, pages, loader_kernel_range(ld), out);
}

static EFI_STATUS low_memory_move_staging(struct loader *ld)
{
    EFI_PHYSICAL_ADDRESS moved = 0;
    EFI_STATUS status;

    if (!low_memory_overlaps_kernel(ld, ld->staging, ld->staging_pages))
        return EFI_SUCCESS;
    status = low_memory_allocate_pages(ld, EfiLoaderData, ld->staging_pages, &moved);
    if (EFI_ERROR(status))
        return status;
    memcpy((void *)(UINTN)moved, (const void *)(UINTN)ld->staging, (size_t)ld->kernel_file_size);
    console_print("loader: staging buffer overlapped the kernel, moved 0x%llx -> 0x%llx\n",
                  (unsigned long long)ld->staging, (unsigned long long)moved);
    ledger_free_pages(&ld->ledger, ld->staging);
    ld->staging = moved;
    return EFI_SUCCESS;
}

static EFI_STATUS low_memory_allocate_bytes(struct loader *ld, EFI_MEMORY_TYPE type, uint64_t bytes,
                                            void **out)
{
    EFI_PHYSICAL_ADDRESS address = 0;
    EFI_STATUS status = low_memory_allocate_pages(ld, type, low_memory_pages(bytes), &address);

    if (EFI_ERROR(status))
        return status;
    memset((void *)(UINTN)address, 0, (size_t)(low_memory_pages(bytes) * PAGODA_PAGE_SIZE));
    *out = (void *)(UINTN)address;
    return EFI_SUCCESS;
}

/* Sized from the map as it is now, plus room for the descriptors later allocations add. */
static EFI_STATUS low_memory_allocate_map_buffer(struct loader *ld)
{
    UINTN size = 0, key = 0, descriptor_size = 0;
    UINT32 version = 0;
    EFI_STATUS status = ld->bs->GetMemoryMap(&size, NULL, &key, &descriptor_size, &version);

    if (status != EFI_BUFFER_TOO_SMALL)
        return EFI_ERROR(status) ? status : EFI_DEVICE_ERROR;
    size += LOW_MEMORY_MAP_SLACK * descriptor_size;
    ld->memory_map_capacity = low_memory_pages(size) * PAGODA_PAGE_SIZE;
    return low_memory_allocate_bytes(ld, EfiLoaderData, size, &ld->memory_map);
}

/* Pagoda's boot info, its command line, the log's page and the modules block (Multiboot's are
 * made later). */
static EFI_STATUS low_memory_allocate_pagoda(struct loader *ld)
{
    size_t cmdline_length = strlen(ld->config.cmdline);
    EFI_STATUS status;

    status = low_memory_allocate_bytes(ld, EfiLoaderData, sizeof(struct pagoda_boot_info),
                                       (void **)&ld->boot_info);
    if (!EFI_ERROR(status))
        status =
            low_memory_allocate_bytes(ld, EfiLoaderData, cmdline_length + 1, (void **)&ld->cmdline);
    if (!EFI_ERROR(status))
        status =
            low_memory_allocate_bytes(ld, EfiLoaderData, PAGODA_LOADER_LOG_PAGES * PAGODA_PAGE_SIZE,
                                      (void **)&ld->loader_log);
    if (!EFI_ERROR(status) && ld->module_count > 0)
        status = low_memory_allocate_bytes(ld, EfiLoaderData, sizeof(struct pagoda_modules),
                                           (void **)&ld->modules_block);
    if (!EFI_ERROR(status))
        memcpy(ld->cmdline, ld->config.cmdline, cmdline_length + 1);
    return status;
}

static EFI_STATUS low_memory_allocate_all(struct loader *ld)
{
    void *stack = NULL;
    EFI_STATUS status = EFI_SUCCESS;

    if (!loader_is_multiboot(ld))
        status = low_memory_allocate_pagoda(ld);
    /* LoaderCode: firmware that maps data pages no-execute still runs code from this one. */
    if (!EFI_ERROR(status))
        status = low_memory_allocate_bytes(ld, EfiLoaderCode, PAGODA_PAGE_SIZE,
                                           (void **)&ld->trampoline);
    if (!EFI_ERROR(status))
        status = low_memory_allocate_bytes(ld, EfiLoaderData, PAGODA_LOADER_STACK_SIZE, &stack);
    if (!EFI_ERROR(status))
        status = low_memory_allocate_map_buffer(ld);
    if (EFI_ERROR(status))
        return status;
    ld->stack = (EFI_PHYSICAL_ADDRESS)(UINTN)stack;
    return EFI_SUCCESS;
}

EFI_STATUS low_memory_allocate(struct loader *ld)
{
    EFI_STATUS status = low_memory_move_staging(ld);

    if (!EFI_ERROR(status))
        status = low_memory_allocate_all(ld);
    if (EFI_ERROR(status)) {
        console_print("pagoda: no memory below 4 GiB outside the kernel's range: %s\n",
                      console_status_text(status));
        return status;
    }
    if (!loader_is_multiboot(ld))
        console_print("loader: boot info 0x%llx, cmdline 0x%llx, ",
                      (unsigned long long)(UINTN)ld->boot_info,
                      (unsigned long long)(UINTN)ld->cmdline);
    else
        console_print("loader: ");
    console_print("trampoline 0x%llx, stack 0x%llx, map buffer 0x%llx (%u bytes)\n",
                  (unsigned long long)(UINTN)ld->trampoline, (unsigned long long)ld->stack,
                  (unsigned long long)(UINTN)ld->memory_map, (unsigned)ld->memory_map_capacity);
    return EFI_SUCCESS;
}
