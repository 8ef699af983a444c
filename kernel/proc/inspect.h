/*
 * What the memory-inspection system calls report (include/pagoda/syscall.h: proclist, walk,
 * tlbinfo, meminfo), filled from the kernel's own records: the process table, the process's
 * address space through vm_space_translate, the paging layer's counters, the frame allocator and
 * the kernel heap. Nothing here touches user memory; syscalls.c copies the results out.
 */
#ifndef PAGODA_PROC_INSPECT_H
#define PAGODA_PROC_INSPECT_H

#include <stdint.h>

#include "pagoda/syscall.h"
#include "task.h"

void inspect_process(const struct task *t, const struct task *holder, struct pagoda_proc_info *out);
/* t must not be a zombie (its tables are gone). */
void inspect_walk(const struct task *t, uint32_t va, struct pagoda_walk *out);
void inspect_tlb(struct pagoda_tlb_info *out);
void inspect_memory(struct pagoda_mem_info *out);

#endif
