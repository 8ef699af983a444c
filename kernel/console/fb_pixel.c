#include "fb_pixel.h"

static bool layout_from_mask(uint32_t mask, uint8_t *shift, uint8_t *width)
{
    if (mask == 0)
        return false;
    uint8_t s = 0;
    while (!(mask & (1u << s)))
        s++;
    uint8_t w = 0;
    while (s + w < 32 && (mask & (1u << (s + w))))
        w++;
    if (s + w < 32 && (mask >> (s + w)) != 0)
        return false; /* the mask is not one contiguous field */
    *shift = s;
    *width = w;
    return true;
}

bool fb_pixel_layout_from(const struct pagoda_framebuffer *fb, struct fb_pixel_layout *out)
{
    uint32_t masks[3];
    switch (fb->format) {
    case PAGODA_PIXEL_RGBX:
        masks[0] = 0x000000FFu, masks[1] = 0x0000FF00u, masks[2] = 0x00FF0000u;
        break;
    case PAGODA_PIXEL_BGRX:
        masks[0] = 0x00FF0000u, masks[1] = 0x0000FF00u, masks[2] = 0x000000FFu;
        break;
    case PAGODA_PIXEL_BITMASK:
        masks[0] = fb->red_mask, masks[1] = fb->green_mask, masks[2] = fb->blue_mask;
        if ((masks[0] & masks[1]) || (masks[0] & masks[2]) || (masks[1] & masks[2]))
            return false;
        break;
    default:
        return false;
    }
    for (int i = 0; i < 3; i++) {
        if (!layout_from_mask(masks[i], &out->shift[i], &out->width[i]))
            return false;
    }
    return true;
}

static uint32_t scale_channel(uint32_t value8, uint8_t width)
{
    if (width >= 8)
        return value8 << (width - 8);
    return value8 >> (8 - width);
}

uint32_t fb_pixel_pack(const struct fb_pixel_layout *layout, uint32_t rgb)
{
    uint32_t channel[3] = {(rgb >> 16) & 0xFFu, (rgb >> 8) & 0xFFu, rgb & 0xFFu};
    uint32_t pixel = 0;
    for (int i = 0; i < 3; i++) {
        uint32_t field = scale_channel(channel[i], layout->width[i]);
        pixel |= field << layout->shift[i];
    }
    return pixel;
}

enum fb_status fb_check(const struct pagoda_framebuffer *info)
{
    struct fb_pixel_layout layout;
    if (info->format == PAGODA_PIXEL_NONE || info->base == 0)
        return FB_ABSENT;
    if (info->bits_per_pixel != 32 || !fb_pixel_layout_from(info, &layout))
        return FB_UNSUPPORTED;
    if (info->width == 0 || info->height == 0 || info->pitch < info->width * 4ull ||
        info->pitch % 4u != 0 || info->size < (uint64_t)info->pitch * info->height)
        return FB_BAD_GEOMETRY;
    if (info->base > (1ull << 32) ||
        (uint64_t)info->pitch * info->height > (1ull << 32) - info->base)
        return FB_ABOVE_4G;
    return FB_READY;
}
