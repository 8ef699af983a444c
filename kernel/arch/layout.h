/*
 * The kernel's virtual address layout (3 GiB / 1 GiB split), shared by start.S (which builds the
 * boot page directory from it), the linker script's numbers and kernel/vm.
 *
 *   0x00000000 - 0xBFFFFFFF  user half: each process's own (include/pagoda/user_layout.h)
 *   0xC0000000 - 0xF7FFFFFF  direct map: physical 0 .. 896 MiB at VA = phys + 0xC0000000 (only
 *                            the RAM below that which the map reports; large pages). The kernel
 *                            image lives inside it: kernel symbol = phys + 0xC0000000.
 *   0xF8000000 - 0xFBFFFFFF  MMIO and module mappings (framebuffer, local APIC, the ramdisk),
 *                            handed out upwards
 *   0xFC000000 - 0xFEFFFFFF  the kernel heap (kmalloc): backed page by page as it grows
 *   0xFF000000 - 0xFFBFFFFF  kernel stacks of processes, each above an unmapped guard page
 *   0xFFC00000 - 0xFFDFFFFF  unused
 *   0xFFE00000 - 0xFFE0FFFF  temporary mapping window: VM_WINDOW_SLOTS pages, each re-pointed
 *                            at any physical frame (high memory, above 4 GiB under PAE)
 *
 * 896 MiB is Linux's i386 "lowmem": what is left of the 1 GiB kernel half after room for the
 * window and device mappings.
 */
#ifndef PAGODA_ARCH_LAYOUT_H
#define PAGODA_ARCH_LAYOUT_H

#include "pagoda/user_layout.h"
#include "x86_bits.h"

#define KERNEL_VIRT_BASE PAGODA_USER_END /* the kernel half starts where the user half ends */
#define KERNEL_PHYS_BASE X86_U(0x00100000)
#define DIRECT_MAP_MAX   X86_U(0x38000000) /* 896 MiB */
#define VM_MMIO_START    X86_U(0xF8000000)
#define VM_MMIO_END      X86_U(0xFC000000)
#define VM_HEAP_START    VM_MMIO_END
#define VM_HEAP_END      X86_U(0xFF000000)
#define VM_KSTACK_START  VM_HEAP_END
#define VM_KSTACK_END    X86_U(0xFFC00000)
#define VM_WINDOW_BASE   X86_U(0xFFE00000)
#define VM_WINDOW_SLOTS  16

/* The boot page directory (32-bit paging, 4 MiB PSE pages) built by start.S. */
#define BOOT_LARGE_PAGE_SHIFT 22
#define BOOT_PDE_COUNT        1024
#define BOOT_PDE_SIZE         4
#define BOOT_DIRECT_PDES      (DIRECT_MAP_MAX >> BOOT_LARGE_PAGE_SHIFT)
#define BOOT_FIRST_KERNEL_PDE (KERNEL_VIRT_BASE >> BOOT_LARGE_PAGE_SHIFT)
#define BOOT_WINDOW_PDE       (VM_WINDOW_BASE >> BOOT_LARGE_PAGE_SHIFT)
/* Index of window slot 0 in the boot window page table (4 KiB pages of 4 bytes). */
#define BOOT_WINDOW_FIRST_PTE ((VM_WINDOW_BASE >> 12) & 1023)

/* Bounded copies start.S makes of what the loader handed over (kernel .bss). */
#define BOOT_COPY_INFO_MAX    2048
#define BOOT_COPY_MAP_MAX     32768
#define BOOT_COPY_CMDLINE_MAX 4096 /* bytes before the NUL: BOOTINFO_MAX_CMDLINE */

/* Why start.S could not copy something (boot_copy_problems bits). */
#define BOOT_COPY_MAP_TOO_LARGE     X86_U(1)
#define BOOT_COPY_MAP_ABOVE_4G      X86_U(2)
#define BOOT_COPY_CMDLINE_TOO_LARGE X86_U(4)
#define BOOT_COPY_CMDLINE_ABOVE_4G  X86_U(8)

/* Offsets into struct pagoda_boot_info for start.S (pinned by PAGODA_ASSERT_OFFSET in main.c). */
#define BOOT_INFO_OFF_MEMORY_MAP      16
#define BOOT_INFO_OFF_MEMORY_MAP_SIZE 24
#define BOOT_INFO_OFF_CMDLINE_SIZE    108
#define BOOT_INFO_OFF_CMDLINE         112
#define BOOT_INFO_SIZE                1056

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Kernel virtual address of a physical address in the direct map, and back. */
#define KERNEL_VA(phys) ((uintptr_t)(phys) + KERNEL_VIRT_BASE)
#define KERNEL_PA(va)   ((uint32_t)(uintptr_t)(va)-KERNEL_VIRT_BASE)
#endif

#endif
