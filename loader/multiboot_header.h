/*
 * The Multiboot header of a kernel file: found, checked completely, and turned into a load plan
 * before anything is placed anywhere. Pure C without EFI headers (host-tested and fuzzed).
 *
 * Search (both versions): the header must start at an aligned offset (4 bytes for Multiboot 1,
 * 8 for Multiboot 2) inside the first 8 KiB (1) or 32 KiB (2) of the file, and its checksum must
 * make the first fields sum to 0. A magic value at an aligned offset with a wrong checksum is a
 * bad header; a complete header at a wrong alignment or past the search area is named as such.
 *
 * What a kernel may ask for, and what this loader does with it:
 *   Multiboot 1 flags: 0 page-aligned modules (always so), 1 memory information (always given),
 *     2 video mode (the GOP framebuffer; a request for EGA text cannot be met on UEFI and is
 *     answered with the framebuffer), 16 the address fields (the a.out kludge: load_addr,
 *     load_end_addr, bss_end_addr, entry_addr, checked against the file). Any other bit of 0-15
 *     is a requirement this loader does not know: refused.
 *   Multiboot 2 tags: information request (every required type must be one this loader gives on
 *     this firmware width), address and entry address (the a.out kludge; load_addr -1 loads from
 *     the file's first byte), console flags (a required console must be one the loader has: on
 *     UEFI only the framebuffer), framebuffer (the preferred size), module alignment (always
 *     page-aligned), EFI boot services (this loader always leaves them: refused when required,
 *     ignored when optional), EFI i386/amd64 entry (used only with boot services kept, so never:
 *     checked and ignored), relocatable (the EFI step chooses the address). An unknown tag is
 *     refused unless it is marked optional.
 * Without address fields the kernel must be an ELF file that passes elf_check() under the kernel
 * rules (lib/elf_check.h); a Multiboot 2 entry address tag then replaces e_entry.
 */
#ifndef PAGODA_LOADER_MULTIBOOT_HEADER_H
#define PAGODA_LOADER_MULTIBOOT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "elf_check.h"

enum mb_error {
    MB_OK = 0,
    MB_NOT_FOUND,             /* no header of that version: not a Multiboot kernel of it */
    MB_BAD_CHECKSUM,          /* the magic at an aligned offset, fields not summing to 0 */
    MB_MISALIGNED,            /* a complete header, but not at an aligned offset */
    MB_BEYOND_SEARCH,         /* a complete header, but past the first 8/32 KiB */
    MB_HEADER_TRUNCATED,      /* the header runs past the file or the search area */
    MB_UNSUPPORTED_FLAGS,     /* Multiboot 1: a required flag bit this loader does not know */
    MB_BAD_ARCHITECTURE,      /* Multiboot 2: not i386 */
    MB_BAD_HEADER_LENGTH,     /* Multiboot 2: shorter than the fixed part and an end tag */
    MB_TAG_PAST_HEADER,       /* a tag runs past header_length */
    MB_TAG_BAD_SIZE,          /* a tag's size is not the one its type has */
    MB_TAG_UNKNOWN,           /* a tag type this loader does not know, not marked optional */
    MB_TAG_DUPLICATE,         /* a tag that may appear once appears twice */
    MB_NO_END_TAG,            /* the tags stop without an end tag */
    MB_REQUEST_UNSUPPORTED,   /* a required information type this loader never gives here */
    MB_REQUEST_UNAVAILABLE,   /* a required information type this machine lacks (ACPI, GOP) */
    MB_CONSOLE_UNAVAILABLE,   /* a required console this machine lacks (EGA text, GOP) */
    MB_EFI_BOOT_SERVICES,     /* the kernel must keep boot services: this loader leaves them */
    MB_ADDRESS_WITHOUT_ENTRY, /* Multiboot 2 address tag without an entry address tag */
    MB_BAD_LOAD_ADDRESS,      /* load_addr above header_addr, or loading from before the file */
    MB_BAD_LOAD_END,          /* load_end_addr not above load_addr */
    MB_LOAD_PAST_FILE,        /* the load range needs bytes past the end of the file */
    MB_HEADER_NOT_LOADED,     /* header_addr is not inside the range that is loaded */
    MB_BAD_BSS,               /* bss_end_addr below the end of the loaded range */
    MB_PAST_4G,               /* the loaded range ends above 4 GiB */
    MB_NULL_PAGE,             /* the loaded range starts in the null page */
    MB_ENTRY_OUTSIDE,         /* the entry point is not in the code that is loaded */
    MB_ELF,                   /* the ELF file failed elf_check (mb_kernel.elf_error says why) */
    MB_BAD_RELOCATABLE,       /* relocatable tag: bad alignment, or the image cannot fit */
    MB_ERROR_COUNT,
};

