/*
 * A small freestanding printf for the loader, the kernel and the host tests.
 * Conversions: %s %c %d %i %u %x %X %p %%, with flags '-' '0', a width (or '*'),
 * a precision for %s (or '*'), and the length modifiers l and ll (and z).
 */
#ifndef PAGODA_FMT_H
#define PAGODA_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: writes at most size-1 chars plus NUL, returns the length it wanted. */
int pg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int pg_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Streams characters to a sink instead of a buffer (consoles). Returns chars emitted. */
typedef void (*pg_putc_fn)(void *ctx, char c);
int pg_vformat(pg_putc_fn putc, void *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
