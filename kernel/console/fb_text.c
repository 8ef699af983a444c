#include "fb_text.h"

#include <stddef.h>

#define COLOR_NONE 0xFFu /* no free palette slot */

static uint8_t pack_colors(unsigned fg, unsigned bg)
{
    return (uint8_t)(fg | bg << 4);
}

static unsigned fg_of(uint8_t colors)
{
    return colors & 0xFu;
}

static unsigned bg_of(uint8_t colors)
{
    return colors >> 4;
}

/* A space looks the same whatever its foreground: store it with fg = bg, so equal pixels mean
 * equal cells and a space over a space is never redrawn. */
static struct fb_cell make_cell(char c, uint8_t colors)
{
    const struct fb_cell blank = {' ', pack_colors(bg_of(colors), bg_of(colors))};
    if (c == ' ')
        return blank;
    return (struct fb_cell){(uint8_t)c, colors};
}

static bool same_cell(struct fb_cell a, struct fb_cell b)
{
    return a.ch == b.ch && a.colors == b.colors;
}

static struct fb_cell *text_row(const struct fb_text *t, unsigned screen_row)
{
    unsigned row = t->top + screen_row;
    if (row >= t->g.rows)
        row -= t->g.rows;
    return t->s.text + (size_t)row * t->g.cols;
}

static struct fb_cell *shown_row(const struct fb_text *t, unsigned screen_row)
{
    return t->s.shown + (size_t)screen_row * t->g.cols;
}

static void blank_cells(struct fb_cell *cells, unsigned count, uint8_t colors)
{
    struct fb_cell blank = make_cell(' ', colors);
    for (unsigned i = 0; i < count; i++)
        cells[i] = blank;
}

static void mark_dirty(struct fb_text *t, unsigned row, unsigned from, unsigned to)
{
    struct fb_dirty *d = &t->s.dirty[row];
    if (d->from >= d->to) {
        d->from = (uint16_t)from;
        d->to = (uint16_t)to;
        return;
    }
    if (from < d->from)
        d->from = (uint16_t)from;
    if (to > d->to)
        d->to = (uint16_t)to;
}

static void mark_all_dirty(struct fb_text *t)
{
    for (unsigned row = 0; row < t->g.rows; row++)
        mark_dirty(t, row, 0, t->g.cols);
}

bool fb_text_plan(uint32_t width, uint32_t height, unsigned max_cols, unsigned max_rows,
                  struct fb_grid *out)
{
    const struct font *font =
        width >= FB_TEXT_LARGE_FONT_MIN_WIDTH ? &font_terminus_16x32 : &font_terminus_8x16;
    const uint32_t margins = 2 * FB_TEXT_MARGIN_PIXELS;
    if (width < margins + font->width || height < margins + font->height || max_cols == 0 ||
        max_rows == 0)
        return false;
    unsigned cols = (width - margins) / font->width;
    unsigned rows = (height - margins) / font->height;
    *out = (struct fb_grid){
        .font = font,
        .width = width,
        .height = height,
        .x0 = FB_TEXT_MARGIN_PIXELS,
        .y0 = FB_TEXT_MARGIN_PIXELS,
        .cols = cols < max_cols ? cols : max_cols,
        .rows = rows < max_rows ? rows : max_rows,
    };
    return true;
}

/* What shown holds for a cell whose pixels are not known: no text cell has character 0 (put_cell
 * stores it, and anything the font lacks, as '?'), so every cell differs from it and is drawn. */
#define CELL_UNKNOWN_CHAR 0u

/* A screen whose pixels are not known: the margins are filled with pixel now, every cell is
 * drawn at the next flush (its blank stretches as fills, so each pixel is stored once). */
static void forget_screen(struct fb_text *t, uint32_t pixel)
{
    const struct fb_grid *g = &t->g;
    const uint32_t cells_width = g->cols * g->font->width;
    const uint32_t cells_end_y = g->y0 + g->rows * g->font->height;
    for (uint32_t y = 0; y < g->height; y++) {
        if (y < g->y0 || y >= cells_end_y) {
            t->sink.fill(t->sink.ctx, 0, y, pixel, g->width);
            continue;
        }
        t->sink.fill(t->sink.ctx, 0, y, pixel, g->x0);
        if (g->x0 + cells_width < g->width)
            t->sink.fill(t->sink.ctx, g->x0 + cells_width, y, pixel,
                         g->width - g->x0 - cells_width);
    }
    t->margin_bg = pixel;
    /* Its colours are a blank cell's, so it keeps no more palette slots in use than one would. */
    const struct fb_cell unknown = {CELL_UNKNOWN_CHAR, make_cell(' ', t->colors).colors};
    for (unsigned i = 0; i < g->cols * g->rows; i++)
        t->s.shown[i] = unknown;
    mark_all_dirty(t);
}

