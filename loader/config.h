/*
 * pagoda.cfg: one "key = value" per line, '#' starts a comment line, blank lines are ignored.
 * Keys: kernel (file next to the loader), cmdline (verbatim), debug_occupy_kernel_range (yes/no),
 * menu_timeout (seconds the boot menu waits, 0 = no menu), default (boot/test/compare: the
 * mode= word to append), paging (auto/2level/pae: the paging= word to append) and resolution
 * (WIDTHxHEIGHT or auto: the graphics mode the loader asks the firmware for, see gop.c).
 * The parser is pure C (no EFI headers) so it can be tested on the host; a bad line is reported
 * through a callback with its line number and leaves the setting it tried to change untouched.
 */
#ifndef PAGODA_LOADER_CONFIG_H
#define PAGODA_LOADER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "menu_model.h"

#define CONFIG_FILE_NAME             "pagoda.cfg"
#define CONFIG_DEFAULT_KERNEL        "pagoda.elf"
#define CONFIG_KERNEL_NAME_MAX       64  /* bytes including the NUL */
#define CONFIG_CMDLINE_MAX           256 /* bytes including the NUL */
#define CONFIG_FILE_MAX              (64u * 1024u)
#define CONFIG_RESOLUTION_MIN_WIDTH  320u
#define CONFIG_RESOLUTION_MIN_HEIGHT 200u
#define CONFIG_RESOLUTION_MAX_WIDTH  7680u /* 8K UHD */
#define CONFIG_RESOLUTION_MAX_HEIGHT 4320u

struct loader_config {
    char kernel[CONFIG_KERNEL_NAME_MAX];
    char cmdline[CONFIG_CMDLINE_MAX];
    int debug_occupy_kernel_range;
    unsigned menu_timeout; /* seconds; 0: no menu */
    int has_default_action;
    enum menu_action default_action;
    int has_paging;
    enum menu_paging paging;
    int has_resolution; /* 0: auto (EDID native mode, else the largest up to 4K) */
    uint32_t resolution_width;
    uint32_t resolution_height;
};

typedef void (*config_report_fn)(void *ctx, unsigned line, const char *what);

void config_defaults(struct loader_config *config);

/* Applies every valid line of text[0..size) to *config; returns how many lines were bad. */
unsigned config_parse(const char *text, size_t size, struct loader_config *config,
                      config_report_fn report, void *ctx);

#endif
