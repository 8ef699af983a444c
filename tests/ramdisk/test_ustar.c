/*
 * The ramdisk reader (kernel/ramdisk/ustar.c) under ASan/UBSan: archives built here field by
 * field, one broken way at a time, then the real programs.tar against the program files.
 *
 *   test_ustar [PROGRAMS_TAR PROGRAM...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_file.h"
#include "tap.h"
#include "ustar.h"

#define MAX_ARCHIVE (64 * USTAR_BLOCK)

struct archive {
    unsigned char bytes[MAX_ARCHIVE];
    size_t size;
};

static void set_octal(unsigned char *field, size_t width, unsigned long long value)
{
    /* width-1 octal digits and a NUL, as POSIX tar writes them */
    snprintf((char *)field, width, "%0*llo", (int)width - 1, value);
}

static void seal(unsigned char *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < USTAR_BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, and the space left there */
}

/* Appends a header (and data) for a regular file; returns the header for further damage. */
static unsigned char *add(struct archive *a, const char *name, const void *data, size_t size)
{
    unsigned char *h = a->bytes + a->size;
    memset(h, 0, USTAR_BLOCK);
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    set_octal(h + 100, 8, 0755);
    set_octal(h + 108, 8, 0);
    set_octal(h + 116, 8, 0);
    set_octal(h + 124, 12, size);
    set_octal(h + 136, 12, 1577836800);
    h[156] = '0';
    memcpy(h + 257,
           "ustar\0"
           "00",
           8);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    seal(h);
    a->size += USTAR_BLOCK;
    if (size) {
        memset(a->bytes + a->size, 0, (size + USTAR_BLOCK - 1) / USTAR_BLOCK * USTAR_BLOCK);
        memcpy(a->bytes + a->size, data, size);
        a->size += (size + USTAR_BLOCK - 1) / USTAR_BLOCK * USTAR_BLOCK;
    }
    return h;
}

static void finish(struct archive *a)
{
    memset(a->bytes + a->size, 0, 2 * USTAR_BLOCK);
    a->size += 2 * USTAR_BLOCK;
}

static struct archive *three_files(void)
{
    static struct archive a;
    memset(&a, 0, sizeof(a));
    static unsigned char big[513];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 13);
    add(&a, "hello", "hello, world\n", 13);
    add(&a, "empty", "", 0);
    add(&a, "big", big, sizeof(big));
    finish(&a);
    return &a;
}

static void test_valid(void)
{
    struct archive *a = three_files();
    char why[160] = "";
    uint32_t count = 0;
    TAP_CHECK(ustar_check(a->bytes, a->size, &count, why, sizeof(why)) == USTAR_OK && count == 3,
              "a valid archive of three files checks out (%u entries) %s", count, why);

    struct ustar_reader r;
    struct ustar_entry e;
    ustar_open(&r, a->bytes, a->size);
    int ok = ustar_next(&r, &e, why, sizeof(why)) == USTAR_OK && strcmp(e.name, "hello") == 0 &&
             e.size == 13 && memcmp(e.data, "hello, world\n", 13) == 0 && e.mode == 0755 &&
             e.header_offset == 0 && e.index == 0;
    ok &= ustar_next(&r, &e, why, sizeof(why)) == USTAR_OK && strcmp(e.name, "empty") == 0 &&
          e.size == 0 && e.header_offset == 1024;
    ok &= ustar_next(&r, &e, why, sizeof(why)) == USTAR_OK && strcmp(e.name, "big") == 0 &&
          e.size == 513 && e.data[512] == (unsigned char)(512 * 13) && e.header_offset == 1536;
    ok &= ustar_next(&r, &e, why, sizeof(why)) == USTAR_END;
    ok &= ustar_next(&r, &e, why, sizeof(why)) == USTAR_END;
    TAP_CHECK(ok,
              "iteration gives each entry with its name, data, size, mode and offset, then END");

    TAP_CHECK(ustar_find(a->bytes, a->size, "big", &e, why, sizeof(why)) == USTAR_OK &&
                  e.size == 513,
              "find by name");
    TAP_CHECK(ustar_find(a->bytes, a->size, "bi", &e, why, sizeof(why)) == USTAR_NOT_FOUND &&
                  strstr(why, "bi"),
              "find of a missing name: USTAR_NOT_FOUND (%s)", why);

    static unsigned char zeros[2 * USTAR_BLOCK];
    TAP_CHECK(ustar_check(zeros, sizeof(zeros), &count, why, sizeof(why)) == USTAR_OK && count == 0,
              "an archive of only the end blocks is empty, not broken");
    TAP_CHECK(ustar_check(zeros, USTAR_BLOCK, &count, why, sizeof(why)) == USTAR_OK,
              "one zero block ends the archive");
}

