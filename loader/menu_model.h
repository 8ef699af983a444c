/*
 * The boot menu's choices and key handling, without any UEFI: what to run (boot, self-tests,
 * paging comparison) and which paging mode, how keys move the selection, how a choice becomes
 * command-line words and how it is stored in the "remembered default" variable. Pure C, so the
 * host tests in tests/secureboot/ can drive it key by key.
 */
#ifndef PAGODA_LOADER_MENU_MODEL_H
#define PAGODA_LOADER_MENU_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum menu_action {
    MENU_ACTION_BOOT,      /* mode=boot: boot log, then the first process */
    MENU_ACTION_TEST,      /* mode=test: self-tests, TAP on COM1, QEMU exit */
    MENU_ACTION_COMPARE,   /* mode=compare: two-level vs PAE */
    MENU_ACTION_ISOLATION, /* mode=boot init=isolation: a buggy program dies, the rest runs on */
    MENU_ACTION_COUNT,
};

enum menu_paging {
    MENU_PAGING_AUTO,
    MENU_PAGING_2LEVEL,
    MENU_PAGING_PAE,
    MENU_PAGING_COUNT,
};

struct menu_choice {
    enum menu_action action;
    enum menu_paging paging;
};

enum menu_key {
    MENU_KEY_UP,
    MENU_KEY_DOWN,
    MENU_KEY_LEFT,
    MENU_KEY_RIGHT,
    MENU_KEY_ENTER,
    MENU_KEY_OTHER,
};

enum menu_event {
    MENU_EVENT_REDRAW, /* the selection or the paging mode may have changed */
    MENU_EVENT_CHOSEN, /* Enter on an entry: boot it */
};

#define MENU_TIMEOUT_MAX        600u /* seconds */
#define MENU_REMEMBERED_SIZE    2u   /* bytes of the NV variable: action, paging */
#define MENU_CMDLINE_WORDS_SIZE 48u  /* " mode=compare paging=2level init=isolation" fits */

/* "boot", "test", "compare", "isolation": for pagoda.cfg's default and the log. */
const char *menu_action_name(enum menu_action action);
const char *menu_action_title(enum menu_action action); /* what the menu shows */
const char *menu_paging_name(enum menu_paging paging);  /* "auto", "2level", "pae" */

/* Parse a config value (text[0..length), not NUL-terminated); return 1 if it names a choice. */
int menu_action_parse(const char *text, size_t length, enum menu_action *action);
int menu_paging_parse(const char *text, size_t length, enum menu_paging *paging);

/* Applies one key; Up/Down move between entries (wrapping), Left/Right cycle the paging mode. */
enum menu_event menu_press(struct menu_choice *choice, enum menu_key key);

/* The remembered default: two bytes; decode returns 0 for anything out of range. */
void menu_choice_encode(struct menu_choice choice, uint8_t out[MENU_REMEMBERED_SIZE]);
int menu_choice_decode(const uint8_t *data, size_t size, struct menu_choice *choice);

/*
 * Adds the choice to the NUL-terminated cmdline of the given capacity: " mode=M" (if with_mode;
 * for isolation also " init=isolation") and " paging=P" (if with_paging), without a leading space
 * when it was empty. The kernel takes every word after init= as init's arguments, so an init=
 * already on the line stays last: the words go in front of it, and the isolation choice replaces
 * it. Returns 0 and leaves cmdline unchanged when the result would not fit.
 */
int menu_cmdline_append(char *cmdline, size_t capacity, struct menu_choice choice, int with_mode,
                        int with_paging);

#endif
