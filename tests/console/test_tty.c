/* The console's line editor (kernel/console/tty.c) on the host: every editing key, the history,
 * Ctrl-C and Ctrl-D, reads by line, the limits; and after every byte, a model terminal fed only
 * with the echo shows exactly the line being edited. */
#include <stdio.h>
#include <string.h>

#include "console/tty.h"
#include "tap.h"
#include "tty_model.h"

#define UP     "\x1b[A"
#define DOWN   "\x1b[B"
#define RIGHT  "\x1b[C"
#define LEFT   "\x1b[D"
#define HOME   "\x1b[H"
#define END    "\x1b[F"
#define DELETE "\x1b[3~"

static struct tty t;
static struct tty_model model;
static bool model_ok;
static char model_why[200];

static void start(void)
{
    memset(&model, 0, sizeof(model));
    tty_init(&t, tty_model_echo, &model);
    model_ok = true;
}

/* Feeds s; the model terminal must agree after every byte. */
static void type(const char *s)
{
    for (; *s; s++) {
        tty_feed(&t, (uint8_t)*s);
        if (model_ok && !tty_model_agrees(&model, &t, model_why, sizeof(model_why))) {
            model_ok = false;
            tap_diag("after byte 0x%02x: %s", (unsigned char)*s, model_why);
        }
    }
}

static void feed_byte(uint8_t b)
{
    char s[2] = {(char)b, 0};
    if (b)
        type(s);
    else
        tty_feed(&t, 0);
}

/* The next read as text: "<EOF>" for 0, "<NONE>" for -1. */
static const char *next_read(size_t len)
{
    static char buf[TTY_UNREAD_BYTES + 1];
    int n = tty_read(&t, buf, len);
    if (n < 0)
        return "<NONE>";
    if (n == 0)
        return "<EOF>";
    buf[n] = 0;
    return buf;
}

static bool line_is(const char *want)
{
    uint32_t len, cursor;
    const char *line = tty_current_line(&t, &len, &cursor);
    return len == strlen(want) && memcmp(line, want, len) == 0;
}

static uint32_t cursor(void)
{
    uint32_t len, c;
    tty_current_line(&t, &len, &c);
    return c;
}

#define READS(want, ...) TAP_CHECK(strcmp(next_read(sizeof(t.unread)), want) == 0, __VA_ARGS__)

static void test_typing(void)
{
    start();
    type("ls -l");
    TAP_CHECK(strcmp(next_read(64), "<NONE>") == 0, "no read before Enter");
    type("\r");
    READS("ls -l\n", "a line ends with CR and reads with its newline");
    TAP_CHECK(strcmp(next_read(64), "<NONE>") == 0, "one line is read once");
    type("a\nb\r\nc\r\r\n");
    READS("a\n", "LF ends a line");
    READS("b\n", "CR LF is one Enter");
    READS("c\n", "the line before CR CR LF");
    READS("\n", "CR CR LF: the second CR is an empty line, its LF none");
    TAP_CHECK(strcmp(next_read(64), "<NONE>") == 0, "nothing else");
    TAP_CHECK(model_ok, "the terminal showed every line as typed");
}

static void test_editing(void)
{
    start();
    type("lx\x7fs\r");
    READS("ls\n", "DEL (0x7f) deletes left of the cursor");
    type("ab\bc\r");
    READS("ac\n", "BS (0x08) too");
    type("\x7f\x7fq\r");
    READS("q\n", "backspace on an empty line does nothing");
    type("ac" LEFT "b\r");
    READS("abc\n", "left arrow, then insert in the middle");
    type("world" HOME "hello " END "!\r");
    READS("hello world!\n", "Home and End (ESC [ H, ESC [ F)");
    type("xabc" HOME DELETE "\r");
    READS("abc\n", "Delete (ESC [ 3 ~) at the start");
    type("abc" LEFT LEFT LEFT LEFT LEFT RIGHT RIGHT RIGHT RIGHT "d\r");
    READS("abcd\n", "left stops at the start, right at the end");
    type("12345"
         "\x1b[1~"
         "0"
         "\x1b[4~"
         "6\r");
    READS("0123456\n", "Home and End as ESC [ 1 ~ and ESC [ 4 ~");
    type("bc\x01"
         "a\x05"
         "d\r");
    READS("abcd\n", "Ctrl-A and Ctrl-E");
    type("ab\x02"
         "X\x06"
         "c\r");
    READS("aXbc\n", "Ctrl-B and Ctrl-F move like the arrows");
    type("hello world\x02\x02\x02\x02\x02\x15\r");
    READS("world\n", "Ctrl-U deletes from the start to the cursor");
    type("hello world\x01\x06\x06\x06\x06\x06\x0b\r");
    READS("hello\n", "Ctrl-K deletes from the cursor to the end");
    type("\x1bOH"
         "x"
         "\x1bOF"
         "y\r");
    READS("xy\n", "ESC O H and ESC O F (application keypad mode)");
    TAP_CHECK(model_ok, "the terminal agreed with the editor after every byte");
}

