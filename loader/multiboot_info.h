/*
 * The Multiboot 1 and Multiboot 2 boot information, written into one buffer that the kernel finds
 * through EBX. Pure C without EFI headers (host-tested and fuzzed): the loader gathers the inputs
 * before ExitBootServices and calls the builder right after it, with the final memory map, so
 * nothing here may fail for a lack of room: mb_info_capacity() gives the size to allocate.
 *
 * Multiboot 1: the fixed 116-byte block at the start (flags 0 memory, 2 command line, 3 modules,
 * 6 memory map, 9 boot loader name, and 12 framebuffer when there is one), then the memory map
 * (20-byte entries after their size field), the module list and the strings, all addressed by
 * their physical addresses, which is why the builder is told where the buffer will be.
 *
 * Multiboot 2: total_size and reserved, then 8-byte aligned tags in this order: command line,
 * boot loader name, one module tag per module, basic memory information, memory map (24-byte
 * entries, version 0), framebuffer (RGB field positions from the GOP masks) when there is one,
 * EFI 32- or 64-bit system table (the firmware's width), ACPI old and new RSDP (copies of the
 * structures) when the firmware has them, the EFI memory map as given to ExitBootServices, the
 * EFI 32- or 64-bit image handle, the image load base for relocatable kernels, and the end tag.
 *
 * The memory map and mem_lower/mem_upper come from multiboot_memory.h.
 */
#ifndef PAGODA_LOADER_MULTIBOOT_INFO_H
#define PAGODA_LOADER_MULTIBOOT_INFO_H

#include <stddef.h>
#include <stdint.h>

#include <pagoda/boot_info.h>

#define MB_RSDP_V1_SIZE  20u /* ACPI 1.0 RSDP */
#define MB_RSDP_MAX_SIZE 36u /* ACPI 2.0+ XSDP as ACPI 6.5 defines it (its length field) */

struct mb_info_module {
    uint32_t start, end; /* physical, end exclusive */
    const char *string;
};

struct mb_info_input {
    unsigned version;     /* 1 or 2 */
    uint64_t buffer_base; /* physical address the buffer will have: below 4 GiB, 8-aligned */

    const char *cmdline;
    const char *loader_name;
    struct mb_info_module modules[PAGODA_MAX_MODULES];
    unsigned module_count;

    /* The raw UEFI memory map, as ExitBootServices was given it. */
    const void *efi_map;
    size_t efi_map_size, efi_descriptor_size;
    uint32_t efi_descriptor_version;

    struct pagoda_framebuffer framebuffer; /* format PAGODA_PIXEL_NONE: no framebuffer */

    int has_rsdp_v1, has_rsdp_v2;
    uint8_t rsdp_v1[MB_RSDP_V1_SIZE];
    uint8_t rsdp_v2[MB_RSDP_MAX_SIZE];
    uint32_t rsdp_v2_size; /* the XSDP's length field, at most MB_RSDP_MAX_SIZE */

    unsigned firmware_bits; /* 32 or 64: which EFI system table and image handle tags */
    uint64_t system_table, image_handle;

    int relocatable; /* Multiboot 2: give the load base tag */
    uint32_t load_base;
};

/*
 * Bytes the information can take for INPUT when the EFI memory map is at most MAP_CAPACITY
 * bytes (the buffer it will be read into), whatever else the firmware does in between.
 */
size_t mb_info_capacity(const struct mb_info_input *input, size_t map_capacity);

/*
 * Writes the information for input->version into buffer[0..capacity) (8-aligned); returns the
 * bytes used, or 0 when input is invalid (no version, a bad descriptor size, buffer past 4 GiB)
 * or capacity is less than mb_info_capacity() demanded.
 */
size_t mb_info_build(const struct mb_info_input *input, void *buffer, size_t capacity);

/* A GOP channel mask as Multiboot's field position and size (the lowest set bit, the count). */
void mb_mask_field(uint32_t mask, uint8_t *position, uint8_t *size);

#endif
