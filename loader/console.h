/*
 * Text output on the firmware console (ConOut; OVMF mirrors it to the serial port).
 * ASCII in, CHAR16 out, "\n" becomes "\r\n". Once boot services are gone the console is
 * switched off, so a late print can never call into dead firmware.
 */
#ifndef PAGODA_LOADER_CONSOLE_H
#define PAGODA_LOADER_CONSOLE_H

#include "uefi.h"

void console_init(SIMPLE_TEXT_OUTPUT_INTERFACE *con_out);
void console_shutdown(void);
void console_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The firmware's wording for a status ("Not Found", "Load Error", ...). */
const char *console_status_text(EFI_STATUS status);

/* Copies a CHAR16 string to ASCII (non-ASCII becomes '?'), always NUL-terminated. */
void console_char16_to_ascii(const CHAR16 *in, char *out, size_t out_size);

#endif
