/*
 * The user half of every process's address space (below PAGODA_USER_END; the kernel half above
 * it is shared by all and never user-accessible). The kernel's process layer lays a process out
 * by these numbers and user/user.ld links programs by them.
 *
 *   0x00000000 - 0x003FFFFF  never mapped: null pointers and small offsets from them fault
 *   0x00400000 - ...         the program's ELF segments (code R-X, rodata R--, data/bss RW-)
 *   break start - break      the heap: sbrk moves the break, pages are filled on first touch
 *   ...                      unmapped
 *   STACK_LIMIT - GUARD ..   the guard gap: never mapped, a touch kills the process
 *   STACK_LIMIT - USER_END   the stack: grows down on demand, at most PAGODA_USER_STACK_MAX
 */
#ifndef PAGODA_USER_LAYOUT_H
#define PAGODA_USER_LAYOUT_H

/* Plain numbers, no C suffixes: assembly and linker scripts include this file through cpp. */

#define PAGODA_USER_END         0xC0000000 /* the kernel half starts here */
#define PAGODA_USER_IMAGE_START 0x00400000 /* lowest address a program segment may use */
#define PAGODA_USER_STACK_TOP   PAGODA_USER_END
#define PAGODA_USER_STACK_MAX   0x00100000 /* 1 MiB */
#define PAGODA_USER_STACK_LIMIT (PAGODA_USER_STACK_TOP - PAGODA_USER_STACK_MAX)
#define PAGODA_USER_GUARD_SIZE  0x00010000 /* 64 KiB below the stack's limit */
#define PAGODA_USER_GUARD_START (PAGODA_USER_STACK_LIMIT - PAGODA_USER_GUARD_SIZE)
/* The break may grow up to the guard gap. */
#define PAGODA_USER_HEAP_LIMIT PAGODA_USER_GUARD_START

#endif
