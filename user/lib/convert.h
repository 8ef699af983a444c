/*
 * Text to numbers, as the C standard defines them: leading white space, an optional sign, base 0
 * (a "0x" prefix means 16, a leading 0 means 8, else 10) or 2..36. A value out of range gives the
 * type's limit (there is no errno ERANGE); *end, when end is not NULL, points after the last
 * digit used, or at s when there was none.
 */
#ifndef PAGODA_USER_CONVERT_H
#define PAGODA_USER_CONVERT_H

long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int atoi(const char *s);

#endif
