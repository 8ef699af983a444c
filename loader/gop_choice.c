#include "gop_choice.h"

static const uint8_t edid_header[EDID_HEADER_SIZE] = {0x00, 0xff, 0xff, 0xff,
                                                      0xff, 0xff, 0xff, 0x00};

/* Offsets inside an 18-byte detailed timing descriptor. */
#define EDID_DTD_CLOCK_LOW    0 /* pixel clock in 10 kHz units, little endian; 0: not a timing */
#define EDID_DTD_CLOCK_HIGH   1
#define EDID_DTD_HACTIVE_LOW  2
#define EDID_DTD_HACTIVE_HIGH 4 /* upper nibble: bits 11..8 of the horizontal active pixels */
#define EDID_DTD_VACTIVE_LOW  5
#define EDID_DTD_VACTIVE_HIGH 7 /* upper nibble: bits 11..8 of the vertical active lines */

int edid_preferred_size(const uint8_t *edid, size_t size, struct gop_size *native)
{
    uint8_t sum = 0;

    if (edid == NULL || size < EDID_BLOCK_SIZE)
        return 0;
    for (size_t i = 0; i < EDID_HEADER_SIZE; i++)
        if (edid[i] != edid_header[i])
            return 0;
    for (size_t i = 0; i < EDID_BLOCK_SIZE; i++)
        sum = (uint8_t)(sum + edid[i]);
    if (sum != 0 || edid[EDID_VERSION_OFFSET] != 1)
        return 0;
    const uint8_t *dtd = edid + EDID_FIRST_DTD_OFFSET;
    if (dtd[EDID_DTD_CLOCK_LOW] == 0 && dtd[EDID_DTD_CLOCK_HIGH] == 0)
        return 0;
    uint32_t width = dtd[EDID_DTD_HACTIVE_LOW] | (uint32_t)(dtd[EDID_DTD_HACTIVE_HIGH] >> 4) << 8;
    uint32_t height = dtd[EDID_DTD_VACTIVE_LOW] | (uint32_t)(dtd[EDID_DTD_VACTIVE_HIGH] >> 4) << 8;
    if (width == 0 || height == 0)
        return 0;
    native->width = width;
    native->height = height;
    return 1;
}

static int gop_find_size(const struct gop_mode *modes, size_t count, struct gop_size size)
{
    for (size_t i = 0; i < count; i++)
        if (modes[i].has_framebuffer && modes[i].size.width == size.width &&
            modes[i].size.height == size.height)
            return (int)i;
    return -1;
}

/*
 * Wider wins, then taller: firmware lists odd square modes (2048x2048 on QEMU) that have more
 * pixels than the widescreen ones a panel actually has, and width is what a console shows.
 */
static int gop_bigger(const struct gop_mode *a, const struct gop_mode *b)
{
    if (a->size.width != b->size.width)
        return a->size.width > b->size.width;
    return a->size.height > b->size.height;
}

static int gop_within_bound(const struct gop_mode *mode)
{
    return mode->size.width <= GOP_CHOICE_MAX_WIDTH && mode->size.height <= GOP_CHOICE_MAX_HEIGHT;
}

static int gop_largest_within_bound(const struct gop_mode *modes, size_t count)
{
    int best = -1;
    for (size_t i = 0; i < count; i++)
        if (modes[i].has_framebuffer && gop_within_bound(&modes[i]) &&
            (best < 0 || gop_bigger(&modes[i], &modes[best])))
            best = (int)i;
    return best;
}

static int gop_smallest_usable(const struct gop_mode *modes, size_t count)
{
    int best = -1;
    for (size_t i = 0; i < count; i++)
        if (modes[i].has_framebuffer && (best < 0 || gop_bigger(&modes[best], &modes[i])))
            best = (int)i;
    return best;
}

struct gop_pick gop_choose(const struct gop_mode *modes, size_t count,
                           const struct gop_size *config, const struct gop_size *native)
{
    struct gop_pick pick = {-1, GOP_REASON_NONE, 0, 0};

    if (config != NULL) {
        pick.index = gop_find_size(modes, count, *config);
        if (pick.index >= 0) {
            pick.reason = GOP_REASON_CONFIG;
            return pick;
        }
        pick.config_not_offered = 1;
    }
    if (native != NULL) {
        pick.index = gop_find_size(modes, count, *native);
        if (pick.index >= 0) {
            pick.reason = GOP_REASON_EDID;
            return pick;
        }
        pick.edid_not_offered = 1;
    }
    pick.index = gop_largest_within_bound(modes, count);
    if (pick.index >= 0) {
        pick.reason = GOP_REASON_LARGEST;
        return pick;
    }
    pick.index = gop_smallest_usable(modes, count);
    pick.reason = pick.index >= 0 ? GOP_REASON_SMALLEST_OVER : GOP_REASON_NONE;
    return pick;
}

const char *gop_reason_text(enum gop_reason reason)
{
    switch (reason) {
    case GOP_REASON_CONFIG:
        return "resolution from pagoda.cfg";
    case GOP_REASON_EDID:
        return "the display's native mode (EDID preferred timing)";
    case GOP_REASON_LARGEST:
        return "the largest mode up to 3840x2160";
    case GOP_REASON_SMALLEST_OVER:
        return "every mode is larger than 3840x2160: the smallest of them";
    case GOP_REASON_NONE:
    default:
        return "no mode has a linear framebuffer";
    }
}
