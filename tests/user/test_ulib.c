/*
 * The user library's string, number and random functions (user/lib/ustring.c, convert.c, prng.c)
 * on the host under ASan/UBSan. They carry the C library's names, so this build renames them
 * (ulib_strchr, ... : -D flags from tests/user/meson.build) and the calls below reach them, not
 * the host's own.
 */
#include <limits.h>
#include <stdint.h>

#include "convert.h"
#include "pg_string.h"
#include "prng.h"
#include "tap.h"
#include "ustring.h"

static void test_search(void)
{
    static const char s[] = "hello, world";
    TAP_CHECK(memchr(s, 'o', sizeof(s)) == s + 4 && memchr(s, 'z', sizeof(s)) == NULL &&
                  memchr(s, 'h', 0) == NULL && memchr(s, '\0', sizeof(s)) == s + 12,
              "memchr finds the first byte, within n only");
    static const unsigned char high[] = {1, 0x80, 2};
    TAP_CHECK(memchr(high, 0x180, 3) == high + 1, "memchr compares as unsigned char");
    TAP_CHECK(strnlen(s, 100) == 12 && strnlen(s, 5) == 5 && strnlen("", 3) == 0, "strnlen");
    TAP_CHECK(strchr(s, 'o') == s + 4 && strchr(s, '\0') == s + 12 && strchr(s, 'z') == NULL &&
                  strchr(s, 0x100 + 'w') == s + 7,
              "strchr: first match, the terminator for '\\0', NULL when absent");
    TAP_CHECK(strrchr(s, 'o') == s + 8 && strrchr(s, '\0') == s + 12 && strrchr(s, 'z') == NULL,
              "strrchr: last match");
    TAP_CHECK(strstr(s, "") == s && strstr(s, "world") == s + 7 && strstr(s, "worlds") == NULL &&
                  strstr("aaab", "aab") == (const char *)"aaab" + 1 && strstr("", "a") == NULL &&
                  strstr("", "") != NULL,
              "strstr");
    TAP_CHECK(strspn(s, "leh") == 4 && strspn(s, "") == 0 && strcspn(s, ", ") == 5 &&
                  strcspn(s, "") == 12,
              "strspn, strcspn");
}

static void test_copy(void)
{
    char buf[16];
    TAP_CHECK(strcpy(buf, "abc") == buf && strcmp(buf, "abc") == 0, "strcpy");
    memset(buf, 'x', sizeof(buf));
    strncpy(buf, "ab", 5);
    TAP_CHECK(memcmp(buf, "ab\0\0\0x", 6) == 0, "strncpy pads with NUL up to n");
    memset(buf, 'x', sizeof(buf));
    strncpy(buf, "abcdef", 3);
    TAP_CHECK(memcmp(buf, "abcx", 4) == 0, "strncpy does not terminate a cut copy");
    strcpy(buf, "ab");
    TAP_CHECK(strcmp(strcat(buf, "cd"), "abcd") == 0, "strcat");
    TAP_CHECK(strcmp(strncat(buf, "efgh", 2), "abcdef") == 0 &&
                  strcmp(strncat(buf, "", 5), "abcdef") == 0,
              "strncat appends at most n and terminates");
    TAP_CHECK(strlcpy(buf, "hello", sizeof(buf)) == 5 && strcmp(buf, "hello") == 0,
              "strlcpy of a string that fits");
    TAP_CHECK(strlcpy(buf, "a long string", 5) == 13 && strcmp(buf, "a lo") == 0,
              "strlcpy cuts, terminates and returns the whole length");
    buf[0] = 'q';
    TAP_CHECK(strlcpy(buf, "abc", 0) == 3 && buf[0] == 'q', "strlcpy with size 0 writes nothing");
}