struct mb_kernel {
    unsigned version;       /* 1 or 2 */
    uint32_t header_offset; /* of the magic, in the file */
    uint32_t header_size;   /* Multiboot 1: 12, 32 or 48; Multiboot 2: header_length */
    uint32_t flags;         /* Multiboot 1 header flags */

    /* How the file is loaded: the segments to copy, the physical entry and span. */
    int address_fields; /* the a.out kludge (flag 16 / address tag) rather than ELF */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr; /* as written */
    int has_entry_address;          /* Multiboot 2 entry address tag (always with the kludge) */
    uint32_t entry_address;         /* ... its value, or Multiboot 1 entry_addr */
    struct elf_image image;         /* the plan; for the kludge one segment, flags RWX */
    enum elf_check_error elf_error; /* with MB_ELF */

    /* Relocatable tag (Multiboot 2): the image may be moved as a whole. */
    int relocatable;
    uint32_t min_addr, max_addr, align, preference;

    /* What the kernel asks for. */
    int page_align_modules;
    int wants_memory_info;
    int wants_video;          /* Multiboot 1 flag 2 or a Multiboot 2 framebuffer tag */
    uint32_t video_mode_type; /* Multiboot 1: MB1_MODE_LINEAR or MB1_MODE_EGA_TEXT */
    uint32_t video_width, video_height, video_depth; /* 0: no preference */
    int console_required;                            /* Multiboot 2 console flags bit 0 */
    int ega_text_supported;                          /* Multiboot 2 console flags bit 1 */
    int requires_framebuffer, requires_acpi_old, requires_acpi_new; /* required requests */
    unsigned required_request_count;

    /* Tags checked and then not acted on, for the log. */
    int efi_boot_services_optional;
    int has_efi_i386_entry, has_efi_amd64_entry;
    uint32_t efi_i386_entry, efi_amd64_entry;
};

/* What this machine can give, for mb_check_available(). */
struct mb_available {
    int framebuffer; /* the GOP has a linear framebuffer */
    int acpi_old;    /* an ACPI 1.0 RSDP in the configuration table */
    int acpi_new;    /* an ACPI 2.0+ RSDP */
};

/*
 * Looks for a header of VERSION (1 or 2) in file[0..size) and checks all of it. FIRMWARE_BITS
 * (32 or 64) decides which EFI system table and image handle types can be given. On MB_OK
 * *kernel describes the kernel and its load plan; otherwise why names the problem and the
 * offending values (NUL-terminated, truncated to why_size; may be NULL). MB_NOT_FOUND is the
 * only result that means "not a Multiboot kernel of this version" rather than "a bad one".
 */
enum mb_error mb_header_parse(const void *file, size_t size, unsigned version,
                              unsigned firmware_bits, struct mb_kernel *kernel, char *why,
                              size_t why_size);

/* The required information and console the machine must have. */
enum mb_error mb_check_available(const struct mb_kernel *kernel, const struct mb_available *have,
                                 char *why, size_t why_size);

/* "MB_BAD_CHECKSUM" etc.; "MB_?" out of range. */
const char *mb_error_name(enum mb_error e);

/* The specification's name of a Multiboot 2 boot information tag type ("ACPI old RSDP"...). */
const char *mb2_tag_name(uint32_t type);

#endif
