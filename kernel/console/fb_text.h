/*
 * The framebuffer console's text, kept in memory. Pure code (no hardware access), host-tested.
 *
 * Reading a framebuffer back is very slow on real hardware (it is mapped write-combining or
 * uncached), so the console never does: it keeps two grids of cells (character + colours), the
 * text it holds and the text the screen shows, and writes pixels only through a sink that has no
 * way to read them. Scrolling moves rows of text (a ring of rows: no copy at all), and
 * fb_text_flush draws just the cells whose content differs from what the screen shows, one
 * scanline of a run of cells per sink call (long sequential stores, the pattern write-combining
 * memory is fastest at).
 *
 * Scrolling redraws every row whose text changed, so scrolling one line at a time would redraw the
 * whole screen for every line of a long boot log. When the cursor passes the bottom row the text
 * jumps up by half a screen instead: every line is drawn at most twice (where it was written, and
 * once in the upper half) and half a screen of the lines before it always stays in view. A caller
 * that prints a burst of lines can also call fb_text_flush only at its end: lines that scroll away
 * before a flush are never drawn at all.
 */
#ifndef PAGODA_FB_TEXT_H
#define PAGODA_FB_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "font/font.h"

/* Wide screens get the 16x32 font so the log stays readable at 1920x1080. */
#define FB_TEXT_LARGE_FONT_MIN_WIDTH 1600u
#define FB_TEXT_MARGIN_PIXELS        8u
#define FB_TEXT_TAB_WIDTH            8u
/* Distinct pixel values the cells can use at once (a cell stores two 4-bit palette indices). */
#define FB_TEXT_COLORS 16u

/* Where pixels go. Write-only on purpose: the text module cannot read the screen. */
struct fb_sink {
    void *ctx;
    /* Store pixels[0, count) at (x, y), (x + 1, y), ...; the span never leaves the screen. */
    void (*write)(void *ctx, uint32_t x, uint32_t y, const uint32_t *pixels, uint32_t count);
    /* Store count copies of pixel from (x, y) rightwards. */
    void (*fill)(void *ctx, uint32_t x, uint32_t y, uint32_t pixel, uint32_t count);
};

struct fb_cell {
    uint8_t ch;     /* a character the font has, or '?' */
    uint8_t colors; /* foreground palette index in bits 3:0, background in bits 7:4 */
};

struct fb_grid {
    const struct font *font;
    uint32_t width, height; /* the screen, in pixels */
    uint32_t x0, y0;        /* top-left pixel of cell (0, 0) */
    unsigned cols, rows;
};

/* Per screen row: columns [from, to) may differ from what is shown (from >= to: none). */
struct fb_dirty {
    uint16_t from, to;
};

/* One cell of a run being drawn: its glyph (NULL when blank) and colours. */
struct fb_run_cell {
    const unsigned char *glyph;
    uint32_t fg, bg;
};

/* The caller's memory for a grid (fb_text_plan gives the sizes): the kernel's is static. */
struct fb_text_storage {
    struct fb_cell *text;    /* cols * rows: a ring of rows, screen row 0 at row `top` */
    struct fb_cell *shown;   /* cols * rows: what the pixels show, by screen row */
    struct fb_dirty *dirty;  /* rows */
    struct fb_run_cell *run; /* cols */
    uint32_t *scanline;      /* cols * font width pixels */
};

struct fb_text {
    struct fb_grid g;
    struct fb_text_storage s;
    struct fb_sink sink;
    uint32_t palette[FB_TEXT_COLORS];
    unsigned palette_used;
    uint8_t colors;     /* current colours, as in a cell */
    uint32_t margin_bg; /* the pixel the screen outside the cells was last filled with */
    unsigned col, row;  /* cursor, row on the screen */
    unsigned top;       /* text row shown on screen row 0 */
    unsigned scroll_step;
    /* The cursor, while shown: the cell at (cursor_col, cursor_row) is drawn in the current
     * colours swapped (its text is untouched). Any change to the text or colours hides it. */
    bool cursor_shown;
    unsigned cursor_col, cursor_row;
};

/*
 * The grid for a width x height screen: the font (16x32 from FB_TEXT_LARGE_FONT_MIN_WIDTH pixels
 * wide, else 8x16), a margin of FB_TEXT_MARGIN_PIXELS around it, at most max_cols x max_rows
 * cells (the storage the caller has). False if not one cell fits.
 */
bool fb_text_plan(uint32_t width, uint32_t height, unsigned max_cols, unsigned max_rows,
                  struct fb_grid *out);
/* Start on a screen of unknown content, the text blank: the margins are filled with bg at once,
 * every cell at the first flush (so each pixel is stored once before anything shows). */
void fb_text_init(struct fb_text *t, const struct fb_grid *g, const struct fb_text_storage *storage,
                  const struct fb_sink *sink, uint32_t fg, uint32_t bg);
/* Blank text in the current background, cursor top left. Pixels change at the next flush (every
 * cell when the background differs from the margin's, which is refilled at once; else only cells
 * with text). */
void fb_text_clear(struct fb_text *t);
/* Colours for the text written from now on (packed pixels). When more than FB_TEXT_COLORS
 * distinct pixels would be in use at once the colours stay as they were. */
void fb_text_set_colors(struct fb_text *t, uint32_t fg, uint32_t bg);
/* '\n' new line, '\r' back to column 0, '\b' one cell back (to the end of the row above from
 * column 0; nothing erased), '\a' nothing, '\t' spaces to the next multiple of
 * FB_TEXT_TAB_WIDTH or the end of the line, characters the font lacks as '?'; a full line wraps.
 * No pixels change. */
void fb_text_putc(struct fb_text *t, char c);
/* Show the cursor where the next character goes (at the next flush) until the text or colours
 * change; nothing when the row is full. */
void fb_text_show_cursor(struct fb_text *t);
/* Draw every cell whose text (or cursor) differs from what the screen shows. */
void fb_text_flush(struct fb_text *t);
/* The text at a screen position. */
struct fb_cell fb_text_cell(const struct fb_text *t, unsigned col, unsigned row);
/* A palette index's pixel value. */
uint32_t fb_text_color(const struct fb_text *t, unsigned index);

#endif
