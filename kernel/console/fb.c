#include "fb.h"

#include "fb_pixel.h"
#include "font/font.h"

/* Wide screens get the 16x32 font so the log stays readable at 1920x1080. */
#define FB_LARGE_FONT_MIN_WIDTH 1600u
#define FB_TAB_WIDTH            8u
#define FB_MARGIN_PIXELS        8u
/* Scrolling moves the whole text area; doing it a quarter screen at a time instead of per line
 * makes a 150-line boot log ~10x cheaper (each move is megabytes, slow on uncached memory). */
#define FB_SCROLL_FRACTION 4u

static struct {
    bool ready;
    volatile uint32_t *base;
    uint32_t width, height, pitch_pixels;
    struct fb_pixel_layout layout;
    const struct font *font;
    unsigned cols, rows, col, row;
    uint32_t fg, bg; /* packed pixels */
    /* The cursor's cell is inverted (each pixel XORed with cursor_mask) while it is shown; the
     * same XOR puts the cell back, whatever colours were set in between. */
    bool cursor_shown;
    unsigned cursor_col, cursor_row;
    uint32_t cursor_mask;
} fb;

static void fill_words(volatile uint32_t *dst, uint32_t value, uint32_t count)
{
    __asm__ volatile("rep stosl" : "+D"(dst), "+c"(count) : "a"(value) : "memory");
}

/* Forward copy, correct for scrolling up (dst below src); rep movsl avoids a byte loop. */
static void copy_words(volatile uint32_t *dst, const volatile uint32_t *src, uint32_t count)
{
    __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(count) : : "memory");
}

static volatile uint32_t *pixel_at(unsigned x, unsigned y)
{
    return fb.base + (uint32_t)y * fb.pitch_pixels + x;
}

enum fb_status fb_init(const struct pagoda_framebuffer *info)
{
    enum fb_status status = fb_check(info);
    if (status != FB_READY)
        return status;
    fb_pixel_layout_from(info, &fb.layout);
    fb.base = (volatile uint32_t *)(uintptr_t)info->base;
    fb.width = info->width;
    fb.height = info->height;
    fb.pitch_pixels = info->pitch / 4u;
    fb.font = info->width >= FB_LARGE_FONT_MIN_WIDTH ? &font_terminus_16x32 : &font_terminus_8x16;
    fb.cols = (fb.width - 2 * FB_MARGIN_PIXELS) / fb.font->width;
    fb.rows = (fb.height - 2 * FB_MARGIN_PIXELS) / fb.font->height;
    fb.col = fb.row = 0;
    fb.ready = fb.cols > 0 && fb.rows > 0;
    if (!fb.ready)
        return FB_BAD_GEOMETRY;
    fb_set_colors(FB_RGB(0xD0, 0xD0, 0xD0), FB_RGB(0x10, 0x14, 0x1C));
    fb_clear();
    return FB_READY;
}

static void invert_cell(unsigned col, unsigned row, uint32_t mask)
{
    unsigned x0 = FB_MARGIN_PIXELS + col * fb.font->width;
    unsigned y0 = FB_MARGIN_PIXELS + row * fb.font->height;
    for (unsigned y = 0; y < fb.font->height; y++) {
        volatile uint32_t *line = pixel_at(x0, y0 + y);
        for (unsigned x = 0; x < fb.font->width; x++)
            line[x] ^= mask;
    }
}

static void hide_cursor(void)
{
    if (!fb.cursor_shown)
        return;
    invert_cell(fb.cursor_col, fb.cursor_row, fb.cursor_mask);
    fb.cursor_shown = false;
}

void fb_show_cursor(void)
{
    if (!fb.ready || fb.cursor_shown || fb.col >= fb.cols)
        return;
    fb.cursor_col = fb.col;
    fb.cursor_row = fb.row;
    fb.cursor_mask = fb.fg ^ fb.bg;
    invert_cell(fb.col, fb.row, fb.cursor_mask);
    fb.cursor_shown = true;
}

