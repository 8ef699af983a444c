/*
 * pagoda.cfg (loader/config.c): the protocol key, module lines, and the byte-order marks an
 * editor may put in front of the first line. Every case parses a whole file as the loader does
 * and checks both what was applied and which lines were reported.
 */
#include "config.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

struct report_log {
    unsigned count;
    unsigned lines[8];
    char last[160];
};

static void record(void *ctx, unsigned line, const char *what)
{
    struct report_log *log = ctx;
    if (log->count < sizeof(log->lines) / sizeof(log->lines[0]))
        log->lines[log->count] = line;
    log->count++;
    strncpy(log->last, what, sizeof(log->last) - 1);
}

static unsigned parse(const char *text, size_t size, struct loader_config *config,
                      struct report_log *log)
{
    memset(log, 0, sizeof(*log));
    config_defaults(config);
    return config_parse(text, size, config, record, log);
}

static void check_byte_order_marks(void)
{
    struct loader_config config;
    struct report_log log;
    static const char with_bom[] = "\xef\xbb\xbf"
                                   "cmdline = mode=test\r\nkernel = other.elf\r\n";

    TAP_CHECK(parse(with_bom, sizeof(with_bom) - 1, &config, &log) == 0 && log.count == 0,
              "UTF-8 byte-order mark: no line reported");
    TAP_CHECK(strcmp(config.cmdline, "mode=test") == 0,
              "UTF-8 byte-order mark: the first line (cmdline) is applied, not lost");
    TAP_CHECK(strcmp(config.kernel, "other.elf") == 0, "UTF-8 byte-order mark: CRLF lines read");

    static const char bom_only[] = "\xef\xbb\xbf";
    TAP_CHECK(parse(bom_only, 3, &config, &log) == 0 && log.count == 0 &&
                  strcmp(config.kernel, CONFIG_DEFAULT_KERNEL) == 0,
              "a file holding only the mark is an empty configuration");

    static const char bom_comment[] = "\xef\xbb\xbf# comment\nprotocol = pagoda\n";
    TAP_CHECK(parse(bom_comment, sizeof(bom_comment) - 1, &config, &log) == 0 &&
                  config.protocol == CONFIG_PROTOCOL_PAGODA,
              "mark before a comment line: the comment is still a comment");

    static const char bom_late[] = "cmdline = a\n\xef\xbb\xbf"
                                   "kernel = b.elf\n";
    TAP_CHECK(parse(bom_late, sizeof(bom_late) - 1, &config, &log) == 1 && log.lines[0] == 2 &&
                  strcmp(config.kernel, CONFIG_DEFAULT_KERNEL) == 0,
              "a mark in the middle of the file is not skipped (line 2 reported: %s)", log.last);

    static const char partial[] = "\xef\xbb"
                                  "cmdline = x\n";
    TAP_CHECK(parse(partial, sizeof(partial) - 1, &config, &log) == 1 && log.lines[0] == 1 &&
                  config.cmdline[0] == '\0',
              "two bytes of a mark are not a mark: line 1 reported (%s)", log.last);

    static const char utf16le[] = "\xff\xfe"
                                  "c\0m\0d\0";
    TAP_CHECK(parse(utf16le, sizeof(utf16le) - 1, &config, &log) == 1 && log.count == 1 &&
                  strstr(log.last, "UTF-16") != NULL,
              "UTF-16 little-endian file: one message naming UTF-16 (%s)", log.last);
    static const char utf16be[] = "\xfe\xff\0c\0m";
    TAP_CHECK(parse(utf16be, sizeof(utf16be) - 1, &config, &log) == 1 &&
                  strstr(log.last, "UTF-16") != NULL,
              "UTF-16 big-endian file: one message");
}

