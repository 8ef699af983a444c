/*
 * The kernel's heap (kernel/mem/heap.h) over its region of the kernel half [VM_HEAP_START,
 * VM_HEAP_END): the heap asks for pages, this backs them with frames from the allocator and maps
 * them in every kernel space (vm_kernel_populate), and gives them back the same way.
 */
#ifndef PAGODA_VM_KHEAP_H
#define PAGODA_VM_KHEAP_H

#include <stdbool.h>

#include "../mem/heap.h"

/* Creates the heap and installs it for kmalloc/kzalloc/kfree; debug turns on the redzone and
 * poison checks (mode=test). Needs vm_init. */
void vm_kheap_init(bool debug);
/* The kernel's heap, for statistics and audits. */
struct heap *vm_kheap(void);

#endif
