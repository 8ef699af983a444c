#ifndef PAGODA_IDT_H
#define PAGODA_IDT_H

#include <stdbool.h>

#define IDT_VECTOR_COUNT 256
#define IDT_STUB_COUNT   48 /* 32 exceptions + 16 legacy PIC IRQs at 0x20..0x2f */

/* Install interrupt gates for every stub and the double-fault task gate (filling the TSSs and
 * loading the task register: needs the GDT); the other vectors stay not-present, so a stray
 * interrupt there shows up as a #GP whose error code names the IDT vector. */
void idt_init(void);
/* Mark a gate present or not (crash=df uses it to make #GP undeliverable). */
void idt_set_present(unsigned vector, bool present);

#endif