static void check_protocol(void)
{
    struct loader_config config;
    struct report_log log;
    static const struct {
        const char *text;
        enum config_protocol want;
    } good[] = {
        {"protocol = auto\n", CONFIG_PROTOCOL_AUTO},
        {"protocol = pagoda\n", CONFIG_PROTOCOL_PAGODA},
        {"protocol=multiboot1\n", CONFIG_PROTOCOL_MULTIBOOT1},
        {"  protocol =  multiboot2  \n", CONFIG_PROTOCOL_MULTIBOOT2},
    };

    config_defaults(&config);
    TAP_CHECK(config.protocol == CONFIG_PROTOCOL_AUTO, "default protocol is auto");
    for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        TAP_CHECK(parse(good[i].text, strlen(good[i].text), &config, &log) == 0 &&
                      config.protocol == good[i].want,
                  "protocol line '%.*s' -> %s", (int)strlen(good[i].text) - 1, good[i].text,
                  config_protocol_name(good[i].want));
    static const char bad[] = "protocol = multiboot2\nprotocol = multiboot3\n";
    TAP_CHECK(parse(bad, strlen(bad), &config, &log) == 1 && log.lines[0] == 2 &&
                  config.protocol == CONFIG_PROTOCOL_MULTIBOOT2 &&
                  strcmp(log.last, "protocol must be auto, pagoda, multiboot1 or multiboot2, "
                                   "not 'multiboot3'") == 0,
              "unknown protocol: reported (%s), the earlier value kept", log.last);
    /* The message quotes the value with %.*s: it must not read past the file's last byte. */
    static const char last[] = "protocol = bad";
    char *exact = malloc(sizeof(last) - 1);
    memcpy(exact, last, sizeof(last) - 1);
    TAP_CHECK(parse(exact, sizeof(last) - 1, &config, &log) == 1 &&
                  strcmp(log.last, "protocol must be auto, pagoda, multiboot1 or multiboot2, "
                                   "not 'bad'") == 0,
              "bad value on the last line, no newline, no NUL after it: quoted exactly (%s)",
              log.last);
    free(exact);
    TAP_CHECK(strcmp(config_protocol_name(CONFIG_PROTOCOL_MULTIBOOT1), "multiboot1") == 0 &&
                  strcmp(config_protocol_name((enum config_protocol)9), "?") == 0,
              "protocol names, and ? out of range");
}

static void check_modules(void)
{
    struct loader_config config;
    struct report_log log;
    static const char two[] = "module = programs.tar\n"
                              "module =\tinitrd.img  root=/dev/ram0  quiet \n";

    config_defaults(&config);
    TAP_CHECK(config.module_count == 0, "no module line: no module");
    TAP_CHECK(parse(two, strlen(two), &config, &log) == 0 && config.module_count == 2,
              "two module lines: two modules");
    TAP_CHECK(strcmp(config.modules[0].name, "programs.tar") == 0 &&
                  config.modules[0].string[0] == '\0',
              "module without a string: name kept, string empty");
    TAP_CHECK(strcmp(config.modules[1].name, "initrd.img") == 0 &&
                  strcmp(config.modules[1].string, "root=/dev/ram0  quiet") == 0,
              "module with a string: first word is the file, the rest (trimmed) the string");

    char many[64 * 20] = "";
    for (unsigned i = 0; i < PAGODA_MAX_MODULES + 2; i++) {
        char line[32];
        snprintf(line, sizeof(line), "module = m%u.bin\n", i);
        strcat(many, line);
    }
    TAP_CHECK(parse(many, strlen(many), &config, &log) == 2 &&
                  config.module_count == PAGODA_MAX_MODULES &&
                  log.lines[0] == PAGODA_MAX_MODULES + 1 && log.lines[1] == PAGODA_MAX_MODULES + 2,
              "%u module lines: the first %u kept, lines %u and %u reported (%s)",
              PAGODA_MAX_MODULES + 2, PAGODA_MAX_MODULES, PAGODA_MAX_MODULES + 1,
              PAGODA_MAX_MODULES + 2, log.last);
    TAP_CHECK(strcmp(config.modules[PAGODA_MAX_MODULES - 1].name, "m15.bin") == 0,
              "the last kept module is m15.bin");

    static const char empty[] = "module =\nmodule =   \n";
    TAP_CHECK(parse(empty, strlen(empty), &config, &log) == 2 && config.module_count == 0 &&
                  strcmp(log.last, "module file needs a value") == 0,
              "module without a file name: reported (%s)", log.last);

    char long_name[160] = "module = ";
    memset(long_name + strlen(long_name), 'a', PAGODA_MODULE_NAME_LEN);
    TAP_CHECK(parse(long_name, strlen(long_name), &config, &log) == 1 && config.module_count == 0,
              "file name of %u characters: reported (%s)", PAGODA_MODULE_NAME_LEN, log.last);

    char long_string[300] = "module = a.bin ";
    memset(long_string + strlen(long_string), 's', PAGODA_MODULE_STRING_LEN);
    TAP_CHECK(parse(long_string, strlen(long_string), &config, &log) == 1 &&
                  config.module_count == 0,
              "string of %u characters: reported, no module added (%s)", PAGODA_MODULE_STRING_LEN,
              log.last);

    char fits[300] = "module = a.bin ";
    memset(fits + strlen(fits), 's', PAGODA_MODULE_STRING_LEN - 1);
    TAP_CHECK(parse(fits, strlen(fits), &config, &log) == 0 && config.module_count == 1 &&
                  strlen(config.modules[0].string) == PAGODA_MODULE_STRING_LEN - 1,
              "string of %u characters fits", PAGODA_MODULE_STRING_LEN - 1);

    static const char control[] = "module = a\x01.bin\n";
    TAP_CHECK(parse(control, strlen(control), &config, &log) == 1 && config.module_count == 0,
              "control character in the file name: reported (%s)", log.last);
}

int main(void)
{
    check_byte_order_marks();
    check_protocol();
    check_modules();
    return tap_done();
}