void fb_clear(void)
{
    if (!fb.base)
        return;
    fb.cursor_shown = false;
    for (uint32_t y = 0; y < fb.height; y++)
        fill_words(pixel_at(0, y), fb.bg, fb.width);
    fb.col = fb.row = 0;
}

bool fb_ready(void)
{
    return fb.ready;
}

void fb_set_colors(uint32_t foreground_rgb, uint32_t background_rgb)
{
    fb.fg = fb_pixel_pack(&fb.layout, foreground_rgb);
    fb.bg = fb_pixel_pack(&fb.layout, background_rgb);
}

void fb_text_geometry(unsigned *cols, unsigned *rows, unsigned *font_w, unsigned *font_h)
{
    *cols = fb.cols;
    *rows = fb.rows;
    *font_w = fb.font ? fb.font->width : 0;
    *font_h = fb.font ? fb.font->height : 0;
}

static void draw_glyph(unsigned col, unsigned row, char c)
{
    const struct font *font = fb.font;
    unsigned code = (unsigned char)c;
    if (code < font->first || code >= font->first + font->count)
        code = '?';
    const unsigned char *glyph =
        font->glyphs + (code - font->first) * font->height * font->row_bytes;
    unsigned x0 = FB_MARGIN_PIXELS + col * font->width;
    unsigned y0 = FB_MARGIN_PIXELS + row * font->height;
    for (unsigned y = 0; y < font->height; y++) {
        const unsigned char *bits = glyph + y * font->row_bytes;
        volatile uint32_t *line = pixel_at(x0, y0 + y);
        for (unsigned x = 0; x < font->width; x++)
            line[x] = (bits[x / 8] & (0x80u >> (x % 8))) ? fb.fg : fb.bg;
    }
}

/* Move text rows [lines, rows) up to row 0 and clear the freed rows at the bottom. */
static void scroll_up(unsigned lines)
{
    unsigned shift_pixels = lines * fb.font->height;
    unsigned top = FB_MARGIN_PIXELS;
    unsigned text_height = fb.rows * fb.font->height;
    copy_words(pixel_at(0, top), pixel_at(0, top + shift_pixels),
               (text_height - shift_pixels) * fb.pitch_pixels);
    for (unsigned y = top + text_height - shift_pixels; y < top + text_height; y++)
        fill_words(pixel_at(0, y), fb.bg, fb.width);
}

static void new_line(void)
{
    fb.col = 0;
    if (fb.row + 1 < fb.rows) {
        fb.row++;
        return;
    }
    unsigned lines = fb.rows / FB_SCROLL_FRACTION;
    if (lines == 0)
        lines = 1;
    scroll_up(lines);
    fb.row = fb.rows - lines;
}

void fb_putc(char c)
{
    if (!fb.ready)
        return;
    hide_cursor();
    switch (c) {
    case '\n':
        new_line();
        return;
    case '\r':
        fb.col = 0;
        return;
    case '\b': /* one column left, nothing erased (the line editor's echo relies on it) */
        if (fb.col > 0) {
            fb.col--;
        } else if (fb.row > 0) {
            fb.row--;
            fb.col = fb.cols - 1;
        }
        return;
    case '\a':
        return; /* the bell: nothing to show */
    case '\t':
        do
            fb_putc(' ');
        while (fb.col % FB_TAB_WIDTH != 0);
        return;
    default:
        break;
    }
    if (fb.col >= fb.cols)
        new_line();
    draw_glyph(fb.col, fb.row, c);
    fb.col++;
}

bool fb_probe_pixel(unsigned x, unsigned y, uint32_t rgb, uint32_t *written, uint32_t *read)
{
    if (!fb.ready || x >= fb.width || y >= fb.height)
        return false;
    volatile uint32_t *pixel = pixel_at(x, y);
    uint32_t saved = *pixel;
    *written = fb_pixel_pack(&fb.layout, rgb);
    *pixel = *written;
    *read = *pixel;
    *pixel = saved;
    return *read == *written;
}
