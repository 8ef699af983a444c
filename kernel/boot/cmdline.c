#include "cmdline.h"

#include "fmt.h"

struct token {
    const char *text;
    size_t len;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool token_equals(struct token t, const char *word)
{
    size_t i = 0;
    for (; i < t.len; i++) {
        if (word[i] != t.text[i])
            return false;
    }
    return word[i] == '\0';
}

static const char *const crash_names[] = {
    [KERNEL_CRASH_NONE] = "none", [KERNEL_CRASH_UD] = "ud",   [KERNEL_CRASH_GP] = "gp",
    [KERNEL_CRASH_DE] = "de",     [KERNEL_CRASH_IDT] = "idt", [KERNEL_CRASH_BP] = "bp",
    [KERNEL_CRASH_DF] = "df",
};
#define CRASH_COUNT (sizeof(crash_names) / sizeof(crash_names[0]))

static void note_problem(struct cmdline_options *options, const char *what, struct token t)
{
    if (options->problem_count < CMDLINE_MAX_PROBLEMS)
        pg_snprintf(options->problems[options->problem_count], CMDLINE_PROBLEM_LEN,
                    "%s '%.*s' ignored", what, (int)t.len, t.text);
    options->problem_count++;
}

static void apply_token(struct cmdline_options *options, struct token t)
{
    size_t eq = 0;
    while (eq < t.len && t.text[eq] != '=')
        eq++;
    struct token key = {t.text, eq};
    struct token value = {t.text + eq + 1, eq < t.len ? t.len - eq - 1 : 0};
    if (eq == t.len) {
        note_problem(options, "unknown word", t);
    } else if (token_equals(key, "mode")) {
        if (token_equals(value, "test"))
            options->mode = KERNEL_MODE_TEST;
        else if (token_equals(value, "boot"))
            options->mode = KERNEL_MODE_BOOT;
        else
            note_problem(options, "mode must be boot or test:", t);
    } else if (token_equals(key, "crash")) {
        unsigned i = 0;
        while (i < CRASH_COUNT && !token_equals(value, crash_names[i]))
            i++;
        if (i < CRASH_COUNT)
            options->crash = (enum kernel_crash)i;
        else
            note_problem(options, "crash must be none, ud, gp, de, idt, bp or df:", t);
    } else {
        note_problem(options, "unknown option", t);
    }
}

void cmdline_parse(const char *text, struct cmdline_options *options)
{
    *options = (struct cmdline_options){.mode = KERNEL_MODE_BOOT, .crash = KERNEL_CRASH_NONE};
    if (!text)
        return;
    while (*text) {
        while (is_space(*text))
            text++;
        struct token t = {text, 0};
        while (text[t.len] && !is_space(text[t.len]))
            t.len++;
        if (t.len)
            apply_token(options, t);
        text += t.len;
    }
}

const char *cmdline_mode_name(enum kernel_mode mode)
{
    return mode == KERNEL_MODE_TEST ? "test" : "boot";
}

const char *cmdline_crash_name(enum kernel_crash crash)
{
    return (unsigned)crash < CRASH_COUNT ? crash_names[crash] : "?";
}
