/*
 * The framebuffer console's text grid on the host (ASan/UBSan): a fake framebuffer in host memory
 * behind the write-only sink, and a plain terminal model of what the screen must show. After every
 * flush the fake's pixels must equal a from-scratch rendering of the model's text, through many
 * lines, scrolls, colour changes, tabs, carriage returns, wraps and clears. The sink is the text
 * module's only way to the pixels and has no read operation: what it stores is counted, to check
 * that only changed cells are drawn and that lines which scroll away before a flush never are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/fb_text.h"
#include "tap.h"

#define POISON 0xDEADBEEFu

/* ---- the fake framebuffer ---- */

struct fake_fb {
    uint32_t width, height;
    uint32_t *pixels;
    unsigned long stores; /* pixels stored */
    unsigned long calls;  /* sink calls */
    unsigned long out_of_bounds;
};

static void fake_store(struct fake_fb *f, uint32_t x, uint32_t y, uint32_t count)
{
    f->calls++;
    f->stores += count;
    if (y >= f->height || x > f->width || count > f->width - x)
        f->out_of_bounds++;
}

static void fake_write(void *ctx, uint32_t x, uint32_t y, const uint32_t *pixels, uint32_t count)
{
    struct fake_fb *f = ctx;
    fake_store(f, x, y, count);
    if (y < f->height && x <= f->width && count <= f->width - x)
        memcpy(f->pixels + (size_t)y * f->width + x, pixels, count * sizeof(uint32_t));
}

static void fake_fill(void *ctx, uint32_t x, uint32_t y, uint32_t pixel, uint32_t count)
{
    struct fake_fb *f = ctx;
    fake_store(f, x, y, count);
    if (y < f->height && x <= f->width && count <= f->width - x) {
        for (uint32_t i = 0; i < count; i++)
            f->pixels[(size_t)y * f->width + x + i] = pixel;
    }
}

/* ---- the model: what the console must hold, in the plainest terms ---- */

struct model_cell {
    char ch;
    uint32_t fg, bg;
};

struct model {
    unsigned cols, rows, col, row, step;
    struct model_cell *cells;
    uint32_t fg, bg, margin;
    const struct font *font;
    int cursor; /* shown at (cursor_col, cursor_row) in fg and bg swapped */
    unsigned cursor_col, cursor_row;
};

static void model_blank_row(struct model *m, unsigned row)
{
    for (unsigned c = 0; c < m->cols; c++)
        m->cells[row * m->cols + c] = (struct model_cell){' ', m->fg, m->bg};
}

static void model_new_line(struct model *m)
{
    m->col = 0;
    if (m->row + 1 < m->rows) {
        m->row++;
        return;
    }
    memmove(m->cells, m->cells + m->step * m->cols,
            (m->rows - m->step) * m->cols * sizeof(struct model_cell));
    for (unsigned r = m->rows - m->step; r < m->rows; r++)
        model_blank_row(m, r);
    m->row = m->rows - m->step;
}

static void model_put(struct model *m, char c)
{
    if (m->col >= m->cols)
        model_new_line(m);
    unsigned code = (unsigned char)c;
    if (code < m->font->first || code >= m->font->first + m->font->count)
        c = '?';
    m->cells[m->row * m->cols + m->col++] = (struct model_cell){c, m->fg, m->bg};
}

static void model_putc(struct model *m, char c)
{
    m->cursor = 0;
    if (c == '\n') {
        model_new_line(m);
    } else if (c == '\r') {
        m->col = 0;
    } else if (c == '\b') {
        if (m->col > 0) {
            m->col--;
        } else if (m->row > 0) {
            m->row--;
            m->col = m->cols - 1;
        }
    } else if (c == '\a') {
        /* nothing */
    } else if (c == '\t') {
        do
            model_put(m, ' ');
        while (m->col % 8 != 0 && m->col < m->cols);
    } else {
        model_put(m, c);
    }
}

static void model_show_cursor(struct model *m)
{
    if (m->cursor || m->col >= m->cols)
        return;
    m->cursor = 1;
    m->cursor_col = m->col;
    m->cursor_row = m->row;
}

static void model_clear(struct model *m)
{
    m->cursor = 0;
    for (unsigned r = 0; r < m->rows; r++)
        model_blank_row(m, r);
    m->col = m->row = 0;
    m->margin = m->bg; /* the whole screen ends up in the current background */
}

