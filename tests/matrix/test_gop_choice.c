/*
 * The loader's graphics-mode choice on the host: EDID preferred-timing parsing, the order
 * config > EDID > largest-within-4K, blit-only modes skipped, and the pagoda.cfg `resolution` key
 * (good values applied, bad ones reported with their line number and the default kept).
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "gop_choice.h"
#include "tap.h"

#define EDID_CHECKSUM_OFFSET 127

/* A minimal valid EDID 1.4 block whose first detailed timing is WIDTH x HEIGHT. */
static void edid_make(uint8_t edid[EDID_BLOCK_SIZE], uint32_t width, uint32_t height)
{
    static const uint8_t header[EDID_HEADER_SIZE] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
    uint8_t sum = 0;

    memset(edid, 0, EDID_BLOCK_SIZE);
    memcpy(edid, header, sizeof(header));
    edid[EDID_VERSION_OFFSET] = 1;
    edid[EDID_VERSION_OFFSET + 1] = 4;
    uint8_t *dtd = edid + EDID_FIRST_DTD_OFFSET;
    dtd[0] = 0x02, dtd[1] = 0x3a; /* 148.50 MHz */
    dtd[2] = (uint8_t)width;
    dtd[4] = (uint8_t)((width >> 8) << 4);
    dtd[5] = (uint8_t)height;
    dtd[7] = (uint8_t)((height >> 8) << 4);
    for (int i = 0; i < EDID_CHECKSUM_OFFSET; i++)
        sum = (uint8_t)(sum + edid[i]);
    edid[EDID_CHECKSUM_OFFSET] = (uint8_t)(0x100 - sum);
}

static void test_edid(void)
{
    uint8_t edid[EDID_BLOCK_SIZE];
    struct gop_size native = {0, 0};

    edid_make(edid, 1920, 1080);
    TAP_CHECK(edid_preferred_size(edid, sizeof(edid), &native) && native.width == 1920 &&
                  native.height == 1080,
              "EDID 1920x1080 preferred timing read (got %ux%u)", native.width, native.height);
    edid_make(edid, 2560, 1440);
    TAP_CHECK(edid_preferred_size(edid, sizeof(edid), &native) && native.width == 2560 &&
                  native.height == 1440,
              "EDID 2560x1440: the upper nibbles carry bits 11..8 (got %ux%u)", native.width,
              native.height);
    edid_make(edid, 3840, 2160);
    TAP_CHECK(edid_preferred_size(edid, sizeof(edid), &native) && native.width == 3840 &&
                  native.height == 2160,
              "EDID 3840x2160 read (got %ux%u)", native.width, native.height);

    edid_make(edid, 1920, 1080);
    TAP_CHECK(!edid_preferred_size(edid, EDID_BLOCK_SIZE - 1, &native),
              "a block shorter than 128 bytes is refused");
    TAP_CHECK(!edid_preferred_size(NULL, EDID_BLOCK_SIZE, &native), "no EDID at all is refused");
    edid[EDID_CHECKSUM_OFFSET]++;
    TAP_CHECK(!edid_preferred_size(edid, sizeof(edid), &native), "a bad checksum is refused");
    edid_make(edid, 1920, 1080);
    edid[1] = 0xfe, edid[EDID_CHECKSUM_OFFSET]++;
    TAP_CHECK(!edid_preferred_size(edid, sizeof(edid), &native), "a bad header is refused");
    edid_make(edid, 1920, 1080);
    edid[EDID_VERSION_OFFSET] = 2, edid[EDID_CHECKSUM_OFFSET]--;
    TAP_CHECK(!edid_preferred_size(edid, sizeof(edid), &native), "EDID version 2 is refused");
    edid_make(edid, 1920, 1080);
    edid[EDID_FIRST_DTD_OFFSET] = 0, edid[EDID_FIRST_DTD_OFFSET + 1] = 0;
    edid[EDID_CHECKSUM_OFFSET] = (uint8_t)(edid[EDID_CHECKSUM_OFFSET] + 0x02 + 0x3a);
    TAP_CHECK(!edid_preferred_size(edid, sizeof(edid), &native),
              "a display descriptor (pixel clock 0) in the first slot is not a timing");
}

#define MODE(n, w, h, fb)                                                                          \
    {                                                                                              \
        (n), {(w), (h)}, (fb)                                                                      \
    }

/* Shaped like OVMF's list: the current mode first, odd square modes, one blit-only mode. */
static const struct gop_mode ovmf_like[] = {
    MODE(0, 1280, 800, 1),  MODE(1, 640, 480, 1),   MODE(2, 1024, 768, 1),
    MODE(3, 1920, 1080, 1), MODE(4, 2048, 2048, 1), MODE(5, 2560, 1600, 1),
    MODE(6, 3840, 2160, 0), MODE(7, 5120, 2880, 1), MODE(8, 1366, 768, 1),
};
#define OVMF_LIKE_COUNT (sizeof(ovmf_like) / sizeof(ovmf_like[0]))

