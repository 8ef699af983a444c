/*
 * A tiny TAP producer for in-kernel self-tests (mode=test): "1..N", "ok N - name",
 * "not ok N - name" followed by "# ..." diagnostics, "# SKIP reason" for tests that cannot run.
 * Output goes to every console; the QEMU harness reads COM1.
 */
#ifndef PAGODA_KTEST_H
#define PAGODA_KTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "pagoda/boot_info.h"

enum ktest_result {
    KTEST_PASS,
    KTEST_FAIL,
    KTEST_SKIP,
};

struct ktest_context {
    const struct pagoda_boot_info *info;
    char skip_reason[96];
};

struct ktest {
    const char *name;
    enum ktest_result (*run)(struct ktest_context *ctx);
};

/* A diagnostic line ("# ...") under the current test. */
__attribute__((format(printf, 1, 2))) void ktest_diag(const char *fmt, ...);
/* Record a failure with a diagnostic; returns KTEST_FAIL so tests can `return ktest_fail(...)`. */
__attribute__((format(printf, 1, 2))) enum ktest_result ktest_fail(const char *fmt, ...);
/* Mark the test skipped with a reason; returns KTEST_SKIP. */
__attribute__((format(printf, 2, 3))) enum ktest_result ktest_skip(struct ktest_context *ctx,
                                                                   const char *fmt, ...);

/* Print the plan, run every test in order, print one result line each. Returns failures. */
unsigned ktest_run(const struct ktest *tests, size_t count, struct ktest_context *ctx);

#endif
