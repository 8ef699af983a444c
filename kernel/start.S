/*
 * _start: the first kernel code. The loader jumps here in 32-bit protected mode, paging off,
 * EAX = PAGODA_BOOT_MAGIC, EBX = boot info physical address (include/pagoda/boot_info.h).
 *
 * This part lives in .boot, linked at its physical address, because the rest of the kernel is
 * linked in the higher half (vm/layout.h) and cannot run before paging is on. Every reference
 * to a higher-half symbol from here goes through PHYS(). In order:
 *   1. record the entry state before touching anything (EAX, EBX, TSC, EFLAGS, CR0, CR4, EFER);
 *   2. zero .bss, then copy the boot info, the raw memory map and the command line into bounded
 *      .bss buffers: once the kernel has its own address space it does not depend on where the
 *      loader put them (problems are flagged in boot_copy_problems; C reports them);
 *   3. build the boot page directory with 4 MiB PSE pages: identity for the first 4 MiB (this
 *      code) and the direct map, 896 MiB of physical memory at 0xC0000000, plus the temporary
 *      mapping window's page table; turn on PSE and paging and jump to the higher half;
 *   4. switch to the kernel's boot stack and call kernel_main, which builds the real address
 *      space (kernel/vm/) and drops the identity mapping.
 *
 * It is the top of the kernel, like a C program's crt0: it calls kernel_main and nothing calls
 * it. The data it fills (the copies, the boot page directory, the stacks) are arch's
 * (arch/boot_data.S), and so is vm_switch_paging (arch/paging_switch.S).
 */
#include "arch/boot_data.h"
#include "arch/entry_state.h"
#include "arch/layout.h"
#include "arch/pte_bits.h"
#include "arch/x86_bits.h"

#define PHYS(sym) ((sym) - KERNEL_VIRT_BASE)

#define COM1_DATA        0x3F8
#define COM1_LINE_STATUS 0x3FD
#define COM1_THR_EMPTY   0x20
#define SERIAL_SPINS     100000

    .section .boot.text, "ax"
    .code32
    .global _start
    .type _start, @function
_start:
    /* EAX, EBX and the TSC first: nothing below may disturb them. */
    movl %eax, PHYS(entry_state) + ENTRY_STATE_MAGIC
    movl %ebx, PHYS(entry_state) + ENTRY_STATE_BOOT_INFO
    rdtsc
    movl %eax, PHYS(entry_state) + ENTRY_STATE_TSC_LO
    movl %edx, PHYS(entry_state) + ENTRY_STATE_TSC_HI
    /* EFLAGS before our own cli: one push onto the loader's stack, which the ABI promises. */
    movl %esp, PHYS(entry_state) + ENTRY_STATE_LOADER_ESP
    pushfl
    popl PHYS(entry_state) + ENTRY_STATE_EFLAGS
    cli
    cld

    movl %cr0, %eax
    movl %eax, PHYS(entry_state) + ENTRY_STATE_CR0
    movl %cr4, %eax
    movl %eax, PHYS(entry_state) + ENTRY_STATE_CR4

    /* Reading IA32_EFER where it does not exist is a #GP with no IDT yet: ask CPUID first. */
    movl $CPUID_LEAF_EXT_MAX, %eax
    cpuid
    cmpl $CPUID_LEAF_EXT_FEATURES, %eax
    jb 1f
    movl $CPUID_LEAF_EXT_FEATURES, %eax
    cpuid
    testl $CPUID_81_EDX_EFER_FEATURES, %edx
    jz 1f
    movl $MSR_IA32_EFER, %ecx
    rdmsr
    movl %eax, PHYS(entry_state) + ENTRY_STATE_EFER_LO
    movl %edx, PHYS(entry_state) + ENTRY_STATE_EFER_HI
    movl $1, PHYS(entry_state) + ENTRY_STATE_EFER_PRESENT
1:
    /* The loader zeroes bss already; zero it again so a loader bug cannot leave garbage in it. */
    movl $PHYS(kernel_bss_start), %edi
    movl $PHYS(kernel_bss_end), %ecx
    subl %edi, %ecx
    shrl $2, %ecx /* linker.ld aligns both ends: whole 4-byte words */
    xorl %eax, %eax
    rep stosl

    cmpl $ENTRY_BOOT_MAGIC, PHYS(entry_state) + ENTRY_STATE_MAGIC
    jne 2f
    call boot_copy_handover
2:
    call boot_require_pse
    call boot_build_page_directory

    movl %cr4, %eax
    andl $~CR4_PAE, %eax
    orl $CR4_PSE, %eax
    movl %eax, %cr4
    movl $PHYS(boot_page_directory), %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    /* Paging is on; this code still runs through the identity mapping. Leave it. */
    movl $higher_half_start, %eax
    jmp *%eax
    .size _start, . - _start

/* Copies ECX bytes from ESI to EDI (physical). */
boot_copy_bytes:
    rep movsb
    ret

/*
 * Boot info, memory map and command line into .bss. A memory map or command line too large for
 * its buffer, or above 4 GiB (unreachable with paging off), is not copied: a bit in
 * boot_copy_problems says why, and the C side reports it before using anything.
 */
