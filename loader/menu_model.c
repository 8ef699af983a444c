#include "menu_model.h"

#include "fmt.h"

static const char *const menu_action_names[MENU_ACTION_COUNT] = {
    [MENU_ACTION_BOOT] = "boot",
    [MENU_ACTION_TEST] = "test",
    [MENU_ACTION_COMPARE] = "compare",
};

static const char *const menu_action_titles[MENU_ACTION_COUNT] = {
    [MENU_ACTION_BOOT] = "Boot Pagoda",
    [MENU_ACTION_TEST] = "Run the self-tests",
    [MENU_ACTION_COMPARE] = "Compare two-level and PAE paging",
};

static const char *const menu_paging_names[MENU_PAGING_COUNT] = {
    [MENU_PAGING_AUTO] = "auto",
    [MENU_PAGING_2LEVEL] = "2level",
    [MENU_PAGING_PAE] = "pae",
};

const char *menu_action_name(enum menu_action action)
{
    return (unsigned)action < MENU_ACTION_COUNT ? menu_action_names[action] : "?";
}

const char *menu_action_title(enum menu_action action)
{
    return (unsigned)action < MENU_ACTION_COUNT ? menu_action_titles[action] : "?";
}

const char *menu_paging_name(enum menu_paging paging)
{
    return (unsigned)paging < MENU_PAGING_COUNT ? menu_paging_names[paging] : "?";
}

/* Index of text[0..length) in names[0..count), or -1. */
static int menu_find(const char *const *names, unsigned count, const char *text, size_t length)
{
    for (unsigned i = 0; i < count; i++) {
        size_t j = 0;
        while (j < length && names[i][j] != '\0' && names[i][j] == text[j])
            j++;
        if (j == length && names[i][j] == '\0')
            return (int)i;
    }
    return -1;
}

int menu_action_parse(const char *text, size_t length, enum menu_action *action)
{
    int found = menu_find(menu_action_names, MENU_ACTION_COUNT, text, length);
    if (found < 0)
        return 0;
    *action = (enum menu_action)found;
    return 1;
}

int menu_paging_parse(const char *text, size_t length, enum menu_paging *paging)
{
    int found = menu_find(menu_paging_names, MENU_PAGING_COUNT, text, length);
    if (found < 0)
        return 0;
    *paging = (enum menu_paging)found;
    return 1;
}

enum menu_event menu_press(struct menu_choice *choice, enum menu_key key)
{
    switch (key) {
    case MENU_KEY_UP:
        choice->action =
            (enum menu_action)((choice->action + MENU_ACTION_COUNT - 1) % MENU_ACTION_COUNT);
        break;
    case MENU_KEY_DOWN:
        choice->action = (enum menu_action)((choice->action + 1) % MENU_ACTION_COUNT);
        break;
    case MENU_KEY_LEFT:
        choice->paging =
            (enum menu_paging)((choice->paging + MENU_PAGING_COUNT - 1) % MENU_PAGING_COUNT);
        break;
    case MENU_KEY_RIGHT:
        choice->paging = (enum menu_paging)((choice->paging + 1) % MENU_PAGING_COUNT);
        break;
    case MENU_KEY_ENTER:
        return MENU_EVENT_CHOSEN;
    case MENU_KEY_OTHER:
        break;
    }
    return MENU_EVENT_REDRAW;
}

void menu_choice_encode(struct menu_choice choice, uint8_t out[MENU_REMEMBERED_SIZE])
{
    out[0] = (uint8_t)choice.action;
    out[1] = (uint8_t)choice.paging;
}

int menu_choice_decode(const uint8_t *data, size_t size, struct menu_choice *choice)
{
    if (size != MENU_REMEMBERED_SIZE || data[0] >= MENU_ACTION_COUNT ||
        data[1] >= MENU_PAGING_COUNT)
        return 0;
    choice->action = (enum menu_action)data[0];
    choice->paging = (enum menu_paging)data[1];
    return 1;
}

int menu_cmdline_append(char *cmdline, size_t capacity, struct menu_choice choice, int with_mode,
                        int with_paging)
{
    char words[MENU_CMDLINE_WORDS_SIZE];
    size_t used = 0, added = 0;

    while (used < capacity && cmdline[used] != '\0')
        used++;
    if (used == capacity)
        return 0; /* not NUL-terminated: refuse rather than guess */
    words[0] = '\0';
    if (with_mode)
        added +=
            (size_t)pg_snprintf(words, sizeof(words), " mode=%s", menu_action_name(choice.action));
    if (with_paging)
        added += (size_t)pg_snprintf(words + added, sizeof(words) - added, " paging=%s",
                                     menu_paging_name(choice.paging));
    const char *from = words + (used == 0 && added > 0); /* no leading space on an empty line */
    size_t length = added - (size_t)(from - words);
    if (used + length + 1 > capacity)
        return 0;
    for (size_t i = 0; i <= length; i++)
        cmdline[used + i] = from[i];
    return 1;
}
