#include "console.h"

#include "fb.h"
#include "fb_pixel.h"
#include "fmt.h"
#include "serial.h"

static const uint32_t console_palette[] = {
    [CONSOLE_NORMAL] = FB_RGB(0xD0, 0xD0, 0xD0), [CONSOLE_HEADING] = FB_RGB(0x5F, 0xD7, 0xFF),
    [CONSOLE_GOOD] = FB_RGB(0x87, 0xE0, 0x87),   [CONSOLE_WARN] = FB_RGB(0xFF, 0xD7, 0x5F),
    [CONSOLE_BAD] = FB_RGB(0xFF, 0x6B, 0x6B),    [CONSOLE_DIM] = FB_RGB(0x90, 0x90, 0x90),
};
#define CONSOLE_BACKGROUND FB_RGB(0x10, 0x14, 0x1C)

static unsigned screen_holds;

/* The end of every print call is a flush point, unless a burst holds the screen. */
static void flush_screen(void)
{
    if (screen_holds == 0)
        fb_flush();
}

void console_hold_screen(void)
{
    screen_holds++;
}

void console_release_screen(void)
{
    if (screen_holds)
        screen_holds--;
    flush_screen();
}

void console_flush(void)
{
    screen_holds = 0;
    fb_flush();
}

static void console_putc(void *ctx, char c)
{
    (void)ctx;
    serial_putc(c);
    fb_putc(c);
}

void console_init_serial(void)
{
    serial_init();
}

void console_set_color(enum console_color color)
{
    if (fb_ready())
        fb_set_colors(console_palette[color], CONSOLE_BACKGROUND);
}

void console_attach_framebuffer(const struct pagoda_framebuffer *info)
{
    switch (fb_init(info)) {
    case FB_READY:
        return;
    case FB_ABSENT:
        kprintf("console: no framebuffer from the loader: serial only\n");
        return;
    case FB_ABOVE_4G:
        kprintf("console: framebuffer at 0x%llx above 4 GiB: not reachable yet, serial only\n",
                (unsigned long long)info->base);
        return;
    case FB_UNSUPPORTED:
        kprintf("console: framebuffer format %u, %u bits per pixel: not supported, serial only\n",
                info->format, info->bits_per_pixel);
        return;
    case FB_BAD_GEOMETRY:
        kprintf("console: framebuffer %ux%u pitch %u size 0x%llx is inconsistent: serial only\n",
                info->width, info->height, info->pitch, (unsigned long long)info->size);
        return;
    }
}

static void screen_putc(void *ctx, char c)
{
    (void)ctx;
    fb_putc(c);
}

void console_show_cursor(void)
{
    fb_show_cursor();
}

bool console_has_screen(void)
{
    return fb_ready();
}

void console_screen_clear(void)
{
    if (!fb_ready())
        return;
    console_set_color(CONSOLE_NORMAL);
    fb_clear();
}

void console_screen_printf(enum console_color color, const char *fmt, ...)
{
    if (!fb_ready())
        return;
    va_list ap;
    va_start(ap, fmt);
    console_set_color(color);
    pg_vformat(screen_putc, 0, fmt, ap);
    console_set_color(CONSOLE_NORMAL);
    va_end(ap);
    flush_screen();
}

void kvprintf(const char *fmt, va_list ap)
{
    pg_vformat(console_putc, 0, fmt, ap);
    flush_screen();
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void kheading(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_set_color(CONSOLE_HEADING);
    kprintf("== ");
    kvprintf(fmt, ap);
    kprintf(" ==\n");
    console_set_color(CONSOLE_NORMAL);
    va_end(ap);
}

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        console_putc(0, buf[i]);
    flush_screen();
}
