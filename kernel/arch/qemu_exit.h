/* QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04): writing V makes
 * QEMU exit with status (V << 1) | 1. On hardware without it the write goes nowhere. */
#ifndef PAGODA_QEMU_EXIT_H
#define PAGODA_QEMU_EXIT_H

#include "x86.h"

#define QEMU_EXIT_PORT 0xF4u
#define QEMU_EXIT_PASS 0x10u /* QEMU exit status 33 */
#define QEMU_EXIT_FAIL 0x11u /* QEMU exit status 35 */

static inline void qemu_exit(uint8_t code)
{
    outb(QEMU_EXIT_PORT, code);
}

#endif
