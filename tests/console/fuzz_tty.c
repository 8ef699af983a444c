/*
 * The line editor under libFuzzer: any bytes, with reads of any size in between. After every
 * byte the model terminal, fed only with the echo, must show the line being edited, the cursor
 * where the editor has it; the line stays within its limit; reads return at most what was asked,
 * never more than was entered, and never a byte that was not typed.
 *
 * Input: each byte is fed, except that 0xF5 followed by N reads N % 64 bytes (0: a read of 0).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "console/tty.h"
#include "tty_model.h"

#define READ_MARK 0xF5u

static struct tty t;
static struct tty_model model;

static void fail(const char *why)
{
    fprintf(stderr, "fuzz_tty: %s\n", why);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&model, 0, sizeof(model));
    tty_init(&t, tty_model_echo, &model);
    bool typed[256] = {false};
    for (size_t i = 0; i < size; i++) {
        if (data[i] == READ_MARK && i + 1 < size) {
            size_t want = data[++i] % 64u;
            char buf[64];
            int n = tty_read(&t, buf, want);
            if (n > (int)want)
                fail("a read returned more than it was asked for");
            for (int k = 0; k < n; k++)
                if (buf[k] != '\n' && !typed[(uint8_t)buf[k]])
                    fail("a read returned a byte that was never typed");
            continue;
        }
        typed[data[i]] = true;
        tty_feed(&t, data[i]);
        uint32_t len, cursor;
        tty_current_line(&t, &len, &cursor);
        if (len > TTY_LINE_MAX || cursor > len)
            fail("the line or its cursor is out of bounds");
        char why[200];
        if (!tty_model_agrees(&model, &t, why, sizeof(why)))
            fail(why);
        if (t.write_at - t.read_at > TTY_UNREAD_BYTES ||
            t.ends_written - t.ends_read > TTY_UNREAD_LINES)
            fail("more unread input than the editor holds");
    }
    return 0;
}
