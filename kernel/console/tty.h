/*
 * The console's canonical mode, as a terminal driver's line discipline has it: bytes come in
 * (from the serial port, or from the keyboard decoder, which speaks the same escape sequences),
 * a line is edited and echoed, and only a finished line can be read. Pure code: no hardware,
 * the echo goes through a callback, so the host tests drive it byte by byte.
 *
 * Editing keys:
 *   printable ASCII          inserted at the cursor (a full line rings the bell: '\a')
 *   Backspace (0x7F, 0x08)   deletes the character left of the cursor
 *   Delete (ESC [ 3 ~)       deletes the character under the cursor
 *   Left, Right (ESC [ D/C)  move the cursor; Ctrl-B, Ctrl-F too
 *   Home, End                ESC [ H / F, ESC [ 1 ~ / 4 ~, ESC O H / F; Ctrl-A, Ctrl-E
 *   Up, Down (ESC [ A/B)     the previous or next line of the history; Ctrl-P, Ctrl-N
 *   Ctrl-U, Ctrl-K           delete from the start to the cursor, from the cursor to the end
 *   Enter (CR or LF)         ends the line; an LF right after a CR is the same Enter
 *   Ctrl-C                   echoes "^C", throws the line and every unread line away, and counts
 *                            an interrupt (tty_take_interrupts) for the kernel to act on
 *   Ctrl-D                   the end of input: what is on the line is read first (without a
 *                            newline), then one read returns 0
 * Other control bytes, bytes above 0x7E and unknown escape sequences are ignored.
 *
 * The echo uses only printable characters, ' ', '\b' (cursor one left, nothing erased), '\n' and
 * '\a', so a serial terminal and the framebuffer console both show it right: the cursor moves
 * right by writing the characters it passes again.
 *
 * Reading is by line: a read returns at most one line (with its '\n'), or 0 once for each end of
 * input. A line that does not fit into the unread input rings the bell and stays on screen to be
 * edited, until a reader makes room.
 */
#ifndef PAGODA_CONSOLE_TTY_H
#define PAGODA_CONSOLE_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TTY_LINE_MAX     200u  /* characters of a line, without its newline */
#define TTY_HISTORY      16u   /* lines the history keeps */
#define TTY_UNREAD_BYTES 1024u /* finished lines not read yet, newlines included */
#define TTY_UNREAD_LINES 32u   /* ... and how many of them (ends of input count as lines) */
#define TTY_ESCAPE_MAX   4u    /* parameter bytes of an escape sequence kept */

/* Receives what the console shows for the input: len bytes, len > 0. */
typedef void (*tty_echo_fn)(void *ctx, const char *bytes, size_t len);

enum tty_escape_state {
    TTY_ESC_NONE,
    TTY_ESC_START, /* ESC */
    TTY_ESC_CSI,   /* ESC [ */
    TTY_ESC_SS3,   /* ESC O */
};

struct tty_history_line {
    uint16_t len;
    char text[TTY_LINE_MAX];
};

struct tty_line_end {
    uint32_t at;       /* position in the unread bytes (a running count) after the line */
    bool end_of_input; /* Ctrl-D: the read that reaches it returns what came before, or 0 */
};

struct tty {
    tty_echo_fn echo;
    void *echo_ctx;
    /* The line being edited, and where the cursor is on the screen (columns from its start). */
    char line[TTY_LINE_MAX];
    uint32_t len, cursor, shown_cursor;
    /* An escape sequence being read: its parameter bytes so far. */
    enum tty_escape_state escape_state;
    uint32_t escape_len;
    bool escape_overflow;
    char escape[TTY_ESCAPE_MAX];
    bool after_cr;
    /* History: history[(newest - i) % TTY_HISTORY] is the i-th line back, i < history_count.
     * browsing: 0 while editing a new line, i while showing the i-th line back; the new line
     * is kept in draft meanwhile. */
    struct tty_history_line history[TTY_HISTORY];
    uint32_t history_count, history_newest, browsing;
    struct tty_history_line draft;
    /* Unread input: bytes [read_at, write_at) of the ring, running counts; line ends in order. */
    char unread[TTY_UNREAD_BYTES];
    uint32_t read_at, write_at;
    struct tty_line_end ends[TTY_UNREAD_LINES];
    uint32_t ends_read, ends_written;
    uint32_t interrupts; /* Ctrl-C not taken yet */
};

void tty_init(struct tty *t, tty_echo_fn echo, void *echo_ctx);
/* One byte of input: edits, echoes, and may finish a line. */
void tty_feed(struct tty *t, uint8_t byte);
/* At most len bytes of the oldest unread line: how many (the line's newline included when it
 * fits), 0 at an end of input (taken by this read) or for len 0, or -1 when no line is finished
 * yet. */
int tty_read(struct tty *t, char *buf, size_t len);
/* A read would not return -1. */
bool tty_readable(const struct tty *t);
/* How many Ctrl-C came since the last call. */
uint32_t tty_take_interrupts(struct tty *t);
/* The line being edited and the cursor in it (for tests). */
const char *tty_current_line(const struct tty *t, uint32_t *len, uint32_t *cursor);

#endif
