#include "ktest.h"

#include <stdarg.h>

#include "../console/console.h"
#include "fmt.h"

/* Diagnostics are held until the result line is out, so they follow it as TAP readers expect. */
static char diagnostics[2048];
static size_t diagnostics_len;

static void diag_append(const char *fmt, va_list ap)
{
    if (diagnostics_len + 3 >= sizeof(diagnostics))
        return;
    size_t room = sizeof(diagnostics) - diagnostics_len;
    int n = pg_snprintf(diagnostics + diagnostics_len, room, "# ");
    diagnostics_len += (size_t)n;
    room -= (size_t)n;
    n = pg_vsnprintf(diagnostics + diagnostics_len, room - 1, fmt, ap);
    diagnostics_len += (size_t)n < room - 1 ? (size_t)n : room - 2;
    diagnostics[diagnostics_len++] = '\n';
    diagnostics[diagnostics_len] = '\0';
}

void ktest_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_append(fmt, ap);
    va_end(ap);
}

enum ktest_result ktest_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_append(fmt, ap);
    va_end(ap);
    return KTEST_FAIL;
}

enum ktest_result ktest_skip(struct ktest_context *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pg_vsnprintf(ctx->skip_reason, sizeof(ctx->skip_reason), fmt, ap);
    va_end(ap);
    return KTEST_SKIP;
}

unsigned ktest_run(const struct ktest *tests, size_t count, struct ktest_context *ctx)
{
    unsigned failed = 0;
    kprintf("1..%u\n", (unsigned)count);
    for (size_t i = 0; i < count; i++) {
        ctx->skip_reason[0] = '\0';
        diagnostics[0] = '\0';
        diagnostics_len = 0;
        enum ktest_result result = tests[i].run(ctx);
        switch (result) {
        case KTEST_PASS:
            console_set_color(CONSOLE_GOOD);
            kprintf("ok %u - %s\n", (unsigned)i + 1, tests[i].name);
            break;
        case KTEST_SKIP:
            console_set_color(CONSOLE_WARN);
            kprintf("ok %u - %s # SKIP %s\n", (unsigned)i + 1, tests[i].name, ctx->skip_reason);
            break;
        case KTEST_FAIL:
        default:
            console_set_color(CONSOLE_BAD);
            kprintf("not ok %u - %s\n", (unsigned)i + 1, tests[i].name);
            failed++;
            break;
        }
        console_set_color(CONSOLE_NORMAL);
        kprintf("%s", diagnostics);
    }
    return failed;
}