static void test_gnu_magic(void)
{
    struct archive *a = three_files();
    memcpy(a->bytes + 257, "ustar  \0", 8);
    seal(a->bytes);
    uint32_t count;
    char why[160] = "";
    TAP_CHECK(ustar_check(a->bytes, a->size, &count, why, sizeof(why)) == USTAR_OK,
              "the old GNU tar magic is accepted %s", why);
}

/* Expects error on the archive, and a reason that names the entry's offset. */
static void expect(const struct archive *a, size_t size, enum ustar_error error, const char *offset,
                   const char *what)
{
    char why[200] = "";
    uint32_t count;
    enum ustar_error e = ustar_check(a->bytes, size, &count, why, sizeof(why));
    int named = offset == NULL || strstr(why, offset) != NULL;
    TAP_CHECK(e == error && why[0] && named, "%s: %s (%s)", what, ustar_error_name(error), why);
    if (e != error)
        tap_diag("got %s", ustar_error_name(e));
}

static void test_broken(void)
{
    struct archive *a;

    a = three_files();
    expect(a, 0, USTAR_TRUNCATED, "offset 0", "an empty buffer");
    expect(a, 300, USTAR_TRUNCATED, "offset 0", "an archive cut inside the first header");
    expect(a, a->size - 2 * USTAR_BLOCK, USTAR_TRUNCATED, "offset 3072",
           "an archive without its end-of-archive block");
    expect(a, 2048 + 100, USTAR_SIZE_PAST_END, "offset 1536",
           "an archive cut inside the last file's data");
    expect(a, 2048 + 512 + 1, USTAR_TRUNCATED, NULL,
           "an archive cut in the padding of the last file");

    a = three_files();
    a->bytes[1024 + 3] ^= 1; /* the second header's name, checksum not updated */
    expect(a, a->size, USTAR_BAD_CHECKSUM, "offset 1024", "a header whose bytes changed");

    a = three_files();
    memcpy(a->bytes + 1024 + 257,
           "USTAR\0"
           "00",
           8);
    seal(a->bytes + 1024);
    expect(a, a->size, USTAR_BAD_MAGIC, "offset 1024", "a header without the ustar magic");

    a = three_files();
    memcpy(a->bytes + 148, "abcdef\0 ", 8);
    expect(a, a->size, USTAR_BAD_NUMBER, "offset 0", "a checksum field that is not octal");

    a = three_files();
    memcpy(a->bytes + 124, "0000000001x\0", 12);
    seal(a->bytes);
    expect(a, a->size, USTAR_BAD_NUMBER, "offset 0", "a size field that is not octal");

    a = three_files();
    memcpy(a->bytes + 124, "00000000019\0", 12);
    seal(a->bytes);
    expect(a, a->size, USTAR_BAD_NUMBER, "offset 0", "a size field with the digit 9");

    a = three_files();
    memset(a->bytes + 124, 0, 12);
    a->bytes[124] = 0x80;
    a->bytes[135] = 13;
    seal(a->bytes);
    expect(a, a->size, USTAR_BAD_NUMBER, "offset 0", "a base-256 size");

    a = three_files();
    memcpy(a->bytes + 100, "07x5\0\0\0\0", 8);
    seal(a->bytes);
    expect(a, a->size, USTAR_BAD_NUMBER, "offset 0", "a mode field that is not octal");

    a = three_files();
    set_octal(a->bytes + 1536 + 124, 12, 0x7FFFFFFFull);
    seal(a->bytes + 1536);
    expect(a, a->size, USTAR_SIZE_PAST_END, "offset 1536", "a size past the end of the archive");

    a = three_files();
    set_octal(a->bytes + 1536 + 124, 12, 077777777777ull);
    seal(a->bytes + 1536);
    expect(a, a->size, USTAR_SIZE_PAST_END, "offset 1536", "the largest octal size (8 GiB)");

    a = three_files();
    memset(a->bytes + 1024, 'n', 100);
    seal(a->bytes + 1024);
    expect(a, a->size, USTAR_NAME_NOT_TERMINATED, "offset 1024", "a name without NUL");

    a = three_files();
    memset(a->bytes + 1024, 0, 100);
    seal(a->bytes + 1024);
    expect(a, a->size, USTAR_NAME_EMPTY, "offset 1024", "an empty name");

    a = three_files();
    memcpy(a->bytes + 1024 + 345, "usr/bin", 7);
    seal(a->bytes + 1024);
    expect(a, a->size, USTAR_PREFIX_USED, "offset 1024", "a name with the ustar prefix");

    static const struct {
        char type;
        const char *what;
    } types[] = {{'5', "directory"},        {'2', "symbolic link"}, {'1', "hard link"},
                 {'3', "character device"}, {'6', "FIFO"},          {'x', "pax"},
                 {'L', "GNU long-name"},    {'7', "contiguous"}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        a = three_files();
        a->bytes[1024 + 156] = (unsigned char)types[i].type;
        seal(a->bytes + 1024);
        char what[80];
        snprintf(what, sizeof(what), "a %s entry (type '%c')", types[i].what, types[i].type);
        char why[200] = "";
        uint32_t count;
        enum ustar_error e = ustar_check(a->bytes, a->size, &count, why, sizeof(why));
        TAP_CHECK(e == USTAR_NOT_REGULAR && strstr(why, types[i].what) &&
                      strstr(why, "offset 1024"),
                  "%s: USTAR_NOT_REGULAR (%s)", what, why);
    }

    a = three_files();
    memcpy(a->bytes + 1536, "hello", 6); /* "big" renamed "hello" */
    seal(a->bytes + 1536);
    expect(a, a->size, USTAR_DUPLICATE_NAME, "offset 1536", "two entries with one name");
    struct ustar_entry e;
    TAP_CHECK(ustar_find(a->bytes, a->size, "hello", &e, NULL, 0) == USTAR_OK && e.index == 0,
              "find returns the first of two entries with one name");
}