/* Every pixel from scratch: margin colour, then each cell from the font's bits. */
static void model_render(const struct model *m, const struct fb_grid *g, uint32_t *out)
{
    for (size_t i = 0; i < (size_t)g->width * g->height; i++)
        out[i] = m->margin;
    const struct font *font = m->font;
    for (unsigned r = 0; r < m->rows; r++) {
        for (unsigned c = 0; c < m->cols; c++) {
            struct model_cell cell = m->cells[r * m->cols + c];
            if (m->cursor && r == m->cursor_row && c == m->cursor_col)
                cell = (struct model_cell){cell.ch, m->bg, m->fg};
            const unsigned char *glyph = font->glyphs + ((unsigned char)cell.ch - font->first) *
                                                            font->height * font->row_bytes;
            for (unsigned y = 0; y < font->height; y++) {
                for (unsigned x = 0; x < font->width; x++) {
                    int on = (glyph[y * font->row_bytes + x / 8] >> (7 - x % 8)) & 1;
                    size_t at = (size_t)(g->y0 + r * font->height + y) * g->width + g->x0 +
                                c * font->width + x;
                    out[at] = on ? cell.fg : cell.bg;
                }
            }
        }
    }
}

/* ---- one console under test, with its storage, fake and model ---- */

struct rig {
    struct fb_grid g;
    struct fb_text t;
    struct fb_text_storage s;
    struct fake_fb fb;
    struct model m;
    uint32_t *expected;
};

static void rig_open(struct rig *r, uint32_t width, uint32_t height, uint32_t fg, uint32_t bg)
{
    memset(r, 0, sizeof(*r));
    if (!fb_text_plan(width, height, 1000, 1000, &r->g))
        abort();
    size_t cells = (size_t)r->g.cols * r->g.rows;
    r->s.text = calloc(cells, sizeof(struct fb_cell));
    r->s.shown = calloc(cells, sizeof(struct fb_cell));
    r->s.dirty = calloc(r->g.rows, sizeof(struct fb_dirty));
    r->s.run = calloc(r->g.cols, sizeof(struct fb_run_cell));
    r->s.scanline = calloc((size_t)r->g.cols * r->g.font->width, sizeof(uint32_t));
    r->fb = (struct fake_fb){.width = width, .height = height};
    r->fb.pixels = malloc((size_t)width * height * sizeof(uint32_t));
    r->expected = malloc((size_t)width * height * sizeof(uint32_t));
    for (size_t i = 0; i < (size_t)width * height; i++)
        r->fb.pixels[i] = POISON;
    struct fb_sink sink = {.ctx = &r->fb, .write = fake_write, .fill = fake_fill};
    fb_text_init(&r->t, &r->g, &r->s, &sink, fg, bg);
    r->m = (struct model){.cols = r->g.cols,
                          .rows = r->g.rows,
                          .step = r->g.rows / 2 ? r->g.rows / 2 : 1,
                          .fg = fg,
                          .bg = bg,
                          .margin = bg,
                          .font = r->g.font};
    r->m.cells = calloc(cells, sizeof(struct model_cell));
    model_clear(&r->m);
}

static void rig_close(struct rig *r)
{
    free(r->s.text);
    free(r->s.shown);
    free(r->s.dirty);
    free(r->s.run);
    free(r->s.scanline);
    free(r->fb.pixels);
    free(r->expected);
    free(r->m.cells);
}

static void rig_putc(struct rig *r, char c)
{
    fb_text_putc(&r->t, c);
    model_putc(&r->m, c);
}

static void rig_puts(struct rig *r, const char *s)
{
    while (*s)
        rig_putc(r, *s++);
}

static void rig_show_cursor(struct rig *r)
{
    fb_text_show_cursor(&r->t);
    model_show_cursor(&r->m);
}

static void rig_colors(struct rig *r, uint32_t fg, uint32_t bg)
{
    r->m.cursor = 0;
    fb_text_set_colors(&r->t, fg, bg);
    r->m.fg = fg;
    r->m.bg = bg;
}

static void rig_clear(struct rig *r)
{
    fb_text_clear(&r->t);
    model_clear(&r->m);
}

