/*
 * Text output on the firmware console (ConOut; OVMF mirrors it to the serial port), and the
 * loader's log, which keeps every line for the kernel.
 * ASCII in, CHAR16 out, "\n" becomes "\r\n". Once boot services are gone the console is
 * switched off, so a late print can never call into dead firmware.
 */
#ifndef PAGODA_LOADER_CONSOLE_H
#define PAGODA_LOADER_CONSOLE_H

#include "uefi.h"

#include "pagoda/boot_info.h"

/* SHOW_AS_PRINTED 0: lines go to the log only, for the kernel (pagoda/boot_info.h), until
 * console_go_live; 1: on the console as well, as they are printed. */
void console_init(SIMPLE_TEXT_OUTPUT_INTERFACE *con_out, int show_as_printed);
void console_shutdown(void);
/* Into the log; on the console too once it is live. */
void console_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Into the log and on the console now, live or not, after the lines logged before it (the
 * banner; the image base, which a debugger needs before the kernel runs). */
void console_print_shown(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Everything logged and not yet shown goes on the console, and so does every later line. */
void console_go_live(void);
/* The log as the kernel gets it, in CAPACITY bytes at OUT (text cut to fit, the rest counted). */
void console_copy_log(struct pagoda_loader_log *out, size_t capacity);

/* The firmware's wording for a status ("Not Found", "Load Error", ...). */
const char *console_status_text(EFI_STATUS status);

/* Copies a CHAR16 string to ASCII (non-ASCII becomes '?'), always NUL-terminated. */
void console_char16_to_ascii(const CHAR16 *in, char *out, size_t out_size);

#endif
