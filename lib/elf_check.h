/*
 * Validation of a static i686 ELF executable before anything is loaded from it: the kernel (by
 * the loader, for Pagoda's own kernel and for Multiboot kernels in ELF form) and user programs
 * (by the kernel).
 *
 * elf_check() reads the ELF header and the program headers with explicit little-endian byte loads
 * (the file buffer may sit at any alignment), rejects anything that could not be placed safely
 * under the given rules, and on success describes the PT_LOAD segments to copy. The rules are
 * plain data: elf_rules_kernel (segments placed at their physical addresses, paging off) and
 * elf_rules_user (segments mapped at their virtual addresses in the user half). Pure C without
 * EFI headers: it builds for the x64 and IA32 loaders, the i686 kernel and the host tests alike.
 */
#ifndef PAGODA_LIB_ELF_CHECK_H
#define PAGODA_LIB_ELF_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define ELF_CHECK_MAX_SEGMENTS 16

/* Everything a physically placed image occupies must lie above the null page. */
#define ELF_CHECK_LOWEST_PADDR 0x1000u

/* What an image must satisfy beyond being a well-formed static i686 executable. */
struct elf_rules {
    const char *subject; /* "the kernel", "a user program": who the messages speak of */
    /* 1: each segment is copied to p_paddr, which must then lie in [ELF_CHECK_LOWEST_PADDR,
     * 4 GiB) without two segments sharing physical memory. 0: p_paddr is ignored. */
    int physical;
    /* Virtual addresses: every segment inside [vaddr_start, vaddr_end), none in page 0. */
    uint32_t vaddr_start;
    uint64_t vaddr_end;
    const char *vaddr_area;  /* names that area in messages, e.g. "the user image area" */
    int allow_write_execute; /* 0: a segment both writable and executable is refused */
    /* 1: e_entry is not checked (the caller has the entry from elsewhere, e.g. a Multiboot 2
     * entry address tag); entry_virtual and entry_physical are then 0. */
    int ignore_entry;
};

/* Pagoda's kernel and Multiboot kernels: placed at p_paddr with paging off, anywhere in 4 GiB. */
extern const struct elf_rules elf_rules_kernel;
/* User programs: [PAGODA_USER_IMAGE_START, PAGODA_USER_END) (pagoda/user_layout.h), no W+X. */
extern const struct elf_rules elf_rules_user;

struct elf_segment {
    uint32_t file_offset, file_size, mem_size, vaddr, paddr, flags; /* flags: PF_X|PF_W|PF_R */
    uint32_t header_index; /* its program header: messages number segments as readelf does */
};

struct elf_image {
    uint32_t entry_virtual, entry_physical; /* entry translated through its PT_LOAD */
    uint32_t segment_count;                 /* PT_LOAD segments with mem_size > 0 */
    struct elf_segment segments[ELF_CHECK_MAX_SEGMENTS];
    /* Lowest paddr, highest paddr+memsz (exclusive). Physical rules only: with the others
     * these and entry_physical are 0. */
    uint64_t phys_start, phys_end;
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
    ELF_CHECK_NULL_PAGE,            /* a segment in page 0 (physical or virtual, per rules) */
    ELF_CHECK_OVERLAP,              /* two segments share physical memory */
    ELF_CHECK_VIRTUAL_OVERLAP,      /* two segments share virtual addresses */
    ELF_CHECK_ENTRY_OUTSIDE_CODE,   /* e_entry not inside an executable PT_LOAD */
    ELF_CHECK_ENTRY_IN_BSS,         /* e_entry in the zero-filled tail of its segment */
    ELF_CHECK_NO_LOADABLE_SEGMENT,  /* no PT_LOAD with p_memsz > 0 */
    ELF_CHECK_OUTSIDE_AREA,         /* a segment's virtual range leaves the rules' area */
    ELF_CHECK_WRITE_EXECUTE,        /* a segment both writable and executable, rules forbid it */
    ELF_CHECK_ERROR_COUNT,
};

/*
 * Validates the whole file under RULES before anything is loaded. On success fills *image and
 * returns ELF_CHECK_OK; on failure returns the first problem found and writes a one-line reason
 * naming the offending segment and values into why (NUL-terminated, truncated to why_size; why
 * may be NULL).
 */
enum elf_check_error elf_check(const void *file, size_t file_size, const struct elf_rules *rules,
                               struct elf_image *image, char *why, size_t why_size);

/* "ELF_CHECK_OVERLAP" etc., for tests and logs; "ELF_CHECK_?" for values out of range. */
const char *elf_check_error_name(enum elf_check_error e);

#endif