/* The module's text equals the model's (characters and the pixels its colours stand for). */
static int text_matches(const struct rig *r, unsigned *bad_col, unsigned *bad_row)
{
    for (unsigned row = 0; row < r->g.rows; row++) {
        for (unsigned col = 0; col < r->g.cols; col++) {
            struct fb_cell cell = fb_text_cell(&r->t, col, row);
            const struct model_cell *want = &r->m.cells[row * r->g.cols + col];
            uint32_t fg = fb_text_color(&r->t, cell.colors & 0xFu);
            uint32_t bg = fb_text_color(&r->t, cell.colors >> 4);
            if (cell.ch != (unsigned char)want->ch || bg != want->bg ||
                (want->ch != ' ' && fg != want->fg)) {
                *bad_col = col, *bad_row = row;
                return 0;
            }
        }
    }
    return 1;
}

/* Index of the first pixel that differs from the from-scratch rendering, or -1. */
static long first_wrong_pixel(struct rig *r)
{
    model_render(&r->m, &r->g, r->expected);
    for (size_t i = 0; i < (size_t)r->g.width * r->g.height; i++) {
        if (r->fb.pixels[i] != r->expected[i])
            return (long)i;
    }
    return -1;
}

static int rig_check(struct rig *r, const char *what)
{
    unsigned col = 0, row = 0;
    int text_ok = text_matches(r, &col, &row);
    long wrong = first_wrong_pixel(r);
    int ok = TAP_CHECK(text_ok && wrong < 0 && r->fb.out_of_bounds == 0,
                       "%s: text and pixels match a from-scratch rendering", what);
    if (!text_ok)
        tap_diag("  text differs at column %u row %u", col, row);
    if (wrong >= 0)
        tap_diag("  pixel (%ld, %ld) is 0x%08x, expected 0x%08x", wrong % (long)r->g.width,
                 wrong / (long)r->g.width, r->fb.pixels[wrong], r->expected[wrong]);
    return ok;
}

/* ---- tests ---- */

static const uint32_t palette[] = {0xD0D0D0, 0x5FD7FF, 0x87E087, 0xFFD75F,
                                   0xFF6B6B, 0x909090, 0x10141C, 0x203040};

static void test_plan(void)
{
    struct fb_grid g;
    TAP_CHECK(fb_text_plan(2560, 1600, 1000, 1000, &g) && g.font->width == 16 && g.cols == 159 &&
                  g.rows == 49 && g.x0 == 8 && g.y0 == 8,
              "2560x1600: 16x32 font, 159x49 cells");
    TAP_CHECK(fb_text_plan(1024, 768, 1000, 1000, &g) && g.font->width == 8 && g.cols == 126 &&
                  g.rows == 47,
              "1024x768: 8x16 font, 126x47 cells");
    TAP_CHECK(fb_text_plan(3840, 2160, 200, 60, &g) && g.cols == 200 && g.rows == 60,
              "3840x2160 with room for 200x60 cells: capped to the storage");
    TAP_CHECK(fb_text_plan(24, 32, 10, 10, &g) && g.cols == 1 && g.rows == 1,
              "24x32: exactly one cell inside the margins");
    TAP_CHECK(!fb_text_plan(23, 32, 10, 10, &g) && !fb_text_plan(24, 31, 10, 10, &g) &&
                  !fb_text_plan(0, 0, 10, 10, &g),
              "too small for one cell (or 0x0): refused, no wrap-around");
}

static void test_init_and_basics(void)
{
    struct rig r;
    rig_open(&r, 400, 200, palette[0], palette[6]);
    unsigned long cells_area = (unsigned long)r.g.cols * r.g.rows * 8 * 16;
    TAP_CHECK(r.fb.stores == 400ul * 200 - cells_area, "init stores just the margins (%lu pixels)",
              r.fb.stores);
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores == 400ul * 200,
              "init and the first flush store every pixel exactly once (%lu)", r.fb.stores);
    rig_check(&r, "after init and a flush");

    unsigned long before = r.fb.stores;
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores == before, "a flush with nothing new stores nothing");

    rig_puts(&r, "A");
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores - before == 8ul * 16, "one character: one 8x16 cell stored (%lu)",
              r.fb.stores - before);
    rig_check(&r, "one character");

    before = r.fb.stores;
    rig_puts(&r, "\rA");
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores == before, "the same character over itself is not redrawn");

    rig_puts(&r, "\rB\tx\ty\r\n");
    rig_colors(&r, palette[3], palette[6]);
    rig_puts(&r, "warn \x01\x7f\xff end");
    fb_text_flush(&r.t);
    rig_check(&r, "tabs, carriage return, colour change, characters the font lacks");

    before = r.fb.stores;
    rig_colors(&r, palette[1], palette[6]);
    rig_puts(&r, "\rwarn");
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores - before == 4ul * 8 * 16,
              "same characters in a new colour: just those 4 cells (%lu)", r.fb.stores - before);
    rig_check(&r, "recoloured");
    rig_close(&r);
}

