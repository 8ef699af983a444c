#include "convert.h"

#include <limits.h>
#include <stddef.h>

static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/*
 * The shared part: the magnitude as unsigned long, saturated at limit (reported through
 * *overflow), the sign, and where the digits end.
 */
static unsigned long parse_magnitude(const char *s, char **end, int base, int *negative,
                                     int *overflow)
{
    const char *p = s;
    *negative = 0;
    *overflow = 0;
    if (end)
        *end = (char *)s;
    if (base < 0 || base == 1 || base > 36)
        return 0;
    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        *negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long value = 0;
    const char *digits = p;
    for (; digit_value(*p) < base; p++) {
        unsigned long d = (unsigned long)digit_value(*p);
        if (value > (ULONG_MAX - d) / (unsigned long)base)
            *overflow = 1;
        else
            value = value * (unsigned long)base + d;
    }
    if (p != digits && end)
        *end = (char *)p;
    return *overflow ? ULONG_MAX : value;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long value = parse_magnitude(s, end, base, &negative, &overflow);
    if (overflow)
        return ULONG_MAX;
    return negative ? 0ul - value : value;
}

long strtol(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long value = parse_magnitude(s, end, base, &negative, &overflow);
    if (negative) {
        if (overflow || value > (unsigned long)LONG_MAX + 1u)
            return LONG_MIN;
        return value == (unsigned long)LONG_MAX + 1u ? LONG_MIN : -(long)value;
    }
    if (overflow || value > (unsigned long)LONG_MAX)
        return LONG_MAX;
    return (long)value;
}

int atoi(const char *s)
{
    long value = strtol(s, NULL, 10);
    if (value > INT_MAX)
        return INT_MAX;
    if (value < INT_MIN)
        return INT_MIN;
    return (int)value;
}
