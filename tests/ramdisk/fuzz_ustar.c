/*
 * libFuzzer on the ramdisk reader: any bytes as an archive. Whatever the reader accepts must be
 * safe to use: every entry lies inside the input, starts on a block, has a NUL-terminated name in
 * its header; iteration, ustar_check and ustar_find agree with each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ustar.h"

#define MAX_ENTRIES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: ASan then catches any read past the end. */
    uint8_t *archive = malloc(size ? size : 1);
    if (!archive)
        return 0;
    memcpy(archive, data, size);

    struct ustar_reader r;
    struct ustar_entry e, entries[MAX_ENTRIES];
    char why[200] = "";
    uint32_t n = 0;
    enum ustar_error last;
    ustar_open(&r, archive, size);
    while ((last = ustar_next(&r, &e, why, sizeof(why))) == USTAR_OK) {
        if (e.header_offset % USTAR_BLOCK || e.header_offset + USTAR_BLOCK > size ||
            (const uint8_t *)e.name != archive + e.header_offset ||
            memchr(e.name, 0, 100) == NULL || e.data != archive + e.header_offset + USTAR_BLOCK ||
            e.size > size - (e.header_offset + USTAR_BLOCK) || e.index != n)
            abort();
        if (e.size)
            (void)(volatile uint8_t)e.data[e.size - 1];
        if (n < MAX_ENTRIES)
            entries[n] = e;
        n++;
    }
    if (last == USTAR_OK || last >= USTAR_ERROR_COUNT || !why[0])
        abort();

    uint32_t count = 0;
    enum ustar_error checked = ustar_check(archive, size, &count, why, sizeof(why));
    if (last == USTAR_END) {
        if (checked != USTAR_OK && checked != USTAR_DUPLICATE_NAME)
            abort();
        if (checked == USTAR_OK && count != n)
            abort();
    } else if (checked != last && checked != USTAR_DUPLICATE_NAME) {
        abort();
    }
    for (uint32_t i = 0; i < n && i < MAX_ENTRIES; i++) {
        struct ustar_entry found;
        if (ustar_find(archive, size, entries[i].name, &found, why, sizeof(why)) != USTAR_OK ||
            found.index > entries[i].index || strcmp(found.name, entries[i].name) != 0)
            abort();
        if (checked == USTAR_OK && found.index != entries[i].index)
            abort(); /* no duplicates: the first match is this entry */
    }
    free(archive);
    return 0;
}
