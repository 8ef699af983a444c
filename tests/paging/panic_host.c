#include "panic_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "panic.h"

jmp_buf *panic_jump;
char panic_message[256];
unsigned panic_count;

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
    va_end(ap);
    panic_count++;
    if (panic_jump)
        longjmp(*panic_jump, 1);
    fprintf(stderr, "panic outside a test: %s\n", panic_message);
    abort();
}
