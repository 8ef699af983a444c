/* kprintf: one printf for every console (COM1 always, the framebuffer when reachable). */
#ifndef PAGODA_CONSOLE_H
#define PAGODA_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "pagoda/boot_info.h"

enum console_color {
    CONSOLE_NORMAL,
    CONSOLE_HEADING,
    CONSOLE_GOOD,
    CONSOLE_WARN,
    CONSOLE_BAD,
    CONSOLE_DIM,
};

void console_init_serial(void);
/* Attach the framebuffer console; prints (to serial) why not when it cannot. */
void console_attach_framebuffer(const struct pagoda_framebuffer *fb);
void console_set_color(enum console_color color);

__attribute__((format(printf, 1, 2))) void kprintf(const char *fmt, ...);
/* Bytes as they are (a process's output), to every console. */
void console_write(const char *buf, size_t len);
__attribute__((format(printf, 1, 0))) void kvprintf(const char *fmt, va_list ap);
/* The framebuffer alone (serial untouched), for the one-screen summary: clear it, write to it.
 * Both do nothing when there is no framebuffer console. */
void console_screen_clear(void);
__attribute__((format(printf, 2, 3))) void console_screen_printf(enum console_color color,
                                                                 const char *fmt, ...);
bool console_has_screen(void);
/* The screen's text cursor, until the next output: where typed characters go. */
void console_show_cursor(void);

/*
 * The framebuffer shows what was printed when each print call returns. A caller about to print a
 * burst of lines holds the screen instead, and it is drawn once when released: the lines that
 * scrolled away meanwhile are never drawn. Holds nest. console_flush draws now and ends every
 * hold: the kernel calls it before it stops, so a report printed during a hold is seen.
 */
void console_hold_screen(void);
void console_release_screen(void);
void console_flush(void);

/* A section title in the heading colour: "== title ==". */
__attribute__((format(printf, 1, 2))) void kheading(const char *fmt, ...);

#endif
