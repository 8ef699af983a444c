/* A valid boot info block built in host memory, for tests to break one field at a time. */
#ifndef PAGODA_TEST_BOOTINFO_FIXTURE_H
#define PAGODA_TEST_BOOTINFO_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "pagoda/boot_info.h"
#include "pagoda/efi_memory.h"

#define FIXTURE_MAX_DESCRIPTORS 64
#define FIXTURE_STRIDE          48 /* what OVMF uses: more than sizeof, on purpose */

struct fixture {
    struct pagoda_boot_info info;
    _Alignas(8) unsigned char map[FIXTURE_MAX_DESCRIPTORS * 64];
    char cmdline[64];
    unsigned char rsdp[36];
    uint32_t stride;
    unsigned count;
};

static inline void fixture_add(struct fixture *f, uint32_t type, uint64_t start, uint64_t pages)
{
    struct pagoda_efi_memory_descriptor d = {.type = type,
                                             .physical_start = start,
                                             .number_of_pages = pages,
                                             .attribute = PAGODA_EFI_MEMORY_WB};
    memset(f->map + f->count * f->stride, 0xEE, f->stride); /* padding must be ignored */
    memcpy(f->map + f->count * f->stride, &d, sizeof(d));
    f->count++;
    f->info.memory_map_size = (uint64_t)f->count * f->stride;
}

static inline void fixture_init_stride(struct fixture *f, uint32_t stride)
{
    memset(f, 0, sizeof(*f));
    f->stride = stride;
    f->info.magic = PAGODA_BOOT_MAGIC;
    f->info.version = PAGODA_BOOT_INFO_VERSION;
    f->info.size = sizeof(f->info);
    f->info.firmware_kind = PAGODA_FIRMWARE_UEFI_X64;
    f->info.memory_map = (uintptr_t)f->map;
    f->info.descriptor_size = stride;
    f->info.descriptor_version = 1;
    strcpy(f->cmdline, "mode=test");
    f->info.cmdline = (uintptr_t)f->cmdline;
    f->info.cmdline_size = (uint32_t)strlen(f->cmdline);
    strcpy(f->info.firmware_vendor, "Test Firmware");
    f->info.framebuffer = (struct pagoda_framebuffer){.base = 0x80000000u,
                                                      .size = 1024u * 768u * 4u,
                                                      .width = 1024,
                                                      .height = 768,
                                                      .pitch = 4096,
                                                      .format = PAGODA_PIXEL_BGRX,
                                                      .bits_per_pixel = 32};
    f->info.range_count = 1;
    f->info.ranges[0] =
        (struct pagoda_range){.base = 0x100000, .size = 0x12000, .kind = PAGODA_RANGE_KERNEL};
    fixture_add(f, PAGODA_EFI_BOOT_SERVICES_CODE, 0x0, 1);
    fixture_add(f, PAGODA_EFI_CONVENTIONAL, 0x1000, 159);
    fixture_add(f, PAGODA_EFI_CONVENTIONAL, 0x100000, 0x700);
    fixture_add(f, PAGODA_EFI_ACPI_NVS, 0x800000, 2);
    fixture_add(f, PAGODA_EFI_LOADER_DATA, 0x802000, 14);
    fixture_add(f, PAGODA_EFI_RESERVED, 0xB0000000u, 0x10000);
    fixture_add(f, PAGODA_EFI_CONVENTIONAL, 0x100000000ull, 0x40000); /* 1 GiB above 4 GiB */
}

static inline void fixture_init(struct fixture *f)
{
    fixture_init_stride(f, FIXTURE_STRIDE);
}

#endif
