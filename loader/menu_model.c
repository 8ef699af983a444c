#include "menu_model.h"

#include "fmt.h"

static const char *const menu_action_names[MENU_ACTION_COUNT] = {
    [MENU_ACTION_BOOT] = "boot",
    [MENU_ACTION_TEST] = "test",
    [MENU_ACTION_COMPARE] = "compare",
    [MENU_ACTION_ISOLATION] = "isolation",
};

static const char *const menu_action_titles[MENU_ACTION_COUNT] = {
    [MENU_ACTION_BOOT] = "Boot Pagoda",
    [MENU_ACTION_TEST] = "Run the self-tests",
    [MENU_ACTION_COMPARE] = "Compare two-level and PAE paging",
    [MENU_ACTION_ISOLATION] = "Isolation: a buggy program dies, the rest runs on",
};

/* The kernel's mode= for each action, and the first process it names, if any. */
static const struct {
    const char *mode;
    const char *init;
} menu_action_words[MENU_ACTION_COUNT] = {
    [MENU_ACTION_BOOT] = {"boot", 0},
    [MENU_ACTION_TEST] = {"test", 0},
    [MENU_ACTION_COMPARE] = {"compare", 0},
    [MENU_ACTION_ISOLATION] = {"boot", "isolation"},
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

/* Where the word init= starts (at the line's start or after a space), or the line's end. */
static size_t menu_init_word(const char *cmdline, size_t used)
{
    static const char init[] = "init=";
    for (size_t i = 0; i + sizeof(init) - 1 <= used; i++) {
        if (i > 0 && cmdline[i - 1] != ' ')
            continue;
        size_t j = 0;
        while (j < sizeof(init) - 1 && cmdline[i + j] == init[j])
            j++;
        if (j == sizeof(init) - 1)
            return i;
    }
    return used;
}

int menu_cmdline_append(char *cmdline, size_t capacity, struct menu_choice choice, int with_mode,
                        int with_paging)
{
    char words[MENU_CMDLINE_WORDS_SIZE];
    size_t used = 0, added = 0;

    while (used < capacity && cmdline[used] != '\0')
        used++;
    if (used == capacity || (unsigned)choice.action >= MENU_ACTION_COUNT)
        return 0; /* not NUL-terminated: refuse rather than guess */
    const char *init = with_mode ? menu_action_words[choice.action].init : 0;
    words[0] = '\0';
    if (with_mode)
        added += (size_t)pg_snprintf(words, sizeof(words), " mode=%s",
                                     menu_action_words[choice.action].mode);
    if (with_paging)
        added += (size_t)pg_snprintf(words + added, sizeof(words) - added, " paging=%s",
                                     menu_paging_name(choice.paging));
    /* [0, head): what stays in front; [tail, used): an init= part that stays after the words. */
    size_t tail = menu_init_word(cmdline, used), head = tail;
    while (head > 0 && cmdline[head - 1] == ' ')
        head--;
    if (init) {
        added += (size_t)pg_snprintf(words + added, sizeof(words) - added, " init=%s", init);
        tail = used; /* the choice names the first process: an earlier init= goes */
    }
    const char *from = words + (head == 0 && added > 0); /* no leading space on an empty line */
    size_t length = added - (size_t)(from - words);
    size_t kept_tail = used - tail;
    size_t gap = kept_tail && (head || length) ? 1 : 0; /* the space in front of init= */
    if (head + length + gap + kept_tail + 1 > capacity)
        return 0;
    /* Move the kept init= part to its place first (it may move either way), then the words. */
    size_t new_tail = head + length + gap;
    if (new_tail > tail)
        for (size_t i = kept_tail + 1; i-- > 0;)
            cmdline[new_tail + i] = cmdline[tail + i];
    else
        for (size_t i = 0; i <= kept_tail; i++)
            cmdline[new_tail + i] = cmdline[tail + i];
    for (size_t i = 0; i < length; i++)
        cmdline[head + i] = from[i];
    if (gap)
        cmdline[head + length] = ' ';
    cmdline[new_tail + kept_tail] = '\0';
    return 1;
}
