#include "pic.h"

#include "x86.h"

#define PIC_MASTER_COMMAND 0x20u
#define PIC_MASTER_DATA    0x21u
#define PIC_SLAVE_COMMAND  0xA0u
#define PIC_SLAVE_DATA     0xA1u

#define PIC_ICW1_INIT      0x10u
#define PIC_ICW1_ICW4      0x01u
#define PIC_ICW3_SLAVE_IRQ 0x04u /* master: slave on IRQ 2 (bit mask) */
#define PIC_ICW3_CASCADE   0x02u /* slave: its cascade identity */
#define PIC_ICW4_8086      0x01u
#define PIC_OCW3_READ_ISR  0x0Bu
#define PIC_EOI            0x20u
#define PIC_MASK_ALL       0xFFu

void pic_init(void)
{
    outb(PIC_MASTER_COMMAND, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    io_wait();
    outb(PIC_SLAVE_COMMAND, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    io_wait();
    outb(PIC_MASTER_DATA, PIC_MASTER_VECTOR);
    io_wait();
    outb(PIC_SLAVE_DATA, PIC_SLAVE_VECTOR);
    io_wait();
    outb(PIC_MASTER_DATA, PIC_ICW3_SLAVE_IRQ);
    io_wait();
    outb(PIC_SLAVE_DATA, PIC_ICW3_CASCADE);
    io_wait();
    outb(PIC_MASTER_DATA, PIC_ICW4_8086);
    io_wait();
    outb(PIC_SLAVE_DATA, PIC_ICW4_8086);
    io_wait();
    outb(PIC_MASTER_DATA, PIC_MASK_ALL);
    outb(PIC_SLAVE_DATA, PIC_MASK_ALL);
}

uint16_t pic_read_masks(void)
{
    return (uint16_t)(inb(PIC_MASTER_DATA) | (inb(PIC_SLAVE_DATA) << 8));
}

static uint8_t pic_in_service(uint16_t command_port)
{
    outb(command_port, PIC_OCW3_READ_ISR);
    return inb(command_port);
}

bool pic_is_spurious(unsigned irq)
{
    if (irq == 7)
        return !(pic_in_service(PIC_MASTER_COMMAND) & 0x80u);
    if (irq == 15 && !(pic_in_service(PIC_SLAVE_COMMAND) & 0x80u)) {
        outb(PIC_MASTER_COMMAND, PIC_EOI); /* the master did see the cascade line */
        return true;
    }
    return false;
}

void pic_end_of_interrupt(unsigned irq)
{
    if (irq >= 8)
        outb(PIC_SLAVE_COMMAND, PIC_EOI);
    outb(PIC_MASTER_COMMAND, PIC_EOI);
}

void pic_unmask(unsigned irq)
{
    if (irq >= 16)
        return;
    if (irq >= 8) {
        outb(PIC_SLAVE_DATA, (uint8_t)(inb(PIC_SLAVE_DATA) & ~(1u << (irq - 8))));
        irq = PIC_IRQ_CASCADE;
    }
    outb(PIC_MASTER_DATA, (uint8_t)(inb(PIC_MASTER_DATA) & ~(1u << irq)));
}
