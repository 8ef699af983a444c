#include "scancode.h"

/* Set 1 make codes the decoder acts on (a release is the make code with bit 7 set). */
#define SET1_RELEASE      0x80u
#define SET1_LEFT_CTRL    0x1Du
#define SET1_LEFT_SHIFT   0x2Au
#define SET1_RIGHT_SHIFT  0x36u
#define SET1_CAPS_LOCK    0x3Au
#define SET1_ENTER        0x1Cu
#define SET1_KEYPAD_SLASH 0x35u /* with the 0xE0 prefix */
#define SET1_HOME         0x47u /* the extended keys, all with 0xE0 */
#define SET1_UP           0x48u
#define SET1_LEFT         0x4Bu
#define SET1_RIGHT        0x4Du
#define SET1_END          0x4Fu
#define SET1_DOWN         0x50u
#define SET1_DELETE       0x53u
#define SET1_CODES        0x59u

#define PREFIX_EXTENDED   0xE0u
#define PREFIX_PAUSE      0xE1u
#define SET2_PREFIX_BREAK 0xF0u
/* Pause: E1 1D 45 E1 9D C5 in set 1, E1 14 77 E1 F0 14 F0 77 in set 2; the bytes after E1. */
#define SET1_PAUSE_TAIL 5u
#define SET2_PAUSE_TAIL 7u
#define ESC             0x1B
#define DEL             0x7F

/* The US layout by set 1 make code: without Shift, with Shift. 0: no byte. */
static const char plain[SET1_CODES] = {
    [0x01] = ESC,  [0x02] = '1', [0x03] = '2',  [0x04] = '3',  [0x05] = '4',  [0x06] = '5',
    [0x07] = '6',  [0x08] = '7', [0x09] = '8',  [0x0A] = '9',  [0x0B] = '0',  [0x0C] = '-',
    [0x0D] = '=',  [0x0E] = DEL, [0x0F] = '\t', [0x10] = 'q',  [0x11] = 'w',  [0x12] = 'e',
    [0x13] = 'r',  [0x14] = 't', [0x15] = 'y',  [0x16] = 'u',  [0x17] = 'i',  [0x18] = 'o',
    [0x19] = 'p',  [0x1A] = '[', [0x1B] = ']',  [0x1C] = '\r', [0x1E] = 'a',  [0x1F] = 's',
    [0x20] = 'd',  [0x21] = 'f', [0x22] = 'g',  [0x23] = 'h',  [0x24] = 'j',  [0x25] = 'k',
    [0x26] = 'l',  [0x27] = ';', [0x28] = '\'', [0x29] = '`',  [0x2B] = '\\', [0x2C] = 'z',
    [0x2D] = 'x',  [0x2E] = 'c', [0x2F] = 'v',  [0x30] = 'b',  [0x31] = 'n',  [0x32] = 'm',
    [0x33] = ',',  [0x34] = '.', [0x35] = '/',  [0x37] = '*',  [0x39] = ' ',  [0x47] = '7',
    [0x48] = '8',  [0x49] = '9', [0x4A] = '-',  [0x4B] = '4',  [0x4C] = '5',  [0x4D] = '6',
    [0x4E] = '+',  [0x4F] = '1', [0x50] = '2',  [0x51] = '3',  [0x52] = '0',  [0x53] = '.',
    [0x56] = '\\',
};
static const char shifted[SET1_CODES] = {
    [0x01] = ESC, [0x02] = '!', [0x03] = '@',  [0x04] = '#',  [0x05] = '$', [0x06] = '%',
    [0x07] = '^', [0x08] = '&', [0x09] = '*',  [0x0A] = '(',  [0x0B] = ')', [0x0C] = '_',
    [0x0D] = '+', [0x0E] = DEL, [0x0F] = '\t', [0x10] = 'Q',  [0x11] = 'W', [0x12] = 'E',
    [0x13] = 'R', [0x14] = 'T', [0x15] = 'Y',  [0x16] = 'U',  [0x17] = 'I', [0x18] = 'O',
    [0x19] = 'P', [0x1A] = '{', [0x1B] = '}',  [0x1C] = '\r', [0x1E] = 'A', [0x1F] = 'S',
    [0x20] = 'D', [0x21] = 'F', [0x22] = 'G',  [0x23] = 'H',  [0x24] = 'J', [0x25] = 'K',
    [0x26] = 'L', [0x27] = ':', [0x28] = '"',  [0x29] = '~',  [0x2B] = '|', [0x2C] = 'Z',
    [0x2D] = 'X', [0x2E] = 'C', [0x2F] = 'V',  [0x30] = 'B',  [0x31] = 'N', [0x32] = 'M',
    [0x33] = '<', [0x34] = '>', [0x35] = '?',  [0x37] = '*',  [0x39] = ' ', [0x47] = '7',
    [0x48] = '8', [0x49] = '9', [0x4A] = '-',  [0x4B] = '4',  [0x4C] = '5', [0x4D] = '6',
    [0x4E] = '+', [0x4F] = '1', [0x50] = '2',  [0x51] = '3',  [0x52] = '0', [0x53] = '.',
    [0x56] = '|',
};