/* A long log printed without flushing: only the last screen is ever drawn. */
static void test_burst(void)
{
    struct rig r;
    rig_open(&r, 1600, 400, palette[0], palette[6]);
    unsigned long before = r.fb.stores;
    char line[128];
    for (int i = 0; i < 500; i++) {
        rig_colors(&r, palette[i % 6], palette[6]);
        snprintf(line, sizeof(line), "line %d of the boot log\t| %s\n", i,
                 i % 7 ? "ok" : "a longer line that keeps going on and on to fill the row");
        rig_puts(&r, line);
    }
    fb_text_flush(&r.t);
    unsigned long screen = (unsigned long)r.g.cols * r.g.rows * 16 * 32;
    TAP_CHECK(r.fb.stores - before == screen,
              "500 lines then one flush: the last screen's cells stored, each pixel once (%lu of "
              "%lu)",
              r.fb.stores - before, screen);
    rig_check(&r, "500 lines, one flush (16x32 font)");
    rig_close(&r);
}

/* Flushing after every line: each line is drawn where written and at most once more after the
 * jump scroll, plus clearing; far less than redrawing the screen per line. */
static void test_line_by_line(void)
{
    struct rig r;
    rig_open(&r, 400, 200, palette[0], palette[6]);
    unsigned long before = r.fb.stores;
    const unsigned lines = 200;
    char text[64];
    for (unsigned i = 0; i < lines; i++) {
        snprintf(text, sizeof(text), "%03u 456789abcdefghijklmnopqrstuvwxyz0123456789\n", i);
        rig_puts(&r, text);
        fb_text_flush(&r.t);
    }
    unsigned long line_area = (unsigned long)(strlen(text) - 1) * 8 * 16;
    unsigned long stores = r.fb.stores - before;
    TAP_CHECK(stores <= 3 * lines * line_area,
              "200 lines flushed one by one: %lu pixels stored, at most 3 line areas a line "
              "(%lu)",
              stores, 3 * lines * line_area);
    TAP_CHECK(stores >= lines * line_area, "(and at least one line area a line: %lu)", stores);
    rig_check(&r, "line by line");
    rig_close(&r);
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* Random text, colours, controls, wraps, clears and flush points, checked at every flush. */
static void test_random(uint32_t width, uint32_t height, unsigned steps)
{
    struct rig r;
    rig_open(&r, width, height, palette[0], palette[6]);
    unsigned flushes = 0, bad = 0;
    for (unsigned i = 0; i < steps; i++) {
        uint32_t pick = rng() % 100;
        if (pick < 60) {
            unsigned len = rng() % 40;
            for (unsigned k = 0; k < len; k++)
                rig_putc(&r, (char)(' ' + rng() % 96)); /* includes 0x7f, which the font lacks */
        } else if (pick < 75) {
            rig_putc(&r, '\n');
        } else if (pick < 80) {
            rig_putc(&r, '\t');
        } else if (pick < 82) {
            rig_putc(&r, '\r');
        } else if (pick < 84) {
            rig_putc(&r, rng() % 4 ? '\b' : '\a');
        } else if (pick < 86) {
            rig_show_cursor(&r);
        } else if (pick < 93) {
            rig_colors(&r, palette[rng() % 8], palette[6 + rng() % 2]);
        } else if (pick < 94) {
            rig_clear(&r);
        } else {
            unsigned len = r.g.cols + rng() % (2 * r.g.cols); /* wraps */
            for (unsigned k = 0; k < len; k++)
                rig_putc(&r, (char)('a' + k % 26));
        }
        if (rng() % 8 == 0) {
            fb_text_flush(&r.t);
            flushes++;
            unsigned col, row;
            if (!text_matches(&r, &col, &row) || first_wrong_pixel(&r) >= 0) {
                if (bad++ == 0)
                    rig_check(&r, "first failing random step");
            }
        }
    }
    fb_text_flush(&r.t);
    TAP_CHECK(bad == 0, "%ux%u: %u random steps, %u flushes, every one matched", width, height,
              steps, flushes);
    rig_check(&r, "after the random steps");
    rig_close(&r);
}

/* More distinct colours than the palette holds: refused while in use, reused once not. */
static void test_palette_exhaustion(void)
{
    struct rig r;
    rig_open(&r, 400, 200, 0x000001, 0x000000);
    /* 15 more foregrounds, one character each: all 16 slots referenced */
    for (uint32_t i = 2; i <= FB_TEXT_COLORS; i++) {
        rig_colors(&r, i, 0x000000);
        rig_putc(&r, 'x');
    }
    fb_text_flush(&r.t);
    uint8_t before = r.t.colors;
    fb_text_set_colors(&r.t, 0xABCDEF, 0x000000); /* the model keeps its colours too */
    TAP_CHECK(r.t.colors == before, "a 17th colour while 16 are on screen: colours unchanged");
    rig_putc(&r, 'y');
    fb_text_flush(&r.t);
    rig_check(&r, "after the refused colour");

    rig_clear(&r);
    fb_text_flush(&r.t);
    rig_colors(&r, 0xABCDEF, 0x000000);
    TAP_CHECK(fb_text_color(&r.t, r.t.colors & 0xFu) == 0xABCDEF,
              "after a clear and a flush the slot is free again");
    rig_puts(&r, "new colour");
    fb_text_flush(&r.t);
    rig_check(&r, "reused palette slot");
    rig_close(&r);
}

/* A clear in a new background repaints the whole screen, margins included. */
static void test_clear_new_background(void)
{
    struct rig r;
    rig_open(&r, 400, 200, palette[0], palette[6]);
    rig_puts(&r, "some text\nmore");
    fb_text_flush(&r.t);
    rig_colors(&r, palette[0], palette[7]);
    rig_clear(&r);
    fb_text_flush(&r.t);
    rig_check(&r, "clear in a new background");
    unsigned long before = r.fb.stores;
    rig_colors(&r, palette[2], palette[7]);
    rig_clear(&r);
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores == before,
              "clearing a blank screen in its own background stores nothing");
    rig_close(&r);
}

