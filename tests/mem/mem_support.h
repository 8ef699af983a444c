/*
 * Shared host-side helpers for the memory tests, fuzz targets and benchmark: a panic() that
 * records and longjmps, a parser for the real-PC memory-map files in tests/data/memmaps, raw UEFI
 * map construction at any stride, an independent check of a normalized map, and a PRNG.
 */
#ifndef PAGODA_TESTS_MEM_SUPPORT_H
#define PAGODA_TESTS_MEM_SUPPORT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/mem/memmap.h"
#include "pagoda/efi_memory.h"

/* ---- panic capture ---- */

extern jmp_buf *mem_panic_jump; /* where panic() longjmps; NULL = abort on panic */
extern char mem_panic_message[256];
extern unsigned mem_panic_count;

/* Runs stmt; true if it panicked (message in mem_panic_message). */
#define MEM_PANICS(stmt)                                                                           \
    ({                                                                                             \
        jmp_buf mem_jb_;                                                                           \
        jmp_buf *mem_saved_ = mem_panic_jump;                                                      \
        bool mem_panicked_ = false;                                                                \
        mem_panic_message[0] = '\0';                                                               \
        mem_panic_jump = &mem_jb_;                                                                 \
        if (setjmp(mem_jb_) == 0) {                                                                \
            stmt;                                                                                  \
        } else {                                                                                   \
            mem_panicked_ = true;                                                                  \
        }                                                                                          \
        mem_panic_jump = mem_saved_;                                                               \
        mem_panicked_;                                                                             \
    })

/* ---- PRNG (xorshift64*): deterministic per seed ---- */

struct mem_rng {
    uint64_t state;
};

static inline uint64_t mem_rng_next(struct mem_rng *r)
{
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return r->state * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t mem_rng_below(struct mem_rng *r, uint64_t n)
{
    return n ? mem_rng_next(r) % n : 0;
}

/* ---- parsed map files ---- */

#define MEM_FILE_MAX_EFI  512
#define MEM_FILE_MAX_E820 256

/* e820 type codes as Linux prints them ("type 20" is GRUB's EFI runtime code). */
enum mem_e820_type {
    MEM_E820_USABLE = 1,
    MEM_E820_RESERVED = 2,
    MEM_E820_ACPI = 3,
    MEM_E820_NVS = 4,
    MEM_E820_UNUSABLE = 5,
    MEM_E820_PERSISTENT = 7,
};

struct mem_e820_entry {
    uint64_t start;
    uint64_t end; /* exclusive */
    uint32_t type;
};

struct mem_file {
    struct pagoda_efi_memory_descriptor efi[MEM_FILE_MAX_EFI];
    uint32_t efi_count;
    struct mem_e820_entry e820[MEM_FILE_MAX_E820];
    uint32_t e820_count;
    bool has_summary;                                     /* UEFI shell files */
    uint64_t summary_pages[PAGODA_EFI_MEMORY_TYPE_COUNT]; /* per type, from the summary block */
    uint64_t summary_total_bytes;                         /* "Total Memory: ... (N Bytes)" */
    uint32_t size_mismatches; /* lines whose (NMB) or # Pages disagree with the range */
    uint32_t skipped_lines;   /* non-header lines the parser did not recognize */
};

/* Parses path into *out; false (with a message on stderr) if the file cannot be read. */
bool mem_file_parse(const char *path, struct mem_file *out);

/* What an e820 type becomes in the normalized map. */
uint32_t mem_e820_kind(uint32_t e820_type);

/* Copies descriptors into buf at the given stride (padding filled with 0xA5); returns bytes. */
size_t mem_build_raw_map(const struct pagoda_efi_memory_descriptor *d, uint32_t count,
                         uint32_t stride, uint8_t *buf, size_t buf_size);

/* ---- checks of a normalized map ---- */

/*
 * Structural invariants: every entry non-empty, sorted, non-overlapping, page-aligned, kinds in
 * range, and no two touching entries of the same kind. Returns NULL or what is wrong.
 */
const char *mem_check_structure(const struct memmap *map);

/*
 * Checks the map against an independent point-wise definition of the normalizer: at every probe
 * address (each input's rounded start, end-1 and middle, and each output's start and end-1), the
 * kind the map gives must be the most restrictive kind of the inputs covering that address after
 * rounding (or none). Returns NULL or a description of the first difference.
 */
const char *mem_check_pointwise(const struct memmap *map, const struct memmap_input *in);

/* Kind the map gives to address a, or -1 over a hole (binary search). */
int mem_kind_at(const struct memmap *map, uint64_t a);

#endif
