#include "gdt.h"

#include <stdint.h>

#include "tss.h"
#include "x86_bits.h"

/* Descriptor fields (SDM Vol. 3A 3.4.5): access byte and the flags nibble. */
#define GDT_ACCESS_PRESENT    0x80u
#define GDT_ACCESS_CODE_DATA  0x10u /* S = 1: code or data, not system */
#define GDT_ACCESS_EXECUTABLE 0x08u
#define GDT_ACCESS_RW         0x02u /* readable code / writable data */
#define GDT_FLAG_GRANULARITY  0x8u  /* limit in 4 KiB units */
#define GDT_FLAG_SIZE_32      0x4u  /* 32-bit default operand size */
#define GDT_ACCESS_TSS32      0x09u /* system descriptor: 32-bit TSS, available */
#define GDT_ACCESS_DPL_USER   0x60u /* DPL 3: ring 3 may load it */

static uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint64_t d = limit & 0xFFFFu;
    d |= (uint64_t)(base & 0xFFFFFFu) << 16;
    d |= (uint64_t)access << 40;
    d |= (uint64_t)((limit >> 16) & 0xFu) << 48;
    d |= (uint64_t)(flags & 0xFu) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));

struct __attribute__((packed)) gdt_pointer {
    uint16_t limit;
    uint32_t base;
};

void gdt_init(void)
{
    const uint8_t flags = GDT_FLAG_GRANULARITY | GDT_FLAG_SIZE_32;
    const uint8_t common = GDT_ACCESS_PRESENT | GDT_ACCESS_CODE_DATA | GDT_ACCESS_RW;
    gdt[0] = 0;
    gdt[SEL_KERNEL_CODE / 8] = gdt_descriptor(0, 0xFFFFFu, common | GDT_ACCESS_EXECUTABLE, flags);
    gdt[SEL_KERNEL_DATA / 8] = gdt_descriptor(0, 0xFFFFFu, common, flags);
    gdt[SEL_MAIN_TSS / 8] = gdt_descriptor((uint32_t)(uintptr_t)&tss_main, sizeof(tss_main) - 1,
                                           GDT_ACCESS_PRESENT | GDT_ACCESS_TSS32, 0);
    gdt[SEL_DF_TSS / 8] =
        gdt_descriptor((uint32_t)(uintptr_t)&tss_double_fault, sizeof(tss_double_fault) - 1,
                       GDT_ACCESS_PRESENT | GDT_ACCESS_TSS32, 0);
    /* Flat like the kernel's: the user half is fenced off by the page tables, not by limits. */
    gdt[SEL_USER_CODE / 8] =
        gdt_descriptor(0, 0xFFFFFu, common | GDT_ACCESS_EXECUTABLE | GDT_ACCESS_DPL_USER, flags);
    gdt[SEL_USER_DATA / 8] = gdt_descriptor(0, 0xFFFFFu, common | GDT_ACCESS_DPL_USER, flags);

    struct gdt_pointer pointer = {.limit = sizeof(gdt) - 1, .base = (uint32_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%fs\n\t"
                     "mov %2, %%gs\n\t"
                     "mov %2, %%ss\n\t"
                     :
                     : "m"(pointer), "i"(SEL_KERNEL_CODE), "r"(SEL_KERNEL_DATA)
                     : "memory");
}
