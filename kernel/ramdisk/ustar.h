/*
 * The ramdisk reader: the user programs arrive as a POSIX ustar archive (tools/mkramdisk.py makes
 * programs.tar, the loader passes it as a module), read in place: entries point into the
 * archive's bytes, nothing is copied. Pure code, host-tested and fuzzed (tests/ramdisk/).
 *
 * What is accepted: 512-byte headers with the "ustar\0" "00" magic (POSIX) or "ustar  \0" (old
 * GNU tar), a correct checksum, octal size and mode fields, a name of 1 to 99 bytes ending with a
 * NUL inside its field and no prefix field, and regular files only (type '0' or NUL), each one's
 * data inside the archive. The archive ends with an all-zero block. Anything else is an error that
 * names the entry, its offset and the field at fault; nothing after a bad entry is trusted.
 */
#ifndef PAGODA_RAMDISK_USTAR_H
#define PAGODA_RAMDISK_USTAR_H

#include <stddef.h>
#include <stdint.h>

#define USTAR_BLOCK 512

enum ustar_error {
    USTAR_OK = 0,
    USTAR_END,                 /* ustar_next: no entry left (the end-of-archive block) */
    USTAR_NOT_FOUND,           /* ustar_find: no entry of that name */
    USTAR_TRUNCATED,           /* the archive ends inside a header or before its end block */
    USTAR_BAD_MAGIC,           /* not a ustar header */
    USTAR_BAD_CHECKSUM,        /* the header's checksum does not match its bytes */
    USTAR_BAD_NUMBER,          /* a size, mode or checksum field is not an octal number */
    USTAR_NAME_NOT_TERMINATED, /* no NUL in the 100-byte name field */
    USTAR_NAME_EMPTY,          /* the name field starts with NUL */
    USTAR_PREFIX_USED,         /* the ustar prefix field is set: long names are not supported */
    USTAR_NOT_REGULAR,         /* a directory, link, device, FIFO or extended header */
    USTAR_SIZE_PAST_END,       /* the entry's data runs past the end of the archive */
    USTAR_DUPLICATE_NAME,      /* ustar_check: two entries with the same name */
    USTAR_ERROR_COUNT
};

struct ustar_entry {
    const char *name;    /* NUL-terminated, inside the archive */
    const uint8_t *data; /* size bytes, inside the archive */
    size_t size;
    uint32_t mode;        /* permission bits, as stored */
    size_t header_offset; /* of its header, from the start of the archive */
    uint32_t index;       /* 0 for the first entry */
};

struct ustar_reader {
    const uint8_t *archive;
    size_t size;
    size_t offset; /* of the next header */
    uint32_t index;
    enum ustar_error stopped; /* USTAR_OK while entries may follow */
};

void ustar_open(struct ustar_reader *reader, const void *archive, size_t size);

/*
 * The next entry: USTAR_OK and *entry, USTAR_END after the last one, or an error with a one-line
 * reason in why (NUL-terminated, cut to why_size; why may be NULL). After END or an error every
 * further call returns the same code.
 */
enum ustar_error ustar_next(struct ustar_reader *reader, struct ustar_entry *entry, char *why,
                            size_t why_size);

/* Reads the whole archive: USTAR_OK with *count entries, none named twice, or the first error. */
enum ustar_error ustar_check(const void *archive, size_t size, uint32_t *count, char *why,
                             size_t why_size);

/* The entry called name: USTAR_OK, USTAR_NOT_FOUND, or the error that stopped the search. */
enum ustar_error ustar_find(const void *archive, size_t size, const char *name,
                            struct ustar_entry *entry, char *why, size_t why_size);

/* "USTAR_BAD_CHECKSUM" etc.; "USTAR_?" out of range. */
const char *ustar_error_name(enum ustar_error error);

#endif
