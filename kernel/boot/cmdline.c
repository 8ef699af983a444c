#include "cmdline.h"

#include "fmt.h"
#include "pg_string.h"

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
    [KERNEL_CRASH_DF] = "df",     [KERNEL_CRASH_PF] = "pf",
};
#define CRASH_COUNT (sizeof(crash_names) / sizeof(crash_names[0]))

static const char *const paging_names[] = {
    [VM_PAGING_AUTO] = "auto",
    [VM_PAGING_2LEVEL] = "2level",
    [VM_PAGING_PAE] = "pae",
};
#define PAGING_COUNT (sizeof(paging_names) / sizeof(paging_names[0]))

static void note_problem(struct cmdline_options *options, const char *what, struct token t)
{
    if (options->problem_count < CMDLINE_MAX_PROBLEMS)
        pg_snprintf(options->problems[options->problem_count], CMDLINE_PROBLEM_LEN,
                    "%s '%.*s' ignored", what, (int)t.len, t.text);
    options->problem_count++;
}

static const struct {
    const char *name;
    uint32_t feature;
} cpuid_names[] = {
    {"pae", CPU_FEATURE_PAE},
    {"nx", CPU_FEATURE_NX},
    {"pge", CPU_FEATURE_PGE},
    {"pat", CPU_FEATURE_PAT},
};
#define CPUID_NAME_COUNT (sizeof(cpuid_names) / sizeof(cpuid_names[0]))

/* clearcpuid=pae,nx: every name must be known, else the whole token is ignored. */
static void apply_clearcpuid(struct cmdline_options *options, struct token t, struct token value)
{
    uint32_t mask = 0;
    size_t at = 0;
    while (at <= value.len) {
        size_t end = at;
        while (end < value.len && value.text[end] != ',')
            end++;
        struct token name = {value.text + at, end - at};
        unsigned i = 0;
        while (i < CPUID_NAME_COUNT && !token_equals(name, cpuid_names[i].name))
            i++;
        if (i == CPUID_NAME_COUNT) {
            note_problem(options, "clearcpuid takes pae, nx, pge, pat:", t);
            return;
        }
        mask |= cpuid_names[i].feature;
        at = end + 1;
    }
    options->clear_cpuid |= mask;
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
        else if (token_equals(value, "compare"))
            options->mode = KERNEL_MODE_COMPARE;
        else
            note_problem(options, "mode must be boot, test or compare:", t);
    } else if (token_equals(key, "compare")) {
        if (token_equals(value, "short") || token_equals(value, "full"))
            options->compare_short = token_equals(value, "short");
        else
            note_problem(options, "compare must be short or full:", t);
    } else if (token_equals(key, "memmap")) {
        if (token_equals(value, "full") || token_equals(value, "grouped"))
            options->memmap_full = token_equals(value, "full");
        else
            note_problem(options, "memmap must be grouped or full:", t);
    } else if (token_equals(key, "crash")) {
        unsigned i = 0;
        while (i < CRASH_COUNT && !token_equals(value, crash_names[i]))
            i++;
        if (i < CRASH_COUNT)
            options->crash = (enum kernel_crash)i;
        else
            note_problem(options, "crash must be none, ud, gp, de, idt, bp, df or pf:", t);
    } else if (token_equals(key, "paging")) {
        unsigned i = 0;
        while (i < PAGING_COUNT && !token_equals(value, paging_names[i]))
            i++;
        if (i < PAGING_COUNT)
            options->paging = (enum vm_paging_choice)i;
        else
            note_problem(options, "paging must be auto, 2level or pae:", t);
    } else if (token_equals(key, "clearcpuid")) {
        apply_clearcpuid(options, t, value);
    } else {
        note_problem(options, "unknown option", t);
    }
}

/* One word of init's: appended to init_line and listed in init_argv, if there is room. */
static void add_init_word(struct cmdline_options *options, struct token word, size_t *used)
{
    if (options->init_argc == CMDLINE_INIT_MAX_ARGS ||
        word.len + 1 > sizeof(options->init_line) - *used) {
        note_problem(options, "too many or too long init arguments, left out:", word);
        return;
    }
    char *copy = options->init_line + *used;
    memcpy(copy, word.text, word.len);
    copy[word.len] = '\0';
    options->init_argv[options->init_argc++] = copy;
    *used += word.len + 1;
}

static struct token next_word(const char **text)
{
    while (is_space(**text))
        (*text)++;
    struct token t = {*text, 0};
    while (t.text[t.len] && !is_space(t.text[t.len]))
        t.len++;
    *text += t.len;
    return t;
}

void cmdline_parse(const char *text, struct cmdline_options *options)
{
    *options = (struct cmdline_options){
        .mode = KERNEL_MODE_BOOT, .crash = KERNEL_CRASH_NONE, .paging = VM_PAGING_AUTO};
    if (!text)
        return;
    size_t init_used = 0;
    for (struct token t = next_word(&text); t.len; t = next_word(&text)) {
        if (options->init_argc) {
            add_init_word(options, t, &init_used);
        } else if (t.len > 5 && !memcmp(t.text, "init=", 5)) {
            add_init_word(options, (struct token){t.text + 5, t.len - 5}, &init_used);
        } else {
            apply_token(options, t);
        }
    }
}

const char *cmdline_mode_name(enum kernel_mode mode)
{
    return mode == KERNEL_MODE_TEST ? "test" : mode == KERNEL_MODE_COMPARE ? "compare" : "boot";
}

const char *cmdline_crash_name(enum kernel_crash crash)
{
    return (unsigned)crash < CRASH_COUNT ? crash_names[crash] : "?";
}

const char *cmdline_paging_name(enum vm_paging_choice paging)
{
    return (unsigned)paging < PAGING_COUNT ? paging_names[paging] : "?";
}