/* Set 2 make code -> set 1 make code, as the i8042's translation maps them (the keys of a US
 * keyboard; 0: none). The 0xE0 keys use the same map behind their prefix. */
static const uint8_t set2_to_set1[0x84] = {
    [0x01] = 0x43, [0x03] = 0x3F, [0x04] = 0x3D, [0x05] = 0x3B, [0x06] = 0x3C, [0x07] = 0x58,
    [0x09] = 0x44, [0x0A] = 0x42, [0x0B] = 0x40, [0x0C] = 0x3E, [0x0D] = 0x0F, [0x0E] = 0x29,
    [0x11] = 0x38, [0x12] = 0x2A, [0x14] = 0x1D, [0x15] = 0x10, [0x16] = 0x02, [0x1A] = 0x2C,
    [0x1B] = 0x1F, [0x1C] = 0x1E, [0x1D] = 0x11, [0x1E] = 0x03, [0x21] = 0x2E, [0x22] = 0x2D,
    [0x23] = 0x20, [0x24] = 0x12, [0x25] = 0x05, [0x26] = 0x04, [0x29] = 0x39, [0x2A] = 0x2F,
    [0x2B] = 0x21, [0x2C] = 0x14, [0x2D] = 0x13, [0x2E] = 0x06, [0x31] = 0x31, [0x32] = 0x30,
    [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15, [0x36] = 0x07, [0x3A] = 0x32, [0x3B] = 0x24,
    [0x3C] = 0x16, [0x3D] = 0x08, [0x3E] = 0x09, [0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17,
    [0x44] = 0x18, [0x45] = 0x0B, [0x46] = 0x0A, [0x49] = 0x34, [0x4A] = 0x35, [0x4B] = 0x26,
    [0x4C] = 0x27, [0x4D] = 0x19, [0x4E] = 0x0C, [0x52] = 0x28, [0x54] = 0x1A, [0x55] = 0x0D,
    [0x58] = 0x3A, [0x59] = 0x36, [0x5A] = 0x1C, [0x5B] = 0x1B, [0x5D] = 0x2B, [0x61] = 0x56,
    [0x66] = 0x0E, [0x69] = 0x4F, [0x6B] = 0x4B, [0x6C] = 0x47, [0x70] = 0x52, [0x71] = 0x53,
    [0x72] = 0x50, [0x73] = 0x4C, [0x74] = 0x4D, [0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45,
    [0x78] = 0x57, [0x79] = 0x4E, [0x7A] = 0x51, [0x7B] = 0x4A, [0x7C] = 0x37, [0x7D] = 0x49,
    [0x7E] = 0x46, [0x83] = 0x41,
};

void scancode_init(struct scancode_decoder *d, enum scancode_set set)
{
    *d = (struct scancode_decoder){.set = set};
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static size_t put_sequence(char out[SCANCODE_MAX_BYTES], const char *s)
{
    size_t n = 0;
    while (s[n] && n < SCANCODE_MAX_BYTES) {
        out[n] = s[n];
        n++;
    }
    return n;
}

/* An extended key went down. */
static size_t extended_key(uint8_t code, char out[SCANCODE_MAX_BYTES])
{
    switch (code) {
    case SET1_UP:
        return put_sequence(out, "\x1b[A");
    case SET1_DOWN:
        return put_sequence(out, "\x1b[B");
    case SET1_RIGHT:
        return put_sequence(out, "\x1b[C");
    case SET1_LEFT:
        return put_sequence(out, "\x1b[D");
    case SET1_HOME:
        return put_sequence(out, "\x1b[H");
    case SET1_END:
        return put_sequence(out, "\x1b[F");
    case SET1_DELETE:
        return put_sequence(out, "\x1b[3~");
    case SET1_ENTER:
        out[0] = '\r';
        return 1;
    case SET1_KEYPAD_SLASH:
        out[0] = '/';
        return 1;
    default:
        return 0; /* Insert, Page Up/Down, the Windows keys, Print Screen's fake Shift */
    }
}

/* A set 1 code with what came before it settled: the key's bytes, or a modifier's change. */
static size_t key_event(struct scancode_decoder *d, uint8_t code, bool release, bool extended,
                        char out[SCANCODE_MAX_BYTES])
{
    if (code == SET1_LEFT_CTRL) {
        *(extended ? &d->right_ctrl : &d->left_ctrl) = !release;
        return 0;
    }
    if (!extended && (code == SET1_LEFT_SHIFT || code == SET1_RIGHT_SHIFT)) {
        *(code == SET1_LEFT_SHIFT ? &d->left_shift : &d->right_shift) = !release;
        return 0;
    }
    if (!extended && code == SET1_CAPS_LOCK) {
        /* Typematic repeat sends the make code again while the key is held: toggle once. */
        if (!release && !d->caps_key_down)
            d->caps_lock = !d->caps_lock;
        d->caps_key_down = !release;
        return 0;
    }
    if (release || code >= SET1_CODES)
        return 0;
    if (extended)
        return extended_key(code, out);
    bool shift = d->left_shift || d->right_shift;
    char c = plain[code];
    if (!c)
        return 0;
    if (is_letter(c) && d->caps_lock)
        shift = !shift;
    if (shift)
        c = shifted[code];
    if ((d->left_ctrl || d->right_ctrl) && is_letter(c))
        c = (char)(c & 0x1F);
    out[0] = c;
    return 1;
}

size_t scancode_feed(struct scancode_decoder *d, uint8_t code, char out[SCANCODE_MAX_BYTES])
{
    if (d->pause_left) {
        d->pause_left--;
        return 0;
    }
    if (code == PREFIX_PAUSE) {
        d->pause_left = d->set == SCANCODE_SET1 ? SET1_PAUSE_TAIL : SET2_PAUSE_TAIL;
        d->extended = d->release = false;
        return 0;
    }
    if (code == PREFIX_EXTENDED) {
        d->extended = true;
        return 0;
    }
    if (d->set == SCANCODE_SET2 && code == SET2_PREFIX_BREAK) {
        d->release = true;
        return 0;
    }
    bool extended = d->extended;
    bool release = d->release;
    d->extended = d->release = false;
    /* The controller's and the keyboard's replies (ACK 0xFA, self-test passed 0xAA, resend 0xFE,
     * errors 0x00 and 0xFF) need no test of their own: in set 1 they read as releases of keys
     * that make no byte (0xAA releases Left Shift, which is up when the keyboard resets), in
     * set 2 they lie outside the map. */
    if (d->set == SCANCODE_SET1)
        return key_event(d, (uint8_t)(code & ~SET1_RELEASE), code & SET1_RELEASE, extended, out);
    if (code >= sizeof(set2_to_set1) || !set2_to_set1[code])
        return 0;
    return key_event(d, set2_to_set1[code], release, extended, out);
}
