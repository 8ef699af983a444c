/* Packing an RGB colour into a GOP framebuffer pixel. Pure code, host-testable. */
#ifndef PAGODA_FB_PIXEL_H
#define PAGODA_FB_PIXEL_H

#include <stdbool.h>
#include <stdint.h>

#include "pagoda/boot_info.h"

#define FB_RGB(r, g, b) (((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))

struct fb_pixel_layout {
    uint8_t shift[3]; /* red, green, blue: lowest bit of the field */
    uint8_t width[3]; /* bits in the field (0: colour not present) */
};

enum fb_status {
    FB_READY,
    FB_ABSENT,       /* the loader found no usable GOP mode */
    FB_ABOVE_4G,     /* base + size past 4 GiB: not a 32-bit virtual address */
    FB_UNSUPPORTED,  /* pixel format or depth this console does not draw */
    FB_BAD_GEOMETRY, /* pitch/size do not hold width x height pixels */
};

/* Whether the kernel's console can draw on this framebuffer today (32 bpp, below 4 GiB). */
enum fb_status fb_check(const struct pagoda_framebuffer *fb);

/* Derive the channel layout from the boot info's format and masks; false if it cannot be drawn
 * (no framebuffer, masks empty or overlapping). */
bool fb_pixel_layout_from(const struct pagoda_framebuffer *fb, struct fb_pixel_layout *out);
/* FB_RGB colour -> raw 32-bit pixel value. */
uint32_t fb_pixel_pack(const struct fb_pixel_layout *layout, uint32_t rgb);

#endif