void fb_text_init(struct fb_text *t, const struct fb_grid *g, const struct fb_text_storage *storage,
                  const struct fb_sink *sink, uint32_t fg, uint32_t bg)
{
    *t = (struct fb_text){.g = *g, .s = *storage, .sink = *sink};
    t->scroll_step = g->rows / 2 ? g->rows / 2 : 1;
    t->palette[0] = fg;
    t->palette[1] = bg;
    t->palette_used = fg == bg ? 1 : 2;
    t->colors = pack_colors(0, fg == bg ? 0 : 1);
    blank_cells(t->s.text, g->cols * g->rows, t->colors);
    for (unsigned row = 0; row < g->rows; row++)
        t->s.dirty[row] = (struct fb_dirty){0, 0};
    forget_screen(t, bg);
}

static void hide_cursor(struct fb_text *t)
{
    if (!t->cursor_shown)
        return;
    t->cursor_shown = false;
    mark_dirty(t, t->cursor_row, t->cursor_col, t->cursor_col + 1);
}

void fb_text_show_cursor(struct fb_text *t)
{
    if (t->cursor_shown || t->col >= t->g.cols)
        return;
    t->cursor_shown = true;
    t->cursor_col = t->col;
    t->cursor_row = t->row;
    mark_dirty(t, t->row, t->col, t->col + 1);
}

/* What a screen cell must show: its text, or at the cursor its text in the colours swapped. */
static struct fb_cell wanted_cell(const struct fb_text *t, unsigned row, unsigned col)
{
    struct fb_cell cell = text_row(t, row)[col];
    if (!t->cursor_shown || row != t->cursor_row || col != t->cursor_col)
        return cell;
    return make_cell((char)cell.ch, pack_colors(bg_of(t->colors), fg_of(t->colors)));
}

void fb_text_clear(struct fb_text *t)
{
    hide_cursor(t);
    uint32_t bg = t->palette[bg_of(t->colors)];
    t->top = 0;
    t->col = t->row = 0;
    blank_cells(t->s.text, t->g.cols * t->g.rows, t->colors);
    if (bg != t->margin_bg) {
        forget_screen(t, bg);
        return;
    }
    mark_all_dirty(t);
}

/* Palette slots no cell (text or shown) and no current colour refers to. */
static uint32_t used_slots(const struct fb_text *t, uint32_t keep)
{
    uint32_t used = keep | 1u << fg_of(t->colors) | 1u << bg_of(t->colors);
    unsigned cells = t->g.cols * t->g.rows;
    for (unsigned i = 0; i < cells; i++) {
        used |= 1u << fg_of(t->s.text[i].colors) | 1u << bg_of(t->s.text[i].colors);
        used |= 1u << fg_of(t->s.shown[i].colors) | 1u << bg_of(t->s.shown[i].colors);
    }
    return used;
}

/* The slot holding pixel, adding it (reusing a slot nothing refers to when all are taken). */
static unsigned color_slot(struct fb_text *t, uint32_t pixel, uint32_t keep)
{
    for (unsigned i = 0; i < t->palette_used; i++) {
        if (t->palette[i] == pixel)
            return i;
    }
    if (t->palette_used < FB_TEXT_COLORS) {
        t->palette[t->palette_used] = pixel;
        return t->palette_used++;
    }
    uint32_t used = used_slots(t, keep);
    for (unsigned i = 0; i < FB_TEXT_COLORS; i++) {
        if (!(used & (1u << i))) {
            t->palette[i] = pixel;
            return i;
        }
    }
    return COLOR_NONE;
}

void fb_text_set_colors(struct fb_text *t, uint32_t fg, uint32_t bg)
{
    hide_cursor(t);
    unsigned fg_slot = color_slot(t, fg, 0);
    if (fg_slot == COLOR_NONE)
        return;
    unsigned bg_slot = color_slot(t, bg, 1u << fg_slot);
    if (bg_slot == COLOR_NONE)
        return;
    t->colors = pack_colors(fg_slot, bg_slot);
}

