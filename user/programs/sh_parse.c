#include "sh_parse.h"

#include <stddef.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

const char *sh_parse_line(char *line, struct sh_command *cmd)
{
    cmd->count = 0;
    cmd->background = false;
    cmd->word[0] = NULL;
    char *in = line, *out = line;
    for (;;) {
        while (is_blank(*in))
            in++;
        if (!*in || *in == '\n')
            break;
        if (cmd->background)
            return "\"&\" must come last";
        char *word = out;
        bool quoted = false, quotes = false, ampersand_last = false;
        for (; *in && *in != '\n' && (quoted || !is_blank(*in)); in++) {
            if (*in == '"') {
                quoted = !quoted;
                quotes = true;
                continue;
            }
            ampersand_last = *in == '&' && !quoted; /* a quoted "&" is text */
            *out++ = *in;
        }
        if (quoted)
            return "a quote (\") is not closed";
        if (is_blank(*in))
            in++; /* the blank that ended the word: the word's NUL goes at or before it */
        if (ampersand_last) {
            out--;
            cmd->background = true;
        }
        bool empty = out == word && !quotes; /* the word was a lone "&" */
        *out++ = '\0';
        if (empty)
            continue;
        if (cmd->count == SH_MAX_WORDS)
            return "too many words";
        cmd->word[cmd->count++] = word;
        cmd->word[cmd->count] = NULL;
    }
    if (cmd->background && cmd->count == 0)
        return "\"&\" needs a command before it";
    return NULL;
}

static int digit(char c, unsigned base)
{
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 99u;
    return d < base ? (int)d : -1;
}

enum sh_number sh_parse_number(const char *text, uint32_t max, uint32_t *out)
{
    unsigned base = 10;
    const char *p = text;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return SH_NUMBER_BAD;
    uint64_t value = 0;
    bool too_big = false;
    for (; *p; p++) {
        int d = digit(*p, base);
        if (d < 0)
            return SH_NUMBER_BAD;
        value = value * base + (unsigned)d;
        if (value > max) {
            too_big = true;
            value = (uint64_t)max + 1; /* stays small: the rest is still checked for digits */
        }
    }
    if (too_big)
        return SH_NUMBER_RANGE;
    *out = (uint32_t)value;
    return SH_NUMBER_OK;
}
