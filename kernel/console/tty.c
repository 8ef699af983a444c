#include "tty.h"

#include "pg_string.h"

#define CTRL(letter)  ((letter)&0x1F)
#define BYTE_ESC      0x1Bu
#define BYTE_DEL      0x7Fu
#define BYTE_BS       0x08u
#define ECHO_BUF_SIZE 64u

/* The echo of one input byte, collected so the console gets it in few writes. */
struct echo {
    struct tty *t;
    char buf[ECHO_BUF_SIZE];
    size_t used;
};

static void echo_flush(struct echo *e)
{
    if (e->used && e->t->echo)
        e->t->echo(e->t->echo_ctx, e->buf, e->used);
    e->used = 0;
}

static void echo_byte(struct echo *e, char c)
{
    if (e->used == sizeof(e->buf))
        echo_flush(e);
    e->buf[e->used++] = c;
}

static void echo_bytes(struct echo *e, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        echo_byte(e, s[i]);
}

static void bell(struct echo *e)
{
    echo_byte(e, '\a');
}

/* Moves the screen's cursor to column col of the line: back with '\b', forward by writing the
 * characters it passes. */
static void move_to(struct echo *e, uint32_t col)
{
    struct tty *t = e->t;
    while (t->shown_cursor > col) {
        echo_byte(e, '\b');
        t->shown_cursor--;
    }
    if (t->shown_cursor < col) {
        echo_bytes(e, t->line + t->shown_cursor, col - t->shown_cursor);
        t->shown_cursor = col;
    }
}

/* The screen shows the line right up to column from; after it, shown_len columns may hold old
 * text. Writes the rest of the line, blanks what is left of the old text, puts the cursor back. */
static void redraw_from(struct echo *e, uint32_t from, uint32_t shown_len)
{
    struct tty *t = e->t;
    move_to(e, from);
    echo_bytes(e, t->line + from, t->len - from);
    t->shown_cursor = t->len;
    for (; t->shown_cursor < shown_len; t->shown_cursor++)
        echo_byte(e, ' ');
    move_to(e, t->cursor);
}

/* ---- unread lines ---- */

static uint32_t unread_bytes(const struct tty *t)
{
    return t->write_at - t->read_at;
}

static bool push_line(struct tty *t, const char *text, uint32_t len, bool newline, bool eof)
{
    uint32_t bytes = len + (newline ? 1u : 0u);
    if (t->ends_written - t->ends_read == TTY_UNREAD_LINES ||
        unread_bytes(t) + bytes > TTY_UNREAD_BYTES)
        return false;
    for (uint32_t i = 0; i < len; i++)
        t->unread[t->write_at++ % TTY_UNREAD_BYTES] = text[i];
    if (newline)
        t->unread[t->write_at++ % TTY_UNREAD_BYTES] = '\n';
    t->ends[t->ends_written++ % TTY_UNREAD_LINES] =
        (struct tty_line_end){.at = t->write_at, .end_of_input = eof};
    return true;
}

/* ---- history ---- */

static const struct tty_history_line *history_back(const struct tty *t, uint32_t i)
{
    return &t->history[(t->history_newest + TTY_HISTORY - (i - 1)) % TTY_HISTORY];
}

static void history_add(struct tty *t)
{
    if (t->len == 0)
        return;
    if (t->history_count) {
        const struct tty_history_line *last = history_back(t, 1);
        if (last->len == t->len && memcmp(last->text, t->line, t->len) == 0)
            return; /* the same line twice in a row is kept once */
    }
    t->history_newest = (t->history_newest + 1) % TTY_HISTORY;
    struct tty_history_line *slot = &t->history[t->history_newest];
    slot->len = (uint16_t)t->len;
    memcpy(slot->text, t->line, t->len);
    if (t->history_count < TTY_HISTORY)
        t->history_count++;
}

/* Shows the browsing-th line back (0: the draft) in place of the line on screen. */
static void show_history(struct echo *e, uint32_t browsing)
{
    struct tty *t = e->t;
    if (t->browsing == 0) {
        t->draft.len = (uint16_t)t->len;
        memcpy(t->draft.text, t->line, t->len);
    }
    const struct tty_history_line *h = browsing ? history_back(t, browsing) : &t->draft;
    uint32_t shown_len = t->len;
    t->browsing = browsing;
    t->len = h->len;
    memcpy(t->line, h->text, h->len);
    t->cursor = t->len;
    redraw_from(e, 0, shown_len);
}

/* ---- editing ---- */

static void clear_line(struct tty *t)
{
    t->len = t->cursor = t->shown_cursor = 0;
    t->browsing = 0;
}

