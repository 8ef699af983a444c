/*
 * The string functions of the user library beyond the ones lib/pg_string.h shares with the
 * kernel (memcpy, memmove, memset, memcmp, strlen, strcmp, strncmp): the C standard's meaning,
 * no locale.
 */
#ifndef PAGODA_USER_USTRING_H
#define PAGODA_USER_USTRING_H

#include <stddef.h>

void *memchr(const void *s, int c, size_t n);
size_t strnlen(const char *s, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
char *strncat(char *restrict dst, const char *restrict src, size_t n);
/* Copies at most size-1 bytes and always terminates (size > 0); returns strlen(src), so a
 * result >= size means the copy was cut short. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
