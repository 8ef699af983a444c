/*
 * Names and error-code decoding for the 32 architectural exception vectors (Intel SDM Vol. 3A,
 * 6.15 "Exception and Interrupt Reference"). Pure code: no hardware access, host-testable.
 */
#ifndef PAGODA_EXC_DECODE_H
#define PAGODA_EXC_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXC_DE    0 /* divide error */
#define EXC_DB    1 /* debug */
#define EXC_NMI   2
#define EXC_BP    3 /* breakpoint (int3) */
#define EXC_OF    4
#define EXC_BR    5
#define EXC_UD    6 /* invalid opcode */
#define EXC_NM    7
#define EXC_DF    8  /* double fault */
#define EXC_TS    10 /* invalid TSS */
#define EXC_NP    11 /* segment not present */
#define EXC_SS    12 /* stack-segment fault */
#define EXC_GP    13 /* general protection */
#define EXC_PF    14 /* page fault */
#define EXC_MF    16
#define EXC_AC    17 /* alignment check */
#define EXC_MC    18
#define EXC_XM    19
#define EXC_VE    20
#define EXC_CP    21 /* control protection */
#define EXC_COUNT 32

/* Selector error code (#TS #NP #SS #GP): bits of the error code. */
#define SEL_ERR_EXT         (1u << 0) /* event external to the program */
#define SEL_ERR_IDT         (1u << 1) /* index refers to an IDT gate */
#define SEL_ERR_TI          (1u << 2) /* LDT (only meaningful when IDT = 0) */
#define SEL_ERR_INDEX_SHIFT 3

/* Page-fault error code bits. */
#define PF_ERR_PRESENT  (1u << 0) /* 0: page not present; 1: protection violation */
#define PF_ERR_WRITE    (1u << 1)
#define PF_ERR_USER     (1u << 2)
#define PF_ERR_RESERVED (1u << 3) /* a reserved bit was set in a paging structure */
#define PF_ERR_FETCH    (1u << 4) /* instruction fetch */
#define PF_ERR_PK       (1u << 5)
#define PF_ERR_SS       (1u << 6) /* shadow-stack access */
#define PF_ERR_SGX      (1u << 15)

/* "#GP" or "#??" beyond 31; "INT" for non-exception vectors. */
const char *exc_mnemonic(uint32_t vector);
/* "General Protection", "Page Fault", ... */
const char *exc_name(uint32_t vector);
/* Whether the CPU pushes an error code for this vector. */
bool exc_has_error_code(uint32_t vector);
/* Whether the error code has the selector format (#TS #NP #SS #GP; #DF's is always 0). */
bool exc_error_is_selector(uint32_t vector);
/* Decode the error code in words into buf (always NUL-terminated). Returns buf. */
const char *exc_decode_error(uint32_t vector, uint32_t error_code, char *buf, size_t size);

#endif
