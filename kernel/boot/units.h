/* Human-readable sizes for logs. Pure code. */
#ifndef PAGODA_UNITS_H
#define PAGODA_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "4 KiB", "1.5 MiB", "3.9 GiB", "16.0 TiB": one decimal above KiB, truncated. */
const char *units_format_size(uint64_t bytes, char *buf, size_t size);

#endif
