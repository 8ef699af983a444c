/* The PS/2 scan-code decoder (kernel/console/scancode.c) on the host: every key of a US keyboard
 * in both scan code sets, with and without Shift, Caps Lock and Ctrl, the extended keys, and the
 * sequences that must make nothing. The make codes below are from the scan code tables of the
 * IBM PC AT keyboard (set 1 is the XT's, which the i8042 translates set 2 into). */
#include <stdio.h>
#include <string.h>

#include "console/scancode.h"
#include "tap.h"

struct key {
    const char *name;
    uint8_t set1, set2; /* make codes */
    const char *plain, *shifted;
};

static const struct key keys[] = {
    {"Esc", 0x01, 0x76, "\x1b", "\x1b"},  {"1", 0x02, 0x16, "1", "!"},
    {"2", 0x03, 0x1E, "2", "@"},          {"3", 0x04, 0x26, "3", "#"},
    {"4", 0x05, 0x25, "4", "$"},          {"5", 0x06, 0x2E, "5", "%"},
    {"6", 0x07, 0x36, "6", "^"},          {"7", 0x08, 0x3D, "7", "&"},
    {"8", 0x09, 0x3E, "8", "*"},          {"9", 0x0A, 0x46, "9", "("},
    {"0", 0x0B, 0x45, "0", ")"},          {"-", 0x0C, 0x4E, "-", "_"},
    {"=", 0x0D, 0x55, "=", "+"},          {"Backspace", 0x0E, 0x66, "\x7f", "\x7f"},
    {"Tab", 0x0F, 0x0D, "\t", "\t"},      {"q", 0x10, 0x15, "q", "Q"},
    {"w", 0x11, 0x1D, "w", "W"},          {"e", 0x12, 0x24, "e", "E"},
    {"r", 0x13, 0x2D, "r", "R"},          {"t", 0x14, 0x2C, "t", "T"},
    {"y", 0x15, 0x35, "y", "Y"},          {"u", 0x16, 0x3C, "u", "U"},
    {"i", 0x17, 0x43, "i", "I"},          {"o", 0x18, 0x44, "o", "O"},
    {"p", 0x19, 0x4D, "p", "P"},          {"[", 0x1A, 0x54, "[", "{"},
    {"]", 0x1B, 0x5B, "]", "}"},          {"Enter", 0x1C, 0x5A, "\r", "\r"},
    {"a", 0x1E, 0x1C, "a", "A"},          {"s", 0x1F, 0x1B, "s", "S"},
    {"d", 0x20, 0x23, "d", "D"},          {"f", 0x21, 0x2B, "f", "F"},
    {"g", 0x22, 0x34, "g", "G"},          {"h", 0x23, 0x33, "h", "H"},
    {"j", 0x24, 0x3B, "j", "J"},          {"k", 0x25, 0x42, "k", "K"},
    {"l", 0x26, 0x4B, "l", "L"},          {";", 0x27, 0x4C, ";", ":"},
    {"'", 0x28, 0x52, "'", "\""},         {"`", 0x29, 0x0E, "`", "~"},
    {"\\", 0x2B, 0x5D, "\\", "|"},        {"z", 0x2C, 0x1A, "z", "Z"},
    {"x", 0x2D, 0x22, "x", "X"},          {"c", 0x2E, 0x21, "c", "C"},
    {"v", 0x2F, 0x2A, "v", "V"},          {"b", 0x30, 0x32, "b", "B"},
    {"n", 0x31, 0x31, "n", "N"},          {"m", 0x32, 0x3A, "m", "M"},
    {",", 0x33, 0x41, ",", "<"},          {".", 0x34, 0x49, ".", ">"},
    {"/", 0x35, 0x4A, "/", "?"},          {"keypad *", 0x37, 0x7C, "*", "*"},
    {"Space", 0x39, 0x29, " ", " "},      {"keypad 7", 0x47, 0x6C, "7", "7"},
    {"keypad 8", 0x48, 0x75, "8", "8"},   {"keypad 9", 0x49, 0x7D, "9", "9"},
    {"keypad -", 0x4A, 0x7B, "-", "-"},   {"keypad 4", 0x4B, 0x6B, "4", "4"},
    {"keypad 5", 0x4C, 0x73, "5", "5"},   {"keypad 6", 0x4D, 0x74, "6", "6"},
    {"keypad +", 0x4E, 0x79, "+", "+"},   {"keypad 1", 0x4F, 0x69, "1", "1"},
    {"keypad 2", 0x50, 0x72, "2", "2"},   {"keypad 3", 0x51, 0x7A, "3", "3"},
    {"keypad 0", 0x52, 0x70, "0", "0"},   {"keypad .", 0x53, 0x71, ".", "."},
    {"102nd key", 0x56, 0x61, "\\", "|"}, {"F1", 0x3B, 0x05, "", ""},
    {"F7", 0x41, 0x83, "", ""},           {"F12", 0x58, 0x07, "", ""},
    {"Num Lock", 0x45, 0x77, "", ""},     {"Scroll Lock", 0x46, 0x7E, "", ""},
    {"Left Alt", 0x38, 0x11, "", ""},
};
#define KEY_COUNT (sizeof(keys) / sizeof(keys[0]))

