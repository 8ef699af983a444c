/*
 * The loader's log (include/pagoda/boot_info.h): the lines the loader printed but, to stay fast,
 * did not show. The boot log (bootlog.h) keeps a copy before the memory takeover gives the
 * loader's pages to the frame pool, and prints it first.
 */
#ifndef PAGODA_BOOT_LOADER_LOG_H
#define PAGODA_BOOT_LOADER_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "pagoda/boot_info.h"
#include "pagoda/page.h"

#define LOADER_LOG_BYTES (PAGODA_LOADER_LOG_PAGES * PAGODA_PAGE_SIZE)

/* What loader_log_read found. */
struct loader_log_view {
    const char *text; /* NULL when there is no usable log (why says what was wrong) */
    uint32_t size;
    uint32_t dropped;
    const char *why;
};

/*
 * Checks the PAGODA_RANGE_LOADER_LOG range and its block and copies its text into COPY (capacity
 * bytes): the block lies wholly inside its range, has the magic, and its size fits both. Pure
 * apart from phys_to_ptr, a page at a time (the window maps one): host-testable.
 */
struct loader_log_view loader_log_read(const struct pagoda_boot_info *info, char *copy,
                                       size_t capacity);

#endif
