/*
 * menu_choose, after protocol_choose: the boot menu. Shown only when pagoda.cfg sets menu_timeout >
 * 0, so scripted boots (tests, CI) never wait. It offers boot / self-tests / paging comparison and
 * a paging mode, counts down, and turns the choice into "mode=... paging=..." words appended to the
 * command line. Enter also stores the choice in a non-volatile variable of Pagoda's own GUID, which
 * preselects it next time. Without a menu, pagoda.cfg's `default` and `paging` keys append the same
 * words.
 *
 * The choices and key handling live in menu_model.c (host-tested); this file is the screen,
 * the keyboard, the timer and the variable.
 */
#include "console.h"
#include "fmt.h"
#include "loader.h"
#include "menu_model.h"

/* Pagoda's vendor GUID for its own variables: random once, fixed forever. */
static EFI_GUID menu_pagoda_guid = {
    0xbe0b5349, 0xade6, 0x4eb7, {0xbe, 0x65, 0x09, 0xbf, 0xcd, 0x15, 0x29, 0xa8}};
#define MENU_VARIABLE_NAME L"PagodaMenuDefault"
#define MENU_VARIABLE_ATTRIBUTES                                                                   \
    (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

#define MENU_SECOND_100NS 10000000u /* timer periods are in 100 ns units */
#define MENU_LINE_WIDTH   64        /* every line is padded so a redraw erases the old text */

/* Screen rows. */
#define MENU_ROW_TITLE     0
#define MENU_ROW_FIRST     2 /* first entry; one row per enum menu_action */
#define MENU_ROW_PAGING    (MENU_ROW_FIRST + MENU_ACTION_COUNT + 1)
#define MENU_ROW_HELP      (MENU_ROW_PAGING + 2)
#define MENU_ROW_COUNTDOWN (MENU_ROW_HELP + 1)

#define MENU_ATTR_NORMAL   EFI_TEXT_ATTR(EFI_LIGHTGRAY, EFI_BLACK)
#define MENU_ATTR_SELECTED EFI_TEXT_ATTR(EFI_BLACK, EFI_LIGHTGRAY)

struct menu_screen {
    SIMPLE_TEXT_OUTPUT_INTERFACE *out;
    SIMPLE_INPUT_INTERFACE *in;
    EFI_BOOT_SERVICES *bs;
};

static int menu_load_remembered(struct loader *ld, struct menu_choice *choice)
{
    uint8_t data[MENU_REMEMBERED_SIZE];
    UINTN size = sizeof(data);
    EFI_STATUS status = ld->st->RuntimeServices->GetVariable(MENU_VARIABLE_NAME, &menu_pagoda_guid,
                                                             NULL, &size, data);

    return !EFI_ERROR(status) && menu_choice_decode(data, size, choice);
}

static void menu_save_remembered(struct loader *ld, struct menu_choice choice)
{
    uint8_t data[MENU_REMEMBERED_SIZE];
    EFI_STATUS status;

    menu_choice_encode(choice, data);
    status = ld->st->RuntimeServices->SetVariable(MENU_VARIABLE_NAME, &menu_pagoda_guid,
                                                  MENU_VARIABLE_ATTRIBUTES, sizeof(data), data);
    if (EFI_ERROR(status))
        console_print("loader: warning: cannot remember the menu choice (%s)\n",
                      console_status_text(status));
}

static enum menu_key menu_translate(EFI_INPUT_KEY key)
{
    if (key.UnicodeChar == CHAR_CARRIAGE_RETURN || key.UnicodeChar == CHAR_LINEFEED)
        return MENU_KEY_ENTER;
    switch (key.ScanCode) {
    case SCAN_UP:
        return MENU_KEY_UP;
    case SCAN_DOWN:
        return MENU_KEY_DOWN;
    case SCAN_LEFT:
        return MENU_KEY_LEFT;
    case SCAN_RIGHT:
        return MENU_KEY_RIGHT;
    default:
        return MENU_KEY_OTHER;
    }
}

static void menu_line(struct menu_screen *screen, UINTN row, UINTN attribute, const char *text)
{
    screen->out->SetCursorPosition(screen->out, 0, row);
    screen->out->SetAttribute(screen->out, attribute);
    console_print("%-*s", MENU_LINE_WIDTH, text);
    screen->out->SetAttribute(screen->out, MENU_ATTR_NORMAL);
}

static void menu_draw_choices(struct menu_screen *screen, struct menu_choice choice)
{
    char text[MENU_LINE_WIDTH + 1];

    for (unsigned a = 0; a < MENU_ACTION_COUNT; a++) {
        int selected = a == (unsigned)choice.action;
        pg_snprintf(text, sizeof(text), "  %s %s", selected ? ">" : " ",
                    menu_action_title((enum menu_action)a));
        menu_line(screen, MENU_ROW_FIRST + a, selected ? MENU_ATTR_SELECTED : MENU_ATTR_NORMAL,
                  text);
    }
    pg_snprintf(text, sizeof(text), "    Paging mode: < %s >", menu_paging_name(choice.paging));
    menu_line(screen, MENU_ROW_PAGING, MENU_ATTR_NORMAL, text);
}

static void menu_draw_countdown(struct menu_screen *screen, struct menu_choice choice,
                                unsigned seconds_left, int counting)
{
    char text[MENU_LINE_WIDTH + 1];

    if (counting)
        pg_snprintf(text, sizeof(text), "  Starting \"%s\" in %u s; any key stops the countdown.",
                    menu_action_name(choice.action), seconds_left);
    else
        pg_snprintf(text, sizeof(text), "  Countdown stopped: Enter starts the marked entry.");
    menu_line(screen, MENU_ROW_COUNTDOWN, MENU_ATTR_NORMAL, text);
}

static void menu_draw(struct menu_screen *screen, struct menu_choice choice, unsigned seconds)
{
    char title[MENU_LINE_WIDTH + 1];

    screen->out->SetAttribute(screen->out, MENU_ATTR_NORMAL);
    screen->out->ClearScreen(screen->out);
    screen->out->EnableCursor(screen->out, FALSE);
    pg_snprintf(title, sizeof(title), "Pagoda boot menu (loader %s v%s)", LOADER_ARCH_NAME,
                LOADER_VERSION);
    menu_line(screen, MENU_ROW_TITLE, MENU_ATTR_NORMAL, title);
    menu_draw_choices(screen, choice);
    menu_line(screen, MENU_ROW_HELP, MENU_ATTR_NORMAL,
              "  Up/Down: entry   Left/Right: paging mode   Enter: start");
    menu_draw_countdown(screen, choice, seconds, 1);
}

/* Runs the menu; returns 1 when the user pressed Enter, 0 when the countdown ran out. */
static int menu_interact(struct menu_screen *screen, struct menu_choice *choice, unsigned seconds)
{
    EFI_EVENT events[2] = {screen->in->WaitForKey, NULL};
    UINTN event_count = 1, index = 0;
    int chosen = 0;

    if (!EFI_ERROR(screen->bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &events[1])) &&
        !EFI_ERROR(screen->bs->SetTimer(events[1], TimerPeriodic, MENU_SECOND_100NS)))
        event_count = 2; /* without a timer the menu just waits for Enter */
    screen->in->Reset(screen->in, FALSE);
    menu_draw(screen, *choice, seconds);
    if (event_count == 1)
        menu_draw_countdown(screen, *choice, seconds, 0);
    while (!chosen) {
        if (EFI_ERROR(screen->bs->WaitForEvent(event_count, events, &index)))
            break;
        if (index == 1) { /* a second went by */
            if (--seconds == 0)
                break;
            menu_draw_countdown(screen, *choice, seconds, 1);
            continue;
        }
        EFI_INPUT_KEY key;
        if (EFI_ERROR(screen->in->ReadKeyStroke(screen->in, &key)))
            continue;
        if (event_count == 2) { /* the first key stops the countdown for good */
            screen->bs->CloseEvent(events[1]);
            event_count = 1;
            menu_draw_countdown(screen, *choice, seconds, 0);
        }
        chosen = menu_press(choice, menu_translate(key)) == MENU_EVENT_CHOSEN;
        menu_draw_choices(screen, *choice);
    }
    if (event_count == 2)
        screen->bs->CloseEvent(events[1]);
    screen->out->SetAttribute(screen->out, MENU_ATTR_NORMAL);
    screen->out->ClearScreen(screen->out);
    screen->out->EnableCursor(screen->out, TRUE);
    return chosen;
}

