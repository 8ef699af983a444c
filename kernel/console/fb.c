#include "fb.h"

#include "fb_pixel.h"
#include "fb_text.h"

/* The largest grid kept: 3840x2160 in the 16x32 font, or 1599 pixels wide in the 8x16 one. A
 * bigger screen uses this many cells (top left) and leaves the rest in the background colour. */
#define FB_MAX_COLS 240u
#define FB_MAX_ROWS 135u

static struct {
    bool ready;
    volatile uint32_t *base;
    uint32_t width, height, pitch_pixels;
    struct fb_pixel_layout layout;
    struct fb_text text;
} fb;

static struct fb_cell text_cells[FB_MAX_COLS * FB_MAX_ROWS];
static struct fb_cell shown_cells[FB_MAX_COLS * FB_MAX_ROWS];
static struct fb_dirty dirty_rows[FB_MAX_ROWS];
static struct fb_run_cell run_cells[FB_MAX_COLS];
#define FB_MAX_FONT_WIDTH 16u
static uint32_t scanline[FB_MAX_COLS * FB_MAX_FONT_WIDTH];

static void fill_words(volatile uint32_t *dst, uint32_t value, uint32_t count)
{
    __asm__ volatile("rep stosl" : "+D"(dst), "+c"(count) : "a"(value) : "memory");
}

/* From memory to the framebuffer: the framebuffer is only ever the destination. */
static void copy_words(volatile uint32_t *dst, const uint32_t *src, uint32_t count)
{
    __asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(count) : : "memory");
}

static volatile uint32_t *pixel_at(unsigned x, unsigned y)
{
    return fb.base + (uint32_t)y * fb.pitch_pixels + x;
}

static void sink_write(void *ctx, uint32_t x, uint32_t y, const uint32_t *pixels, uint32_t count)
{
    (void)ctx;
    copy_words(pixel_at(x, y), pixels, count);
}

static void sink_fill(void *ctx, uint32_t x, uint32_t y, uint32_t pixel, uint32_t count)
{
    (void)ctx;
    fill_words(pixel_at(x, y), pixel, count);
}

enum fb_status fb_init(const struct pagoda_framebuffer *info)
{
    enum fb_status status = fb_check(info);
    if (status != FB_READY)
        return status;
    struct fb_grid geometry;
    if (!fb_text_plan(info->width, info->height, FB_MAX_COLS, FB_MAX_ROWS, &geometry) ||
        geometry.font->width > FB_MAX_FONT_WIDTH)
        return FB_BAD_GEOMETRY;
    fb_pixel_layout_from(info, &fb.layout);
    fb.base = (volatile uint32_t *)(uintptr_t)info->base;
    fb.width = info->width;
    fb.height = info->height;
    fb.pitch_pixels = info->pitch / 4u;
    const struct fb_text_storage storage = {
        .text = text_cells,
        .shown = shown_cells,
        .dirty = dirty_rows,
        .run = run_cells,
        .scanline = scanline,
    };
    const struct fb_sink sink = {.write = sink_write, .fill = sink_fill};
    fb_text_init(&fb.text, &geometry, &storage, &sink,
                 fb_pixel_pack(&fb.layout, FB_RGB(0xD0, 0xD0, 0xD0)),
                 fb_pixel_pack(&fb.layout, FB_RGB(0x10, 0x14, 0x1C)));
    fb.ready = true;
    return FB_READY;
}

void fb_clear(void)
{
    if (!fb.ready)
        return;
    fb_text_clear(&fb.text);
    fb_text_flush(&fb.text);
}

bool fb_ready(void)
{
    return fb.ready;
}

void fb_set_colors(uint32_t foreground_rgb, uint32_t background_rgb)
{
    if (!fb.ready)
        return;
    fb_text_set_colors(&fb.text, fb_pixel_pack(&fb.layout, foreground_rgb),
                       fb_pixel_pack(&fb.layout, background_rgb));
}

void fb_text_geometry(unsigned *cols, unsigned *rows, unsigned *font_w, unsigned *font_h)
{
    *cols = fb.ready ? fb.text.g.cols : 0;
    *rows = fb.ready ? fb.text.g.rows : 0;
    *font_w = fb.ready ? fb.text.g.font->width : 0;
    *font_h = fb.ready ? fb.text.g.font->height : 0;
}

void fb_putc(char c)
{
    if (fb.ready)
        fb_text_putc(&fb.text, c);
}

void fb_flush(void)
{
    if (fb.ready)
        fb_text_flush(&fb.text);
}

void fb_show_cursor(void)
{
    if (!fb.ready)
        return;
    fb_text_show_cursor(&fb.text);
    fb_text_flush(&fb.text);
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