boot_copy_handover:
    movl PHYS(entry_state) + ENTRY_STATE_BOOT_INFO, %esi
    movl $PHYS(boot_info_copy), %edi
    movl $BOOT_INFO_SIZE, %ecx
    call boot_copy_bytes
    movl $PHYS(boot_info_copy), %ebx

    /* the raw memory map */
    movl BOOT_INFO_OFF_MEMORY_MAP + 4(%ebx), %eax
    orl BOOT_INFO_OFF_MEMORY_MAP_SIZE + 4(%ebx), %eax
    jz 3f
    orl $BOOT_COPY_MAP_ABOVE_4G, PHYS(boot_copy_problems)
    jmp 5f
3:
    movl BOOT_INFO_OFF_MEMORY_MAP_SIZE(%ebx), %ecx
    cmpl $BOOT_COPY_MAP_MAX, %ecx
    jbe 4f
    orl $BOOT_COPY_MAP_TOO_LARGE, PHYS(boot_copy_problems)
    jmp 5f
4:
    movl BOOT_INFO_OFF_MEMORY_MAP(%ebx), %esi
    movl $PHYS(boot_memory_map_copy), %edi
    call boot_copy_bytes
    movl $PHYS(boot_memory_map_copy), %eax
    movl %eax, BOOT_INFO_OFF_MEMORY_MAP(%ebx)
5:
    /* the command line, with its NUL */
    movl BOOT_INFO_OFF_CMDLINE(%ebx), %eax
    orl BOOT_INFO_OFF_CMDLINE + 4(%ebx), %eax
    jz 8f
    cmpl $0, BOOT_INFO_OFF_CMDLINE + 4(%ebx)
    je 6f
    orl $BOOT_COPY_CMDLINE_ABOVE_4G, PHYS(boot_copy_problems)
    jmp 8f
6:
    movl BOOT_INFO_OFF_CMDLINE_SIZE(%ebx), %ecx
    cmpl $BOOT_COPY_CMDLINE_MAX, %ecx
    jbe 7f
    orl $BOOT_COPY_CMDLINE_TOO_LARGE, PHYS(boot_copy_problems)
    jmp 8f
7:
    incl %ecx
    movl BOOT_INFO_OFF_CMDLINE(%ebx), %esi
    movl $PHYS(boot_cmdline_copy), %edi
    call boot_copy_bytes
    movl $PHYS(boot_cmdline_copy), %eax
    movl %eax, BOOT_INFO_OFF_CMDLINE(%ebx)
8:
    ret

/* Paging starts with 4 MiB pages; every CPU OVMF runs on has PSE. Without it: say so, halt. */
boot_require_pse:
    movl $CPUID_LEAF_FEATURES, %eax
    cpuid
    testl $CPUID_1_EDX_PSE, %edx
    jz 1f
    ret
1:
    movl $boot_no_pse_message, %esi
2:
    movb (%esi), %al
    testb %al, %al
    jz 4f
    movl $SERIAL_SPINS, %ecx
3:
    movw $COM1_LINE_STATUS, %dx
    inb %dx, %al
    testb $COM1_THR_EMPTY, %al
    loopz 3b
    movb (%esi), %al
    movw $COM1_DATA, %dx
    outb %al, %dx
    incl %esi
    jmp 2b
4:
    cli
    hlt
    jmp 4b

boot_no_pse_message:
    .asciz "\r\npagoda: this CPU has no PSE (CPUID.1:EDX bit 3): the kernel needs 4 MiB pages to turn paging on. Halting.\r\n"

/*
 * The boot page directory (zeroed with .bss): PDE 0 identity-maps this code's 4 MiB, PDEs
 * 768..991 map physical 0..896 MiB at 0xC0000000, PDE 1023 points at the window page table.
 */
boot_build_page_directory:
    movl $PHYS(boot_page_directory), %edi
    movl $(PTE_P | PTE_RW | PTE_PS), (%edi)
    leal BOOT_FIRST_KERNEL_PDE * BOOT_PDE_SIZE(%edi), %ebx
    movl $(PTE_P | PTE_RW | PTE_PS), %eax
    movl $BOOT_DIRECT_PDES, %ecx
1:
    movl %eax, (%ebx)
    addl $(1 << BOOT_LARGE_PAGE_SHIFT), %eax
    addl $BOOT_PDE_SIZE, %ebx
    loop 1b
    movl $(PHYS(boot_window_pt) + PTE_P + PTE_RW), BOOT_WINDOW_PDE * BOOT_PDE_SIZE(%edi)
    ret

    .section .text
higher_half_start:
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    cmpl $ENTRY_BOOT_MAGIC, entry_state + ENTRY_STATE_MAGIC
    jne 2f
    call kernel_main
    jmp 3f
2:
    /* Not started by the Pagoda loader: EBX means nothing. Say so on the serial port. */
    pushl entry_state + ENTRY_STATE_MAGIC
    call kernel_bad_magic
3:
    cli
    hlt
    jmp 3b

    .section .note.GNU-stack, "", @progbits