/* The line editor's echo: the cursor follows the text, '\b' steps back over a wrap, a shown
 * cursor costs one cell and hiding it puts the cell back exactly. */
static void test_cursor_and_backspace(void)
{
    struct rig r;
    rig_open(&r, 400, 200, palette[0], palette[6]);
    rig_puts(&r, "pagoda$ ");
    rig_show_cursor(&r);
    fb_text_flush(&r.t);
    rig_check(&r, "cursor after a prompt, on a blank cell");
    unsigned long before = r.fb.stores;
    rig_show_cursor(&r);
    fb_text_flush(&r.t);
    TAP_CHECK(r.fb.stores == before, "showing a shown cursor again stores nothing");
    rig_puts(&r, "wlak");
    rig_show_cursor(&r);
    rig_puts(&r, "\b\b\b");
    rig_show_cursor(&r);
    fb_text_flush(&r.t);
    rig_check(&r, "cursor moved back over text by backspace");
    before = r.fb.stores;
    rig_puts(&r, "alk");
    fb_text_flush(&r.t);
    unsigned cell_pixels = r.g.font->width * r.g.font->height;
    /* "wlak" becomes "walk": the cursor's cell and the next change, the 'k' stays */
    TAP_CHECK(r.fb.stores - before == 2u * cell_pixels,
              "retyping \"lak\" as \"alk\" over the cursor draws two cells (%lu pixels)",
              r.fb.stores - before);
    rig_check(&r, "hidden cursor, text retyped");

    rig_putc(&r, '\n');
    for (unsigned i = 0; i < r.g.cols; i++)
        rig_putc(&r, 'x');
    rig_putc(&r, 'y'); /* wraps */
    rig_puts(&r, "\b\b");
    rig_show_cursor(&r);
    fb_text_flush(&r.t);
    rig_check(&r, "backspace from column 0 to the end of the row above");
    TAP_CHECK(r.t.row == 1 && r.t.col == r.g.cols - 1, "cursor at the last column of row 1");
    rig_colors(&r, palette[2], palette[7]);
    fb_text_flush(&r.t);
    rig_check(&r, "a colour change hides the cursor");
    rig_close(&r);
}

int main(void)
{
    test_plan();
    test_init_and_basics();
    test_burst();
    test_line_by_line();
    test_random(400, 200, 20000);
    test_random(1600, 300, 2000);
    test_random(24, 32, 2000); /* one cell */
    test_random(40, 64, 3000); /* three cells, three rows: step 1 */
    test_palette_exhaustion();
    test_clear_new_background();
    test_cursor_and_backspace();
    return tap_done();
}
