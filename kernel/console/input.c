#include "input.h"

#include "serial.h"

static char queue[CONSOLE_INPUT_QUEUE];
static size_t head, tail; /* head == tail: empty; one slot stays free */

bool console_input_poll(void)
{
    bool any = false;
    for (int c; (c = serial_try_getc()) >= 0;) {
        size_t next = (head + 1) % CONSOLE_INPUT_QUEUE;
        if (next == tail)
            continue; /* full: the byte is dropped, the UART drained */
        queue[head] = (char)c;
        head = next;
        any = true;
    }
    return any;
}

size_t console_input_take(char *buf, size_t len)
{
    size_t n = 0;
    while (n < len && tail != head) {
        buf[n++] = queue[tail];
        tail = (tail + 1) % CONSOLE_INPUT_QUEUE;
    }
    return n;
}

bool console_input_empty(void)
{
    return head == tail;
}
