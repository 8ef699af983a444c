/* The shell's command-line parser (user/programs/sh_parse.c) on the host: words, quotes, the
 * background "&", every error, and numbers with their range. */
#include <stdio.h>
#include <string.h>

#include "sh_parse.h"
#include "tap.h"

/* Parses text; returns the error or "" and writes the words joined by '|' (and " &") to out. */
static const char *parse(const char *text, char *out, size_t size)
{
    static char line[512];
    struct sh_command c;
    snprintf(line, sizeof(line), "%s", text);
    const char *err = sh_parse_line(line, &c);
    out[0] = 0;
    if (err)
        return err;
    size_t used = 0;
    for (unsigned i = 0; i < c.count; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "|" : "", c.word[i]);
    if (c.background)
        snprintf(out + used, size - used, " &");
    if (c.word[c.count] != NULL)
        return "word[count] is not NULL";
    return "";
}

/* text with control characters as C escapes: a test's name is one TAP line. */
static const char *shown(const char *text)
{
    static char out[1024];
    size_t used = 0;
    for (; *text && used + 5 < sizeof(out); text++) {
        unsigned char c = (unsigned char)*text;
        used += (size_t)(c == '\n'   ? snprintf(out + used, sizeof(out) - used, "\\n")
                         : c == '\t' ? snprintf(out + used, sizeof(out) - used, "\\t")
                         : c < 0x20  ? snprintf(out + used, sizeof(out) - used, "\\x%02x", c)
                                     : snprintf(out + used, sizeof(out) - used, "%c", c));
    }
    out[used] = 0;
    return out;
}

static void words(const char *text, const char *want)
{
    char got[512];
    const char *err = parse(text, got, sizeof(got));
    TAP_CHECK(!*err && strcmp(got, want) == 0, "\"%s\" -> %s", shown(text), want) ||
        tap_diag("got error \"%s\", words \"%s\"", err, got);
}

static void refused(const char *text, const char *want_error)
{
    char got[512];
    const char *err = parse(text, got, sizeof(got));
    TAP_CHECK(*err && strstr(err, want_error), "\"%s\" refused: %s", shown(text), want_error) ||
        tap_diag("got error \"%s\", words \"%s\"", err, got);
}

static void number(const char *text, uint32_t max, enum sh_number want, uint32_t want_value)
{
    uint32_t value = 0xDEADBEEFu;
    enum sh_number got = sh_parse_number(text, max, &value);
    TAP_CHECK(got == want && (want != SH_NUMBER_OK || value == want_value),
              "number \"%s\" (max %u) -> %s %u", text, max,
              want == SH_NUMBER_OK    ? "ok"
              : want == SH_NUMBER_BAD ? "bad"
                                      : "out of range",
              want_value) ||
        tap_diag("got %d, value %u", got, value);
}

int main(void)
{
    words("", "");
    words("   \t ", "");
    words("\n", "");
    words("ps", "ps");
    words("ps\n", "ps");
    words("  walk   1\t0xc0000000  \n", "walk|1|0xc0000000");
    words("hello \"two words\" x", "hello|two words|x");
    words("hello a\"b c\"d", "hello|ab cd");
    words("hello \"\" x", "hello||x");
    words("sleep 100 &", "sleep|100 &");
    words("sleep 100&", "sleep|100 &");
    words("sleep 100 &  \n", "sleep|100 &");
    words("hello \"&\"", "hello|&");
    words("hello a&b", "hello|a&b");
    words("hello \"\"&", "hello| &");
    refused("hello \"open", "not closed");
    refused("sleep 1 & hello", "must come last");
    refused("sleep 1& hello", "must come last");
    refused("&", "needs a command");
    refused("  & ", "needs a command");
    char many[512] = "p";
    for (int i = 0; i < SH_MAX_WORDS; i++)
        strcat(many, " a");
    refused(many, "too many words");
    many[strlen(many) - 2] = 0;
    char got[512];
    TAP_CHECK(!*parse(many, got, sizeof(got)), "%d words are allowed", SH_MAX_WORDS);

    number("0", 10, SH_NUMBER_OK, 0);
    number("42", 100, SH_NUMBER_OK, 42);
    number("0x1F", 100, SH_NUMBER_OK, 31);
    number("0Xff", 255, SH_NUMBER_OK, 255);
    number("4294967295", 0xFFFFFFFFu, SH_NUMBER_OK, 0xFFFFFFFFu);
    number("0xffffffff", 0xFFFFFFFFu, SH_NUMBER_OK, 0xFFFFFFFFu);
    number("0x100000000", 0xFFFFFFFFu, SH_NUMBER_RANGE, 0);
    number("4294967296", 0xFFFFFFFFu, SH_NUMBER_RANGE, 0);
    number("99999999999999999999999", 0xFFFFFFFFu, SH_NUMBER_RANGE, 0);
    number("2147483648", 0x7FFFFFFFu, SH_NUMBER_RANGE, 0);
    number("256", 255, SH_NUMBER_RANGE, 0);
    number("", 10, SH_NUMBER_BAD, 0);
    number("0x", 10, SH_NUMBER_BAD, 0);
    number("-1", 10, SH_NUMBER_BAD, 0);
    number("+1", 10, SH_NUMBER_BAD, 0);
    number("12a", 1000, SH_NUMBER_BAD, 0);
    number("0x12g", 1000, SH_NUMBER_BAD, 0);
    number("99999999999999999999x", 10, SH_NUMBER_BAD, 0);
    number(" 1", 10, SH_NUMBER_BAD, 0);
    return tap_done();
}
