#include "input.h"

#include "../arch/lapic.h"
#include "../arch/pic.h"
#include "console.h"
#include "ps2.h"
#include "serial.h"
#include "tty.h"

static struct tty tty;
static struct scancode_decoder keyboard;
static struct console_input_stats stats;

static void echo(void *ctx, const char *bytes, size_t len)
{
    (void)ctx;
    console_write(bytes, len);
    console_show_cursor();
}

static void drain_serial(void)
{
    for (int c; (c = serial_try_getc()) >= 0;) {
        stats.serial_bytes++;
        tty_feed(&tty, (uint8_t)c);
    }
}

void console_input_start(uint64_t tsc_hz)
{
    tty_init(&tty, echo, 0);
    stats.interrupts_reach = lapic_pass_8259();
    struct ps2_keyboard ps2;
    ps2_keyboard_start(tsc_hz, &ps2);
    stats.keyboard = ps2.keyboard;
    stats.keyboard_set = ps2.set;
    if (ps2.keyboard) {
        scancode_init(&keyboard, ps2.set);
        pic_unmask(PIC_IRQ_KEYBOARD);
    }
    stats.serial = serial_receive_interrupts();
    if (stats.serial)
        pic_unmask(PIC_IRQ_COM1);
    if (!stats.interrupts_reach) {
        console_set_color(CONSOLE_BAD);
        kprintf("input: the local APIC cannot be reached, so its LINT0 stays masked: no keyboard "
                "or serial input\n");
        console_set_color(CONSOLE_NORMAL);
        return;
    }
    if (ps2.keyboard)
        kprintf("input: PS/2 keyboard on IRQ 1 (scan code set %u%s), serial COM1 on IRQ 4%s\n",
                ps2.set, ps2.set == SCANCODE_SET1 ? ", translated by the i8042" : "",
                stats.serial ? "" : " absent");
    else {
        console_set_color(CONSOLE_WARN);
        kprintf("input: no PS/2 keyboard: %s; type on the serial port (COM1, IRQ 4)%s\n",
                ps2.why_not, stats.serial ? "" : ", which is absent too");
        console_set_color(CONSOLE_NORMAL);
    }
    /* Bytes that came before the interrupt was on raise none: take them now. */
    drain_serial();
}

void console_input_serial_interrupt(void)
{
    stats.serial_interrupts++;
    drain_serial();
}

void console_input_keyboard_interrupt(void)
{
    stats.keyboard_interrupts++;
    for (int code; (code = ps2_read_byte()) >= 0;) {
        char bytes[SCANCODE_MAX_BYTES];
        stats.keyboard_bytes++;
        size_t n = scancode_feed(&keyboard, (uint8_t)code, bytes);
        for (size_t i = 0; i < n; i++)
            tty_feed(&tty, (uint8_t)bytes[i]);
    }
}

int console_input_read(char *buf, size_t len)
{
    return tty_read(&tty, buf, len);
}

bool console_input_readable(void)
{
    return tty_readable(&tty);
}

uint32_t console_input_take_interrupts(void)
{
    return tty_take_interrupts(&tty);
}

const struct console_input_stats *console_input_stats(void)
{
    return &stats;
}
