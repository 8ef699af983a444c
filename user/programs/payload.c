#include "payload.h"

#include "pagoda/syscall.h"

/* cdecl: the return address at 0(%esp), the arguments from 4(%esp); 4 more after the push. */
const unsigned char exec_payload[] = {
    0x53, /* push %ebx */
    0x8b, 0x44,
    0x24, 0x08, /* mov 8(%esp), %eax: the call number */
    0x8b, 0x5c,
    0x24, 0x0c, /* mov 12(%esp), %ebx */
    0x8b, 0x4c,
    0x24, 0x10, /* mov 16(%esp), %ecx */
    0x8b, 0x54,
    0x24, 0x14,                  /* mov 20(%esp), %edx */
    0xcd, PAGODA_SYSCALL_VECTOR, /* int $0x80 */
    0x5b,                        /* pop %ebx */
    0xc3,                        /* ret */
};
const size_t exec_payload_size = sizeof(exec_payload);
