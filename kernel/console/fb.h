/* Text console on the GOP framebuffer the loader found (kernel/main.c maps it first and passes the
 * mapped address as base). The text lives in memory (fb_text.h); pixels are only ever written. */
#ifndef PAGODA_FB_H
#define PAGODA_FB_H

#include <stdbool.h>
#include <stdint.h>

#include "fb_pixel.h"
#include "pagoda/boot_info.h"

enum fb_status fb_init(const struct pagoda_framebuffer *fb);
bool fb_ready(void);
/* Clears the screen to the background colour (at once) and puts the cursor top left. */
void fb_clear(void);
/* Into the text only: the screen shows it after the next fb_flush. */
void fb_putc(char c);
/* Draw the cells whose text changed since the screen last showed it. */
void fb_flush(void);
/* Shows the text cursor (the cell where the next character goes, in the colours swapped) until
 * the next character, colour change or clear; nothing when the row is full. Flushes. */
void fb_show_cursor(void);
void fb_set_colors(uint32_t foreground_rgb, uint32_t background_rgb);
/* Text grid and font size, for the boot log. */
void fb_text_geometry(unsigned *cols, unsigned *rows, unsigned *font_w, unsigned *font_h);
/* Write a pixel and read it back (self-test); false if the value did not stick. */
bool fb_probe_pixel(unsigned x, unsigned y, uint32_t rgb, uint32_t *written, uint32_t *read);

#endif
