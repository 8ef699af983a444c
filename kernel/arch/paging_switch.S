/*
 * void vm_switch_paging(uint32_t cr3, uint32_t cr4) (arch/paging_switch.h): the CPU's way from
 * one paging format to another. Changing CR4.PAE with paging on is not allowed, so: paging off,
 * CR4, CR3, paging and CR0.WP on. This code lies in .boot, linked at its physical address, and
 * runs there: the caller keeps this page identity-mapped in the old and the new tables for the
 * moment of the switch; nothing touches memory while paging is off, since the stack is a
 * higher-half address.
 */
#include "x86_bits.h"

    .section .boot.text, "ax"
    .code32
    .global vm_switch_paging
    .type vm_switch_paging, @function
vm_switch_paging:
    movl 4(%esp), %ecx
    movl 8(%esp), %edx
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl %edx, %cr4
    movl %ecx, %cr3
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0
    ret
    .size vm_switch_paging, . - vm_switch_paging

    .section .note.GNU-stack, "", @progbits