/* The text moves up by scroll_step rows: the ring turns, the rows it exposes are blanked. */
static void scroll(struct fb_text *t)
{
    unsigned step = t->scroll_step;
    t->top = (t->top + step) % t->g.rows;
    for (unsigned row = t->g.rows - step; row < t->g.rows; row++)
        blank_cells(text_row(t, row), t->g.cols, t->colors);
    t->row = t->g.rows - step;
    mark_all_dirty(t);
}

static void new_line(struct fb_text *t)
{
    t->col = 0;
    if (t->row + 1 < t->g.rows)
        t->row++;
    else
        scroll(t);
}

static void put_cell(struct fb_text *t, char c)
{
    if (t->col >= t->g.cols)
        new_line(t);
    const struct font *font = t->g.font;
    unsigned code = (unsigned char)c;
    if (code == CELL_UNKNOWN_CHAR || code < font->first || code >= font->first + font->count)
        c = '?';
    text_row(t, t->row)[t->col] = make_cell(c, t->colors);
    mark_dirty(t, t->row, t->col, t->col + 1);
    t->col++;
}

void fb_text_putc(struct fb_text *t, char c)
{
    hide_cursor(t);
    switch (c) {
    case '\n':
        new_line(t);
        return;
    case '\r':
        t->col = 0;
        return;
    case '\b': /* the line editor's echo moves back this way and then overwrites */
        if (t->col > 0) {
            t->col--;
        } else if (t->row > 0) {
            t->row--;
            t->col = t->g.cols - 1;
        }
        return;
    case '\a':
        return;
    case '\t':
        do
            put_cell(t, ' ');
        while (t->col % FB_TEXT_TAB_WIDTH != 0 && t->col < t->g.cols);
        return;
    default:
        put_cell(t, c);
        return;
    }
}

/* For each value of four glyph bits, all ones in the pixels the glyph sets (leftmost pixel from
 * the top bit): four pixels cost a table row instead of a shift, a mask and a negation each. */
#define NIBBLE_MASKS(v)                                                                            \
    {                                                                                              \
        (v) & 8 ? ~0u : 0u, (v)&4 ? ~0u : 0u, (v)&2 ? ~0u : 0u, (v)&1 ? ~0u : 0u                   \
    }
static const uint32_t nibble_masks[16][4] = {
    NIBBLE_MASKS(0),  NIBBLE_MASKS(1),  NIBBLE_MASKS(2),  NIBBLE_MASKS(3),
    NIBBLE_MASKS(4),  NIBBLE_MASKS(5),  NIBBLE_MASKS(6),  NIBBLE_MASKS(7),
    NIBBLE_MASKS(8),  NIBBLE_MASKS(9),  NIBBLE_MASKS(10), NIBBLE_MASKS(11),
    NIBBLE_MASKS(12), NIBBLE_MASKS(13), NIBBLE_MASKS(14), NIBBLE_MASKS(15),
};

/* One scanline of a glyph: bits holds the row, leftmost pixel in bit (width - 1). */
static uint32_t *expand_bits(uint32_t *out, uint32_t bits, unsigned width, uint32_t fg, uint32_t bg)
{
    uint32_t flip = fg ^ bg;
    unsigned x = 0;
    for (; x + 4 <= width; x += 4) {
        const uint32_t *mask = nibble_masks[(bits >> (width - 4 - x)) & 0xFu];
        out[x] = bg ^ (flip & mask[0]);
        out[x + 1] = bg ^ (flip & mask[1]);
        out[x + 2] = bg ^ (flip & mask[2]);
        out[x + 3] = bg ^ (flip & mask[3]);
    }
    for (; x < width; x++)
        out[x] = bg ^ (flip & (0u - ((bits >> (width - 1 - x)) & 1u)));
    return out + width;
}

static uint32_t *fill_pixels(uint32_t *out, uint32_t pixel, unsigned count)
{
    for (unsigned x = 0; x < count; x++)
        out[x] = pixel;
    return out + count;
}

static uint32_t glyph_row_bits(const unsigned char *row, unsigned row_bytes)
{
    uint32_t bits = 0;
    for (unsigned i = 0; i < row_bytes; i++)
        bits = bits << 8 | row[i];
    return bits;
}

