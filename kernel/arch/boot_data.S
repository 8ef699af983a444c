/*
 * What the kernel's entry code (kernel/start.S) fills before paging and what the kernel then
 * runs on: the state at entry, the bounded copies of the loader's boot info, memory map and
 * command line, the boot page directory with the window's page table, and the two stacks, each
 * above a guard page that kernel/vm leaves unmapped so an overflow faults.
 */
#include "boot_data.h"
#include "pagoda/page.h"
#include "entry_state.h"
#include "layout.h"

    .section .data
    .balign 4
    .global entry_state
    .type entry_state, @object
entry_state:
    .skip ENTRY_STATE_SIZE
    .size entry_state, . - entry_state

    .section .bss
    .balign PAGODA_PAGE_SIZE
    .global boot_page_directory, boot_window_pt
boot_page_directory:
    .skip PAGODA_PAGE_SIZE
boot_window_pt:
    .skip PAGODA_PAGE_SIZE
    .balign 8
    .global boot_info_copy, boot_memory_map_copy, boot_cmdline_copy, boot_copy_problems
boot_info_copy:
    .skip BOOT_COPY_INFO_MAX
boot_memory_map_copy:
    .skip BOOT_COPY_MAP_MAX
boot_cmdline_copy:
    .skip BOOT_COPY_CMDLINE_MAX + 1
    .balign 4
boot_copy_problems:
    .skip 4

    .section .bss_stacks, "aw", @nobits
    .balign PAGODA_PAGE_SIZE
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
    .global double_fault_stack_guard, double_fault_stack_bottom, double_fault_stack_top
boot_stack_guard:
    .skip PAGODA_PAGE_SIZE
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:
double_fault_stack_guard:
    .skip PAGODA_PAGE_SIZE
double_fault_stack_bottom:
    .skip DOUBLE_FAULT_STACK_SIZE
double_fault_stack_top:

    .section .note.GNU-stack, "", @progbits
