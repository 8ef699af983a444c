/*
 * The i8042 PS/2 controller and the keyboard on its first port. Many UEFI PCs have no i8042 at
 * all once boot services are gone (their keyboards are USB, served by the firmware only), so
 * every step is a probe with a deadline: a controller or keyboard that does not answer in time
 * is reported as absent, never waited for.
 */
#ifndef PAGODA_CONSOLE_PS2_H
#define PAGODA_CONSOLE_PS2_H

#include <stdbool.h>
#include <stdint.h>

#include "scancode.h"

struct ps2_keyboard {
    bool controller;       /* an i8042 answered and passed its self-test */
    bool keyboard;         /* a keyboard on port 1 answered its reset: IRQ 1 is on */
    enum scancode_set set; /* what arrives: set 1 when the controller translates */
    char why_not[96];      /* when !keyboard: which step failed */
};

/* Sets up the controller and the keyboard (interrupts off, every IRQ masked). tsc_hz times the
 * deadlines. On success the controller raises IRQ 1 for each byte; the caller unmasks it. */
void ps2_keyboard_start(uint64_t tsc_hz, struct ps2_keyboard *out);
/* The next byte from the keyboard, or -1 when none is waiting (bytes from port 2 are dropped). */
int ps2_read_byte(void);

#endif
