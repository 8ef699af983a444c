/*
 * A few bytes of position-independent machine code that programs copy into writable memory
 * (their stack, data or heap) and call, to see whether the paging format lets data execute.
 * Called as exec_payload_fn(number, a1, a2, a3), it makes system call number with those three
 * arguments (int $PAGODA_SYSCALL_VECTOR) and returns the kernel's result.
 */
#ifndef PAGODA_USER_PAYLOAD_H
#define PAGODA_USER_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t (*exec_payload_fn)(uint32_t number, uint32_t a1, uint32_t a2, uint32_t a3);

extern const unsigned char exec_payload[];
extern const size_t exec_payload_size;

#endif
