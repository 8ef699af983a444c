/*
 * pagoda.cfg: one "key = value" per line, '#' starts a comment line, blank lines are ignored.
 * Keys: kernel (file next to the loader), cmdline (verbatim), debug_occupy_kernel_range (yes/no),
 * menu_timeout (seconds the boot menu waits, 0 = no menu), default (boot/test/compare: the
 * mode= word to append) and paging (auto/2level/pae: the paging= word to append).
 * The parser is pure C (no EFI headers) so it can be tested on the host; a bad line is reported
 * through a callback with its line number and leaves the setting it tried to change untouched.
 */
#ifndef PAGODA_LOADER_CONFIG_H
#define PAGODA_LOADER_CONFIG_H

#include <stddef.h>

#include "menu_model.h"

#define CONFIG_FILE_NAME       "pagoda.cfg"
#define CONFIG_DEFAULT_KERNEL  "pagoda.elf"
#define CONFIG_KERNEL_NAME_MAX 64  /* bytes including the NUL */
#define CONFIG_CMDLINE_MAX     256 /* bytes including the NUL */
#define CONFIG_FILE_MAX        (64u * 1024u)

struct loader_config {
    char kernel[CONFIG_KERNEL_NAME_MAX];
    char cmdline[CONFIG_CMDLINE_MAX];
    int debug_occupy_kernel_range;
    unsigned menu_timeout; /* seconds; 0: no menu */
    int has_default_action;
    enum menu_action default_action;
    int has_paging;
    enum menu_paging paging;
};

typedef void (*config_report_fn)(void *ctx, unsigned line, const char *what);

void config_defaults(struct loader_config *config);

/* Applies every valid line of text[0..size) to *config; returns how many lines were bad. */
unsigned config_parse(const char *text, size_t size, struct loader_config *config,
                      config_report_fn report, void *ctx);

#endif
