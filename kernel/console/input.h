/*
 * What the console receives: bytes from COM1, collected into one queue that read() serves.
 * Polled: the scheduler's tick and idle loop call console_input_poll.
 */
#ifndef PAGODA_CONSOLE_INPUT_H
#define PAGODA_CONSOLE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#define CONSOLE_INPUT_QUEUE 1024

/* Moves whatever the UART holds into the queue. True if anything arrived. */
bool console_input_poll(void);
/* Up to len bytes from the queue; 0 when it is empty. */
size_t console_input_take(char *buf, size_t len);
bool console_input_empty(void);

#endif
