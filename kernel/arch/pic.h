/* The legacy 8259A pair: remapped away from the exception vectors, every line masked until a
 * driver unmasks the one it serves. */
#ifndef PAGODA_PIC_H
#define PAGODA_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vectors.h"

#define PIC_MASTER_VECTOR VECTOR_PIC_FIRST
#define PIC_SLAVE_VECTOR  (VECTOR_PIC_FIRST + 8)

/* The ISA lines the kernel serves. */
#define PIC_IRQ_KEYBOARD 1u /* the i8042's first port */
#define PIC_IRQ_CASCADE  2u /* the slave's output on the master */
#define PIC_IRQ_COM1     4u

/* Remap IRQ 0-7 to 0x20-0x27 and 8-15 to 0x28-0x2f, then mask all 16 lines. */
void pic_init(void);
/* Interrupt mask registers, slave in the high byte (0xffff: everything masked). */
uint16_t pic_read_masks(void);
/* IRQ 7/15 with the in-service bit clear are spurious and get no EOI on their own chip. */
bool pic_is_spurious(unsigned irq);
void pic_end_of_interrupt(unsigned irq);
/* Lets line irq (0-15) through; a slave line opens the cascade too. */
void pic_unmask(unsigned irq);

#endif