static void insert(struct echo *e, char c)
{
    struct tty *t = e->t;
    if (t->len == TTY_LINE_MAX) {
        bell(e);
        return;
    }
    memmove(t->line + t->cursor + 1, t->line + t->cursor, t->len - t->cursor);
    t->line[t->cursor] = c;
    t->len++;
    t->cursor++;
    redraw_from(e, t->cursor - 1, t->len);
}

/* Removes [from, to) of the line. */
static void delete_range(struct echo *e, uint32_t from, uint32_t to)
{
    struct tty *t = e->t;
    if (from >= to)
        return;
    uint32_t shown_len = t->len;
    memmove(t->line + from, t->line + to, t->len - to);
    t->len -= to - from;
    t->cursor = from;
    redraw_from(e, from, shown_len);
}

static void cursor_to(struct echo *e, uint32_t col)
{
    e->t->cursor = col;
    move_to(e, col);
}

static void enter(struct echo *e)
{
    struct tty *t = e->t;
    if (!push_line(t, t->line, t->len, true, false)) {
        bell(e);
        return;
    }
    move_to(e, t->len);
    echo_byte(e, '\n');
    history_add(t);
    clear_line(t);
}

/* Whatever is on the line goes to the reader first, then the end of input. */
static void end_of_input(struct echo *e)
{
    struct tty *t = e->t;
    if (!push_line(t, t->line, t->len, false, true)) {
        bell(e);
        return;
    }
    move_to(e, t->len);
    if (t->len) {
        history_add(t);
        echo_byte(e, '\n');
    }
    clear_line(t);
}

static void interrupt(struct echo *e)
{
    struct tty *t = e->t;
    move_to(e, t->len);
    echo_bytes(e, "^C\n", 3);
    clear_line(t);
    t->escape_state = TTY_ESC_NONE;
    t->read_at = t->write_at;
    t->ends_read = t->ends_written;
    t->interrupts++;
}

static void history_step(struct echo *e, bool older)
{
    struct tty *t = e->t;
    if (older && t->browsing < t->history_count)
        show_history(e, t->browsing + 1);
    else if (!older && t->browsing > 0)
        show_history(e, t->browsing - 1);
    else
        bell(e);
}

enum key {
    KEY_NONE,
    KEY_UP,
    KEY_DOWN,
    KEY_LEFT,
    KEY_RIGHT,
    KEY_HOME,
    KEY_END,
    KEY_DELETE,
};

static void key(struct echo *e, enum key k)
{
    struct tty *t = e->t;
    switch (k) {
    case KEY_UP:
        history_step(e, true);
        break;
    case KEY_DOWN:
        history_step(e, false);
        break;
    case KEY_LEFT:
        if (t->cursor > 0)
            cursor_to(e, t->cursor - 1);
        break;
    case KEY_RIGHT:
        if (t->cursor < t->len)
            cursor_to(e, t->cursor + 1);
        break;
    case KEY_HOME:
        cursor_to(e, 0);
        break;
    case KEY_END:
        cursor_to(e, t->len);
        break;
    case KEY_DELETE:
        delete_range(e, t->cursor, t->cursor < t->len ? t->cursor + 1 : t->cursor);
        break;
    case KEY_NONE:
        break;
    }
}

/* What a finished sequence means: ESC O final, or ESC [ params final. */
static enum key sequence_key(char introducer, const char *params, uint32_t n, bool overflow,
                             char final)
{
    if (overflow)
        return KEY_NONE;
    if (n == 0) {
        switch (final) {
        case 'A':
            return KEY_UP;
        case 'B':
            return KEY_DOWN;
        case 'C':
            return KEY_RIGHT;
        case 'D':
            return KEY_LEFT;
        case 'H':
            return KEY_HOME;
        case 'F':
            return KEY_END;
        default:
            return KEY_NONE;
        }
    }
    if (introducer != '[' || final != '~' || n != 1)
        return KEY_NONE; /* F-keys, modified keys: not editing keys */
    switch (params[0]) {
    case '1':
    case '7':
        return KEY_HOME;
    case '4':
    case '8':
        return KEY_END;
    case '3':
        return KEY_DELETE;
    default:
        return KEY_NONE;
    }
}

/* Returns true when the byte belonged to an escape sequence (ECMA-48: ESC [ parameters
 * intermediates final, or ESC O final). A control byte inside one ends it and counts on its own,
 * so Ctrl-C always works. */
