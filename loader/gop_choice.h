/*
 * Which graphics mode the loader asks the firmware for, without any UEFI: the panel's native size
 * read from its EDID, the mode list the GOP offers, and an optional `resolution = WxH` from
 * pagoda.cfg go in; one mode number and the reason for it come out. Pure C, host-tested in
 * tests/matrix/test_gop_choice.c.
 *
 * Order of preference: the configured size (if the firmware offers it), the EDID preferred timing
 * (if offered), then the largest (widest, then tallest) mode no bigger than GOP_CHOICE_MAX_WIDTH x
 * GOP_CHOICE_MAX_HEIGHT (a 4K framebuffer is already 32 MiB; bigger ones only slow a software
 * console down). Modes without a linear framebuffer (PixelBltOnly) are never chosen: the kernel
 * could not draw on them.
 */
#ifndef PAGODA_LOADER_GOP_CHOICE_H
#define PAGODA_LOADER_GOP_CHOICE_H

#include <stddef.h>
#include <stdint.h>

#define GOP_CHOICE_MAX_WIDTH  3840u
#define GOP_CHOICE_MAX_HEIGHT 2160u

/* EDID 1.x base block (VESA E-EDID 1.4, section 3). */
#define EDID_BLOCK_SIZE       128u
#define EDID_HEADER_SIZE      8u
#define EDID_VERSION_OFFSET   18u /* 1 for every 1.x structure */
#define EDID_FIRST_DTD_OFFSET 54u /* first 18-byte descriptor: the preferred timing */
#define EDID_DTD_SIZE         18u

struct gop_size {
    uint32_t width;
    uint32_t height;
};

struct gop_mode {
    uint32_t number; /* the firmware's mode number */
    struct gop_size size;
    int has_framebuffer; /* 0 for PixelBltOnly */
};

enum gop_reason {
    GOP_REASON_NONE,          /* no mode has a framebuffer */
    GOP_REASON_CONFIG,        /* resolution = WxH from pagoda.cfg */
    GOP_REASON_EDID,          /* the panel's preferred timing */
    GOP_REASON_LARGEST,       /* largest mode within the 4K bound */
    GOP_REASON_SMALLEST_OVER, /* every mode is above the bound: the smallest of them */
};

struct gop_pick {
    int index; /* into the mode array; -1 with GOP_REASON_NONE */
    enum gop_reason reason;
    int config_not_offered; /* a configured size was asked for but no usable mode has it */
    int edid_not_offered;   /* the EDID native size is not among the usable modes */
};

/*
 * Reads the preferred (first detailed) timing of an EDID block: returns 1 and its active size,
 * or 0 when the block is too short, has a bad header or checksum, or the first descriptor is
 * not a timing (pixel clock 0: a display descriptor such as the monitor name).
 */
int edid_preferred_size(const uint8_t *edid, size_t size, struct gop_size *native);

/* CONFIG and NATIVE may be NULL (not set / no EDID). */
struct gop_pick gop_choose(const struct gop_mode *modes, size_t count,
                           const struct gop_size *config, const struct gop_size *native);

const char *gop_reason_text(enum gop_reason reason);

#endif
