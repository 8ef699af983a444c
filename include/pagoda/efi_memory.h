/*
 * The UEFI memory descriptor as the firmware lays it out (UEFI spec 2.10, 7.2 GetMemoryMap),
 * for code that must read the raw map without gnu-efi: the kernel and the host tests.
 * Firmware may use a larger stride than this struct (OVMF reports 48): always step by the
 * descriptor size the firmware returned.
 */
#ifndef PAGODA_EFI_MEMORY_H
#define PAGODA_EFI_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "page.h" /* NumberOfPages counts 4 KiB pages (PAGODA_PAGE_SIZE) on every architecture */

enum pagoda_efi_memory_type {
    PAGODA_EFI_RESERVED = 0,
    PAGODA_EFI_LOADER_CODE = 1,
    PAGODA_EFI_LOADER_DATA = 2,
    PAGODA_EFI_BOOT_SERVICES_CODE = 3,
    PAGODA_EFI_BOOT_SERVICES_DATA = 4,
    PAGODA_EFI_RUNTIME_SERVICES_CODE = 5,
    PAGODA_EFI_RUNTIME_SERVICES_DATA = 6,
    PAGODA_EFI_CONVENTIONAL = 7,
    PAGODA_EFI_UNUSABLE = 8,
    PAGODA_EFI_ACPI_RECLAIM = 9,
    PAGODA_EFI_ACPI_NVS = 10,
    PAGODA_EFI_MMIO = 11,
    PAGODA_EFI_MMIO_PORT_SPACE = 12,
    PAGODA_EFI_PAL_CODE = 13,
    PAGODA_EFI_PERSISTENT = 14,
    PAGODA_EFI_UNACCEPTED = 15,
    PAGODA_EFI_MEMORY_TYPE_COUNT = 16,
};

#define PAGODA_EFI_MEMORY_UC      0x0000000000000001ull
#define PAGODA_EFI_MEMORY_WC      0x0000000000000002ull
#define PAGODA_EFI_MEMORY_WT      0x0000000000000004ull
#define PAGODA_EFI_MEMORY_WB      0x0000000000000008ull
#define PAGODA_EFI_MEMORY_RUNTIME 0x8000000000000000ull

struct pagoda_efi_memory_descriptor {
    uint32_t type; /* enum pagoda_efi_memory_type */
    uint32_t pad;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages; /* 4 KiB pages */
    uint64_t attribute;
};

/* Byte offsets in a raw descriptor, for code that reads the map byte by byte at any stride. */
#define PAGODA_EFI_DESCRIPTOR_TYPE            0
#define PAGODA_EFI_DESCRIPTOR_PHYSICAL_START  8
#define PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES 24
#define PAGODA_EFI_DESCRIPTOR_MIN_SIZE        40u /* the smallest stride the spec allows */
#define PAGODA_EFI_DESCRIPTOR_ALIGNMENT       8u  /* every stride is a multiple of it */

_Static_assert(offsetof(struct pagoda_efi_memory_descriptor, physical_start) ==
                   PAGODA_EFI_DESCRIPTOR_PHYSICAL_START,
               "EFI descriptor layout");
_Static_assert(offsetof(struct pagoda_efi_memory_descriptor, number_of_pages) ==
                   PAGODA_EFI_DESCRIPTOR_NUMBER_OF_PAGES,
               "EFI descriptor layout");
_Static_assert(sizeof(struct pagoda_efi_memory_descriptor) == 40, "EFI descriptor layout");

/* Short name of a memory type for logs ("Conventional", "BS_Data", ...); "Type?" if unknown. */
static inline const char *pagoda_efi_memory_type_name(uint32_t type)
{
    static const char *const names[PAGODA_EFI_MEMORY_TYPE_COUNT] = {
        "Reserved",  "LoaderCode", "LoaderData", "BS_Code",    "BS_Data",  "RT_Code",
        "RT_Data",   "Available",  "Unusable",   "ACPI_Recl",  "ACPI_NVS", "MMIO",
        "MMIO_Port", "PalCode",    "Persistent", "Unaccepted",
    };
    return type < PAGODA_EFI_MEMORY_TYPE_COUNT ? names[type] : "Type?";
}

#endif
