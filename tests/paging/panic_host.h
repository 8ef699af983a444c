/* panic() for host tests: records the message and longjmps to the innermost PANIC_TRY. */
#ifndef PAGODA_TEST_PAGING_PANIC_HOST_H
#define PAGODA_TEST_PAGING_PANIC_HOST_H

#include <setjmp.h>

extern jmp_buf *panic_jump;
extern char panic_message[256];
extern unsigned panic_count;

#endif
