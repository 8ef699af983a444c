/*
 * The four functions a freestanding C compiler may call on its own (for struct copies and
 * zeroing), plus the few string helpers the loader and kernel share. Not built for the host,
 * where libc provides them.
 *
 * Every target is x86 (the i686 kernel and programs, the x64 and IA32 loaders), so the copies
 * and fills are the string instructions: one instruction for the whole range, which CPUs with
 * fast strings (ERMSB) run at cache speed and an emulator runs as one tight loop. Both ABIs
 * guarantee the direction flag clear on entry; the kernel's trap entry clears it too.
 */
#include "pg_string.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((const unsigned char *)dst <= (const unsigned char *)src ||
        (const unsigned char *)dst >= (const unsigned char *)src + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards, from the last byte down. */
    unsigned char *d = (unsigned char *)dst + n - 1;
    const unsigned char *s = (const unsigned char *)src + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x - *y;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}