/* E0-prefixed keys: set 1 and set 2 codes after the prefix. */
static const struct key extended[] = {
    {"Up", 0x48, 0x75, "\x1b[A", "\x1b[A"},
    {"Down", 0x50, 0x72, "\x1b[B", "\x1b[B"},
    {"Right", 0x4D, 0x74, "\x1b[C", "\x1b[C"},
    {"Left", 0x4B, 0x6B, "\x1b[D", "\x1b[D"},
    {"Home", 0x47, 0x6C, "\x1b[H", "\x1b[H"},
    {"End", 0x4F, 0x69, "\x1b[F", "\x1b[F"},
    {"Delete", 0x53, 0x71, "\x1b[3~", "\x1b[3~"},
    {"keypad Enter", 0x1C, 0x5A, "\r", "\r"},
    {"keypad /", 0x35, 0x4A, "/", "/"},
    {"Insert", 0x52, 0x70, "", ""},
    {"Page Up", 0x49, 0x7D, "", ""},
    {"Right Alt", 0x38, 0x11, "", ""},
};
#define EXTENDED_COUNT (sizeof(extended) / sizeof(extended[0]))

static struct scancode_decoder d;
static char out[64];
static size_t out_len;

/* Feeds the codes (a NUL-free list, ended by count) and collects what came out. */
static const char *feed(const uint8_t *codes, size_t count)
{
    out_len = 0;
    for (size_t i = 0; i < count; i++) {
        char bytes[SCANCODE_MAX_BYTES];
        size_t n = scancode_feed(&d, codes[i], bytes);
        if (n > SCANCODE_MAX_BYTES || out_len + n >= sizeof(out))
            return "<overflow>";
        memcpy(out + out_len, bytes, n);
        out_len += n;
    }
    out[out_len] = 0;
    return out;
}

#define FEED(...) feed((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* Press and release of one key, in either set, with an optional E0 prefix. */
static const char *press(enum scancode_set set, uint8_t code, int ext)
{
    uint8_t codes[6];
    size_t n = 0;
    if (ext)
        codes[n++] = 0xE0;
    codes[n++] = code;
    if (ext)
        codes[n++] = 0xE0;
    if (set == SCANCODE_SET2)
        codes[n++] = 0xF0;
    codes[n++] = set == SCANCODE_SET1 ? (uint8_t)(code | 0x80) : code;
    return feed(codes, n);
}

static void shift_down(enum scancode_set set, int down)
{
    if (set == SCANCODE_SET1)
        FEED(down ? 0x2A : 0xAA);
    else if (down)
        FEED(0x12);
    else
        FEED(0xF0, 0x12);
}

static void test_every_key(enum scancode_set set)
{
    unsigned wrong = 0, wrong_shifted = 0;
    scancode_init(&d, set);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        uint8_t code = set == SCANCODE_SET1 ? keys[i].set1 : keys[i].set2;
        if (strcmp(press(set, code, 0), keys[i].plain) != 0 && wrong++ < 3)
            tap_diag("set %d, %s: got \"%s\"", set, keys[i].name, out);
        shift_down(set, 1);
        if (strcmp(press(set, code, 0), keys[i].shifted) != 0 && wrong_shifted++ < 3)
            tap_diag("set %d, Shift-%s: got \"%s\"", set, keys[i].name, out);
        shift_down(set, 0);
    }
    TAP_CHECK(wrong == 0, "set %d: all %zu keys make their US characters", set, KEY_COUNT);
    TAP_CHECK(wrong_shifted == 0, "set %d: and with Shift", set);
    wrong = 0;
    for (size_t i = 0; i < EXTENDED_COUNT; i++) {
        uint8_t code = set == SCANCODE_SET1 ? extended[i].set1 : extended[i].set2;
        if (strcmp(press(set, code, 1), extended[i].plain) != 0 && wrong++ < 3)
            tap_diag("set %d, %s: got \"%s\"", set, extended[i].name, out);
    }
    TAP_CHECK(wrong == 0, "set %d: the %zu extended keys (arrows as ESC [ A..D, ...)", set,
              EXTENDED_COUNT);
}