static void test_ignored(void)
{
    start();
    type("a\x1b[1;5Cb\r");
    READS("ab\n", "ESC [ 1 ; 5 C (Ctrl-Right) is swallowed whole");
    type("a\x1b[15~b\x1b[200~c\r");
    READS("abc\n", "ESC [ 15 ~ (F5) and a long parameter are swallowed");
    type("a\x1bxb\r");
    READS("axb\n", "ESC then a letter: the ESC is dropped, the letter typed");
    type("a\x07\x0f\x11\t\x80\xff"
         "b\r");
    READS("ab\n", "other control bytes and bytes above 0x7e are ignored");
    feed_byte(0);
    type("\r");
    READS("\n", "a NUL byte is ignored too");
    TAP_CHECK(model_ok, "the terminal still agreed");
}

static void test_history(void)
{
    start();
    type("one\rtwo\r");
    next_read(64);
    next_read(64);
    type("dra");
    type(UP);
    TAP_CHECK(line_is("two") && cursor() == 3, "up: the last line, the cursor at its end");
    type(UP);
    TAP_CHECK(line_is("one"), "up again: the line before");
    unsigned bells = model.bells;
    type(UP);
    TAP_CHECK(line_is("one") && model.bells == bells + 1, "past the oldest line: the bell");
    type(DOWN DOWN);
    TAP_CHECK(line_is("dra"), "down twice: the line being typed before, kept as it was");
    type(DOWN);
    TAP_CHECK(line_is("dra") && model.bells == bells + 2, "down past it: the bell");
    type(UP "\x7f\x7f"
            "!\r");
    READS("t!\n", "a line from the history can be edited and entered");
    type(UP);
    TAP_CHECK(line_is("t!"), "the edited line is the newest now");
    type("\x03");
    type("t!\r"
         "\r");
    next_read(64);
    next_read(64);
    type(UP UP);
    TAP_CHECK(line_is("two"), "a line entered twice in a row, and an empty line, are not kept");
    type("\x03");
    start();
    for (int i = 0; i < 20; i++) {
        char line[8];
        snprintf(line, sizeof(line), "l%d\r", i);
        type(line);
        next_read(64);
    }
    for (unsigned i = 0; i < TTY_HISTORY; i++)
        type(UP);
    TAP_CHECK(line_is("l4"), "the history keeps the last %u lines", TTY_HISTORY);
    bells = model.bells;
    type(UP);
    TAP_CHECK(line_is("l4") && model.bells == bells + 1, "and no more");
    type("\x0e");
    TAP_CHECK(line_is("l5"), "Ctrl-N is down");
    type("\x10");
    TAP_CHECK(line_is("l4"), "Ctrl-P is up");
    TAP_CHECK(model_ok, "the terminal showed each history line over the last, blanks after");
}

static void test_interrupt(void)
{
    start();
    type("first\rsecond\r");
    type("half a line");
    type("\x03");
    TAP_CHECK(tty_take_interrupts(&t) == 1, "Ctrl-C is counted");
    TAP_CHECK(tty_take_interrupts(&t) == 0, "and taken once");
    TAP_CHECK(strcmp(next_read(64), "<NONE>") == 0, "Ctrl-C throws away the unread lines");
    TAP_CHECK(line_is(""), "and the line being edited");
    TAP_CHECK(model.rows == 3 && strncmp(model.last_row, "half a line^C", 13) == 0,
              "it echoes ^C and a new line after the text");
    type("\x1b[\x03");
    TAP_CHECK(tty_take_interrupts(&t) == 1, "Ctrl-C inside an escape sequence still counts");
    type("ok\r");
    READS("ok\n", "input goes on after it");
    TAP_CHECK(model_ok, "the terminal agreed");
}