static void test_numbers(void)
{
    char *end;
    const char *s;
    TAP_CHECK(strtoul(s = "42", &end, 10) == 42 && end == s + 2, "strtoul decimal");
    TAP_CHECK(strtoul(s = " \t+7x", &end, 10) == 7 && end == s + 4, "strtoul skips space, '+'");
    TAP_CHECK(strtoul(s = "-1", &end, 10) == ULONG_MAX && end == s + 2,
              "strtoul negates in unsigned long, as C says");
    TAP_CHECK(strtoul("0x1F", NULL, 0) == 31 && strtoul("0X1f", NULL, 16) == 31 &&
                  strtoul("1f", NULL, 16) == 31,
              "strtoul hexadecimal, with and without 0x");
    TAP_CHECK(strtoul(s = "017", &end, 0) == 15 && end == s + 3, "strtoul base 0: leading 0 octal");
    TAP_CHECK(strtoul(s = "019", &end, 0) == 1 && end == s + 2, "strtoul octal stops at 9");
    TAP_CHECK(strtoul(s = "0x", &end, 16) == 0 && end == s + 1,
              "strtoul: \"0x\" without digits is the number 0, ending at the x");
    TAP_CHECK(strtoul("z", NULL, 36) == 35 && strtoul("Zz", NULL, 36) == 35 * 36 + 35,
              "strtoul base 36");
    TAP_CHECK(strtoul(s = "fffffffffffffffffffff", &end, 16) == ULONG_MAX && end == s + 21,
              "strtoul saturates on overflow and consumes every digit");
    TAP_CHECK(strtoul(s = "   ", &end, 10) == 0 && end == s, "strtoul without digits: end is s");
    TAP_CHECK(strtoul(s = "12", &end, 1) == 0 && end == s && strtoul("12", NULL, 37) == 0,
              "strtoul rejects base 1 and base 37");
    char text[32];
    snprintf(text, sizeof(text), "%ld", LONG_MAX);
    TAP_CHECK(strtol(text, NULL, 10) == LONG_MAX, "strtol of LONG_MAX");
    snprintf(text, sizeof(text), "%lu", (unsigned long)LONG_MAX + 1);
    TAP_CHECK(strtol(text, NULL, 10) == LONG_MAX, "strtol saturates at LONG_MAX");
    snprintf(text, sizeof(text), "-%lu", (unsigned long)LONG_MAX + 1);
    TAP_CHECK(strtol(text, NULL, 10) == LONG_MIN, "strtol of LONG_MIN");
    snprintf(text, sizeof(text), "-%lu", (unsigned long)LONG_MAX + 2);
    TAP_CHECK(strtol(text, NULL, 10) == LONG_MIN, "strtol saturates at LONG_MIN");
    TAP_CHECK(strtol("-0x10", NULL, 0) == -16 && strtol("-8", NULL, 10) == -8, "strtol negative");
    TAP_CHECK(atoi("123abc") == 123 && atoi(" -45") == -45 && atoi("x") == 0 &&
                  atoi("99999999999999") == INT_MAX && atoi("-99999999999999") == INT_MIN,
              "atoi, clamped to int");
}

static void test_prng(void)
{
    /* pcg32-demo's first six outputs for seed 42, stream 54 (the PCG reference code). */
    static const uint32_t reference[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                         0x83d2f293, 0xbfa4784b, 0xcbed606e};
    struct prng rng;
    prng_seed(&rng, 42, 54);
    int same = 1;
    for (int i = 0; i < 6; i++)
        same &= prng_next(&rng) == reference[i];
    TAP_CHECK(same, "PCG32 matches the reference sequence for seed 42, stream 54");
    struct prng a, b;
    prng_seed(&a, 1, 0);
    prng_seed(&b, 1, 1);
    TAP_CHECK(prng_next(&a) != prng_next(&b), "two streams of one seed differ");
    unsigned counts[3] = {0, 0, 0};
    int in_range = 1;
    for (int i = 0; i < 30000; i++) {
        uint32_t r = prng_below(&rng, 3);
        in_range &= r < 3;
        if (r < 3)
            counts[r]++;
    }
    TAP_CHECK(in_range && counts[0] > 9500 && counts[1] > 9500 && counts[2] > 9500,
              "prng_below(3) is in range and even: %u %u %u", counts[0], counts[1], counts[2]);
    TAP_CHECK(prng_below(&rng, 0) == 0 && prng_below(&rng, 1) == 0, "prng_below of 0 and 1");
}

int main(void)
{
    test_search();
    test_copy();
    test_numbers();
    test_prng();
    return tap_done();
}
