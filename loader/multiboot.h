/*
 * The numbers of the Multiboot 1 (0.6.96) and Multiboot 2 (2.0) specifications that the loader's
 * header parser (multiboot_header.c) and boot-information builders (multiboot_info.c) use: magic
 * values, header flags and tag types, and the byte offsets of the boot information. Every layout
 * is written as offsets, never as a C struct, because the host tests, the x64 and the IA32
 * loader must agree on it whatever their alignment rules.
 */
#ifndef PAGODA_LOADER_MULTIBOOT_H
#define PAGODA_LOADER_MULTIBOOT_H

/* ---- Multiboot 1 ---- */

#define MB1_HEADER_MAGIC      0x1BADB002u
#define MB1_BOOTLOADER_MAGIC  0x2BADB002u /* EAX at kernel entry */
#define MB1_SEARCH_BYTES      8192u       /* the header lies wholly in the first 8 KiB */
#define MB1_HEADER_ALIGN      4u
#define MB1_HEADER_MIN_SIZE   12u /* magic, flags, checksum */
#define MB1_HEADER_ADDR_SIZE  32u /* ... and the address fields (flag 16) */
#define MB1_HEADER_VIDEO_SIZE 48u /* ... and the video fields (flag 2) */

/* Header flags: bits 0-15 are requirements a loader must meet or refuse, 16-31 optional. */
#define MB1_FLAG_PAGE_ALIGN_MODULES 0x00000001u
#define MB1_FLAG_MEMORY_INFO        0x00000002u
#define MB1_FLAG_VIDEO_MODE         0x00000004u
#define MB1_FLAG_ADDRESS_FIELDS     0x00010000u
#define MB1_FLAGS_REQUIRED_MASK     0x0000FFFFu
#define MB1_FLAGS_UNDERSTOOD                                                                       \
    (MB1_FLAG_PAGE_ALIGN_MODULES | MB1_FLAG_MEMORY_INFO | MB1_FLAG_VIDEO_MODE)

/* Header field offsets (from the magic). */
#define MB1_H_MAGIC         0
#define MB1_H_FLAGS         4
#define MB1_H_CHECKSUM      8
#define MB1_H_HEADER_ADDR   12
#define MB1_H_LOAD_ADDR     16
#define MB1_H_LOAD_END_ADDR 20
#define MB1_H_BSS_END_ADDR  24
#define MB1_H_ENTRY_ADDR    28
#define MB1_H_MODE_TYPE     32
#define MB1_H_WIDTH         36
#define MB1_H_HEIGHT        40
#define MB1_H_DEPTH         44

#define MB1_MODE_LINEAR   0u
#define MB1_MODE_EGA_TEXT 1u

/* Boot information flags (which fields are valid). */
#define MB1_INFO_MEMORY      0x00000001u
#define MB1_INFO_CMDLINE     0x00000004u
#define MB1_INFO_MODULES     0x00000008u
#define MB1_INFO_MEMORY_MAP  0x00000040u
#define MB1_INFO_LOADER_NAME 0x00000200u
#define MB1_INFO_FRAMEBUFFER 0x00001000u

/* Boot information offsets. */
#define MB1_I_FLAGS              0
#define MB1_I_MEM_LOWER          4
#define MB1_I_MEM_UPPER          8
#define MB1_I_CMDLINE            16
#define MB1_I_MODS_COUNT         20
#define MB1_I_MODS_ADDR          24
#define MB1_I_MMAP_LENGTH        44
#define MB1_I_MMAP_ADDR          48
#define MB1_I_BOOT_LOADER_NAME   64
#define MB1_I_FRAMEBUFFER_ADDR   88
#define MB1_I_FRAMEBUFFER_PITCH  96
#define MB1_I_FRAMEBUFFER_WIDTH  100
#define MB1_I_FRAMEBUFFER_HEIGHT 104
#define MB1_I_FRAMEBUFFER_BPP    108
#define MB1_I_FRAMEBUFFER_TYPE   109
#define MB1_I_COLOR_INFO         110
#define MB1_INFO_SIZE            116

#define MB1_MODULE_SIZE     16 /* mod_start, mod_end, string, reserved */
#define MB1_MMAP_ENTRY_SIZE 24 /* size (20, not counting itself), base_addr, length, type */
#define MB1_MMAP_ENTRY_BODY 20