static void test_end_of_input(void)
{
    start();
    type("\x04");
    READS("<EOF>", "Ctrl-D on an empty line: a read returns 0");
    TAP_CHECK(strcmp(next_read(64), "<NONE>") == 0, "once");
    type("abc\x04");
    READS("abc", "Ctrl-D after text: the text first, without a newline");
    READS("<EOF>", "then the end of input");
    type("x\r\x04y\r");
    READS("x\n", "lines and ends of input stay in order: x");
    READS("<EOF>", "the end");
    READS("y\n", "then y");
    type("\x04\x04");
    READS("<EOF>", "two ends of input are two reads of 0");
    READS("<EOF>", "the second");
    TAP_CHECK(model_ok, "the terminal agreed");
}

static void test_reads(void)
{
    start();
    type("hello\r");
    TAP_CHECK(strcmp(next_read(2), "he") == 0, "a short read takes part of the line");
    TAP_CHECK(strcmp(next_read(3), "llo") == 0, "the next one goes on");
    TAP_CHECK(strcmp(next_read(64), "\n") == 0, "and the newline last");
    type("a\rb\r");
    TAP_CHECK(strcmp(next_read(64), "a\n") == 0, "a read never takes more than one line");
    TAP_CHECK(tty_readable(&t), "readable while a line waits");
    TAP_CHECK(strcmp(next_read(64), "b\n") == 0, "the next line");
    TAP_CHECK(!tty_readable(&t), "not readable when none does");
    type("z\r");
    char buf[4];
    TAP_CHECK(tty_read(&t, buf, 0) == 0 && tty_readable(&t), "a read of 0 bytes takes nothing");
}

static void test_limits(void)
{
    start();
    for (unsigned i = 0; i < TTY_LINE_MAX; i++)
        type("x");
    unsigned bells = model.bells;
    type("y");
    uint32_t len, c;
    tty_current_line(&t, &len, &c);
    TAP_CHECK(len == TTY_LINE_MAX && model.bells == bells + 1,
              "a full line (%u characters) refuses one more with the bell", TTY_LINE_MAX);
    type(HOME "y");
    tty_current_line(&t, &len, &c);
    TAP_CHECK(len == TTY_LINE_MAX && c == 0 && t.line[0] == 'x', "also in the middle of the line");
    type("\r");
    TAP_CHECK(strlen(next_read(sizeof(t.unread))) == TTY_LINE_MAX + 1, "the full line reads whole");

    start();
    unsigned lines = 0;
    for (;; lines++) {
        bells = model.bells;
        type("0123456789012345678901234567890123456789\r");
        if (model.bells != bells)
            break;
    }
    TAP_CHECK(lines == TTY_UNREAD_BYTES / 41, "%u lines of 41 bytes fill the %u unread bytes",
              lines, TTY_UNREAD_BYTES);
    TAP_CHECK(line_is("0123456789012345678901234567890123456789"),
              "the line that does not fit stays on screen");
    next_read(64);
    type("\r");
    TAP_CHECK(line_is(""), "Enter works again once a line has been read");

    start();
    for (unsigned i = 0; i < TTY_UNREAD_LINES; i++)
        type("\r");
    bells = model.bells;
    type("\r");
    TAP_CHECK(model.bells == bells + 1, "%u unread lines is the most", TTY_UNREAD_LINES);
    bells = model.bells;
    type("\x04");
    TAP_CHECK(model.bells == bells + 1, "an end of input needs room too");
    TAP_CHECK(model_ok, "the terminal agreed");
}

static void no_echo(void *ctx, const char *bytes, size_t len)
{
    (void)ctx;
    (void)bytes;
    (void)len;
}

static void test_no_echo_callback(void)
{
    tty_init(&t, 0, 0);
    for (const char *s = "abc" LEFT "\x7f\r"; *s; s++)
        tty_feed(&t, (uint8_t)*s);
    TAP_CHECK(strcmp(next_read(64), "ac\n") == 0, "no echo callback: editing still works");
    tty_init(&t, no_echo, 0);
    tty_feed(&t, 'q');
    tty_feed(&t, '\r');
    TAP_CHECK(strcmp(next_read(64), "q\n") == 0, "an echo that shows nothing");
}

int main(void)
{
    test_typing();
    test_editing();
    test_ignored();
    test_history();
    test_interrupt();
    test_end_of_input();
    test_reads();
    test_limits();
    test_no_echo_callback();
    return tap_done();
}
