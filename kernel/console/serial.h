/* COM1 at 0x3f8, 115200 baud 8N1: output polled, input by its receive interrupt (IRQ 4) once
 * serial_receive_interrupts is called. */
#ifndef PAGODA_SERIAL_H
#define PAGODA_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

/* Program the UART; false if no UART answers (scratch register test), and output is dropped. */
bool serial_init(void);
void serial_putc(char c); /* '\n' becomes "\r\n" */
void serial_write_string(const char *s);
/* Bytes not sent because the transmitter stayed busy for about a second (then each byte gets a
 * single look at it until it drains again). */
uint32_t serial_dropped_bytes(void);
/* A received byte, or -1 when none is waiting. */
int serial_try_getc(void);
/* Has the UART raise its interrupt when a byte arrives (OUT2, set by serial_init, routes it to
 * the 8259). False when there is no UART. */
bool serial_receive_interrupts(void);

#endif
