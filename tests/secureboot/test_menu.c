/*
 * The boot menu's model (loader/menu_model.c) and the pagoda.cfg keys that feed it
 * (loader/config.c): key handling, the remembered-default encoding, command-line words and the
 * new configuration lines, good and bad.
 */
#include "config.h"
#include "menu_model.h"
#include "tap.h"

#include <string.h>

static void check_keys(void)
{
    struct menu_choice c = {MENU_ACTION_BOOT, MENU_PAGING_AUTO};

    TAP_CHECK(menu_press(&c, MENU_KEY_DOWN) == MENU_EVENT_REDRAW && c.action == MENU_ACTION_TEST,
              "Down moves from boot to test");
    for (unsigned i = 1; i < MENU_ACTION_COUNT; i++)
        menu_press(&c, MENU_KEY_DOWN);
    TAP_CHECK(c.action == MENU_ACTION_BOOT, "Down wraps from the last entry to the first");
    menu_press(&c, MENU_KEY_UP);
    TAP_CHECK(c.action == MENU_ACTION_ISOLATION, "Up wraps from the first entry to the last");
    menu_press(&c, MENU_KEY_RIGHT);
    TAP_CHECK(c.paging == MENU_PAGING_2LEVEL && c.action == MENU_ACTION_ISOLATION,
              "Right changes only the paging mode (auto -> 2level)");
    menu_press(&c, MENU_KEY_RIGHT);
    menu_press(&c, MENU_KEY_RIGHT);
    TAP_CHECK(c.paging == MENU_PAGING_AUTO, "Right wraps pae -> auto");
    menu_press(&c, MENU_KEY_LEFT);
    TAP_CHECK(c.paging == MENU_PAGING_PAE, "Left wraps auto -> pae");
    struct menu_choice before = c;
    TAP_CHECK(menu_press(&c, MENU_KEY_OTHER) == MENU_EVENT_REDRAW &&
                  memcmp(&before, &c, sizeof(c)) == 0,
              "another key changes nothing");
    TAP_CHECK(menu_press(&c, MENU_KEY_ENTER) == MENU_EVENT_CHOSEN &&
                  memcmp(&before, &c, sizeof(c)) == 0,
              "Enter chooses the marked entry as it is");
}

static void check_remembered(void)
{
    uint8_t data[MENU_REMEMBERED_SIZE];
    struct menu_choice in = {MENU_ACTION_COMPARE, MENU_PAGING_PAE}, out = {0, 0};

    menu_choice_encode(in, data);
    TAP_CHECK(menu_choice_decode(data, sizeof(data), &out) && out.action == in.action &&
                  out.paging == in.paging,
              "remembered choice round-trips through its two bytes");
    uint8_t bad_action[] = {MENU_ACTION_COUNT, 0}, bad_paging[] = {0, MENU_PAGING_COUNT};
    out = (struct menu_choice){MENU_ACTION_TEST, MENU_PAGING_2LEVEL};
    TAP_CHECK(!menu_choice_decode(bad_action, 2, &out) &&
                  !menu_choice_decode(bad_paging, 2, &out) && !menu_choice_decode(data, 1, &out) &&
                  !menu_choice_decode(data, 3, &out) && out.action == MENU_ACTION_TEST &&
                  out.paging == MENU_PAGING_2LEVEL,
              "out-of-range or wrongly sized variables are rejected and change nothing");
}

