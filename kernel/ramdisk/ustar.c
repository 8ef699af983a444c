#include "ustar.h"

#include "fmt.h"
#include "pg_string.h"

/* Field offsets and sizes of a ustar header (POSIX.1-2017, pax "ustar Interchange Format"). */
#define FIELD_NAME        0
#define FIELD_NAME_SIZE   100
#define FIELD_MODE        100
#define FIELD_MODE_SIZE   8
#define FIELD_SIZE        124
#define FIELD_SIZE_SIZE   12
#define FIELD_CHKSUM      148
#define FIELD_CHKSUM_SIZE 8
#define FIELD_TYPE        156
#define FIELD_MAGIC       257
#define FIELD_PREFIX      345

static const char *const error_names[USTAR_ERROR_COUNT] = {
    "USTAR_OK",
    "USTAR_END",
    "USTAR_NOT_FOUND",
    "USTAR_TRUNCATED",
    "USTAR_BAD_MAGIC",
    "USTAR_BAD_CHECKSUM",
    "USTAR_BAD_NUMBER",
    "USTAR_NAME_NOT_TERMINATED",
    "USTAR_NAME_EMPTY",
    "USTAR_PREFIX_USED",
    "USTAR_NOT_REGULAR",
    "USTAR_SIZE_PAST_END",
    "USTAR_DUPLICATE_NAME",
};

const char *ustar_error_name(enum ustar_error error)
{
    return (unsigned)error < USTAR_ERROR_COUNT ? error_names[error] : "USTAR_?";
}

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        if (why && why_size)                                                                       \
            pg_snprintf(why, why_size, __VA_ARGS__);                                               \
        return (code);                                                                             \
    } while (0)

