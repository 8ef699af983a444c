/*
 * What the memory layer's audits (frames_audit, heap_audit) report: the first broken invariant,
 * as a message in the caller's buffer when it gave one.
 */
#ifndef PAGODA_MEM_AUDIT_H
#define PAGODA_MEM_AUDIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "fmt.h"

struct mem_audit {
    char *msg;
    size_t msg_size;
};

/* Writes the message and returns false, so a check reads "return mem_audit_fail(...)". */
__attribute__((format(printf, 2, 3))) static inline bool mem_audit_fail(struct mem_audit *a,
                                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (a->msg && a->msg_size)
        pg_vsnprintf(a->msg, a->msg_size, fmt, ap);
    va_end(ap);
    return false;
}

#endif
