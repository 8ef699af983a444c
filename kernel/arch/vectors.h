/*
 * The interrupt vectors the kernel uses beyond the CPU's exceptions (0-31), for trap/ (which
 * installs and dispatches them) and for the code that programs the devices that raise them.
 */
#ifndef PAGODA_ARCH_VECTORS_H
#define PAGODA_ARCH_VECTORS_H

#define VECTOR_PIC_FIRST 0x20 /* the 8259 pair, remapped: IRQ 0-15 */
#define VECTOR_PIC_LAST  0x2F
#define VECTOR_TIMER     0x40 /* the local APIC timer: the scheduler's tick */
#define VECTOR_SYSCALL   0x80 /* int $0x80 from ring 3 (PAGODA_SYSCALL_VECTOR) */
#define VECTOR_SPURIOUS  0xFF /* the local APIC's spurious vector (low 4 bits must be 1s) */

#endif