static void test_modifiers_set1(void)
{
    scancode_init(&d, SCANCODE_SET1);
    TAP_CHECK(strcmp(FEED(0x36, 0x1E, 0xB6, 0x1E), "Aa") == 0, "Right Shift, and its release");
    TAP_CHECK(strcmp(FEED(0x3A, 0xBA, 0x1E, 0x02), "A1") == 0,
              "Caps Lock: letters upper case, digits not");
    TAP_CHECK(strcmp(FEED(0x2A, 0x1E, 0x02, 0xAA), "a!") == 0,
              "Caps Lock with Shift: letters lower case, digits shifted");
    TAP_CHECK(strcmp(FEED(0x3A, 0x3A, 0x3A, 0xBA, 0x1E), "a") == 0,
              "Caps Lock held (typematic repeat) toggles once");
    TAP_CHECK(strcmp(FEED(0x1D, 0x2E, 0x20, 0x9D, 0x2E), "\x03\x04"
                                                         "c") == 0,
              "Ctrl-C and Ctrl-D are 0x03 and 0x04");
    TAP_CHECK(strcmp(FEED(0xE0, 0x1D, 0x2E, 0xE0, 0x9D, 0x2E), "\x03"
                                                               "c") == 0,
              "Right Ctrl (E0 1D) too");
    TAP_CHECK(strcmp(FEED(0x1D, 0x3A, 0xBA, 0x2E, 0x9D, 0x3A, 0xBA), "\x03") == 0,
              "Ctrl with Caps Lock: still Ctrl-C");
    TAP_CHECK(strcmp(FEED(0x1D, 0x02, 0x9D), "1") == 0, "Ctrl with a digit: the digit");
    TAP_CHECK(strcmp(FEED(0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E), "a") == 0,
              "Pause (E1 1D 45 E1 9D C5) makes nothing and leaves no state");
    TAP_CHECK(strcmp(FEED(0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA, 0x1E), "a") == 0,
              "Print Screen with its fake Shift (E0 2A) makes nothing, Shift stays up");
    TAP_CHECK(strcmp(FEED(0xFA, 0xFE, 0x00, 0xFF, 0x1E), "a") == 0,
              "ACK, resend and error bytes make nothing");
    TAP_CHECK(strcmp(FEED(0x1E, 0x1E, 0x1E, 0x9E), "aaa") == 0,
              "typematic repeat of a letter repeats it");
}

static void test_modifiers_set2(void)
{
    scancode_init(&d, SCANCODE_SET2);
    TAP_CHECK(strcmp(FEED(0x59, 0x1C, 0xF0, 0x59, 0x1C), "Aa") == 0, "set 2: Right Shift");
    TAP_CHECK(strcmp(FEED(0x58, 0xF0, 0x58, 0x1C, 0x58, 0xF0, 0x58, 0x1C), "Aa") == 0,
              "set 2: Caps Lock on and off");
    TAP_CHECK(strcmp(FEED(0x14, 0x21, 0xF0, 0x21, 0xF0, 0x14, 0x21), "\x03"
                                                                     "c") == 0,
              "set 2: Ctrl-C");
    TAP_CHECK(strcmp(FEED(0xE0, 0x14, 0x23, 0xE0, 0xF0, 0x14, 0x23), "\x04"
                                                                     "d") == 0,
              "set 2: Right Ctrl (E0 14)");
    TAP_CHECK(strcmp(FEED(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77, 0x1C), "a") == 0,
              "set 2: Pause (E1 14 77 E1 F0 14 F0 77) makes nothing");
    TAP_CHECK(strcmp(FEED(0xAA, 0xFA, 0xEE, 0xFE, 0x00, 0xFF, 0x84, 0x1C), "a") == 0,
              "set 2: self-test, ACK, echo, resend, errors and unknown codes make nothing");
    TAP_CHECK(strcmp(FEED(0xE0, 0x75, 0xE0, 0xF0, 0x75, 0xF0, 0x1C, 0x1C), "\x1b[Aa") == 0,
              "set 2: a release (F0) makes nothing, the next make is a key again");
}

static void test_every_byte(void)
{
    /* Nothing a keyboard could send overruns the output or leaves a prefix hanging forever. */
    unsigned bad = 0;
    for (int set = SCANCODE_SET1; set <= SCANCODE_SET2; set++)
        for (unsigned a = 0; a < 256; a++)
            for (unsigned b = 0; b < 256; b++) {
                scancode_init(&d, (enum scancode_set)set);
                uint8_t codes[2] = {(uint8_t)a, (uint8_t)b};
                if (strcmp(feed(codes, 2), "<overflow>") == 0)
                    bad++;
            }
    TAP_CHECK(bad == 0, "every pair of bytes in both sets decodes within SCANCODE_MAX_BYTES");
}

int main(void)
{
    test_every_key(SCANCODE_SET1);
    test_every_key(SCANCODE_SET2);
    test_modifiers_set1();
    test_modifiers_set2();
    test_every_byte();
    return tap_done();
}
