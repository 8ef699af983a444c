/* The legacy 8259A pair: remapped away from the exception vectors, every line masked. */
#ifndef PAGODA_PIC_H
#define PAGODA_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vectors.h"

#define PIC_MASTER_VECTOR VECTOR_PIC_FIRST
#define PIC_SLAVE_VECTOR  (VECTOR_PIC_FIRST + 8)

/* Remap IRQ 0-7 to 0x20-0x27 and 8-15 to 0x28-0x2f, then mask all 16 lines. */
void pic_init(void);
/* Interrupt mask registers, slave in the high byte (0xffff: everything masked). */
uint16_t pic_read_masks(void);
/* IRQ 7/15 with the in-service bit clear are spurious and get no EOI on their own chip. */
bool pic_is_spurious(unsigned irq);
void pic_end_of_interrupt(unsigned irq);

#endif
