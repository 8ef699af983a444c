/*
 * Validation of the kernel file before the loader touches any memory for it.
 *
 * The kernel is a static i686 ELF executable. elf_check() reads the ELF header and the program
 * headers with explicit little-endian byte loads (the file buffer may sit at any alignment),
 * rejects anything the loader could not place safely, and on success describes the PT_LOAD
 * segments the trampoline must copy. Pure C without EFI headers: it builds for the x64 and IA32
 * loaders, the i686 kernel and the host tests alike.
 */
#ifndef PAGODA_LOADER_ELF_CHECK_H
#define PAGODA_LOADER_ELF_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define ELF_CHECK_MAX_SEGMENTS 16

/* Everything the kernel is allowed to occupy must lie above the null page. */
#define ELF_CHECK_LOWEST_PADDR 0x1000u

struct elf_segment {
    uint32_t file_offset, file_size, mem_size, vaddr, paddr, flags; /* flags: PF_X|PF_W|PF_R */
    uint32_t header_index; /* its program header: messages number segments as readelf does */
};

struct elf_image {
    uint32_t entry_virtual, entry_physical; /* entry translated through its PT_LOAD */
    uint32_t segment_count;                 /* PT_LOAD segments with mem_size > 0 */
    struct elf_segment segments[ELF_CHECK_MAX_SEGMENTS];
    uint64_t phys_start, phys_end; /* lowest paddr, highest paddr+memsz (exclusive) */
};

enum elf_check_error {
    ELF_CHECK_OK = 0,
    ELF_CHECK_TRUNCATED_HEADER,     /* file smaller than the 52-byte ELF header */
    ELF_CHECK_BAD_MAGIC,            /* not "\x7fELF" */
    ELF_CHECK_NOT_ELF32,            /* EI_CLASS is not ELFCLASS32 */
    ELF_CHECK_NOT_LITTLE_ENDIAN,    /* EI_DATA is not ELFDATA2LSB */
    ELF_CHECK_BAD_VERSION,          /* EI_VERSION or e_version is not EV_CURRENT */
    ELF_CHECK_NOT_EXECUTABLE,       /* e_type is not ET_EXEC */
    ELF_CHECK_WRONG_MACHINE,        /* e_machine is not EM_386 */
    ELF_CHECK_BAD_HEADER_SIZE,      /* e_ehsize is not 52 */
    ELF_CHECK_BAD_PHENTSIZE,        /* e_phentsize is not 32 */
    ELF_CHECK_NO_PROGRAM_HEADERS,   /* e_phnum or e_phoff is 0 */
    ELF_CHECK_PHDRS_OUTSIDE_FILE,   /* program header table runs past the end of the file */
    ELF_CHECK_TOO_MANY_SEGMENTS,    /* more than ELF_CHECK_MAX_SEGMENTS non-empty PT_LOAD */
    ELF_CHECK_DYNAMIC,              /* PT_DYNAMIC present: the kernel must be static */
    ELF_CHECK_INTERP,               /* PT_INTERP present: the kernel must be static */
    ELF_CHECK_SEGMENT_OUTSIDE_FILE, /* a PT_LOAD's [p_offset, p_offset+p_filesz) past the file */
    ELF_CHECK_FILESZ_EXCEEDS_MEMSZ, /* p_filesz > p_memsz */
    ELF_CHECK_PADDR_OVERFLOW,       /* p_paddr + p_memsz beyond 4 GiB */
    ELF_CHECK_VADDR_OVERFLOW,       /* p_vaddr + p_memsz beyond 4 GiB */
    ELF_CHECK_NULL_PAGE,            /* a segment below ELF_CHECK_LOWEST_PADDR */
    ELF_CHECK_OVERLAP,              /* two segments share physical memory */
    ELF_CHECK_VIRTUAL_OVERLAP,      /* two segments share virtual addresses */
    ELF_CHECK_ENTRY_OUTSIDE_CODE,   /* e_entry not inside an executable PT_LOAD */
    ELF_CHECK_ENTRY_IN_BSS,         /* e_entry in the zero-filled tail of its segment */
    ELF_CHECK_NO_LOADABLE_SEGMENT,  /* no PT_LOAD with p_memsz > 0 */
    ELF_CHECK_ERROR_COUNT,
};

/*
 * Validates the whole file before anything is loaded. On success fills *image and returns
 * ELF_CHECK_OK; on failure returns the first problem found and writes a one-line reason naming
 * the offending values into why (NUL-terminated, truncated to why_size; why may be NULL).
 */
enum elf_check_error elf_check(const void *file, size_t file_size, struct elf_image *image,
                               char *why, size_t why_size);

/* "ELF_CHECK_OVERLAP" etc., for tests and logs; "ELF_CHECK_?" for values out of range. */
const char *elf_check_error_name(enum elf_check_error e);

#endif