static bool feed_escape(struct echo *e, uint8_t byte)
{
    struct tty *t = e->t;
    if (t->escape_state == TTY_ESC_NONE)
        return false;
    if (byte < 0x20 && byte != BYTE_ESC) {
        t->escape_state = TTY_ESC_NONE;
        return false;
    }
    switch (t->escape_state) {
    case TTY_ESC_START:
        if (byte == '[' || byte == 'O') {
            t->escape_state = byte == '[' ? TTY_ESC_CSI : TTY_ESC_SS3;
            t->escape_len = 0;
            t->escape_overflow = false;
            return true;
        }
        if (byte == BYTE_ESC)
            return true;
        t->escape_state = TTY_ESC_NONE; /* a lone ESC is a key of its own, ignored */
        return false;
    case TTY_ESC_SS3:
        t->escape_state = TTY_ESC_NONE;
        key(e, sequence_key('O', t->escape, 0, false, (char)byte));
        return true;
    case TTY_ESC_CSI:
        if (byte >= 0x20 && byte <= 0x3F) {
            if (t->escape_len < TTY_ESCAPE_MAX && byte >= 0x30)
                t->escape[t->escape_len++] = (char)byte;
            else
                t->escape_overflow = true; /* long parameters or intermediates: no editing key */
            return true;
        }
        t->escape_state = TTY_ESC_NONE;
        if (byte >= 0x40 && byte <= 0x7E)
            key(e, sequence_key('[', t->escape, t->escape_len, t->escape_overflow, (char)byte));
        return true;
    case TTY_ESC_NONE:
        break;
    }
    return false;
}

static void feed(struct echo *e, uint8_t byte)
{
    struct tty *t = e->t;
    bool after_cr = t->after_cr;
    t->after_cr = byte == '\r';
    if (feed_escape(e, byte))
        return;
    if (byte >= 0x20 && byte < BYTE_DEL) {
        insert(e, (char)byte);
        return;
    }
    switch (byte) {
    case '\r':
        enter(e);
        break;
    case '\n':
        if (!after_cr)
            enter(e);
        break;
    case BYTE_DEL:
    case BYTE_BS:
        if (t->cursor > 0)
            delete_range(e, t->cursor - 1, t->cursor);
        break;
    case BYTE_ESC:
        t->escape_state = TTY_ESC_START;
        break;
    case CTRL('A'):
        key(e, KEY_HOME);
        break;
    case CTRL('E'):
        key(e, KEY_END);
        break;
    case CTRL('B'):
        key(e, KEY_LEFT);
        break;
    case CTRL('F'):
        key(e, KEY_RIGHT);
        break;
    case CTRL('P'):
        key(e, KEY_UP);
        break;
    case CTRL('N'):
        key(e, KEY_DOWN);
        break;
    case CTRL('U'):
        delete_range(e, 0, t->cursor);
        break;
    case CTRL('K'):
        delete_range(e, t->cursor, t->len);
        break;
    case CTRL('C'):
        interrupt(e);
        break;
    case CTRL('D'):
        end_of_input(e);
        break;
    default:
        break; /* other control bytes and non-ASCII: nothing the font or the line can show */
    }
}

void tty_init(struct tty *t, tty_echo_fn echo, void *echo_ctx)
{
    memset(t, 0, sizeof(*t));
    t->echo = echo;
    t->echo_ctx = echo_ctx;
}

void tty_feed(struct tty *t, uint8_t byte)
{
    struct echo e = {.t = t};
    feed(&e, byte);
    echo_flush(&e);
}

int tty_read(struct tty *t, char *buf, size_t len)
{
    if (t->ends_read == t->ends_written)
        return -1;
    if (len == 0)
        return 0;
    struct tty_line_end *end = &t->ends[t->ends_read % TTY_UNREAD_LINES];
    uint32_t available = end->at - t->read_at;
    if (available == 0) { /* only an end of input has no bytes of its own left */
        t->ends_read++;
        return 0;
    }
    uint32_t n = available < len ? available : (uint32_t)len;
    for (uint32_t i = 0; i < n; i++)
        buf[i] = t->unread[t->read_at++ % TTY_UNREAD_BYTES];
    /* The text before an end of input is read first; the end itself is the next read's 0. */
    if (t->read_at == end->at && !end->end_of_input)
        t->ends_read++;
    return (int)n;
}

bool tty_readable(const struct tty *t)
{
    return t->ends_read != t->ends_written;
}

uint32_t tty_take_interrupts(struct tty *t)
{
    uint32_t n = t->interrupts;
    t->interrupts = 0;
    return n;
}

const char *tty_current_line(const struct tty *t, uint32_t *len, uint32_t *cursor)
{
    *len = t->len;
    *cursor = t->cursor;
    return t->line;
}
