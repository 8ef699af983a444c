#include "serial.h"

#include "../arch/x86.h"

#define COM1                  0x3F8u
#define UART_DATA             0u /* THR/RBR, or divisor low byte with DLAB */
#define UART_IER              1u /* or divisor high byte with DLAB */
#define UART_FCR              2u /* write; reads as the IIR */
#define UART_IIR              2u
#define UART_LCR              3u
#define UART_MCR              4u
#define UART_LSR              5u
#define UART_SCRATCH          7u
#define UART_IER_RECEIVED     0x01u /* interrupt when received data is available */
#define UART_LCR_DLAB         0x80u
#define UART_LCR_8N1          0x03u
#define UART_FCR_ENABLE_CLEAR 0x07u /* FIFO on, clear both FIFOs */
#define UART_MCR_DTR_RTS_OUT2 0x0Bu
#define UART_LSR_THR_EMPTY    0x20u /* with FIFOs on: the transmit FIFO is empty */
#define UART_IIR_FIFOS_ON     0xC0u
#define UART_TX_FIFO_BYTES    16u
#define UART_LSR_DATA_READY   0x01u
#define UART_DIVISOR_115200   1u
/* How long the transmitter may stay busy before the port counts as stalled: a UART drains 16
 * bytes in 1.4 ms at 115200 baud, but one whose far end applies back-pressure (QEMU's serial
 * backends wait for their reader, and a reader on a loaded host can pause for a good fraction of
 * a second) must not lose bytes. About 1 s at 2 GHz; no TSC rate is known this early. */
#define UART_STALL_CYCLES (2ull * 1000 * 1000 * 1000)

static bool serial_present;
/* Bytes the UART takes once it says its transmitter is empty: a 16550A's FIFO holds 16, so the
 * status is read once per 16 bytes instead of before each (every port access is slow: an exit to
 * the device model under QEMU, a bus cycle of about a microsecond on a real PC). */
static unsigned tx_burst = 1;
static unsigned tx_room;
/* A stalled transmitter is not waited for again (a broken UART would cost a full stall per
 * byte): bytes are dropped, whole, until it reports empty once more. Never written blind: a
 * byte into a full FIFO would overwrite one already queued. */
static bool tx_stalled;
static uint32_t tx_dropped;

bool serial_init(void)
{
    outb(COM1 + UART_SCRATCH, 0x5A);
    serial_present = inb(COM1 + UART_SCRATCH) == 0x5A;
    if (!serial_present)
        return false;
    outb(COM1 + UART_IER, 0x00); /* polled: no UART interrupts */
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + UART_DATA, UART_DIVISOR_115200 & 0xFFu);
    outb(COM1 + UART_IER, UART_DIVISOR_115200 >> 8);
    outb(COM1 + UART_LCR, UART_LCR_8N1);
    outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
    /* A 16450 has no FIFO (its IIR bits 7:6 stay 0): one byte at a time there. */
    tx_burst =
        (inb(COM1 + UART_IIR) & UART_IIR_FIFOS_ON) == UART_IIR_FIFOS_ON ? UART_TX_FIFO_BYTES : 1;
    tx_room = 0;
    return true;
}

static bool transmitter_empty(void)
{
    return inb(COM1 + UART_LSR) & UART_LSR_THR_EMPTY;
}

/* True when the transmitter has room for tx_burst bytes. */
static bool wait_transmitter(void)
{
    if (transmitter_empty()) {
        tx_stalled = false;
        return true;
    }
    if (tx_stalled)
        return false;
    uint64_t start = rdtsc();
    while (rdtsc() - start < UART_STALL_CYCLES) {
        if (transmitter_empty())
            return true;
        __asm__ volatile("pause");
    }
    tx_stalled = true;
    return false;
}

static void serial_put_raw(char c)
{
    if (tx_room == 0) {
        if (!wait_transmitter()) {
            tx_dropped++;
            return;
        }
        tx_room = tx_burst;
    }
    tx_room--;
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_putc(char c)
{
    if (!serial_present)
        return;
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}

void serial_write_string(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

uint32_t serial_dropped_bytes(void)
{
    return tx_dropped;
}

int serial_try_getc(void)
{
    if (!serial_present || !(inb(COM1 + UART_LSR) & UART_LSR_DATA_READY))
        return -1;
    return inb(COM1 + UART_DATA);
}

bool serial_receive_interrupts(void)
{
    if (!serial_present)
        return false;
    outb(COM1 + UART_IER, UART_IER_RECEIVED);
    return true;
}