/* An octal field: optional leading spaces, digits, then NUL or spaces to the end. */
static int parse_octal(const uint8_t *field, size_t size, uint64_t *value)
{
    size_t i = 0;
    while (i < size && field[i] == ' ')
        i++;
    size_t digits = 0;
    uint64_t v = 0;
    for (; i < size && field[i] >= '0' && field[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1; /* more than 64 bits */
        v = v * 8 + (uint64_t)(field[i] - '0');
    }
    if (digits == 0)
        return -1;
    for (; i < size; i++) {
        if (field[i] != '\0' && field[i] != ' ')
            return -1;
    }
    *value = v;
    return 0;
}

static int all_zero(const uint8_t *block)
{
    for (size_t i = 0; i < USTAR_BLOCK; i++) {
        if (block[i])
            return 0;
    }
    return 1;
}

static const char *type_name(uint8_t type)
{
    switch (type) {
    case '1':
        return "a hard link";
    case '2':
        return "a symbolic link";
    case '3':
        return "a character device";
    case '4':
        return "a block device";
    case '5':
        return "a directory";
    case '6':
        return "a FIFO";
    case '7':
        return "a contiguous file";
    case 'x':
    case 'g':
        return "a pax extended header";
    case 'L':
    case 'K':
        return "a GNU long-name header";
    default:
        return "not a regular file";
    }
}

void ustar_open(struct ustar_reader *reader, const void *archive, size_t size)
{
    reader->archive = archive;
    reader->size = size;
    reader->offset = 0;
    reader->index = 0;
    reader->stopped = USTAR_OK;
}

static enum ustar_error read_entry(struct ustar_reader *r, struct ustar_entry *entry, char *why,
                                   size_t why_size)
{
    size_t at = r->offset;
    uint32_t n = r->index;
    if (r->size - at < USTAR_BLOCK) {
        if (r->size == at)
            FAIL(USTAR_TRUNCATED, "the archive ends at offset %zu without its end-of-archive block",
                 at);
        FAIL(USTAR_TRUNCATED, "entry %u at offset %zu: only %zu of the header's 512 bytes", n, at,
             r->size - at);
    }
    const uint8_t *h = r->archive + at;
    if (all_zero(h))
        FAIL(USTAR_END, "the end of the archive at offset %zu, after %u entries", at, n);
    if (memcmp(h + FIELD_MAGIC,
               "ustar\0"
               "00",
               8) != 0 &&
        memcmp(h + FIELD_MAGIC, "ustar  \0", 8) != 0)
        FAIL(USTAR_BAD_MAGIC,
             "entry %u at offset %zu: no ustar magic (a tar or cpio archive of "
             "another format, or not an archive)",
             n, at);
    uint64_t stored;
    if (parse_octal(h + FIELD_CHKSUM, FIELD_CHKSUM_SIZE, &stored))
        FAIL(USTAR_BAD_NUMBER, "entry %u at offset %zu: the checksum field is not octal", n, at);
    uint32_t sum = 0;
    for (size_t i = 0; i < USTAR_BLOCK; i++) {
        int in_field = i >= FIELD_CHKSUM && i < FIELD_CHKSUM + FIELD_CHKSUM_SIZE;
        sum += in_field ? (uint32_t)' ' : h[i];
    }
    if (stored != sum)
        FAIL(USTAR_BAD_CHECKSUM,
             "entry %u at offset %zu: checksum %llu in the header, %u computed (decimal)", n, at,
             (unsigned long long)stored, sum);
    const char *name = (const char *)h + FIELD_NAME;
    size_t name_length = 0;
    while (name_length < FIELD_NAME_SIZE && name[name_length])
        name_length++;
    if (name_length == FIELD_NAME_SIZE)
        FAIL(USTAR_NAME_NOT_TERMINATED,
             "entry %u at offset %zu: a name of 100 bytes or more (no NUL in its field)", n, at);
    if (name_length == 0)
        FAIL(USTAR_NAME_EMPTY, "entry %u at offset %zu: an empty name", n, at);
    if (h[FIELD_PREFIX] != '\0')
        FAIL(USTAR_PREFIX_USED,
             "entry %u at offset %zu (%s): a name prefix (names of over 100 "
             "bytes are not supported)",
             n, at, name);
    uint8_t type = h[FIELD_TYPE];
    if (type != '0' && type != '\0')
        FAIL(USTAR_NOT_REGULAR,
             "entry %u at offset %zu (%s): %s (type '%c'), only regular files "
             "are allowed",
             n, at, name, type_name(type), type >= 0x20 && type < 0x7F ? type : '?');
    uint64_t mode, size;
    if (parse_octal(h + FIELD_MODE, FIELD_MODE_SIZE, &mode))
        FAIL(USTAR_BAD_NUMBER, "entry %u at offset %zu (%s): the mode field is not octal", n, at,
             name);
    if (h[FIELD_SIZE] & 0x80)
        FAIL(USTAR_BAD_NUMBER,
             "entry %u at offset %zu (%s): a base-256 size (files over 8 GiB) is "
             "not supported",
             n, at, name);
    if (parse_octal(h + FIELD_SIZE, FIELD_SIZE_SIZE, &size))
        FAIL(USTAR_BAD_NUMBER, "entry %u at offset %zu (%s): the size field is not octal", n, at,
             name);
    size_t data_at = at + USTAR_BLOCK;
    if (size > r->size - data_at)
        FAIL(USTAR_SIZE_PAST_END,
             "entry %u at offset %zu (%s): %llu bytes of data, the archive "
             "has %zu after the header",
             n, at, name, (unsigned long long)size, r->size - data_at);
    entry->name = name;
    entry->data = r->archive + data_at;
    entry->size = (size_t)size;
    entry->mode = (uint32_t)(mode & 07777);
    entry->header_offset = at;
    entry->index = n;
    /* The data is padded to whole blocks; a missing pad shows as a truncated next header. */
    size_t rest = r->size - data_at - (size_t)size;
    size_t pad = (USTAR_BLOCK - (size_t)size % USTAR_BLOCK) % USTAR_BLOCK;
    r->offset = pad > rest ? r->size : data_at + (size_t)size + pad;
    r->index++;
    return USTAR_OK;
}

enum ustar_error ustar_next(struct ustar_reader *reader, struct ustar_entry *entry, char *why,
                            size_t why_size)
{
    if (reader->stopped != USTAR_OK) {
        if (why && why_size)
            pg_snprintf(why, why_size, "the archive was already read to its %s",
                        reader->stopped == USTAR_END ? "end" : "first error");
        return reader->stopped;
    }
    enum ustar_error e = read_entry(reader, entry, why, why_size);
    if (e != USTAR_OK)
        reader->stopped = e;
    return e;
}

enum ustar_error ustar_check(const void *archive, size_t size, uint32_t *count, char *why,
                             size_t why_size)
{
    struct ustar_reader r, earlier;
    struct ustar_entry entry, other;
    enum ustar_error e;
    ustar_open(&r, archive, size);
    *count = 0;
    while ((e = ustar_next(&r, &entry, why, why_size)) == USTAR_OK) {
        ustar_open(&earlier, archive, size);
        while (ustar_next(&earlier, &other, NULL, 0) == USTAR_OK && other.index < entry.index) {
            if (strcmp(other.name, entry.name) == 0)
                FAIL(USTAR_DUPLICATE_NAME, "entry %u at offset %zu: %s, already entry %u",
                     entry.index, entry.header_offset, entry.name, other.index);
        }
        (*count)++;
    }
    if (e != USTAR_END)
        return e;
    if (why && why_size)
        pg_snprintf(why, why_size, "%u entries, none named twice", *count);
    return USTAR_OK;
}

enum ustar_error ustar_find(const void *archive, size_t size, const char *name,
                            struct ustar_entry *entry, char *why, size_t why_size)
{
    struct ustar_reader r;
    enum ustar_error e;
    ustar_open(&r, archive, size);
    while ((e = ustar_next(&r, entry, why, why_size)) == USTAR_OK) {
        if (strcmp(entry->name, name) == 0)
            return USTAR_OK;
    }
    if (e == USTAR_END)
        FAIL(USTAR_NOT_FOUND, "no entry named %s among %u", name, r.index);
    return e;
}