/* Draw cells [from, to) of screen row `row` as wanted_cell says, scanline by scanline. */
static void draw_run(struct fb_text *t, unsigned row, unsigned from, unsigned to)
{
    const struct font *font = t->g.font;
    const unsigned glyph_bytes = font->height * font->row_bytes;
    const uint32_t x = t->g.x0 + from * font->width;
    const uint32_t y = t->g.y0 + row * font->height;
    const uint32_t count = (to - from) * font->width;
    bool all_blank = true;
    uint32_t first_bg = t->palette[bg_of(wanted_cell(t, row, from).colors)];

    for (unsigned c = from; c < to; c++) {
        struct fb_run_cell *r = &t->s.run[c - from];
        struct fb_cell cell = wanted_cell(t, row, c);
        r->fg = t->palette[fg_of(cell.colors)];
        r->bg = t->palette[bg_of(cell.colors)];
        r->glyph = cell.ch == ' ' ? NULL : font->glyphs + (cell.ch - font->first) * glyph_bytes;
        all_blank = all_blank && r->glyph == NULL && r->bg == first_bg;
    }
    if (all_blank) {
        for (unsigned line = 0; line < font->height; line++)
            t->sink.fill(t->sink.ctx, x, y + line, first_bg, count);
        return;
    }
    for (unsigned line = 0; line < font->height; line++) {
        uint32_t *out = t->s.scanline;
        for (unsigned i = 0; i < to - from; i++) {
            const struct fb_run_cell *r = &t->s.run[i];
            uint32_t bits =
                r->glyph ? glyph_row_bits(r->glyph + line * font->row_bytes, font->row_bytes) : 0;
            out = bits ? expand_bits(out, bits, font->width, r->fg, r->bg)
                       : fill_pixels(out, r->bg, font->width);
        }
        t->sink.write(t->sink.ctx, x, y + line, t->s.scanline, count);
    }
}

/* A stretch of at least this many blank cells in one colour is drawn as a fill; a shorter one
 * (a space between words) stays in the glyph run around it: one sink call instead of three. */
#define BLANK_FILL_MIN_CELLS 4u

/* Cells from `from` (before `to`) that are blank in the colours of the first. */
static unsigned blank_stretch(const struct fb_text *t, unsigned row, unsigned from, unsigned to)
{
    struct fb_cell first = wanted_cell(t, row, from);
    if (first.ch != ' ')
        return 0;
    unsigned c = from + 1;
    while (c < to && same_cell(wanted_cell(t, row, c), first))
        c++;
    return c - from;
}

/* Cells [from, to) of a row in pieces: long blank stretches as fills (each pixel stored once),
 * the rest as glyph runs. */
static void draw_cells(struct fb_text *t, unsigned row, unsigned from, unsigned to)
{
    while (from < to) {
        unsigned blank = blank_stretch(t, row, from, to);
        unsigned end = from + blank;
        if (blank < BLANK_FILL_MIN_CELLS) {
            end = from + (blank ? blank : 1);
            while (end < to && blank_stretch(t, row, end, to) < BLANK_FILL_MIN_CELLS)
                end++;
        }
        draw_run(t, row, from, end);
        from = end;
    }
}

void fb_text_flush(struct fb_text *t)
{
    for (unsigned row = 0; row < t->g.rows; row++) {
        struct fb_dirty *d = &t->s.dirty[row];
        if (d->from >= d->to)
            continue;
        struct fb_cell *shown = shown_row(t, row);
        unsigned c = d->from;
        while (c < d->to) {
            if (same_cell(wanted_cell(t, row, c), shown[c])) {
                c++;
                continue;
            }
            unsigned from = c;
            while (c < d->to && !same_cell(wanted_cell(t, row, c), shown[c]))
                c++;
            draw_cells(t, row, from, c);
            for (unsigned i = from; i < c; i++)
                shown[i] = wanted_cell(t, row, i);
        }
        *d = (struct fb_dirty){0, 0};
    }
}

struct fb_cell fb_text_cell(const struct fb_text *t, unsigned col, unsigned row)
{
    return text_row(t, row)[col];
}

uint32_t fb_text_color(const struct fb_text *t, unsigned index)
{
    return t->palette[index];
}