void menu_choose(struct loader *ld)
{
    struct loader_config *config = &ld->config;
    struct menu_choice choice = {config->default_action, config->paging};
    int with_mode = config->has_default_action, with_paging = config->has_paging;

    if (loader_is_multiboot(ld)) {
        if (config->menu_timeout > 0 || with_mode || with_paging)
            console_print("loader: menu_timeout, default and paging are ignored: they choose "
                          "modes of Pagoda's kernel, not of a Multiboot kernel\n");
        return;
    }

    if (config->menu_timeout > 0) {
        struct menu_screen screen = {ld->st->ConOut, ld->st->ConIn, ld->bs};
        /* A person is at the screen now: the lines so far, the menu and the rest go on it. */
        console_go_live();
        int remembered = menu_load_remembered(ld, &choice);
        int chosen = menu_interact(&screen, &choice, config->menu_timeout);

        console_print("loader: menu: %s \"%s\", paging %s%s\n", chosen ? "chose" : "timed out on",
                      menu_action_name(choice.action), menu_paging_name(choice.paging),
                      remembered && !chosen ? " (the remembered choice)" : "");
        if (chosen)
            menu_save_remembered(ld, choice);
        with_mode = with_paging = 1;
    }
    if (!with_mode && !with_paging)
        return;
    if (!menu_cmdline_append(config->cmdline, sizeof(config->cmdline), choice, with_mode,
                             with_paging)) {
        console_print("loader: warning: no room to add mode=%s paging=%s to the command line; "
                      "it stays as it is\n",
                      menu_action_name(choice.action), menu_paging_name(choice.paging));
        return;
    }
    console_print("loader: cmdline=\"%s\"\n", config->cmdline);
}
