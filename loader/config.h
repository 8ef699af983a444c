/*
 * pagoda.cfg: one "key = value" per line, '#' starts a comment line, blank lines are ignored.
 * Keys: kernel (file next to the loader), cmdline (verbatim), debug_occupy_kernel_range (yes/no),
 * live_log (yes/no: the loader's lines on the console as they come, not only in the kernel's log),
 * menu_timeout (seconds the boot menu waits, 0 = no menu), default (boot/test/compare: the
 * mode= word to append), paging (auto/2level/pae: the paging= word to append), resolution
 * (WIDTHxHEIGHT or auto: the graphics mode the loader asks the firmware for, see gop.c), protocol
 * (auto/pagoda/multiboot1/multiboot2: how the kernel is booted) and module (FILE [string], one
 * line per module, up to PAGODA_MAX_MODULES: files loaded next to the kernel).
 * A UTF-8 byte-order mark at the start of the file (Windows editors write one) is skipped; a
 * UTF-16 file is refused with one message. The parser is pure C (no EFI headers) so it can be
 * tested on the host; a bad line is reported through a callback with its line number and leaves
 * the setting it tried to change untouched.
 */
#ifndef PAGODA_LOADER_CONFIG_H
#define PAGODA_LOADER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "menu_model.h"

#include <pagoda/boot_info.h>

#define CONFIG_FILE_NAME             "pagoda.cfg"
#define CONFIG_DEFAULT_KERNEL        "pagoda.elf"
#define CONFIG_KERNEL_NAME_MAX       64  /* bytes including the NUL */
#define CONFIG_CMDLINE_MAX           256 /* bytes including the NUL */
#define CONFIG_FILE_MAX              (64u * 1024u)
#define CONFIG_RESOLUTION_MIN_WIDTH  320u
#define CONFIG_RESOLUTION_MIN_HEIGHT 200u
#define CONFIG_RESOLUTION_MAX_WIDTH  7680u /* 8K UHD */
#define CONFIG_RESOLUTION_MAX_HEIGHT 4320u

enum config_protocol {
    CONFIG_PROTOCOL_AUTO,       /* the kernel file's headers decide (Multiboot 2, 1, else Pagoda) */
    CONFIG_PROTOCOL_PAGODA,     /* include/pagoda/boot_info.h */
    CONFIG_PROTOCOL_MULTIBOOT1, /* the file must carry a Multiboot 1 header */
    CONFIG_PROTOCOL_MULTIBOOT2, /* the file must carry a Multiboot 2 header */
};

struct config_module {
    char name[PAGODA_MODULE_NAME_LEN];     /* file next to the loader, as written */
    char string[PAGODA_MODULE_STRING_LEN]; /* the rest of the line, "" if none */
};

struct loader_config {
    char kernel[CONFIG_KERNEL_NAME_MAX];
    char cmdline[CONFIG_CMDLINE_MAX];
    int debug_occupy_kernel_range;
    int live_log; /* the loader's log on the console as it is printed, not only on failure */
    unsigned menu_timeout; /* seconds; 0: no menu */
    int has_default_action;
    enum menu_action default_action;
    int has_paging;
    enum menu_paging paging;
    int has_resolution; /* 0: auto (EDID native mode, else the largest up to 4K) */
    uint32_t resolution_width;
    uint32_t resolution_height;
    enum config_protocol protocol;
    unsigned module_count; /* 0: no module line, the loader's default applies */
    struct config_module modules[PAGODA_MAX_MODULES];
};

typedef void (*config_report_fn)(void *ctx, unsigned line, const char *what);

void config_defaults(struct loader_config *config);

/* "auto", "pagoda", "multiboot1", "multiboot2"; "?" out of range. */
const char *config_protocol_name(enum config_protocol protocol);

/* Applies every valid line of text[0..size) to *config; returns how many lines were bad. */
unsigned config_parse(const char *text, size_t size, struct loader_config *config,
                      config_report_fn report, void *ctx);

#endif