static void test_choose(void)
{
    struct gop_size s1920 = {1920, 1080}, s1366 = {1366, 768}, s4k = {3840, 2160};
    struct gop_size s5k = {5120, 2880}, s800 = {800, 600};
    struct gop_pick p;

    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, NULL, NULL);
    TAP_CHECK(p.index == 5 && p.reason == GOP_REASON_LARGEST,
              "no config, no EDID: widest within 4K (2560x1600 over 2048x2048, 5K skipped): %d",
              p.index);
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, &s1920, &s1366);
    TAP_CHECK(p.index == 3 && p.reason == GOP_REASON_CONFIG && !p.config_not_offered,
              "configured 1920x1080 beats the EDID size: %d", p.index);
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, NULL, &s1366);
    TAP_CHECK(p.index == 8 && p.reason == GOP_REASON_EDID, "EDID 1366x768 chosen: %d", p.index);
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, &s800, &s1366);
    TAP_CHECK(p.index == 8 && p.reason == GOP_REASON_EDID && p.config_not_offered,
              "configured 800x600 not offered: EDID next, and said so: %d", p.index);
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, &s4k, NULL);
    TAP_CHECK(p.index == 5 && p.config_not_offered && p.reason == GOP_REASON_LARGEST,
              "configured 3840x2160 is blit-only: never chosen, largest usable instead: %d",
              p.index);
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, NULL, &s4k);
    TAP_CHECK(p.index == 5 && p.edid_not_offered, "EDID 3840x2160 blit-only: largest instead");
    p = gop_choose(ovmf_like, OVMF_LIKE_COUNT, &s5k, NULL);
    TAP_CHECK(p.index == 7 && p.reason == GOP_REASON_CONFIG,
              "a configured size above the 4K bound is honoured when offered: %d", p.index);

    static const struct gop_mode huge[] = {MODE(0, 7680, 4320, 1), MODE(1, 5120, 2880, 1),
                                           MODE(2, 1024, 768, 0)};
    p = gop_choose(huge, 3, NULL, NULL);
    TAP_CHECK(p.index == 1 && p.reason == GOP_REASON_SMALLEST_OVER,
              "every usable mode above 4K: the smallest of them: %d", p.index);

    static const struct gop_mode blit_only[] = {MODE(0, 1024, 768, 0), MODE(1, 800, 600, 0)};
    p = gop_choose(blit_only, 2, &s800, NULL);
    TAP_CHECK(p.index == -1 && p.reason == GOP_REASON_NONE,
              "only blit-only modes: none chosen, even when configured");
    p = gop_choose(NULL, 0, NULL, NULL);
    TAP_CHECK(p.index == -1 && p.reason == GOP_REASON_NONE, "an empty mode list: none chosen");

    static const struct gop_mode same_width[] = {MODE(4, 1920, 1080, 1), MODE(9, 1920, 1200, 1)};
    p = gop_choose(same_width, 2, NULL, NULL);
    TAP_CHECK(p.index == 1, "same width: the taller mode wins");
    TAP_CHECK(strstr(gop_reason_text(GOP_REASON_EDID), "EDID") != NULL,
              "the EDID reason says EDID");
}

struct report_log {
    unsigned lines[8];
    unsigned count;
    char last[160];
};

static void report(void *ctx, unsigned line, const char *what)
{
    struct report_log *log = ctx;
    if (log->count < 8)
        log->lines[log->count] = line;
    log->count++;
    snprintf(log->last, sizeof(log->last), "%s", what);
}

static void test_config(void)
{
    static const char *const bad[] = {
        "1920",      "1920x",     "x1080",     "1920x1080x", "99999x1080",  "1920x99999",
        "100x100",   "1920*1080", "",          "-1920x1080", "1920 x 1080", "19a0x1080",
        "7681x4320", "7680x4321", "automatic", "0x0",
    };
    struct loader_config config;
    struct report_log log;
    char text[96];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&log, 0, sizeof(log));
        config_defaults(&config);
        int n = snprintf(text, sizeof(text), "# comment\nresolution = %s\n", bad[i]);
        unsigned bad_lines = config_parse(text, (size_t)n, &config, report, &log);
        TAP_CHECK(bad_lines == 1 && log.count == 1 && log.lines[0] == 2 && !config.has_resolution &&
                      strstr(log.last, "resolution") != NULL,
                  "resolution = '%s' refused on line 2, auto kept (%s)", bad[i], log.last);
    }

    memset(&log, 0, sizeof(log));
    config_defaults(&config);
    const char good[] = "resolution = 1920x1080\n";
    TAP_CHECK(config_parse(good, sizeof(good) - 1, &config, report, &log) == 0 &&
                  config.has_resolution && config.resolution_width == 1920 &&
                  config.resolution_height == 1080,
              "resolution = 1920x1080 applied");
    const char upper[] = "resolution=7680X4320\nresolution = 320x200\n";
    TAP_CHECK(config_parse(upper, sizeof(upper) - 1, &config, report, &log) == 0 &&
                  config.resolution_width == 320 && config.resolution_height == 200,
              "the bounds 7680X4320 and 320x200 are accepted, the last line wins");
    const char back[] = "resolution = auto\n";
    TAP_CHECK(config_parse(back, sizeof(back) - 1, &config, report, &log) == 0 &&
                  !config.has_resolution,
              "resolution = auto goes back to the automatic choice");
    const char bad_then_good[] = "resolution = 1920x1080\nresolution = huge\n";
    config_defaults(&config);
    TAP_CHECK(config_parse(bad_then_good, sizeof(bad_then_good) - 1, &config, NULL, NULL) == 1 &&
                  config.has_resolution && config.resolution_width == 1920,
              "a bad line after a good one leaves the good value");
}

int main(void)
{
    test_edid();
    test_choose();
    test_config();
    return tap_done();
}
