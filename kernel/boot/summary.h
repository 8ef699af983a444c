/*
 * The one-screen summary a person without a serial cable reads: after the boot log (which
 * scrolls off a real screen), the framebuffer is redrawn with firmware, CPU paging features,
 * memory per type, paging mode and tables, and the boot phases. Serial keeps the full log.
 * Sized for 1024x768 with the 8x16 font (126x47 cells) and 1920x1080 with 16x32 (119x33).
 */
#ifndef PAGODA_BOOT_SUMMARY_H
#define PAGODA_BOOT_SUMMARY_H

#include "bootlog.h"

void summary_show(const struct bootlog_context *ctx);

#endif
