/*
 * Minimal TAP producer for host unit tests (meson test protocol: 'tap').
 * TAP_CHECK records one numbered test point; tap_done prints the plan and returns the exit code.
 */
#ifndef PAGODA_TAP_H
#define PAGODA_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int pass, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!pass)
        tap_failed++;
    fflush(stdout);
    return pass;
}

/* A diagnostic line: shown by meson test on failure. An expression, so TAP_CHECK can use it. */
#define tap_diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

#define TAP_CHECK(cond, ...)                                                                       \
    (tap_ok((cond), __VA_ARGS__)                                                                   \
         ? 1                                                                                       \
         : (tap_diag("  failed: %s at %s:%d", #cond, __FILE__, __LINE__), 0))

static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
