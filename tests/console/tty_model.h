/*
 * A terminal as the line editor's echo sees it: one row of cells and a cursor, '\b' moves left
 * without erasing, '\n' starts a new row, '\a' rings. After every byte fed to the editor, the
 * row must show exactly the line being edited (blanks after it) with the cursor at the editor's
 * cursor: the check the unit test and the fuzz target share.
 */
#ifndef PAGODA_TESTS_TTY_MODEL_H
#define PAGODA_TESTS_TTY_MODEL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "console/tty.h"

#define MODEL_COLS 4096

struct tty_model {
    char row[MODEL_COLS];
    size_t col, used; /* cursor, and cells written on this row */
    unsigned rows, bells;
    bool broken; /* the echo moved the cursor off the row's start or end */
    char last_row[MODEL_COLS];
};

static void tty_model_echo(void *ctx, const char *bytes, size_t len)
{
    struct tty_model *m = ctx;
    for (size_t i = 0; i < len; i++) {
        char c = bytes[i];
        if (c == '\b') {
            if (m->col == 0)
                m->broken = true;
            else
                m->col--;
        } else if (c == '\n') {
            memcpy(m->last_row, m->row, MODEL_COLS);
            memset(m->row, 0, sizeof(m->row));
            m->col = m->used = 0;
            m->rows++;
        } else if (c == '\a') {
            m->bells++;
        } else if (c >= 0x20 && c < 0x7F && m->col < MODEL_COLS) {
            m->row[m->col++] = c;
            if (m->col > m->used)
                m->used = m->col;
        } else {
            m->broken = true; /* the echo may use nothing else */
        }
    }
}

/* The row matches the editor; why not in why. */
static bool tty_model_agrees(const struct tty_model *m, const struct tty *t, char *why, size_t size)
{
    uint32_t len, cursor;
    const char *line = tty_current_line(t, &len, &cursor);
    if (m->broken) {
        snprintf(why, size, "the echo used a byte a terminal row cannot take");
        return false;
    }
    if (memcmp(m->row, line, len) != 0) {
        snprintf(why, size, "the row shows \"%.*s\", the line is \"%.*s\"", (int)len, m->row,
                 (int)len, line);
        return false;
    }
    for (size_t i = len; i < m->used; i++)
        if (m->row[i] != ' ' && m->row[i] != 0) {
            snprintf(why, size, "column %zu shows '%c' past the line's end %u", i, m->row[i], len);
            return false;
        }
    if (m->col != cursor) {
        snprintf(why, size, "the terminal's cursor is at %zu, the editor's at %u", m->col, cursor);
        return false;
    }
    return true;
}

#endif
