/*
 * PS/2 keyboard scan codes to the bytes a serial terminal would send for the same keys, so the
 * keyboard and COM1 feed one line editor (console/tty.h). Pure code, host-tested.
 *
 * Both scan code sets a PC keyboard controller hands over are read: set 1 (what the i8042 gives
 * when it translates, the usual case) and set 2 (the keyboard's own, when translation is off).
 * Set 2 is first turned into set 1 the way the controller's translation does it, so one US
 * keymap serves both.
 *
 *   letters, digits, punctuation  ASCII, with Shift; Caps Lock inverts Shift for letters only
 *   Ctrl + letter                 the control byte (Ctrl-C = 0x03, Ctrl-D = 0x04, ...)
 *   Enter, keypad Enter           '\r'; Backspace 0x7F; Tab '\t'; Esc 0x1B
 *   arrows                        ESC [ A (up), B (down), C (right), D (left)
 *   Home, End, Delete             ESC [ H, ESC [ F, ESC [ 3 ~
 *   keypad                        its digits and operators (Num Lock is not tracked)
 * Key releases, Alt, the function keys, Pause and Print Screen make no bytes; the controller's
 * own replies (ACK 0xFA, self-test 0xAA, resend, errors) are ignored.
 */
#ifndef PAGODA_CONSOLE_SCANCODE_H
#define PAGODA_CONSOLE_SCANCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCANCODE_MAX_BYTES 4u /* the longest a key makes: ESC [ 3 ~ */

enum scancode_set {
    SCANCODE_SET1 = 1,
    SCANCODE_SET2 = 2,
};

struct scancode_decoder {
    enum scancode_set set;
    bool extended;       /* an 0xE0 prefix came */
    bool release;        /* set 2: an 0xF0 prefix came */
    uint32_t pause_left; /* bytes of the Pause key's sequence still to skip */
    bool left_shift, right_shift, left_ctrl, right_ctrl;
    bool caps_lock, caps_key_down;
};

void scancode_init(struct scancode_decoder *d, enum scancode_set set);
/* One byte from the controller. Writes the bytes of a key that went down to out and returns how
 * many (0 for prefixes, releases, modifiers, keys without a byte). */
size_t scancode_feed(struct scancode_decoder *d, uint8_t code, char out[SCANCODE_MAX_BYTES]);

#endif
