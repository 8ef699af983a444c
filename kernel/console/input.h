/*
 * What the console receives: COM1 (IRQ 4) and the PS/2 keyboard (IRQ 1, when an i8042 and a
 * keyboard answer), both through the 8259, merged into one line editor (console/tty.h) whose
 * finished lines read() serves. The keyboard's scan codes become the bytes a serial terminal
 * sends for the same keys (console/scancode.h), so both edit the same line the same way; the
 * echo goes to every console.
 *
 * The interrupt handlers run with interrupts off, like the whole kernel; the trap layer calls
 * them, sends the end of interrupt, and then lets the processes see what changed.
 */
#ifndef PAGODA_CONSOLE_INPUT_H
#define PAGODA_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scancode.h"

/* Starts both sources and says on every console what answered (a missing keyboard is said on
 * the screen, since that is where someone would type). Unmasks IRQ 4 and IRQ 1 at the 8259
 * only for a source that is there. tsc_hz times the keyboard's probe. */
void console_input_start(uint64_t tsc_hz);

/* The interrupt handlers: everything the device holds goes through the line editor. */
void console_input_serial_interrupt(void);
void console_input_keyboard_interrupt(void);

/* At most len bytes of the oldest finished line, 0 once per end of input (Ctrl-D), or -1 when no
 * line is finished yet. */
int console_input_read(char *buf, size_t len);
bool console_input_readable(void);
/* Ctrl-C since the last call. */
uint32_t console_input_take_interrupts(void);

struct console_input_stats {
    bool serial;           /* COM1's receive interrupt is on */
    bool keyboard;         /* a PS/2 keyboard answered: IRQ 1 is on */
    bool interrupts_reach; /* the 8259 reaches the CPU (local APIC LINT0 in ExtINT mode) */
    enum scancode_set keyboard_set;
    uint64_t serial_interrupts, serial_bytes;
    uint64_t keyboard_interrupts, keyboard_bytes;
};
const struct console_input_stats *console_input_stats(void);

#endif
