/*
 * A process's user memory: its address space (kernel/vm/space.h: the tables, the shared kernel
 * half) and the regions that say what each part of the user half is (proc/region.h).
 *
 *   code R-X, rodata R--, data and bss RW-  the program's ELF segments, mapped whole at spawn
 *   heap RW-                                 [heap start, break): sbrk moves the break; pages
 *                                            are mapped zero-filled on first touch
 *   guard gap                                below the stack's limit, never mapped
 *   stack RW-                                grows down on first touch, down to its limit
 *
 * Under PAE with NX every page without X is no-execute; two-level paging cannot refuse
 * execution. User frames come from anywhere the space's format reaches (above 4 GiB under PAE,
 * below it for a two-level process, also in a boot that runs PAE).
 *
 * Every user pointer the kernel is handed goes through uvm_copy_in / uvm_copy_out: the range is
 * checked against the regions first, pages a demand region has not mapped yet are mapped, and
 * the bytes are copied through the frames, never through the user's own mapping: a bad pointer
 * is an error code, never a kernel fault.
 */
#ifndef PAGODA_PROC_UVM_H
#define PAGODA_PROC_UVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vm/space.h"
#include "pagoda/syscall.h"
#include "region.h"

struct uvm {
    struct vm_space space;
    struct region_list regions;
    uint32_t heap_start, brk;
    uint32_t resident; /* user pages mapped, all regions */
};

/* A program to load: the ELF file's bytes, readable by the kernel. */
struct uvm_program {
    const char *name;
    const uint8_t *data;
    size_t size;
};

/*
 * A fresh space with the program's segments loaded and the initial stack holding argc, argv and
 * the strings (include/pagoda/syscall.h). 0 with *entry and *esp set, or a negated PAGODA_E*
 * code with why filled (ENOEXEC: the program is not a valid user ELF; ENOMEM: no frames) and
 * nothing left allocated.
 */
int uvm_create(struct uvm *u, const struct uvm_program *program, const char *const *argv,
               uint32_t argc, uint32_t *entry, uint32_t *esp, char *why, size_t why_size);
/* The same in the paging format of kernel, a kernel space (vm_kernel_space_of): the new space
 * shares its kernel half. uvm_create uses the boot format's (vm_kernel_space). */
int uvm_create_in(struct uvm *u, struct vm_space *kernel, const struct uvm_program *program,
                  const char *const *argv, uint32_t argc, uint32_t *entry, uint32_t *esp, char *why,
                  size_t why_size);
/* Gives back every frame and table. The CPU must not be using the space. */
void uvm_destroy(struct uvm *u);

enum uvm_fault_result {
    UVM_FAULT_HANDLED, /* a demand page was mapped: retry the access */
    UVM_FAULT_BAD,     /* the access is not allowed: *why says why */
    UVM_FAULT_NOMEM,   /* allowed, but no frame is left */
};
/* A page fault of this process at va with the CPU's error code. */
enum uvm_fault_result uvm_fault(struct uvm *u, uint32_t va, uint32_t error_code, const char **why);

/* Moves the break by increment: 0 and the old break in *old, or -PAGODA_ENOMEM (past the heap
 * limit) / -PAGODA_EINVAL (below the heap's start). Pages wholly above a lowered break are
 * unmapped and their frames given back. */
int uvm_sbrk(struct uvm *u, int32_t increment, uint32_t *old);

/* 0, or -PAGODA_EFAULT (nothing copied for a bad range), or -PAGODA_ENOMEM. */
int uvm_copy_in(struct uvm *u, void *dst, uint32_t src, uint32_t len);
int uvm_copy_out(struct uvm *u, uint32_t dst, const void *src, uint32_t len);
/* A NUL-terminated string of at most max bytes with its NUL: its length in *len, or
 * -PAGODA_EFAULT, or -PAGODA_E2BIG when no NUL comes within max bytes. */
int uvm_copy_in_string(struct uvm *u, char *dst, uint32_t src, uint32_t max, uint32_t *len);

/* Since boot, over every process: pages mapped, of them in frames at or above 4 GiB (PAE), and
 * of them mapped on a fault (demand paging, stack growth). */
struct uvm_stats {
    uint64_t pages_mapped;
    uint64_t high_frames;
    uint64_t demand_faults;
};
const struct uvm_stats *uvm_stats(void);

/* The regions, resident pages and table pages per level, for vminfo. */
void uvm_info(const struct uvm *u, struct pagoda_vm_info *out);

#endif