/* ---- Multiboot 2 ---- */

#define MB2_HEADER_MAGIC     0xE85250D6u
#define MB2_BOOTLOADER_MAGIC 0x36D76289u /* EAX at kernel entry */
#define MB2_SEARCH_BYTES     32768u      /* the header lies wholly in the first 32 KiB */
#define MB2_HEADER_ALIGN     8u
#define MB2_HEADER_SIZE      16u /* magic, architecture, header_length, checksum */
#define MB2_TAG_ALIGN        8u
#define MB2_TAG_HEADER_SIZE  8u /* u16 type, u16 flags, u32 size */
#define MB2_ARCH_I386        0u
#define MB2_ARCH_MIPS32      4u

#define MB2_H_MAGIC         0
#define MB2_H_ARCHITECTURE  4
#define MB2_H_HEADER_LENGTH 8
#define MB2_H_CHECKSUM      12

#define MB2_TAG_FLAG_OPTIONAL 0x0001u

/* Header tag types. */
#define MB2_HTAG_END                 0u
#define MB2_HTAG_INFORMATION_REQUEST 1u
#define MB2_HTAG_ADDRESS             2u
#define MB2_HTAG_ENTRY_ADDRESS       3u
#define MB2_HTAG_CONSOLE_FLAGS       4u
#define MB2_HTAG_FRAMEBUFFER         5u
#define MB2_HTAG_MODULE_ALIGN        6u
#define MB2_HTAG_EFI_BOOT_SERVICES   7u
#define MB2_HTAG_EFI_I386_ENTRY      8u
#define MB2_HTAG_EFI_AMD64_ENTRY     9u
#define MB2_HTAG_RELOCATABLE         10u

#define MB2_CONSOLE_REQUIRED     0x1u
#define MB2_CONSOLE_EGA_TEXT     0x2u
#define MB2_LOAD_ADDR_FILE_START 0xFFFFFFFFu /* address tag: load from the file's first byte */

#define MB2_PREFERENCE_NONE    0u
#define MB2_PREFERENCE_LOWEST  1u
#define MB2_PREFERENCE_HIGHEST 2u

/* Boot information tag types. */
#define MB2_TAG_END            0u
#define MB2_TAG_CMDLINE        1u
#define MB2_TAG_LOADER_NAME    2u
#define MB2_TAG_MODULE         3u
#define MB2_TAG_BASIC_MEMINFO  4u
#define MB2_TAG_BOOTDEV        5u
#define MB2_TAG_MMAP           6u
#define MB2_TAG_VBE            7u
#define MB2_TAG_FRAMEBUFFER    8u
#define MB2_TAG_ELF_SECTIONS   9u
#define MB2_TAG_APM            10u
#define MB2_TAG_EFI32          11u
#define MB2_TAG_EFI64          12u
#define MB2_TAG_SMBIOS         13u
#define MB2_TAG_ACPI_OLD       14u
#define MB2_TAG_ACPI_NEW       15u
#define MB2_TAG_NETWORK        16u
#define MB2_TAG_EFI_MMAP       17u
#define MB2_TAG_EFI_BS         18u
#define MB2_TAG_EFI32_IH       19u
#define MB2_TAG_EFI64_IH       20u
#define MB2_TAG_LOAD_BASE_ADDR 21u
#define MB2_TAG_TYPE_COUNT     22u

#define MB2_INFO_HEADER_SIZE     8u /* total_size, reserved */
#define MB2_MMAP_ENTRY_SIZE      24u
#define MB2_FRAMEBUFFER_TAG_SIZE 38u /* common part (32 bytes) and the RGB field positions */
#define MB2_MODULE_TAG_HEADER    16u /* type, size, mod_start, mod_end; the string follows */

/* ---- both ---- */

/* Memory map types (the same numbers in both versions). */
#define MB_MEMORY_AVAILABLE 1u
#define MB_MEMORY_RESERVED  2u
#define MB_MEMORY_ACPI      3u /* ACPI tables: reclaimable once read */
#define MB_MEMORY_NVS       4u /* preserved on hibernation */
#define MB_MEMORY_BAD       5u /* defective RAM */

#define MB_FRAMEBUFFER_TYPE_RGB 1u

#define MB_LOWER_MEMORY_MAX_KB 640u
#define MB_UPPER_MEMORY_START  0x100000ull

#endif
