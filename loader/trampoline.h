/*
 * The hand-off trampoline: position-independent code copied into one page below 4 GiB, with a
 * parameter block at a fixed offset of the same page. The assembly reaches every parameter as
 * [page base + offset], so this header is shared by C and assembly and the C struct is checked
 * against the offsets below.
 */
#ifndef PAGODA_LOADER_TRAMPOLINE_H
#define PAGODA_LOADER_TRAMPOLINE_H

#include "pagoda/page.h"

#define TRAMPOLINE_PARAMS_OFFSET 0x800 /* code lives below, parameters from here on */
#define TRAMPOLINE_SEGMENT_MAX   16

/* Parameter block offsets (from the start of the parameters). */
#define TP_ENTRY         0  /* u32 physical entry */
#define TP_BOOT_INFO     4  /* u32 boot info physical address, for EBX */
#define TP_STACK_TOP     8  /* u32 */
#define TP_SEGMENT_COUNT 12 /* u32 */
#define TP_GDTR          18 /* u16 limit, then base: 8 bytes read by a 64-bit lgdt, 4 by 32-bit */
#define TP_MAGIC         28 /* u32 the protocol's magic, for EAX */
#define TP_IDTR          34 /* u16 limit 0, base 0: any interrupt now is fatal, on purpose */
#define TP_GDT           48 /* 4 descriptors */
#define TP_SEGMENTS      80 /* TRAMPOLINE_SEGMENT_MAX copy orders */
#define TP_SEGMENT_SIZE  16
#define TS_SOURCE        0  /* u32 staging address of the file bytes */
#define TS_DESTINATION   4  /* u32 p_paddr */
#define TS_FILE_SIZE     8  /* u32 p_filesz */
#define TS_MEMORY_SIZE   12 /* u32 p_memsz */

/* GDT selectors. */
#define TRAMPOLINE_SEL_CODE32        0x08
#define TRAMPOLINE_SEL_DATA          0x10
#define TRAMPOLINE_SEL_CODE32_COMPAT 0x18

/* Control register and MSR bits the trampoline changes. */
#define CR0_PG                  0x80000000
#define CR0_CD                  0x40000000
#define CR0_NW                  0x20000000
#define MSR_EFER                0xC0000080
#define CR4_PCIDE               0x00020000 /* must be off before CR0.PG may be cleared */
#define CR4_CET                 0x00800000 /* shadow stacks would check our far return */
#define CPUID_EXTENDED_MAX      0x80000000
#define CPUID_EXTENDED_FEATURES 0x80000001
#define CPUID_EDX_NX            0x00100000 /* EFER.NXE exists */
#define CPUID_EDX_LONG_MODE     0x20000000 /* EFER.LME exists */

#ifdef __ASSEMBLER__

/* 32-bit COFF prefixes C symbols with an underscore, 64-bit COFF does not. */
#ifdef __i386__
#define TRAMPOLINE_C_SYMBOL(name) _##name
#else
#define TRAMPOLINE_C_SYMBOL(name) name
#endif

#else

#include <stddef.h>
#include <stdint.h>

struct trampoline_segment {
    uint32_t source, destination, file_size, memory_size;
};

struct trampoline_params {
    uint32_t entry;
    uint32_t boot_info;
    uint32_t stack_top;
    uint32_t segment_count;
    uint16_t pad0;
    uint16_t gdtr_limit;
    uint32_t gdtr_base_low, gdtr_base_high;
    uint32_t magic;
    uint16_t pad2;
    uint16_t idtr_limit;
    uint32_t idtr_base_low, idtr_base_high;
    uint32_t pad3;
    uint64_t gdt[4];
    struct trampoline_segment segments[TRAMPOLINE_SEGMENT_MAX];
};

_Static_assert(offsetof(struct trampoline_params, entry) == TP_ENTRY, "TP");
_Static_assert(offsetof(struct trampoline_params, segment_count) == TP_SEGMENT_COUNT, "TP");
_Static_assert(offsetof(struct trampoline_params, stack_top) == TP_STACK_TOP, "TP");
_Static_assert(offsetof(struct trampoline_params, boot_info) == TP_BOOT_INFO, "TP");
_Static_assert(offsetof(struct trampoline_params, gdtr_limit) == TP_GDTR, "TP");
_Static_assert(offsetof(struct trampoline_params, magic) == TP_MAGIC, "TP");
_Static_assert(offsetof(struct trampoline_params, idtr_limit) == TP_IDTR, "TP");
_Static_assert(offsetof(struct trampoline_params, gdt) == TP_GDT, "TP");
_Static_assert(offsetof(struct trampoline_params, segments) == TP_SEGMENTS, "TP");
_Static_assert(sizeof(struct trampoline_segment) == TP_SEGMENT_SIZE, "TP");
_Static_assert(offsetof(struct trampoline_segment, source) == TS_SOURCE, "TP");
_Static_assert(offsetof(struct trampoline_segment, destination) == TS_DESTINATION, "TP");
_Static_assert(offsetof(struct trampoline_segment, file_size) == TS_FILE_SIZE, "TP");
_Static_assert(offsetof(struct trampoline_segment, memory_size) == TS_MEMORY_SIZE, "TP");
_Static_assert(TRAMPOLINE_PARAMS_OFFSET + sizeof(struct trampoline_params) <= PAGODA_PAGE_SIZE,
               "trampoline parameters do not fit the page");

/* The code to copy; entered at its first byte with the page's own address as argument. */
extern const uint8_t trampoline_start[];
extern const uint8_t trampoline_end[];
typedef void (*trampoline_entry_fn)(void *page);

#endif
#endif