static void test_sticky_and_quiet(void)
{
    struct archive *a = three_files();
    a->bytes[1024 + 3] ^= 1;
    struct ustar_reader r;
    struct ustar_entry e;
    ustar_open(&r, a->bytes, a->size);
    int first = ustar_next(&r, &e, NULL, 0);
    int second = ustar_next(&r, &e, NULL, 0);
    int third = ustar_next(&r, &e, NULL, 0);
    TAP_CHECK(first == USTAR_OK && second == USTAR_BAD_CHECKSUM && third == USTAR_BAD_CHECKSUM,
              "after an error the reader keeps returning it, with why NULL");
    TAP_CHECK(ustar_find(a->bytes, a->size, "big", &e, NULL, 0) == USTAR_BAD_CHECKSUM,
              "find stops at a bad entry before the one it looks for");
    char tiny[8];
    ustar_check(a->bytes, a->size, &(uint32_t){0}, tiny, sizeof(tiny));
    TAP_CHECK(strlen(tiny) == sizeof(tiny) - 1, "a short why buffer is cut and terminated");
    TAP_CHECK(strcmp(ustar_error_name(USTAR_SIZE_PAST_END), "USTAR_SIZE_PAST_END") == 0 &&
                  strcmp(ustar_error_name(USTAR_ERROR_COUNT), "USTAR_?") == 0,
              "error names");
}

static void test_programs_tar(int argc, char **argv)
{
    size_t size;
    unsigned char *tar = read_file(argv[1], &size);
    if (!TAP_CHECK(tar != NULL, "read %s", argv[1]))
        return;
    char why[200] = "";
    uint32_t count = 0;
    TAP_CHECK(ustar_check(tar, size, &count, why, sizeof(why)) == USTAR_OK &&
                  count == (uint32_t)(argc - 2),
              "programs.tar: %u entries for %d programs %s", count, argc - 2, why);
    for (int i = 2; i < argc; i++) {
        size_t program_size;
        unsigned char *program = read_file(argv[i], &program_size);
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        struct ustar_entry e;
        int found = ustar_find(tar, size, name, &e, why, sizeof(why)) == USTAR_OK;
        TAP_CHECK(program && found && e.size == program_size &&
                      memcmp(e.data, program, program_size) == 0 && e.mode == 0755,
                  "programs.tar holds %s, byte for byte (%zu bytes)", name, program_size);
        free(program);
    }
    free(tar);
}

int main(int argc, char **argv)
{
    test_valid();
    test_gnu_magic();
    test_broken();
    test_sticky_and_quiet();
    if (argc > 1)
        test_programs_tar(argc, argv);
    return tap_done();
}