static void check_cmdline(void)
{
    char line[32] = "";
    struct menu_choice c = {MENU_ACTION_TEST, MENU_PAGING_PAE};

    TAP_CHECK(menu_cmdline_append(line, sizeof(line), c, 1, 1) &&
                  strcmp(line, "mode=test paging=pae") == 0,
              "empty command line gets 'mode=test paging=pae' (got '%s')", line);
    strcpy(line, "crash=ud");
    TAP_CHECK(menu_cmdline_append(line, sizeof(line), c, 0, 1) &&
                  strcmp(line, "crash=ud paging=pae") == 0,
              "paging alone is appended after a space (got '%s')", line);
    strcpy(line, "x");
    TAP_CHECK(menu_cmdline_append(line, sizeof(line), c, 0, 0) && strcmp(line, "x") == 0,
              "nothing asked, nothing appended");
    char small[20] = "0123456789";
    TAP_CHECK(!menu_cmdline_append(small, sizeof(small), c, 1, 1) &&
                  strcmp(small, "0123456789") == 0,
              "a result that does not fit is refused and the line is unchanged");
    char exact[sizeof("ab mode=boot")] = "ab";
    c.action = MENU_ACTION_BOOT;
    TAP_CHECK(menu_cmdline_append(exact, sizeof(exact), c, 1, 0) &&
                  strcmp(exact, "ab mode=boot") == 0,
              "a result that exactly fits (with its NUL) is accepted");

    /* init= takes the rest of the line, so it stays last; isolation names its own. */
    char with_init[64] = "crash=ud init=hello a b";
    c = (struct menu_choice){MENU_ACTION_TEST, MENU_PAGING_2LEVEL};
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 1, 1) &&
                  strcmp(with_init, "crash=ud mode=test paging=2level init=hello a b") == 0,
              "the words go in front of init= and its arguments (got '%s')", with_init);
    strcpy(with_init, "init=hello");
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 0, 1) &&
                  strcmp(with_init, "paging=2level init=hello") == 0,
              "a line that is only init= gets the words in front, one space between (got '%s')",
              with_init);
    strcpy(with_init, "x init=hello");
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 0, 0) &&
                  strcmp(with_init, "x init=hello") == 0,
              "nothing asked: a line with init= is unchanged (got '%s')", with_init);
    c.action = MENU_ACTION_ISOLATION;
    strcpy(with_init, "crash=ud init=hello a");
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 1, 1) &&
                  strcmp(with_init, "crash=ud mode=boot paging=2level init=isolation") == 0,
              "the isolation choice is mode=boot init=isolation, replacing an init= (got '%s')",
              with_init);
    strcpy(with_init, "");
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 1, 0) &&
                  strcmp(with_init, "mode=boot init=isolation") == 0,
              "the isolation choice on an empty line (got '%s')", with_init);
    strcpy(with_init, "quiet");
    TAP_CHECK(menu_cmdline_append(with_init, sizeof(with_init), c, 0, 1) &&
                  strcmp(with_init, "quiet paging=2level") == 0,
              "without mode, the isolation choice adds no init= (got '%s')", with_init);
}

struct report_log {
    unsigned count;
    unsigned last_line;
    char last[128];
};

static void record(void *ctx, unsigned line, const char *what)
{
    struct report_log *log = ctx;
    log->count++;
    log->last_line = line;
    strncpy(log->last, what, sizeof(log->last) - 1);
}

static void check_config(void)
{
    struct loader_config config;
    struct report_log log = {0};
    const char good[] = "menu_timeout = 5\ndefault = compare\npaging = 2level\n";

    config_defaults(&config);
    TAP_CHECK(config.menu_timeout == 0 && !config.has_default_action && !config.has_paging,
              "defaults: no menu, no default, no paging word");
    TAP_CHECK(config_parse(good, strlen(good), &config, record, &log) == 0 &&
                  config.menu_timeout == 5 && config.has_default_action &&
                  config.default_action == MENU_ACTION_COMPARE && config.has_paging &&
                  config.paging == MENU_PAGING_2LEVEL,
              "menu_timeout, default and paging lines are applied");
    const char bad[] = "menu_timeout = 601\nmenu_timeout = -1\nmenu_timeout = 99999999999\n"
                       "menu_timeout =\ndefault = reboot\npaging = 3level\n";
    memset(&log, 0, sizeof(log));
    TAP_CHECK(config_parse(bad, strlen(bad), &config, record, &log) == 6 && log.count == 6 &&
                  config.menu_timeout == 5 && config.default_action == MENU_ACTION_COMPARE &&
                  config.paging == MENU_PAGING_2LEVEL,
              "six bad values are reported and leave the settings alone (%u reports)", log.count);
    TAP_CHECK(log.last_line == 6 && strstr(log.last, "paging must be auto, 2level or pae"),
              "the report names the line and the allowed values (line %u: %s)", log.last_line,
              log.last);
    const char edge[] = "menu_timeout = 600\n";
    TAP_CHECK(config_parse(edge, strlen(edge), &config, NULL, NULL) == 0 &&
                  config.menu_timeout == 600,
              "menu_timeout = 600 (the maximum) is accepted");
}

int main(void)
{
    check_keys();
    check_remembered();
    check_cmdline();
    check_config();
    return tap_done();
}
