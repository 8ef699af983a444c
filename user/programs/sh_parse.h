/*
 * The shell's command line, as plain text to words: pure code (no system call), so the host
 * tests run it under the sanitizers.
 *
 * Words are separated by spaces and tabs; double quotes keep spaces inside a word ("a b" is one
 * word, the quotes go). A final "&", alone or at the end of the last word, asks for the command
 * to run in the background. Numbers are decimal, or hexadecimal after 0x.
 */
#ifndef PAGODA_SH_PARSE_H
#define PAGODA_SH_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/syscall.h"

#define SH_MAX_WORDS PAGODA_MAX_ARGS

struct sh_command {
    char *word[SH_MAX_WORDS + 1]; /* word[count] is NULL: an argv */
    unsigned count;
    bool background;
};

/* Splits line in place (quotes removed, words NUL-terminated). NULL on success (count 0 for an
 * empty line), or what is wrong in words: an unfinished quote, too many words, an "&" that is
 * not at the end, an "&" with no command. */
const char *sh_parse_line(char *line, struct sh_command *cmd);

enum sh_number {
    SH_NUMBER_OK,
    SH_NUMBER_BAD,   /* not a number: empty, a sign, a letter, "0x" alone */
    SH_NUMBER_RANGE, /* a number above max */
};
/* text as a whole is a number in [0, max]: decimal, or hexadecimal with 0x or 0X. */
enum sh_number sh_parse_number(const char *text, uint32_t max, uint32_t *out);

#endif
